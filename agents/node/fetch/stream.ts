/**
 * The served stream (docs/delivery.md §1, step 5, and §2): the header (a serve commitment signed at
 * chain time, the content record, the leaf range and the price), the leaf hashes of the range with
 * their proof, then one chunk per leaf, each sent only while the amount owed stays within the
 * credit window past the best stored voucher, and within the declared capacity. After the last
 * chunk the node waits a little for the final voucher.
 */
import { HASH_SIZE, leafCount, rangeProof } from "../../protocol/merkle.js";
import { amountOwed } from "../../protocol/pricing.js";
import { signServeCommitment } from "../../protocol/signed.js";
import type { ServeCommitmentValue } from "../../protocol/eip712.js";
import type { Eip712Domain } from "../../protocol/eip712-fast.js";
import { encodeFetchServerMessage } from "../../protocol/wire/messages.js";
import type { FramedStream } from "../../runtime/framed.js";
import { trace } from "../../runtime/trace.js";
import type { CapacityLimiter } from "../limiter.js";
import { chunkFrame } from "../../protocol/wire/chunk-frame.js";
import { READ_AHEAD, SENT_RECORD_BYTES, type FetchLimits } from "./constants.js";
import type { BlobSource } from "./source.js";
import type { VoucherBook, VoucherReader } from "./vouchers.js";

export interface HeaderFields {
  domain: Eip712Domain;
  secretKey: Uint8Array;
  commitment: ServeCommitmentValue;
  pricePerGiB: bigint;
  /** The value of what was sent on the channel before this stream (the client settles up to it first). */
  owed: bigint;
}

/** Sends the header, then the leaf hashes of the range (with a proof unless the range is the whole blob). */
export async function sendHeader(framed: FramedStream, blob: BlobSource, range: { first: number; count: number }, h: HeaderFields): Promise<void> {
  const signature = signServeCommitment(h.domain, h.commitment, h.secretKey);
  const header = { commitment: { value: h.commitment, signature }, record: blob.record, firstLeaf: range.first, leafCount: range.count, pricePerGiB: h.pricePerGiB, owed: h.owed };
  await framed.write(encodeFetchServerMessage({ kind: "header", header }));
  const hashes = blob.leafLayer.subarray(range.first * HASH_SIZE, (range.first + range.count) * HASH_SIZE);
  const proof = range.count === leafCount(blob.size) ? new Uint8Array(0) : rangeProof(blob.leafLayer, range.first, range.count);
  await framed.write(encodeFetchServerMessage({ kind: "leafHashes", leafHashes: { firstLeaf: range.first, hashes, proof } }));
  trace("serve: header sent", { blob: blob.blobId.slice(0, 10) });
}

export interface ChunkStream {
  framed: FramedStream;
  signal: AbortSignal;
  channelId: string;
  blob: BlobSource;
  range: { first: number; count: number };
  pricePerGiB: bigint;
  /** What the channel owed when this stream started (carried debt, or the best voucher). */
  base: bigint;
  /** The credit window's value now (it grows with the payer's paid history, this stream's vouchers included). */
  maxUnpaid(): bigint;
  book: VoucherBook;
  reader: VoucherReader;
  limits: FetchLimits;
  limiter?: CapacityLimiter;
  /** Capacity already taken for the first leaf (bytes). */
  prepaid: number;
  tamper?: (leafIndex: number, data: Uint8Array) => Uint8Array;
  /** Each chunk sent (bytes) and each wait for credit. */
  onSent(bytes: number): void;
  onCreditWait(): void;
}

export interface ChunkOutcome {
  sent: number;
  owed: bigint;
  creditWaits: number;
  creditWaitMs: number;
}

