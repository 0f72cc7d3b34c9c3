import { expect } from "chai";
import { HashPool } from "../../../agents/client/hash-pool.js";
import { hashLeaf } from "../../../agents/protocol/merkle.js";

describe("client › hash pool", () => {
  it("hashes leaves on a worker thread, equal to the inline hash, and hands back the bytes", async () => {
    const pool = new HashPool();
    const big = Buffer.alloc(8192, 9);
    // a Node Buffer view into a larger buffer (as decoded chunk data is)
    const leaves = [new Uint8Array(0), new Uint8Array(1000).fill(3), new Uint8Array(262_144).map((_, i) => i % 251), big.subarray(100, 105)];
    const results = await Promise.all(leaves.map((l) => pool.hashLeaf(l)));
    results.forEach((r, i) => {
      expect(Buffer.from(r.digest).equals(Buffer.from(hashLeaf(leaves[i])))).to.equal(true);
      expect(Buffer.from(r.data).equals(Buffer.from(leaves[i]))).to.equal(true);
    });
  });

  it("queues leaves beyond its ring's slots and answers each caller with its own leaf's digest", async () => {
    const pool = new HashPool();
    const leaves = Array.from({ length: 40 }, (_, k) => new Uint8Array(k % 3 === 0 ? 262_144 : 1 + k * 97).fill(k));
    const results = await Promise.all(leaves.map((l) => pool.hashLeaf(l)));
    results.forEach((r, i) => {
      expect(Buffer.from(r.digest).equals(Buffer.from(hashLeaf(leaves[i])))).to.equal(true, `leaf ${i}`);
      expect(r.data).to.equal(leaves[i]); // the caller's own bytes, not a copy
    });
    // a second burst after the ring went idle
    const again = await pool.hashLeaf(leaves[5]);
    expect(Buffer.from(again.digest).equals(Buffer.from(hashLeaf(leaves[5])))).to.equal(true);
  });
});
