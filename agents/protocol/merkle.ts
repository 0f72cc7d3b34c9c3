/**
 * Content addressing: a blob is split into fixed 256 KiB leaves and its id is the root of a
 * SHA-256 binary Merkle tree with domain separation (docs/protocol.md, "Content addressing"):
 *
 *   leaf  = SHA-256(0x00 || leafBytes)
 *   inner = SHA-256(0x01 || left || right)
 *   blobId = SHA-256(0x02 || uint64be(size) || top)
 *
 * The tree over n leaf hashes is built bottom-up, pairing neighbours left to right; an odd
 * node out at the end of a level is promoted unchanged (this is the RFC 6962 tree shape).
 * An empty blob has one empty leaf. Leaf layers are flat `Uint8Array`s of n × 32 bytes.
 */
import { createHash } from "node:crypto";
import { INNER_PREFIX, LEAF_PREFIX, LEAF_SIZE, MAX_BLOB_SIZE, ROOT_PREFIX } from "./constants.js";
import { InvalidArgumentError, LeafLayerMismatchError, MalformedProofError } from "./errors.js";
import { bytesEqual, toHex } from "./bytes.js";

export const HASH_SIZE = 32;

const LEAF_TAG = new Uint8Array([LEAF_PREFIX]);
const INNER_TAG = new Uint8Array([INNER_PREFIX]);

function checkSize(size: number): void {
  if (!Number.isSafeInteger(size) || size < 0 || size > MAX_BLOB_SIZE) throw new InvalidArgumentError(`invalid blob size ${size}`);
}

/** Number of leaves of a blob of `size` bytes (an empty blob has one empty leaf). */
export function leafCount(size: number): number {
  checkSize(size);
  return size === 0 ? 1 : Math.ceil(size / LEAF_SIZE);
}

/** Length in bytes of leaf `index` of a blob of `size` bytes. */
export function leafLength(size: number, index: number): number {
  const n = leafCount(size);
  if (!Number.isSafeInteger(index) || index < 0 || index >= n) throw new InvalidArgumentError(`leaf ${index} out of range 0..${n - 1}`);
  return index < n - 1 ? LEAF_SIZE : size - (n - 1) * LEAF_SIZE;
}

/** SHA-256(0x00 || data). */
export function hashLeaf(data: Uint8Array): Uint8Array {
  return createHash("sha256").update(LEAF_TAG).update(data).digest();
}

/** SHA-256(0x01 || left || right). */
export function hashInner(left: Uint8Array, right: Uint8Array): Uint8Array {
  return createHash("sha256").update(INNER_TAG).update(left).update(right).digest();
}

/** SHA-256(0x02 || uint64be(size) || top): binds the total size into the id. */
export function hashRoot(size: number, top: Uint8Array): Uint8Array {
  checkSize(size);
  const pre = Buffer.alloc(9);
  pre[0] = ROOT_PREFIX;
  pre.writeBigUInt64BE(BigInt(size), 1);
  return createHash("sha256").update(pre).update(top).digest();
}

function node(layer: Uint8Array, i: number): Uint8Array {
  return layer.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);
}

/** Next level up: pairs hashed, an odd last node promoted. */
function parentLevel(level: Uint8Array): Uint8Array {
  const count = level.length / HASH_SIZE;
  const out = new Uint8Array(Math.ceil(count / 2) * HASH_SIZE);
  for (let i = 0; i + 1 < count; i += 2) out.set(hashInner(node(level, i), node(level, i + 1)), (i / 2) * HASH_SIZE);
  if (count % 2 === 1) out.set(node(level, count - 1), ((count - 1) / 2) * HASH_SIZE);
  return out;
}

function checkLayer(leafLayer: Uint8Array): number {
  if (leafLayer.length === 0 || leafLayer.length % HASH_SIZE !== 0) throw new InvalidArgumentError(`leaf layer length ${leafLayer.length} is not a positive multiple of 32`);
  return leafLayer.length / HASH_SIZE;
}

/** All levels of the tree, leaves first, top last. */
export function treeLevels(leafLayer: Uint8Array): Uint8Array[] {
  checkLayer(leafLayer);
  const levels = [leafLayer];
  while (levels[levels.length - 1].length > HASH_SIZE) levels.push(parentLevel(levels[levels.length - 1]));
  return levels;
}

