/**
 * Chain follower (Lodestar eth1 tracker / Raiden monitor shape): polls the head, fetches logs
 * from a stored cursor up to `head − confirmations` in bounded block ranges, hands them to a
 * handler, then stores the new cursor. RPC errors back off exponentially (capped) and never
 * stop the loop; after a restart it resumes from the stored cursor, so a handler sees every
 * confirmed log at least once (handlers are idempotent).
 *
 * Reorgs: the cursor keeps the hashes of the last processed range ends. Before each pass the
 * newest is compared with the chain; if it changed (a reorg deeper than the confirmation depth),
 * the cursor rewinds to the newest stored block that is still canonical (to `startBlock` if none
 * is), `onReorg` is told, and the rewound range is delivered again from the new chain.
 */
import type { Filter, Log, Provider } from "ethers";

/** How many processed range ends (block, hash) the cursor remembers. */
export const CURSOR_CHECKPOINTS = 64;

export interface Cursor {
  /** Last fully processed block. */
  block: number;
  /** Recent processed range ends with their block hashes, oldest first (the last is `block`). */
  recent: [number, string][];
}

export interface FollowerOptions {
  /** Contract addresses and topic filter (topic0 alternatives) to follow. */
  address: string[];
  /**
   * Topic filter, or a function read before every range (filters that grow, e.g. node ids); a
   * function returning null means nothing is of interest yet: ranges are skipped, the cursor moves.
   */
  topics?: (string | string[] | null)[] | (() => (string | string[] | null)[] | null);
  confirmations: number;
  /** Largest block range per eth_getLogs. */
  maxRange: number;
  pollMs: number;
  /** First block when no cursor is stored (usually the deployment block). */
  startBlock: number;
}

export interface FollowerDeps {
  provider: Provider;
  /** The stored cursor, or undefined before the first pass. */
  loadCursor(): Cursor | undefined;
  saveCursor(cursor: Cursor): void;
  onLogs(logs: Log[], toBlock: number): Promise<void>;
  /** A reorg replaced blocks `fromBlock`..`toBlock` that were already handled; they are delivered again. */
  onReorg?(range: { fromBlock: number; toBlock: number }): Promise<void> | void;
  onError?(error: unknown, attempt: number): void;
}

export class ChainFollower {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private failures = 0;
  private busy: Promise<void> | undefined;
  /** Block number of the last head seen. */
  head = 0;
  /** Reorgs detected since start (tests, status). */
  reorgs = 0;

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

  /** One pass: check for a reorg, then catch up to the confirmed head. Public so tests and CLIs can drive it. */
  async syncOnce(): Promise<void> {
    this.head = await this.deps.provider.getBlockNumber();
    let cursor = await this.checkReorg(this.deps.loadCursor() ?? { block: this.options.startBlock - 1, recent: [] });
    const target = this.head - this.options.confirmations;
    while (cursor.block < target) {
      const from = cursor.block + 1;
      const to = Math.min(target, from + this.options.maxRange - 1);
      // the hash is read before the logs: if a reorg lands in between, the stored hash is the old
      // one and the next pass finds the mismatch and delivers the range again
      const hash = await this.hashOf(to);
      if (hash === undefined) return; // the chain just got shorter: the next pass sorts it out
      const topics = typeof this.options.topics === "function" ? this.options.topics() : this.options.topics;
      if (topics !== null) {
        const filter: Filter = { address: this.options.address, topics, fromBlock: from, toBlock: to };
        const logs = await this.deps.provider.getLogs(filter);
        await this.deps.onLogs(logs, to);
      }
      cursor = { block: to, recent: [...cursor.recent, [to, hash] as [number, string]].slice(-CURSOR_CHECKPOINTS) };
      this.deps.saveCursor(cursor);
    }
  }

  /** The cursor itself if its newest checkpoint is still canonical, else the rewound (and stored) cursor. */
  private async checkReorg(cursor: Cursor): Promise<Cursor> {
    const newest = cursor.recent.at(-1);
    if (!newest || (await this.hashOf(newest[0])) === newest[1]) return cursor;
    let rewound: Cursor = { block: this.options.startBlock - 1, recent: [] };
    for (let i = cursor.recent.length - 2; i >= 0; i--) {
      const [block, hash] = cursor.recent[i];
      if ((await this.hashOf(block)) === hash) {
        rewound = { block, recent: cursor.recent.slice(0, i + 1) };
        break;
      }
    }
    this.reorgs++;
    this.deps.saveCursor(rewound);
    await this.deps.onReorg?.({ fromBlock: rewound.block + 1, toBlock: cursor.block });
    return rewound;
  }

  private async hashOf(block: number): Promise<string | undefined> {
    return (await this.deps.provider.getBlock(block))?.hash ?? undefined;
  }
}
