/**
 * The node's (or client's) view of the on-chain active set: which node keys are registered,
 * bonded above the curve and not exiting (NodeRegistry.isActive). Gating (DHT routing tables,
 * gossipsub scores), gossip validators, probes and selection all ask it.
 *
 * - A snapshot of every active node (paged through `activeNodes`) is refreshed on a timer and
 *   on demand (`refresh()`); `has()` answers synchronously from it (libp2p's peer-info mapper
 *   and gossipsub's app-specific score are synchronous).
 * - `isActive()` answers a key that is not in the snapshot with one `isActive` call, cached per
 *   key for a short TTL (a node registered since the last refresh is admitted without waiting).
 * - Every successful read marks the FreshnessGuard, if one is given.
 * - Listeners learn which keys joined and left at each refresh (e.g. to remove a node whose bond
 *   fell below the curve from routing tables and selection).
 */
import { repeatingTask, type RepeatingTask } from "@libp2p/utils";
import type { PeerId } from "@libp2p/interface";
import type { NodeRegistry } from "../../types/ethers-contracts/index.js";
import { ACTIVE_SET_KEY_TTL_MS, ACTIVE_SET_REFRESH_MS } from "./constants.js";
import { ChainReadError } from "./errors.js";
import { activeNodesPage, allActiveNodes, type ActiveNode } from "../chain/registry.js";
import type { FreshnessGuard } from "./freshness.js";
import { addressOfPeer } from "../runtime/peers.js";

export type { ActiveNode } from "../chain/registry.js";

/** What the active set reads from the chain; `registryActiveSetSource` adapts the NodeRegistry binding. */
export interface ActiveSetSource {
  /** Active nodes among ids startId … startId + maxScan − 1, and the id to continue from (0 at the end). */
  activeNodes(startId: bigint, maxScan: bigint, options?: { signal?: AbortSignal }): Promise<{ nodes: ActiveNode[]; nextId: bigint }>;
  isActive(nodeKey: string, options?: { signal?: AbortSignal }): Promise<boolean>;
}

type RegistryReader = Pick<NodeRegistry, "activeNodes" | "isActive">;

/** Adapts the TypeChain NodeRegistry binding (any runner) to an ActiveSetSource. */
export function registryActiveSetSource(registry: RegistryReader): ActiveSetSource {
  return {
    activeNodes: async (startId, maxScan) => activeNodesPage(await registry.activeNodes(startId, maxScan)),
    isActive: (nodeKey) => registry.isActive(nodeKey),
  };
}

export interface ActiveSetOptions {
  /** Snapshot refresh period while started (default 60 s). */
  refreshIntervalMs?: number;
  /** Lifetime of a per-key answer (default 30 s). */
  keyTtlMs?: number;
  /** How long the snapshot is trusted for keys it holds (default twice the refresh period). */
  snapshotTrustMs?: number;
  /** Ids scanned per activeNodes call (default 200). */
  pageSize?: number;
  /** Most per-key answers remembered (default 10,000). */
  maxCachedKeys?: number;
}

export interface ActiveSetDependencies {
  source: ActiveSetSource;
  freshness?: FreshnessGuard;
  /** ms clock (default Date.now). */
  now?: () => number;
  /** Background refresh failures (the view then ages; the freshness guard makes the node refuse). */
  onError?: (error: Error) => void;
}

export interface ActiveSetChange {
  added: ActiveNode[];
  removed: ActiveNode[];
}

export class ActiveSet {
  private readonly opts: Required<ActiveSetOptions>;
  private readonly deps: ActiveSetDependencies;
  private readonly now: () => number;
  private snapshot = new Map<string, ActiveNode>();
  private snapshotAt = -Infinity;
  private readonly keyCache = new Map<string, { active: boolean; at: number }>();
  private readonly listeners = new Set<(change: ActiveSetChange) => void>();
  private readonly refresher: RepeatingTask;
  private refreshing: Promise<void> | undefined;

