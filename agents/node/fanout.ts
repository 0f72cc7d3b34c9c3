/**
 * Cache-node fan-out: on a miss the node fetches the blob from another holder with the client
 * library (its own key, its own channels, paying upstream), writes each verified byte to the
 * cache (`BlobCache.openWriter`: verified again on commit, temp file + rename) and hands every
 * verified leaf to the downstream streams as it arrives (cut-through). Concurrent requests for
 * one missing blob share one upstream fetch. An arrived leaf is handed to the streams waiting for
 * it and not kept: a stream that asks for it later (it joined late, or reads slower than the
 * upstream arrives) reads it back from the cache's file (the partial one until the blob is
 * committed), so a fan-out holds about one leaf in memory, not the blob.
 *
 * The node pays upstream for every byte it fetches, so a fetch runs at most `aheadBytes` (16 MiB,
 * the largest credit window) ahead of the streams it serves, which pay for what they receive: ahead
 * of the fastest while the cache takes the blob (slower streams read back from the file), ahead of
 * the slowest when it does not. Once its last stream has ended, a fetch is finished only if the
 * cache takes the blob and at most `aheadBytes` of it is left; otherwise it is stopped, paying for
 * what arrived, and nothing is cached. Without that a client could make a cache node buy a 2 GiB
 * blob for the price of one credit window, and, for a blob the cache does not take, hold it all
 * in memory. A blob the cache does not take has no file to read back from: its leaves are held in
 * memory only until every stream reading it has passed them (a stream joining after a leaf it
 * needs was dropped is failed; its client goes elsewhere).
 *
 * What the node may serve comes from the upstream header: the content record, which the client
 * library checks against the origin's content key for (origin, epoch) on chain (a recognized
 * origin, an unrevoked epoch) before any byte is accepted, and the blob's whole leaf layer,
 * checked against the blob id. A downstream stream starts only once both are known.
 *
 * Price rule: a node never pays upstream more per GiB than it charges (`maxPricePerGiB` = its own
 * on-chain price), so a cache miss never costs the node more than the downstream pays it.
 */
import { LEAF_SIZE } from "../protocol/constants.js";
import { leafCount } from "../protocol/merkle.js";
import type { ContentRecordValue } from "../protocol/eip712.js";
import type { FetchHeaderMsg, Signed } from "../protocol/wire/messages.js";
import { fromHex, toHex } from "../protocol/bytes.js";
import type { Logger } from "../runtime/logger.js";
import { trace } from "../runtime/trace.js";
import type { Client } from "../client/client.js";
import type { BlobCache, BlobWriter } from "./cache/index.js";

/** A blob being fetched upstream: its verified record and leaf layer, and its leaves as they arrive. */
export interface UpstreamBlob {
  blobId: string;
  size: number;
  leafLayer: Uint8Array;
  record: Signed<ContentRecordValue>;
  /** A downstream stream's reader of the leaves, which it asks for in order; closed when the stream ends. */
  open(): UpstreamReader;
  /** Bytes of arrived leaves held in memory for streams that ask for them later: 0 unless the cache did not take the blob. */
  readonly heldBytes: number;
  /** Settles when the upstream fetch ends (committed to the cache, or failed). */
  done: Promise<void>;
}

export interface UpstreamReader {
  /** Leaf `index` once it arrived verified (rejects if the upstream fetch fails first, or if the leaf was dropped before this reader first asked). */
  leaf(index: number): Promise<Uint8Array>;
  /** The stream is done with the blob. */
  close(): void;
}

export interface FanoutOptions {
  /** This node's key (lower-case): never its own upstream. */
  self: string;
  /** Upper bound of upstream fetch time (ms, default 10 min). */
  timeoutMs?: number;
  /** How far an upstream fetch may run ahead of the streams it serves, and how much of a cacheable blob it still finishes once they all left (bytes, default 16 MiB). */
  aheadBytes?: number;
}

/** Default of `FanoutOptions.aheadBytes`: the largest credit window, so a downstream stream never waits on it for its own credit. */
export const FANOUT_AHEAD_BYTES = 16 * 1024 * 1024;

export interface FanoutDeps {
  /** A client with the node's identity, host and an upstream channel store; its `maxPricePerGiB` is the node's price. */
  client: Client;
  cache: BlobCache;
  logger: Logger;
  /** Called with what each upstream fetch signed (token base units). */
  onUpstreamPaid?(amount: bigint): void;
  /** Called when a fetched blob was committed to the cache (provide it in the DHT). */
  onCached?(blobId: string): void;
  /** Node keys this node already knows to hold a blob (its own DHT provider records, no network): asked upstream without a probe. */
  holders?(blobId: string): Promise<string[]>;
}

