/**
 * Pricing math in integers. Prices are token base units (USDC: 1e-6) per GiB (2^30 bytes).
 *
 * Rounding rule: the cumulative amount owed for N bytes is rounded UP once, on the cumulative
 * total: owed(N) = ceil(N × price / 2^30). Vouchers are cumulative, so the payer overpays by
 * less than one base unit over the whole channel, never per voucher, and the node is never
 * short. owed is monotonic in N, owed(0) = 0, and owed(N) − N × price / 2^30 ∈ [0, 1).
 */
import { GIB } from "./constants.js";
import { InvalidArgumentError } from "./errors.js";

function nonNegative(name: string, v: bigint): void {
  if (typeof v !== "bigint" || v < 0n) throw new InvalidArgumentError(`${name} must be a non-negative bigint`);
}

/** Cumulative amount owed for `bytes` at `pricePerGiB` (rounded up, see above). */
export function amountOwed(bytes: bigint, pricePerGiB: bigint): bigint {
  nonNegative("bytes", bytes);
  nonNegative("pricePerGiB", pricePerGiB);
  return (bytes * pricePerGiB + GIB - 1n) / GIB;
}

/**
 * Largest byte count whose owed amount is at most `amount`: what a voucher of `amount` pays
 * for. Inverse of amountOwed: amountOwed(bytesCovered(a, p), p) ≤ a < amountOwed(bytesCovered(a, p) + 1, p).
 * A zero price covers any byte count; returns `null` for "unbounded".
 */
export function bytesCovered(amount: bigint, pricePerGiB: bigint): bigint | null {
  nonNegative("amount", amount);
  nonNegative("pricePerGiB", pricePerGiB);
  if (pricePerGiB === 0n) return null;
  // ceil(b·p / G) ≤ a  ⇔  b·p ≤ a·G  ⇔  b ≤ floor(a·G / p)
  return (amount * GIB) / pricePerGiB;
}