/** Top of the tree over a leaf layer (before the size is bound in). */
export function treeTop(leafLayer: Uint8Array): Uint8Array {
  let level = leafLayer;
  checkLayer(level);
  while (level.length > HASH_SIZE) level = parentLevel(level);
  return level.slice();
}

/** Leaf layer (n × 32 bytes) of a whole blob held in memory. */
export function leafLayerOf(data: Uint8Array): Uint8Array {
  const n = leafCount(data.length);
  const out = new Uint8Array(n * HASH_SIZE);
  for (let i = 0; i < n; i++) out.set(hashLeaf(data.subarray(i * LEAF_SIZE, Math.min(data.length, (i + 1) * LEAF_SIZE))), i * HASH_SIZE);
  return out;
}

/** Blob id from a blob's size and its full leaf layer. */
export function blobIdFromLeafLayer(size: number, leafLayer: Uint8Array): Uint8Array {
  const n = checkLayer(leafLayer);
  if (n !== leafCount(size)) throw new InvalidArgumentError(`a ${size}-byte blob has ${leafCount(size)} leaves, not ${n}`);
  return hashRoot(size, treeTop(leafLayer));
}

export interface BlobTree {
  blobId: Uint8Array;
  size: number;
  leafLayer: Uint8Array;
}

/** Blob id (and leaf layer) of a blob held in memory. */
export function buildBlobTree(data: Uint8Array): BlobTree {
  const leafLayer = leafLayerOf(data);
  return { blobId: blobIdFromLeafLayer(data.length, leafLayer), size: data.length, leafLayer };
}

/** Blob id of a blob held in memory. */
export function computeBlobId(data: Uint8Array): Uint8Array {
  return buildBlobTree(data).blobId;
}

/** Incremental blob-id builder for blobs that arrive in pieces of any size. */
export class BlobIdBuilder {
  private size = 0;
  private inLeaf = 0;
  private hash = createHash("sha256").update(LEAF_TAG);
  private readonly leaves: Uint8Array[] = [];
  private done = false;

  update(bytes: Uint8Array): this {
    if (this.done) throw new InvalidArgumentError("BlobIdBuilder already digested");
    let off = 0;
    while (off < bytes.length) {
      const take = Math.min(LEAF_SIZE - this.inLeaf, bytes.length - off);
      this.hash.update(bytes.subarray(off, off + take));
      off += take;
      this.inLeaf += take;
      if (this.inLeaf === LEAF_SIZE) {
        this.leaves.push(this.hash.digest());
        this.hash = createHash("sha256").update(LEAF_TAG);
        this.inLeaf = 0;
      }
    }
    this.size += bytes.length;
    checkSize(this.size);
    return this;
  }

  digest(): BlobTree {
    if (this.done) throw new InvalidArgumentError("BlobIdBuilder already digested");
    this.done = true;
    if (this.inLeaf > 0 || this.size === 0) this.leaves.push(this.hash.digest());
    const leafLayer = new Uint8Array(this.leaves.length * HASH_SIZE);
    this.leaves.forEach((h, i) => leafLayer.set(h, i * HASH_SIZE));
    return { blobId: blobIdFromLeafLayer(this.size, leafLayer), size: this.size, leafLayer };
  }
}

// ---- range proofs ----

function checkRange(n: number, first: number, count: number): void {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(count) || first < 0 || count < 1 || first + count > n) {
    throw new InvalidArgumentError(`leaf range [${first}, ${first + count}) not within 0..${n}`);
  }
}

/**
 * Visits, level by level from the leaves up, the sibling nodes needed to rebuild the top from
 * leaves [first, first + count): at each level the left sibling (if the known run starts at an
 * odd index) then the right sibling (if it ends before an unpaired even index that is not the
 * promoted last node). This order is the proof's order.
 */
function walkProof(n: number, first: number, count: number, visit: (level: number, index: number) => void): void {
  let lo = first;
  let hi = first + count;
  let width = n;
  for (let level = 0; width > 1; level++) {
    if (lo % 2 === 1) visit(level, lo - 1);
    if (hi % 2 === 1 && hi < width) visit(level, hi);
    lo = Math.floor(lo / 2);
    hi = Math.ceil(hi / 2);
    width = Math.ceil(width / 2);
  }
}

