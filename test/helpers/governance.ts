/**
 * Governance fixture: deploys the devnet Ignition module (the same one `npm run devnet` uses),
 * hands voting power to three voters, and drives proposals through the real
 * Governor → Timelock path.
 */
import type { NetworkConnection } from "hardhat/types/network";
import type { DeploymentParameters } from "@nomicfoundation/ignition-core";
import { id, type BaseContract, type ContractTransactionResponse, type Signer } from "ethers";
import { devnetModule, type TestToken } from "../../deploy/modules/Devnet.js";
import { loadParameters } from "../../deploy/parameters.js";
import type { CdnGovernor, CdnTimelock, CdnToken, ContentBlacklist, TestUSDC, NodeRegistry, OriginRegistry, PaymentChannel, ProtocolParams } from "../../types/ethers-contracts/index.js";

type Connection = NetworkConnection;

export interface GovernanceContext {
  connection: Connection;
  deployer: Signer;
  voters: Signer[];
  others: Signer[];
  token: CdnToken;
  timelock: CdnTimelock;
  governor: CdnGovernor;
  params: ProtocolParams;
  usdc: TestUSDC;
  registry: NodeRegistry;
  origins: OriginRegistry;
  blacklist: ContentBlacklist;
  channels: PaymentChannel;
}

/** The devnet deployment (`token`: which USDC-shaped test token, default TestUSDC) with three funded voters. */
export async function deployGovernance(connection: Connection, usdcToken: TestToken = "TestUSDC"): Promise<GovernanceContext> {
  const { ethers, ignition } = connection;
  const deployed = await ignition.deploy(devnetModule(usdcToken), { parameters: loadParameters("localhost") as DeploymentParameters });
  const [deployer, v1, v2, v3, ...others] = await ethers.getSigners();
  const token = deployed.token as unknown as CdnToken;
  const voters = [v1, v2, v3];
  for (const voter of voters) {
    await token.connect(deployer).transfer(await voter.getAddress(), ethers.parseEther("10000000"));
    await token.connect(voter).delegate(await voter.getAddress());
  }
  return {
    connection,
    deployer,
    voters,
    others,
    token,
    timelock: deployed.timelock as unknown as CdnTimelock,
    governor: deployed.governor as unknown as CdnGovernor,
    params: deployed.params as unknown as ProtocolParams,
    usdc: deployed.usdc as unknown as TestUSDC,
    registry: deployed.registry as unknown as NodeRegistry,
    origins: deployed.origins as unknown as OriginRegistry,
    blacklist: deployed.blacklist as unknown as ContentBlacklist,
    channels: deployed.channels as unknown as PaymentChannel,
  };
}

export interface Action {
  target: BaseContract;
  data: string;
}

/** One call for a proposal: `call(params, "setParameter", [key, value])`. */
export function call(target: BaseContract, method: string, args: unknown[]): Action {
  return { target, data: target.interface.encodeFunctionData(method, args) };
}

let descriptionCounter = 0;

/** Proposes, votes (all voters for), and queues. Returns what `execute` needs. */
export async function proposeAndQueue(ctx: GovernanceContext, actions: Action[], description?: string) {
  const { governor, voters, connection } = ctx;
  const { networkHelpers } = connection;
  const targets = await Promise.all(actions.map((a) => a.target.getAddress()));
  const values = actions.map(() => 0n);
  const calldatas = actions.map((a) => a.data);
  const text = description ?? `proposal ${++descriptionCounter} ${Date.now()}`;
  const descriptionHash = id(text);
  await governor.connect(voters[0]).propose(targets, values, calldatas, text);
  const proposalId = await governor.hashProposal(targets, values, calldatas, descriptionHash);
  await networkHelpers.mineUpTo((await governor.proposalSnapshot(proposalId)) + 1n);
  for (const voter of voters) await governor.connect(voter).castVote(proposalId, 1);
  await networkHelpers.mineUpTo((await governor.proposalDeadline(proposalId)) + 1n);
  await governor.queue(targets, values, calldatas, descriptionHash);
  await networkHelpers.time.increaseTo(await governor.proposalEta(proposalId));
  return {
    proposalId,
    execute: (): Promise<ContractTransactionResponse> => governor.execute(targets, values, calldatas, descriptionHash),
  };
}

/** Full cycle: propose, vote, queue, wait, execute. Returns the execute transaction. */
export async function passProposal(ctx: GovernanceContext, actions: Action[], description?: string) {
  const { execute } = await proposeAndQueue(ctx, actions, description);
  return execute();
}

export const ROLES = {
  DEFAULT_ADMIN: "0x" + "00".repeat(32),
  PROPOSER: id("PROPOSER_ROLE"),
  EXECUTOR: id("EXECUTOR_ROLE"),
  CANCELLER: id("CANCELLER_ROLE"),
};

export const DAY = 24 * 60 * 60;
