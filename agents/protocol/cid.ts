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