/** Number of 32-byte nodes in the proof for leaves [first, first + count) of an n-leaf tree. */
export function proofLength(n: number, first: number, count: number): number {
  checkRange(n, first, count);
  let k = 0;
  walkProof(n, first, count, () => k++);
  return k;
}

/** Proof (k × 32 bytes) that leaves [first, first + count) belong to the tree over `leafLayer`. */
export function rangeProof(leafLayer: Uint8Array, first: number, count: number): Uint8Array {
  const levels = treeLevels(leafLayer);
  const n = leafLayer.length / HASH_SIZE;
  checkRange(n, first, count);
  const parts: Uint8Array[] = [];
  walkProof(n, first, count, (level, index) => parts.push(node(levels[level], index)));
  const out = new Uint8Array(parts.length * HASH_SIZE);
  parts.forEach((p, i) => out.set(p, i * HASH_SIZE));
  return out;
}

/** Rebuilds the tree top from leaf hashes [first, first + count) and their proof. */
export function topFromRange(n: number, first: number, rangeHashes: Uint8Array, proof: Uint8Array): Uint8Array {
  if (rangeHashes.length === 0 || rangeHashes.length % HASH_SIZE !== 0) throw new MalformedProofError(`range hashes length ${rangeHashes.length} is not a positive multiple of 32`);
  const count = rangeHashes.length / HASH_SIZE;
  if (!Number.isSafeInteger(n) || n < 1 || first < 0 || first + count > n || !Number.isSafeInteger(first)) {
    throw new MalformedProofError(`leaf range [${first}, ${first + count}) not within 0..${n}`);
  }
  const need = proofLength(n, first, count);
  if (proof.length !== need * HASH_SIZE) throw new MalformedProofError(`proof has ${proof.length} bytes, expected ${need * HASH_SIZE}`);
  let known = rangeHashes; // nodes [lo, hi) of the current level, flat
  let lo = first;
  let hi = first + count;
  let width = n;
  let p = 0;
  while (width > 1) {
    const left = lo % 2 === 1 ? proof.subarray(p * HASH_SIZE, ++p * HASH_SIZE) : undefined;
    const right = hi % 2 === 1 && hi < width ? proof.subarray(p * HASH_SIZE, ++p * HASH_SIZE) : undefined;
    const nlo = Math.floor(lo / 2);
    const nhi = Math.ceil(hi / 2);
    const next = new Uint8Array((nhi - nlo) * HASH_SIZE);
    const at = (i: number): Uint8Array => (i === lo - 1 && left ? left : i === hi && right ? right : node(known, i - lo));
    for (let j = nlo; j < nhi; j++) {
      const l = 2 * j;
      const r = 2 * j + 1;
      next.set(r < width ? hashInner(at(l), at(r)) : at(l), (j - nlo) * HASH_SIZE);
    }
    known = next;
    lo = nlo;
    hi = nhi;
    width = Math.ceil(width / 2);
  }
  return known;
}

/**
 * Checks that leaf hashes [first, first + count) with their proof hash to `blobId` for a blob
 * of `size` bytes. Throws LeafLayerMismatchError or MalformedProofError.
 */
export function verifyRange(blobId: Uint8Array, size: number, first: number, rangeHashes: Uint8Array, proof: Uint8Array): void {
  const n = leafCount(size);
  const computed = hashRoot(size, topFromRange(n, first, rangeHashes, proof));
  if (!bytesEqual(computed, blobId)) throw new LeafLayerMismatchError(toHex(blobId), toHex(computed));
}

/** Checks a full leaf layer against `blobId`. */
export function verifyLeafLayer(blobId: Uint8Array, size: number, leafLayer: Uint8Array): void {
  verifyRange(blobId, size, 0, leafLayer, new Uint8Array(0));
}

/** Leaves covering bytes [offset, offset + length) of a `size`-byte blob (length 0 → the one leaf at offset). */
export function leafRangeForBytes(size: number, offset: number, length: number): { first: number; count: number } {
  checkSize(size);
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    throw new InvalidArgumentError(`byte range [${offset}, ${offset + length}) not within a ${size}-byte blob`);
  }
  const first = Math.min(Math.floor(offset / LEAF_SIZE), leafCount(size) - 1);
  const last = length === 0 ? first : Math.floor((offset + length - 1) / LEAF_SIZE);
  return { first, count: last - first + 1 };
}
