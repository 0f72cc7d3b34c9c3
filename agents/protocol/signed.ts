/**
 * Signed protocol objects: digests, signing and signer recovery for every EIP-712 struct in
 * the shared definitions (eip712.ts), on the fast path (direct digest + secp.ts). The bytes are
 * exactly what the contracts verify: same type strings, same domain, 65-byte r‖s‖v signatures
 * under OpenZeppelin ECDSA's rules.
 */
import {
  ContentRecord,
  type ContentRecordValue,
  KeyRotation,
  type KeyRotationValue,
  NodeAnnouncement,
  type NodeAnnouncementValue,
  NodeRegistration,
  type NodeRegistrationValue,
  ServeCommitment,
  type ServeCommitmentValue,
  Voucher,
  type VoucherValue,
  WatchtowerAuth,
  type WatchtowerAuthValue,
} from "./eip712.js";
import { compileStruct, type Eip712Domain, type StructEncoder } from "./eip712-fast.js";
import { AnchorMismatchError, CommitmentMismatchError, TimestampSkewError, WrongSignerError } from "./errors.js";
import { recoverDigest, signDigest } from "./secp.js";
import { DEFAULT_COMMITMENT_SKEW_SECONDS, DEFAULT_MAX_ANCHOR_AGE_BLOCKS } from "./constants.js";

/** One compiled encoder per signed struct. */
export const structs = {
  voucher: compileStruct<VoucherValue>(Voucher),
  serveCommitment: compileStruct<ServeCommitmentValue>(ServeCommitment),
  nodeRegistration: compileStruct<NodeRegistrationValue>(NodeRegistration),
  keyRotation: compileStruct<KeyRotationValue>(KeyRotation),
  watchtowerAuth: compileStruct<WatchtowerAuthValue>(WatchtowerAuth),
  contentRecord: compileStruct<ContentRecordValue>(ContentRecord),
  nodeAnnouncement: compileStruct<NodeAnnouncementValue>(NodeAnnouncement),
} as const;

export type SignedKind = keyof typeof structs;
type ValueOf<K extends SignedKind> = (typeof structs)[K] extends StructEncoder<infer T> ? T : never;

/** EIP-712 digest of a value of kind `kind` in `domain`. */
export function digestOf<K extends SignedKind>(kind: K, domain: Eip712Domain, value: ValueOf<K>): Uint8Array {
  return (structs[kind] as StructEncoder<ValueOf<K>>).digest(domain, value);
}

/** Signs a value; returns the 65-byte r‖s‖v signature. */
export function signTyped<K extends SignedKind>(kind: K, domain: Eip712Domain, value: ValueOf<K>, secretKey: Uint8Array): Uint8Array {
  return signDigest(digestOf(kind, domain, value), secretKey);
}

/** Recovers the signer's address (lower-case hex). Throws InvalidSignatureError. */
export function recoverTyped<K extends SignedKind>(kind: K, domain: Eip712Domain, value: ValueOf<K>, signature: Uint8Array): string {
  return recoverDigest(digestOf(kind, domain, value), signature);
}

/** Throws WrongSignerError unless `signature` over `value` was made by `expectedSigner`. */
export function verifyTyped<K extends SignedKind>(kind: K, domain: Eip712Domain, value: ValueOf<K>, signature: Uint8Array, expectedSigner: string): void {
  const recovered = recoverTyped(kind, domain, value, signature);
  if (recovered !== expectedSigner.toLowerCase()) throw new WrongSignerError(expectedSigner, recovered);
}

// ---- the hot ones, spelled out ----

export const signVoucher = (domain: Eip712Domain, v: VoucherValue, secretKey: Uint8Array): Uint8Array => signTyped("voucher", domain, v, secretKey);
export const recoverVoucherSigner = (domain: Eip712Domain, v: VoucherValue, sig: Uint8Array): string => recoverTyped("voucher", domain, v, sig);
export const verifyVoucher = (domain: Eip712Domain, v: VoucherValue, sig: Uint8Array, signer: string): void => verifyTyped("voucher", domain, v, sig, signer);
export const recoverServeCommitmentSigner = (domain: Eip712Domain, c: ServeCommitmentValue, sig: Uint8Array): string => recoverTyped("serveCommitment", domain, c, sig);
export const signContentRecord = (domain: Eip712Domain, r: ContentRecordValue, secretKey: Uint8Array): Uint8Array => signTyped("contentRecord", domain, r, secretKey);
/** Checks a content record against the origin's content key for its epoch (the caller resolves that key on chain). */
export const verifyContentRecord = (domain: Eip712Domain, r: ContentRecordValue, sig: Uint8Array, contentKey: string): void => verifyTyped("contentRecord", domain, r, sig, contentKey);
export const signNodeAnnouncement = (domain: Eip712Domain, a: NodeAnnouncementValue, secretKey: Uint8Array): Uint8Array => signTyped("nodeAnnouncement", domain, a, secretKey);
/** Checks that an announcement is signed by the node key it names (the caller checks that key is active on chain). */
export const verifyNodeAnnouncement = (domain: Eip712Domain, a: NodeAnnouncementValue, sig: Uint8Array): void => verifyTyped("nodeAnnouncement", domain, a, sig, a.nodeKey);
export const signServeCommitment = (domain: Eip712Domain, c: ServeCommitmentValue, secretKey: Uint8Array): Uint8Array => signTyped("serveCommitment", domain, c, secretKey);

