/**
 * What the client reads from the chain, behind an interface so tests can inject one: chain time,
 * node lookups (by key, and the active set for bootstrap), origin content keys, the blacklist.
 */
import { blockAt, chainTime, headBlock, type BlockRef, type Contracts } from "../chain/contracts.js";
import { dialableNodes, type DialableNode } from "../chain/registry.js";
import type { Eip712Domain } from "../protocol/eip712-fast.js";

/** An active node with its multiaddrs (agents/chain/registry.ts). */
export type ActiveNode = DialableNode;

export interface ClientChainView {
  readonly channelDomain: Eip712Domain;
  readonly originDomain: Eip712Domain;
  chainTime(): Promise<bigint>;
  /** The latest block (chain time and the reference for a serve commitment's anchor). */
  head(): Promise<BlockRef>;
  /** Block `number` (a serve commitment's anchor), or undefined if this chain has none. */
  block(number: bigint): Promise<BlockRef | undefined>;
  /** The node key is the current key of an active node: its id and price; else undefined. */
  activeNode(nodeKey: string): Promise<{ nodeId: bigint; pricePerGiB: bigint } | undefined>;
  activeNodes(): Promise<ActiveNode[]>;
  /** The content key of an origin's epoch, if the origin is recognized and the epoch not revoked. */
  contentKey(origin: bigint, epoch: bigint): Promise<string | undefined>;
  /** Whether `contentKey(origin, epoch)` answers from its cache (no chain read): for the first-byte report. */
  hasContentKey?(origin: bigint, epoch: bigint): boolean;
  isBlacklisted(blobId: string): Promise<boolean>;
}

/** How long an origin epoch's content key is reused (ms). */
const CONTENT_KEY_TTL_MS = 60_000;

export function clientChainView(contracts: Contracts): ClientChainView {
  const keys = new Map<string, { key: string | undefined; at: number }>();
  return {
    channelDomain: contracts.domains.paymentChannel,
    originDomain: contracts.domains.originRegistry,
    chainTime: () => chainTime(contracts.provider),
    head: () => headBlock(contracts.provider),
    block: (number) => blockAt(contracts.provider, number),
    async activeNode(nodeKey) {
      if (!(await contracts.registry.isActive(nodeKey))) return undefined;
      const [nodeId, node] = await contracts.registry.nodeOf(nodeKey);
      return { nodeId, pricePerGiB: node.pricePerGiB };
    },
    activeNodes: () => dialableNodes(contracts.registry),
    hasContentKey(origin, epoch) {
      const hit = keys.get(`${origin}:${epoch}`);
      return hit !== undefined && Date.now() - hit.at < CONTENT_KEY_TTL_MS;
    },
    async contentKey(origin, epoch) {
      const id = `${origin}:${epoch}`;
      const hit = keys.get(id);
      if (hit && Date.now() - hit.at < CONTENT_KEY_TTL_MS) return hit.key;
      let key: string | undefined;
      if (await contracts.origins.isRecognized(origin)) {
        const [k, revoked] = await contracts.origins.contentKeyOf(origin, epoch);
        key = revoked || /^0x0{40}$/i.test(k) ? undefined : k.toLowerCase();
      }
      keys.set(id, { key, at: Date.now() });
      return key;
    },
    isBlacklisted: (blobId) => contracts.blacklist.isBlacklisted(blobId),
  };
}
