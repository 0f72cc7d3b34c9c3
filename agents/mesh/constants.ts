/**
 * Constants of the mesh: protocol ids, gossip cadence and windows, probe limits, DHT
 * re-provide schedule. docs/mesh.md explains each.
 */
export { PROTOCOL_PROBE, TOPIC_GLOBAL, topicForRegion } from "../protocol/constants.js";

// ---- gossip ----
/** Nodes re-publish their announcement this often (and on change). */
export const ANNOUNCE_INTERVAL_MS = 60_000;
/** Accepted |announcement timestamp − local time| in seconds. */
export const ANNOUNCE_MAX_SKEW_SECONDS = 60;
/** A content record's timestamp may be at most this far in the future (seconds). */
export const RECORD_MAX_FUTURE_SECONDS = 60;
/** Remembered (nodeKey → last sequence) entries; the oldest are dropped beyond this. */
export const MAX_TRACKED_ANNOUNCERS = 100_000;

// ---- gossipsub peer scoring (see docs/mesh.md "Gating") ----
/** App-specific score of a peer that is not an active node (a client or an unbonded peer): below 0 keeps it out of meshes, above the gossip threshold lets it receive gossip. */
export const NON_NODE_APP_SCORE = -50;
export const GOSSIP_THRESHOLD = -100;
export const PUBLISH_THRESHOLD = -200;
export const GRAYLIST_THRESHOLD = -400;
/** Weight of P4 (invalid messages, squared count): two rejected messages graylist a peer. */
export const INVALID_MESSAGE_WEIGHT = -100;

// ---- DHT ----
/** Re-provide interval bounds (randomised between them). */
export const REPROVIDE_MIN_MS = 30 * 60_000;
export const REPROVIDE_MAX_MS = 50 * 60_000;
/** A provided blob whose k closest peers gained a newcomer is re-provided this long after the join (ms). */
export const JOIN_REPROVIDE_DELAY_MS = 2_000;
/**
 * A join's re-provide that did not reach the newcomer (the lookup missed it, the send failed: it may
 * not have finished its handshakes yet) is tried again after this long, doubling, at most
 * JOIN_REPROVIDE_RETRIES times (ms).
 */
export const JOIN_REPROVIDE_RETRY_MS = 1_000;
export const JOIN_REPROVIDE_RETRIES = 3;
/** One peer's joins trigger re-provides at most this often (ms): a node churning its connection cannot make others re-provide everything again and again. */
export const JOIN_REPROVIDE_PEER_GAP_MS = 10 * 60_000;
/** A join pass yields to the event loop after this many provided blobs (it may ask the routing table about each). */
export const JOIN_PASS_BATCH = 64;
/** Peers whose last join is remembered for that bound (the oldest are forgotten beyond it). */
export const MAX_JOINS_REMEMBERED = 10_000;
/** Most providers collected by one findProviders call. */
export const MAX_PROVIDERS = 20;
/** Provider records a node stores for others, in total (only active nodes' records are kept at all). */
export const MAX_PROVIDER_RECORDS = 100_000;

// ---- probes ----
export const PROBE_COLLECT_MS = 500;
export const PROBE_ENOUGH_HOLDERS = 3;
export const PROBE_POSITIVE_TTL_MS = 15_000;
export const PROBE_NEGATIVE_TTL_MS = 5 * 60_000;
/** One probe stream's timeout (open, request, response). */
export const PROBE_STREAM_TIMEOUT_MS = 2_000;
/** Inbound probes accepted per remote peer per second (token bucket, burst = 2× this). */
export const PROBE_RATE_PER_PEER = 20;
export const PROBE_MAX_INBOUND_STREAMS = 64;
export const PROBE_MAX_OUTBOUND_STREAMS = 64;

// ---- chain view ----
/** A node refuses to serve while its last successful chain read is older than this (docs/mesh.md). */
export const DEFAULT_MAX_CHAIN_VIEW_AGE_MS = 30 * 60_000;
/** Active-set snapshot refresh and per-key cache lifetime. */
export const ACTIVE_SET_REFRESH_MS = 60_000;
export const ACTIVE_SET_KEY_TTL_MS = 30_000;
