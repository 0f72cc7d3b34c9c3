/**
 * Probe protocol `/cdn/probe/1.0.0` (docs/mesh.md, docs/protocol.md): one ProbeRequest {blobId}, one
 * ProbeResponse {status HAVE|MISS|BUSY, size, pricePerGiB, load}, each a length-prefixed frame
 * under its hard cap (agents/protocol wire). Measures latency and availability.
 *
 * Responder (nodes): answers from an injected `hasBlob(blobId)` and `offer()`. It answers BUSY
 * while its chain view is stale (it will not serve then) or it is at full load, and MISS for a
 * blacklisted blob. Inbound probes are rate-limited per peer (token bucket); excess streams are
 * reset.
 *
 * Prober (nodes and clients): `probe(peer, blobId)` → answer + RTT; `discover(peers, blobId)`
 * asks peers in the given order (best first, `concurrency` at a time), collects answers for up to
 * 500 ms, stops once 3 holders have answered, and caches answers per (peer, blob): HAVE ~15 s,
 * MISS ~5 min. Every answer or failure is reported to `onResult` (feed it to Reputation).
 */
import type { Connection, PeerId, Stream } from "@libp2p/interface";
import { encodeFrame, FrameDecoder } from "../protocol/wire/framing.js";
import { decodeProbeRequest, decodeProbeResponse, encodeProbeRequest, encodeProbeResponse, FRAME_CAPS, type ProbeResponseMsg } from "../protocol/wire/messages.js";
import {
  PROBE_COLLECT_MS,
  PROBE_ENOUGH_HOLDERS,
  PROBE_MAX_INBOUND_STREAMS,
  PROBE_MAX_OUTBOUND_STREAMS,
  PROBE_NEGATIVE_TTL_MS,
  PROBE_POSITIVE_TTL_MS,
  PROBE_RATE_PER_PEER,
  PROBE_STREAM_TIMEOUT_MS,
  PROTOCOL_PROBE,
} from "./constants.js";
import { ProtocolService, type ProtocolRegistrar, type StreamLimits } from "../runtime/protocol-service.js";
import { ProbeFailedError } from "./errors.js";
import type { FreshnessGuard } from "./freshness.js";

export interface ProbeAnswer extends ProbeResponseMsg {
  peer: PeerId;
  rttMs: number;
  /** Served from the local answer cache (rttMs is then the cached measurement). */
  cached: boolean;
}

export interface ProbeInit {
  /** Node side: whether the blob is held (cache or origin backend). Omit on clients: no responder. */
  hasBlob?: (blobId: string) => boolean | Promise<boolean>;
  /** Node side: current price and load (basis points). */
  offer?: () => { pricePerGiB: bigint; load: number };
  /** Node side: size of a held blob (0 when unknown). */
  sizeOf?: (blobId: string) => number | Promise<number>;
  /** Node side: when stale, the node answers BUSY (it refuses to serve until it reads the chain again). */
  freshness?: Pick<FreshnessGuard, "isFresh">;
  /** Node side: blacklisted blobs are answered MISS. */
  isBlacklisted?: (blobId: string) => boolean;
  /** Inbound probes per second per peer (default 20; burst twice that). */
  ratePerPeer?: number;
  timeoutMs?: number;
  collectMs?: number;
  enoughHolders?: number;
  positiveTtlMs?: number;
  negativeTtlMs?: number;
  maxInboundStreams?: number;
  maxOutboundStreams?: number;
  /** Every outbound probe's outcome (answer, or error), e.g. to feed Reputation. */
  onResult?: (peer: PeerId, result: ProbeAnswer | Error) => void;
  /** Inbound probe outcome: "answered", "rate_limited" or "bad_request" (metrics). */
  onInbound?: (peer: PeerId, result: "answered" | "rate_limited" | "bad_request") => void;
  now?: () => number;
}

/** The libp2p components the service uses (a subset of the registrar and connection manager). */
export interface ProbeComponents {
  registrar: ProtocolRegistrar;
  connectionManager: { openStream(peer: PeerId, protocol: string, options?: { signal?: AbortSignal }): Promise<Stream> };
}

export interface DiscoverOptions {
  signal?: AbortSignal;
  /** Parallel probes (default 8). */
  concurrency?: number;
  collectMs?: number;
  enoughHolders?: number;
}