/** The cache's metadata for a blob: its signed content record. */
export function encodeRecordMeta(record: Signed<ContentRecordValue>): Uint8Array {
  const v = record.value;
  return new TextEncoder().encode(
    JSON.stringify({ origin: v.origin.toString(), epoch: v.epoch.toString(), timestamp: v.timestamp.toString(), size: v.size.toString(), signature: toHex(record.signature) }),
  );
}

export function decodeRecordMeta(blobId: string, meta: Uint8Array | undefined): Signed<ContentRecordValue> | undefined {
  if (!meta) return undefined;
  try {
    const m = JSON.parse(new TextDecoder().decode(meta)) as Record<string, string>;
    return { value: { blobId: blobId.toLowerCase(), size: BigInt(m.size), origin: BigInt(m.origin), epoch: BigInt(m.epoch), timestamp: BigInt(m.timestamp) }, signature: fromHex(m.signature) };
  } catch {
    return undefined;
  }
}

export class Fanout {
  private readonly inflight = new Map<string, Promise<UpstreamBlob>>();
  /** Each upstream fetch until it has ended: paid, committed to the cache or failed. */
  private readonly runs = new Set<Promise<void>>();
  stats = { upstreamFetches: 0, shared: 0, failed: 0, stopped: 0, upstreamPaid: 0n };

  constructor(
    private readonly options: FanoutOptions,
    private readonly deps: FanoutDeps,
  ) {}

  /** Upstream fetches in progress (blob ids). */
  get pending(): string[] {
    return [...this.inflight.keys()];
  }

  /**
   * Resolves once every upstream fetch now in progress has ended (its payment counted, the blob
   * committed or dropped). A downstream stream can end before that: its last leaf leaves as soon as it
   * arrives, while the upstream's final voucher and the cache commit follow.
   */
  async idle(): Promise<void> {
    while (this.runs.size) await Promise.allSettled([...this.runs]);
  }

  /** The shared upstream fetch of `blobId`, started if none is running; resolves once the record and leaf layer are verified. */
  fetch(blobId: string): Promise<UpstreamBlob> {
    const id = blobId.toLowerCase();
    const running = this.inflight.get(id);
    if (running) {
      this.stats.shared++;
      return running;
    }
    const started = this.start(id);
    this.inflight.set(id, started);
    started.catch(() => this.inflight.delete(id));
    return started;
  }

  private start(blobId: string): Promise<UpstreamBlob> {
    this.stats.upstreamFetches++;
    const log = this.deps.logger.child({ blobId: blobId.slice(0, 10), module: "fanout" });
    const aheadLeaves = Math.max(1, Math.ceil((this.options.aheadBytes ?? FANOUT_AHEAD_BYTES) / LEAF_SIZE));
    const upstream = new UpstreamFetch(blobId, this.deps.cache, log, aheadLeaves);
    const signal = AbortSignal.any([AbortSignal.timeout(this.options.timeoutMs ?? 600_000), upstream.abandoned]);
    trace("fanout: start", { blob: blobId.slice(0, 10) });
    const run = this.knownHolders(blobId).then((holders) => {
      trace("fanout: holders", { blob: blobId.slice(0, 10), holders: holders.length });
      const it = this.deps.client.fetch(blobId, { signal, exclude: [this.options.self], holders, onHeader: upstream.onHeader, onLeafHashes: upstream.onLeafHashes });
      return this.run(blobId, upstream, it, log);
    });
    this.runs.add(run);
    const ended = () => void this.runs.delete(run);
    void run.then(ended, ended);
    return upstream.ready;
  }

  /** Holders named by this node's own provider records (none if the lookup fails: the upstream fetch then probes). */
  private async knownHolders(blobId: string): Promise<string[]> {
    try {
      return ((await this.deps.holders?.(blobId)) ?? []).filter((k) => k !== this.options.self);
    } catch {
      return [];
    }
  }

  /** Pumps the verified upstream bytes into the cache and the waiting streams, then accounts for what it paid. */
  private async run(blobId: string, upstream: UpstreamFetch, it: ReturnType<Client["fetch"]>, log: Logger): Promise<void> {
    try {
      for await (const bytes of it) {
        upstream.take(bytes);
        await upstream.room();
        if (upstream.abandoned.aborted) throw upstream.abandoned.reason as Error; // not one more byte
      }
      const report = await it.report;
      this.stats.upstreamPaid += report.paid;
      this.deps.onUpstreamPaid?.(report.paid);
      if (upstream.commit()) this.deps.onCached?.(blobId);
      log.info({ bytes: upstream.size, paid: report.paid.toString(), providers: report.providers.map((p) => p.nodeKey) }, "fan-out complete: cached");
    } catch (error) {
      if (upstream.abandoned.aborted) this.stats.stopped++;
      else this.stats.failed++;
      const paid = await it.report.then(
        (r) => r.paid,
        () => 0n,
      );
      if (paid) this.deps.onUpstreamPaid?.(paid);
      log.info({ err: (error as Error).message, paid: paid.toString() }, upstream.abandoned.aborted ? "fan-out stopped" : "fan-out failed");
      upstream.fail(error);
    } finally {
      this.inflight.delete(blobId);
      upstream.settle();
    }
  }
}