/** A block as a chain shows it: number, hash, timestamp (a serve commitment's anchor). */
export interface BlockRef {
  number: bigint;
  hash: string;
  timestamp: bigint;
}

export interface ServeCommitmentCheck {
  /** PaymentChannel domain (serve commitments are verified there as slashing evidence). */
  domain: Eip712Domain;
  commitment: ServeCommitmentValue;
  signature: Uint8Array;
  /** What the client asked for, and who it is. */
  request: { blobId: string; channelId: string; client: string };
  /** The active on-chain node key of the authenticated peer serving the request. */
  nodeKey: string;
  /** The client's chain head (its timestamp is chain time). */
  head: BlockRef;
  /** Block `commitment.anchorBlock` as the client's chain shows it (undefined: the chain has no such block). */
  anchor: BlockRef | undefined;
  /**
   * Block `anchorBlock + 1` as the client's chain shows it, for a commitment older than the skew: on a
   * chain idle for minutes the node's view may be one poll behind a block that jumped chain time ahead;
   * the anchor is still fresh if it was the chain's head within the skew (its successor came no earlier).
   */
  next?: BlockRef;
  /** Tolerated |timestamp − head time| in seconds (default 120). */
  maxSkewSeconds?: bigint;
  /** Largest head − anchorBlock (default 64 blocks). */
  maxAnchorAgeBlocks?: bigint;
}

/** Whether the anchor was still the chain's head `skew` seconds before the client's head (its successor is no older). */
function headWithinSkew({ commitment, head, next }: ServeCommitmentCheck, skew: bigint): boolean {
  return next !== undefined && next.number === commitment.anchorBlock + 1n && next.number <= head.number && next.timestamp + skew >= head.timestamp;
}

/**
 * The client's check before accepting any byte: the commitment's fields equal the request; its
 * anchor is a block of the client's chain (same hash), at most `maxAnchorAgeBlocks` behind the head,
 * and its timestamp is exactly that block's (so it can be neither back- nor future-dated) and within
 * the skew of chain time, or older only because no block came for a while (the anchor was the head
 * within the skew: `next`); it is signed by the node key. Throws CommitmentMismatchError,
 * AnchorMismatchError, TimestampSkewError, InvalidSignatureError or WrongSignerError.
 */
export function checkServeCommitment(check: ServeCommitmentCheck): void {
  const { commitment: c, request, head, anchor } = check;
  for (const field of ["blobId", "channelId", "client"] as const) {
    if (c[field].toLowerCase() !== request[field].toLowerCase()) throw new CommitmentMismatchError(field, request[field], c[field]);
  }
  const maxAge = check.maxAnchorAgeBlocks ?? DEFAULT_MAX_ANCHOR_AGE_BLOCKS;
  if (!anchor || anchor.number !== c.anchorBlock) throw new AnchorMismatchError(`block ${c.anchorBlock} is not on this chain`);
  if (anchor.hash.toLowerCase() !== c.anchorHash.toLowerCase()) throw new AnchorMismatchError(`block ${c.anchorBlock} has hash ${anchor.hash}, not ${c.anchorHash}`);
  if (c.anchorBlock > head.number || head.number - c.anchorBlock > maxAge) {
    throw new AnchorMismatchError(`block ${c.anchorBlock} is not within ${maxAge} blocks of the head ${head.number}`);
  }
  if (c.timestamp !== anchor.timestamp) throw new TimestampSkewError(c.timestamp, anchor.timestamp, 0n);
  const skew = check.maxSkewSeconds ?? DEFAULT_COMMITMENT_SKEW_SECONDS;
  const d = c.timestamp - head.timestamp;
  if (d > skew || (-d > skew && !headWithinSkew(check, skew))) throw new TimestampSkewError(c.timestamp, head.timestamp, skew);
  verifyTyped("serveCommitment", check.domain, c, check.signature, check.nodeKey);
}