export class ProbeService extends ProtocolService {
  readonly protocol = PROTOCOL_PROBE;
  private readonly init: ProbeInit;
  private readonly components: ProbeComponents;
  private readonly now: () => number;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly cache = new Map<string, { answer: ProbeAnswer; until: number }>();

  constructor(components: ProbeComponents, init: ProbeInit = {}) {
    super(components.registrar);
    this.components = components;
    this.init = init;
    this.now = init.now ?? Date.now;
  }

  readonly [Symbol.toStringTag] = "@cdn/probe";

  protected streamLimits(): StreamLimits | undefined {
    if (!this.init.hasBlob) return undefined;
    return { maxInboundStreams: this.init.maxInboundStreams ?? PROBE_MAX_INBOUND_STREAMS, maxOutboundStreams: this.init.maxOutboundStreams ?? PROBE_MAX_OUTBOUND_STREAMS };
  }

  private allow(peer: PeerId): boolean {
    const rate = this.init.ratePerPeer ?? PROBE_RATE_PER_PEER;
    const key = peer.toString();
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: 2 * rate, at: t };
    b.tokens = Math.min(2 * rate, b.tokens + ((t - b.at) / 1000) * rate);
    b.at = t;
    if (this.buckets.size > 10_000 && !this.buckets.has(key)) this.buckets.delete(this.buckets.keys().next().value as string);
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  protected async handle(stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer;
    if (!this.allow(peer)) {
      this.init.onInbound?.(peer, "rate_limited");
      stream.abort(new Error("probe rate limit"));
      return;
    }
    const signal = AbortSignal.timeout(this.init.timeoutMs ?? PROBE_STREAM_TIMEOUT_MS);
    try {
      const body = await readOneFrame(stream, FRAME_CAPS.ProbeRequest, signal);
      const { blobId } = decodeProbeRequest(body);
      const answer = await this.answer(blobId);
      stream.send(encodeFrame(encodeProbeResponse(answer), FRAME_CAPS.ProbeResponse));
      await stream.close({ signal });
      this.init.onInbound?.(peer, "answered");
    } catch (e) {
      this.init.onInbound?.(peer, "bad_request");
      stream.abort(e as Error);
    }
  }

  /** The responder's answer for `blobId` (exposed for tests). */
  async answer(blobId: string): Promise<ProbeResponseMsg> {
    const offer = this.init.offer?.() ?? { pricePerGiB: 0n, load: 0 };
    if (this.init.freshness && !this.init.freshness.isFresh()) return { status: "BUSY", size: 0, pricePerGiB: offer.pricePerGiB, load: 10_000 };
    const blacklisted = this.init.isBlacklisted?.(blobId) ?? false;
    const have = !blacklisted && (await this.init.hasBlob!(blobId));
    if (!have) return { status: "MISS", size: 0, pricePerGiB: offer.pricePerGiB, load: offer.load };
    if (offer.load >= 10_000) return { status: "BUSY", size: 0, pricePerGiB: offer.pricePerGiB, load: offer.load };
    return { status: "HAVE", size: (await this.init.sizeOf?.(blobId)) ?? 0, pricePerGiB: offer.pricePerGiB, load: offer.load };
  }

  /** Cached answer of `peer` for `blobId`, if still valid. */
  cached(peer: PeerId, blobId: string): ProbeAnswer | undefined {
    const hit = this.cache.get(`${peer.toString()}/${blobId.toLowerCase()}`);
    if (!hit) return undefined;
    if (hit.until < this.now()) {
      this.cache.delete(`${peer.toString()}/${blobId.toLowerCase()}`);
      return undefined;
    }
    return { ...hit.answer, cached: true };
  }

