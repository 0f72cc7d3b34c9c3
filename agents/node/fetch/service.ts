/**
 * The node's fetch service, /cdn/fetch/1.0.0 (js-libp2p service shape: the factory
 * `fetchService(options, deps)` returns `(components) => FetchService` with start/stop; probes are
 * answered by the mesh's probe service, fed by `hasBlob` and `offer`). `serve()` follows
 * docs/delivery.md §1; nothing is sent before the checks pass.
 */
import type { Connection, Stream } from "@libp2p/interface";
import { encodeFetchServerMessage, FRAME_CAPS } from "../../protocol/wire/messages.js";
import { FramedStream } from "../../runtime/framed.js";
import { ProtocolService, type ProtocolRegistrar, type StreamLimits } from "../../runtime/protocol-service.js";
import type { Logger } from "../../runtime/logger.js";
import { trace } from "../../runtime/trace.js";
import type { NodeMetrics, RefusalReason } from "../metrics.js";
import type { FreshnessGuard } from "../../mesh/freshness.js";
import type { OriginBackend } from "../backend.js";
import type { BlobCache } from "../cache/index.js";
import type { NodeChainView } from "../chain.js";
import type { ChannelState } from "../../chain/contracts.js";
import { creditWindow, windowValue, type CreditConfig } from "../../protocol/credit.js";
import type { Fanout } from "../fanout.js";
import type { CapacityLimiter } from "../limiter.js";
import type { NodeStore } from "../store.js";
import { admitDownload, admitOnChain, admitPending, admitRequest, readChain, readRequest } from "./admit.js";
import { checkChannel, checkDeposit, paidSoFar } from "./channel.js";
import { FETCH_LIMITS, PROTOCOL_FETCH, READER_DRAIN_MS, REFUSAL_MESSAGE_CHARS, type FetchLimits } from "./constants.js";
import { Refusal } from "./refusal.js";
import { localSource, servedRange, upstreamSource, type BlobSource } from "./source.js";
import { sendChunks, sendHeader, type ChunkOutcome } from "./stream.js";
import { readVouchers, VoucherBook, type VoucherContext, type VoucherReader } from "./vouchers.js";

export interface FetchServiceOptions {
  /** This node's key (lower-case address). */
  nodeKey: string;
  nodeId: bigint;
  secretKey: Uint8Array;
  pricePerGiB: bigint;
  credit: CreditConfig;
  limits?: Partial<FetchLimits>;
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
  /** Fetches missing blobs upstream (cache nodes); without it a miss is NOT_FOUND. Read per request. */
  fanout?: () => Fanout | undefined;
  /** The chain view's age: nothing is served while it is stale (BUSY). Every fresh read on the request path marks it. */
  freshness?: FreshnessGuard;
  /** The local deny-set (ContentBlacklist entries and the local deny-list): refused at once. */
  isBlacklisted?: (blobId: string) => boolean;
  /** The declared capacity across all streams: a new stream beyond it is refused BUSY (retry after). */
  limiter?: CapacityLimiter;
  /** Prometheus series (bytes served and paid, vouchers, cache hits/misses, refusals by reason). */
  metrics?: NodeMetrics;
}

/** The libp2p components the service uses. */
export interface FetchComponents {
  registrar: ProtocolRegistrar;
}

/** What one stream holds of the node's shared limits (given back by FetchService.release). */
interface Holdings {
  /** A download slot (counted in `active`). */
  slot: boolean;
  /** Declared capacity taken but not yet spent: given back if the stream ends before its first leaf is sent. */
  unspentCapacity: number;
  /** The channel it serves (in `servingChannels`). */
  channelId?: string;
}

/** One stream being served. */
interface Serving {
  framed: FramedStream;
  connection: Connection;
  signal: AbortSignal;
  log: Logger;
  holdings: Holdings;
  /** Ends the stream's pending phase (its request named a funded channel, or it was refused). */
  admitted(): void;
}

export class FetchService extends ProtocolService {
  readonly protocol = PROTOCOL_FETCH;
  readonly [Symbol.toStringTag] = "@cdn/fetch";
  private readonly limits: FetchLimits;
  private readonly book: VoucherBook;
  private active = 0;
  /** Streams per peer still waiting for (or checking) their request: the cheap pre-slot limit. */
  private readonly pending = new Map<string, number>();
  /**
   * Channels with a stream being served. One at a time: each stream's credit check counts the debt
   * from its own start, so concurrent streams on one channel would each run up a window (an honest
   * client locks a channel per download, so only an attacker sends them).
   */
  private readonly servingChannels = new Set<string>();
  stats = { streams: 0, bytesSent: 0, vouchers: 0, amountPaid: 0n, refusals: 0, creditWaits: 0, cacheHits: 0, cacheMisses: 0, refusalsByReason: {} as Record<string, number> };

