/**
 * The credit rule, one copy for both sides (figures in docs/delivery.md §2). Postpaid: the node
 * streams at most `window` bytes past what the client's best durably stored voucher pays for.
 *
 *   window     = min(growth, valueBound, the protocol's window)
 *   growth     = min(maxWindow, initialWindow + paidHistoryBytes / 2)
 *   valueBound = the largest byte count whose price stays strictly below the cost of opening a
 *                fresh channel: bytesCovered(openCost − 1, price)
 *   openCost (USDC base units) = openGas × gasPriceWei × usdcPerEth / 1e18
 *
 * The protocol's window (`protocolWindow`: the rule with DEFAULT_CREDIT) is the most any node's
 * window may be: what a client settles of a claimed debt, and what its pay cadence assumes.
 *
 * paidHistoryBytes is what the payer's vouchers to the node pay for (all its channels), so a new
 * identity starts at 1 MiB and a client that withholds its last voucher walks away with at most
 * one window, worth less than the transaction it needs to come back as someone new.
 *
 * The client pays whenever its unpaid verified bytes reach a quarter of the protocol's window
 * (`payCadence`: well ahead of the node's window edge; half of it on a link whose round trip is
 * short enough), never less often than every half initial window, so no node may run a window below
 * the initial one (`checkCreditConfig`).
 */
import { LEAF_SIZE } from "./constants.js";
import { amountOwed, bytesCovered } from "./pricing.js";

export const MIB = 1024 * 1024;

export interface CreditConfig {
  /** First window of a payer without history (bytes). Default 1 MiB. */
  initialWindow: number;
  /** Largest window (bytes). Default 64 MiB (16 MiB until 2026-12-01: docs/delivery.md §8). */
  maxWindow: number;
  /** Gas of `openWithPermit` (measured on the USDC-shaped token: gas/channels-registry.json, 160,362; rounded down). */
  openGas: bigint;
  /** Gas price assumed for the open (wei). Default 0.01 gwei (an L2). */
  gasPriceWei: bigint;
  /** ETH price in USDC base units (6 decimals). Default 2,000 USDC. */
  usdcPerEth: bigint;
}

export const DEFAULT_CREDIT: CreditConfig = {
  initialWindow: 1 * MIB,
  maxWindow: 64 * MIB,
  openGas: 160_000n,
  gasPriceWei: 10_000_000n, // 0.01 gwei
  usdcPerEth: 2_000_000_000n, // 2,000 USDC
};

/** Cost of opening a fresh channel, in USDC base units (rounded down: the bound stays conservative). */
export function openCost(c: CreditConfig): bigint {
  return (c.openGas * c.gasPriceWei * c.usdcPerEth) / 10n ** 18n;
}

/** Largest window whose value at `price` is strictly below the open cost (bytes; MAX_SAFE_INTEGER for a free node). */
export function valueBound(c: CreditConfig, pricePerGiB: bigint): number {
  const cost = openCost(c);
  if (cost <= 0n) return 0;
  const covered = bytesCovered(cost - 1n, pricePerGiB);
  if (covered === null) return Number.MAX_SAFE_INTEGER;
  return covered > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(covered);
}

/** The window's growth with the payer's history, without the value bound (bytes). */
export function growthWindow(c: Pick<CreditConfig, "initialWindow" | "maxWindow">, pricePerGiB: bigint, paidHistory: bigint): number {
  const paidBytes = bytesCovered(paidHistory, pricePerGiB);
  // a free node (no price): any history covers the largest window
  const cap = BigInt(2 * c.maxWindow);
  const history = Number(paidBytes === null || paidBytes > cap ? cap : paidBytes);
  return Math.min(c.maxWindow, c.initialWindow + Math.floor(history / 2));
}

/**
 * The node's window for a payer with `paidHistory` (USDC base units paid to this node) at `price`:
 * its own rule, within the protocol's (a node assuming a dearer open, e.g. on L1, may not run a
 * window worth more than clients settle).
 */
export function creditWindow(c: CreditConfig, pricePerGiB: bigint, paidHistory: bigint): number {
  // growth within the protocol's: c's windows are at most the defaults (checkCreditConfig, the config schema)
  return Math.min(growthWindow(c, pricePerGiB, paidHistory), valueBound(c, pricePerGiB), valueBound(DEFAULT_CREDIT, pricePerGiB));
}

/** The protocol's window (the rule with DEFAULT_CREDIT): no node's is larger. */
export function protocolWindow(paidHistory: bigint, pricePerGiB: bigint): number {
  return Math.min(growthWindow(DEFAULT_CREDIT, pricePerGiB, paidHistory), valueBound(DEFAULT_CREDIT, pricePerGiB));
}

