import { expect } from "chai";
import fc from "fast-check";
import { Uint8ArrayList } from "uint8arraylist";
import { encode as encodeVarint } from "uint8-varint";
import { LEAF_SIZE } from "../../../agents/protocol/constants.js";
import { chunkFrame, decodeFetchServerFrame, MAX_CHUNK_PIECES } from "../../../agents/protocol/wire/chunk-frame.js";
import { encodeFetchServerMessage, decodeFetchServerMessage, FRAME_CAPS } from "../../../agents/protocol/wire/messages.js";
import { encodeFrame, decodeFrame, FrameDecoder } from "../../../agents/protocol/wire/framing.js";

/** A framed message cut at `cuts` and decoded as FramedStream.readPieces hands it over. */
function piecewise(framed: Uint8Array, cuts: number[]): Uint8Array | Uint8ArrayList {
  const decoder = new FrameDecoder(FRAME_CAPS.FetchServerMessage);
  const at = [0, ...[...new Set(cuts.map((c) => c % framed.length))].sort((a, b) => a - b), framed.length];
  const frames = at.slice(1).flatMap((end, i) => decoder.pushPieces(framed.slice(at[i], end)));
  decoder.end();
  expect(frames).to.have.length(1);
  return frames[0];
}

const bytesOf = (data: Uint8Array | Uint8ArrayList) => Buffer.from(data instanceof Uint8Array ? data : data.subarray());

/** A chunk message's fields written in another valid protobuf layout than chunkFrame's. */
function chunkBody(fields: Uint8Array[]): Uint8Array {
  const chunk = Buffer.concat(fields);
  return Buffer.concat([Uint8Array.of(0x1a), encodeVarint(chunk.length), chunk]);
}
const field = (tag: number, value: Uint8Array) => Buffer.concat([Uint8Array.of(tag), value]);
const lengthDelimited = (tag: number, data: Uint8Array) => field(tag, Buffer.concat([encodeVarint(data.length), data]));

