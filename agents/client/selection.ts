/**
 * Provider selection: lowest expected cost wins, deterministic on ties.
 *
 *   score = (pricePerGiB + 1) × (rttMs + 10) / max(reputation, 0.1)²
 *
 * price in USDC base units per GiB (+1 so free nodes still rank by latency), the probe's round
 * trip in ms (+10 so a sub-millisecond loopback RTT does not dominate), reputation in [0, 1]
 * (local EWMA, 0.5 for a new peer). Ties: lower node id first.
 *
 * Local reputation: EWMA with α = 0.1 of the outcome of each interaction (1 = full verified
 * delivery, 0.5 = refusal or busy, 0 = hash mismatch or protocol violation), each interaction
 * moving the score by at most ±0.05 (deCDN's starting values, DESIGN.md §8).
 */
export interface Candidate {
  nodeId: bigint;
  nodeKey: string;
  pricePerGiB: bigint;
  rttMs: number;
}

export function score(c: Candidate, reputation: number): number {
  const rep = Math.max(reputation, 0.1);
  return ((Number(c.pricePerGiB) + 1) * (c.rttMs + 10)) / (rep * rep);
}

export function rank(candidates: Candidate[], reputation: (nodeKey: string) => number): Candidate[] {
  return [...candidates].sort((a, b) => {
    const d = score(a, reputation(a.nodeKey)) - score(b, reputation(b.nodeKey));
    if (d !== 0) return d;
    return a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0;
  });
}

export class Reputation {
  private readonly scores = new Map<string, number>();
  constructor(
    private readonly alpha = 0.1,
    private readonly maxStep = 0.05,
    private readonly neutral = 0.5,
  ) {}

  get(nodeKey: string): number {
    return this.scores.get(nodeKey) ?? this.neutral;
  }

  record(nodeKey: string, outcome: number): void {
    const old = this.get(nodeKey);
    const target = old + this.alpha * (outcome - old);
    const step = Math.max(-this.maxStep, Math.min(this.maxStep, target - old));
    this.scores.set(nodeKey, old + step);
  }
}
