/**
 * Download: the retry loop (a provider per attempt, a channel with enough deposit, one paid
 * session; on a refusal, a mismatch or a broken stream the next provider resumes from the last
 * verified byte) and the back-pressured stream of verified bytes it feeds.
 *
 * Warm path (no chain round trip before the request): the provider that delivered the blob last
 * is asked again without probing, with its open channel as the store knows it (no chain read; a
 * channel refusal re-reads it once), its on-chain price from the active-node list, and the
 * blacklist read running in parallel (checked before the first byte is released). The report says
 * which round trips came before the first verified byte (`firstByte`).
 */
import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { LEAF_SIZE } from "../protocol/constants.js";
import { amountOwed } from "../protocol/pricing.js";
import type { Logger } from "../runtime/logger.js";
import { trace } from "../runtime/trace.js";
import type { Reputation } from "../mesh/reputation.js";
import type { ClientChainView } from "./chain.js";
import type { ChannelManager } from "./channels.js";
import { addrsOf, noCandidateError, type Candidates, type Discovery, type DiscoveryPath, type Probed } from "./discovery.js";
import { DepositShortError, FetchRefusedError, NoProviderError, ProviderMisbehaviourError } from "./errors.js";
import { runSession, type SessionDeps, type SessionError, type SessionOptions } from "./session.js";
import type { ClientChannel } from "./store.js";

/** Verified bytes buffered for a slow consumer before the download pauses. */
export const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

export interface DownloadOptions {
  /** Provider attempts per fetch before giving up (default 6). */
  maxAttempts?: number;
  payEvery?: number;
  maxSkewSeconds?: bigint;
  /** Hash leaves on a worker thread (pipelined) instead of on the stream's thread. */
  hashInWorker?: boolean;
}

export interface FetchOptions {
  signal?: AbortSignal;
  range?: { offset: number; length?: number };
  /** Only these node keys (lower-case) are considered. */
  providers?: string[];
  /** Node keys (lower-case) never used (a cache node excludes itself). */
  exclude?: string[];
  /**
   * Node keys (lower-case) known to hold the blob (a cache node's own DHT provider records): asked
   * at once, without a probe, like `via` nodes; if none delivers, full discovery.
   */
  holders?: string[];
  /**
   * Fetch through these nodes (lower-case keys) even if they do not hold the blob yet: cache
   * nodes that fetch a miss upstream (fan-out). The blob must have a holder among the active nodes
   * (its probe answer gives the size estimate; the verified content record gives the size).
   */
  via?: string[];
  onProgress?(p: Progress): void;
  /** Test hook: a session that withholds vouchers. */
  withholdVouchers?: boolean;
  /** Each provider's header, as received (its commitment and record are checked before `onLeafHashes` runs). */
  onHeader?: SessionOptions["onHeader"];
  /** Each provider's leaf hashes for the remaining range (verified against the blob id). */
  onLeafHashes?: SessionOptions["onLeafHashes"];
  /** A resumable download into a file: synced before each voucher, its position recorded with it (SessionOptions.durable). */
  durable?: SessionOptions["durable"];
}

export interface Progress {
  bytes: number;
  total: number;
  /** Cumulative amount signed across the channels used (USDC base units). */
  paid: bigint;
  provider: string;
}

export interface FetchReport {
  bytes: number;
  size: number;
  paid: bigint;
  providers: { nodeKey: string; channelId: string; bytes: number; outcome: string }[];
  /** How the provider was found: remembered from an earlier delivery (no probe), a probe of a known peer, or a DHT lookup after a probe miss. */
  discovery: DiscoveryPath;
  /** Time to the first verified byte and the sequential network round trips before it (discovery, chain reads, dial, request). */
  firstByte?: { ms: number; roundTrips: number; steps: string[] };
  /** Last vouchers whose arrival the node did not confirm (its stream did not end cleanly); kept, and sent again on the next session with that node. */
  unconfirmed: { nodeKey: string; channelId: string; amount: bigint }[];
}

export type VerifiedStream = AsyncIterable<Uint8Array> & { report: Promise<FetchReport> };

/**
 * Runs `produce` (which pushes verified bytes) and yields them in order; `push` waits while more
 * than MAX_BUFFERED_BYTES are unread. Stopping the iteration early (break, throw) aborts `produce`.
 */
