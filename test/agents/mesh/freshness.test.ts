import { expect } from "chai";
import { FreshnessGuard } from "../../../agents/mesh/freshness.js";
import { StaleChainViewError } from "../../../agents/mesh/errors.js";
import { rejection } from "../../helpers/errors.js";

describe("mesh › chain-view freshness guard", () => {
  it("is stale before the first chain read, fresh after one, stale again past the bound", () => {
    let t = 1_000_000;
    const guard = new FreshnessGuard({}, { now: () => t });
    expect(guard.maxAgeMs).to.equal(30 * 60_000);
    expect(() => guard.assertFresh()).to.throw(StaleChainViewError, /no successful chain read/);
    guard.markFresh();
    guard.assertFresh();
    t += 30 * 60_000;
    guard.assertFresh();
    t += 1;
    try {
      guard.assertFresh();
      expect.fail("should throw");
    } catch (e) {
      expect(e).to.be.instanceOf(StaleChainViewError);
      expect((e as StaleChainViewError).code).to.equal("ERR_STALE_CHAIN_VIEW");
      expect((e as StaleChainViewError).ageMs).to.equal(30 * 60_000 + 1);
    }
  });

  it("track() marks the view fresh only when the read succeeds, as of when it started", async () => {
    let t = 0;
    const guard = new FreshnessGuard({ maxAgeMs: 1000 }, { now: () => t });
    const err = await guard.track(async () => Promise.reject(new Error("rpc down"))).then(...rejection);
    expect(String(err)).to.match(/rpc down/);
    expect(guard.isFresh()).to.equal(false);
    const v = await guard.track(async () => {
      t += 600; // a slow read
      return 42;
    });
    expect(v).to.equal(42);
    expect(guard.lastReadAt).to.equal(0);
    expect(guard.ageMs()).to.equal(600);
    t = 1001;
    expect(guard.isFresh()).to.equal(false);
  });
});
