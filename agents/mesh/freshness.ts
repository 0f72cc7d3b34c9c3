/**
 * Chain-view freshness guard (docs/mesh.md): every successful chain read calls `markFresh()`;
 * a node calls `assertFresh()` before it serves anything and refuses (StaleChainViewError) while
 * its view is older than the bound (30 minutes by default, below the minimum compliance window),
 * so a node cut off from the chain cannot miss a blacklist entry and keep serving.
 */
import { DEFAULT_MAX_CHAIN_VIEW_AGE_MS } from "./constants.js";
import { StaleChainViewError } from "./errors.js";

export interface FreshnessOptions {
  /** Largest tolerated age of the last successful chain read, in ms (default 30 min). */
  maxAgeMs?: number;
}

export interface FreshnessDependencies {
  /** Milliseconds clock (default Date.now); tests inject their own. */
  now?: () => number;
}

export class FreshnessGuard {
  readonly maxAgeMs: number;
  private readonly now: () => number;
  private last: number | undefined;

  constructor(options: FreshnessOptions = {}, deps: FreshnessDependencies = {}) {
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_CHAIN_VIEW_AGE_MS;
    if (!(this.maxAgeMs > 0)) throw new RangeError("maxAgeMs must be positive");
    this.now = deps.now ?? Date.now;
  }

  /** Records a successful chain read (at `at`, default now). Never moves backwards. */
  markFresh(at: number = this.now()): void {
    if (this.last === undefined || at > this.last) this.last = at;
  }

  /** Time of the last successful chain read (ms), if any. */
  get lastReadAt(): number | undefined {
    return this.last;
  }

  /** Age of the chain view in ms (Infinity before the first read). */
  ageMs(): number {
    return this.last === undefined ? Infinity : Math.max(0, this.now() - this.last);
  }

  isFresh(): boolean {
    return this.ageMs() <= this.maxAgeMs;
  }

  /** Throws StaleChainViewError unless the view is within the bound. */
  assertFresh(): void {
    const age = this.ageMs();
    if (age > this.maxAgeMs) throw new StaleChainViewError(age, this.maxAgeMs);
  }

  /**
   * Runs a chain read and marks the view fresh when it succeeds (the time taken is when the read
   * started, so a slow read never looks fresher than the state it returned).
   */
  async track<T>(read: () => Promise<T>): Promise<T> {
    const started = this.now();
    const value = await read();
    this.markFresh(started);
    return value;
  }
}