export function verifiedStream(signal: AbortSignal | undefined, produce: (signal: AbortSignal, push: (b: Uint8Array) => Promise<void>) => Promise<FetchReport>): VerifiedStream {
  const stop = new AbortController();
  const queue: Uint8Array[] = [];
  const state = { buffered: 0, finished: false, failure: undefined as unknown, wake: undefined as (() => void) | undefined, consumerWake: undefined as (() => void) | undefined };
  const push = async (bytes: Uint8Array) => {
    queue.push(bytes); // verified chunk data is a fresh view per frame: no copy needed
    state.buffered += bytes.length;
    state.wake?.();
    while (state.buffered > MAX_BUFFERED_BYTES && !stop.signal.aborted) await new Promise<void>((r) => (state.consumerWake = r));
  };
  const finish = (failure?: unknown) => {
    state.finished = true;
    state.failure = failure;
    state.wake?.();
  };
  const report = produce(signal ? AbortSignal.any([signal, stop.signal]) : stop.signal, push);
  report.then(() => finish(), finish);
  report.catch(() => undefined);
  async function* drain(): AsyncGenerator<Uint8Array> {
    for (;;) {
      const next = queue.shift();
      if (next) {
        state.buffered -= next.length;
        state.consumerWake?.();
        yield next;
      } else if (state.finished) {
        if (state.failure) throw state.failure;
        return;
      } else {
        await new Promise<void>((r) => (state.wake = r));
        state.wake = undefined;
      }
    }
  }
  return {
    report,
    async *[Symbol.asyncIterator]() {
      try {
        yield* drain();
      } finally {
        if (!state.finished) stop.abort(new Error("the consumer stopped reading"));
        state.consumerWake?.();
      }
    },
  };
}

/**
 * Bytes a file or HTTP response written from a verified stream buffers before it asks for 'drain'.
 * A leaf comes as the five to ten pieces it arrived in; at the streams' default 16 KiB every piece
 * waited for its own write (a file: ~1.2 ms of CPU per MB against ~0.35 with this).
 */
export const WRITE_BUFFER_BYTES = 4 * LEAF_SIZE;

/** Writes a verified stream to `file`, respecting the file's back-pressure; returns the report. */
export async function writeToFile(stream: VerifiedStream, file: string): Promise<FetchReport> {
  const out = createWriteStream(file, { highWaterMark: WRITE_BUFFER_BYTES });
  try {
    for await (const bytes of stream) if (!out.write(bytes)) await once(out, "drain");
  } finally {
    out.end();
    await once(out, "close");
  }
  return stream.report;
}

export interface DownloaderDeps {
  chain: ClientChainView;
  discovery: Discovery;
  channels: ChannelManager;
  reputation: Reputation;
  /** What a session needs besides the channel (host, chain, store, the signer). */
  session: SessionDeps;
  logger: Logger;
}

/** The byte range of one download and how far it got. */
class Progression {
  position: number;
  known: number | undefined;
  readonly report: FetchReport;
  /** Sequential round trips so far, until the first verified byte. */
  readonly steps: string[];
  readonly started = performance.now();
  /** Channels re-read from chain after a refusal, or topped up for a range larger than expected (once each). */
  readonly recheckedChannels = new Set<string>();

  constructor(
    readonly offset: number,
    private readonly length: number | undefined,
    private readonly candidates: Candidates,
  ) {
    this.position = offset;
    this.report = { bytes: 0, size: Number.isFinite(this.size) ? this.size : 0, paid: 0n, providers: [], unconfirmed: [], discovery: candidates.discovery ?? "probe" };
    this.steps = [...(candidates.steps ?? [])];
  }

  /** The size comes from a verified content record; until one arrived, the probe's answer is an estimate (UNKNOWN_SIZE, Infinity, for a named node nobody probed). */
  get size(): number {
    return this.known ?? this.candidates[0].size;
  }

  get end(): number {
    return this.length ? Math.min(this.size, this.offset + this.length) : this.size;
  }

  /** Bytes to request from `position` (0 = to the end). */
  get remainingLength(): number {
    return this.length ? this.offset + this.length - this.position : 0;
  }

  learn(size: number | undefined): void {
    if (this.known === undefined && size !== undefined && size >= 0) this.known = this.report.size = size;
  }

