/**
 * The DHT side of the mesh (docs/mesh.md), over kad-dht (nodes in server mode, clients
 * in client mode; `meshServices` builds it):
 *
 * - `provide(blobId)`: a node announces that it holds a blob (blob id → CID, agents/protocol
 *   cid.ts) and re-provides it on its own schedule, every 30–50 min (randomised per blob, so
 *   records of one node do not all expire together);
 * - `stopProviding(blobId)`: on a blacklist entry (or eviction) the node stops re-providing and
 *   drops its own provider record (`cancelReprovide`); records already held by remote peers cannot
 *   be withdrawn, so every lookup filters them;
 * - a node that joins the routing table gets no records of the keys it is now among the k closest
 *   to (kad-dht hands over none), so every provided blob whose k closest peers (this node's
 *   routing table) include the newcomer is re-provided within JOIN_REPROVIDE_DELAY_MS: a cache
 *   node that started after the origin knows the origin holds a blob from its own records, and
 *   asks it without a probe. A join touches only the blobs it is close to (in a network of N nodes,
 *   about k/N of them), and one peer's joins count once per JOIN_REPROVIDE_PEER_GAP_MS. Each blob
 *   keeps its kad id and a bound on its k-th closest peer's distance, so a join asks the routing
 *   table only about the blobs the newcomer may be close to, in a pass that yields to the event loop
 *   every JOIN_PASS_BATCH blobs. A re-provide that did not reach the newcomer (kad-dht reports each
 *   peer a record was sent to) is tried again after JOIN_REPROVIDE_RETRY_MS, doubling, at most
 *   JOIN_REPROVIDE_RETRIES times;
 * - `findProviders(blobId)`: never queries for a blacklisted blob, and keeps only providers that
 *   are active nodes on chain (and not this peer); bounded by a timeout, a count and the signal;
 * - `ProviderRecordGate`: the libp2p datastore of a node, which keeps provider records (ADD_PROVIDER
 *   from other peers) only from active nodes and at most MAX_PROVIDER_RECORDS in total, so unbonded
 *   peers cannot fill the node's memory with records it would never hand out anyway.
 */
import type { PeerId, PeerInfo } from "@libp2p/interface";
import type { KadDHT } from "@libp2p/kad-dht";
import type { CID } from "multiformats/cid";
import { createHash } from "node:crypto";
import { setImmediate as nextTurn } from "node:timers/promises";
import { MemoryDatastore } from "datastore-core/memory";
import type { Key } from "interface-datastore";
import { blobIdToCid } from "../protocol/cid.js";
import { fromHex } from "../protocol/bytes.js";
import type { ActiveSet } from "./active-set.js";
import {
  JOIN_PASS_BATCH,
  JOIN_REPROVIDE_DELAY_MS,
  JOIN_REPROVIDE_PEER_GAP_MS,
  JOIN_REPROVIDE_RETRIES,
  JOIN_REPROVIDE_RETRY_MS,
  MAX_JOINS_REMEMBERED,
  MAX_PROVIDER_RECORDS,
  MAX_PROVIDERS,
  REPROVIDE_MAX_MS,
  REPROVIDE_MIN_MS,
} from "./constants.js";
import { MeshArgumentError } from "./errors.js";

export interface MeshDhtOptions {
  reprovideMinMs?: number;
  reprovideMaxMs?: number;
  /** How often the schedule is checked (default 1 min). */
  tickMs?: number;
  /** Default bound of one lookup (default 10 s). */
  lookupTimeoutMs?: number;
  /** Default most providers returned (default 20). */
  maxProviders?: number;
  /** A blob whose k closest peers gained a newcomer is re-provided this long after it joined (ms, default 2 s: a few joins share one re-provide). */
  joinReprovideDelayMs?: number;
  /** A join's re-provide that missed the newcomer is tried again after this long, doubling (ms, default JOIN_REPROVIDE_RETRY_MS). */
  joinReprovideRetryMs?: number;
}

/** What the DHT's routing table offers (kad-dht's implementation): the k closest peers to a key (closest first), its joins and its departures. */
export interface RoutingTableView {
  closestPeers(kadId: Uint8Array, options?: { count?: number }): PeerId[];
  addEventListener(type: "peer:add" | "peer:remove", listener: (event: CustomEvent<PeerId>) => void): void;
  removeEventListener(type: "peer:add" | "peer:remove", listener: (event: CustomEvent<PeerId>) => void): void;
}

