/**
 * Withdrawable credit in PaymentChannel: every operator share is credited to its node's account
 * (pull: one `withdrawNodeCredit` by the node's recorded operator collects many payouts), and a
 * refund or bounty whose transfer failed (USDC blacklist or pause) is credited to its recipient's
 * own balance instead of lost (`withdraw`). Agents read both, collect them, and report what a
 * payout credited.
 */
import { ZeroAddress, formatUnits, type ContractTransaction, type TransactionReceipt } from "ethers";
import type { Contracts } from "./contracts.js";
import { chainError } from "./errors.js";
import type { TxSender } from "./tx-sender.js";
import { CdnError } from "../protocol/errors.js";

export class NothingToWithdrawError extends CdnError {
  readonly code = "ERR_NOTHING_TO_WITHDRAW";
}

/** Credit of `account`'s own balance still held by PaymentChannel (USDC base units): no node's credit. */
export async function withdrawable(contracts: Pick<Contracts, "channels">, account: string): Promise<bigint> {
  return contracts.channels.withdrawable(account);
}

/**
 * What `operator` can collect with `withdrawNodeCredit(nodeId)`: node `nodeId`'s credit when it is the
 * operator recorded for the node, plus its own balance (USDC base units).
 */
export async function operatorWithdrawable(contracts: Pick<Contracts, "channels">, nodeId: bigint, operator: string): Promise<bigint> {
  const [[recorded, credit], own] = await Promise.all([nodeId === 0n ? [ZeroAddress, 0n] : contracts.channels.nodeCredit(nodeId), contracts.channels.withdrawable(operator)]);
  return (recorded.toLowerCase() === operator.toLowerCase() ? credit : 0n) + own;
}

/**
 * What a receipt credited to the channel's operator: the `operatorAmount` of its ChannelPaid events
 * (PaymentChannel never transfers an operator's share; `withdrawNodeCredit` collects it).
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
  return sendWithdrawal(sender, account, await contracts.channels.withdrawable(account), () => contracts.channels.withdraw.populateTransaction());
}

/**
 * Collects node `nodeId`'s credit and the operator's own balance in one transaction, sent by the
 * operator recorded for the node (`sender`). An account that is not the node's recorded operator (or
 * `nodeId` 0: not registered) collects its own balance only (`withdrawCredit`). Refuses with one
 * sentence when there is nothing; a transfer that fails is refused by the sender's pre-flight.
 */
export async function withdrawNodeCredit(contracts: Pick<Contracts, "channels">, sender: TxSender, nodeId: bigint): Promise<{ amount: bigint; txHash: string }> {
  const account = await sender.getAddress();
  const [recorded] = nodeId === 0n ? [ZeroAddress] : await contracts.channels.nodeCredit(nodeId);
  if (recorded.toLowerCase() !== account.toLowerCase()) return withdrawCredit(contracts, sender);
  const amount = await operatorWithdrawable(contracts, nodeId, account);
  return sendWithdrawal(sender, account, amount, () => contracts.channels.withdrawNodeCredit.populateTransaction(nodeId));
}

/** Sends a withdrawal of `amount` for `account`, or refuses with one sentence when it is zero. */
async function sendWithdrawal(sender: TxSender, account: string, amount: bigint, populate: () => Promise<ContractTransaction>): Promise<{ amount: bigint; txHash: string }> {
  if (amount === 0n) throw new NothingToWithdrawError(`${account} has no withdrawable credit in PaymentChannel: there is nothing to withdraw.`);
  const label = `withdraw ${formatUnits(amount, 6)} USDC of credit`;
  try {
    const receipt = await sender.sendAndWait(populate(), { label });
    return { amount, txHash: receipt.hash };
  } catch (error) {
    throw chainError(error, label);
  }
}