  get unfinished(): boolean {
    return this.position < this.end || (this.end === this.offset && this.report.providers.length === 0);
  }
}

/** The blacklist read answered "listed" (or failed: `cause`) when the first byte arrived: the download stops, nothing is released. */
class BlacklistedBeforeFirstByte extends Error {
  constructor(override readonly cause?: unknown) {
    super("the blacklist check stopped the download");
  }
}

/** A provider that answers BUSY is tried again at most this often, after its retryAfterMs (capped) when it is the only one left. */
const MAX_BUSY_RETRIES = 3;
const MAX_BUSY_WAIT_MS = 10_000;

/** BUSY answers per provider: a busy provider goes to the back of the line; alone, it is waited for (its retryAfterMs, capped). */
class BusyProviders {
  private readonly answers = new Map<string, number>();

  /** Whether `error` is a BUSY that is worth another try (after the others, or after its retryAfterMs). */
  async retried(error: unknown, pick: Probed, candidates: Probed[], failed: Set<string>, signal?: AbortSignal): Promise<boolean> {
    const count = this.answers.get(pick.nodeKey) ?? 0;
    if (!(error instanceof FetchRefusedError) || error.refusal !== "BUSY" || count >= MAX_BUSY_RETRIES) return false;
    this.answers.set(pick.nodeKey, count + 1);
    candidates.push(...candidates.splice(candidates.indexOf(pick), 1)); // the others first
    if (candidates.find((c) => !failed.has(c.nodeKey)) === pick) await sleep(Math.min(Math.max(error.retryAfterMs, 100), MAX_BUSY_WAIT_MS), undefined, { signal });
    return true;
  }
}

/** Deposit a session needs: the rest of the range (whole leaves) plus slack, at the probed price (≥ the on-chain one). */
const depositNeeded = (bytes: number, pricePerGiB: bigint): bigint => amountOwed(BigInt(bytes + 2 * LEAF_SIZE), pricePerGiB) + 1n;

/** Why a download stopped short of its range: every holder busy (and when to come back), or no provider left. */
function stoppedError(position: number, end: number, lastError: unknown): NoProviderError {
  const why = lastError instanceof Error ? ` Last error: ${lastError.message}` : "";
  if (lastError instanceof FetchRefusedError && lastError.refusal === "BUSY") {
    // every holder was at capacity: say so, and when to come back (the soonest the node named)
    const wait = Math.max(1, Math.ceil(lastError.retryAfterMs / 1000));
    return new NoProviderError(`The download stopped at byte ${position} of ${end}: every node that holds it is busy; try again in ${wait} s.${why}`, {
      cause: lastError,
      reason: "busy",
      retryAfterMs: lastError.retryAfterMs,
    });
  }
  return new NoProviderError(`The download stopped at byte ${position} of ${end}: no provider left.${why}`, { cause: lastError });
}

export class Downloader {
  constructor(
    readonly options: DownloadOptions,
    readonly deps: DownloaderDeps,
  ) {}

