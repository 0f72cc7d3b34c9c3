/**
 * Earnings policy: turn stored vouchers into USDC credited to the operator in PaymentChannel
 * (collected with `cdn-node withdraw`: the operator key may be cold, so the node never withdraws).
 * - A payer's close (ChannelCloseStarted) is answered at once with the best voucher
 *   (`closeByPayee`, which pays and closes; valid inside the dispute window).
 * - Open channels are claimed when their unclaimed amount reaches `claimThreshold`, and always
 *   before a session key's expiry (its vouchers die with it).
 * Every action is idempotent (re-reads the channel first), so a replayed log is harmless.
 */
import { getAddress, type ContractTransactionReceipt, type Log } from "ethers";
import { readChannel, type ChannelState, type Contracts } from "../chain/contracts.js";
import { operatorCreditIn, operatorWithdrawable } from "../chain/credits.js";
import { TxSender } from "../chain/tx-sender.js";
import { toHex } from "../protocol/bytes.js";
import type { Logger } from "../runtime/logger.js";
import type { NodeStore } from "./store.js";

export interface EarningsOptions {
  /** Claim an open channel once this much (USDC base units) is unclaimed. */
  claimThreshold: bigint;
  /** Claim session-key channels this long before the key expires (s). */
  expiryMarginSeconds: bigint;
}

export const DEFAULT_EARNINGS: EarningsOptions = { claimThreshold: 1_000_000n, expiryMarginSeconds: 3600n };

export interface ChannelReport {
  channelId: string;
  payer: string;
  status: string;
  deposit: bigint;
  paid: bigint;
  best: bigint;
  unclaimed: bigint;
  closesAt: bigint;
}

export class Earnings {
  /** The node key's transaction sender (claims and closes; receipts with the node's confirmation depth). */
  readonly sender: TxSender;

  constructor(
    private readonly options: EarningsOptions,
    private readonly deps: { contracts: Contracts; store: NodeStore; logger: Logger; sender?: TxSender },
  ) {
    this.sender = deps.sender ?? new TxSender({}, { signer: deps.contracts.channels.runner as never, logger: deps.logger });
  }

  /** Handles PaymentChannel logs from the follower. */
  async onLogs(logs: Log[]): Promise<void> {
    const iface = this.deps.contracts.channels.interface;
    for (const log of logs) {
      let parsed;
      try {
        parsed = iface.parseLog(log);
      } catch {
        continue;
      }
      if (parsed?.name === "ChannelCloseStarted") {
        const channelId = String(parsed.args.channelId).toLowerCase();
        if (this.deps.store.voucher(channelId)) await this.close(channelId, "answering the payer's close");
      }
    }
  }

  async report(channelId: string): Promise<ChannelReport> {
    const c = await readChannel(this.deps.contracts.channels, channelId);
    const best = this.deps.store.voucher(channelId)?.amount ?? 0n;
    const capped = best > c.deposit ? c.deposit : best;
    this.deps.store.saveChannel({ channelId: c.channelId, payer: c.payer, deposit: c.deposit, paid: c.paid, status: c.status, closesAt: Number(c.closesAt) });
    return { channelId: c.channelId, payer: c.payer, status: c.status, deposit: c.deposit, paid: c.paid, best, unclaimed: capped > c.paid ? capped - c.paid : 0n, closesAt: c.closesAt };
  }

  async reports(): Promise<ChannelReport[]> {
    const out: ChannelReport[] = [];
    for (const v of this.deps.store.vouchers()) out.push(await this.report(v.channelId));
    return out;
  }

  /** Claims the best voucher without closing. Returns the amount newly paid. */
  async claim(channelId: string): Promise<bigint> {
    const r = await this.report(channelId);
    const v = this.deps.store.voucher(channelId);
    if (!v || r.unclaimed === 0n || (r.status !== "Open" && r.status !== "Closing")) return 0n;
    const receipt = await this.sender.sendAndWait(this.deps.contracts.channels.claim.populateTransaction(channelId, v.amount, toHex(v.signature)), { label: `claim channel ${channelId}` });
    await this.logPayout(receipt as ContractTransactionReceipt, channelId, { amount: v.amount.toString() }, "channel claimed");
    return r.unclaimed;
  }

  /** Closes with the best voucher (pays, refunds the rest, closes). Returns the amount newly paid. */
  async close(channelId: string, why = "close"): Promise<bigint> {
    const r = await this.report(channelId);
    if (r.status !== "Open" && r.status !== "Closing") return 0n;
    const v = this.deps.store.voucher(channelId);
    const amount = v && v.amount > r.paid ? v.amount : 0n;
    const sig = amount > 0n && v ? toHex(v.signature) : "0x";
    const receipt = await this.sender.sendAndWait(this.deps.contracts.channels.closeByPayee.populateTransaction(channelId, amount, sig), { label: `close channel ${channelId}` });
    await this.logPayout(receipt as ContractTransactionReceipt, channelId, { amount: amount.toString(), why }, "channel closed");
    await this.report(channelId); // the store records the channel as closed (status, metrics)
    return r.unclaimed;
  }

  /**
   * Logs a claim or close with what it credited to the operator in PaymentChannel (operator shares
   * are never transferred: the operator collects them with `cdn-node withdraw`).
   */
  private async logPayout(receipt: ContractTransactionReceipt | null, channelId: string, fields: Record<string, string>, action: string): Promise<void> {
    const credited = operatorCreditIn(this.deps.contracts, receipt);
    if (credited === 0n) return this.deps.logger.info({ channelId, ...fields }, action);
    const { operator, nodeId } = await readChannel(this.deps.contracts.channels, channelId);
    const withdrawable = await operatorWithdrawable(this.deps.contracts, nodeId, operator);
    this.deps.logger.info(
      { channelId, ...fields, operator: getAddress(operator), credited: credited.toString(), withdrawable: withdrawable.toString() },
      `${action}: the operator's share is credited in PaymentChannel; cdn-node withdraw collects it`,
    );
  }

  /** One sweep of the policy over every channel with a voucher. */
  /** `channel` reads a channel's state (default: from the chain; the node passes its followed view). */
  async sweep(now: bigint, channel: (channelId: string) => Promise<ChannelState> = (id) => readChannel(this.deps.contracts.channels, id)): Promise<void> {
    for (const v of this.deps.store.vouchers()) {
      const stored = this.deps.store.channel(v.channelId);
      if (stored && stored.status === "Closed") continue;
      const c = await channel(v.channelId);
      if (c.status === "Closing") {
        await this.close(v.channelId, "answering the payer's close");
        continue;
      }
      if (c.status !== "Open") {
        this.deps.store.saveChannel({ channelId: c.channelId, payer: c.payer, deposit: c.deposit, paid: c.paid, status: c.status, closesAt: Number(c.closesAt) });
        continue;
      }
      const unclaimed = (v.amount > c.deposit ? c.deposit : v.amount) - c.paid;
      const expiring = c.signerExpiry !== 0n && c.voucherSigner !== c.payer && now + this.options.expiryMarginSeconds >= c.signerExpiry;
      if (unclaimed > 0n && (unclaimed >= this.options.claimThreshold || expiring)) await this.claim(v.channelId);
    }
  }
}
