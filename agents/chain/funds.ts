/**
 * Checks before an agent sends a transaction that moves USDC (a bond, a channel deposit): that the
 * token is not paused, that the account is not blacklisted, that it holds the USDC and enough ETH
 * for the gas. Each failure is one sentence that says what the account has and what it needs, and
 * nothing is signed or sent.
 */
import { formatUnits } from "ethers";
import { CdnError, errorClass } from "../protocol/errors.js";
import type { Contracts } from "./contracts.js";
import { isRevert } from "./errors.js";
import { InsufficientEthError } from "./tx-sender.js";

export class InsufficientUsdcError extends errorClass(CdnError, "ERR_INSUFFICIENT_USDC", (account: string, balance: bigint, needed: bigint, purpose: string) => [
  `Account ${account} holds ${formatUnits(balance, 6)} USDC, too little for ${purpose}: send it at least ${formatUnits(needed - balance, 6)} USDC more and try again.`,
  { account, balance, needed },
]) {}

export class UsdcPausedError extends CdnError {
  readonly code = "ERR_USDC_PAUSED";
}

export class UsdcBlacklistedError extends CdnError {
  readonly code = "ERR_USDC_BLACKLISTED";
}

/** A view that a token may not have (USDC has paused() and isBlacklisted(); other tokens may not). */
async function optionalView<T>(call: () => Promise<T>, absent: T): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isRevert(error)) return absent;
    throw error;
  }
}

/**
 * Refuses, before anything is signed, a USDC payment of `usdc` by `account` that cannot succeed:
 * token paused, account blacklisted, too little USDC, or less ETH than `gas` × the current max fee.
 */
export async function checkFunds(contracts: Pick<Contracts, "usdc" | "provider">, account: string, need: { usdc: bigint; gas: bigint; purpose: string }): Promise<void> {
  const { usdc, provider } = contracts;
  const [paused, listed, balance, eth, fees] = await Promise.all([
    optionalView(() => usdc.paused(), false),
    optionalView(() => usdc.isBlacklisted(account), false),
    usdc.balanceOf(account),
    provider.getBalance(account),
    provider.getFeeData(),
  ]);
  if (paused) {
    throw new UsdcPausedError(`USDC is paused by its issuer, so ${need.purpose} cannot be paid now (no transfer, approval or permit works); nothing was sent: try again once it is unpaused.`);
  }
  if (listed) {
    throw new UsdcBlacklistedError(`Account ${account} is blacklisted by USDC's issuer: it can neither send nor receive USDC, so ${need.purpose} cannot be paid from it; use another account.`);
  }
  if (balance < need.usdc) throw new InsufficientUsdcError(account, balance, need.usdc, need.purpose);
  const gasPrice = fees.maxFeePerGas ?? fees.gasPrice ?? 0n;
  const gasCost = need.gas * gasPrice;
  if (eth === 0n || eth < gasCost) throw new InsufficientEthError(account, eth, gasCost, `pay ${need.purpose}`);
}
