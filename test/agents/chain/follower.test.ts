import { expect } from "chai";
import type { Filter, Log, Provider } from "ethers";
import { ChainFollower, type Cursor } from "../../../agents/chain/follower.js";

/** A fake provider: a head, logs at given blocks, block hashes per fork, and scripted RPC failures. */
function fakeChain(head: number, logBlocks: number[]) {
  const state = { head, failNext: 0, ranges: [] as [number, number][], logBlocks, fork: new Map<number, string>() };
  /** Blocks at or above `from` belong to fork `name` (a reorg replaced them). */
  const reorg = (from: number, name: string) => {
    for (let b = from; b <= 10_000; b++) state.fork.set(b, name);
  };
  const hash = (b: number) => `0x${(state.fork.get(b) ?? "a").repeat(2)}${b.toString(16).padStart(62, "0")}`;
  const provider = {
    async getBlockNumber() {
      if (state.failNext > 0) {
        state.failNext--;
        throw new Error("connection refused");
      }
      return state.head;
    },
    async getBlock(b: number) {
      return b <= state.head ? { number: b, hash: hash(b) } : null;
    },
    async getLogs(f: Filter) {
      const from = Number(f.fromBlock);
      const to = Number(f.toBlock);
      state.ranges.push([from, to]);
      return state.logBlocks.filter((b) => b >= from && b <= to).map((b) => ({ blockNumber: b, blockHash: hash(b) }) as Log);
    },
  } as unknown as Provider;
  return { provider, state, reorg };
}

function memoryCursor() {
  const box: { cursor: Cursor | undefined } = { cursor: undefined };
  return { box, loadCursor: () => box.cursor, saveCursor: (c: Cursor) => void (box.cursor = c) };
}

describe("chain › follower", () => {
  it("follows from the stored cursor to head − confirmations in bounded ranges, and resumes after a restart", async () => {
    const { provider, state } = fakeChain(100, [5, 50, 97, 99]);
    const { box, ...cursorDeps } = memoryCursor();
    const seen: number[] = [];
    const deps = { provider, ...cursorDeps, onLogs: async (logs: Log[]) => void seen.push(...logs.map((l) => l.blockNumber)) };
    const options = { address: ["0x" + "11".repeat(20)], confirmations: 2, maxRange: 30, pollMs: 10, startBlock: 1 };
    await new ChainFollower(options, deps).syncOnce();
    expect(box.cursor!.block).to.equal(98);
    expect(seen).to.deep.equal([5, 50, 97]); // 99 is not confirmed yet
    expect(state.ranges.every(([a, b]) => b - a + 1 <= 30)).to.equal(true);
    // a restart (new follower, same stored cursor) continues where it stopped
    state.head = 103;
    await new ChainFollower(options, deps).syncOnce();
    expect(seen).to.deep.equal([5, 50, 97, 99]);
    expect(box.cursor!.block).to.equal(101);
  });

  it("backs off on RPC errors and keeps going", async () => {
    const { provider, state } = fakeChain(20, [10]);
    state.failNext = 2;
    const { box, ...cursorDeps } = memoryCursor();
    const errors: number[] = [];
    const seen: number[] = [];
    const follower = new ChainFollower(
      { address: [], confirmations: 0, maxRange: 100, pollMs: 5, startBlock: 0 },
      { provider, ...cursorDeps, onLogs: async (logs) => void seen.push(...logs.map((l) => l.blockNumber)), onError: (_e, attempt) => errors.push(attempt) },
    );
    follower.start();
    const deadline = Date.now() + 5000;
    while (box.cursor?.block !== 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await follower.stop();
    expect(errors).to.deep.equal([1, 2]);
    expect(seen).to.deep.equal([10]);
    expect(box.cursor!.block).to.equal(20);
  });

  it("finds a reorg below its cursor, rewinds to the last canonical checkpoint and delivers the new blocks' logs", async () => {
    const { provider, state, reorg } = fakeChain(10, [4, 8]);
    const { box, ...cursorDeps } = memoryCursor();
    const seen: string[] = [];
    const reorgs: { fromBlock: number; toBlock: number }[] = [];
    const follower = new ChainFollower(
      { address: [], confirmations: 0, maxRange: 3, pollMs: 5, startBlock: 1 },
      { provider, ...cursorDeps, onLogs: async (logs) => void seen.push(...logs.map((l) => `${l.blockNumber}:${l.blockHash.slice(2, 4)}`)), onReorg: (r) => void reorgs.push(r) },
    );
    await follower.syncOnce(); // ranges 1-3, 4-6, 7-9, 10-10
    expect(box.cursor!.recent.map(([b]) => b)).to.deep.equal([3, 6, 9, 10]);
    expect(seen).to.deep.equal(["4:aa", "8:aa"]);
    // blocks 8.. are replaced: the log at 8 moves to 9, a new one appears at 11
    reorg(8, "b");
    state.logBlocks = [4, 9, 11];
    state.head = 11;
    await follower.syncOnce();
    expect(reorgs).to.deep.equal([{ fromBlock: 7, toBlock: 10 }]); // back to block 6, the newest checkpoint still canonical
    expect(seen).to.deep.equal(["4:aa", "8:aa", "9:bb", "11:bb"]);
    expect(box.cursor!.block).to.equal(11);
    expect(follower.reorgs).to.equal(1);
    // a restart with the stored cursor sees no reorg
    await new ChainFollower(
      { address: [], confirmations: 0, maxRange: 3, pollMs: 5, startBlock: 1 },
      { provider, ...cursorDeps, onLogs: async () => undefined, onReorg: (r) => void reorgs.push(r) },
    ).syncOnce();
    expect(reorgs).to.have.length(1);
  });

  it("replays from the start block when the reorg is deeper than every stored checkpoint", async () => {
    const { provider, reorg } = fakeChain(6, [2, 5]);
    const { box, ...cursorDeps } = memoryCursor();
    const seen: number[] = [];
    const reorgs: { fromBlock: number; toBlock: number }[] = [];
    const follower = new ChainFollower(
      { address: [], confirmations: 0, maxRange: 100, pollMs: 5, startBlock: 1 },
      { provider, ...cursorDeps, onLogs: async (logs) => void seen.push(...logs.map((l) => l.blockNumber)), onReorg: (r) => void reorgs.push(r) },
    );
    await follower.syncOnce();
    expect(box.cursor!.recent).to.have.length(1);
    reorg(1, "c");
    await follower.syncOnce();
    expect(reorgs).to.deep.equal([{ fromBlock: 1, toBlock: 6 }]);
    expect(seen).to.deep.equal([2, 5, 2, 5]); // handlers are idempotent: a replay is safe
  });

  it("a chain that got shorter than the cursor (blocks rolled back) rewinds too", async () => {
    const { provider, state } = fakeChain(9, [3]);
    const { box, ...cursorDeps } = memoryCursor();
    const follower = new ChainFollower({ address: [], confirmations: 0, maxRange: 4, pollMs: 5, startBlock: 1 }, { provider, ...cursorDeps, onLogs: async () => undefined });
    await follower.syncOnce(); // checkpoints 4, 8, 9
    state.head = 7;
    await follower.syncOnce();
    expect(box.cursor!.block).to.equal(7);
    expect(box.cursor!.recent.map(([b]) => b)).to.deep.equal([4, 7]);
  });
});
