/**
 * The node's fetch handler (/cdn/fetch/1.0.0). Probes are answered by the mesh's probe service
 * (agents/mesh/probe.ts), fed by `hasBlob` and `offer`.
 *
 * Fetch, in order, nothing sent before the checks pass:
 *  1. read and validate the request (wire decoder);
 *  2. the chain view is fresh (FreshnessGuard) and the capacity limiter admits a stream → else BUSY;
 *     blacklist (the local deny-set at once, and a fresh chain read) → BLACKLISTED (no signature);
 *  3. the blob: the origin backend (while a recognized origin), the cache, or (cache nodes) an
 *     upstream fetch started only after the channel checks (fanout.ts) → else NOT_FOUND;
 *  4. the channel on chain: payee is this node, open, and the authenticated peer is its payer or
 *     live session key → NOT_CHANNEL_OWNER; deposit left → CHANNEL_INSUFFICIENT;
 *  5. header (signed serve commitment at chain time + content record), leaf hashes with proof,
 *     then one chunk per leaf while the unpaid amount stays within the credit window.
 * Vouchers arrive on the same stream: fast-path verify, monotonic, within the deposit, stored
 * (fsync) before they count. A bad voucher ends the stream with BAD_VOUCHER.
 */
import type { Connection, Stream } from "@libp2p/interface";
import { PROTOCOL_FETCH } from "../protocol/constants.js";
import { leafCount, leafRangeForBytes, rangeProof, HASH_SIZE } from "../protocol/merkle.js";
import { amountOwed } from "../protocol/pricing.js";
import { recoverVoucherSigner, signServeCommitment } from "../protocol/signed.js";
import {
  decodeFetchClientMessage,
  encodeFetchServerMessage,
  FRAME_CAPS,
  MAX_LEAF_HASHES_PER_MESSAGE,
  type FetchRequestMsg,
  type RefusalCode,
} from "../protocol/wire/messages.js";
import type { ChannelState } from "../chain/contracts.js";
import { isVoucherSigner } from "../chain/contracts.js";
import { FramedStream } from "../runtime/framed.js";
import type { Logger } from "../runtime/logger.js";
import { addressOfPeer } from "../runtime/peers.js";
import type { OriginBackend } from "./backend.js";
import type { NodeChainView } from "./chain.js";
import { FETCH_LIMITS } from "./constants.js";
import { creditWindow, windowValue, type CreditConfig } from "./credit.js";
import type { NodeStore } from "./store.js";
import { chunkFrame } from "./chunk-frame.js";
import { LEAF_SIZE } from "../protocol/constants.js";
import { leafLength } from "../protocol/merkle.js";
import type { ContentRecordValue } from "../protocol/eip712.js";
import type { Signed } from "../protocol/wire/messages.js";
import type { BlobCache } from "./cache/index.js";
import { decodeRecordMeta, type Fanout } from "./fanout.js";
import type { CapacityLimiter } from "./limiter.js";
import type { FreshnessGuard } from "../mesh/freshness.js";
import type { NodeMetrics, RefusalReason } from "../runtime/metrics.js";

/** Where the bytes of a served blob come from: the origin backend, the cache, or an upstream fetch in progress. */
interface BlobSource {
  kind: "origin" | "cache" | "fanout";
  blobId: string;
  size: number;
  leafLayer: Uint8Array;
  record: Signed<ContentRecordValue>;
  readLeaf(index: number): Promise<Uint8Array>;
}

/** Leaves read from the backend ahead of the one being sent. */
const READ_AHEAD = 4;

export interface FetchServiceOptions {
  /** This node's key (lower-case address). */
  nodeKey: string;
  nodeId: bigint;
  secretKey: Uint8Array;
  pricePerGiB: bigint;
  credit: CreditConfig;
  limits?: Partial<typeof FETCH_LIMITS>;
}

