/**
 * Local reputation (docs/mesh.md, "Reputation and selection"): per peer, an EWMA (α 0.1) of interaction samples
 *
 *   sample = 0.4·speed + 0.4·correctness + 0.2·reachability      (each in 0 … 1)
 *
 * where one interaction moves the score by at most ±0.05, scores decay toward neutral (0.5)
 * with a 3-day half-life, and new peers start neutral. Scores are persisted through a
 * ReputationStore (node:sqlite or memory). Selection (`selectionCost`, `rankCandidates`) is a
 * pure, deterministic function of the candidates.
 */
import type { DatabaseSync } from "node:sqlite";

export const NEUTRAL = 0.5;
export const ALPHA = 0.1;
export const MAX_STEP = 0.05;
export const HALF_LIFE_MS = 3 * 24 * 3600 * 1000;
export const WEIGHTS = { speed: 0.4, correctness: 0.4, reachability: 0.2 } as const;
/** Reputation floor in the selection cost, so a bad peer is expensive but finite. */
export const REPUTATION_FLOOR = 0.1;

/** What one interaction with a peer showed. */
export type Interaction =
  /** The peer did not answer (dial, probe or stream failure, timeout). */
  | { kind: "unreachable" }
  /** A probe answered: `rttMs` round trip. */
  | { kind: "probe"; rttMs: number }
  /** A delivery whose bytes all verified: throughput measured over verified bytes. */
  | { kind: "delivery"; bytes: number; durationMs: number; declaredMbps?: number }
  /** A chunk failed verification against the blob id. */
  | { kind: "mismatch" };

export interface ReputationOptions {
  /** Throughput (bytes/s) that earns a full speed component (default 12.5 MB/s = 100 Mbps). */
  referenceBytesPerSecond?: number;
  /** RTT at or above which a probe earns no speed (default 1,000 ms; linear below). */
  referenceRttMs?: number;
  /** A delivery faster than this factor × declared capacity counts as "above the declared capacity" (default 1.2). */
  overCapacityFactor?: number;
  /** Deliveries shorter than this are too short to judge the capacity (default 2 s). */
  minSustainedMs?: number;
}

export interface ReputationRecord {
  score: number;
  /** Last update, ms since epoch. */
  updatedAt: number;
  interactions: number;
}

export interface ReputationStore {
  get(peer: string): ReputationRecord | undefined;
  put(peer: string, record: ReputationRecord): void;
  entries(): Iterable<[string, ReputationRecord]>;
}

export class MemoryReputationStore implements ReputationStore {
  private readonly map = new Map<string, ReputationRecord>();
  get(peer: string): ReputationRecord | undefined {
    return this.map.get(peer);
  }
  put(peer: string, record: ReputationRecord): void {
    this.map.set(peer, { ...record });
  }
  entries(): Iterable<[string, ReputationRecord]> {
    return this.map.entries();
  }
}

/** Persists scores in table `mesh_reputation` of an injected node:sqlite database (WAL, durable). */
export class SqliteReputationStore implements ReputationStore {
  private readonly getStmt;
  private readonly putStmt;
  private readonly allStmt;
  constructor(private readonly db: DatabaseSync) {
    db.exec(`CREATE TABLE IF NOT EXISTS mesh_reputation (
      peer TEXT PRIMARY KEY,
      score REAL NOT NULL,
      updated_at INTEGER NOT NULL,
      interactions INTEGER NOT NULL
    ) STRICT`);
    this.getStmt = db.prepare("SELECT score, updated_at, interactions FROM mesh_reputation WHERE peer = ?");
    this.putStmt = db.prepare(
      "INSERT INTO mesh_reputation (peer, score, updated_at, interactions) VALUES (?, ?, ?, ?) ON CONFLICT(peer) DO UPDATE SET score = excluded.score, updated_at = excluded.updated_at, interactions = excluded.interactions",
    );
    this.allStmt = db.prepare("SELECT peer, score, updated_at, interactions FROM mesh_reputation");
  }
  get(peer: string): ReputationRecord | undefined {
    const row = this.getStmt.get(peer) as { score: number; updated_at: number; interactions: number } | undefined;
    return row ? { score: row.score, updatedAt: row.updated_at, interactions: row.interactions } : undefined;
  }
  put(peer: string, r: ReputationRecord): void {
    this.putStmt.run(peer, r.score, Math.round(r.updatedAt), r.interactions);
  }
  *entries(): Iterable<[string, ReputationRecord]> {
    for (const row of this.allStmt.all() as { peer: string; score: number; updated_at: number; interactions: number }[]) {
      yield [row.peer, { score: row.score, updatedAt: row.updated_at, interactions: row.interactions }];
    }
  }
}

const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : Number.isFinite(x) ? x : 0);

