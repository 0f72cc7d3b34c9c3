import { expect } from "chai";
import fc from "fast-check";
import { LEAF_SIZE } from "../../../agents/protocol/constants.js";
import { ChunkMismatchError, LeafLayerMismatchError, StreamLengthError, VerifierClosedError } from "../../../agents/protocol/errors.js";
import { buildBlobTree, rangeProof } from "../../../agents/protocol/merkle.js";
import { leafDigest, StreamVerifier, type PushError, type VerifiedChunk } from "../../../agents/protocol/verifier.js";
import { patternBlob } from "./helpers.js";

const SIZE = 3 * LEAF_SIZE + 1000;
const DATA = patternBlob(SIZE);
const TREE = buildBlobTree(DATA);

function feed(v: StreamVerifier, bytes: Uint8Array, cuts: number[]): VerifiedChunk[] {
  const out: VerifiedChunk[] = [];
  for (let off = 0, i = 0; off < bytes.length; i++) {
    const n = cuts[i % cuts.length];
    out.push(...v.push(bytes.subarray(off, off + n)));
    off += n;
  }
  return out;
}

const joined = (cs: VerifiedChunk[]) => Buffer.concat(cs.map((c) => c.data));

describe("protocol › streaming verifier", () => {
  it("releases every leaf of the blob, whatever the piece sizes", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 4093, max: LEAF_SIZE + 99 }), { minLength: 1, maxLength: 6 }), (cuts) => {
        const v = new StreamVerifier({ blobId: TREE.blobId, size: SIZE, leafHashes: TREE.leafLayer });
        const chunks = feed(v, DATA, cuts);
        v.finish();
        expect(chunks.map((c) => c.leafIndex)).to.deep.equal([0, 1, 2, 3]);
        expect(chunks.map((c) => c.offset)).to.deep.equal([0, LEAF_SIZE, 2 * LEAF_SIZE, 3 * LEAF_SIZE]);
        expect(joined(chunks).equals(DATA)).to.equal(true);
      }),
      { numRuns: 20 },
    );
  });

  it("verifies a range against the blob id with its proof", () => {
    const hashes = TREE.leafLayer.subarray(32, 96);
    const v = new StreamVerifier({ blobId: TREE.blobId, size: SIZE, firstLeaf: 1, leafHashes: hashes, proof: rangeProof(TREE.leafLayer, 1, 2) });
    const chunks = v.push(DATA.subarray(LEAF_SIZE, 3 * LEAF_SIZE));
    v.finish();
    expect(chunks.map((c) => c.leafIndex)).to.deep.equal([1, 2]);
    expect(v.verifiedBytes).to.equal(2 * LEAF_SIZE);
  });

  it("verifies whole chunks delivered one message each", () => {
    const v = new StreamVerifier({ blobId: TREE.blobId, size: SIZE, leafHashes: TREE.leafLayer });
    for (let i = 0; i < 4; i++) v.verifyChunk(i, DATA.subarray(i * LEAF_SIZE, Math.min(SIZE, (i + 1) * LEAF_SIZE)));
    expect(v.complete).to.equal(true);
    expect(() => v.verifyChunk(4, new Uint8Array(1))).to.throw(StreamLengthError);
  });

  it("handles the empty blob", () => {
    const t = buildBlobTree(new Uint8Array(0));
    const v = new StreamVerifier({ blobId: t.blobId, size: 0, leafHashes: t.leafLayer });
    expect(v.push(new Uint8Array(0))).to.have.length(1);
    v.finish();
  });

  it("refuses leaf hashes that do not match the blob id", () => {
    const bad = TREE.leafLayer.slice();
    bad[5] ^= 1;
    expect(() => new StreamVerifier({ blobId: TREE.blobId, size: SIZE, leafHashes: bad })).to.throw(LeafLayerMismatchError);
  });

  it("rejects any single-bit corruption of a chunk before releasing any of its bytes", () => {
    fc.assert(
      fc.property(fc.nat(SIZE * 8 - 1), fc.array(fc.integer({ min: 4093, max: LEAF_SIZE + 99 }), { minLength: 1, maxLength: 4 }), (bit, cuts) => {
        const data = DATA.slice();
        data[bit >> 3] ^= 1 << (bit & 7);
        const badLeaf = Math.floor((bit >> 3) / LEAF_SIZE);
        const v = new StreamVerifier({ blobId: TREE.blobId, size: SIZE, leafHashes: TREE.leafLayer });
        const released: VerifiedChunk[] = [];
        let error: PushError | undefined;
        try {
          for (let off = 0, i = 0; off < data.length; i++) {
            const n = cuts[i % cuts.length];
            released.push(...v.push(data.subarray(off, off + n)));
            off += n;
          }
        } catch (e) {
          error = e as PushError;
          released.push(...(error.verified ?? []));
        }
        expect(error).to.be.instanceOf(ChunkMismatchError);
        expect((error as ChunkMismatchError).leafIndex).to.equal(badLeaf);
        expect(error!.code).to.equal("ERR_CHUNK_MISMATCH");
        // exactly the leaves before the bad one were released, all intact
        expect(released.map((c) => c.leafIndex)).to.deep.equal([...Array(badLeaf).keys()]);
        expect(joined(released).equals(DATA.subarray(0, badLeaf * LEAF_SIZE))).to.equal(true);
        expect(() => v.push(new Uint8Array(1))).to.throw(VerifierClosedError);
      }),
      { numRuns: 60 },
    );
  });

  it("in range mode, rejects a flipped bit at the right leaf and a corrupted range proof", () => {
    const size = 6 * LEAF_SIZE - 17;
    const data = patternBlob(size);
    const tree = buildBlobTree(data);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5 }).chain((first) => fc.tuple(fc.constant(first), fc.integer({ min: 1, max: 6 - first }), fc.nat())),
        ([first, count, bit]) => {
          const start = first * LEAF_SIZE;
          const end = Math.min(size, (first + count) * LEAF_SIZE);
          const hashes = tree.leafLayer.subarray(first * 32, (first + count) * 32);
          const proof = rangeProof(tree.leafLayer, first, count);
          const bytes = data.slice(start, end);
          const b = bit % (bytes.length * 8);
          bytes[b >> 3] ^= 1 << (b & 7);
          const v = new StreamVerifier({ blobId: tree.blobId, size, firstLeaf: first, leafHashes: hashes, proof });
          expect(() => v.push(bytes))
            .to.throw(ChunkMismatchError)
            .with.property("leafIndex", first + Math.floor((b >> 3) / LEAF_SIZE));
          if (proof.length > 0) {
            const bad = proof.slice();
            bad[b % bad.length] ^= 1;
            expect(() => new StreamVerifier({ blobId: tree.blobId, size, firstLeaf: first, leafHashes: hashes, proof: bad })).to.throw(LeafLayerMismatchError);
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it("rejects a corrupted whole chunk", () => {
    const v = new StreamVerifier({ blobId: TREE.blobId, size: SIZE, leafHashes: TREE.leafLayer });
    const leaf = DATA.slice(0, LEAF_SIZE);
    leaf[LEAF_SIZE - 1] ^= 0x80;
    expect(() => v.verifyChunk(0, leaf)).to.throw(ChunkMismatchError);
  });

  it("rejects bytes past the end and a stream that ends early", () => {
    const v = new StreamVerifier({ blobId: TREE.blobId, size: SIZE, leafHashes: TREE.leafLayer });
    expect(() => v.push(Buffer.concat([DATA, new Uint8Array(1)]))).to.throw(StreamLengthError);
    const w = new StreamVerifier({ blobId: TREE.blobId, size: SIZE, leafHashes: TREE.leafLayer });
    w.push(DATA.subarray(0, SIZE - 1));
    expect(() => w.finish()).to.throw(StreamLengthError);
  });

  it("rejects chunks out of order or of the wrong length", () => {
    const v = new StreamVerifier({ blobId: TREE.blobId, size: SIZE, leafHashes: TREE.leafLayer });
    expect(() => v.verifyChunk(1, DATA.subarray(LEAF_SIZE, 2 * LEAF_SIZE))).to.throw(StreamLengthError);
    const w = new StreamVerifier({ blobId: TREE.blobId, size: SIZE, leafHashes: TREE.leafLayer });
    expect(() => w.verifyChunk(0, DATA.subarray(0, LEAF_SIZE - 1))).to.throw(StreamLengthError);
  });

  it("verifies leaves hashed elsewhere (a worker): admitted in order, completed in order, a bad digest fails the leaf", () => {
    const v = new StreamVerifier({ blobId: TREE.blobId, size: SIZE, leafHashes: TREE.leafLayer });
    const leaf = (i: number) => DATA.subarray(i * LEAF_SIZE, Math.min(SIZE, (i + 1) * LEAF_SIZE));
    // three leaves admitted ahead of their hashes (the pipeline), then completed in order
    for (const i of [0, 1, 2]) v.admitChunk(i, leaf(i));
    expect(() => v.admitChunk(4, leaf(3))).to.throw(StreamLengthError); // out of order: the verifier is closed
    const w = new StreamVerifier({ blobId: TREE.blobId, size: SIZE, leafHashes: TREE.leafLayer });
    for (const i of [0, 1]) w.admitChunk(i, leaf(i));
    expect(() => w.verifyDigest(1, leaf(1), leafDigest(leaf(1)))).to.throw(); // not the next leaf
    expect(w.verifyDigest(0, leaf(0), leafDigest(leaf(0))).offset).to.equal(0);
    expect(() => w.verifyDigest(1, leaf(1), leafDigest(leaf(0)))).to.throw(ChunkMismatchError);
    const x = new StreamVerifier({ blobId: TREE.blobId, size: SIZE, leafHashes: TREE.leafLayer });
    for (let i = 0; i < 4; i++) x.admitChunk(i, leaf(i));
    expect(() => x.admitChunk(4, new Uint8Array(0))).to.throw(StreamLengthError); // past the end
    const y = new StreamVerifier({ blobId: TREE.blobId, size: SIZE, leafHashes: TREE.leafLayer });
    for (let i = 0; i < 4; i++) y.admitChunk(i, leaf(i));
    for (let i = 0; i < 4; i++) y.verifyDigest(i, leaf(i), leafDigest(leaf(i)));
    expect(y.complete).to.equal(true);
    expect(y.verifiedBytes).to.equal(SIZE);
  });
});
