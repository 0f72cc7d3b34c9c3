/** What every task needs: the network connection, the deployment file and typed contracts. */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { isAddress, type Signer } from "ethers";
import { readDeployment, addressOf, type Deployment } from "../../agents/chain/deployment.js";
import type { CdnGovernor, CdnTimelock, CdnToken, ContentBlacklist, NodeRegistry, OriginRegistry, PaymentChannel, ProtocolParams } from "../../types/ethers-contracts/index.js";
import { UserError } from "./errors.js";

export interface TaskContext {
  hre: HardhatRuntimeEnvironment;
  ethers: Awaited<ReturnType<HardhatRuntimeEnvironment["network"]["connect"]>>["ethers"];
  provider: Awaited<ReturnType<HardhatRuntimeEnvironment["network"]["connect"]>>["provider"];
  chainId: bigint;
  deployment: Deployment;
  governor: CdnGovernor;
  timelock: CdnTimelock;
  token: CdnToken;
  params: ProtocolParams;
  registry: NodeRegistry;
  origins: OriginRegistry;
  blacklist: ContentBlacklist;
  channels: PaymentChannel;
}

export async function taskContext(hre: HardhatRuntimeEnvironment): Promise<TaskContext> {
  const connection = await hre.network.getOrCreate();
  const { ethers } = connection;
  let chainId: bigint;
  try {
    chainId = (await ethers.provider.getNetwork()).chainId;
  } catch (cause) {
    throw new UserError(`Cannot reach the chain of network "${connection.networkName}" (is it running? on a local machine: \`npm run devnet\`).`, { cause });
  }
  const deployment = readDeployment(chainId);
  const at = async <T>(name: Parameters<typeof addressOf>[1]) => (await ethers.getContractAt(name, addressOf(deployment, name))) as unknown as T;
  return {
    hre,
    ethers,
    provider: connection.provider,
    chainId,
    deployment,
    governor: await at<CdnGovernor>("CdnGovernor"),
    timelock: await at<CdnTimelock>("CdnTimelock"),
    token: await at<CdnToken>("CdnToken"),
    params: await at<ProtocolParams>("ProtocolParams"),
    registry: await at<NodeRegistry>("NodeRegistry"),
    origins: await at<OriginRegistry>("OriginRegistry"),
    blacklist: await at<ContentBlacklist>("ContentBlacklist"),
    channels: await at<PaymentChannel>("PaymentChannel"),
  };
}

/** `--node` as a node id ("3") or a node key address; returns the node id of a registered node. */
export async function resolveNode(ctx: TaskContext, node: string): Promise<bigint> {
  const text = node.trim();
  if (!text) throw new UserError("--node is required: a node id or a node key address.");
  let nodeId: bigint;
  if (/^\d+$/.test(text)) nodeId = BigInt(text);
  else if (isAddress(text)) nodeId = await ctx.registry.nodeIdOf(text);
  else throw new UserError(`--node must be a node id or a node key address, not "${node}".`);
  if (nodeId === 0n || nodeId > (await ctx.registry.nodeCount())) throw new UserError(`No registered node ${node}.`);
  return nodeId;
}

/** `--blob` as a 32-byte hex blob id. */
export function parseBlobId(blob: string): string {
  const text = blob.trim();
  if (!/^0x[0-9a-fA-F]{64}$/.test(text)) throw new UserError(`--blob must be a blob id (0x and 64 hex digits), not "${blob}".`);
  return text.toLowerCase();
}

export function parseAddress(value: string, option: string): string {
  if (!isAddress(value.trim())) throw new UserError(`--${option} must be an address, not "${value}".`);
  return value.trim();
}

/** `--from` as an account index ("0") or an address among the network's accounts. */
export async function signerFor(ctx: TaskContext, from: string): Promise<Signer> {
  const signers = await ctx.ethers.getSigners();
  if (/^\d+$/.test(from)) {
    const signer = signers[Number(from)];
    if (!signer) throw new UserError(`There is no account #${from} on this network (it has ${signers.length}).`);
    return signer;
  }
  const match = signers.find((s) => s.address.toLowerCase() === from.toLowerCase());
  if (!match) throw new UserError(`${from} is not one of this network's configured accounts.`);
  return match;
}

/** Parses `--id`: a proposal id in decimal or hex. */
export function parseProposalId(id: string): bigint {
  if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(id.trim())) throw new UserError(`"${id}" is not a proposal id (a decimal or 0x number).`);
  return BigInt(id.trim());
}

export const PROPOSAL_STATES = ["Pending", "Active", "Canceled", "Defeated", "Succeeded", "Queued", "Expired", "Executed"];

export interface ProposalRecord {
  id: bigint;
  proposer: string;
  targets: string[];
  values: bigint[];
  calldatas: string[];
  description: string;
  voteStart: bigint;
  voteEnd: bigint;
  blockNumber: number;
}

/** All proposals, from the governor's ProposalCreated events since deployment. */
export async function listProposals(ctx: TaskContext): Promise<ProposalRecord[]> {
  const events = await ctx.governor.queryFilter(ctx.governor.filters.ProposalCreated(), ctx.deployment.deploymentBlock);
  return events.map((e) => ({
    id: e.args.proposalId,
    proposer: e.args.proposer,
    targets: [...e.args.targets],
    values: [...e.args[3]],
    calldatas: [...e.args.calldatas],
    description: e.args.description,
    voteStart: e.args.voteStart,
    voteEnd: e.args.voteEnd,
    blockNumber: e.blockNumber,
  }));
}

export async function findProposal(ctx: TaskContext, id: bigint): Promise<ProposalRecord> {
  const found = (await listProposals(ctx)).find((p) => p.id === id);
  if (!found) throw new UserError(`No proposal ${id} on this chain (see \`npx hardhat gov:list\`).`);
  return found;
}

export { isLocalChain } from "../../agents/chain/deployment.js";