/** Value (USDC base units) of a window at `price`. */
export const windowValue = (bytes: number, pricePerGiB: bigint): bigint => amountOwed(BigInt(bytes), pricePerGiB);

/** The client pays at least this often (bytes): half the protocol's initial window. */
export const MIN_PAY_EVERY = DEFAULT_CREDIT.initialWindow / 2;

/**
 * How far ahead of the node's window edge the client pays: a voucher goes out when this fraction of
 * the window is unpaid, so the node still has the rest of its window to send while the voucher
 * travels and is stored on both sides (at one half, a node faster than its client reached the
 * edge before nearly every voucher; a cache node paying its upstream made the origin wait seconds
 * per 256 MiB).
 */
export const PAY_AHEAD_FRACTION = 4;

/**
 * The rate a round trip is priced at when the client chooses its cadence (bytes per ms: 1 GB/s,
 * more than one core decrypts and verifies): the part of the window left to the node while a voucher
 * travels must carry at least this much through one round trip.
 */
export const PAY_MARGIN_BYTES_PER_MS = 1_000_000;

/**
 * The client's pay cadence: sign a voucher whenever this many verified bytes are unpaid. The node
 * keeps `window − cadence` to send while a voucher travels (the protocol's window after
 * `paidToNode`): three quarters of it (PAY_AHEAD_FRACTION) without a measured round trip or when
 * `rttMs` × PAY_MARGIN_BYTES_PER_MS needs that much; half of it when the round trip is short enough
 * (≤ 33.5 ms at the 64 MiB window), so a grown window costs half the vouchers (each ~1 ms of the
 * client's CPU, signed, stored, fsync'd and sent: docs/delivery.md §8). At least MIN_PAY_EVERY. A
 * node running a smaller window than the protocol's stalls the stream and the client pays at once.
 */
export function payCadence(paidToNode: bigint, pricePerGiB: bigint, rttMs = Infinity): number {
  const window = protocolWindow(paidToNode, pricePerGiB);
  const margin = Math.min(window - window / PAY_AHEAD_FRACTION, Math.max(window / 2, rttMs * PAY_MARGIN_BYTES_PER_MS));
  return Math.max(MIN_PAY_EVERY, Math.floor(window - margin));
}

/**
 * The most a client settles for bytes the node says it sent earlier and were never paid (an
 * interrupted stream, a killed client): the protocol's window after `paidToNode`, which no node's
 * window exceeds (`creditWindow`, `checkCreditConfig`), worth less than opening a channel. However
 * many streams were reset, an honest node is owed at most one window; a node claiming more is refused.
 */
export function settleWindow(paidToNode: bigint, pricePerGiB: bigint): number {
  return protocolWindow(paidToNode, pricePerGiB);
}

/**
 * Throws unless the whole initial window is worth less than opening a channel at the node's price.
 * Clients pay every MIN_PAY_EVERY bytes (half the initial window) without knowing the node's window,
 * so no node may run a smaller one; nor a larger window than the protocol's (settleWindow). With the defaults this caps the price at about 3.3 USDC per GiB.
 * Checked when the node starts.
 */
export function checkCreditConfig(c: CreditConfig, pricePerGiB: bigint): void {
  if (c.initialWindow < LEAF_SIZE || c.maxWindow < c.initialWindow) throw new RangeError("credit windows must be at least one leaf (256 KiB) and max ≥ initial");
  // a larger window could leave a debt above what clients settle (settleWindow): a lockout
  if (c.initialWindow > DEFAULT_CREDIT.initialWindow || c.maxWindow > DEFAULT_CREDIT.maxWindow) {
    throw new RangeError(`credit windows may not exceed the protocol's (initial ${DEFAULT_CREDIT.initialWindow}, max ${DEFAULT_CREDIT.maxWindow} bytes): clients settle at most one such window`);
  }
  if (Math.min(valueBound(c, pricePerGiB), valueBound(DEFAULT_CREDIT, pricePerGiB)) < c.initialWindow) {
    const cost = openCost(c) < openCost(DEFAULT_CREDIT) ? openCost(c) : openCost(DEFAULT_CREDIT);
    throw new RangeError(
      `price ${pricePerGiB} per GiB makes the initial ${c.initialWindow}-byte credit window worth more than opening a channel (${cost} base units); lower the price or revisit the open-cost assumptions`,
    );
  }
}
