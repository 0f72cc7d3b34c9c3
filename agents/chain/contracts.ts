/**
 * Typed contract access for agents: connects the TypeChain bindings to the addresses of a
 * deployment file, plus the few reads every agent needs (chain time, EIP-712 domains, channels,
 * nodes, origins, blacklist). Agents reach contracts only through this module.
 */
import { JsonRpcProvider, type ContractRunner, type Network, type Provider } from "ethers";
import {
  ContentBlacklist__factory,
  IUSDC__factory,
  NodeRegistry__factory,
  OriginRegistry__factory,
  PaymentChannel__factory,
  ProtocolParams__factory,
  type ContentBlacklist,
  type IUSDC,
  type NodeRegistry,
  type OriginRegistry,
  type PaymentChannel,
  type ProtocolParams,
} from "../../types/ethers-contracts/index.js";
import { domainFor } from "../protocol/eip712.js";
import { Eip712Domain } from "../protocol/eip712-fast.js";
import { addressOf, readDeployment, type Deployment } from "./deployment.js";
import { CdnError } from "../protocol/errors.js";
import type { BlockRef } from "../protocol/signed.js";

export interface Contracts {
  deployment: Deployment;
  chainId: bigint;
  provider: Provider;
  registry: NodeRegistry;
  params: ProtocolParams;
  origins: OriginRegistry;
  blacklist: ContentBlacklist;
  channels: PaymentChannel;
  /** The USDC token: what agents use of it (ERC-20, EIP-2612 permit, blacklist, pause). */
  usdc: IUSDC;
  /** The token's permit domain when it publishes neither EIP-5267 nor name()/version() (config or deployment file). */
  usdcPermitDomain?: { name: string; version: string };
  /** EIP-712 domains (fast path) of the protocol contracts. */
  domains: { paymentChannel: Eip712Domain; originRegistry: Eip712Domain; nodeRegistry: Eip712Domain };
}

export class ChainError extends CdnError {
  readonly code = "ERR_CHAIN";
}

/**
 * Connects every contract of `deployment` to `runner` (a provider for reads, a wallet for writes).
 * `options.usdcPermitDomain` (an agent's config) overrides the deployment file's.
 */
export function connectContracts(deployment: Deployment, runner: ContractRunner & { provider: Provider | null }, options: { usdcPermitDomain?: { name: string; version: string } } = {}): Contracts {
  const provider = (runner.provider ?? runner) as Provider;
  const chainId = BigInt(deployment.chainId);
  const channelsAddress = addressOf(deployment, "PaymentChannel");
  const originsAddress = addressOf(deployment, "OriginRegistry");
  const registryAddress = addressOf(deployment, "NodeRegistry");
  return {
    deployment,
    chainId,
    provider,
    registry: NodeRegistry__factory.connect(registryAddress, runner),
    params: ProtocolParams__factory.connect(addressOf(deployment, "ProtocolParams"), runner),
    origins: OriginRegistry__factory.connect(originsAddress, runner),
    blacklist: ContentBlacklist__factory.connect(addressOf(deployment, "ContentBlacklist"), runner),
    channels: PaymentChannel__factory.connect(channelsAddress, runner),
    usdc: IUSDC__factory.connect(deployment.usdc, runner),
    usdcPermitDomain: options.usdcPermitDomain ?? deployment.usdcPermitDomain,
    domains: {
      paymentChannel: Eip712Domain.from(domainFor("paymentChannel", chainId, channelsAddress)),
      originRegistry: Eip712Domain.from(domainFor("originRegistry", chainId, originsAddress)),
      nodeRegistry: Eip712Domain.from(domainFor("nodeRegistry", chainId, registryAddress)),
    },
  };
}

/** Opens a JSON-RPC provider, asks its chain id, and reads that chain's deployment file. */
export async function connectRpc(rpcUrl: string, deploymentsDir?: string): Promise<{ provider: JsonRpcProvider; deployment: Deployment }> {
  // batchStallTime 0: a call leaves at the end of its tick (the calls of one tick still share a batch) instead of 10 ms later
  const options = { polling: true, pollingInterval: 500, batchStallTime: 0 };
  const detecting = new JsonRpcProvider(rpcUrl, undefined, { ...options, staticNetwork: false });
  let network: Network;
  try {
    network = await detecting.getNetwork();
  } catch (cause) {
    throw new ChainError(`Cannot reach the chain at ${rpcUrl}.`, { cause });
  } finally {
    detecting.destroy();
  }
  // the network is fixed once detected: otherwise ethers adds an eth_chainId check to every request (about half the calls an idle node made)
  const provider = new JsonRpcProvider(rpcUrl, network, { ...options, staticNetwork: network });
  return { provider, deployment: readDeployment(network.chainId, deploymentsDir) };
}