/** One upstream fetch in progress: the leaves as they arrive, the streams waiting for them, the cache writer. */
class UpstreamFetch {
  readonly ready: Promise<UpstreamBlob>;
  private readonly done: Promise<void>;
  private resolveReady!: (b: UpstreamBlob) => void;
  private rejectReady!: (e: unknown) => void;
  private resolveDone!: () => void;
  /** Arrived leaves, kept only when the cache did not take the blob (else read back from its file), until every reader has passed them. */
  private readonly leaves = new Map<number, Uint8Array>();
  private held = 0;
  /** Leaves below this index were dropped from `leaves`. */
  private dropped = 0;
  /** Each open reader's next leaf index not yet asked for (a reader counts from its first ask). */
  private readonly readers = new Set<{ next: number }>();
  private everRead = false;
  /** The pump waiting for room (a blob the cache did not take, too far ahead of its slowest reader). */
  private roomWaiters: (() => void)[] = [];
  private readonly stop = new AbortController();
  /** Aborted once the last reader of a blob the cache did not take has closed: the upstream fetch stops. */
  readonly abandoned = this.stop.signal;
  /** The blob reached the cache: passed leaves are read from it. */
  private committed = false;
  private readonly waiters = new Map<number, { resolve(b: Uint8Array): void; reject(e: unknown): void }[]>();
  private failure: unknown;
  private header: FetchHeaderMsg | undefined;
  private writer: BlobWriter | undefined;
  private blob: UpstreamBlob | undefined;
  /** Verified bytes not yet cut into a whole leaf, and the index of the next leaf. */
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private next = 0;

