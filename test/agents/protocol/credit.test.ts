import { expect } from "chai";
import {
  creditWindow,
  checkCreditConfig,
  DEFAULT_CREDIT,
  growthWindow,
  MIB,
  MIN_PAY_EVERY,
  openCost,
  PAY_MARGIN_BYTES_PER_MS,
  payCadence,
  settleWindow,
  valueBound,
  windowValue,
} from "../../../agents/protocol/credit.js";
import { amountOwed } from "../../../agents/protocol/pricing.js";
import { LEAF_SIZE } from "../../../agents/protocol/constants.js";

/**
 * A long download between the node's credit rule (`creditWindow`) and the client's pay cadence, one
 * leaf per tick: the node sends a leaf whenever it stays within its window past the best voucher it
 * holds; a leaf reaches the client `transit` ticks later and is verified at once; a voucher reaches
 * the node `transit` ticks after it was signed. Counts the times the node found its window full
 * (each wait counted once), in all and once the window had reached its maximum.
 */
function windowWaits(leaves: number, transit: number, cadence: (paidToNode: bigint) => number): { waits: number; waitsAtMax: number } {
  const price = 10_000n;
  let sent = 0;
  let best = 0;
  let verified = 0;
  let signed = 0;
  let waiting = false;
  const out = { waits: 0, waitsAtMax: 0 };
  const leafArrivals: number[] = [];
  const voucherArrivals: { at: number; bytes: number }[] = [];
  for (let tick = 0; verified < leaves * LEAF_SIZE; tick++) {
    while (voucherArrivals.length > 0 && voucherArrivals[0].at <= tick) best = Math.max(best, voucherArrivals.shift()!.bytes);
    while (leafArrivals.length > 0 && leafArrivals[0] <= tick) {
      leafArrivals.shift();
      verified += LEAF_SIZE;
      if (verified - signed >= cadence(amountOwed(BigInt(signed), price)) || verified === leaves * LEAF_SIZE) {
        signed = verified;
        voucherArrivals.push({ at: tick + transit, bytes: signed });
      }
    }
    if (sent === leaves) continue;
    const window = creditWindow(DEFAULT_CREDIT, price, amountOwed(BigInt(best), price));
    if ((sent + 1) * LEAF_SIZE - best <= window) {
      sent++;
      leafArrivals.push(tick + transit);
      waiting = false;
    } else if (!waiting) {
      waiting = true;
      out.waits++;
      if (window === DEFAULT_CREDIT.maxWindow) out.waitsAtMax++;
    }
  }
  return out;
}

