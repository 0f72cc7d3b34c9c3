/**
 * Everything a local chain needs: the DAO core, MockUSDC (a faucet with USDC's 6 decimals, permit
 * and address blacklist) and the protocol contracts. Production deployments use the real USDC.
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import GovernanceModule from "./Governance.js";
import { buildProtocol } from "./Protocol.js";

export default buildModule("Devnet", (m) => {
  const deployer = m.getAccount(0);
  const governance = m.useModule(GovernanceModule);
  const usdc = m.contract("MockUSDC", [deployer]);
  const protocol = buildProtocol(m, { usdc, params: governance.params, timelock: governance.timelock });
  return { ...governance, usdc, ...protocol };
});
