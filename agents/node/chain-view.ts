/**
 * The node's followed chain view: what the fetch path checks before it signs anything (the
 * deny-set, the state of the channels it serves, chain time), kept up to date from one head poll
 * and one `eth_getLogs` per new head instead of reads on every request, so a warm request costs
 * no chain round trip.
 *
 * - Every `pollMs` one `eth_getBlockByNumber(latest)` gives chain time and the head; if the head
 *   moved, one `eth_getLogs` over the watched contracts says what changed. A channel event re-reads
 *   the channels it names (one `getChannels` call); a ContentBlacklist event re-reads the deny-set;
 *   NodeRegistry / ProtocolParams events refresh the active set, OriginRegistry events the node's
 *   origin status (the `on*` hooks). A gap longer than `maxLogRange` re-reads everything.
 * - A channel the view has not seen is read once on first use, at the latest block (then followed);
 *   a read that races with an event for the same channel is repeated, so the view never keeps a
 *   state older than an event it processed.
 * - Staleness bound: every successful poll marks the FreshnessGuard; while the last one is older
 *   than `maxLagMs` (default 60 s, half the clients' 120 s serve-commitment skew) every read throws
 *   the mesh's StaleChainViewError and the fetch path refuses BUSY. It never serves on a stale view.
 *
 * - Reorgs: the view follows the head (no confirmation depth) and checks that the chain it
 *   processed is still canonical: a new head must descend from the last processed block (its
 *   parent hash, or that block's hash read again when the poll skipped blocks). If not, the events
 *   it applied may be gone (a blacklist removal, a registration), so everything is re-read at the
 *   new head (`onReorg`, stats.reorgs): what a dropped event had changed is undone at the next poll.
 * - Events only say what to re-read: every change comes from reading the contracts' state, never
 *   from a log's contents, so a log cannot add a stranger to the active set or lift a blacklist
 *   entry by itself. Earnings, which move money, keep their own confirmed follower
 *   (agents/chain/follower.ts).
 */
import type { Log, Provider } from "ethers";
import type { BlockRef, ChannelState } from "../chain/contracts.js";
import type { Eip712Domain } from "../protocol/eip712-fast.js";
import type { FreshnessGuard } from "../mesh/freshness.js";
import { StaleChainViewError } from "../mesh/errors.js";
import type { NodeChainView } from "./chain.js";

export interface ChainViewOptions {
  /** Head poll period (ms, default 1000). */
  pollMs?: number;
  /** Reads throw StaleChainViewError while the last successful poll is older than this (ms, default 60 s). */
  maxLagMs?: number;
  /** Largest eth_getLogs block range; a longer gap re-reads everything (default 2000). */
  maxLogRange?: number;
  /** Most channels followed; the least recently used are dropped beyond it (default 100,000). */
  maxChannels?: number;
}

export interface ChainViewDeps {
  provider: Pick<Provider, "getBlock" | "getLogs">;
  /** PaymentChannel EIP-712 domain (vouchers, serve commitments). */
  channelDomain: Eip712Domain;
  /** Contract addresses whose logs are followed. */
  addresses: { channels: string; blacklist: string; registry?: string; params?: string; origins?: string };
  /** Channels at the chain's latest block (PaymentChannel.getChannels). */
  readChannels(channelIds: string[]): Promise<ChannelState[]>;
  /** The deny-set (agents/mesh/blacklist.ts BlacklistView), synchronous. */
  isBlacklisted(blobId: string): boolean;
  /** Re-read the deny-set (a ContentBlacklist event). */
  onBlacklistEvent?(): Promise<void>;
  /** Refresh the active set (a NodeRegistry or ProtocolParams event). */
  onRegistryEvent?(): Promise<void>;
  /** Refresh the node's origin status (an OriginRegistry event). */
  onOriginEvent?(): Promise<void>;
  freshness?: FreshnessGuard;
  now?: () => number;
  onError?(error: Error): void;
}

interface Head {
  number: number;
  hash: string;
  timestamp: bigint;
  /** Local time of the poll that saw it (ms). */
  at: number;
}

