import { expect } from "chai";
import fc from "fast-check";
import { sha256 } from "@noble/hashes/sha2.js";
import { LEAF_SIZE } from "../../../agents/protocol/constants.js";
import { fromHex, toHex } from "../../../agents/protocol/bytes.js";
import { blobIdToCid } from "../../../agents/protocol/cid.js";
import { InvalidArgumentError, LeafLayerMismatchError, MalformedProofError } from "../../../agents/protocol/errors.js";
import {
  BlobIdBuilder,
  blobIdFromLeafLayer,
  buildBlobTree,
  computeBlobId,
  leafCount,
  leafRangeForBytes,
  proofLength,
  rangeProof,
  verifyLeafLayer,
  verifyRange,
} from "../../../agents/protocol/merkle.js";
import { patternBlob, VECTOR_INPUTS } from "./helpers.js";

/** Independent reference: noble's SHA-256 and the RFC 6962 recursive split (largest power of two below n). */
function refBlobId(data: Uint8Array): string {
  const cat = (...xs: Uint8Array[]) => {
    const out = new Uint8Array(xs.reduce((n, x) => n + x.length, 0));
    let o = 0;
    for (const x of xs) out.set(x, (o += x.length) - x.length);
    return out;
  };
  const leaves: Uint8Array[] = [];
  for (let i = 0; i === 0 || i < data.length; i += LEAF_SIZE) leaves.push(sha256(cat(Uint8Array.of(0), data.subarray(i, i + LEAF_SIZE))));
  const mth = (xs: Uint8Array[]): Uint8Array => {
    if (xs.length === 1) return xs[0];
    let k = 1;
    while (k * 2 < xs.length) k *= 2;
    return sha256(cat(Uint8Array.of(1), mth(xs.slice(0, k)), mth(xs.slice(k))));
  };
  const size = new Uint8Array(8);
  new DataView(size.buffer).setBigUint64(0, BigInt(data.length));
  return toHex(sha256(cat(Uint8Array.of(2), size, mth(leaves))));
}

/** Pinned in docs/protocol.md ("Test vectors"). */
const VECTORS: Record<string, { blobId: string; cid: string }> = {
  empty: { blobId: "0xc0e50f0d90d6e2fea1e6f53d4f758ed5fc9035a399a8eb215c29c6ff3ea05425", cid: "bafkreibqrs4g7w6qrkcvih65x3cbzvognge44euygzf33rfgdr63o6vvpe" },
  '"abc"': { blobId: "0x5c170547d40533fb44a0c4874b2977285d519c9e8129f7733c364d97cf2cabd6", cid: "bafkreiawcmdzgvcrpsurutddbeaxccbupug45hogmbwagn4h4f7ym7mwgu" },
  "one full leaf of zeros": { blobId: "0x4a0d19c11586331fb80b5aede88e18a88e7322bc7f7ae4f740b105ae7780466c", cid: "bafkreicr5ie5hn5di53we7bdxhhbu53ybhsi2kc4rvqyodajrzzi5jlabe" },
  "pattern, LEAF_SIZE + 1 bytes": { blobId: "0xd9b47d928ab6f1476341974f572778a85ae63cc998a0d10c6273bb7aeee8d560", cid: "bafkreiecmez6otnzad7z7rf2o2w2pc5ijbtbc6tdtwiyljblutx3w4p23a" },
  "pattern, 3 × LEAF_SIZE + 12345 bytes": { blobId: "0x7d76b9704f95bebef444e5d3285b4dc841a0b3ad151431d323c02b5d5998363c", cid: "bafkreicjswknr47fut4t5aar5jvonoq3xkvkiax4l5pndevcqecuymgaaq" },
  "pattern, 5 × LEAF_SIZE bytes": { blobId: "0x7a7d960bc3d8a8ff0d3c8ba05893114a3ebdbddbc327dc01d3cd797a67c28792", cid: "bafkreicmk27dtribfhepo65e4jkkym2qfgj7vki4dzzgtg7wtz35kytkvi" },
};