  constructor(
    private readonly components: FetchComponents,
    private readonly options: FetchServiceOptions,
    private readonly deps: FetchServiceDeps,
  ) {
    super(components.registrar);
    this.limits = { ...FETCH_LIMITS, ...(options.limits ?? {}) };
    this.book = new VoucherBook(deps.store);
  }

  protected streamLimits(): StreamLimits {
    return { maxInboundStreams: this.limits.maxInboundStreams, maxOutboundStreams: this.limits.maxOutboundStreams };
  }

  get load(): number {
    return Math.min(10_000, Math.round((this.active / this.limits.maxActiveFetches) * 10_000));
  }

  /** Size of a blob this node serves now (origin backend while recognized, or the cache; not blacklisted), or undefined: for the probe responder. */
  hasBlob(blobId: string): number | undefined {
    if (this.deps.isBlacklisted?.(blobId)) return undefined;
    return localSource(this.deps, blobId)?.size;
  }

  /** The node's current offer: for the probe responder and gossip announcements (load: the higher of streams and bandwidth, basis points). */
  offer(): { pricePerGiB: bigint; load: number; busy: boolean } {
    const bandwidth = this.deps.limiter?.loadBps() ?? 0;
    return { pricePerGiB: this.options.pricePerGiB, load: Math.max(this.load, bandwidth), busy: this.active >= this.limits.maxActiveFetches };
  }

  /** Best voucher known for a channel (tests, status). */
  bestFor(channelId: string): bigint {
    return this.book.bestVoucher(channelId.toLowerCase());
  }

  protected async handle(stream: Stream, connection: Connection): Promise<void> {
    trace("serve: stream");
    const controller = new AbortController();
    // the request must arrive within requestTimeoutMs (our own timer), then nothing may stall longer than idleTimeoutMs
    const framed = new FramedStream(stream, {
      readCap: FRAME_CAPS.FetchClientMessage,
      idleTimeoutMs: this.limits.idleTimeoutMs,
      firstFrameTimeoutMs: this.limits.requestTimeoutMs,
      signal: controller.signal,
    });
    const log = this.deps.logger.child({ peer: connection.remotePeer.toString().slice(-8) });
    const peer = connection.remotePeer.toString();
    const pending = this.pending.get(peer) ?? 0;
    this.pending.set(peer, pending + 1);
    let unpended = false;
    const admitted = () => {
      if (unpended) return;
      unpended = true;
      const n = this.pending.get(peer) ?? 1;
      if (n <= 1) this.pending.delete(peer);
      else this.pending.set(peer, n - 1);
    };
    const holdings: Holdings = { slot: false, unspentCapacity: 0 };
    this.stats.streams++;
    try {
      admitPending(pending, this.limits);
      await this.serve({ framed, connection, signal: controller.signal, log, holdings, admitted });
    } catch (error) {
      admitted();
      // a refused or failed stream gives back what it holds at once (not after the close)
      this.release(holdings);
      if (error instanceof Refusal) await this.refuse(framed, error, log);
      else {
        log.info({ err: (error as Error).message }, "fetch stream ended with an error");
        framed.abort(error as Error);
      }
    } finally {
      admitted();
      this.release(holdings);
      controller.abort();
    }
  }

  /**
   * Gives back all a stream holds: its channel, its download slot and its unspent capacity. Each is
   * cleared as it is given back, so a second call frees nothing twice. A served stream gives back
   * its channel earlier, alone: its debt is final before its close.
   */
  private release(holdings: Holdings): void {
    this.releaseChannel(holdings);
    if (holdings.slot) this.active--;
    holdings.slot = false;
    if (holdings.unspentCapacity > 0) this.deps.limiter?.release(holdings.unspentCapacity);
    holdings.unspentCapacity = 0;
  }

  private releaseChannel(holdings: Holdings): void {
    if (holdings.channelId) this.servingChannels.delete(holdings.channelId);
    holdings.channelId = undefined;
  }

