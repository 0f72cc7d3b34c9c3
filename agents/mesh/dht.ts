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
 *   about k/N of them), and one peer's joins count once per JOIN_REPROVIDE_PEER_GAP_MS;
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
import { MemoryDatastore } from "datastore-core/memory";
import type { Key } from "interface-datastore";
import { blobIdToCid } from "../protocol/cid.js";
import { fromHex } from "../protocol/bytes.js";
import type { ActiveSet } from "./active-set.js";
import { JOIN_REPROVIDE_DELAY_MS, JOIN_REPROVIDE_PEER_GAP_MS, MAX_JOINS_REMEMBERED, MAX_PROVIDER_RECORDS, MAX_PROVIDERS, REPROVIDE_MAX_MS, REPROVIDE_MIN_MS } from "./constants.js";
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
}

/** What the DHT's routing table offers (kad-dht's implementation): the k closest peers to a key, and its joins. */
export interface RoutingTableView {
  closestPeers(kadId: Uint8Array, options?: { count?: number }): PeerId[];
  addEventListener(type: "peer:add", listener: (event: CustomEvent<PeerId>) => void): void;
  removeEventListener(type: "peer:add", listener: (event: CustomEvent<PeerId>) => void): void;
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

export class MeshDht {
  private readonly opts: Required<MeshDhtOptions>;
  private readonly deps: MeshDhtDependencies;
  private readonly now: () => number;
  private readonly random: () => number;
  /** blobId → next re-provide time (ms). */
  private readonly schedule = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private ticking = false;
  private readonly shutdown = new AbortController();
  /** The re-provide that follows a join, while one is pending. */
  private soon: ReturnType<typeof setTimeout> | undefined;
  /** Peers whose join triggered re-provides, and when (oldest first). */
  private readonly joins = new Map<string, number>();
  stats = { joinReprovides: 0 };

  constructor(options: MeshDhtOptions, deps: MeshDhtDependencies) {
    this.opts = {
      reprovideMinMs: options.reprovideMinMs ?? REPROVIDE_MIN_MS,
      reprovideMaxMs: options.reprovideMaxMs ?? REPROVIDE_MAX_MS,
      tickMs: options.tickMs ?? 60_000,
      lookupTimeoutMs: options.lookupTimeoutMs ?? 10_000,
      maxProviders: options.maxProviders ?? MAX_PROVIDERS,
      joinReprovideDelayMs: options.joinReprovideDelayMs ?? JOIN_REPROVIDE_DELAY_MS,
    };
    if (this.opts.reprovideMaxMs < this.opts.reprovideMinMs) throw new MeshArgumentError("reprovideMaxMs < reprovideMinMs");
    this.deps = deps;
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
  }

  start(): void {
    if (!this.timer) this.deps.routingTable?.addEventListener("peer:add", this.onJoined);
    this.timer ??= setInterval(() => void this.reprovideDue(), this.opts.tickMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.soon) clearTimeout(this.soon);
    this.soon = undefined;
    this.deps.routingTable?.removeEventListener("peer:add", this.onJoined);
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
    const due = this.now() + this.opts.joinReprovideDelayMs;
    let touched = 0;
    for (const [id, at] of this.schedule) {
      if (at <= due) continue;
      const closest = table.closestPeers(kadIdOf(id), { count: this.deps.k ?? 20 });
      if (!closest.some((p) => p.equals(peer))) continue;
      this.schedule.set(id, due);
      touched++;
    }
    if (touched === 0) return;
    this.stats.joinReprovides += touched;
    this.armSoon();
  };

  /** Runs the due re-provides after the join delay (again, while some are due: a pass was running when the timer fired). */
  private armSoon(): void {
    if (this.soon || this.shutdown.signal.aborted) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      void this.reprovideDue().then(() => {
        const t = this.now();
        if ([...this.schedule.values()].some((at) => at <= t)) this.armSoon();
      });
    }, this.opts.joinReprovideDelayMs);
    this.soon.unref?.();
  }

  /** Blob ids this node currently provides. */
  providing(): string[] {
    return [...this.schedule.keys()];
  }

  /** When `blobId` is next re-provided (ms), if it is provided. */
  nextReprovideAt(blobId: string): number | undefined {
    return this.schedule.get(normalize(blobId));
  }

  private nextTime(): number {
    return this.now() + this.opts.reprovideMinMs + this.random() * (this.opts.reprovideMaxMs - this.opts.reprovideMinMs);
  }

  /** Publishes a provider record for a blob this node holds, and schedules its re-provides. Refuses blacklisted blobs. */
  async provide(blobId: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const id = normalize(blobId);
    if (this.deps.isBlacklisted(id)) throw new MeshArgumentError(`blob ${id} is blacklisted; not providing it`);
    this.schedule.set(id, this.nextTime());
    await this.publish(id, options);
  }

  private async publish(id: string, options: { signal?: AbortSignal }): Promise<void> {
    const signal = AbortSignal.any([this.shutdown.signal, ...(options.signal ? [options.signal] : [])]);
    for await (const _ of this.deps.dht.provide(cidOf(id), { signal })) {
      // drain: the records are sent as the query proceeds
    }
  }

  /** Stops providing a blob at once: no more re-provides, and the local self-record is dropped. */
  async stopProviding(blobId: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const id = normalize(blobId);
    this.schedule.delete(id);
    await this.deps.dht.cancelReprovide(cidOf(id), options);
  }

  /** Re-provides every blob whose time has come (the timer calls this; tests too). Returns the blob ids re-provided. */
  async reprovideDue(options: { signal?: AbortSignal } = {}): Promise<string[]> {
    if (this.ticking) return [];
    this.ticking = true;
    const done: string[] = [];
    try {
      const t = this.now();
      for (const [id, at] of [...this.schedule]) {
        if (at > t || !this.schedule.has(id)) continue;
        if (this.deps.isBlacklisted(id)) {
          await this.stopProviding(id, options).catch((e: unknown) => this.deps.onError?.(e as Error, id));
          continue;
        }
        this.schedule.set(id, this.nextTime());
        try {
          await this.publish(id, options);
          done.push(id);
        } catch (e) {
          this.deps.onError?.(e as Error, id);
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
function kadIdOf(blobId: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(cidOf(blobId).multihash.bytes).digest());
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