export interface FetchServiceDeps {
  chain: NodeChainView;
  store: NodeStore;
  backend: OriginBackend;
  logger: Logger;
  /** Whether the backend may serve now (the node is a recognized origin on chain). */
  isOrigin(): boolean;
  /** Test hook: alters a leaf's bytes before sending (a corrupting node). */
  tamper?: (leafIndex: number, data: Uint8Array) => Uint8Array;
  /** Called after a voucher was durably stored (the watchtower pusher). Must not throw or block. */
  onVoucherStored?: (channelId: string, amount: bigint, signature: Uint8Array) => void;
  /** The cache: verified blobs fetched from other holders (with their content records). */
  cache?: BlobCache;
  /** Fetches missing blobs upstream (cache nodes); without it a miss is NOT_FOUND. */
  fanout?: Fanout;
  /** The chain view's age: nothing is served while it is stale (BUSY). Every fresh read on the request path marks it. */
  freshness?: FreshnessGuard;
  /** The local deny-set (ContentBlacklist entries and the local deny-list): refused at once. */
  isBlacklisted?: (blobId: string) => boolean;
  /** The declared capacity across all streams: a new stream beyond it is refused BUSY (retry after). */
  limiter?: CapacityLimiter;
  /** Prometheus series (bytes served and paid, vouchers, cache hits/misses, refusals by reason). */
  metrics?: NodeMetrics;
}

interface Registrar {
  handle(protocol: string, handler: (stream: Stream, connection: Connection) => void | Promise<void>, options?: { maxInboundStreams?: number; maxOutboundStreams?: number }): Promise<void>;
  unhandle(protocol: string): Promise<void>;
}

class Refusal extends Error {
  constructor(
    readonly refusal: RefusalCode,
    message: string,
    readonly retryAfterMs = 0,
    /** For metrics: the code in lower case, or the node's own reason (stale_chain_view). */
    readonly reason: string = refusal.toLowerCase(),
  ) {
    super(message);
  }
}

export class FetchService {
  private readonly limits: typeof FETCH_LIMITS;
  private active = 0;
  /** Amount owed per channel at the end of the last stream (unpaid debt carries over). */
  private readonly owedByChannel = new Map<string, bigint>();
  /** Best stored voucher per channel (mirror of the store, for the hot path). */
  private readonly best = new Map<string, bigint>();
  private readonly waiters = new Map<string, Set<() => void>>();
  stats = { streams: 0, bytesSent: 0, vouchers: 0, amountPaid: 0n, refusals: 0, creditWaits: 0, cacheHits: 0, cacheMisses: 0, refusalsByReason: {} as Record<string, number> };

  constructor(
    private readonly options: FetchServiceOptions,
    private readonly deps: FetchServiceDeps,
  ) {
    this.limits = { ...FETCH_LIMITS, ...(options.limits ?? {}) };
  }

  get load(): number {
    return Math.min(10_000, Math.round((this.active / this.limits.maxActiveFetches) * 10_000));
  }

  async register(host: Registrar): Promise<void> {
    await host.handle(PROTOCOL_FETCH, (s, c) => this.handleFetch(s, c), { maxInboundStreams: this.limits.maxInboundStreams, maxOutboundStreams: this.limits.maxOutboundStreams });
  }

  /** Size of a blob this node serves now (origin backend while recognized, or the cache; not blacklisted), or undefined: for the probe responder. */
  hasBlob(blobId: string): number | undefined {
    if (this.deps.isBlacklisted?.(blobId)) return undefined;
    return this.localSource(blobId)?.size;
  }

