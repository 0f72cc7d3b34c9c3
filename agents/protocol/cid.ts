/**
 * Blob id → CID for the DHT: CIDv1, codec raw (0x55), multihash sha2-256 of the 32-byte blob
 * id. The CID names the 32-byte id itself as a raw block, which is true of it; it is a
 * one-way mapping (providers are found by CID, the blob id travels in the fetch request).
 */
import { createHash } from "node:crypto";
import { CID } from "multiformats/cid";
import { create as createDigest } from "multiformats/hashes/digest";
import { CID_CODEC_RAW, MULTIHASH_SHA2_256 } from "./constants.js";
import { InvalidArgumentError } from "./errors.js";

export function blobIdToCid(blobId: Uint8Array): CID {
  if (blobId.length !== 32) throw new InvalidArgumentError(`blob id must be 32 bytes, got ${blobId.length}`);
  const digest = new Uint8Array(createHash("sha256").update(blobId).digest());
  return CID.createV1(CID_CODEC_RAW, createDigest(MULTIHASH_SHA2_256, digest));
}

/** Multihash `identity`: the digest is the value itself. */
const MULTIHASH_IDENTITY = 0x00;

/**
 * The blob id as a CID that can be turned back into it: CIDv1, codec raw, multihash identity of
 * the 32 bytes (`bafkqaic…`). Used in URLs (the HTTP gateway); the DHT key above is one-way.
 */
export function blobIdAsCid(blobId: Uint8Array): CID {
  if (blobId.length !== 32) throw new InvalidArgumentError(`blob id must be 32 bytes, got ${blobId.length}`);
  return CID.createV1(CID_CODEC_RAW, createDigest(MULTIHASH_IDENTITY, blobId));
}

/**
 * A blob reference typed by a user: `0x` + 64 hex (or the 64 hex alone), or the id's identity CID
 * (blobIdAsCid). Returns the lower-case `0x…` id; throws InvalidArgumentError with one sentence.
 */
export function parseBlobRef(text: string): string {
  if (/^(0x)?[0-9a-fA-F]{64}$/.test(text)) return (text.startsWith("0x") ? text : "0x" + text).toLowerCase();
  let cid: CID;
  try {
    cid = CID.parse(text);
  } catch {
    throw new InvalidArgumentError(`"${text.slice(0, 80)}" is neither a blob id (0x followed by 64 hex digits) nor a CID.`);
  }
  if (cid.multihash.code === MULTIHASH_SHA2_256 && cid.code === CID_CODEC_RAW) {
    throw new InvalidArgumentError(`${text.slice(0, 80)} is a blob's DHT key (a one-way hash of its id); use the blob id or its identity CID (bafkqaic…).`);
  }
  if (cid.version !== 1 || cid.code !== CID_CODEC_RAW || cid.multihash.code !== MULTIHASH_IDENTITY || cid.multihash.digest.length !== 32) {
    throw new InvalidArgumentError(`${text.slice(0, 80)} is not a blob CID (CIDv1, codec raw, identity multihash of the 32-byte blob id).`);
  }
  return "0x" + Buffer.from(cid.multihash.digest).toString("hex");
}