  /** Downloads `blobId` (or a range), pushing verified bytes; switches provider on failure and resumes. */
  async run(blobId: string, options: FetchOptions, push: (b: Uint8Array) => Promise<void>): Promise<FetchReport> {
    blobId = blobId.toLowerCase();
    const blobTag = blobId.slice(0, 10);
    trace("client: fetch", { blob: blobTag });
    // the blacklist read runs alongside discovery and the request; no byte is released before it answered
    const blacklisted = this.deps.chain.isBlacklisted(blobId);
    blacklisted.then(() => trace("client: blacklist answered", { blob: blobTag })).catch(() => undefined);
    // a remembered provider, or the nodes the caller named, are asked at once (the blacklist answer is awaited before the first byte)
    let candidates = this.deps.discovery.known(blobId, options) ?? (await this.namedWithChannel(options));
    const warm = candidates !== undefined;
    trace("client: candidates", { blob: blobTag, warm });
    if (!candidates) {
      // discovery runs alongside the blacklist read (no probe round's request is sent before it answered)
      const found = this.deps.discovery.candidates(blobId, options);
      found.catch(() => undefined);
      if (await blacklisted) throw new FetchRefusedError("BLACKLISTED", "this blob is on the on-chain blacklist");
      candidates = await found;
    }
    if (candidates.length === 0) throw noCandidateError(blobId, candidates.tally);
    const p = new Progression(options.range?.offset ?? 0, options.range?.length, candidates);
    if (p.offset > p.size) throw new NoProviderError(`The range starts past the end of the ${p.size}-byte blob.`);
    const checked = async (bytes: Uint8Array) => {
      if (!p.report.firstByte) {
        let listed: boolean;
        try {
          listed = await blacklisted;
        } catch (cause) {
          throw new BlacklistedBeforeFirstByte(cause);
        }
        if (listed) throw new BlacklistedBeforeFirstByte();
        trace("client: first byte", { blob: blobTag });
        p.report.firstByte = { ms: performance.now() - p.started, roundTrips: p.steps.length, steps: p.steps };
      }
      await push(bytes);
    };
    const failed = new Set<string>();
    const busy = new BusyProviders();
    let lastError: unknown;
    for (let attempt = 0; attempt < (this.options.maxAttempts ?? 6) && p.unfinished; attempt++) {
      options.signal?.throwIfAborted();
      let pick = candidates.find((c) => !failed.has(c.nodeKey));
      if (!pick && warm && (candidates.discovery === "known" || candidates.discovery === "named")) {
        // the remembered or named providers failed: full discovery, once
        this.deps.discovery.forget(blobId, options.via);
        candidates = await this.deps.discovery.candidates(blobId, { ...options, exclude: [...(options.exclude ?? []), ...failed] });
        p.steps.push(...(candidates.steps ?? []));
        pick = candidates.find((c) => !failed.has(c.nodeKey));
      }
      if (!pick) break;
      const outcome = await this.attempt(blobId, pick, p, options, checked);
      if (outcome === "done") {
        this.deps.discovery.remember(blobId, options.via, { ...pick, size: p.size });
        break;
      }
      if (outcome === "next") continue; // a clean session that did not finish the range, or a channel re-read: the same provider again
      lastError = outcome.error;
      if (await busy.retried(outcome.error, pick, candidates, failed, options.signal)) continue;
      failed.add(pick.nodeKey);
    }
    if (p.position < p.end) throw stoppedError(p.position, p.end, lastError);
    return p.report;
  }

  /**
   * The named nodes (`via`, `holders`) this client has an open channel with, something left on it
   * (the session checks the offered range against it before paying); none: undefined, and a probe
   * round gives the size a new channel's deposit needs.
   */
  private async namedWithChannel(options: FetchOptions): Promise<Candidates | undefined> {
    const named = await this.deps.discovery.named(options);
    const store = this.deps.session.store;
    const ready = named?.filter((c) => store.channelsFor(c.nodeKey).some((ch) => ch.status === "Open" && ch.deposit > ch.signed));
    if (!named || !ready?.length) return undefined;
    return Object.assign(ready, { discovery: named.discovery, steps: named.steps });
  }