describe("protocol › chunk frames (zero-copy both ways)", () => {
  it("encodes as the generated codec's framed encoding and decodes back", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.uint8Array({ minLength: 0, maxLength: 3000 }), (leafIndex, data) => {
        const ours = chunkFrame(leafIndex, data).subarray();
        const theirs = encodeFrame(encodeFetchServerMessage({ kind: "chunk", chunk: { leafIndex, data } }));
        expect(Buffer.from(ours).equals(Buffer.from(theirs))).to.equal(true);
        const msg = decodeFetchServerMessage(decodeFrame(ours, FRAME_CAPS.FetchServerMessage));
        expect(msg.kind).to.equal("chunk");
      }),
      { numRuns: 200 },
    );
    const leaf = new Uint8Array(262_144).fill(7);
    expect(Buffer.from(chunkFrame(4000, leaf).subarray()).equals(Buffer.from(encodeFrame(encodeFetchServerMessage({ kind: "chunk", chunk: { leafIndex: 4000, data: leaf } }))))).to.equal(true);
  });

  it("decodes a chunk that arrived in pieces without joining them, as the generated codec would", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.uint8Array({ minLength: 1, maxLength: 3000 }), fc.array(fc.nat(), { maxLength: 6 }), (leafIndex, data, cuts) => {
        const framed = chunkFrame(leafIndex, data).subarray();
        const msg = decodeFetchServerFrame(piecewise(framed, cuts));
        expect(msg.kind).to.equal("chunk");
        if (msg.kind !== "chunk") return;
        expect(msg.chunk.leafIndex).to.equal(leafIndex);
        expect(bytesOf(msg.chunk.data).equals(Buffer.from(data))).to.equal(true);
      }),
      { numRuns: 300 },
    );
    // a whole leaf in 64-KiB transport messages: its data is views of them
    const leaf = Uint8Array.from({ length: LEAF_SIZE }, (_, i) => i % 253);
    const frame = piecewise(chunkFrame(77, leaf).subarray(), [65_507, 131_014, 196_521, 262_028]);
    const msg = decodeFetchServerFrame(frame);
    if (msg.kind !== "chunk") throw new Error("not a chunk");
    expect(msg.chunk.data).to.be.instanceOf(Uint8ArrayList);
    const pieces = [...(msg.chunk.data as Uint8ArrayList)];
    expect(pieces.every((p) => [...(frame as Uint8ArrayList)].some((f) => f.buffer === p.buffer))).to.equal(true);
    expect(bytesOf(msg.chunk.data).equals(Buffer.from(leaf))).to.equal(true);
  });

  it("joins a chunk cut into more than MAX_CHUNK_PIECES pieces (a sender's tiny frames buy no work per piece downstream)", () => {
    const data = Uint8Array.from({ length: 4000 }, (_, i) => i % 11);
    const framed = chunkFrame(9, data).subarray();
    const cutEvery = (n: number) => Array.from({ length: n - 1 }, (_, i) => Math.floor(((i + 1) * framed.length) / n));
    const many = decodeFetchServerFrame(piecewise(framed, cutEvery(1000)));
    const few = decodeFetchServerFrame(piecewise(framed, cutEvery(MAX_CHUNK_PIECES - 2)));
    if (many.kind !== "chunk" || few.kind !== "chunk") throw new Error("not a chunk");
    expect(many.chunk.data).to.be.instanceOf(Uint8Array);
    expect(few.chunk.data).to.be.instanceOf(Uint8ArrayList);
    expect(bytesOf(many.chunk.data).equals(Buffer.from(data))).to.equal(true);
    expect(bytesOf(few.chunk.data).equals(Buffer.from(data))).to.equal(true);
  });

  it("decodes other valid layouts of a chunk and every other message through the generated codec, and refuses what it refuses", () => {
    const data = Uint8Array.from({ length: 2000 }, (_, i) => i % 7);
    const layouts = [
      chunkBody([lengthDelimited(0x12, data), field(0x08, encodeVarint(5))]), // data before the index
      chunkBody([field(0x08, Uint8Array.of(0)), lengthDelimited(0x12, data)]), // index 0 written out
      chunkBody([field(0x08, encodeVarint(5)), lengthDelimited(0x12, data), field(0x18, encodeVarint(1))]), // an unknown field
      chunkBody([field(0x08, Uint8Array.of(0x85, 0x80, 0x80, 0x80, 0x80, 0x00)), lengthDelimited(0x12, data)]), // a 6-byte varint index
      encodeFetchServerMessage({ kind: "leafHashes", leafHashes: { firstLeaf: 3, hashes: new Uint8Array(32 * 60).fill(9), proof: new Uint8Array(0) } }),
    ];
    for (const body of layouts) {
      const expected = decodeFetchServerMessage(body);
      const got = decodeFetchServerFrame(piecewise(encodeFrame(body), [3, 700, 1500]));
      expect(got.kind).to.equal(expected.kind);
      if (got.kind === "chunk" && expected.kind === "chunk") {
        expect(got.chunk.leafIndex).to.equal(expected.chunk.leafIndex);
        expect(bytesOf(got.chunk.data).equals(Buffer.from(expected.chunk.data))).to.equal(true);
      } else expect(got).to.deep.equal(expected);
    }
    const bad = [
      chunkBody([field(0x08, encodeVarint(1)), lengthDelimited(0x12, new Uint8Array(LEAF_SIZE + 1))]), // longer than a leaf
      chunkBody([field(0x08, encodeVarint(1)), lengthDelimited(0x12, data)]).subarray(0, 1500), // cut short
    ];
    for (const body of bad) {
      expect(() => decodeFetchServerMessage(body)).to.throw();
      expect(() => decodeFetchServerFrame(piecewise(encodeFrame(body), [2, 900]))).to.throw();
    }
  });
});