  constructor(
    private readonly blobId: string,
    private readonly cache: BlobCache,
    private readonly log: Logger,
    private readonly aheadLeaves: number,
  ) {
    this.ready = new Promise((resolve, reject) => ((this.resolveReady = resolve), (this.rejectReady = reject)));
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  get size(): number | undefined {
    return this.blob?.size;
  }

  readonly open = (): UpstreamReader => {
    const reader = { next: -1 };
    let closed = false;
    return {
      leaf: (index) => {
        if (closed) return Promise.reject(new Error("the reader is closed"));
        const leaf = this.leaf(index); // before the move below may drop it
        if (reader.next < 0) {
          if (!this.writer && !this.committed && index < this.dropped) return leaf; // joined too late: refused, not counted
          this.readers.add(reader);
          this.everRead = true;
        }
        reader.next = Math.max(reader.next, index + 1);
        this.dropPassed();
        return leaf;
      },
      close: () => {
        if (closed) return;
        closed = true;
        this.readers.delete(reader);
        this.dropPassed();
        // nobody receives the rest: stop paying for it, unless the cache takes the blob and little is left
        if (this.readers.size === 0 && this.blob && this.next < leafCount(this.blob.size)) {
          const left = this.blob.size - this.next * LEAF_SIZE;
          if (!this.writer || left > this.aheadLeaves * LEAF_SIZE) this.stop.abort(new Error("no downstream stream is left"));
        }
        this.wakeRoom();
      },
    };
  };

  private leaf(index: number): Promise<Uint8Array> {
    const kept = this.leaves.get(index);
    if (kept) return Promise.resolve(kept);
    if (this.failure) return Promise.reject(this.failure instanceof Error ? this.failure : new Error(String(this.failure)));
    if (index < this.next) return this.readBack(index);
    return new Promise((resolve, reject) => {
      const list = this.waiters.get(index) ?? [];
      list.push({ resolve, reject });
      this.waiters.set(index, list);
    });
  }

  /**
   * Resolves once the pump may take more: when it is less than `aheadLeaves` ahead of its fastest
   * reader (the cache takes the blob) or its slowest (it does not), counted from the first leaf
   * before any reader asked; at once when the fetch ends or finishes a blob nobody reads any more.
   */
  async room(): Promise<void> {
    const paced = () => !this.failure && !this.stop.signal.aborted && !(this.everRead && this.readers.size === 0);
    while (paced() && this.next - (this.writer ? this.lead() : this.floor()) >= this.aheadLeaves) await new Promise<void>((r) => this.roomWaiters.push(r));
  }

  /** The furthest a reader has asked (the first leaf before any reader asked). */
  private lead(): number {
    let high = 0;
    for (const r of this.readers) high = Math.max(high, r.next);
    return high;
  }

  private wakeRoom(): void {
    for (const wake of this.roomWaiters.splice(0)) wake();
  }

  /** The lowest leaf a reader may still ask for (held in memory from there on). */
  private floor(): number {
    if (!this.everRead) return 0;
    let low = this.next;
    for (const r of this.readers) low = Math.min(low, r.next);
    return low;
  }

  /** Drops the held leaves every reader has passed, and wakes the pump if that made room. */
  private dropPassed(): void {
    const floor = this.floor();
    for (; this.dropped < floor; this.dropped++) {
      const leaf = this.leaves.get(this.dropped);
      if (!leaf) continue;
      this.leaves.delete(this.dropped);
      this.held -= leaf.length;
    }
    this.wakeRoom();
  }

  /** A leaf that arrived earlier and was not kept: from the cache's partial file, or the cache once committed. */
  private readBack(index: number): Promise<Uint8Array> {
    const size = this.blob!.size;
    const offset = index * LEAF_SIZE;
    const length = Math.min(LEAF_SIZE, size - offset);
    try {
      if (this.writer) return Promise.resolve(this.writer.read(offset, length));
      if (this.committed) return Promise.resolve(this.cache.read(this.blobId, offset, length));
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return Promise.reject(new Error(`leaf ${index} of ${this.blobId} is no longer held`));
  }

  readonly onHeader = (header: FetchHeaderMsg): void => {
    this.header = header;
  };

  /** The whole leaf layer arrived (after the header's record was verified): the blob can be served and cached. */
  readonly onLeafHashes = (firstLeaf: number, hashes: Uint8Array): void => {
    if (this.blob || !this.header || firstLeaf !== 0) return;
    const size = Number(this.header.record.value.size);
    if (hashes.length !== leafCount(size) * 32) {
      this.fail(new Error(`blob of ${size} bytes has more leaves than one header carries: not cached`));
      return;
    }
    try {
      this.writer = this.cache.openWriter(this.blobId, size);
    } catch (error) {
      this.log.info({ err: (error as Error).message }, "not cached (cut-through only)");
    }
    trace("fanout: leaf layer", { blob: this.blobId.slice(0, 10) });
    const fetch = this; // eslint-disable-line @typescript-eslint/no-this-alias -- the getter reads this fetch's count
    this.blob = {
      blobId: this.blobId,
      size,
      leafLayer: hashes.slice(),
      record: this.header.record,
      open: this.open,
      done: this.done,
      get heldBytes() {
        return fetch.held;
      },
    };
    this.resolveReady(this.blob);
  };

  /**
   * Takes verified bytes (a leaf's pieces, as they arrived): every whole leaf (the last may be short)
   * is written to the cache with one write and handed to its waiters.
   */
  take(bytes: Uint8Array): void {
    if (this.next === 0 && this.pendingBytes === 0) trace("fanout: first bytes", { blob: this.blobId.slice(0, 10) });
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    while (this.blob && this.next < leafCount(this.blob.size)) {
      const want = Math.min(LEAF_SIZE, this.blob.size - this.next * LEAF_SIZE);
      if (this.pendingBytes < want) break;
      const all = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
      const data = all.subarray(0, want);
      const rest = all.subarray(want);
      this.pending = rest.length ? [rest] : [];
      this.pendingBytes = rest.length;
      this.writer?.write(data);
      if (!this.writer && this.next >= this.floor()) {
        this.leaves.set(this.next, data);
        this.held += data.length;
      }
      for (const w of this.waiters.get(this.next) ?? []) w.resolve(data);
      this.waiters.delete(this.next);
      this.next++;
    }
  }

  /** Commits the cached copy once every leaf arrived (true if it was cached); throws if the upstream fetch ended early. */
  commit(): boolean {
    if (!this.blob || this.next !== leafCount(this.blob.size)) throw new Error("the upstream fetch ended early");
    if (!this.writer) return false;
    this.writer.commit(encodeRecordMeta(this.blob.record));
    this.committed = true;
    this.writer = undefined;
    return true;
  }

  fail(error: unknown): void {
    this.failure ??= error;
    this.writer?.abort();
    this.writer = undefined;
    this.rejectReady(error);
    for (const list of this.waiters.values()) for (const w of list) w.reject(error);
    this.waiters.clear();
    this.leaves.clear();
    this.held = 0;
    this.wakeRoom();
  }

  /** The upstream fetch ended (committed or failed): `done` settles. */
  settle(): void {
    this.resolveDone();
  }
}