  /** The blob from the origin backend (while recognized) or the cache, if held. */
  private localSource(blobId: string): BlobSource | undefined {
    const blob = this.deps.isOrigin() ? this.deps.backend.has(blobId) : undefined;
    if (blob) {
      return {
        kind: "origin",
        blobId: blob.blobId,
        size: blob.size,
        leafLayer: blob.leafLayer,
        record: { value: { blobId: blob.blobId, size: BigInt(blob.size), origin: blob.origin, epoch: blob.epoch, timestamp: blob.recordTimestamp }, signature: blob.recordSignature },
        readLeaf: (i) => this.deps.backend.readLeaf(blob, i),
      };
    }
    const cache = this.deps.cache;
    const cached = cache?.get(blobId, { touch: false });
    const record = cached && decodeRecordMeta(cached.blobId, cached.meta);
    if (!cache || !cached || !record) return undefined;
    return {
      kind: "cache",
      blobId: cached.blobId,
      size: cached.size,
      leafLayer: cached.leafLayer,
      record,
      readLeaf: async (i) => cache.read(cached.blobId, i * LEAF_SIZE, leafLength(cached.size, i)),
    };
  }

  /** The node's current offer: for the probe responder and gossip announcements (load: the higher of streams and bandwidth, basis points). */
  offer(): { pricePerGiB: bigint; load: number; busy: boolean } {
    const bandwidth = this.deps.limiter?.loadBps() ?? 0;
    return { pricePerGiB: this.options.pricePerGiB, load: Math.max(this.load, bandwidth), busy: this.active >= this.limits.maxActiveFetches };
  }

  async unregister(host: Registrar): Promise<void> {
    await host.unhandle(PROTOCOL_FETCH);
  }

  private bestVoucher(channelId: string): bigint {
    let b = this.best.get(channelId);
    if (b === undefined) {
      b = this.deps.store.voucher(channelId)?.amount ?? 0n;
      this.best.set(channelId, b);
    }
    return b;
  }

  private notify(channelId: string): void {
    const set = this.waiters.get(channelId);
    if (set) for (const w of [...set]) w();
  }

