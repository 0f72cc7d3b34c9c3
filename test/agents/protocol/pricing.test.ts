import { expect } from "chai";
import fc from "fast-check";
import { GIB } from "../../../agents/protocol/constants.js";
import { InvalidArgumentError } from "../../../agents/protocol/errors.js";
import { amountOwed, bytesCovered } from "../../../agents/protocol/pricing.js";

const bytes = fc.bigInt({ min: 0n, max: 1n << 60n });
const price = fc.bigInt({ min: 0n, max: 10n ** 12n }); // up to 1,000,000 USDC per GiB

describe("protocol › pricing", () => {
  it("charges exactly the price for whole GiB and nothing for nothing", () => {
    expect(amountOwed(0n, 5_000n)).to.equal(0n);
    expect(amountOwed(GIB, 5_000n)).to.equal(5_000n);
    expect(amountOwed(3n * GIB, 7n)).to.equal(21n);
  });

  it("rounds up once, on the cumulative total", () => {
    expect(amountOwed(1n, 1n)).to.equal(1n); // 1 byte at 1 unit/GiB: 2^-30 rounds up to 1
    expect(amountOwed(GIB / 2n, 3n)).to.equal(2n); // 1.5 → 2
    expect(amountOwed(GIB / 2n, 2n)).to.equal(1n); // exact
  });

  it("is monotonic in bytes", () => {
    fc.assert(
      fc.property(bytes, bytes, price, (a, b, p) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(amountOwed(lo, p) <= amountOwed(hi, p)).to.equal(true);
      }),
      { numRuns: 300 },
    );
  });

  it("never rounds against the payer by a whole base unit, and never under-pays the node", () => {
    fc.assert(
      fc.property(bytes, price, (n, p) => {
        const owed = amountOwed(n, p);
        // exact = n·p / 2^30; owed − exact ∈ [0, 1)  ⇔  0 ≤ owed·2^30 − n·p < 2^30
        const diff = owed * GIB - n * p;
        expect(diff >= 0n).to.equal(true);
        expect(diff < GIB).to.equal(true);
      }),
      { numRuns: 300 },
    );
  });

  it("bytesCovered is the inverse: the most bytes a voucher pays for", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.bigInt({ min: 1n, max: 10n ** 12n }), (amount, p) => {
        const b = bytesCovered(amount, p)!;
        expect(amountOwed(b, p) <= amount).to.equal(true);
        expect(amountOwed(b + 1n, p) > amount).to.equal(true);
      }),
      { numRuns: 300 },
    );
    expect(bytesCovered(5n, 0n)).to.equal(null);
  });

  it("rejects negative inputs", () => {
    expect(() => amountOwed(-1n, 1n)).to.throw(InvalidArgumentError);
    expect(() => amountOwed(1n, -1n)).to.throw(InvalidArgumentError);
  });
});
