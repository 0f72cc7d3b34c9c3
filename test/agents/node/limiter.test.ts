import { expect } from "chai";
import { BusyError, CapacityLimiter } from "../../../agents/node/limiter.js";
import { rejection } from "../../helpers/errors.js";

describe("node › capacity limiter", () => {
  function clocked(capacityMbps: number, burstSeconds = 0.5) {
    let t = 0;
    const limiter = new CapacityLimiter({ capacityMbps, burstSeconds, maxChunkBytes: 1000 }, { now: () => t });
    return { limiter, advance: (ms: number) => (t += ms) };
  }

  it("admits up to the bucket, then refuses with a typed BusyError and a retry-after", () => {
    const { limiter } = clocked(8); // 1,000,000 B/s → 1,000 B/ms; burst 500,000 B
    expect(limiter.burstBytes).to.equal(500_000);
    expect(limiter.tryAcquire(400_000).ok).to.equal(true);
    const r = limiter.tryAcquire(200_000);
    expect(r.ok).to.equal(false);
    if (r.ok) return;
    expect(r.error).to.be.instanceOf(BusyError);
    expect(r.error.code).to.equal("ERR_BUSY");
    expect(r.error.retryAfterMs).to.equal(100); // 100,000 bytes missing at 1,000 B/ms
    expect(() => limiter.acquireOrThrow(200_000)).to.throw(BusyError);
    // a refusal takes nothing
    expect(limiter.available()).to.equal(100_000);
  });

  it("tokens given back for a refused stream are available again, never above the bucket", () => {
    const { limiter } = clocked(8);
    expect(limiter.tryAcquire(500_000).ok).to.equal(true);
    expect(limiter.tryAcquire(1000).ok).to.equal(false);
    limiter.release(300_000);
    expect(limiter.available()).to.equal(300_000);
    limiter.release(10_000_000);
    expect(limiter.available()).to.equal(500_000);
  });

  it("refills at the declared rate across all callers and never above the burst", () => {
    const { limiter, advance } = clocked(8);
    limiter.acquireOrThrow(500_000);
    expect(limiter.tryAcquire(1).ok).to.equal(false);
    advance(100);
    expect(limiter.available()).to.equal(100_000);
    advance(10_000);
    expect(limiter.available()).to.equal(500_000);
  });

  it("sustained demand above capacity is served at the capacity, the rest refused", () => {
    const { limiter, advance } = clocked(80); // 10,000 B/ms
    let granted = 0;
    let refused = 0;
    for (let ms = 0; ms < 10_000; ms++) {
      // three streams each asking 6,000 B/ms: 18,000 B/ms demand
      for (let s = 0; s < 3; s++) {
        if (limiter.tryAcquire(6000).ok) granted += 6000;
        else refused++;
      }
      advance(1);
    }
    expect(refused).to.be.greaterThan(0);
    // 10 s at 10,000 B/ms plus at most one burst
    expect(granted).to.be.at.most(10_000 * 10_000 + limiter.burstBytes);
    expect(granted).to.be.at.least(10_000 * 10_000 * 0.95);
    expect(limiter.loadBps()).to.be.greaterThan(9000);
  });

  it("acquire() waits for tokens and honours its signal", async () => {
    const limiter = new CapacityLimiter({ capacityMbps: 8, burstSeconds: 0.01, maxChunkBytes: 1000 }); // 10,000 B burst, 1,000 B/ms
    limiter.acquireOrThrow(10_000);
    await limiter.acquire(5000, { signal: AbortSignal.timeout(2000) });
    // more than the bucket holds is taken in pieces (a single tryAcquire of it is refused)
    expect(limiter.tryAcquire(25_000).ok).to.equal(false);
    await limiter.acquire(25_000, { signal: AbortSignal.timeout(5000) });
    const ac = new AbortController();
    const p = limiter.acquire(10_000, { signal: ac.signal });
    ac.abort(new Error("stop"));
    const err = await p.then(...rejection);
    expect(String(err)).to.match(/stop/);
  });

  it("rejects invalid capacities and byte counts", () => {
    expect(() => new CapacityLimiter({ capacityMbps: 0 })).to.throw(RangeError);
    expect(() => new CapacityLimiter({ capacityMbps: 1 }).tryAcquire(-1)).to.throw(RangeError);
  });
});
