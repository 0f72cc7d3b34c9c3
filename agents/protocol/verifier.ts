/**
 * Streaming verifier: feed the bytes of a leaf range as they arrive (split anyhow), get back
 * each leaf as soon as all of its bytes have arrived and hashed to its leaf hash. A bad leaf
 * throws ChunkMismatchError before any byte of it is released, and the verifier then refuses
 * all further input. The leaf hashes (with their range proof) are checked against the blob id
 * when the verifier is created.
 */
import { createHash, type Hash } from "node:crypto";
import type { Uint8ArrayList } from "uint8arraylist";
import { LEAF_PREFIX, LEAF_SIZE } from "./constants.js";
import { ChunkMismatchError, InvalidArgumentError, ProtocolError, StreamLengthError, VerifierClosedError } from "./errors.js";
import { HASH_SIZE, leafLength, verifyRange } from "./merkle.js";

const LEAF_TAG = new Uint8Array([LEAF_PREFIX]);

/** SHA-256(0x00 ‖ leaf): a leaf's hash (of a leaf given whole, or as the pieces it arrived in). */
export function leafDigest(data: Uint8Array | Uint8ArrayList): Uint8Array {
  const hash = createHash("sha256").update(LEAF_TAG);
  if (data instanceof Uint8Array) return hash.update(data).digest();
  for (const piece of data) hash.update(piece);
  return hash.digest();
}

export interface VerifierInit {
  blobId: Uint8Array;
  /** Total blob size in bytes. */
  size: number;
  /** First leaf of the range (default 0). */
  firstLeaf?: number;
  /** Leaf hashes of the range, count × 32 bytes. */
  leafHashes: Uint8Array;
  /** Range proof for the leaf hashes (empty when they are the whole leaf layer). */
  proof?: Uint8Array;
}

export interface VerifiedChunk<D extends Uint8Array | Uint8ArrayList = Uint8Array> {
  leafIndex: number;
  /** Byte offset of this leaf in the blob. */
  offset: number;
  data: D;
}

/** Thrown by push() when a leaf fails; `verified` holds leaves of the same push that passed before it. */
export type PushError = ProtocolError & { verified?: VerifiedChunk[] };

export class StreamVerifier {
  readonly blobId: Uint8Array;
  readonly size: number;
  readonly firstLeaf: number;
  readonly endLeaf: number;
  private readonly hashes: Uint8Array;
  private next: number;
  /** Leaves admitted by admitChunk (checked for place and length, maybe not yet hashed). */
  private admitted: number;
  private expected: number;
  /** The partial leaf being assembled (allocated at its first byte), and how much of it is filled. */
  private pending: Uint8Array | undefined;
  private pendingLen = 0;
  private hash: Hash | undefined;
  private closed = false;
  private verified = 0;

  constructor(init: VerifierInit) {
    const first = init.firstLeaf ?? 0;
    verifyRange(init.blobId, init.size, first, init.leafHashes, init.proof ?? new Uint8Array(0));
    this.blobId = init.blobId;
    this.size = init.size;
    this.firstLeaf = first;
    this.endLeaf = first + init.leafHashes.length / HASH_SIZE;
    this.hashes = init.leafHashes.slice();
    this.next = first;
    this.admitted = first;
    this.expected = leafLength(init.size, first);
  }

  /** Index of the next leaf expected. */
  get nextLeaf(): number {
    return this.next;
  }

  /** Bytes released so far. */
  get verifiedBytes(): number {
    return this.verified;
  }

  /** True when every leaf of the range has been verified. */
  get complete(): boolean {
    return this.next === this.endLeaf;
  }

  /** `verified`: what push() released before the failure (verifyDigest and admitChunk release nothing on one). */
  private fail(e: ProtocolError, verified: VerifiedChunk<Uint8Array | Uint8ArrayList>[]): never {
    this.closed = true;
    this.pending = undefined;
    (e as PushError).verified = verified as VerifiedChunk[];
    throw e;
  }

  private release<D extends Uint8Array | Uint8ArrayList>(out: VerifiedChunk<D>[], digest: Uint8Array, data: D): void {
    const i = this.next;
    const want = this.hashes.subarray((i - this.firstLeaf) * HASH_SIZE, (i - this.firstLeaf + 1) * HASH_SIZE);
    for (let k = 0; k < HASH_SIZE; k++) if (digest[k] !== want[k]) this.fail(new ChunkMismatchError(i), out);
    out.push({ leafIndex: i, offset: i * LEAF_SIZE, data });
    this.verified += data.length;
    this.next++;
    if (this.admitted < this.next) this.admitted = this.next;
    if (this.next < this.endLeaf) this.expected = leafLength(this.size, this.next);
  }

