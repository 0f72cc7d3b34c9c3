import { expect } from "chai";
import { rank, Reputation, score } from "../../../agents/client/selection.js";

describe("client › selection", () => {
  const c = (nodeId: bigint, pricePerGiB: bigint, rttMs: number) => ({ nodeId, nodeKey: `0x${nodeId}`, pricePerGiB, rttMs });

  it("ranks by (price + 1) × (rtt + 10) / max(reputation, 0.1)², ties by node id", () => {
    const neutral = () => 0.5;
    expect(rank([c(2n, 100n, 5), c(1n, 100n, 5), c(3n, 50n, 5)], neutral).map((x) => x.nodeId)).to.deep.equal([3n, 1n, 2n]);
    expect(rank([c(1n, 100n, 50), c(2n, 100n, 5)], neutral).map((x) => x.nodeId)).to.deep.equal([2n, 1n]);
    expect(score(c(1n, 99n, 0), 0.5)).to.equal((100 * 10) / 0.25);
    // a bad reputation outweighs a lower price
    const rep = (k: string) => (k === "0x1" ? 0.1 : 0.5);
    expect(rank([c(1n, 50n, 5), c(2n, 100n, 5)], rep).map((x) => x.nodeId)).to.deep.equal([2n, 1n]);
  });

  it("reputation: EWMA α 0.1, each interaction moves it by at most 0.05, new peers are neutral", () => {
    const r = new Reputation();
    expect(r.get("a")).to.equal(0.5);
    r.record("a", 0);
    // chai's closeTo is bigint-only once Hardhat's matchers load: compare the distance instead.
    expect(Math.abs(r.get("a") - 0.45)).to.be.lessThan(1e-12);
    r.record("b", 1);
    expect(Math.abs(r.get("b") - 0.55)).to.be.lessThan(1e-12);
    for (let i = 0; i < 200; i++) r.record("b", 1);
    expect(r.get("b")).to.be.at.most(1).and.greaterThan(0.95);
  });
});