  /** Probes one peer (bypassing the cache); throws ProbeFailedError. */
  async probe(peer: PeerId, blobId: string, options: { signal?: AbortSignal } = {}): Promise<ProbeAnswer> {
    const signal = AbortSignal.any([AbortSignal.timeout(this.init.timeoutMs ?? PROBE_STREAM_TIMEOUT_MS), ...(options.signal ? [options.signal] : [])]);
    const started = performance.now();
    let stream: Stream | undefined;
    try {
      stream = await this.components.connectionManager.openStream(peer, this.protocol, { signal });
      stream.send(encodeFrame(encodeProbeRequest({ blobId: blobId.toLowerCase() }), FRAME_CAPS.ProbeRequest));
      // closed after the answer, not before: the request left with the protocol id (agents/runtime/host.ts EAGER_PROTOCOLS)
      const body = await readOneFrame(stream, FRAME_CAPS.ProbeResponse, signal);
      await stream.close({ signal });
      const msg = decodeProbeResponse(body);
      const answer: ProbeAnswer = { ...msg, peer, rttMs: performance.now() - started, cached: false };
      const key = `${peer.toString()}/${blobId.toLowerCase()}`;
      if (msg.status === "HAVE") this.cache.set(key, { answer, until: this.now() + (this.init.positiveTtlMs ?? PROBE_POSITIVE_TTL_MS) });
      else if (msg.status === "MISS") this.cache.set(key, { answer, until: this.now() + (this.init.negativeTtlMs ?? PROBE_NEGATIVE_TTL_MS) });
      if (this.cache.size > 50_000) this.cache.delete(this.cache.keys().next().value as string);
      this.init.onResult?.(peer, answer);
      return answer;
    } catch (cause) {
      stream?.abort(cause as Error);
      const error = new ProbeFailedError(peer.toString(), cause instanceof Error ? cause.message : String(cause), { cause });
      this.init.onResult?.(peer, error);
      throw error;
    }
  }

  /**
   * Asks `peers` (best first) whether they hold `blobId`: cached answers first, then probes,
   * `concurrency` at a time, until `enoughHolders` HAVE answers or `collectMs` have passed.
   * Returns the HAVE answers, fastest first. Peers that fail are skipped (and reported to onResult).
   */
  async discover(peers: PeerId[], blobId: string, options: DiscoverOptions = {}): Promise<ProbeAnswer[]> {
    const enough = options.enoughHolders ?? this.init.enoughHolders ?? PROBE_ENOUGH_HOLDERS;
    const holders: ProbeAnswer[] = [];
    const pending: PeerId[] = [];
    for (const p of peers) {
      const hit = this.cached(p, blobId);
      if (hit === undefined) pending.push(p);
      else if (hit.status === "HAVE") holders.push(hit);
    }
    if (holders.length >= enough || pending.length === 0) return sortByRtt(holders).slice(0, Math.max(enough, holders.length));
    const window = AbortSignal.timeout(options.collectMs ?? this.init.collectMs ?? PROBE_COLLECT_MS);
    const stop = new AbortController();
    const signal = AbortSignal.any([window, stop.signal, ...(options.signal ? [options.signal] : [])]);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < pending.length && !signal.aborted && holders.length < enough) {
        const peer = pending[next++];
        try {
          const a = await this.probe(peer, blobId, { signal });
          if (a.status === "HAVE") {
            holders.push(a);
            if (holders.length >= enough) stop.abort();
          }
        } catch {
          // reported through onResult
        }
      }
    };
    const workers = Array.from({ length: Math.min(options.concurrency ?? 8, pending.length) }, worker);
    await Promise.all(workers);
    options.signal?.throwIfAborted();
    return sortByRtt(holders);
  }
}

function sortByRtt(a: ProbeAnswer[]): ProbeAnswer[] {
  return [...a].sort((x, y) => x.rttMs - y.rttMs);
}

/** Reads exactly one frame (≤ cap) from the stream, within `signal`. */
async function readOneFrame(stream: Stream, cap: number, signal: AbortSignal): Promise<Uint8Array> {
  const decoder = new FrameDecoder(cap);
  const onAbort = (): void => stream.abort(new Error("probe stream timed out"));
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    for await (const chunk of stream as unknown as AsyncIterable<Uint8Array | { subarray(): Uint8Array }>) {
      const frames = decoder.push(chunk instanceof Uint8Array ? chunk : chunk.subarray());
      if (frames.length > 0) return frames[0].slice();
    }
    decoder.end();
    throw new Error("stream ended before a frame");
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** libp2p service factory: `services: { probe: probe({ hasBlob, offer }) }`. */
export function probe(init: ProbeInit = {}): (components: ProbeComponents) => ProbeService {
  return (components) => new ProbeService(components, init);
}
