/** Protocol id, limits and defaults of the watchtower (docs/watchtower-guide.md explains each). */
export { MAX_WATCHTOWER_BPS, PROTOCOL_WATCHTOWER } from "../protocol/constants.js";

export const WATCHTOWER_LIMITS = {
  /** Concurrent watchtower streams per connection (libp2p handler limits). */
  maxInboundStreams: 16,
  maxOutboundStreams: 4,
  /** Concurrent watchtower streams in total; beyond it new streams are reset. */
  maxActiveStreams: 256,
  /** Concurrent watchtower streams of one peer (a node pushes on one stream at a time). */
  maxStreamsPerPeer: 4,
  /** The first request (the auth) must arrive this soon after the stream opens (ms). */
  firstMessageTimeoutMs: 2_000,
  /** Requests (auth + updates) per stream. */
  maxMessagesPerStream: 256,
  /** A whole stream must finish within this (ms). */
  streamTimeoutMs: 30_000,
  /** Abort a stream when nothing arrives for this long (ms). */
  idleTimeoutMs: 10_000,
};

export const MONITOR_DEFAULTS = {
  /** Blocks a ChannelCloseStarted log must be buried under before it is acted on. */
  confirmations: 2,
  pollMs: 2000,
  maxLogRange: 2000,
  /** Wait this long (chain seconds) after seeing a close before disputing, so an online node can answer itself (saving it the bounty). */
  disputeDelaySeconds: 0,
  /** ...but always submit at least this long (chain seconds) before the window ends. */
  disputeMarginSeconds: 600,
  /** Retry backoff after an RPC error: first delay and cap (ms). */
  retryBaseMs: 1000,
  retryMaxMs: 60_000,
  /** getChannels batch size for the startup rescan. */
  rescanBatch: 100,
};
