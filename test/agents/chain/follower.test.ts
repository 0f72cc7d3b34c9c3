import { expect } from "chai";
import type { Filter, Log, Provider } from "ethers";
import { ChainFollower } from "../../../agents/chain/follower.js";

/** A fake provider: a head, logs at given blocks, and scripted RPC failures. */
function fakeChain(head: number, logBlocks: number[]) {
  const state = { head, failNext: 0, ranges: [] as [number, number][] };
  const provider = {
    async getBlockNumber() {
      if (state.failNext > 0) {
        state.failNext--;
        throw new Error("connection refused");
      }
      return state.head;
    },
    async getLogs(f: Filter) {
      const from = Number(f.fromBlock);
      const to = Number(f.toBlock);
      state.ranges.push([from, to]);
      return logBlocks.filter((b) => b >= from && b <= to).map((b) => ({ blockNumber: b }) as Log);
    },
  } as unknown as Provider;
  return { provider, state };
}

describe("chain › follower", () => {
  it("follows from the stored cursor to head − confirmations in bounded ranges, and resumes after a restart", async () => {
    const { provider, state } = fakeChain(100, [5, 50, 97, 99]);
    let cursor: number | undefined;
    const seen: number[] = [];
    const deps = { provider, loadCursor: () => cursor, saveCursor: (b: number) => (cursor = b), onLogs: async (logs: Log[]) => void seen.push(...logs.map((l) => l.blockNumber)) };
    const options = { address: ["0x" + "11".repeat(20)], confirmations: 2, maxRange: 30, pollMs: 10, startBlock: 1 };
    await new ChainFollower(options, deps).syncOnce();
    expect(cursor).to.equal(98);
    expect(seen).to.deep.equal([5, 50, 97]); // 99 is not confirmed yet
    expect(state.ranges.every(([a, b]) => b - a + 1 <= 30)).to.equal(true);
    // a restart (new follower, same stored cursor) continues where it stopped
    state.head = 103;
    await new ChainFollower(options, deps).syncOnce();
    expect(seen).to.deep.equal([5, 50, 97, 99]);
    expect(cursor).to.equal(101);
  });

  it("backs off on RPC errors and keeps going", async () => {
    const { provider, state } = fakeChain(20, [10]);
    state.failNext = 2;
    let cursor: number | undefined;
    const errors: number[] = [];
    const seen: number[] = [];
    const follower = new ChainFollower(
      { address: [], confirmations: 0, maxRange: 100, pollMs: 5, startBlock: 0 },
      { provider, loadCursor: () => cursor, saveCursor: (b) => (cursor = b), onLogs: async (logs) => void seen.push(...logs.map((l) => l.blockNumber)), onError: (_e, attempt) => errors.push(attempt) },
    );
    follower.start();
    const deadline = Date.now() + 5000;
    while (cursor !== 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await follower.stop();
    expect(errors).to.deep.equal([1, 2]);
    expect(seen).to.deep.equal([10]);
    expect(cursor).to.equal(20);
  });
});