export class ChainView implements NodeChainView {
  readonly channelDomain: Eip712Domain;
  private readonly opts: Required<ChainViewOptions>;
  private readonly now: () => number;
  private latest: Head | undefined;
  /** Last block whose logs were processed, and its hash. */
  private processed = -1;
  private processedHash = "";
  private readonly channels = new Map<string, ChannelState>();
  /** Channels being read on demand; an event for one of them makes the read repeat. */
  private readonly reading = new Map<string, { dirty: boolean }>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private ticking: Promise<void> | undefined;
  private queue: Promise<void> = Promise.resolve();
  stats = { polls: 0, failures: 0, logs: 0, channelReads: 0, fullRefreshes: 0, reorgs: 0 };

  constructor(
    options: ChainViewOptions,
    private readonly deps: ChainViewDeps,
  ) {
    this.opts = { pollMs: options.pollMs ?? 1000, maxLagMs: options.maxLagMs ?? 60_000, maxLogRange: options.maxLogRange ?? 2000, maxChannels: options.maxChannels ?? 100_000 };
    this.channelDomain = deps.channelDomain;
    this.now = deps.now ?? Date.now;
  }

  /** First poll (throws if the chain cannot be read), then one every pollMs. */
  async start(): Promise<void> {
    await this.poll();
    this.running = true;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.ticking;
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.ticking = this.poll()
        .catch((e: unknown) => {
          this.stats.failures++;
          this.deps.onError?.(e as Error);
        })
        .finally(() => {
          this.ticking = undefined;
          this.schedule();
        });
    }, this.opts.pollMs);
    this.timer.unref?.();
  }

  /** One poll (after any poll in progress): the head, and the logs since the last processed block. */
  poll(): Promise<void> {
    const next = this.queue.then(() => this.pollOnce());
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async pollOnce(): Promise<void> {
    const started = this.now();
    const block = await this.deps.provider.getBlock("latest");
    if (!block) throw new Error("the chain returned no latest block");
    if (!block.hash) throw new Error("the chain returned the latest block without its hash");
    this.stats.polls++;
    const hash = block.hash.toLowerCase();
    if (this.processed < 0) this.markProcessed(block.number, hash);
    else if (await this.reorged(block.number, hash, block.parentHash)) {
      this.stats.reorgs++;
      await this.refreshAll();
      this.markProcessed(block.number, hash);
    } else if (block.number > this.processed) {
      if (block.number - this.processed > this.opts.maxLogRange) await this.refreshAll();
      else {
        const { channels, blacklist, registry, params, origins } = this.deps.addresses;
        const address = [channels, blacklist, registry, params, origins].filter((a): a is string => a !== undefined);
        // a reorg between the head read and this one is found at the next poll (the head's hash is kept)
        const logs = await this.deps.provider.getLogs({ address, fromBlock: this.processed + 1, toBlock: block.number });
        await this.apply(logs);
      }
      this.markProcessed(block.number, hash);
    }
    if (!this.latest || block.number >= this.latest.number) this.latest = { number: block.number, hash, timestamp: BigInt(block.timestamp), at: started };
    else this.latest.at = started;
    this.deps.freshness?.markFresh(started);
  }

  private markProcessed(blockNumber: number, hash: string): void {
    this.processed = blockNumber;
    this.processedHash = hash;
  }

  /**
   * Whether the head (`number`, `hash`, `parentHash`) does not descend from the last processed
   * block: the same height with another hash, a shorter chain, a parent that is not it, or (when
   * blocks were skipped) that block number now holding another block.
   */
  private async reorged(number: number, hash: string, parentHash: string): Promise<boolean> {
    // a lower head is a lagging RPC backend, not a reorg (a shorter fork is found when the head passes the processed block)
    if (number < this.processed) return false;
    if (number === this.processed) return hash !== this.processedHash;
    if (number === this.processed + 1) return parentHash.toLowerCase() !== this.processedHash;
    const then = await this.deps.provider.getBlock(this.processed);
    return then?.hash?.toLowerCase() !== this.processedHash;
  }

  private async apply(logs: Log[]): Promise<void> {
    this.stats.logs += logs.length;
    const a = this.deps.addresses;
    const is = (log: Log, address: string | undefined) => address !== undefined && log.address.toLowerCase() === address.toLowerCase();
    const touched = new Set<string>();
    let blacklist = false;
    let registry = false;
    let origins = false;
    for (const log of logs) {
      if (is(log, a.channels)) {
        // every channel event but the account-level ones (PayoutDeferred, Withdrawn, NodeCreditWithdrawn, EvidenceCommitted) names the channel: topic 1, or topic 3 for NodeSlashed
        for (const t of log.topics.slice(1)) {
          const id = t.toLowerCase();
          if (this.channels.has(id)) touched.add(id);
          const pending = this.reading.get(id);
          if (pending) pending.dirty = true;
        }
      } else if (is(log, a.blacklist)) blacklist = true;
      else if (is(log, a.registry) || is(log, a.params)) registry = true;
      else if (is(log, a.origins)) origins = true;
    }
    const jobs: Promise<unknown>[] = [];
    if (touched.size > 0) jobs.push(this.reread([...touched]));
    if (blacklist && this.deps.onBlacklistEvent) jobs.push(this.deps.onBlacklistEvent());
    if (registry && this.deps.onRegistryEvent) jobs.push(this.deps.onRegistryEvent());
    if (origins && this.deps.onOriginEvent) jobs.push(this.deps.onOriginEvent());
    await Promise.all(jobs);
  }

  private async refreshAll(): Promise<void> {
    this.stats.fullRefreshes++;
    for (const pending of this.reading.values()) pending.dirty = true;
    await Promise.all([this.channels.size > 0 ? this.reread([...this.channels.keys()]) : undefined, this.deps.onBlacklistEvent?.(), this.deps.onRegistryEvent?.(), this.deps.onOriginEvent?.()]);
  }

  private async reread(ids: string[]): Promise<void> {
    this.stats.channelReads++;
    const states = await this.deps.readChannels(ids);
    for (const s of states) this.remember(s);
  }

  private remember(state: ChannelState): void {
    const id = state.channelId.toLowerCase();
    this.channels.delete(id); // re-insert: the map's order is least recently used first
    this.channels.set(id, state);
    if (this.channels.size > this.opts.maxChannels) this.channels.delete(this.channels.keys().next().value as string);
  }

  /** Age of the view (ms since the last successful poll; Infinity before the first). */
  ageMs(): number {
    return this.latest ? Math.max(0, this.now() - this.latest.at) : Infinity;
  }

  isFresh(): boolean {
    return this.ageMs() <= this.opts.maxLagMs;
  }

  private assertFresh(): void {
    if (!this.isFresh()) throw new StaleChainViewError(this.ageMs(), this.opts.maxLagMs);
  }

  /** The head block number the view is at. */
  get blockNumber(): number {
    return this.latest?.number ?? -1;
  }

  /** Chain time: the head's timestamp as of the last poll. */
  chainTime(): Promise<bigint> {
    try {
      this.assertFresh();
      return Promise.resolve(this.latest!.timestamp);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** The head block as of the last poll (serve commitments are anchored to it). */
  head(): Promise<BlockRef> {
    try {
      this.assertFresh();
      const h = this.latest!;
      return Promise.resolve({ number: BigInt(h.number), hash: h.hash, timestamp: h.timestamp });
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  isBlacklisted(blobId: string): Promise<boolean> {
    try {
      this.assertFresh();
      return Promise.resolve(this.deps.isBlacklisted(blobId));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** A channel's state: from the view, or read once at the view's head and followed from then on. */
  async channel(channelId: string): Promise<ChannelState> {
    this.assertFresh();
    const id = channelId.toLowerCase();
    const held = this.channels.get(id);
    if (held) {
      this.remember(held);
      return held;
    }
    const pending = { dirty: false };
    this.reading.set(id, pending);
    try {
      for (;;) {
        pending.dirty = false;
        this.stats.channelReads++;
        // at the latest block (a channel opened in a block the view has not polled yet is found)
        const [state] = await this.deps.readChannels([id]);
        // an event for it was processed while reading: read again
        if (pending.dirty) continue;
        // a channel that does not exist yet is not followed (it may be opened in the next block)
        if (state.status !== "None") this.remember(state);
        return state;
      }
    } finally {
      this.reading.delete(id);
    }
  }

  /** The channel at the latest block, now (a refusal's second look: the view may lag the payer's own open or top-up by a poll). */
  async freshChannel(channelId: string): Promise<ChannelState> {
    this.assertFresh();
    const id = channelId.toLowerCase();
    this.stats.channelReads++;
    const [state] = await this.deps.readChannels([id]);
    if (state.status !== "None") this.remember(state);
    return state;
  }

  /** Channels followed (tests, status). */
  get followed(): number {
    return this.channels.size;
  }
}