/** Sends the range's chunks, credit-gated; then waits for the final voucher. */
export async function sendChunks(s: ChunkStream): Promise<ChunkOutcome> {
  const out: ChunkOutcome = { sent: 0, owed: s.base, creditWaits: 0, creditWaitMs: 0 };
  const reads = new ReadAhead(s.blob, s.range.first, s.range.first + s.range.count);
  let prepaid = s.prepaid;
  let recordedAt = 0;
  try {
    for (let i = s.range.first; i < s.range.first + s.range.count; i++) {
      let data = await reads.next();
      if (i === s.range.first) trace("serve: first leaf read", { blob: s.blob.blobId.slice(0, 10) });
      const owedAfter = s.base + amountOwed(BigInt(out.sent + data.length), s.pricePerGiB);
      await awaitCredit(s, owedAfter, out);
      if (s.tamper) data = s.tamper(i, data);
      prepaid = await takeCapacity(s, prepaid, data.length);
      await s.framed.writeFramed(chunkFrame(i, data));
      if (i === s.range.first) trace("serve: first chunk sent", { blob: s.blob.blobId.slice(0, 10) });
      out.sent += data.length;
      out.owed = owedAfter;
      s.book.setOwed(s.channelId, owedAfter);
      if (out.sent - recordedAt >= SENT_RECORD_BYTES) {
        s.book.recordSent(s.channelId);
        recordedAt = out.sent;
      }
      s.onSent(data.length);
    }
    s.book.recordSent(s.channelId);
    await awaitFinalVoucher(s, out.owed);
    return out;
  } finally {
    s.book.recordSent(s.channelId);
    reads.drop();
  }
}

/** Waits for vouchers until `owedAfter` fits in the credit window; throws if the client stops paying. */
async function awaitCredit(s: ChunkStream, owedAfter: bigint, out: ChunkOutcome): Promise<void> {
  while (owedAfter - s.book.bestVoucher(s.channelId) > s.maxUnpaid()) {
    if (s.reader.error) throw s.reader.error;
    if (s.reader.ended) throw new Error("the client stopped before paying");
    const before = s.book.bestVoucher(s.channelId);
    s.book.recordSent(s.channelId); // what was sent is on disk before we wait on the client
    out.creditWaits++;
    s.onCreditWait();
    const started = performance.now();
    await s.book.waitForVoucher(s.channelId, s.limits.voucherWaitMs, s.signal);
    out.creditWaitMs += performance.now() - started;
    if (s.book.bestVoucher(s.channelId) === before && !s.reader.error && !s.reader.ended) throw new Error("no voucher within the wait; credit window exhausted");
  }
  if (s.reader.error) throw s.reader.error;
}

/** Takes `bytes` of declared capacity (less what was prepaid at admission); returns what stays prepaid. */
async function takeCapacity(s: ChunkStream, prepaid: number, bytes: number): Promise<number> {
  if (!s.limiter) return prepaid;
  if (prepaid >= bytes) return prepaid - bytes;
  await s.limiter.acquire(bytes - prepaid, { signal: s.signal });
  return 0;
}

/** After the last chunk: wait (finalVoucherWaitMs) for a voucher that pays everything owed. */
async function awaitFinalVoucher(s: ChunkStream, owed: bigint): Promise<void> {
  const deadline = Date.now() + s.limits.finalVoucherWaitMs;
  while (s.book.bestVoucher(s.channelId) < owed && !s.reader.ended && !s.reader.error && Date.now() < deadline) {
    await s.book.waitForVoucher(s.channelId, deadline - Date.now(), s.signal);
  }
  if (s.reader.error) throw s.reader.error;
}

/** Reads a few leaves ahead so the disk is never on the stream's critical path (also the delivery bench's raw baseline). */
export class ReadAhead {
  private readonly reads: Promise<Uint8Array>[] = [];
  private nextToRead: number;

  constructor(
    private readonly blob: Pick<BlobSource, "readLeaf" | "close">,
    first: number,
    private readonly end: number,
  ) {
    this.nextToRead = first;
  }

  async next(): Promise<Uint8Array> {
    this.fill();
    const data = await this.reads.shift()!;
    this.fill();
    return data;
  }

  private fill(): void {
    while (this.reads.length < READ_AHEAD && this.nextToRead < this.end) this.reads.push(this.blob.readLeaf(this.nextToRead++));
  }

  /** Reads left unconsumed (the stream ended early) must not become unhandled rejections; the source is closed once they settled. */
  drop(): void {
    for (const r of this.reads) r.catch(() => undefined);
    void Promise.allSettled(this.reads).then(() => this.blob.close?.());
  }
}
