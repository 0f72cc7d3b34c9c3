/**
 * The channel checks of a fetch (docs/delivery.md §1, step 4), on a fresh chain read: the channel
 * is open and pays this node (node key or node id) → else CHANNEL_INSUFFICIENT; the authenticated
 * peer is its payer or live session key → else NOT_CHANNEL_OWNER; deposit is left beyond the best
 * voucher (or what the chain says was paid) → else CHANNEL_INSUFFICIENT.
 */
import { isVoucherSigner, type ChannelState } from "../../chain/contracts.js";
import { Refusal } from "./refusal.js";

/** Who this node is on chain. */
export interface Payee {
  nodeKey: string;
  nodeId: bigint;
}

/** Throws a Refusal unless `channel` is open to `self` and `client` may sign its vouchers at `now`. */
export function checkChannel(channel: ChannelState, self: Payee, client: string, now: bigint, channelId: string): void {
  if (channel.status !== "Open" || (channel.nodeKey !== self.nodeKey && channel.nodeId !== self.nodeId)) {
    throw new Refusal("CHANNEL_INSUFFICIENT", `channel ${channelId} is not an open channel to this node`);
  }
  if (!isVoucherSigner(channel, client, now)) throw new Refusal("NOT_CHANNEL_OWNER", "the requester is not the channel's payer or voucher signer");
}

/** What the channel has paid for: the higher of the best stored voucher and the on-chain paid amount. */
export function paidSoFar(channel: ChannelState, bestVoucher: bigint): bigint {
  return bestVoucher > channel.paid ? bestVoucher : channel.paid;
}

/** Throws CHANNEL_INSUFFICIENT when nothing of the deposit is left beyond `paid`. */
export function checkDeposit(channel: ChannelState, paid: bigint): void {
  if (channel.deposit <= paid) throw new Refusal("CHANNEL_INSUFFICIENT", "the channel's deposit is used up; top it up");
}