  /** Sends a typed refusal and closes (counted by reason). */
  private async refuse(framed: FramedStream, error: Refusal, log: Logger): Promise<void> {
    this.stats.refusals++;
    this.stats.refusalsByReason[error.reason] = (this.stats.refusalsByReason[error.reason] ?? 0) + 1;
    this.deps.metrics?.refused(error.reason as RefusalReason);
    log.info({ code: error.refusal, reason: error.message }, "fetch refused");
    try {
      const refusal = { code: error.refusal, message: error.message.slice(0, REFUSAL_MESSAGE_CHARS), retryAfterMs: error.retryAfterMs };
      await framed.write(encodeFetchServerMessage({ kind: "refusal", refusal }));
      await framed.closeAfterRefusal(); // nothing the peer sends after this is read
    } catch {
      framed.abort(error);
    }
  }

  /** docs/delivery.md §1: admit, blacklist, blob, channel, header and hashes, credit-gated chunks. */
  private async serve(s: Serving): Promise<void> {
    const request = await readRequest(s.framed, this.limits); // 1. the request
    const blobTag = request.blobId.slice(0, 10);
    trace("serve: request", { blob: blobTag });
    const { client } = admitRequest(request, s.connection.remotePeer, this.deps, this.limits);
    const reads = readChain(this.deps.chain, request, this.deps, this.limits);
    await admitOnChain(reads); // 2. blacklist, before anything is signed
    const held = localSource(this.deps, request.blobId); // 3. the blob held, or fetched once the channel is checked
    const fanout = this.deps.fanout?.();
    if (!held && !fanout) throw new Refusal("NOT_FOUND", "this node does not hold the blob");
    const { channel, now } = await this.checkedChannel(await reads, client, request.channelId); // 4. the channel
    trace("serve: channel checked", { blob: blobTag, held: held?.kind });
    const channelId = channel.channelId;
    if (this.servingChannels.has(channelId)) throw new Refusal("BUSY", "another stream on this channel is in progress", this.limits.retryAfterMs);
    this.servingChannels.add(channelId);
    s.holdings.channelId = channelId;
    const paid = paidSoFar(channel, this.book.bestVoucher(channelId));
    this.book.raise(channelId, paid);
    this.deps.store.saveChannel({ channelId, payer: channel.payer, deposit: channel.deposit, paid: channel.paid, status: channel.status, closesAt: Number(channel.closesAt) });
    // admitted: the peer owns a funded channel with this node; only now a download slot and capacity
    s.admitted();
    const prepaid = admitDownload(this.active, this.limits, this.deps.limiter);
    this.active++;
    s.holdings.slot = true;
    s.holdings.unspentCapacity = prepaid;
    this.countCache(held);
    const blob = held ?? (await upstreamSource(fanout!, request.blobId));
    trace("serve: source", { blob: blobTag, kind: blob.kind });
    const range = servedRange(blob, request);
    // 5. header, hashes, chunks; the commitment is anchored to the head block read for this request
    const { head } = await reads;
    const commitment = { blobId: request.blobId, client, channelId, timestamp: head.timestamp, anchorBlock: head.number, anchorHash: head.hash };
    // the header tells the client what was sent earlier and never paid (it settles that first)
    await sendHeader(s.framed, blob, range, {
      domain: this.deps.chain.channelDomain,
      secretKey: this.options.secretKey,
      commitment,
      pricePerGiB: this.options.pricePerGiB,
      owed: this.owedBefore(channelId),
    });
    trace("serve: header sent", { blob: blobTag });
    s.holdings.unspentCapacity = 0; // the first leaf's capacity is this stream's now
    const ctx = this.voucherContext(channel, now, s.log);
    const reader = readVouchers(s.framed, ctx); // 6. vouchers, concurrently
    const outcome = await this.sendChunks(s, blob, range, ctx, reader, prepaid);
    // the stream's debt is final: the channel is free before our close lets the client start its next request
    this.releaseChannel(s.holdings);
    await s.framed.close(); // 7. done
    await Promise.race([reader.done, new Promise((r) => setTimeout(r, READER_DRAIN_MS).unref())]);
    const { sent, owed, creditWaits, creditWaitMs } = outcome;
    const best = this.book.bestVoucher(channelId).toString();
    s.log.info({ channelId, blobId: blob.blobId, source: blob.kind, bytes: sent, owed: owed.toString(), paid: best, creditWaits, creditWaitMs: Math.round(creditWaitMs) }, "fetch served");
  }

