/**
 * The node's (and client's) synchronous view of the deny-set (docs/mesh.md):
 * every entry of ContentBlacklist (paged through `entries`, keys = keccak256(blobId)), plus a
 * local deny-list file of blob ids that reloads without a restart. DHT lookups, provides, gossip
 * validators and probe answers ask `isBlacklisted(blobId)` synchronously; the serve path should
 * still read the contract live before it signs anything (a fresh view).
 *
 * On a new entry `enforceBlacklist` runs the duties in the design's order: stop providing in the
 * DHT, refuse to serve (the view now says so), evict from the cache.
 */
import { repeatingTask, type RepeatingTask } from "@libp2p/utils";
import { existsSync, readFileSync, statSync } from "node:fs";
import { keccak256 } from "ethers";
import type { ContentBlacklist } from "../../types/ethers-contracts/index.js";
import { ChainReadError } from "./errors.js";
import type { FreshnessGuard } from "./freshness.js";

/** What the view reads from the chain; `contentBlacklistSource` adapts the TypeChain binding. */
export interface BlacklistSource {
  /** Entries startId … startId + maxCount − 1 (from 1): their keys and whether each is still listed; nextId 0 at the end. */
  entries(startId: bigint, maxCount: bigint, options?: { signal?: AbortSignal }): Promise<{ keys: string[]; listed: boolean[]; nextId: bigint }>;
}

export function contentBlacklistSource(blacklist: Pick<ContentBlacklist, "entries">): BlacklistSource {
  return {
    async entries(startId, maxCount) {
      const [keys, list, nextId] = await blacklist.entries(startId, maxCount);
      return { keys: keys.map((k) => k.toLowerCase()), listed: list.map((e) => e.listed), nextId };
    },
  };
}

/** keccak256 of the 32-byte blob id: the contract's key. */
export function blobKeyOf(blobId: string): string {
  return keccak256(blobId.toLowerCase()).toLowerCase();
}

export interface BlacklistViewOptions {
  /** Refresh period while started (default 60 s). */
  refreshIntervalMs?: number;
  /** Entries per `entries` call (default 500). */
  pageSize?: number;
  /** A local deny-list: one 0x blob id per line (# comments allowed); re-read when it changes. */
  denyListFile?: string;
}

export interface BlacklistViewDependencies {
  source: BlacklistSource;
  freshness?: FreshnessGuard;
  /** Called once for every key that becomes listed (on chain or locally), after the view is updated. */
  onListed?: (blobKey: string) => void;
  onError?: (error: Error) => void;
}

export class BlacklistView {
  private readonly opts: Required<Omit<BlacklistViewOptions, "denyListFile">> & { denyListFile?: string };
  private readonly deps: BlacklistViewDependencies;
  private chainKeys = new Set<string>();
  private localKeys = new Set<string>();
  private localMtime = -1;
  private readonly refresher: RepeatingTask;

  constructor(options: BlacklistViewOptions, deps: BlacklistViewDependencies) {
    this.opts = { refreshIntervalMs: options.refreshIntervalMs ?? 60_000, pageSize: options.pageSize ?? 500, denyListFile: options.denyListFile };
    this.deps = deps;
    this.refresher = repeatingTask(() => this.refresh().catch((e: unknown) => this.deps.onError?.(e as Error)), this.opts.refreshIntervalMs);
  }

  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.refresh(options);
    this.refresher.start();
  }

  stop(): void {
    this.refresher.stop();
  }

  /** Whether `blobId` is denied (on chain, whatever its effectiveAt, or locally). */
  isBlacklisted = (blobId: string): boolean => {
    const key = blobKeyOf(blobId);
    return this.chainKeys.has(key) || this.localKeys.has(key);
  };

  /** Number of denied keys. */
  get size(): number {
    return new Set([...this.chainKeys, ...this.localKeys]).size;
  }

  /** Re-reads every entry and the local file. Throws ChainReadError (the local file is still reloaded). */
  async refresh(options: { signal?: AbortSignal } = {}): Promise<void> {
    const before = new Set([...this.chainKeys, ...this.localKeys]);
    let chainError: unknown;
    try {
      const next = new Set<string>();
      let start = 1n;
      for (;;) {
        options.signal?.throwIfAborted();
        const page = await this.deps.source.entries(start, BigInt(this.opts.pageSize), options);
        // entries are in creation order: a later entry for the same key supersedes an earlier one
        page.keys.forEach((k, i) => (page.listed[i] ? next.add(k) : next.delete(k)));
        if (page.nextId === 0n) break;
        start = page.nextId;
      }
      this.chainKeys = next;
      this.deps.freshness?.markFresh();
    } catch (cause) {
      chainError = cause;
    }
    this.reloadLocal();
    for (const k of new Set([...this.chainKeys, ...this.localKeys])) if (!before.has(k)) this.deps.onListed?.(k);
    if (chainError !== undefined) throw new ChainReadError("blacklist entries", { cause: chainError });
  }

  /** Re-reads the local deny-list file if it changed (also called by refresh). */
  reloadLocal(): void {
    const file = this.opts.denyListFile;
    if (!file) return;
    if (!existsSync(file)) {
      this.localKeys = new Set();
      this.localMtime = -1;
      return;
    }
    const mtime = statSync(file).mtimeMs;
    if (mtime === this.localMtime) return;
    const keys = new Set<string>();
    for (const raw of readFileSync(file, "utf8").split("\n")) {
      const line = raw.replace(/#.*/, "").trim();
      if (/^0x[0-9a-fA-F]{64}$/.test(line)) keys.add(blobKeyOf(line));
      else if (line) this.deps.onError?.(new Error(`${file}: ignoring "${line.slice(0, 80)}" (not a 0x blob id)`));
    }
    this.localKeys = keys;
    this.localMtime = mtime;
  }
}

/**
 * The blacklist duties for one blob the node holds, in order: stop providing it in the DHT (no
 * more re-provides, own record dropped), then evict it from the cache. Refusing to serve needs no
 * step: the view already denies it. Returns what was done.
 */
export async function enforceBlacklist(
  blobId: string,
  deps: { dht?: { stopProviding(blobId: string, options?: { signal?: AbortSignal }): Promise<void> }; cache?: { evict(blobId: string, reason: "blacklist"): boolean } },
  options: { signal?: AbortSignal } = {},
): Promise<{ stoppedProviding: boolean; evicted: boolean }> {
  let stoppedProviding = false;
  if (deps.dht) {
    await deps.dht.stopProviding(blobId, options);
    stoppedProviding = true;
  }
  const evicted = deps.cache?.evict(blobId, "blacklist") ?? false;
  return { stoppedProviding, evicted };
}
