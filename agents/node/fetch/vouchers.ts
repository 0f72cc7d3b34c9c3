/**
 * Vouchers on the fetch stream (docs/delivery.md §1, step 6): read concurrently with the chunks,
 * each checked (fast-path signer recovery, the payer or its live session key, within the deposit)
 * and stored durably (fsync) before it counts as credit. A bad voucher ends the stream with
 * BAD_VOUCHER; a lower or equal one is ignored. A client that resets or drops the stream simply
 * ended: only what it sent can be a bad voucher.
 */
import { decodeFetchClientMessage } from "../../protocol/wire/messages.js";
import { ProtocolError } from "../../protocol/errors.js";
import { recoverVoucherSigner } from "../../protocol/signed.js";
import type { Eip712Domain } from "../../protocol/eip712-fast.js";
import { isVoucherSigner, type ChannelState } from "../../chain/contracts.js";
import type { FramedStream } from "../../runtime/framed.js";
import type { NodeStore } from "../store.js";
import { Refusal } from "./refusal.js";

/**
 * The node's view of what each channel has paid and owes, across streams: the best stored voucher
 * (a mirror of the store for the hot path), the value sent so far (unpaid bytes carry over to the
 * next stream; persisted at least every `SENT_RECORD_BYTES`, before a wait for a voucher and when a
 * stream ends, see `recordSent`), and the streams waiting for a voucher.
 */
export class VoucherBook {
  private readonly best = new Map<string, bigint>();
  private readonly owedByChannel = new Map<string, bigint>();
  /** The value of what was sent that the store has (raised by `recordSent`). */
  private readonly recordedByChannel = new Map<string, bigint>();
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(private readonly store: Pick<NodeStore, "voucher" | "sent" | "saveSent">) {}

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

  /** The value of everything sent on `channelId` (the store's record on first use). */
  owed(channelId: string): bigint {
    let owed = this.owedByChannel.get(channelId);
    if (owed === undefined) {
      owed = this.store.sent(channelId);
      this.owedByChannel.set(channelId, owed);
    }
    return owed;
  }

  /** Raises the value of what was sent on `channelId`, in memory; `recordSent` writes it to the store. */
  setOwed(channelId: string, amount: bigint): void {
    this.owedByChannel.set(channelId, amount);
  }