describe("protocol › credit rule", () => {
  it("open cost with the defaults is 160,000 gas × 0.01 gwei × 2,000 USDC/ETH = 3,200 base units", () => {
    expect(openCost(DEFAULT_CREDIT)).to.equal(3_200n);
  });

  it("starts at 1 MiB, grows by half of the paid history, caps at 64 MiB", () => {
    const price = 1n << 20n; // 1,048,576 base units per GiB: one base unit per KiB, so amounts are exact
    expect(creditWindow(DEFAULT_CREDIT, price, 0n)).to.equal(MIB);
    // paid for 4 MiB → +2 MiB
    expect(creditWindow(DEFAULT_CREDIT, price, windowValue(4 * MIB, price))).to.equal(3 * MIB);
    // at this price the value bound (3,199 base units → 3,199 KiB) caps growth before 64 MiB
    expect(creditWindow(DEFAULT_CREDIT, price, 10n ** 12n)).to.equal(3199 * 1024);
    expect(creditWindow(DEFAULT_CREDIT, 10_000n, 10n ** 12n)).to.equal(64 * MIB);
  });

  it("keeps the window's value strictly below the cost of opening a channel", () => {
    for (const price of [1n, 10_000n, 1_000_000n, 3_000_000n]) {
      const w = creditWindow(DEFAULT_CREDIT, price, 10n ** 15n);
      expect(windowValue(w, price) < openCost(DEFAULT_CREDIT)).to.equal(true);
    }
    // at 3 USDC/GiB the value bound, not the 64 MiB cap, decides
    expect(creditWindow(DEFAULT_CREDIT, 3_000_000n, 10n ** 15n)).to.equal(valueBound(DEFAULT_CREDIT, 3_000_000n));
    expect(valueBound(DEFAULT_CREDIT, 3_000_000n)).to.be.lessThan(64 * MIB);
  });

  it("refuses a price at which the initial 1 MiB window is worth more than an open", () => {
    expect(() => checkCreditConfig(DEFAULT_CREDIT, 1_000_000n)).not.to.throw();
    expect(() => checkCreditConfig(DEFAULT_CREDIT, 4_000_000n)).to.throw(RangeError, /initial/);
  });

  it("a client settles at most one window of earlier unpaid bytes, and no node may run a window above the protocol's (it could be owed more than clients settle)", () => {
    const price = 10_000n;
    expect(settleWindow(0n, price)).to.equal(MIB);
    expect(settleWindow(amountOwed(126n * BigInt(MIB), price), price)).to.equal(64 * MIB);
    for (const paid of [0n, 5_000n, 10n ** 12n]) expect(creditWindow(DEFAULT_CREDIT, price, paid)).to.be.at.most(settleWindow(paid, price));
    expect(() => checkCreditConfig({ ...DEFAULT_CREDIT, maxWindow: 128 * MIB }, price)).to.throw(RangeError, /protocol/);
    expect(() => checkCreditConfig({ ...DEFAULT_CREDIT, initialWindow: 2 * MIB }, price)).to.throw(RangeError, /protocol/);
    expect(() => checkCreditConfig({ ...DEFAULT_CREDIT, initialWindow: MIB / 2, maxWindow: 4 * MIB }, price)).not.to.throw();
  });

  it("settles less than an open is worth at any price, and a node assuming a dearer open (L1) still runs no window above what clients settle", () => {
    const l1 = { ...DEFAULT_CREDIT, gasPriceWei: 100n * DEFAULT_CREDIT.gasPriceWei }; // 1 gwei: a 100× dearer open
    for (const price of [1n, 10_000n, 100_000n, 1_000_000n, 3_000_000n]) {
      for (const paid of [0n, 10n ** 6n, 10n ** 15n]) {
        expect(windowValue(settleWindow(paid, price), price) < openCost(DEFAULT_CREDIT), `price ${price}, paid ${paid}`).to.equal(true);
        expect(creditWindow(l1, price, paid)).to.be.at.most(settleWindow(paid, price));
      }
    }
    // at 0.1 USDC/GiB a grown 64 MiB window would be worth 6,250 base units: the value bound (~33 MiB) caps it on both sides
    expect(settleWindow(10n ** 15n, 100_000n)).to.equal(valueBound(DEFAULT_CREDIT, 100_000n));
    expect(valueBound(DEFAULT_CREDIT, 100_000n)).to.be.lessThan(40 * MIB);
    expect(valueBound(l1, 100_000n)).to.be.greaterThan(64 * MIB);
    // the price check takes the protocol's bound too
    expect(() => checkCreditConfig(l1, 4_000_000n)).to.throw(RangeError, /initial/);
  });

  it("the client's pay cadence: a quarter of the protocol's window (the node's rule with the defaults, value bound included), at least half the initial window", () => {
    const price = 1024n; // one base unit per MiB: amounts are exact, and the value bound (3,199 MiB) stays out of the way
    expect(payCadence(0n, price)).to.equal(MIN_PAY_EVERY);
    expect(MIN_PAY_EVERY).to.equal(DEFAULT_CREDIT.initialWindow / 2);
    const paid30MiB = amountOwed(30n * BigInt(MIB), price);
    expect(payCadence(paid30MiB, price)).to.equal(4 * MIB);
    expect(payCadence(amountOwed(126n * BigInt(MIB), price), price)).to.equal(16 * MIB);
    expect(payCadence(0n, 0n)).to.equal(16 * MIB); // a free node: the largest window
    // at 1 USDC/GiB the value bound (3,199 KiB) is the window: a quarter of it
    expect(payCadence(10n ** 12n, 1_000_000n)).to.equal(Math.floor(valueBound(DEFAULT_CREDIT, 1_000_000n) / 4));
    for (const p of [price, 1_000_000n]) {
      for (const paid of [0n, 100n, 5_000n, paid30MiB, 10n ** 12n]) {
        const window = creditWindow(DEFAULT_CREDIT, p, paid);
        expect(payCadence(paid, p)).to.equal(Math.max(MIN_PAY_EVERY, Math.floor(window / 4)));
        // the node keeps at least half of its window to send while a voucher is on its way
        expect(payCadence(paid, p)).to.be.at.most(window / 2);
      }
    }
  });

  it("a short round trip halves the vouchers: half the window when the other half carries PAY_MARGIN_BYTES_PER_MS through it, a quarter when it does not", () => {
    const price = 1024n;
    const grown = amountOwed(126n * BigInt(MIB), price); // a 64 MiB window
    expect(payCadence(grown, price, 0.2)).to.equal(32 * MIB); // loopback, a LAN
    expect(payCadence(grown, price, 30)).to.equal(32 * MIB);
    expect(payCadence(grown, price, 40)).to.equal(64 * MIB - 40 * PAY_MARGIN_BYTES_PER_MS);
    expect(payCadence(grown, price, 80)).to.equal(16 * MIB); // across a continent
    const grown16 = amountOwed(30n * BigInt(MIB), price); // a 16 MiB window on the way
    expect(payCadence(grown16, price, 8)).to.equal(8 * MIB);
    expect(payCadence(grown16, price, 20)).to.equal(4 * MIB);
    expect(payCadence(grown, price, Infinity)).to.equal(payCadence(grown, price));
    expect(payCadence(0n, price, 0.2)).to.equal(MIN_PAY_EVERY); // the initial window: never below half of it
    // the node always keeps at least half of its window to send while a voucher is on its way
    for (const rtt of [0, 1, 5, 9, 11, 13, 100]) for (const paid of [0n, 100n, 5_000n, grown]) expect(payCadence(paid, price, rtt)).to.be.at.most(growthWindow(DEFAULT_CREDIT, price, paid) / 2);
    // and never finds its grown window full when the round trip takes as long as sending at PAY_MARGIN_BYTES_PER_MS
    for (let transit = 1; transit <= 24; transit++) {
      const rttMs = (2 * transit * LEAF_SIZE) / PAY_MARGIN_BYTES_PER_MS;
      expect(windowWaits(1024, transit, (paid) => payCadence(paid, 10_000n, rttMs)).waitsAtMax, `round trip of ${2 * transit} leaves`).to.equal(0);
    }
  });

  it("pays ahead of the window edge: with a voucher round trip as long as sending up to 12 MiB, the node never finds its grown window full (waits only while it grows)", () => {
    const price = 10_000n;
    // 256 MiB; transit t ticks each way = a round trip of 2t leaves (0.5 to 12 MiB)
    for (let transit = 1; transit <= 24; transit++) {
      const { waits, waitsAtMax } = windowWaits(1024, transit, (paid) => payCadence(paid, price));
      expect(waitsAtMax, `round trip of ${2 * transit} leaves`).to.equal(0);
      expect(waits, `round trip of ${2 * transit} leaves`).to.be.at.most(8);
    }
    // paying at half the window, a round trip of 40 MiB hits the grown window's edge again and again (512 MiB)
    const half = (paid: bigint) => Math.max(MIN_PAY_EVERY, Math.floor(growthWindow(DEFAULT_CREDIT, price, paid) / 2));
    expect(windowWaits(2048, 80, half).waitsAtMax).to.be.at.least(5);
    expect(windowWaits(2048, 80, (paid) => payCadence(paid, price)).waitsAtMax).to.equal(0);
  });
});
