/** Protocol id and limits of the node's fetch service (/cdn/fetch/1.0.0). */
export { PROTOCOL_FETCH } from "../../protocol/constants.js";

export const FETCH_LIMITS = {
  /** Concurrent fetch streams per connection (libp2p handler limits). */
  maxInboundStreams: 8,
  maxOutboundStreams: 8,
  /** Concurrent downloads in total (streams past admission: a funded channel); above it requests get BUSY. */
  maxActiveFetches: 64,
  /** Streams of one peer still waiting for or checking their request; beyond it BUSY at once. */
  maxPendingPerPeer: 4,
  retryAfterMs: 2000,
  /** The request must arrive this soon after the stream opens (ms). */
  requestTimeoutMs: 5_000,
  /** Abort a stream when nothing moves for this long (ms). */
  idleTimeoutMs: 30_000,
  /** Wait at most this long for a voucher that reopens the credit window (ms). */
  voucherWaitMs: 20_000,
  /** After the last chunk, wait this long for the final voucher (ms). */
  finalVoucherWaitMs: 10_000,
};

export type FetchLimits = typeof FETCH_LIMITS;

/** Leaves read from the backend ahead of the one being sent. */
export const READ_AHEAD = 4;

/**
 * How often a stream writes what it has sent to the store, at the least (bytes; `VoucherBook.recordSent`):
 * at most the client's pay cadence on a grown window (agents/protocol/credit.ts: 4 or 8 MiB), so one or two commits per voucher.
 */
export const SENT_RECORD_BYTES = 4 * 1024 * 1024;

/** After the node closed its side, wait at most this long for the client's vouchers to drain (ms). */
export const READER_DRAIN_MS = 2000;

/** Refusal messages are cut to this many characters on the wire. */
export const REFUSAL_MESSAGE_CHARS = 256;
