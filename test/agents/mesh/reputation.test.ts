import { expect } from "chai";
import fc from "fast-check";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { HALF_LIFE_MS, MAX_STEP, NEUTRAL, Reputation, SqliteReputationStore, decayed, rankCandidates, selectionCost, step, type Candidate } from "../../../agents/mesh/reputation.js";
import { tmpDir } from "../../helpers/tmp.js";

/** |actual − expected| ≤ eps (chai's closeTo is replaced by a bigint-only one when hardhat's matchers load). */
function near(actual: number, expected: number, eps: number): void {
  expect(Math.abs(actual - expected) <= eps, `${actual} ≈ ${expected} ± ${eps}`).to.equal(true);
}

describe("mesh › reputation", () => {
  it("new peers are neutral; good deliveries raise and mismatches lower the score by at most 0.05 each", () => {
    let t = 0;
    const rep = new Reputation({}, { now: () => t });
    expect(rep.score("a")).to.equal(NEUTRAL);
    let prev = NEUTRAL;
    for (let i = 0; i < 5; i++) {
      const { score } = rep.record("a", { kind: "delivery", bytes: 50_000_000, durationMs: 1000 });
      expect(score).to.be.greaterThan(prev);
      expect(score - prev).to.be.at.most(MAX_STEP + 1e-12);
      prev = score;
    }
    const before = rep.score("a");
    const after = rep.record("a", { kind: "mismatch" }).score;
    near(before - after, MAX_STEP, 1e-12);
    t += 1;
    expect(rep.record("b", { kind: "unreachable" }).score).to.be.lessThan(NEUTRAL);
  });

  it("EWMA with α = 0.1 and weights 0.4/0.4/0.2: a probe at 0 ms from neutral (sample 0.4 + 0.4 × 0.5 + 0.2 = 0.8) moves 0.1 × 0.3", () => {
    const rep = new Reputation({}, { now: () => 0 });
    near(rep.record("p", { kind: "probe", rttMs: 0 }).score, 0.53, 1e-12);
  });

  it("penalises sustained delivery above the declared capacity", () => {
    const rep = new Reputation({}, { now: () => 0 });
    // 10 Mbps declared = 1.25 MB/s; delivered 5 MB/s for 4 s
    const r = rep.record("fast", { kind: "delivery", bytes: 20_000_000, durationMs: 4000, declaredMbps: 10 });
    expect(r.overCapacity).to.equal(true);
    expect(r.score).to.be.lessThan(NEUTRAL);
    // a short burst is not "sustained"
    expect(rep.record("burst", { kind: "delivery", bytes: 5_000_000, durationMs: 1000, declaredMbps: 10 }).overCapacity).to.equal(false);
  });

  it("decays toward neutral with a 3-day half-life", () => {
    near(decayed(0.9, HALF_LIFE_MS), 0.7, 1e-12);
    near(decayed(0.1, 2 * HALF_LIFE_MS), 0.4, 1e-12);
    let t = 0;
    const rep = new Reputation({}, { now: () => t });
    for (let i = 0; i < 10; i++) rep.record("x", { kind: "mismatch" });
    const low = rep.score("x");
    t += HALF_LIFE_MS;
    near(rep.score("x"), NEUTRAL - (NEUTRAL - low) / 2, 1e-9);
  });

  it("property: every step stays in [0, 1] and moves at most 0.05", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (s, x) => {
        const n = step(s, x);
        return n >= 0 && n <= 1 && Math.abs(n - s) <= MAX_STEP + 1e-12;
      }),
    );
  });

  it("persists scores in node:sqlite across restarts", () => {
    const file = path.join(tmpDir("cdn-rep-"), "state.db");
    const db1 = new DatabaseSync(file);
    db1.exec("PRAGMA journal_mode=WAL");
    const rep1 = new Reputation({}, { store: new SqliteReputationStore(db1), now: () => 5 });
    rep1.record("peer1", { kind: "mismatch" });
    const s = rep1.score("peer1");
    db1.close();
    const db2 = new DatabaseSync(file);
    const rep2 = new Reputation({}, { store: new SqliteReputationStore(db2), now: () => 5 });
    expect(rep2.score("peer1")).to.equal(s);
    expect([...rep2.snapshot().keys()]).to.deep.equal(["peer1"]);
    db2.close();
  });

  describe("selection", () => {
    const c = (peer: string, price: bigint, rttMs: number, reputation: number, region?: number): Candidate => ({ peer, pricePerGiB: price, rttMs, reputation, region });

    it("cost = price × rtt / max(reputation, 0.1)²", () => {
      expect(selectionCost(c("a", 100n, 20, 0.5))).to.equal((100 * 20) / 0.25);
      expect(selectionCost(c("a", 100n, 20, 0.01))).to.equal(selectionCost(c("a", 100n, 20, 0.1)));
      expect(selectionCost(c("a", 0n, 0, 0.5))).to.equal(4); // price and rtt floors of 1
    });

    it("prefers cheap, close, reputable peers; ties broken by region diversity, then peer id", () => {
      const ranked = rankCandidates([c("d", 10n, 10, 0.5, 1), c("c", 10n, 10, 0.5, 1), c("b", 10n, 10, 0.5, 2), c("a", 100n, 10, 0.5, 3), c("e", 10n, 10, 1.0, 1)]);
      expect(ranked.map((x) => x.peer)).to.deep.equal(["e", "b", "c", "d", "a"]);
    });

    it("property: the order is deterministic (independent of input order)", () => {
      const arb = fc.array(
        fc.record({
          peer: fc.string({ minLength: 1, maxLength: 4 }),
          pricePerGiB: fc.bigInt({ min: 0n, max: 1000n }),
          rttMs: fc.integer({ min: 0, max: 500 }),
          reputation: fc.double({ min: 0, max: 1, noNaN: true }),
          region: fc.integer({ min: 0, max: 3 }),
        }),
        { maxLength: 12 },
      );
      fc.assert(
        fc.property(arb, (cands) => {
          const uniq = [...new Map(cands.map((x) => [x.peer, x])).values()];
          const a = rankCandidates(uniq).map((x) => x.peer);
          const b = rankCandidates([...uniq].reverse()).map((x) => x.peer);
          return JSON.stringify(a) === JSON.stringify(b);
        }),
      );
    });
  });
});
