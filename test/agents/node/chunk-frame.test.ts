import { expect } from "chai";
import fc from "fast-check";
import { chunkFrame } from "../../../agents/node/chunk-frame.js";
import { encodeFetchServerMessage, decodeFetchServerMessage, FRAME_CAPS } from "../../../agents/protocol/wire/messages.js";
import { encodeFrame, decodeFrame } from "../../../agents/protocol/wire/framing.js";

describe("node › chunk frames (zero-copy encoder)", () => {
  it("equals the generated codec's framed encoding and decodes back", () => {
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
});