  /** One provider: its channel, one session; "done" when the range is complete, else why it failed. */
  private async attempt(blobId: string, pick: Probed, p: Progression, options: FetchOptions, push: (b: Uint8Array) => Promise<void>): Promise<"done" | "next" | { error: unknown }> {
    const { signal } = options;
    // the store's view of an open channel with enough left is used as is (no chain read); a channel refusal re-reads it below.
    // A channel of its own: concurrent downloads from one node each sign their own voucher sequence.
    // size unknown (a named node): any open channel with something left; the session checks the offered range against it before paying
    const need = Number.isFinite(p.end) ? depositNeeded(p.end - p.position, pick.pricePerGiB) : 1n;
    const reservation = await this.deps.channels.reserve(pick.nodeKey, need, {
      signal,
      trustStore: true,
      steps: p.report.firstByte ? undefined : p.steps,
    });
    const channel = reservation.channel;
    trace("client: channel reserved", { blob: blobId.slice(0, 10) });
    const entry = { nodeKey: pick.nodeKey, channelId: channel.channelId, bytes: 0, outcome: "ok" };
    p.report.providers.push(entry);
    const started = performance.now();
    try {
      // the price cap: the node's on-chain price from the active-node list (refreshed every 30 s)
      const result = await this.deps.channels.withLock(channel.channelId, () => this.session(blobId, pick, pick.node.pricePerGiB, channel, p, entry, options, push));
      p.report.paid += result.signed - channel.signed;
      if (result.unconfirmed !== undefined) p.report.unconfirmed.push({ nodeKey: pick.nodeKey, channelId: channel.channelId, amount: result.unconfirmed });
      p.learn(result.size);
      this.deps.reputation.record(pick.nodeKey, { kind: "delivery", bytes: entry.bytes, durationMs: performance.now() - started, declaredMbps: pick.node.capacityMbps });
      return p.position >= p.end ? "done" : "next";
    } catch (error) {
      if (error instanceof BlacklistedBeforeFirstByte) throw error.cause ?? new FetchRefusedError("BLACKLISTED", "this blob is on the on-chain blacklist");
      const refusal = error instanceof FetchRefusedError ? error.refusal : undefined;
      if ((refusal === "CHANNEL_INSUFFICIENT" || refusal === "NOT_CHANNEL_OWNER") && !p.recheckedChannels.has(channel.channelId) && (error as SessionError).delivered === 0) {
        // the channel as the store knew it was refused: read it from chain once, then the same provider again
        p.recheckedChannels.add(channel.channelId);
        p.report.providers.pop();
        await this.deps.channels.refresh(channel.channelId).catch(() => undefined);
        return "next";
      }
      if (error instanceof DepositShortError && !p.recheckedChannels.has(channel.channelId) && (error as SessionError).delivered === 0) {
        // the size was not known when the channel was chosen: the same provider again, with a channel that covers the range
        p.recheckedChannels.add(channel.channelId);
        p.learn((error as SessionError).size);
        p.report.providers.pop();
        return "next";
      }
      return { error: this.failed(error as SessionError, pick, channel, p, entry, signal) };
    } finally {
      reservation.release();
    }
  }

  /** Records a failed session; rethrows when the download must stop (aborted, blacklisted). */
  private failed(e: SessionError, pick: Probed, channel: ClientChannel, p: Progression, entry: { outcome: string }, signal: AbortSignal | undefined): SessionError {
    p.learn(e.size);
    p.report.paid += this.deps.session.store.channel(channel.channelId)!.signed - channel.signed;
    entry.outcome = (e as { code?: string }).code ?? e.name;
    if (signal?.aborted) throw e;
    this.deps.reputation.record(pick.nodeKey, e instanceof ProviderMisbehaviourError ? { kind: "mismatch" } : { kind: "unreachable" });
    this.deps.logger.warn({ node: pick.nodeKey, err: e.message, position: p.position }, "provider failed; switching");
    if (e instanceof FetchRefusedError && e.refusal === "BLACKLISTED") throw e;
    return e;
  }

  private session(
    blobId: string,
    pick: Probed,
    maxPricePerGiB: bigint,
    channel: ClientChannel,
    p: Progression,
    entry: { bytes: number },
    options: FetchOptions,
    push: (b: Uint8Array) => Promise<void>,
  ) {
    const store = this.deps.session.store;
    const onData = async (bytes: Uint8Array, offset: number) => {
      p.position += bytes.length;
      entry.bytes += bytes.length;
      p.report.bytes += bytes.length;
      await push(bytes);
      // a store read per leaf costs a few per cent of a fast download: only for a caller that follows
      // progress, and once per leaf (it comes in pieces), at its end or the range's
      if (!options.onProgress || ((offset + bytes.length) % LEAF_SIZE !== 0 && p.position < p.end)) return;
      const paid = p.report.paid + (store.channel(channel.channelId)!.signed - channel.signed);
      options.onProgress({ bytes: p.position - p.offset, total: p.end - p.offset, paid, provider: pick.nodeKey });
    };
    const request = { peer: addrsOf(pick.node), nodeKey: pick.nodeKey, maxPricePerGiB, channelId: channel.channelId, blobId, offset: p.position, length: p.remainingLength, size: p.known };
    const { payEvery, maxSkewSeconds, hashInWorker } = this.options;
    const steps = p.report.firstByte ? undefined : p.steps;
    return runSession(request, this.deps.session, {
      signal: options.signal,
      payEvery,
      maxSkewSeconds,
      hashInWorker,
      withholdVouchers: options.withholdVouchers,
      onHeader: options.onHeader,
      onLeafHashes: options.onLeafHashes,
      onSize: (size) => p.learn(size),
      durable: options.durable,
      onData,
      steps,
    });
  }
}
