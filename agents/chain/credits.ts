/**
 * Withdrawable credit in PaymentChannel: every operator share is credited (pull: one `withdraw`
 * collects many payouts), and a refund or bounty whose transfer failed (USDC blacklist or pause)
 * is credited to its recipient instead of lost. Agents read it (`withdrawable`), collect it
 * (`withdraw`), and report what a payout credited.
 */
import { formatUnits, type TransactionReceipt } from "ethers";
import type { Contracts } from "./contracts.js";
import { chainError } from "./errors.js";
import type { TxSender } from "./tx-sender.js";
import { CdnError } from "../protocol/errors.js";

export class NothingToWithdrawError extends CdnError {
  readonly code = "ERR_NOTHING_TO_WITHDRAW";
}

/** Credit of `account` still held by PaymentChannel (USDC base units). */
export async function withdrawable(contracts: Pick<Contracts, "channels">, account: string): Promise<bigint> {
  return contracts.channels.withdrawable(account);
}

/**
 * What a receipt credited to the channel's operator: the `operatorAmount` of its ChannelPaid events
 * (PaymentChannel never transfers an operator's share; `withdraw` collects it).
 */
export function operatorCreditIn(contracts: Pick<Contracts, "channels">, receipt: TransactionReceipt | null): bigint {
  let credited = 0n;
  const iface = contracts.channels.interface;
  for (const log of receipt?.logs ?? []) {
    let parsed;
    try {
      parsed = iface.parseLog(log);
    } catch {
      continue;
    }
    if (parsed?.name === "ChannelPaid") credited += parsed.args.operatorAmount as bigint;
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