  /**
   * Writes what was sent on `channelId` to the store, if it grew since the last write. The fetch
   * stream calls it every `SENT_RECORD_BYTES`, before it waits for a voucher and when it ends (one
   * sqlite commit per 256-KiB chunk cost the node ~0.3 ms of CPU per MB served). A process killed
   * in between forgets at most that much of what it sent: the node then claims less than it could
   * (its own loss, never the payer's), and may send that much more past a window after a restart.
   */
  recordSent(channelId: string): void {
    const owed = this.owedByChannel.get(channelId);
    if (owed === undefined || owed <= (this.recordedByChannel.get(channelId) ?? -1n)) return;
    this.store.saveSent(channelId, owed);
    this.recordedByChannel.set(channelId, owed);
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

/**
 * Checks and durably stores a voucher (throws Refusal BAD_VOUCHER); a stale or repeated one is
 * ignored. It counts as credit once the store's log is fsync'd, off the event loop: the stream's
 * chunks keep going out (within the credit already held) meanwhile.
 */
export async function acceptVoucher(ctx: VoucherContext, channelId: string, amount: bigint, signature: Uint8Array): Promise<void> {
  await storeVoucher(ctx, channelId, amount, signature);
}

/**
 * `acceptVoucher` in two steps: the checks and the write happen now (a bad voucher throws Refusal
 * BAD_VOUCHER at once); the returned promise makes it count, once the log is fsync'd (undefined: it
 * changes nothing). The stream's reader goes on reading while it runs, so vouchers that arrive
 * during one fsync share the next (the store's group commit) instead of queueing one fsync each.
 */
function storeVoucher(ctx: VoucherContext, channelId: string, amount: bigint, signature: Uint8Array): Promise<void> | undefined {
  const { channel } = ctx;
  if (channelId !== channel.channelId) throw new Refusal("BAD_VOUCHER", "voucher for another channel");
  let signer: string;
  try {
    signer = recoverVoucherSigner(ctx.domain, { channelId, cumulativeAmount: amount }, signature);
  } catch (error) {
    throw new Refusal("BAD_VOUCHER", `invalid voucher signature: ${(error as Error).message}`);
  }
  const best = ctx.book.bestVoucher(channelId);
  // at most what the node already holds (every session re-sends its last voucher): it changes nothing,
  // so the channel's session key counts even if it expired since (docs/channels.md, "expired session key")
  if (amount <= best && (isVoucherSigner(channel, signer, ctx.now) || signer.toLowerCase() === channel.voucherSigner)) return undefined;
  if (!isVoucherSigner(channel, signer, ctx.now)) {
    const expired = signer.toLowerCase() === channel.voucherSigner && channel.signerExpiry !== 0n;
    throw new Refusal("BAD_VOUCHER", expired ? "voucher signed by the channel's session key after its expiry: only the payer can sign more" : "voucher not signed by the channel's signer");
  }
  if (amount > channel.deposit) throw new Refusal("BAD_VOUCHER", "voucher exceeds the channel's deposit");
  ctx.store.saveVoucher({ channelId, payer: channel.payer, amount, signature }, { deferFsync: true });
  // durable before it counts
  return ctx.store.syncLog().then(() => {
    const before = ctx.book.bestVoucher(channelId); // a later voucher, or another stream on the channel, may have raised it meanwhile
    if (amount <= before) return;
    ctx.onStored(amount, amount - before, signature);
    ctx.book.raise(channelId, amount);
  });
}

/** The state of the concurrent voucher reader of one stream. */
export interface VoucherReader {
  /** Set when a voucher (or anything else the client sent) was bad: the stream ends with it. */
  error: Refusal | undefined;
  /** The client closed its side (or the reader stopped). */
  ended: boolean;
  done: Promise<void>;
}

/**
 * Reads vouchers until the client ends its side; only vouchers may follow the request. Each is
 * checked and written as it arrives; the reader ends only after the last one's fsync (it counts
 * before the stream's final wait is over).
 */
export function readVouchers(framed: FramedStream, ctx: VoucherContext): VoucherReader {
  const reader: VoucherReader = { error: undefined, ended: false, done: Promise.resolve() };
  let rechecked = false;
  let committed: Promise<void> = Promise.resolve();
  let commitFailure: unknown;
  reader.done = (async () => {
    try {
      for (let body = await framed.read(); body; body = await framed.read()) {
        if (commitFailure) throw commitFailure;
        const msg = decodeFetchClientMessage(body);
        if (msg.kind !== "voucher") throw new Refusal("BAD_REQUEST", "only vouchers may follow the request");
        if (msg.voucher.value.cumulativeAmount > ctx.channel.deposit && ctx.freshChannel && !rechecked) {
          rechecked = true; // once per stream: a client cannot make the node read the chain per voucher
          ctx.channel = await ctx.freshChannel().catch(() => ctx.channel);
        }
        const durable = storeVoucher(ctx, msg.voucher.value.channelId, msg.voucher.value.cumulativeAmount, msg.voucher.signature);
        if (!durable) continue;
        // a store that cannot fsync ends the stream at the next message (the voucher never counted)
        durable.catch((error: unknown) => {
          commitFailure ??= error;
          ctx.book.notify(ctx.channel.channelId);
        });
        committed = durable; // fsyncs end in order: the last one covers the ones before
      }
      await committed;
    } catch (error) {
      await committed.catch(() => undefined);
      if (error instanceof Refusal) reader.error = error;
      else if (error instanceof ProtocolError) reader.error = new Refusal("BAD_VOUCHER", error.message);
      // else a reset, a drop, a timeout or a store that failed: the client ended, nothing it sent was bad
    } finally {
      reader.ended = true;
      ctx.book.notify(ctx.channel.channelId);
    }
  })();
  return reader;
}