describe("protocol › content addressing", () => {
  describe("blob ids", () => {
    for (const v of VECTOR_INPUTS) {
      it(`matches the spec's test vector and the reference for ${v.name}`, () => {
        const data = v.data();
        const id = toHex(computeBlobId(data));
        expect(id).to.equal(VECTORS[v.name].blobId);
        expect(id).to.equal(refBlobId(data));
        expect(blobIdToCid(fromHex(id)).toString()).to.equal(VECTORS[v.name].cid);
      });
    }

    it("binds the size: a trailing zero byte changes the id", () => {
      expect(toHex(computeBlobId(new Uint8Array(10)))).to.not.equal(toHex(computeBlobId(new Uint8Array(11))));
      expect(toHex(computeBlobId(new Uint8Array(0)))).to.not.equal(toHex(computeBlobId(new Uint8Array(1))));
    });

    it("agrees with the reference for random small blobs of up to 9 leaves", () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 9 * LEAF_SIZE }), fc.integer({ min: 0, max: 255 }), (size, seed) => {
          const data = patternBlob(size).map((x) => x ^ seed);
          expect(toHex(computeBlobId(data))).to.equal(refBlobId(data));
        }),
        { numRuns: 15 },
      );
    });

    it("builds the same tree incrementally, whatever the piece sizes", () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 3 * LEAF_SIZE + 100 }), fc.array(fc.integer({ min: 1, max: LEAF_SIZE + 7 }), { minLength: 1, maxLength: 8 }), (size, cuts) => {
          const data = patternBlob(size);
          const b = new BlobIdBuilder();
          for (let off = 0, i = 0; off < size; i++) {
            const n = cuts[i % cuts.length];
            b.update(data.subarray(off, off + n));
            off += n;
          }
          const t = b.digest();
          const want = buildBlobTree(data);
          expect(toHex(t.blobId)).to.equal(toHex(want.blobId));
          expect(toHex(t.leafLayer)).to.equal(toHex(want.leafLayer));
        }),
        { numRuns: 20 },
      );
    });

    it("rejects invalid sizes", () => {
      expect(() => leafCount(-1)).to.throw(InvalidArgumentError);
      expect(() => leafCount(1.5)).to.throw(InvalidArgumentError);
    });
  });

  describe("leaf layer and range proofs", () => {
    // A fake "blob" of n leaves is enough here: proofs only see leaf hashes.
    const layerOf = (n: number) => {
      const layer = new Uint8Array(n * 32);
      for (let i = 0; i < layer.length; i++) layer[i] = (i * 7 + n) & 0xff;
      return layer;
    };
    const sizeOf = (n: number) => (n - 1) * LEAF_SIZE + 1;

    it("verifies every range of every tree of 1..17 leaves", () => {
      for (let n = 1; n <= 17; n++) {
        const layer = layerOf(n);
        const size = sizeOf(n);
        const id = blobIdFromLeafLayer(size, layer);
        for (let first = 0; first < n; first++) {
          for (let count = 1; first + count <= n; count++) {
            const proof = rangeProof(layer, first, count);
            expect(proof.length / 32).to.equal(proofLength(n, first, count));
            verifyRange(id, size, first, layer.subarray(first * 32, (first + count) * 32), proof);
          }
        }
      }
    });

    it("matches the spec's range-proof vector (5-leaf pattern blob, leaf 2)", () => {
      const t = buildBlobTree(patternBlob(5 * LEAF_SIZE));
      expect(toHex(t.leafLayer.subarray(64, 96))).to.equal("0xcd011b221db9dc20afdb83e5d073372cccce2e2730d1fb665d971de2902fcb0b");
      expect(toHex(rangeProof(t.leafLayer, 2, 1))).to.equal(
        "0x" +
          "c998c50195a6784b66164f7246fd8ba8313c04b4bfb514e20cf631bc916bed60" +
          "d877f8eaa6f79a7ceb3636d112020c6de86b00d1f6892e56082b6666ed03eee3" +
          "4c7ab234f1d4053a7a9cb229b0dc46d346895c30cc2737c62bf99de8bdb488ce",
      );
      expect(toHex(rangeProof(t.leafLayer, 1, 3))).to.equal("0x065bbea92e56d6c3fe52d2fff79424f47c56d49e48068498aff1f8494107ff3c4c7ab234f1d4053a7a9cb229b0dc46d346895c30cc2737c62bf99de8bdb488ce");
    });

    it("proofs are logarithmic", () => {
      expect(proofLength(4096, 1234, 1)).to.be.at.most(12);
      expect(proofLength(4096, 0, 4096)).to.equal(0);
    });

    it("rejects any single-bit corruption of the leaf layer, a range or its proof", () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 40 }).chain((n) =>
            fc.record({
              n: fc.constant(n),
              first: fc.integer({ min: 0, max: n - 1 }),
              count: fc.integer({ min: 1, max: n }),
              bit: fc.nat(),
              inProof: fc.boolean(),
            }),
          ),
          ({ n, first, count, bit, inProof }) => {
            count = Math.min(count, n - first);
            const layer = layerOf(n);
            const size = sizeOf(n);
            const id = blobIdFromLeafLayer(size, layer);
            const hashes = layer.slice(first * 32, (first + count) * 32);
            const proof = rangeProof(layer, first, count);
            const target = inProof && proof.length > 0 ? proof : hashes;
            const b = bit % (target.length * 8);
            target[b >> 3] ^= 1 << (b & 7);
            expect(() => verifyRange(id, size, first, hashes, proof)).to.throw(LeafLayerMismatchError);
          },
        ),
        { numRuns: 200 },
      );
    });

    it("rejects a leaf layer offered for another size", () => {
      const layer = layerOf(3);
      const id = blobIdFromLeafLayer(sizeOf(3), layer);
      expect(() => verifyLeafLayer(id, sizeOf(3) + 1, layer)).to.throw(LeafLayerMismatchError);
      expect(() => verifyLeafLayer(id, sizeOf(4), layer)).to.throw(MalformedProofError);
    });

    it("rejects proofs of the wrong length with MalformedProofError", () => {
      const layer = layerOf(8);
      const id = blobIdFromLeafLayer(sizeOf(8), layer);
      const proof = rangeProof(layer, 2, 1);
      expect(() => verifyRange(id, sizeOf(8), 2, layer.subarray(64, 96), proof.subarray(32))).to.throw(MalformedProofError);
      expect(() => verifyRange(id, sizeOf(8), 2, layer.subarray(64, 80), proof)).to.throw(MalformedProofError);
    });

    it("maps byte ranges to the leaves covering them", () => {
      const size = 3 * LEAF_SIZE + 10;
      expect(leafRangeForBytes(size, 0, size)).to.deep.equal({ first: 0, count: 4 });
      expect(leafRangeForBytes(size, LEAF_SIZE - 1, 2)).to.deep.equal({ first: 0, count: 2 });
      expect(leafRangeForBytes(size, LEAF_SIZE, LEAF_SIZE)).to.deep.equal({ first: 1, count: 1 });
      expect(leafRangeForBytes(0, 0, 0)).to.deep.equal({ first: 0, count: 1 });
      expect(() => leafRangeForBytes(size, size, 1)).to.throw(InvalidArgumentError);
    });
  });
});
