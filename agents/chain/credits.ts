/**
 * Withdrawable credit in PaymentChannel: a payout (operator share, refund, bounty, fee) whose
 * transfer failed (USDC blacklist or pause) is credited to its recipient instead of lost. Agents
 * read it (`withdrawable`), collect it (`withdraw`), and tell a credited payout from a paid one.
 */
import { formatUnits, getAddress, type TransactionReceipt } from "ethers";
import type { Contracts } from "./contracts.js";
import { chainError, isRevert } from "./errors.js";
import type { TxSender } from "./tx-sender.js";
import { CdnError } from "../protocol/errors.js";

export class NothingToWithdrawError extends CdnError {
  readonly code = "ERR_NOTHING_TO_WITHDRAW";
}

/** Credit of `account` still held by PaymentChannel (USDC base units). */
export async function withdrawable(contracts: Pick<Contracts, "channels">, account: string): Promise<bigint> {
  return contracts.channels.withdrawable(account);
}

/** Why a transfer to `recipient` fails now, in a few words (for "credited (transfer failed: …)"). */
export async function transferFailureReason(contracts: Pick<Contracts, "usdc">, recipient: string): Promise<string> {
  const view = async <T>(call: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await call();
    } catch (error) {
      if (isRevert(error)) return undefined;
      throw error;
    }
  };
  if (await view(() => contracts.usdc.paused())) return "USDC is paused";
  if (await view(() => contracts.usdc.isBlacklisted(recipient))) return `${getAddress(recipient)} is blacklisted by USDC`;
  return "the token refused the transfer";
}

/** The amount a receipt credited to `recipient` instead of transferring it (PayoutDeferred events). */
export function creditedIn(contracts: Pick<Contracts, "channels">, receipt: TransactionReceipt | null, recipient: string): bigint {
  let credited = 0n;
  const iface = contracts.channels.interface;
  for (const log of receipt?.logs ?? []) {
    let parsed;
    try {
      parsed = iface.parseLog(log);
    } catch {
      continue;
    }
    if (parsed?.name === "PayoutDeferred" && String(parsed.args.recipient).toLowerCase() === recipient.toLowerCase()) credited += parsed.args.amount as bigint;
  }
  return credited;
}

/**
 * Collects the whole credit of `sender`'s account, sent by that account's one TxSender. Refuses
 * with one sentence when there is none; a transfer that still fails (still blacklisted or paused)
 * is refused by the sender's pre-flight with the decoder's sentence, nothing sent.
 */
export async function withdrawCredit(contracts: Pick<Contracts, "channels">, sender: TxSender): Promise<{ amount: bigint; txHash: string }> {
  const account = await sender.getAddress();
  const amount = await contracts.channels.withdrawable(account);
  if (amount === 0n) throw new NothingToWithdrawError(`${account} has no withdrawable credit in PaymentChannel: there is nothing to withdraw.`);
  try {
    const receipt = await sender.sendAndWait(contracts.channels.withdraw.populateTransaction(), { label: `withdraw ${formatUnits(amount, 6)} USDC of credit` });
    return { amount, txHash: receipt.hash };
  } catch (error) {
    throw chainError(error, `withdraw ${formatUnits(amount, 6)} USDC of credit`);
  }
}