export interface MeshDhtDependencies {
  dht: KadDHT;
  /** This peer (excluded from lookups). */
  self: PeerId;
  activeSet: Pick<ActiveSet, "isActivePeer">;
  /** The routing table (nodes): a newcomer among a provided blob's k closest peers gets its record (see above). */
  routingTable?: RoutingTableView;
  /** Bucket size k of the routing table (default 20, kad-dht's). */
  k?: number;
  /** Local view of ContentBlacklist (blob ids as lower-case hex). */
  isBlacklisted: (blobId: string) => boolean;
  now?: () => number;
  random?: () => number;
  onError?: (error: Error, blobId?: string) => void;
}

export interface Provider {
  peer: PeerId;
  multiaddrs: PeerInfo["multiaddrs"];
}

/** A blob this node provides. */
interface ProvidedBlob {
  /** When it is next re-provided (ms). */
  nextReprovideAt: number;
  /** Its key's place in the routing table's keyspace (kadIdOf), hashed once. */
  kadId: Uint8Array;
  /**
   * At least the XOR distance from `kadId` to its k-th closest peer in the routing table; undefined
   * when not known (or the table held fewer than k peers). Joins only bring peers closer, so a
   * newcomer farther than this is not among the k closest; a peer leaving from within it clears it.
   */
  kthClosestBound?: Uint8Array;
  /** Newcomers among its k closest peers that its next re-provide must reach (peer ids), and the re-provides tried for them. */
  toReach?: Set<string>;
  joinAttempts?: number;
}

/** A peer that joined the routing table, waiting for the join pass. */
interface Newcomer {
  peer: PeerId;
  kadId: Uint8Array;
}

export class MeshDht {
  private readonly opts: Required<MeshDhtOptions>;
  private readonly deps: MeshDhtDependencies;
  private readonly now: () => number;
  private readonly random: () => number;
  /** The blobs this node provides, by blob id. */
  private readonly provided = new Map<string, ProvidedBlob>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private ticking = false;
  private readonly shutdown = new AbortController();
  /** The re-provide that follows a join, while one is pending. */
  private soon: ReturnType<typeof setTimeout> | undefined;
  /** Peers whose join triggered re-provides, and when (oldest first). */
  private readonly joins = new Map<string, number>();
  /** Re-provides tried again for newcomers they missed (JOIN_REPROVIDE_RETRY_MS). */
  private readonly retries = new Set<ReturnType<typeof setTimeout>>();
  /** Joins the next join pass handles. */
  private newcomers: Newcomer[] = [];
  private joinPassRunning = false;
  stats = { joinReprovides: 0 };

  constructor(options: MeshDhtOptions, deps: MeshDhtDependencies) {
    this.opts = {
      reprovideMinMs: options.reprovideMinMs ?? REPROVIDE_MIN_MS,
      reprovideMaxMs: options.reprovideMaxMs ?? REPROVIDE_MAX_MS,
      tickMs: options.tickMs ?? 60_000,
      lookupTimeoutMs: options.lookupTimeoutMs ?? 10_000,
      maxProviders: options.maxProviders ?? MAX_PROVIDERS,
      joinReprovideDelayMs: options.joinReprovideDelayMs ?? JOIN_REPROVIDE_DELAY_MS,
      joinReprovideRetryMs: options.joinReprovideRetryMs ?? JOIN_REPROVIDE_RETRY_MS,
    };
    if (this.opts.reprovideMaxMs < this.opts.reprovideMinMs) throw new MeshArgumentError("reprovideMaxMs < reprovideMinMs");
    this.deps = deps;
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
  }

  start(): void {
    if (!this.timer) {
      this.deps.routingTable?.addEventListener("peer:add", this.onJoined);
      this.deps.routingTable?.addEventListener("peer:remove", this.onLeft);
    }
    this.timer ??= setInterval(() => void this.reprovideDue(), this.opts.tickMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.soon) clearTimeout(this.soon);
    this.soon = undefined;
    for (const retry of this.retries) clearTimeout(retry);
    this.retries.clear();
    this.deps.routingTable?.removeEventListener("peer:add", this.onJoined);
    this.deps.routingTable?.removeEventListener("peer:remove", this.onLeft);
    this.shutdown.abort();
  }

