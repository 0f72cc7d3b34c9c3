/**
 * Vouchers on the fetch stream (docs/delivery.md §1, step 6): read concurrently with the chunks,
 * each checked (fast-path signer recovery, the payer or its live session key, within the deposit)
 * and stored durably (fsync) before it counts as credit. A bad voucher ends the stream with
 * BAD_VOUCHER; a lower or equal one is ignored.
 */
import { decodeFetchClientMessage } from "../../protocol/wire/messages.js";
import { recoverVoucherSigner } from "../../protocol/signed.js";
import type { Eip712Domain } from "../../protocol/eip712-fast.js";
import { isVoucherSigner, type ChannelState } from "../../chain/contracts.js";
import type { FramedStream } from "../../runtime/framed.js";
import type { NodeStore } from "../store.js";
import { Refusal } from "./refusal.js";

/**
 * The node's view of what each channel has paid and owes, across streams: the best stored voucher
 * (a mirror of the store for the hot path), the amount owed at the end of the last stream (unpaid
 * debt carries over), and the streams waiting for a voucher.
 */
export class VoucherBook {
  private readonly best = new Map<string, bigint>();
  private readonly owedByChannel = new Map<string, bigint>();
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(private readonly store: Pick<NodeStore, "voucher">) {}

  /** The best voucher stored for `channelId` (0 if none). */
  bestVoucher(channelId: string): bigint {
    let b = this.best.get(channelId);
    if (b === undefined) {
      b = this.store.voucher(channelId)?.amount ?? 0n;
      this.best.set(channelId, b);
    }
    return b;
  }

  /** Raises the best known amount (a newly stored voucher, or what the chain says was paid) and wakes waiters. */
  raise(channelId: string, amount: bigint): void {
    if (amount <= this.bestVoucher(channelId)) return;
    this.best.set(channelId, amount);
    this.notify(channelId);
  }

  owed(channelId: string): bigint {
    return this.owedByChannel.get(channelId) ?? 0n;
  }

  setOwed(channelId: string, amount: bigint): void {
    this.owedByChannel.set(channelId, amount);
  }

  notify(channelId: string): void {
    const set = this.waiters.get(channelId);
    if (set) for (const w of [...set]) w();
  }

  /** Resolves on the next voucher (or stream end) for `channelId`, after `ms`, or on abort. */
  waitForVoucher(channelId: string, ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let set = this.waiters.get(channelId);
      if (!set) this.waiters.set(channelId, (set = new Set()));
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        set.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
      set.add(done);
    });
  }
}

export interface VoucherContext {
  domain: Eip712Domain;
  store: NodeStore;
  book: VoucherBook;
  channel: ChannelState;
  /** Chain time of the request (session-key expiry). */
  now: bigint;
  /** Called with the increase of a voucher after it was stored durably. */
  onStored(amount: bigint, increase: bigint, signature: Uint8Array): void;
  /** Reads the channel from the chain now: a voucher above the deposit the (followed) view knows gets one second look (a top-up it has not polled yet). */
  freshChannel?(): Promise<ChannelState>;
}

/** Checks and durably stores a voucher (throws Refusal BAD_VOUCHER); a stale or repeated one is ignored. */
export function acceptVoucher(ctx: VoucherContext, channelId: string, amount: bigint, signature: Uint8Array): void {
  const { channel } = ctx;
  if (channelId !== channel.channelId) throw new Refusal("BAD_VOUCHER", "voucher for another channel");
  let signer: string;
  try {
    signer = recoverVoucherSigner(ctx.domain, { channelId, cumulativeAmount: amount }, signature);
  } catch (error) {
    throw new Refusal("BAD_VOUCHER", `invalid voucher signature: ${(error as Error).message}`);
  }
  if (!isVoucherSigner(channel, signer, ctx.now)) throw new Refusal("BAD_VOUCHER", "voucher not signed by the channel's signer");
  if (amount > channel.deposit) throw new Refusal("BAD_VOUCHER", "voucher exceeds the channel's deposit");
  const best = ctx.book.bestVoucher(channelId);
  if (amount <= best) return;
  ctx.store.saveVoucher({ channelId, payer: channel.payer, amount, signature }); // fsync before it counts
  ctx.onStored(amount, amount - best, signature);
  ctx.book.raise(channelId, amount);
}

/** The state of the concurrent voucher reader of one stream. */
export interface VoucherReader {
  /** Set when a voucher (or anything else the client sent) was bad: the stream ends with it. */
  error: Refusal | undefined;
  /** The client closed its side (or the reader stopped). */
  ended: boolean;
  done: Promise<void>;
}

/** Reads vouchers until the client ends its side; only vouchers may follow the request. */
export function readVouchers(framed: FramedStream, ctx: VoucherContext): VoucherReader {
  const reader: VoucherReader = { error: undefined, ended: false, done: Promise.resolve() };
  let rechecked = false;
  reader.done = (async () => {
    try {
      for (let body = await framed.read(); body; body = await framed.read()) {
        const msg = decodeFetchClientMessage(body);
        if (msg.kind !== "voucher") throw new Refusal("BAD_REQUEST", "only vouchers may follow the request");
        if (msg.voucher.value.cumulativeAmount > ctx.channel.deposit && ctx.freshChannel && !rechecked) {
          rechecked = true; // once per stream: a client cannot make the node read the chain per voucher
          ctx.channel = await ctx.freshChannel().catch(() => ctx.channel);
        }
        acceptVoucher(ctx, msg.voucher.value.channelId, msg.voucher.value.cumulativeAmount, msg.voucher.signature);
      }
    } catch (error) {
      reader.error = error instanceof Refusal ? error : new Refusal("BAD_VOUCHER", (error as Error).message);
    } finally {
      reader.ended = true;
      ctx.book.notify(ctx.channel.channelId);
    }
  })();
  return reader;
}