  constructor(options: ActiveSetOptions, deps: ActiveSetDependencies) {
    this.opts = {
      refreshIntervalMs: options.refreshIntervalMs ?? ACTIVE_SET_REFRESH_MS,
      keyTtlMs: options.keyTtlMs ?? ACTIVE_SET_KEY_TTL_MS,
      snapshotTrustMs: options.snapshotTrustMs ?? 2 * (options.refreshIntervalMs ?? ACTIVE_SET_REFRESH_MS),
      pageSize: options.pageSize ?? 200,
      maxCachedKeys: options.maxCachedKeys ?? 10_000,
    };
    this.deps = deps;
    this.refresher = repeatingTask(() => this.refresh().catch((e: unknown) => this.deps.onError?.(e as Error)), this.opts.refreshIntervalMs);
    this.now = deps.now ?? Date.now;
  }

  /** First refresh, then one every refreshIntervalMs. */
  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.refresh(options);
    this.refresher.start();
  }

  stop(): void {
    this.refresher.stop();
  }

  /** Called after each refresh that changed the set; returns an unsubscribe function. */
  onChange(listener: (change: ActiveSetChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Re-reads the whole active set (concurrent calls share one read). Throws ChainReadError. */
  refresh(options: { signal?: AbortSignal } = {}): Promise<void> {
    this.refreshing ??= this.doRefresh(options).finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async doRefresh(options: { signal?: AbortSignal }): Promise<void> {
    const started = this.now();
    const next = new Map<string, ActiveNode>();
    try {
      const nodes = await allActiveNodes((start) => this.deps.source.activeNodes(start, BigInt(this.opts.pageSize), options), options);
      for (const n of nodes) next.set(n.nodeKey.toLowerCase(), n);
    } catch (cause) {
      throw new ChainReadError("active node set", { cause });
    }
    const previous = this.snapshot;
    this.snapshot = next;
    this.snapshotAt = started;
    this.keyCache.clear();
    this.deps.freshness?.markFresh(started);
    const added = [...next.values()].filter((n) => !previous.has(n.nodeKey));
    const removed = [...previous.values()].filter((n) => !next.has(n.nodeKey));
    if (added.length + removed.length > 0) for (const l of this.listeners) l({ added, removed });
  }

  /** Time of the last successful refresh (ms), -Infinity before the first. */
  get refreshedAt(): number {
    return this.snapshotAt;
  }

  /** Number of active nodes in the snapshot. */
  get size(): number {
    return this.snapshot.size;
  }

  /** Active nodes in the snapshot. */
  nodes(): ActiveNode[] {
    return [...this.snapshot.values()];
  }

  /** The snapshot's record of `nodeKey`. */
  get(nodeKey: string): ActiveNode | undefined {
    return this.snapshot.get(nodeKey.toLowerCase());
  }

  /** Synchronous answer: in the snapshot, or recently confirmed active (and not since found inactive). */
  has(nodeKey: string): boolean {
    const key = nodeKey.toLowerCase();
    const cached = this.keyCache.get(key);
    if (cached && this.now() - cached.at <= this.opts.keyTtlMs) return cached.active;
    return this.snapshot.has(key);
  }

  /** Synchronous answer for a libp2p peer (its secp256k1 key's address). */
  hasPeer(peer: PeerId | string): boolean {
    const address = addressOfPeer(peer);
    return address !== undefined && this.has(address);
  }

  /**
   * Asks the chain about a key unless a fresh answer is at hand (a cached per-key answer, or a
   * snapshot younger than snapshotTrustMs holding the key): gossip validation of known nodes
   * costs no chain read. Throws ChainReadError.
   */
  async isActive(nodeKey: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    const key = nodeKey.toLowerCase();
    const t = this.now();
    const cached = this.keyCache.get(key);
    if (cached && t - cached.at <= this.opts.keyTtlMs) return cached.active;
    if (this.snapshot.has(key) && t - this.snapshotAt <= this.opts.snapshotTrustMs) return true;
    let active: boolean;
    try {
      active = await this.deps.source.isActive(key, options);
    } catch (cause) {
      throw new ChainReadError(`isActive(${key})`, { cause });
    }
    this.deps.freshness?.markFresh(t);
    if (this.keyCache.size >= this.opts.maxCachedKeys) this.keyCache.delete(this.keyCache.keys().next().value as string);
    this.keyCache.set(key, { active, at: t });
    return active;
  }

  /** As isActive, for a libp2p peer (false for peers without a secp256k1 key). */
  async isActivePeer(peer: PeerId | string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    const address = addressOfPeer(peer);
    return address !== undefined && this.isActive(address, options);
  }
}