export type { BlockRef };

/** The latest block (a node anchors its serve commitments to it; its timestamp is chain time). */
export async function headBlock(provider: Provider): Promise<BlockRef> {
  const block = await provider.getBlock("latest");
  if (!block?.hash) throw new ChainError("The chain returned no latest block.");
  return { number: BigInt(block.number), hash: block.hash.toLowerCase(), timestamp: BigInt(block.timestamp) };
}

/** Block `number`, or undefined if this chain has none. */
export async function blockAt(provider: Provider, number: bigint): Promise<BlockRef | undefined> {
  const block = await provider.getBlock(Number(number));
  if (!block?.hash) return undefined;
  return { number: BigInt(block.number), hash: block.hash.toLowerCase(), timestamp: BigInt(block.timestamp) };
}

/** Chain time: the latest block's timestamp (unix seconds). */
export async function chainTime(provider: Provider): Promise<bigint> {
  const block = await provider.getBlock("latest");
  if (!block) throw new ChainError("The chain returned no latest block.");
  return BigInt(block.timestamp);
}

/** chainTime read at most once per `ttlMs` (for checks that tolerate seconds of staleness and may be asked often). */
export function cachedChainTime(provider: Provider, ttlMs = 5_000): () => Promise<bigint> {
  let last: { at: number; time: Promise<bigint> } | undefined;
  return () => {
    if (!last || Date.now() - last.at >= ttlMs) {
      const time = chainTime(provider);
      last = { at: Date.now(), time };
      time.catch(() => (last = undefined));
    }
    return last.time;
  };
}

export const CHANNEL_STATUS = ["None", "Open", "Closing", "Closed"] as const;
export type ChannelStatusName = (typeof CHANNEL_STATUS)[number];

export interface ChannelState {
  channelId: string;
  payer: string;
  status: ChannelStatusName;
  nodeKey: string;
  nodeId: bigint;
  operator: string;
  voucherSigner: string;
  signerExpiry: bigint;
  openedAt: bigint;
  closesAt: bigint;
  feeBps: number;
  deposit: bigint;
  paid: bigint;
}

/** A channel as agents use it (addresses lower-cased), from the contract's ChannelInfo. */
export function toChannelState(channelId: string, c: Awaited<ReturnType<PaymentChannel["getChannel"]>>): ChannelState {
  return {
    channelId: channelId.toLowerCase(),
    payer: c.payer.toLowerCase(),
    status: CHANNEL_STATUS[Number(c.status)],
    nodeKey: c.nodeKey.toLowerCase(),
    nodeId: c.nodeId,
    operator: c.operator.toLowerCase(),
    voucherSigner: c.voucherSigner.toLowerCase(),
    signerExpiry: c.signerExpiry,
    openedAt: c.openedAt,
    closesAt: c.closesAt,
    feeBps: Number(c.feeBps),
    deposit: c.deposit,
    paid: c.paid,
  };
}

export async function readChannel(channels: PaymentChannel, channelId: string): Promise<ChannelState> {
  return toChannelState(channelId, await channels.getChannel(channelId));
}

/** Many channels in one call (PaymentChannel.getChannels). */
export async function readChannels(channels: PaymentChannel, channelIds: string[]): Promise<ChannelState[]> {
  if (channelIds.length === 0) return [];
  const infos = await channels.getChannels(channelIds);
  return infos.map((info, i) => toChannelState(channelIds[i], info));
}

/** Whether `signer` may sign vouchers for the channel at `now`: the payer always, a session key until its expiry. */
export function isVoucherSigner(channel: ChannelState, signer: string, now: bigint): boolean {
  const s = signer.toLowerCase();
  if (s === channel.payer) return true;
  return s === channel.voucherSigner && (channel.signerExpiry === 0n || now <= channel.signerExpiry);
}