  /** A peer joined the routing table: the blobs it is now among the k closest peers of are re-provided soon. */
  private readonly onJoined = (event: CustomEvent<PeerId>): void => {
    const table = this.deps.routingTable;
    if (!table || this.shutdown.signal.aborted) return;
    const peer = event.detail;
    // a peer that leaves and rejoins again and again (a bonded node churning its connection) triggers this once per JOIN_REPROVIDE_PEER_GAP_MS
    const key = peer.toString();
    const last = this.joins.get(key);
    if (last !== undefined && this.now() - last < JOIN_REPROVIDE_PEER_GAP_MS) return;
    this.joins.delete(key);
    this.joins.set(key, this.now());
    if (this.joins.size > MAX_JOINS_REMEMBERED) this.joins.delete(this.joins.keys().next().value as string);
    this.newcomers.push({ peer, kadId: kadIdOfPeer(peer) });
    if (!this.joinPassRunning) void this.joinPass(table);
  };

  /** A peer left the routing table: the blobs it may have been among the k closest peers of forget their bound. */
  private readonly onLeft = (event: CustomEvent<PeerId>): void => {
    const kadId = kadIdOfPeer(event.detail);
    for (const blob of this.provided.values()) {
      if (blob.kthClosestBound && compareDistance(kadId, blob.kadId, blob.kthClosestBound) > 0) continue;
      blob.kthClosestBound = undefined;
    }
  };

  /**
   * One pass over the provided blobs for the newcomers queued when it starts (joins during a pass wait
   * for the next one). It yields to the event loop every JOIN_PASS_BATCH blobs: an origin provides
   * 100k of them, and a blob without a bound asks the routing table.
   */
  private async joinPass(table: RoutingTableView): Promise<void> {
    this.joinPassRunning = true;
    try {
      while (this.newcomers.length > 0 && !this.shutdown.signal.aborted) {
        const newcomers = this.newcomers;
        this.newcomers = [];
        const due = this.now() + this.opts.joinReprovideDelayMs;
        let touched = 0;
        let seen = 0;
        for (const blob of this.provided.values()) {
          if (++seen % JOIN_PASS_BATCH === 0) {
            await nextTurn();
            if (this.shutdown.signal.aborted) return;
          }
          if (blob.nextReprovideAt <= due) continue;
          const close = this.closeNewcomers(table, newcomers, blob);
          if (close.length === 0) continue;
          blob.nextReprovideAt = due;
          blob.toReach = new Set([...(blob.toReach ?? []), ...close]);
          blob.joinAttempts = 0;
          touched++;
        }
        if (touched === 0) continue;
        this.stats.joinReprovides += touched;
        this.armSoon();
      }
    } finally {
      this.joinPassRunning = false;
    }
  }

  /** The newcomers among the k closest peers of `blob` in the routing table (peer ids): asks the table (and renews the bound) only when the blob's bound rules none out. */
  private closeNewcomers(table: RoutingTableView, newcomers: Newcomer[], blob: ProvidedBlob): string[] {
    const bound = blob.kthClosestBound;
    if (bound && newcomers.every((newcomer) => compareDistance(newcomer.kadId, blob.kadId, bound) > 0)) return [];
    const k = this.deps.k ?? 20;
    const closest = table.closestPeers(blob.kadId, { count: k });
    blob.kthClosestBound = closest.length < k ? undefined : xorDistance(kadIdOfPeer(closest[k - 1]), blob.kadId);
    return newcomers.filter((newcomer) => closest.some((p) => p.equals(newcomer.peer))).map((newcomer) => newcomer.peer.toString());
  }

  /**
   * After a re-provide of `blob`: the newcomers it had to reach that it did not are tried again
   * (JOIN_REPROVIDE_RETRY_MS, doubling, at most JOIN_REPROVIDE_RETRIES times); then it forgets them.
   */
  private checkReached(id: string, blob: ProvidedBlob, reached: Set<string>): void {
    if (!blob.toReach) return;
    for (const peer of reached) blob.toReach.delete(peer);
    const attempts = blob.joinAttempts ?? 0;
    if (blob.toReach.size === 0 || attempts >= JOIN_REPROVIDE_RETRIES || this.shutdown.signal.aborted) {
      blob.toReach = undefined;
      blob.joinAttempts = undefined;
      return;
    }
    blob.joinAttempts = attempts + 1;
    const retry = setTimeout(
      () => {
        this.retries.delete(retry);
        if (this.shutdown.signal.aborted || this.provided.get(id) !== blob || this.deps.isBlacklisted(id)) return;
        this.publish(id, {}).then(
          (again) => this.checkReached(id, blob, again),
          (e: unknown) => {
            this.deps.onError?.(e as Error, id);
            this.checkReached(id, blob, new Set());
          },
        );
      },
      this.opts.joinReprovideRetryMs * 2 ** attempts,
    );
    retry.unref?.();
    this.retries.add(retry);
  }

