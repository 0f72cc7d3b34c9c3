/**
 * What the node's handlers read from the chain, behind an interface so tests can inject one.
 * `nodeChainView` reads the RPC on every call; the node agent uses the followed ChainView
 * (agents/node/chain-view.ts), which answers from memory within a staleness bound.
 */
import { chainTime, headBlock, readChannel, type BlockRef, type ChannelState, type Contracts } from "../chain/contracts.js";
import type { Eip712Domain } from "../protocol/eip712-fast.js";

export interface NodeChainView {
  /** PaymentChannel EIP-712 domain (vouchers, serve commitments). */
  readonly channelDomain: Eip712Domain;
  chainTime(): Promise<bigint>;
  /** The latest block: serve commitments are anchored to it (its timestamp is chain time). */
  head(): Promise<BlockRef>;
  isBlacklisted(blobId: string): Promise<boolean>;
  channel(channelId: string): Promise<ChannelState>;
  /**
   * A followed view (agents/node/chain-view.ts) may lag the payer's own open or top-up by one poll:
   * this reads the channel from the chain now (and updates the view). Used only before refusing.
   */
  freshChannel?(channelId: string): Promise<ChannelState>;
}

export function nodeChainView(contracts: Contracts): NodeChainView {
  return {
    channelDomain: contracts.domains.paymentChannel,
    chainTime: () => chainTime(contracts.provider),
    head: () => headBlock(contracts.provider),
    isBlacklisted: (blobId) => contracts.blacklist.isBlacklisted(blobId),
    channel: (channelId) => readChannel(contracts.channels, channelId),
  };
}
