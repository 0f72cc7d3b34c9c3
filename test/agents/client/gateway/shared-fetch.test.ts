import { expect } from "chai";
import { SharedFetches } from "../../../../agents/client/gateway/shared-fetch.js";

async function collect(it: AsyncIterable<Uint8Array>): Promise<number[]> {
  const out: number[] = [];
  for await (const c of it) out.push(...c);
  return out;
}

/** An upstream that yields chunk i when `release(i)` is called. */
function gatedUpstream(chunks: number) {
  let started = 0;
  let aborted = false;
  const gates: (() => void)[] = [];
  const opened: Promise<void>[] = [];
  for (let i = 0; i < chunks; i++) opened.push(new Promise((r) => (gates[i] = r)));
  return {
    start: (signal: AbortSignal) => {
      started++;
      signal.addEventListener("abort", () => (aborted = true));
      return (async function* () {
        for (let i = 0; i < chunks; i++) {
          await opened[i];
          signal.throwIfAborted();
          yield Uint8Array.from([i, i]);
        }
      })();
    },
    release: (i: number) => gates[i](),
    started: () => started,
    aborted: () => aborted,
  };
}

describe("client › gateway › SharedFetches", () => {
  it("concurrent readers of the same key share one upstream and each gets every byte", async () => {
    const shared = new SharedFetches();
    const up = gatedUpstream(3);
    const a = shared.open("k", up.start);
    up.release(0);
    const readA = collect(a.bytes);
    await new Promise((r) => setTimeout(r, 5));
    const b = shared.open("k", up.start);
    expect([a.joined, b.joined]).to.deep.equal([false, true]);
    const readB = collect(b.bytes);
    up.release(1);
    up.release(2);
    expect(await readA).to.deep.equal([0, 0, 1, 1, 2, 2]);
    expect(await readB).to.deep.equal([0, 0, 1, 1, 2, 2]);
    expect(up.started()).to.equal(1);
    expect(shared.size).to.equal(0);
  });
  it("the upstream is aborted when the last reader leaves; the next request starts a new one", async () => {
    const shared = new SharedFetches();
    const up = gatedUpstream(3);
    const controller = new AbortController();
    const a = shared.open("k", up.start, controller.signal);
    up.release(0);
    const it = a.bytes[Symbol.asyncIterator]();
    expect((await it.next()).value).to.deep.equal(Uint8Array.from([0, 0]));
    controller.abort();
    await it.return?.();
    expect(up.aborted()).to.equal(true);
    expect(shared.open("k", up.start).joined).to.equal(false);
  });
  it("nobody joins once a chunk was dropped (a late reader would miss the start)", async () => {
    const shared = new SharedFetches({ bufferBytes: 2 });
    const up = gatedUpstream(3);
    const a = shared.open("k", up.start);
    const readA = collect(a.bytes);
    up.release(0);
    up.release(1);
    await new Promise((r) => setTimeout(r, 5));
    expect(shared.open("k", gatedUpstream(1).start).joined).to.equal(false);
    up.release(2);
    expect(await readA).to.deep.equal([0, 0, 1, 1, 2, 2]);
  });
  it("an upstream failure reaches every reader", async () => {
    const shared = new SharedFetches();
    const failing = () =>
      (async function* () {
        yield Uint8Array.from([1]);
        throw new Error("chunk 1 failed verification");
      })();
    const a = shared.open("k", failing);
    const b = shared.open("k", failing);
    for (const r of [a, b]) {
      let error: unknown;
      await collect(r.bytes).catch((e) => (error = e));
      expect((error as Error).message).to.equal("chunk 1 failed verification");
    }
  });
});
