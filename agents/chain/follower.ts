/**
 * Chain follower (Lodestar eth1 tracker / Raiden monitor shape): polls the head, fetches logs
 * from a stored cursor up to `head − confirmations` in bounded block ranges, hands them to a
 * handler, then stores the new cursor. RPC errors back off exponentially (capped) and never
 * stop the loop; after a restart it resumes from the stored cursor, so a handler sees every
 * confirmed log at least once (handlers are idempotent).
 */
import type { Filter, Log, Provider } from "ethers";

export interface FollowerOptions {
  /** Contract addresses and topic filter (topic0 alternatives) to follow. */
  address: string[];
  topics?: (string | string[] | null)[];
  confirmations: number;
  /** Largest block range per eth_getLogs. */
  maxRange: number;
  pollMs: number;
  /** First block when no cursor is stored (usually the deployment block). */
  startBlock: number;
}

export interface FollowerDeps {
  provider: Provider;
  /** Last fully processed block, or undefined. */
  loadCursor(): number | undefined;
  saveCursor(block: number): void;
  onLogs(logs: Log[], toBlock: number): Promise<void>;
  onError?(error: unknown, attempt: number): void;
}

export class ChainFollower {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private failures = 0;
  private busy: Promise<void> | undefined;
  /** Block number of the last head seen. */
  head = 0;

  constructor(
    private readonly options: FollowerOptions,
    private readonly deps: FollowerDeps,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.busy;
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.busy = this.tick().finally(() => (this.busy = undefined));
    }, ms);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    try {
      await this.syncOnce();
      this.failures = 0;
      this.schedule(this.options.pollMs);
    } catch (error) {
      this.failures++;
      this.deps.onError?.(error, this.failures);
      this.schedule(Math.min(30_000, this.options.pollMs * 2 ** Math.min(this.failures, 6)));
    }
  }

  /** One pass: catch up to the confirmed head. Public so tests and CLIs can drive it. */
  async syncOnce(): Promise<void> {
    this.head = await this.deps.provider.getBlockNumber();
    const target = this.head - this.options.confirmations;
    let from = (this.deps.loadCursor() ?? this.options.startBlock - 1) + 1;
    while (from <= target) {
      const to = Math.min(target, from + this.options.maxRange - 1);
      const filter: Filter = { address: this.options.address, topics: this.options.topics, fromBlock: from, toBlock: to };
      const logs = await this.deps.provider.getLogs(filter);
      await this.deps.onLogs(logs, to);
      this.deps.saveCursor(to);
      from = to + 1;
    }
  }
}
