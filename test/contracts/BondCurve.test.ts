/**
 * The shared bond curve `max(minBond, k × mbps^alpha)` against an independent TypeScript
 * reference computed with 1e-40 fixed-point bigint arithmetic (ln by atanh series, exp by Taylor
 * series, both after range reduction by powers of two), so the reference's own error is far
 * below the tolerance under test.
 */
import { expect } from "chai";
import { network } from "hardhat";
import fc from "fast-check";
import { deployRegistryFixture, USDC, type RegistryContext } from "../helpers/registry-fixture.js";
import type { BondCurveHarness } from "../../types/ethers-contracts/index.js";

const { ethers, networkHelpers } = await network.create();

// ------------------------------------------------------------------ reference (independent of PRBMath)

const P = 10n ** 40n; // fixed-point scale of the reference
const E18 = 10n ** 18n;

function atanh(z: bigint): bigint {
  // z in fixed point P, |z| <= P/3: z + z^3/3 + z^5/5 + ...
  const z2 = (z * z) / P;
  let term = z;
  let sum = 0n;
  for (let n = 1n; term !== 0n; n += 2n) {
    sum += term / n;
    term = (term * z2) / P;
  }
  return sum;
}
const LN2 = 2n * atanh(P / 3n); // ln 2 = 2 atanh(1/3)

/** ln(x) for a positive integer x, fixed point P. */
function lnInt(x: bigint): bigint {
  let m = 0n;
  while (x >> (m + 1n) !== 0n) m++;
  // x = 2^m × y with y in [1, 2): ln y = 2 atanh((y − 1)/(y + 1))
  const y = (x * P) >> m;
  return m * LN2 + 2n * atanh(((y - P) * P) / (y + P));
}

/** exp(t) for t ≥ 0 in fixed point P, result in fixed point P. */
function exp(t: bigint): bigint {
  const n = t / LN2;
  const r = t - n * LN2; // in [0, ln 2)
  let term = P;
  let sum = 0n;
  for (let i = 1n; term !== 0n; i++) {
    sum += term;
    term = (term * r) / (P * i);
  }
  return sum << n;
}

/** Exact bond × P: max(minBond, k × mbps^alpha) in base units, scaled by P. */
export function referenceBondScaled(k: bigint, alpha: bigint, minBond: bigint, mbps: bigint): bigint {
  const power = mbps === 0n ? 0n : exp((alpha * lnInt(mbps)) / E18); // mbps^alpha × P
  const bond = k * power;
  return bond > minBond * P ? bond : minBond * P;
}

const MBPS = [1n, 10n, 100n, 1_000n, 10_000n, 100_000n];
const CURVES: Array<{ k: bigint; alpha: bigint }> = [
  { k: 1n * USDC, alpha: E18 }, // default (exact: k × mbps)
  { k: 1n * USDC, alpha: 8n * 10n ** 17n }, // lowest alpha governance can set
  { k: 10_000n, alpha: 99n * 10n ** 16n },
  { k: 1_000n * USDC, alpha: 95n * 10n ** 16n },
  { k: 1n * USDC, alpha: 12n * 10n ** 17n }, // the old default (the library computes any alpha)
  { k: 10_000n, alpha: E18 }, // lowest k, linear
  { k: 1_000n * USDC, alpha: 2n * E18 }, // highest k, quadratic
  { k: 2_500_000n, alpha: 15n * 10n ** 17n },
  { k: 123_457n, alpha: 1_370_000_000_000_000_001n },
  { k: 1n * USDC, alpha: 1_050_000_000_000_000_000n },
  { k: 999_999n, alpha: 1_999_999_999_999_999_999n },
];

