/** Constants of the protocol core. Changing any of these changes blob ids or the wire format. */

/** Leaf size in bytes: 256 KiB. Every leaf is this long except the last, which is 0 < len ≤ LEAF_SIZE (or 0 for an empty blob). */
export const LEAF_SIZE = 256 * 1024;

/** Domain-separation prefixes of the content-addressing hashes (one byte before the hashed data). */
export const LEAF_PREFIX = 0x00;
export const INNER_PREFIX = 0x01;
export const ROOT_PREFIX = 0x02;

/** Largest blob size that the protocol addresses (2^53 - 1 so that byte offsets stay exact JS numbers). */
export const MAX_BLOB_SIZE = Number.MAX_SAFE_INTEGER;

/** Multicodec `raw` (CID codec) and `sha2-256` (multihash code). */
export const CID_CODEC_RAW = 0x55;
export const MULTIHASH_SHA2_256 = 0x12;

/** Protocol ids (`/cdn/<name>/<semver>`). */
export const PROTOCOL_PROBE = "/cdn/probe/1.0.0";
export const PROTOCOL_FETCH = "/cdn/fetch/1.0.0";
export const PROTOCOL_WATCHTOWER = "/cdn/watchtower/1.0.0";

/** Largest bounty the contract pays, in basis points of what a dispute recovers (PaymentChannel.MAX_WATCHTOWER_BPS). */
export const MAX_WATCHTOWER_BPS = 2000;

/** Gossip topics. */
export const TOPIC_GLOBAL = "/cdn/global/1";
export const topicForRegion = (region: number): string => `/cdn/region/${region}/1`;

/** One GiB in bytes: prices are quoted in token base units per GiB. */
export const GIB = 1n << 30n;

/** Default tolerated distance between a serve commitment's timestamp and chain time (seconds). */
export const DEFAULT_COMMITMENT_SKEW_SECONDS = 120n;

/** A node's registered multiaddrs: at most 8, each 1–256 bytes of UTF-8 (NodeRegistry.MAX_MULTIADDRS, MAX_MULTIADDR_BYTES; the wire accepts exactly what the registry does). */
export const MAX_MULTIADDRS = 8;
export const MAX_MULTIADDR_BYTES = 256;

/**
 * A serve commitment's anchor may be at most this many blocks behind the client's head: the node's
 * followed view may lag a poll (60 s at most), and slashing needs the anchor's hash while it is
 * among the EVM's last 256 blocks, so a reporter has the other 128 to commit its evidence.
 */
export const DEFAULT_MAX_ANCHOR_AGE_BLOCKS = 128n;
