/**
 * The DAO core: governance token, bounded timelock, bounded governor, and ProtocolParams owned by
 * the timelock. After this module the deployer holds no role anywhere: the timelock has no admin
 * but itself, the governor is its only proposer and canceller, anyone may execute a ready
 * operation, and ProtocolParams' only writer is the timelock (immutable).
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { id, ZeroAddress } from "ethers";

const PROPOSER_ROLE = id("PROPOSER_ROLE");
const CANCELLER_ROLE = id("CANCELLER_ROLE");
const DEFAULT_ADMIN_ROLE = "0x" + "00".repeat(32);

export default buildModule("Governance", (m) => {
  const deployer = m.getAccount(0);
  const timelockDelay = m.getParameter<number>("timelockDelay");
  const votingDelay = m.getParameter<number>("votingDelay");
  const votingPeriod = m.getParameter<number>("votingPeriod");
  const proposalThreshold = m.getParameter<bigint>("proposalThreshold", 0n);
  const quorumPercent = m.getParameter<number>("quorumPercent", 4);

  const token = m.contract("CdnToken", [deployer]);
  // The deployer is the timelock's temporary admin only for wiring the governor in; it renounces below.
  const timelock = m.contract("CdnTimelock", [timelockDelay, [], [ZeroAddress], deployer]);
  const governor = m.contract("CdnGovernor", [token, timelock, votingDelay, votingPeriod, proposalThreshold, quorumPercent]);
  const params = m.contract("ProtocolParams", [timelock]);

  const grantProposer = m.call(timelock, "grantRole", [PROPOSER_ROLE, governor], { id: "grantProposer" });
  const grantCanceller = m.call(timelock, "grantRole", [CANCELLER_ROLE, governor], { id: "grantCanceller" });
  m.call(timelock, "renounceRole", [DEFAULT_ADMIN_ROLE, deployer], {
    id: "renounceAdmin",
    after: [grantProposer, grantCanceller],
  });

  return { token, timelock, governor, params };
});
