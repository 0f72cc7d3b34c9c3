/**
 * Capacity limiter: one token bucket at the node's declared capacity (Mbps, as registered on
 * chain) shared by all of its streams. Beyond it the node answers a typed BUSY refusal with a
 * retry-after instead of slowing every client down (docs/mesh.md).
 *
 *   rate  = capacityMbps × 1,000,000 / 8 bytes per second
 *   burst = max(rate × burstSeconds, maxChunkBytes)      (one chunk always fits a full bucket)
 *
 * `tryAcquire(bytes)` takes tokens now or refuses with BusyError(retryAfterMs) without taking
 * any; `acquire(bytes, { signal })` waits for them (pacing a stream already admitted).
 */
import { LEAF_SIZE } from "../protocol/constants.js";
import { CdnError, errorClass } from "../protocol/errors.js";

/** `retryAfterMs`: when to try again, in ms (what a Refusal{BUSY}.retryAfterMs carries). */
export class BusyError extends errorClass(CdnError, "ERR_BUSY", (retryAfterMs: number, requestedBytes: number, capacityMbps: number) => [
  `busy: ${requestedBytes} bytes exceed the capacity of ${capacityMbps} Mbps now; retry after ${retryAfterMs} ms`,
  { retryAfterMs, requestedBytes, capacityMbps },
]) {}

export type AcquireResult = { ok: true } | { ok: false; error: BusyError };

export interface LimiterOptions {
  /** Declared capacity in megabits per second (1 … 1,000,000, as the registry bounds it). */
  capacityMbps: number;
  /** Bucket depth in seconds of capacity (default 0.5 s). */
  burstSeconds?: number;
  /** Largest single acquisition (default one leaf plus framing); the bucket is at least this deep. */
  maxChunkBytes?: number;
}

export interface LimiterDependencies {
  /** Milliseconds clock (default performance.now); tests inject their own. */
  now?: () => number;
}

export class CapacityLimiter {
  readonly capacityMbps: number;
  /** Refill rate in bytes per ms. */
  readonly bytesPerMs: number;
  readonly burstBytes: number;
  private readonly now: () => number;
  private tokens: number;
  private updatedAt: number;
  /** Bytes granted, for the load figure (decaying average over ~1 s). */
  private loadBytesPerMs = 0;
  private loadAt: number;

  constructor(options: LimiterOptions, deps: LimiterDependencies = {}) {
    if (!(options.capacityMbps > 0) || !Number.isFinite(options.capacityMbps)) throw new RangeError(`invalid capacity ${options.capacityMbps} Mbps`);
    this.capacityMbps = options.capacityMbps;
    this.bytesPerMs = (options.capacityMbps * 1_000_000) / 8 / 1000;
    const maxChunk = options.maxChunkBytes ?? LEAF_SIZE + 4096;
    this.burstBytes = Math.max(this.bytesPerMs * 1000 * (options.burstSeconds ?? 0.5), maxChunk);
    this.now = deps.now ?? (() => performance.now());
    this.tokens = this.burstBytes;
    this.updatedAt = this.now();
    this.loadAt = this.updatedAt;
  }

  private refill(): void {
    const t = this.now();
    const dt = Math.max(0, t - this.updatedAt);
    this.tokens = Math.min(this.burstBytes, this.tokens + dt * this.bytesPerMs);
    this.updatedAt = t;
  }

  private record(bytes: number): void {
    const t = this.now();
    const dt = Math.max(0, t - this.loadAt);
    // exponential decay with a 1 s time constant
    this.loadBytesPerMs *= Math.exp(-dt / 1000);
    this.loadBytesPerMs += bytes / 1000;
    this.loadAt = t;
  }

  /** Bytes that can be taken right now. */
  available(): number {
    this.refill();
    return Math.floor(this.tokens);
  }

  /** Takes `bytes` tokens now, or refuses without taking any. */
  tryAcquire(bytes: number): AcquireResult {
    if (!(bytes >= 0) || !Number.isFinite(bytes)) throw new RangeError(`invalid byte count ${bytes}`);
    this.refill();
    if (bytes > this.burstBytes) {
      // larger than the bucket: can never be granted at once
      return { ok: false, error: new BusyError(Math.ceil(bytes / this.bytesPerMs), bytes, this.capacityMbps) };
    }
    if (this.tokens >= bytes) {
      this.tokens -= bytes;
      this.record(bytes);
      return { ok: true };
    }
    const retryAfterMs = Math.max(1, Math.ceil((bytes - this.tokens) / this.bytesPerMs));
    return { ok: false, error: new BusyError(retryAfterMs, bytes, this.capacityMbps) };
  }

  /** Gives back tokens taken for a stream that was refused after all (never above the bucket's depth). */
  release(bytes: number): void {
    if (!(bytes > 0) || !Number.isFinite(bytes)) return;
    this.refill();
    this.tokens = Math.min(this.burstBytes, this.tokens + bytes);
    this.loadBytesPerMs = Math.max(0, this.loadBytesPerMs - bytes / 1000);
  }

  /** As tryAcquire, but throws the BusyError. */
  acquireOrThrow(bytes: number): void {
    const r = this.tryAcquire(bytes);
    if (!r.ok) throw r.error;
  }

  /** Waits until `bytes` tokens are available and takes them (for streams already admitted; more than the bucket is taken in pieces). */
  async acquire(bytes: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    let remaining = bytes;
    while (remaining > 0) {
      options.signal?.throwIfAborted();
      const take = Math.min(remaining, this.burstBytes);
      const r = this.tryAcquire(take);
      if (r.ok) {
        remaining -= take;
        continue;
      }
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(done, r.error.retryAfterMs);
        function done(): void {
          options.signal?.removeEventListener("abort", abort);
          resolve();
        }
        function abort(): void {
          clearTimeout(timer);
          reject(options.signal?.reason);
        }
        options.signal?.addEventListener("abort", abort, { once: true });
      });
    }
  }

  /** Recent throughput as basis points of declared capacity (0 … 10,000), for announcements and probe answers. */
  loadBps(): number {
    const dt = Math.max(0, this.now() - this.loadAt);
    const rate = this.loadBytesPerMs * Math.exp(-dt / 1000);
    return Math.min(10_000, Math.round((rate / this.bytesPerMs) * 10_000));
  }
}