  /**
   * Feeds the next bytes of the range. Returns the leaves completed and verified by these bytes
   * (possibly none). The returned data may alias `bytes`: do not modify it afterwards.
   */
  push(bytes: Uint8Array): VerifiedChunk[] {
    if (this.closed) throw new VerifierClosedError();
    const out: VerifiedChunk[] = [];
    let off = 0;
    while (off < bytes.length) {
      if (this.next === this.endLeaf) {
        this.fail(new StreamLengthError("bytes past the end of the range", this.rangeBytes(), this.verified + this.pendingLen + bytes.length - off), out);
      }
      const take = Math.min(this.expected - this.pendingLen, bytes.length - off);
      const piece = bytes.subarray(off, off + take);
      off += take;
      if (this.pendingLen === 0 && take === this.expected) {
        // whole leaf in one piece: hash without copying
        this.release(out, leafDigest(piece), piece);
        continue;
      }
      // a leaf split across pieces: copy into one buffer (a fresh Uint8Array: Buffer.concat is
      // ~2x slower here) and hash as the bytes arrive
      this.hash ??= createHash("sha256").update(LEAF_TAG);
      this.pending ??= new Uint8Array(this.expected);
      this.hash.update(piece);
      this.pending.set(piece, this.pendingLen);
      this.pendingLen += take;
      if (this.pendingLen === this.expected) {
        const digest = this.hash.digest();
        const data = this.pending;
        this.hash = undefined;
        this.pending = undefined;
        this.pendingLen = 0;
        this.release(out, digest, data);
      }
    }
    // an empty leaf (empty blob) is complete without any byte
    while (this.next < this.endLeaf && this.expected === 0 && this.pendingLen === 0) {
      this.release(out, leafDigest(new Uint8Array(0)), new Uint8Array(0));
    }
    return out;
  }

  /**
   * Verifies one whole leaf delivered as a unit (e.g. a wire Chunk message). `leafIndex` must
   * be the next expected leaf.
   */
  verifyChunk(leafIndex: number, data: Uint8Array): VerifiedChunk {
    this.admitChunk(leafIndex, data);
    return this.verifyDigest(leafIndex, data, leafDigest(data));
  }

  /**
   * First half of verifyChunk, for leaves hashed apart (as their pieces, or on a worker thread):
   * checks that the leaf is the next one admitted and has the right length. Admitted leaves are
   * then completed in order with `verifyDigest`.
   */
  admitChunk(leafIndex: number, data: Uint8Array | Uint8ArrayList): void {
    if (this.closed) throw new VerifierClosedError();
    if (this.pendingLen !== 0) throw new InvalidArgumentError("verifyChunk() after a partial push()");
    if (leafIndex !== this.admitted || this.admitted === this.endLeaf) {
      this.fail(new StreamLengthError(`chunk ${leafIndex} out of order (expected ${this.admitted})`, this.admitted, leafIndex), []);
    }
    const expected = leafLength(this.size, leafIndex);
    if (data.length !== expected) this.fail(new StreamLengthError(`chunk ${leafIndex} has ${data.length} bytes`, expected, data.length), []);
    this.admitted++;
  }

  /** Second half of verifyChunk: the next admitted leaf, with its digest SHA-256(0x00 ‖ data); released if it matches. */
  verifyDigest<D extends Uint8Array | Uint8ArrayList>(leafIndex: number, data: D, digest: Uint8Array): VerifiedChunk<D> {
    if (this.closed) throw new VerifierClosedError();
    if (leafIndex !== this.next || this.next >= this.admitted) throw new InvalidArgumentError(`leaf ${leafIndex} is not the next admitted leaf (${this.next})`);
    const out: VerifiedChunk<D>[] = [];
    this.release(out, digest, data);
    return out[0];
  }

  private rangeBytes(): number {
    let n = 0;
    for (let i = this.firstLeaf; i < this.endLeaf; i++) n += leafLength(this.size, i);
    return n;
  }

  /** Call at end of stream: throws StreamLengthError if the range is incomplete. */
  finish(): void {
    if (this.closed) throw new VerifierClosedError();
    this.push(new Uint8Array(0));
    this.closed = true;
    if (this.next !== this.endLeaf) throw new StreamLengthError("stream ended before the range was complete", this.rangeBytes(), this.verified + this.pendingLen);
  }
}