  private waitForVoucher(channelId: string, ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let set = this.waiters.get(channelId);
      if (!set) this.waiters.set(channelId, (set = new Set()));
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        set.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
      set.add(done);
    });
  }

  // ---- fetch ----

  async handleFetch(stream: Stream, connection: Connection): Promise<void> {
    const controller = new AbortController();
    const framed = new FramedStream(stream, { readCap: FRAME_CAPS.FetchClientMessage, idleTimeoutMs: this.limits.idleTimeoutMs, signal: controller.signal });
    const log = this.deps.logger.child({ peer: connection.remotePeer.toString().slice(-8) });
    this.active++;
    this.stats.streams++;
    try {
      await this.serve(framed, connection, controller, log);
    } catch (error) {
      if (error instanceof Refusal) {
        this.stats.refusals++;
        this.stats.refusalsByReason[error.reason] = (this.stats.refusalsByReason[error.reason] ?? 0) + 1;
        this.deps.metrics?.refused(error.reason as RefusalReason);
        log.info({ code: error.refusal, reason: error.message }, "fetch refused");
        try {
          await framed.write(encodeFetchServerMessage({ kind: "refusal", refusal: { code: error.refusal, message: error.message.slice(0, 256), retryAfterMs: error.retryAfterMs } }));
          await framed.close();
        } catch {
          framed.abort(error);
        }
      } else {
        log.info({ err: (error as Error).message }, "fetch stream ended with an error");
        framed.abort(error as Error);
      }
    } finally {
      this.active--;
      controller.abort();
    }
  }

  private async readRequest(framed: FramedStream): Promise<FetchRequestMsg> {
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Refusal("BAD_REQUEST", "no request in time")), this.limits.requestTimeoutMs).unref());
    const body = await Promise.race([framed.read(), timeout]);
    if (!body) throw new Refusal("BAD_REQUEST", "the stream ended before a request");
    let msg;
    try {
      msg = decodeFetchClientMessage(body);
    } catch (error) {
      throw new Refusal("BAD_REQUEST", (error as Error).message);
    }
    if (msg.kind !== "request") throw new Refusal("BAD_REQUEST", "the first message must be a request");
    return msg.request;
  }

  private async serve(framed: FramedStream, connection: Connection, controller: AbortController, log: Logger): Promise<void> {
    const { chain, store } = this.deps;
    if (this.active > this.limits.maxActiveFetches) throw new Refusal("BUSY", "too many downloads in progress", this.limits.retryAfterMs);
    const request = await this.readRequest(framed);
    // a stale chain view: the node may have missed a blacklist entry or a slash; it serves nothing
    const { freshness, limiter } = this.deps;
    if (freshness && !freshness.isFresh()) throw new Refusal("BUSY", `this node's chain view is ${Math.round(freshness.ageMs() / 1000)} s old; it serves nothing until it reads the chain again`, this.limits.retryAfterMs, "stale_chain_view");
    if (this.deps.isBlacklisted?.(request.blobId)) throw new Refusal("BLACKLISTED", "this blob is blacklisted");
    // capacity: the first leaf's worth of the declared bandwidth now, or busy (retry after)
    let prepaid = 0;
    if (limiter) {
      const admitted = limiter.tryAcquire(LEAF_SIZE);
      if (!admitted.ok) throw new Refusal("BUSY", "this node is at its declared capacity", admitted.error.retryAfterMs);
      prepaid = LEAF_SIZE;
    }
    const client = addressOfPeer(connection.remotePeer);
    if (!client) throw new Refusal("NOT_CHANNEL_OWNER", "the peer has no secp256k1 identity");

    // fresh chain reads, in parallel: blacklist, channel, chain time (no chain view → no service)
    const fresh = this.chainRead(() => Promise.all([chain.isBlacklisted(request.blobId), chain.channel(request.channelId), chain.chainTime()]));
    fresh.then(() => freshness?.markFresh(), () => undefined);
    fresh.catch(() => undefined);
    // 2. blacklist, before anything is signed
    if ((await fresh)[0]) throw new Refusal("BLACKLISTED", "this blob is blacklisted");
    // 3. the blob: held (origin backend, cache), or fetched upstream once the channel is checked
    let blob = this.localSource(request.blobId);
    if (!blob && !this.deps.fanout) throw new Refusal("NOT_FOUND", "this node does not hold the blob");
    // 4. the channel
    const [, channel, now] = await fresh;
    if (channel.status !== "Open" || (channel.nodeKey !== this.options.nodeKey && channel.nodeId !== this.options.nodeId)) {
      throw new Refusal("CHANNEL_INSUFFICIENT", `channel ${request.channelId} is not an open channel to this node`);
    }
    if (!isVoucherSigner(channel, client, now)) throw new Refusal("NOT_CHANNEL_OWNER", "the requester is not the channel's payer or voucher signer");
    const channelId = channel.channelId;
    const best0 = this.bestVoucher(channelId) > channel.paid ? this.bestVoucher(channelId) : channel.paid;
    if (best0 > this.bestVoucher(channelId)) this.best.set(channelId, best0);
    if (channel.deposit <= best0) throw new Refusal("CHANNEL_INSUFFICIENT", "the channel's deposit is used up; top it up");
    store.saveChannel({ channelId, payer: channel.payer, deposit: channel.deposit, paid: channel.paid, status: channel.status, closesAt: Number(channel.closesAt) });
    if (blob?.kind === "cache") {
      this.stats.cacheHits++;
      this.deps.metrics?.cacheHits.inc();
    }
    if (!blob) {
      // a miss: the shared upstream fetch (paid by this node), cut through as verified leaves arrive
      this.stats.cacheMisses++;
      this.deps.metrics?.cacheMisses.inc();
      try {
        const up = await this.deps.fanout!.fetch(request.blobId);
        blob = { kind: "fanout", blobId: up.blobId, size: up.size, leafLayer: up.leafLayer, record: up.record, readLeaf: (i) => up.leaf(i) };
      } catch (error) {
        throw new Refusal("NOT_FOUND", `this node does not hold the blob and fetching it upstream failed: ${(error as Error).message}`);
      }
    }
    const source = blob;
    // the range
    if (request.offset > blob.size || (request.offset === blob.size && blob.size > 0)) throw new Refusal("BAD_REQUEST", "offset past the end of the blob");
    const length = request.length === 0 ? blob.size - request.offset : Math.min(request.length, blob.size - request.offset);
    const range = leafRangeForBytes(blob.size, request.offset, length);
    range.count = Math.min(range.count, MAX_LEAF_HASHES_PER_MESSAGE);

    // 5. header, leaf hashes, chunks
    const price = this.options.pricePerGiB;
    const commitment = { blobId: request.blobId, client, channelId, timestamp: now };
    const signature = signServeCommitment(chain.channelDomain, commitment, this.options.secretKey);
    await framed.write(
      encodeFetchServerMessage({
        kind: "header",
        header: {
          commitment: { value: commitment, signature },
          record: blob.record,
          firstLeaf: range.first,
          leafCount: range.count,
          pricePerGiB: price,
        },
      }),
    );
    const hashes = blob.leafLayer.subarray(range.first * HASH_SIZE, (range.first + range.count) * HASH_SIZE);
    const proof = range.count === leafCount(blob.size) ? new Uint8Array(0) : rangeProof(blob.leafLayer, range.first, range.count);
    await framed.write(encodeFetchServerMessage({ kind: "leafHashes", leafHashes: { firstLeaf: range.first, hashes, proof } }));

    // vouchers, concurrently
    let voucherError: Refusal | undefined;
    let clientEnded = false;
    const reader = (async () => {
      try {
        for (;;) {
          const body = await framed.read();
          if (!body) {
            clientEnded = true;
            break;
          }
          const msg = decodeFetchClientMessage(body);
          if (msg.kind !== "voucher") throw new Refusal("BAD_REQUEST", "only vouchers may follow the request");
          this.acceptVoucher(channel, msg.voucher.value.channelId, msg.voucher.value.cumulativeAmount, msg.voucher.signature, now, log);
        }
      } catch (error) {
        voucherError = error instanceof Refusal ? error : new Refusal("BAD_VOUCHER", (error as Error).message);
      } finally {
        clientEnded = true;
        this.notify(channelId);
      }
    })();

    const base = (() => {
      const carried = this.owedByChannel.get(channelId) ?? 0n;
      return carried > this.bestVoucher(channelId) ? carried : this.bestVoucher(channelId);
    })();
    // the window grows with the payer's paid history, including this stream's vouchers
    const historyBefore = store.paidBy(channel.payer) - (store.voucher(channelId)?.amount ?? 0n);
    const maxUnpaidNow = () => windowValue(creditWindow(this.options.credit, price, historyBefore + this.bestVoucher(channelId)), price);
    let sent = 0;
    let waits = 0;
    let waitedMs = 0;
    let owed = base;
    const end = range.first + range.count;
    // read ahead a few leaves so the disk is never on the stream's critical path
    const reads: Promise<Uint8Array>[] = [];
    let nextToRead = range.first;
    const fill = () => {
      while (reads.length < READ_AHEAD && nextToRead < end) reads.push(source.readLeaf(nextToRead++));
    };
    try {
      for (let i = range.first; i < end; i++) {
        fill();
        let data = await reads.shift()!;
        fill();
        const owedAfter = base + amountOwed(BigInt(sent + data.length), price);
        // credit: wait for vouchers until this chunk fits in the window
        while (owedAfter - this.bestVoucher(channelId) > maxUnpaidNow()) {
          if (voucherError) throw voucherError;
          if (clientEnded) throw new Error("the client stopped before paying");
          const before = this.bestVoucher(channelId);
          waits++;
          this.stats.creditWaits++;
          const waitStart = performance.now();
          await this.waitForVoucher(channelId, this.limits.voucherWaitMs, controller.signal);
          waitedMs += performance.now() - waitStart;
          if (this.bestVoucher(channelId) === before && !voucherError && !clientEnded) throw new Error("no voucher within the wait; credit window exhausted");
        }
        if (voucherError) throw voucherError;
        if (this.deps.tamper) data = this.deps.tamper(i, data);
        if (limiter) {
          if (prepaid >= data.length) prepaid -= data.length;
          else {
            await limiter.acquire(data.length - prepaid, { signal: controller.signal });
            prepaid = 0;
          }
        }
        await framed.writeFramed(chunkFrame(i, data));
        sent += data.length;
        owed = owedAfter;
        this.owedByChannel.set(channelId, owed);
        this.stats.bytesSent += data.length;
        this.deps.metrics?.bytesServed.inc(data.length);
      }
      // the final voucher
      const deadline = Date.now() + this.limits.finalVoucherWaitMs;
      while (this.bestVoucher(channelId) < owed && !clientEnded && !voucherError && Date.now() < deadline) {
        await this.waitForVoucher(channelId, deadline - Date.now(), controller.signal);
      }
      if (voucherError) throw voucherError;
      await framed.close();
      await Promise.race([reader, new Promise((r) => setTimeout(r, 2000).unref())]);
      log.info({ channelId, blobId: blob.blobId, source: blob.kind, bytes: sent, owed: owed.toString(), paid: this.bestVoucher(channelId).toString(), creditWaits: waits, creditWaitMs: Math.round(waitedMs) }, "fetch served");
    } finally {
      for (const r of reads) r.catch(() => undefined);
    }
  }

  /** A chain read on the request path; an RPC failure becomes BUSY (the node never serves blind). */
  private async chainRead<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (cause) {
      this.deps.logger.warn({ err: (cause as Error).message }, "chain read failed; refusing with BUSY");
      throw new Refusal("BUSY", "the node cannot read the chain right now", this.limits.retryAfterMs);
    }
  }

  /** Checks and durably stores a voucher (throws Refusal BAD_VOUCHER). */
  private acceptVoucher(channel: ChannelState, channelId: string, amount: bigint, signature: Uint8Array, now: bigint, log: Logger): void {
    if (channelId !== channel.channelId) throw new Refusal("BAD_VOUCHER", "voucher for another channel");
    let signer: string;
    try {
      signer = recoverVoucherSigner(this.deps.chain.channelDomain, { channelId, cumulativeAmount: amount }, signature);
    } catch (error) {
      throw new Refusal("BAD_VOUCHER", `invalid voucher signature: ${(error as Error).message}`);
    }
    if (!isVoucherSigner(channel, signer, now)) throw new Refusal("BAD_VOUCHER", "voucher not signed by the channel's signer");
    if (amount > channel.deposit) throw new Refusal("BAD_VOUCHER", "voucher exceeds the channel's deposit");
    const best = this.bestVoucher(channelId);
    if (amount <= best) return; // stale or repeated: harmless, ignored
    this.deps.store.saveVoucher({ channelId, payer: channel.payer, amount, signature }); // fsync before it counts
    this.deps.onVoucherStored?.(channelId, amount, signature);
    this.best.set(channelId, amount);
    this.stats.vouchers++;
    this.stats.amountPaid += amount - best; // token base units
    if (this.deps.metrics) {
      this.deps.metrics.vouchers.inc({ result: "accepted" });
      if (this.options.pricePerGiB > 0n) this.deps.metrics.bytesPaid.inc(Number(((amount - best) * (1n << 30n)) / this.options.pricePerGiB));
    }
    log.debug({ channelId, amount: amount.toString() }, "voucher stored");
    this.notify(channelId);
  }

  /** Best voucher known for a channel (tests, status). */
  bestFor(channelId: string): bigint {
    return this.bestVoucher(channelId.toLowerCase());
  }
}
