/**
 * What the node's handlers read from the chain, behind an interface so tests can inject one.
 * Every read used before signing (blacklist, channel, chain time) goes to the RPC: a fresh view.
 */
import { chainTime, readChannel, type ChannelState, type Contracts } from "../chain/contracts.js";
import type { Eip712Domain } from "../protocol/eip712-fast.js";

export interface NodeChainView {
  /** PaymentChannel EIP-712 domain (vouchers, serve commitments). */
  readonly channelDomain: Eip712Domain;
  chainTime(): Promise<bigint>;
  isBlacklisted(blobId: string): Promise<boolean>;
  channel(channelId: string): Promise<ChannelState>;
}

export function nodeChainView(contracts: Contracts): NodeChainView {
  return {
    channelDomain: contracts.domains.paymentChannel,
    chainTime: () => chainTime(contracts.provider),
    isBlacklisted: (blobId) => contracts.blacklist.isBlacklisted(blobId),
    channel: (channelId) => readChannel(contracts.channels, channelId),
  };
}
