/**
 * Cache-node fan-out: on a miss the node fetches the blob from another holder with the client
 * library (its own key, its own channels, paying upstream), writes each verified byte to the
 * cache (`BlobCache.openWriter`: verified again on commit, temp file + rename) and hands every
 * verified leaf to the downstream streams as it arrives (cut-through). Concurrent requests for
 * one missing blob share one upstream fetch.
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
import type { Client } from "../client/client.js";
import type { BlobCache, BlobWriter } from "./cache/index.js";

/** A blob being fetched upstream: its verified record and leaf layer, and its leaves as they arrive. */
export interface UpstreamBlob {
  blobId: string;
  size: number;
  leafLayer: Uint8Array;
  record: Signed<ContentRecordValue>;
  /** Leaf `index` once it arrived verified (rejects if the upstream fetch fails first). */
  leaf(index: number): Promise<Uint8Array>;
  /** Settles when the upstream fetch ends (committed to the cache, or failed). */
  done: Promise<void>;
}

export interface FanoutOptions {
  /** This node's key (lower-case): never its own upstream. */
  self: string;
  /** Upper bound of upstream fetch time (ms, default 10 min). */
  timeoutMs?: number;
}

export interface FanoutDeps {
  /** A client with the node's identity, host and an upstream channel store; its `maxPricePerGiB` is the node's price. */
  client: Client;
  cache: BlobCache;
  logger: Logger;
  /** Called with what each upstream fetch signed (token base units). */
  onUpstreamPaid?(amount: bigint): void;
  /** Called when a fetched blob was committed to the cache (provide it in the DHT). */
  onCached?(blobId: string): void;
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
  stats = { upstreamFetches: 0, shared: 0, failed: 0, upstreamPaid: 0n };

  constructor(
    private readonly options: FanoutOptions,
    private readonly deps: FanoutDeps,
  ) {}

  /** Upstream fetches in progress (blob ids). */
  get pending(): string[] {
    return [...this.inflight.keys()];
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
    const leaves: Uint8Array[] = [];
    const waiters = new Map<number, { resolve(b: Uint8Array): void; reject(e: unknown): void }[]>();
    let failure: unknown;
    let header: FetchHeaderMsg | undefined;
    let writer: BlobWriter | undefined;
    let resolveReady!: (b: UpstreamBlob) => void;
    let rejectReady!: (e: unknown) => void;
    const ready = new Promise<UpstreamBlob>((res, rej) => ((resolveReady = res), (rejectReady = rej)));
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    let blob: UpstreamBlob | undefined;

    const leaf = (index: number): Promise<Uint8Array> => {
      if (leaves[index]) return Promise.resolve(leaves[index]);
      if (failure) return Promise.reject(failure instanceof Error ? failure : new Error(String(failure)));
      return new Promise((resolve, reject) => {
        const list = waiters.get(index) ?? [];
        list.push({ resolve, reject });
        waiters.set(index, list);
      });
    };

    const fail = (error: unknown) => {
      failure ??= error;
      writer?.abort();
      writer = undefined;
      rejectReady(error);
      for (const list of waiters.values()) for (const w of list) w.reject(error);
      waiters.clear();
    };

    const signal = AbortSignal.timeout(this.options.timeoutMs ?? 600_000);
    const it = this.deps.client.fetch(blobId, {
      signal,
      exclude: [this.options.self],
      onHeader: (h) => {
        header = h;
      },
      onLeafHashes: (firstLeaf, hashes) => {
        if (blob || !header || firstLeaf !== 0) return;
        // the header's record was verified before the leaf hashes were read
        const size = Number(header.record.value.size);
        if (hashes.length !== leafCount(size) * 32) {
          fail(new Error(`blob of ${size} bytes has more leaves than one header carries: not cached`));
          return;
        }
        try {
          writer = this.deps.cache.openWriter(blobId, size);
        } catch (error) {
          log.info({ err: (error as Error).message }, "not cached (cut-through only)");
        }
        blob = { blobId, size, leafLayer: hashes.slice(), record: header.record, leaf, done };
        resolveReady(blob);
      },
    });

    void (async () => {
      let pending: Uint8Array[] = [];
      let pendingBytes = 0;
      let next = 0;
      try {
        for await (const bytes of it) {
          writer?.write(bytes);
          pending.push(bytes);
          pendingBytes += bytes.length;
          // cut whole leaves (the last one may be short)
          while (blob && next < leafCount(blob.size)) {
            const want = Math.min(LEAF_SIZE, blob.size - next * LEAF_SIZE);
            if (pendingBytes < want) break;
            const all = pending.length === 1 ? pending[0] : Buffer.concat(pending);
            const data = all.subarray(0, want);
            const rest = all.subarray(want);
            pending = rest.length ? [rest] : [];
            pendingBytes = rest.length;
            leaves[next] = data;
            for (const w of waiters.get(next) ?? []) w.resolve(data);
            waiters.delete(next);
            next++;
          }
        }
        const report = await it.report;
        this.stats.upstreamPaid += report.paid;
        this.deps.onUpstreamPaid?.(report.paid);
        if (!blob || next !== leafCount(blob.size)) throw new Error("the upstream fetch ended early");
        if (writer) {
          writer.commit(encodeRecordMeta(blob.record));
          writer = undefined;
          this.deps.onCached?.(blobId);
        }
        log.info({ bytes: blob.size, paid: report.paid.toString(), providers: report.providers.map((p) => p.nodeKey) }, "fan-out complete: cached");
      } catch (error) {
        this.stats.failed++;
        const paid = await it.report.then(
          (r) => r.paid,
          () => 0n,
        );
        if (paid) this.deps.onUpstreamPaid?.(paid);
        log.info({ err: (error as Error).message }, "fan-out failed");
        fail(error);
      } finally {
        this.inflight.delete(blobId);
        resolveDone();
      }
    })();
    return ready;
  }
}
