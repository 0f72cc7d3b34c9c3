/**
 * What the watchtower reads from the chain, behind an interface so tests can inject one. Every
 * read that authenticates an update goes to the RPC (a fresh view): channel, node keys, time.
 */
import { chainTime, readChannel, readChannels, type ChannelState, type Contracts } from "../chain/contracts.js";
import type { Eip712Domain } from "../protocol/eip712-fast.js";

export interface WatchtowerChainView {
  /** PaymentChannel EIP-712 domain (vouchers and watchtower authorisations). */
  readonly channelDomain: Eip712Domain;
  chainTime(): Promise<bigint>;
  channel(channelId: string): Promise<ChannelState>;
  channels(channelIds: string[]): Promise<ChannelState[]>;
  /** The current key of node `nodeId` (lower case), after any rotation. */
  currentNodeKey(nodeId: bigint): Promise<string>;
  /** For a closing channel: when a watchtower's dispute starts earning a bounty (chain time). */
  bountyFrom(channelId: string): Promise<bigint>;
}

export function watchtowerChainView(contracts: Contracts): WatchtowerChainView {
  return {
    channelDomain: contracts.domains.paymentChannel,
    chainTime: () => chainTime(contracts.provider),
    channel: (channelId) => readChannel(contracts.channels, channelId),
    channels: (ids) => readChannels(contracts.channels, ids),
    currentNodeKey: async (nodeId) => (await contracts.registry.nodeKeyOf(nodeId)).toLowerCase(),
    bountyFrom: (channelId) => contracts.channels.bountyFrom(channelId),
  };
}