describe("BondCurve", function () {
  describe("reference (self-check)", () => {
    it("matches closed forms", () => {
      const close = (got: bigint, want: bigint) => expect(got - want < 10n ** 12n && want - got < 10n ** 12n, `${got} vs ${want}`).to.equal(true);
      close(exp((lnInt(100n) * 3n) / 2n), 1000n * P); // 100^1.5
      close(exp(lnInt(1000n) * 2n), 1_000_000n * P); // 1000^2
      close(exp(lnInt(7n)), 7n * P);
      // 10^1.2 = 15.848931924611134852021013733915...
      close(exp((lnInt(10n) * 12n) / 10n), 158_489_319_246_111_348_520_210_137_339_150_701_326_940n);
      expect(exp(0n)).to.equal(P);
    });
  });

  describe("the library (BondCurveHarness)", () => {
    async function harnessFixture() {
      return (await ethers.deployContract("BondCurveHarness")) as unknown as BondCurveHarness;
    }
    let harness: BondCurveHarness;
    beforeEach(async () => {
      harness = await networkHelpers.loadFixture(harnessFixture);
    });

    describe("library against the reference", () => {
      for (const { k, alpha } of CURVES) {
        it(`k=${k} alpha=${alpha}: within 1e-9 (+1 unit) and never below exact at 1 … 100,000 Mbps`, async () => {
          for (const mbps of MBPS) {
            const got = await harness.requiredBond(k, alpha, 0n, mbps);
            const exact = referenceBondScaled(k, alpha, 0n, mbps); // × P
            expect(got * P >= exact, `below exact at ${mbps} Mbps: ${got} < ${exact}/P`).to.equal(true);
            // got − exact ≤ exact × 1e-9 + one base unit
            expect(got * P - exact <= exact / 1_000_000_000n + P, `too high at ${mbps} Mbps: ${got} vs ${exact}/P`).to.equal(true);
          }
        });
      }

      it("applies the minimum bond as a floor (and at 0 Mbps)", async () => {
        expect(await harness.requiredBond(USDC, 12n * 10n ** 17n, 100n * USDC, 10n)).to.equal(100n * USDC);
        expect(await harness.requiredBond(USDC, 12n * 10n ** 17n, 100n * USDC, 0n)).to.equal(100n * USDC);
        const big = await harness.requiredBond(USDC, 12n * 10n ** 17n, 100n * USDC, 1_000n);
        expect(big * P >= referenceBondScaled(USDC, 12n * 10n ** 17n, 100n * USDC, 1_000n)).to.equal(true);
        expect(big > 100n * USDC).to.equal(true);
      });

      it("property: monotonic in capacity for any curve within the governance bounds", async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.bigInt({ min: 10_000n, max: 1_000n * USDC }),
            fc.bigInt({ min: 8n * 10n ** 17n, max: 2n * E18 }),
            fc.bigInt({ min: 10n * USDC, max: 100_000n * USDC }),
            fc.integer({ min: 1, max: 1_000_000 }),
            fc.integer({ min: 0, max: 1_000 }),
            async (k, alpha, minBond, mbps, delta) => {
              const a = await harness.requiredBond(k, alpha, minBond, BigInt(mbps));
              const b = await harness.requiredBond(k, alpha, minBond, BigInt(mbps + delta));
              expect(b >= a, `requiredBond(${mbps + delta}) < requiredBond(${mbps})`).to.equal(true);
              // and close to the reference at both points
              expect(a * P >= referenceBondScaled(k, alpha, minBond, BigInt(mbps))).to.equal(true);
            },
          ),
          { numRuns: 60 },
        );
      });
    });

    describe("what governance can set (ProtocolParams bounds)", () => {
      const ALPHA_GRID = 10n ** 16n;
      // Any curve ProtocolParams accepts: k 0.01 … 1,000 USDC, alpha 0.80 … 1.00 on the 0.01 grid, minBond 10 … 100,000 USDC.
      const kArb = fc.oneof(fc.constantFrom(10_000n, 1_000n * USDC, USDC), fc.bigInt({ min: 10_000n, max: 1_000n * USDC }));
      const alphaArb = fc.integer({ min: 80, max: 100 }).map((a) => BigInt(a) * ALPHA_GRID);
      const minBondArb = fc.oneof(fc.constantFrom(10n * USDC, 100_000n * USDC), fc.bigInt({ min: 10n * USDC, max: 100_000n * USDC }));
      /** Parts of a split: many small (down to 1 Mbps), two unbalanced, or random; the total stays declarable. */
      const partsArb = fc.oneof(
        fc.tuple(fc.integer({ min: 1, max: 50_000 }), fc.integer({ min: 2, max: 20 })).map(([size, n]) => Array.from({ length: n }, () => size)),
        fc.integer({ min: 1, max: 999_999 }).map((a) => [a, 1_000_000 - a]),
        fc.integer({ min: 1, max: 999_999 }).map((a) => [a, 1]),
        fc.array(fc.integer({ min: 1, max: 100_000 }), { minLength: 2, maxLength: 10 }),
      );

      it("sybil split: for every curve governance can set, splitting a node into several never lowers the total bond", async () => {
        await fc.assert(
          fc.asyncProperty(kArb, alphaArb, minBondArb, partsArb, async (k, alpha, minBond, parts) => {
            const whole = await harness.requiredBond(k, alpha, minBond, BigInt(parts.reduce((a, b) => a + b, 0)));
            const split = await harness.splitBond(k, alpha, minBond, parts.map(BigInt));
            expect(split >= whole, `k ${k} alpha ${alpha} minBond ${minBond}: split ${parts.join("+")} bonds ${split} < ${whole}`).to.equal(true);
          }),
          { numRuns: 300 },
        );
      });

      it("sybil split: the attack as it was run pays under the old default alpha 1.2 (which governance can no longer set)", async () => {
        const whole = await harness.requiredBond(USDC, 12n * 10n ** 17n, 100n * USDC, 1_000n);
        const split = await harness.splitBond(
          USDC,
          12n * 10n ** 17n,
          100n * USDC,
          Array.from({ length: 22 }, () => 46n),
        );
        expect(whole / USDC).to.equal(3_981n);
        expect(split).to.equal(2_200n * USDC);
      });

      it("curve limit rounding: k × 1.5 at alpha 0.80 (10,008 → 15,012) moves the bond 229,785,121 → 344,677,682 at 282,630 Mbps and is refused", async () => {
        const anchor = { k: 10_008n, alpha: 80n * ALPHA_GRID, minBond: 10_000_002n };
        const next = { k: 15_012n, alpha: 80n * ALPHA_GRID, minBond: 10_000_000n };
        // the rounded-up bonds move by 1.5× plus half a unit here: more than +50 %
        const before = await harness.requiredBond(anchor.k, anchor.alpha, anchor.minBond, 282_630n);
        const after = await harness.requiredBond(next.k, next.alpha, next.minBond, 282_630n);
        expect([before, after]).to.deep.equal([229_785_121n, 344_677_682n]);
        expect(after * 2n > before * 3n).to.equal(true);
        const [ok, mbps] = await harness.withinHalf(anchor, next);
        expect(ok).to.equal(false);
        expect(mbps).to.equal(1n); // reported at the first end where the unrounded products leave no room
      });

      it("curve limit rounding: exact changes of ±50 % on linear curves and on the floor are still accepted", async () => {
        const linear = { k: 10_000n, alpha: E18, minBond: 100n * USDC };
        expect((await harness.withinHalf(linear, { ...linear, k: 15_000n }))[0]).to.equal(true);
        expect((await harness.withinHalf(linear, { ...linear, k: 5_000n }))[0]).to.equal(true);
        expect((await harness.withinHalf(linear, { ...linear, minBond: 150n * USDC }))[0]).to.equal(true);
        expect((await harness.withinHalf(linear, { ...linear, minBond: 50n * USDC }))[0]).to.equal(true);
        expect((await harness.withinHalf(linear, { ...linear, k: 15_001n }))[0]).to.equal(false);
        expect((await harness.withinHalf(linear, { ...linear, minBond: 150n * USDC + 1n }))[0]).to.equal(false);
        // alpha 0.80: halving k stays within (ceil(x / 2) ≥ ceil(x) / 2), one unit short of 1.5 × k too
        const curved = { k: 10_008n, alpha: 80n * ALPHA_GRID, minBond: 10n * USDC };
        expect((await harness.withinHalf(curved, { ...curved, k: 5_004n }))[0]).to.equal(true);
        expect((await harness.withinHalf(curved, { ...curved, k: 15_011n }))[0]).to.equal(true);
      });

      it("curve limit between the check points: whenever the check accepts a change, the bond moves at most ±50 % at every capacity", async () => {
        const stepArb = fc.tuple(kArb, alphaArb, minBondArb).chain(([k, alpha, minBond]) =>
          fc.record({
            anchor: fc.constant({ k, alpha, minBond }),
            next: fc.record({
              k: fc.bigInt({ min: k - k / 2n < 10_000n ? 10_000n : k - k / 2n, max: k + k / 2n > 1_000n * USDC ? 1_000n * USDC : k + k / 2n }),
              alpha: fc.integer({ min: -5, max: 5 }).map((d) => {
                const a = alpha + BigInt(d) * ALPHA_GRID;
                return a < 80n * ALPHA_GRID ? 80n * ALPHA_GRID : a > E18 ? E18 : a;
              }),
              minBond: fc.bigInt({ min: minBond - minBond / 2n < 10n * USDC ? 10n * USDC : minBond - minBond / 2n, max: minBond + minBond / 2n }),
            }),
            capacities: fc.array(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 3, maxLength: 6 }),
          }),
        );
        let accepted = 0;
        await fc.assert(
          fc.asyncProperty(stepArb, async ({ anchor, next, capacities }) => {
            const [ok] = await harness.withinHalf(anchor, next);
            if (!ok) return;
            accepted++;
            // the breakpoints of both floors, the ends and random capacities
            const breakpoints = [anchor, next].map((c) => Number(c.alpha === E18 ? c.minBond / c.k : 0n)).filter((c) => c >= 1 && c <= 1_000_000);
            for (const mbps of [1, 1_000_000, ...breakpoints, ...capacities]) {
              const before = await harness.requiredBond(anchor.k, anchor.alpha, anchor.minBond, BigInt(mbps));
              const after = await harness.requiredBond(next.k, next.alpha, next.minBond, BigInt(mbps));
              expect(after * 2n <= before * 3n && after * 2n >= before, `${mbps} Mbps: ${before} → ${after}`).to.equal(true);
            }
          }),
          { numRuns: 150 },
        );
        expect(accepted, "too few accepted changes to say anything").to.be.greaterThan(30);
      });
    });
  });

  describe("through the registry (default parameters)", () => {
    const fixture = () => deployRegistryFixture(ethers);
    let ctx: RegistryContext;
    beforeEach(async () => {
      ctx = await networkHelpers.loadFixture(fixture);
    });

    it("requiredBond is exactly max(100 USDC, 1 USDC × mbps) at the defaults", async () => {
      for (const mbps of [...MBPS, 1_000_000n]) {
        const want = mbps * USDC > 100n * USDC ? mbps * USDC : 100n * USDC;
        expect(await ctx.registry.requiredBond(mbps)).to.equal(want);
      }
    });
  });
});
