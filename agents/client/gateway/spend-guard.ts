/**
 * The gateway's spending guard: what it paid in the last hour (a sliding window over the amounts
 * signed), checked before a download starts (with its estimated price) and as it runs.
 */
const HOUR_MS = 3_600_000;

export class SpendGuard {
  private readonly spent: { at: number; amount: bigint }[] = [];

  constructor(
    /** USDC base units per hour; undefined = no limit. */
    readonly maxPerHour: bigint | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  record(amount: bigint): void {
    if (amount > 0n) this.spent.push({ at: this.now(), amount });
  }

  /** Paid in the last hour. */
  lastHour(): bigint {
    const since = this.now() - HOUR_MS;
    while (this.spent.length > 0 && this.spent[0].at <= since) this.spent.shift();
    return this.spent.reduce((sum, s) => sum + s.amount, 0n);
  }

  /** Would spending `more` now exceed the hourly limit? */
  exceeds(more = 0n): boolean {
    return this.maxPerHour !== undefined && this.lastHour() + more > this.maxPerHour;
  }

  /** Seconds until enough of the last hour's spending ages out for `more` to fit (at least 1). */
  retryAfterSeconds(more = 0n): number {
    if (this.maxPerHour === undefined) return 1;
    let total = this.lastHour() + more;
    for (const s of this.spent) {
      total -= s.amount;
      if (total <= this.maxPerHour) return Math.max(1, Math.ceil((s.at + HOUR_MS - this.now()) / 1000));
    }
    return 3600;
  }
}
