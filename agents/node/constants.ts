/** Limits of the node's protocol services. */
export const FETCH_LIMITS = {
  /** Concurrent fetch streams per connection (libp2p handler limits). */
  maxInboundStreams: 8,
  maxOutboundStreams: 8,
  /** Concurrent fetch streams in total; above it requests get BUSY. */
  maxActiveFetches: 64,
  retryAfterMs: 2000,
  /** The request must arrive this soon after the stream opens (ms). */
  requestTimeoutMs: 10_000,
  /** Abort a stream when nothing moves for this long (ms). */
  idleTimeoutMs: 30_000,
  /** Wait at most this long for a voucher that reopens the credit window (ms). */
  voucherWaitMs: 20_000,
  /** After the last chunk, wait this long for the final voucher (ms). */
  finalVoucherWaitMs: 10_000,
};