/** The sample (0 … 1) one interaction contributes, and whether it was above the declared capacity. */
export function sampleOf(i: Interaction, o: Required<ReputationOptions>): { sample: number; overCapacity: boolean } {
  const w = WEIGHTS;
  switch (i.kind) {
    case "unreachable":
      // nothing verified either way: correctness stays neutral
      return { sample: w.correctness * NEUTRAL, overCapacity: false };
    case "mismatch":
      return { sample: w.reachability, overCapacity: false };
    case "probe": {
      const speed = clamp01(1 - i.rttMs / o.referenceRttMs);
      return { sample: w.speed * speed + w.correctness * NEUTRAL + w.reachability, overCapacity: false };
    }
    case "delivery": {
      const seconds = Math.max(i.durationMs, 1) / 1000;
      const rate = i.bytes / seconds;
      const speed = clamp01(rate / o.referenceBytesPerSecond);
      const declared = i.declaredMbps !== undefined ? (i.declaredMbps * 1_000_000) / 8 : undefined;
      const over = declared !== undefined && i.durationMs >= o.minSustainedMs && rate > declared * o.overCapacityFactor;
      // sustained delivery above the declared capacity: the node bonded for less than it serves
      return { sample: w.speed * (over ? 0 : speed) + w.correctness * (over ? 0 : 1) + w.reachability, overCapacity: over };
    }
  }
}

/** Pure decay toward neutral: half of the distance is gone after HALF_LIFE_MS. */
export function decayed(score: number, elapsedMs: number): number {
  if (!(elapsedMs > 0)) return score;
  return NEUTRAL + (score - NEUTRAL) * Math.pow(0.5, elapsedMs / HALF_LIFE_MS);
}

/** Pure EWMA step with the ±MAX_STEP cap. */
export function step(score: number, sample: number): number {
  const delta = ALPHA * (sample - score);
  return clamp01(score + Math.max(-MAX_STEP, Math.min(MAX_STEP, delta)));
}

export interface ReputationDependencies {
  store?: ReputationStore;
  /** ms clock (default Date.now). */
  now?: () => number;
}

export class Reputation {
  private readonly opts: Required<ReputationOptions>;
  private readonly store: ReputationStore;
  private readonly now: () => number;

  constructor(options: ReputationOptions = {}, deps: ReputationDependencies = {}) {
    this.opts = {
      referenceBytesPerSecond: options.referenceBytesPerSecond ?? 12_500_000,
      referenceRttMs: options.referenceRttMs ?? 1000,
      overCapacityFactor: options.overCapacityFactor ?? 1.2,
      minSustainedMs: options.minSustainedMs ?? 2000,
    };
    this.store = deps.store ?? new MemoryReputationStore();
    this.now = deps.now ?? Date.now;
  }

  /** Current score of `peer` (0 … 1, neutral 0.5 for a peer never seen), decayed to now. */
  score(peer: string): number {
    const r = this.store.get(peer);
    return r ? decayed(r.score, this.now() - r.updatedAt) : NEUTRAL;
  }

  /** Applies one interaction; returns the new score and whether it showed delivery above the declared capacity. */
  record(peer: string, interaction: Interaction): { score: number; overCapacity: boolean } {
    const t = this.now();
    const prev = this.store.get(peer);
    const current = prev ? decayed(prev.score, t - prev.updatedAt) : NEUTRAL;
    const { sample, overCapacity } = sampleOf(interaction, this.opts);
    const score = step(current, sample);
    this.store.put(peer, { score, updatedAt: t, interactions: (prev?.interactions ?? 0) + 1 });
    return { score, overCapacity };
  }

  /** All known peers with their decayed scores. */
  snapshot(): Map<string, number> {
    const t = this.now();
    const out = new Map<string, number>();
    for (const [peer, r] of this.store.entries()) out.set(peer, decayed(r.score, t - r.updatedAt));
    return out;
  }
}

// ---- selection ----

export interface Candidate {
  /** Stable id (peer id string or node key); the final tie-break. */
  peer: string;
  /** Token base units per GiB. */
  pricePerGiB: bigint;
  /** Measured round trip in ms (probe). */
  rttMs: number;
  /** Local reputation (0 … 1). */
  reputation: number;
  region?: number;
}

/**
 * docs/mesh.md: cost = price × rtt / max(reputation, 0.1)². Lower is better. A price of 0 counts as
 * 1 base unit and an rtt below 1 ms as 1 ms, so both terms always matter.
 */
export function selectionCost(c: Candidate): number {
  const price = Number(c.pricePerGiB > 0n ? c.pricePerGiB : 1n);
  const rtt = Math.max(1, c.rttMs);
  const rep = Math.max(c.reputation, REPUTATION_FLOOR);
  return (price * rtt) / (rep * rep);
}

/**
 * Orders candidates by cost, deterministic on ties: among equal costs, a region not yet picked
 * comes first (region diversity), then the lower peer id. Returns a new array.
 */
export function rankCandidates<C extends Candidate>(candidates: readonly C[]): C[] {
  const rest = candidates.map((c) => ({ c, cost: selectionCost(c) }));
  rest.sort((a, b) => a.cost - b.cost || (a.c.peer < b.c.peer ? -1 : a.c.peer > b.c.peer ? 1 : 0));
  const out: C[] = [];
  const regions = new Set<number | undefined>();
  while (rest.length > 0) {
    const best = rest[0].cost;
    let pick = 0;
    for (let i = 0; i < rest.length && rest[i].cost === best; i++) {
      if (!regions.has(rest[i].c.region)) {
        pick = i;
        break;
      }
    }
    const [{ c }] = rest.splice(pick, 1);
    regions.add(c.region);
    out.push(c);
  }
  return out;
}

/** Ranks only the candidates `isActive` admits (a node whose bond fell below the curve is never selected). */
export function selectCandidates<C extends Candidate>(candidates: readonly C[], isActive: (c: C) => boolean): C[] {
  return rankCandidates(candidates.filter(isActive));
}