  /**
   * The channel checks (open to this node, the requester may sign, deposit left). A followed chain
   * view may lag the payer's own open or top-up by one poll: before refusing, one fresh read.
   */
  private async checkedChannel(reads: { channel: ChannelState; now: bigint }, client: string, channelId: string): Promise<{ channel: ChannelState; now: bigint }> {
    const check = (channel: ChannelState) => {
      checkChannel(channel, this.options, client, reads.now, channelId);
      checkDeposit(channel, paidSoFar(channel, this.book.bestVoucher(channel.channelId)));
    };
    try {
      check(reads.channel);
      return reads;
    } catch (refusal) {
      const fresh = this.deps.chain.freshChannel;
      if (!fresh) throw refusal;
      const channel = await fresh.call(this.deps.chain, channelId).catch(() => Promise.reject(refusal as Error));
      check(channel);
      return { channel, now: reads.now };
    }
  }

  /** A request served from the cache is a hit; one fetched upstream is a miss. */
  private countCache(held: BlobSource | undefined): void {
    if (held?.kind === "cache") {
      this.stats.cacheHits++;
      this.deps.metrics?.cacheHits.inc();
    }
    if (!held) {
      this.stats.cacheMisses++;
      this.deps.metrics?.cacheMisses.inc();
    }
  }

  /** Vouchers of this stream: checked against `channel` at `now`; each stored one counts and is pushed to the watchtowers. */
  private voucherContext(channel: VoucherContext["channel"], now: bigint, log: Logger): VoucherContext {
    const price = this.options.pricePerGiB;
    const onStored = (amount: bigint, increase: bigint, signature: Uint8Array) => {
      this.deps.onVoucherStored?.(channel.channelId, amount, signature);
      this.stats.vouchers++;
      this.stats.amountPaid += increase; // token base units
      if (this.deps.metrics) {
        this.deps.metrics.vouchers.inc({ result: "accepted" });
        if (price > 0n) this.deps.metrics.bytesPaid.inc(Number((increase * (1n << 30n)) / price));
      }
      log.debug({ channelId: channel.channelId, amount: amount.toString() }, "voucher stored");
    };
    const fresh = this.deps.chain.freshChannel;
    const freshChannel = fresh ? () => fresh.call(this.deps.chain, channel.channelId) : undefined;
    return { domain: this.deps.chain.channelDomain, store: this.deps.store, book: this.book, channel, now, onStored, freshChannel };
  }

  /** The value sent on the channel before this stream: what was sent earlier (persisted), at least the best voucher. */
  private owedBefore(channelId: string): bigint {
    const carried = this.book.owed(channelId);
    const best = this.book.bestVoucher(channelId);
    return carried > best ? carried : best;
  }

  /** The chunks, within the credit window: its size grows with the payer's paid history, this stream's vouchers included. */
  private sendChunks(s: Serving, blob: BlobSource, range: { first: number; count: number }, ctx: VoucherContext, reader: VoucherReader, prepaid: number): Promise<ChunkOutcome> {
    const { channelId, payer } = ctx.channel;
    const price = this.options.pricePerGiB;
    const base = this.owedBefore(channelId);
    const historyBefore = this.deps.store.paidBy(payer) - (this.deps.store.voucher(channelId)?.amount ?? 0n);
    // asked before every chunk: the window (BigInt maths) changes only with the best voucher
    let windowFor = -1n;
    let windowNow = 0n;
    const maxUnpaid = () => {
      const best = this.book.bestVoucher(channelId);
      if (best !== windowFor) [windowFor, windowNow] = [best, windowValue(creditWindow(this.options.credit, price, historyBefore + best), price)];
      return windowNow;
    };
    const onSent = (bytes: number) => {
      this.stats.bytesSent += bytes;
      this.deps.metrics?.bytesServed.inc(bytes);
    };
    const onCreditWait = () => void this.stats.creditWaits++;
    const { limiter, tamper } = this.deps;
    return sendChunks({
      framed: s.framed,
      signal: s.signal,
      channelId,
      blob,
      range,
      pricePerGiB: price,
      base,
      maxUnpaid,
      book: this.book,
      reader,
      limits: this.limits,
      limiter,
      prepaid,
      tamper,
      onSent,
      onCreditWait,
    });
  }
}

/** The libp2p service factory: `services: { fetch: fetchService(options, deps) }`. */
export function fetchService(options: FetchServiceOptions, deps: FetchServiceDeps): (components: FetchComponents) => FetchService {
  return (components) => new FetchService(components, options, deps);
}
