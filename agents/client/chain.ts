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
  /**
   * The latest block (chain time and the reference for a serve commitment's anchor); may be a few
   * seconds old unless `fresh`. With `atLeast`: a head at or past that block number if the chain has
   * one (the one remembered, else the read in flight, else a read now).
   */
  head(options?: { fresh?: boolean; atLeast?: bigint }): Promise<BlockRef>;
  /** Block `number` (a serve commitment's anchor), or undefined if this chain has none; recent blocks answer from memory. */
  block(number: bigint): Promise<BlockRef | undefined>;
  /** The node key is the current key of an active node: its id and price; else undefined. */
  activeNode(nodeKey: string): Promise<{ nodeId: bigint; pricePerGiB: bigint } | undefined>;
  activeNodes(): Promise<ActiveNode[]>;
  /** The content key of an origin's epoch, if the origin is recognized and the epoch not revoked. */
  contentKey(origin: bigint, epoch: bigint): Promise<string | undefined>;
  /** Whether `contentKey(origin, epoch)` answers from its cache (no chain read): for the first-byte report. */
  hasContentKey?(origin: bigint, epoch: bigint): boolean;
  /** Whether the blob is on the on-chain blacklist (an answer may be reused for a minute). */
  isBlacklisted(blobId: string): Promise<boolean>;
}

/** How long an origin epoch's content key is reused (ms). */
const CONTENT_KEY_TTL_MS = 60_000;

export interface ClientChainViewOptions {
  /**
   * How long a head block read is reused as is (ms, default 1,000: the nodes' own head poll). A
   * serve commitment's timestamp is checked against it with a 120-s skew, so a second of age is
   * noise; a commitment anchored past it makes the check read the head again.
   */
  headMaxAgeMs?: number;
  /**
   * Past `headMaxAgeMs` and up to this age (ms, default 10,000) the head is still answered from
   * memory while a fresh read runs in the background (the next request gets it); older, the
   * caller waits for the read.
   */
  headStaleMs?: number;
  /** How long a blacklist answer for a blob is reused (ms, default 60,000; nodes refuse listed blobs on their own). */
  blacklistTtlMs?: number;
}

/** Blocks kept by number (a serve commitment's anchor is at most 64 blocks behind the head). */
const RECENT_BLOCKS = 128;

/**
 * The head block (reused for `maxAgeMs`, then refreshed in the background up to `staleMs`; one
 * read at a time) and the blocks seen recently, by number: a commitment anchored to a block the
 * client read as its head earlier (a node whose view is a block behind) costs no chain read.
 */
class RecentBlocks {
  private latest: { at: number; block: BlockRef } | undefined;
  private reading: Promise<BlockRef> | undefined;
  private readonly byNumber = new Map<bigint, BlockRef>();

  constructor(
    private readonly provider: Contracts["provider"],
    private readonly maxAgeMs: number,
    private readonly staleMs: number,
  ) {}

  head(fresh = false, atLeast?: bigint): Promise<BlockRef> {
    if (atLeast !== undefined) return this.headAtLeast(atLeast);
    const age = this.latest && !fresh ? performance.now() - this.latest.at : Infinity;
    if (age < this.maxAgeMs) return Promise.resolve(this.latest!.block);
    const reading = this.read(fresh);
    if (age >= Math.max(this.staleMs, this.maxAgeMs)) return reading;
    reading.catch(() => undefined); // a background refresh: the next request retries
    return Promise.resolve(this.latest!.block);
  }

  /** A head at or past `number`: the remembered one, else the read in flight if it gets there, else a read now. */
  private async headAtLeast(number: bigint): Promise<BlockRef> {
    if (this.latest && this.latest.block.number >= number) return this.latest.block;
    const inFlight = this.reading;
    if (inFlight) {
      const block = await inFlight.catch(() => undefined);
      if (block && block.number >= number) return block;
      if (this.latest && this.latest.block.number >= number) return this.latest.block;
    }
    return this.read(true);
  }

  /** One read at a time, except a `fresh` one: a read already in flight may have left before the block the caller knows of. */
  private read(fresh: boolean): Promise<BlockRef> {
    if (this.reading && !fresh) return this.reading;
    const reading: Promise<BlockRef> = headBlock(this.provider)
      .then((block) => {
        if (!this.latest || block.number >= this.latest.block.number) this.latest = { at: performance.now(), block };
        return this.keep(block);
      })
      .finally(() => {
        if (this.reading === reading) this.reading = undefined;
      });
    this.reading = reading;
    return reading;
  }

  async block(number: bigint): Promise<BlockRef | undefined> {
    const hit = this.byNumber.get(number);
    if (hit) return hit;
    const block = await blockAt(this.provider, number);
    return block && this.keep(block);
  }

  private keep(block: BlockRef): BlockRef {
    this.byNumber.set(block.number, block);
    if (this.byNumber.size > RECENT_BLOCKS) this.byNumber.delete(this.byNumber.keys().next().value as bigint);
    return block;
  }
}

/** `fn(key)` reused for `ttlMs` per key (failures are not kept). */
function cachedFor<T>(ttlMs: number, fn: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const hits = new Map<string, { at: number; value: Promise<T> }>();
  return (key) => {
    const hit = hits.get(key);
    if (hit && performance.now() - hit.at < ttlMs) return hit.value;
    const entry = { at: performance.now(), value: fn(key) };
    entry.value.catch(() => hits.delete(key));
    hits.set(key, entry);
    if (hits.size > 10_000) hits.delete(hits.keys().next().value as string);
    return entry.value;
  };
}

export function clientChainView(contracts: Contracts, options: ClientChainViewOptions = {}): ClientChainView {
  const keys = new Map<string, { key: string | undefined; at: number }>();
  const reading = new Map<string, Promise<string | undefined>>();
  /** Reads an origin epoch's content key (recognized, not revoked: both reads at once), one read per key at a time. */
  const refreshKey = (origin: bigint, epoch: bigint): Promise<string | undefined> => {
    const id = `${origin}:${epoch}`;
    const running = reading.get(id);
    if (running) return running;
    const read = Promise.all([contracts.origins.isRecognized(origin), contracts.origins.contentKeyOf(origin, epoch)])
      .then(([recognized, [k, revoked]]) => {
        const key = !recognized || revoked || /^0x0{40}$/i.test(k) ? undefined : k.toLowerCase();
        keys.set(id, { key, at: Date.now() });
        return key;
      })
      .finally(() => reading.delete(id));
    reading.set(id, read);
    return read;
  };
  const blocks = new RecentBlocks(contracts.provider, options.headMaxAgeMs ?? 1_000, options.headStaleMs ?? 10_000);
  const blacklisted = cachedFor(options.blacklistTtlMs ?? 60_000, (blobId) => contracts.blacklist.isBlacklisted(blobId));
  return {
    channelDomain: contracts.domains.paymentChannel,
    originDomain: contracts.domains.originRegistry,
    chainTime: () => chainTime(contracts.provider),
    head: (o) => blocks.head(o?.fresh, o?.atLeast),
    block: (number) => blocks.block(number),
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
      const age = hit ? Date.now() - hit.at : Infinity;
      if (age < CONTENT_KEY_TTL_MS) {
        // a key in use is read again in the background past half its TTL: no fetch waits for it, none gets an answer older than the TTL
        if (age > CONTENT_KEY_TTL_MS / 2) refreshKey(origin, epoch).catch(() => undefined);
        return hit!.key;
      }
      return refreshKey(origin, epoch);
    },
    isBlacklisted: (blobId) => blacklisted(blobId.toLowerCase()),
  };
}