  /** Runs the due re-provides after the join delay (again, while some are due: a pass was running when the timer fired). */
  private armSoon(): void {
    if (this.soon || this.shutdown.signal.aborted) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      void this.reprovideDue().then(() => {
        const t = this.now();
        if ([...this.provided.values()].some((blob) => blob.nextReprovideAt <= t)) this.armSoon();
      });
    }, this.opts.joinReprovideDelayMs);
    this.soon.unref?.();
  }

  /** Blob ids this node currently provides. */
  providing(): string[] {
    return [...this.provided.keys()];
  }

  /** When `blobId` is next re-provided (ms), if it is provided. */
  nextReprovideAt(blobId: string): number | undefined {
    return this.provided.get(normalize(blobId))?.nextReprovideAt;
  }

  private nextTime(): number {
    return this.now() + this.opts.reprovideMinMs + this.random() * (this.opts.reprovideMaxMs - this.opts.reprovideMinMs);
  }

  /** Publishes a provider record for a blob this node holds, and schedules its re-provides. Refuses blacklisted blobs. */
  async provide(blobId: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const id = normalize(blobId);
    if (this.deps.isBlacklisted(id)) throw new MeshArgumentError(`blob ${id} is blacklisted; not providing it`);
    const blob = this.provided.get(id);
    if (blob) blob.nextReprovideAt = this.nextTime();
    else this.provided.set(id, { nextReprovideAt: this.nextTime(), kadId: kadIdOf(id) });
    await this.publish(id, options);
  }

  /** Sends the blob's provider record to its closest peers; returns the peers that took it (peer ids). */
  private async publish(id: string, options: { signal?: AbortSignal }): Promise<Set<string>> {
    const signal = AbortSignal.any([this.shutdown.signal, ...(options.signal ? [options.signal] : [])]);
    const reached = new Set<string>();
    for await (const event of this.deps.dht.provide(cidOf(id), { signal })) {
      // the records are sent as the query proceeds; a peer's answer to ADD_PROVIDER means it has the record
      if (event.name === "PEER_RESPONSE") reached.add(event.from.toString());
    }
    return reached;
  }

  /** Stops providing a blob at once: no more re-provides, and the local self-record is dropped. */
  async stopProviding(blobId: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const id = normalize(blobId);
    this.provided.delete(id);
    await this.deps.dht.cancelReprovide(cidOf(id), options);
  }

  /** Re-provides every blob whose time has come (the timer calls this; tests too). Returns the blob ids re-provided. */
  async reprovideDue(options: { signal?: AbortSignal } = {}): Promise<string[]> {
    if (this.ticking) return [];
    this.ticking = true;
    const done: string[] = [];
    try {
      const t = this.now();
      for (const id of [...this.provided.keys()]) {
        const blob = this.provided.get(id);
        if (!blob || blob.nextReprovideAt > t) continue;
        if (this.deps.isBlacklisted(id)) {
          await this.stopProviding(id, options).catch((e: unknown) => this.deps.onError?.(e as Error, id));
          continue;
        }
        blob.nextReprovideAt = this.nextTime();
        try {
          this.checkReached(id, blob, await this.publish(id, options));
          done.push(id);
        } catch (e) {
          this.deps.onError?.(e as Error, id);
          this.checkReached(id, blob, new Set());
        }
      }
    } finally {
      this.ticking = false;
    }
    return done;
  }

  /**
   * Providers of `blobId` that are active nodes (not this peer), at most `max`, within
   * `timeoutMs`. A blacklisted blob has none, without any query. With `localOnly`, only the
   * provider records this node already holds (kad-dht answers those first): no network query.
   */
  async findProviders(blobId: string, options: { signal?: AbortSignal; max?: number; timeoutMs?: number; localOnly?: boolean } = {}): Promise<Provider[]> {
    const id = normalize(blobId);
    if (this.deps.isBlacklisted(id)) return [];
    const max = options.max ?? this.opts.maxProviders;
    const stop = new AbortController();
    const signal = AbortSignal.any([stop.signal, this.shutdown.signal, AbortSignal.timeout(options.timeoutMs ?? this.opts.lookupTimeoutMs), ...(options.signal ? [options.signal] : [])]);
    const found = new Map<string, Provider>();
    const rejected = new Set<string>();
    try {
      for await (const event of this.deps.dht.findProviders(cidOf(id), { signal })) {
        const local = (event.name === "PEER_RESPONSE" || event.name === "PROVIDER") && event.from.equals(this.deps.self);
        if (options.localOnly && !local) break; // past the local records: the network query starts
        if (event.name !== "PROVIDER") continue;
        for (const p of event.providers) {
          const key = p.id.toString();
          if (found.has(key) || rejected.has(key) || p.id.equals(this.deps.self)) continue;
          let active = false;
          try {
            active = await this.deps.activeSet.isActivePeer(p.id, { signal });
          } catch (e) {
            this.deps.onError?.(e as Error, id);
          }
          if (!active) {
            rejected.add(key);
            continue;
          }
          found.set(key, { peer: p.id, multiaddrs: p.multiaddrs });
          if (found.size >= max) break;
        }
        if (found.size >= max || (options.localOnly && local)) break; // the local records came in one event: no network query is started
      }
    } catch (e) {
      // a timeout or abort ends the lookup with what was found so far; the caller's own abort propagates
      if (options.signal?.aborted) throw e;
    } finally {
      stop.abort();
    }
    return [...found.values()];
  }
}

