import { expect } from "chai";
import { SpendGuard } from "../../../../agents/client/gateway/spend-guard.js";

describe("client › gateway › SpendGuard", () => {
  it("sums the last hour, refuses what would exceed the limit, and says when it fits again", () => {
    let now = 0;
    const guard = new SpendGuard(100n, () => now);
    guard.record(60n);
    now = 1_000_000; // ~17 min later
    guard.record(30n);
    expect(guard.lastHour()).to.equal(90n);
    expect(guard.exceeds(10n)).to.equal(false);
    expect(guard.exceeds(11n)).to.equal(true);
    // 11 more fits once the first 60 ages out: one hour after t=0
    expect(guard.retryAfterSeconds(11n)).to.equal(3600 - 1000);
    now = 3_600_001;
    expect(guard.lastHour()).to.equal(30n);
    expect(guard.exceeds(70n)).to.equal(false);
  });
  it("without a limit nothing is refused", () => {
    const guard = new SpendGuard(undefined);
    guard.record(10n ** 12n);
    expect(guard.exceeds(10n ** 12n)).to.equal(false);
  });
});