function normalize(blobId: string): string {
  const id = blobId.toLowerCase();
  fromHex(id, 32);
  return id;
}

function cidOf(blobId: string): CID {
  return blobIdToCid(fromHex(blobId, 32));
}

/** The key's place in the routing table's keyspace: SHA-256 of the CID's multihash (what kad-dht's provide queries for). */
export function kadIdOf(blobId: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(cidOf(blobId).multihash.bytes).digest());
}

/** A peer's place in the keyspace: SHA-256 of its multihash (kad-dht's `convertPeerId`). */
export function kadIdOfPeer(peer: PeerId): Uint8Array {
  return new Uint8Array(createHash("sha256").update(peer.toMultihash().bytes).digest());
}

function xorDistance(a: Uint8Array, b: Uint8Array): Uint8Array {
  return a.map((byte, i) => byte ^ b[i]);
}

/** The sign of (XOR distance from `a` to `b`) − `distance`, without allocating: a join pass compares every provided blob. */
function compareDistance(a: Uint8Array, b: Uint8Array, distance: Uint8Array): number {
  for (let i = 0; i < distance.length; i++) {
    const byte = a[i] ^ b[i];
    if (byte !== distance[i]) return byte < distance[i] ? -1 : 1;
  }
  return 0;
}

/** Where kad-dht keeps provider records in the libp2p datastore (its default `datastorePrefix` + "/provider"). */
const PROVIDER_KEY_PREFIX = "/dht/provider/";

/**
 * An in-memory libp2p datastore that refuses DHT provider records (keys
 * `/dht/provider/<multihash>/<peer id>`) from peers that are not active nodes (this peer's own
 * records always pass), and beyond `maxRecords` in total. A refused put is dropped silently: the
 * sender cannot tell, and the record would never have been returned to anyone.
 */
export class ProviderRecordGate extends MemoryDatastore {
  private records = 0;
  /** Records refused (not an active node, or over the cap). */
  dropped = 0;

  constructor(
    private readonly accept: (peerId: string) => boolean,
    private readonly maxRecords = MAX_PROVIDER_RECORDS,
  ) {
    super();
  }

  override put(key: Key, value: Uint8Array, options?: { signal?: AbortSignal }): Key | Promise<Key> {
    const k = key.toString();
    if (k.startsWith(PROVIDER_KEY_PREFIX)) {
      const fresh = !(super.has(key) as boolean);
      if (!this.accept(k.slice(k.lastIndexOf("/") + 1)) || (fresh && this.records >= this.maxRecords)) {
        this.dropped++;
        return key;
      }
      if (fresh) this.records++;
    }
    return super.put(key, value, options);
  }

  override delete(key: Key, options?: { signal?: AbortSignal }): void | Promise<void> {
    const k = key.toString();
    if (k.startsWith(PROVIDER_KEY_PREFIX) && (super.has(key) as boolean)) this.records--;
    return super.delete(key, options);
  }

  /** Provider records held now. */
  providerRecords(): number {
    return this.records;
  }
}
