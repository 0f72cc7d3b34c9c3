import { expect } from "chai";
import fc from "fast-check";
import { Uint8ArrayList } from "uint8arraylist";
import { LEAF_SIZE, MAX_MULTIADDRS, MAX_MULTIADDR_BYTES } from "../../../agents/protocol/constants.js";
import { toHex } from "../../../agents/protocol/bytes.js";
import { DecoderClosedError, FrameTooLargeError, MalformedFrameError, ProtocolError, WireDecodeError, WireValidationError } from "../../../agents/protocol/errors.js";
import { decodeFrame, encodeFrame, FrameDecoder } from "../../../agents/protocol/wire/framing.js";
import * as pb from "../../../agents/protocol/wire/cdn.js";
import {
  decodeFetchClientMessage,
  decodeFetchServerMessage,
  decodeGossipMessage,
  decodeProbeRequest,
  decodeProbeResponse,
  decodeWatchtowerRequest,
  decodeWatchtowerResponse,
  encodeFetchClientMessage,
  encodeFetchServerMessage,
  encodeGossipMessage,
  encodeProbeRequest,
  encodeProbeResponse,
  encodeWatchtowerRequest,
  encodeWatchtowerResponse,
  FRAME_CAPS,
  type FetchServerMsg,
  type MessageType,
} from "../../../agents/protocol/wire/messages.js";

const h = (n: number, fill: number) => toHex(new Uint8Array(n).fill(fill));
const sig = new Uint8Array(65).fill(0x11);
sig[64] = 27;

const commitment = { value: { blobId: h(32, 1), client: h(20, 2), channelId: h(32, 3), timestamp: 1_700_000_000n, anchorBlock: 42n, anchorHash: h(32, 4) }, signature: sig };
const record = { value: { blobId: h(32, 1), size: 1234567n, origin: 7n, epoch: 2n, timestamp: 1_700_000_001n }, signature: sig };
const voucher = { value: { channelId: h(32, 3), cumulativeAmount: 10n ** 20n }, signature: sig };
const announcement = {
  value: { nodeKey: h(20, 4), region: 3, pricePerGiB: 20_000n, load: 1500, sequence: 9n, timestamp: 1_700_000_002n, multiaddrs: ["/ip4/127.0.0.1/tcp/4001"] },
  signature: sig,
};

const decoders: Record<MessageType, (b: Uint8Array) => unknown> = {
  ProbeRequest: decodeProbeRequest,
  ProbeResponse: decodeProbeResponse,
  FetchClientMessage: decodeFetchClientMessage,
  FetchServerMessage: decodeFetchServerMessage,
  WatchtowerRequest: decodeWatchtowerRequest,
  WatchtowerResponse: decodeWatchtowerResponse,
  GossipMessage: decodeGossipMessage,
};

/** Valid encodings of each type, used as seeds for mutation. */
const samples: Record<MessageType, Uint8Array[]> = {
  ProbeRequest: [encodeProbeRequest({ blobId: h(32, 1) })],
  ProbeResponse: [encodeProbeResponse({ status: "HAVE", size: 12345, pricePerGiB: 20_000n, load: 100 })],
  FetchClientMessage: [
    encodeFetchClientMessage({ kind: "request", request: { blobId: h(32, 1), channelId: h(32, 3), offset: 0, length: 1000 } }),
    encodeFetchClientMessage({ kind: "voucher", voucher }),
  ],
  FetchServerMessage: [
    encodeFetchServerMessage({ kind: "header", header: { commitment, record, firstLeaf: 0, leafCount: 5, pricePerGiB: 20_000n } }),
    encodeFetchServerMessage({ kind: "leafHashes", leafHashes: { firstLeaf: 1, hashes: new Uint8Array(96).fill(5), proof: new Uint8Array(64).fill(6) } }),
    encodeFetchServerMessage({ kind: "chunk", chunk: { leafIndex: 2, data: new Uint8Array(300).fill(7) } }),
    encodeFetchServerMessage({ kind: "refusal", refusal: { code: "BUSY", message: "try later", retryAfterMs: 500 } }),
  ],
  WatchtowerRequest: [
    encodeWatchtowerRequest({ kind: "auth", auth: { value: { nodeId: 7n, watchtower: h(20, 4), beneficiary: h(20, 5), maxBps: 1000, expiry: 1_790_000_000n }, signature: sig } }),
    encodeWatchtowerRequest({ kind: "update", voucher }),
  ],
  WatchtowerResponse: [encodeWatchtowerResponse({ status: "STALE", message: "have 12" })],
  GossipMessage: [encodeGossipMessage({ kind: "announcement", announcement }), encodeGossipMessage({ kind: "contentRecord", record })],
};

function expectOnlyTyped(type: MessageType, bytes: Uint8Array): void {
  try {
    decoders[type](bytes);
  } catch (e) {
    expect(e, `${type}: ${String(e)}`).to.be.instanceOf(ProtocolError);
    expect((e as ProtocolError).code).to.be.oneOf(["ERR_WIRE_DECODE", "ERR_WIRE_VALIDATION", "ERR_FRAME_TOO_LARGE"]);
  }
}

describe("protocol › wire", () => {
  describe("messages", () => {
    it("round-trip every message kind to the same typed value", () => {
      expect(decodeProbeRequest(samples.ProbeRequest[0])).to.deep.equal({ blobId: h(32, 1) });
      expect(decodeProbeResponse(samples.ProbeResponse[0])).to.deep.equal({ status: "HAVE", size: 12345, pricePerGiB: 20_000n, load: 100 });
      expect(decodeFetchClientMessage(samples.FetchClientMessage[1])).to.deep.equal({ kind: "voucher", voucher });
      const header = decodeFetchServerMessage(samples.FetchServerMessage[0]) as Extract<FetchServerMsg, { kind: "header" }>;
      expect(header.header.commitment).to.deep.equal(commitment);
      expect(header.header.record).to.deep.equal(record);
      expect(decodeFetchServerMessage(samples.FetchServerMessage[3])).to.deep.equal({ kind: "refusal", refusal: { code: "BUSY", message: "try later", retryAfterMs: 500 } });
      expect(decodeGossipMessage(samples.GossipMessage[0])).to.deep.equal({ kind: "announcement", announcement });
      expect(decodeWatchtowerRequest(samples.WatchtowerRequest[1])).to.deep.equal({ kind: "update", voucher });
      expect(decodeWatchtowerResponse(samples.WatchtowerResponse[0])).to.deep.equal({ status: "STALE", message: "have 12" });
    });

    it("carry a full leaf in one FetchServerMessage under its cap", () => {
      const bytes = encodeFetchServerMessage({ kind: "chunk", chunk: { leafIndex: 4095, data: new Uint8Array(LEAF_SIZE) } });
      expect(bytes.length).to.be.at.most(FRAME_CAPS.FetchServerMessage);
      const m = decodeFetchServerMessage(bytes) as Extract<FetchServerMsg, { kind: "chunk" }>;
      expect(m.chunk.data.length).to.equal(LEAF_SIZE);
    });

    it("reject fields of the wrong size with a typed validation error", () => {
      expect(() => decodeProbeRequest(pb.ProbeRequest.encode({ blobId: new Uint8Array(31) })))
        .to.throw(WireValidationError)
        .with.property("field", "blobId");
      const longAmount = pb.FetchClientMessage.encode({ voucher: { channelId: new Uint8Array(32), cumulativeAmount: new Uint8Array(33).fill(1), signature: sig } });
      expect(() => decodeFetchClientMessage(longAmount))
        .to.throw(WireValidationError)
        .with.property("field", "voucher.cumulativeAmount");
      const leadingZero = pb.FetchClientMessage.encode({ voucher: { channelId: new Uint8Array(32), cumulativeAmount: Uint8Array.of(0, 1), signature: sig } });
      expect(() => decodeFetchClientMessage(leadingZero)).to.throw(WireValidationError);
      expect(() => decodeFetchClientMessage(new Uint8Array(0)))
        .to.throw(WireValidationError)
        .with.property("field", "body");
      const tooMany = pb.GossipMessage.encode({ announcement: { ...pb.NodeAnnouncement.decode(pb.NodeAnnouncement.encode({})), multiaddrs: Array(9).fill("/ip4/1.2.3.4/tcp/1") } });
      expect(() => decodeGossipMessage(tooMany)).to.throw(ProtocolError);
      const bigChunk = pb.FetchServerMessage.encode({ chunk: { leafIndex: 0, data: new Uint8Array(LEAF_SIZE + 1) } });
      expect(() => decodeFetchServerMessage(bigChunk)).to.throw(WireValidationError);
    });

    it("accept every multiaddr the registry accepts: 8 of 256 bytes (UTF-8), and refuse 257", () => {
      const addr = (bytes: number) => "/dns4/" + "é".repeat(10) + "a".repeat(bytes - 6 - 20); // 2-byte characters: bytes, not characters, count
      expect(new TextEncoder().encode(addr(MAX_MULTIADDR_BYTES)).length).to.equal(256);
      const full = { ...announcement, value: { ...announcement.value, multiaddrs: Array.from({ length: MAX_MULTIADDRS }, () => addr(MAX_MULTIADDR_BYTES)) } };
      const bytes = encodeGossipMessage({ kind: "announcement", announcement: full });
      expect(bytes.length).to.be.at.most(FRAME_CAPS.GossipMessage);
      expect(decodeGossipMessage(bytes)).to.deep.equal({ kind: "announcement", announcement: full });
      const over = { ...announcement, value: { ...announcement.value, multiaddrs: [addr(MAX_MULTIADDR_BYTES + 1)] } };
      expect(() => decodeGossipMessage(encodeGossipMessage({ kind: "announcement", announcement: over }))).to.throw(WireValidationError);
    });

    it("reject a message over its type's cap before decoding it", () => {
      expect(() => decodeProbeRequest(new Uint8Array(FRAME_CAPS.ProbeRequest + 1))).to.throw(FrameTooLargeError);
    });

    it("no random byte string makes a decoder throw anything but its typed errors", () => {
      for (const type of Object.keys(decoders) as MessageType[]) {
        fc.assert(
          fc.property(fc.uint8Array({ maxLength: 700 }), (bytes) => expectOnlyTyped(type, bytes)),
          { numRuns: 150 },
        );
      }
    });

    it("no mutation of a valid message makes a decoder throw anything but its typed errors", () => {
      for (const type of Object.keys(decoders) as MessageType[]) {
        fc.assert(
          fc.property(fc.constantFrom(...samples[type]), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(), (seed, edits, cut) => {
            const b = seed.slice(0, Math.max(1, seed.length - (cut % 4)));
            for (const [i, x] of edits) b[i % b.length] = x;
            expectOnlyTyped(type, b);
          }),
          { numRuns: 150 },
        );
      }
    });

    it("decoded values never outgrow the input (no allocation past the cap)", () => {
      fc.assert(
        fc.property(fc.constantFrom(...samples.FetchServerMessage), fc.nat(), fc.integer({ min: 0, max: 255 }), (seed, i, x) => {
          const b = seed.slice();
          b[i % b.length] = x;
          try {
            const m = decodeFetchServerMessage(b);
            expect(JSON.stringify(m, (_k, v) => (typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? v.length : v)).length).to.be.below(4 * b.length + 1000);
          } catch (e) {
            expect(e).to.be.instanceOf(ProtocolError);
          }
        }),
        { numRuns: 200 },
      );
    });
  });

  describe("framing", () => {
    it("round-trips frames split at every position", () => {
      const frames = [new Uint8Array(0), new Uint8Array(1).fill(1), new Uint8Array(300).fill(2), new Uint8Array(20000).fill(3)];
      const stream = Buffer.concat(frames.map((f) => encodeFrame(f)));
      for (const step of [1, 2, 3, 7, 128, 5000, stream.length]) {
        const d = new FrameDecoder(20000);
        const out: Uint8Array[] = [];
        for (let i = 0; i < stream.length; i += step) out.push(...d.push(stream.subarray(i, i + step)));
        d.end();
        expect(out.map((f) => f.length)).to.deep.equal(frames.map((f) => f.length));
        expect(Buffer.from(out[3]).equals(frames[3])).to.equal(true);
      }
    });

    it("hands a frame that spans pieces over as views of them (pushPieces), joined only by push", () => {
      const body = Uint8Array.from({ length: 5000 }, (_, i) => i % 251);
      const stream = encodeFrame(body);
      const pieces = [stream.slice(0, 1000), stream.slice(1000, 3000), stream.slice(3000)];
      const d = new FrameDecoder(20000);
      expect(d.pushPieces(pieces[0])).to.deep.equal([]);
      expect(d.pushPieces(pieces[1])).to.deep.equal([]);
      const [frame] = d.pushPieces(pieces[2]);
      expect(frame).to.be.instanceOf(Uint8ArrayList);
      const views = [...(frame as Uint8ArrayList)];
      expect(views.map((v) => v.buffer)).to.deep.equal(pieces.map((p) => p.buffer)); // no copy
      expect(Buffer.from((frame as Uint8ArrayList).subarray()).equals(body)).to.equal(true);
      // a frame inside one piece is a view of it
      const [whole] = new FrameDecoder(20000).pushPieces(stream);
      expect(whole).to.be.instanceOf(Uint8Array);
      expect((whole as Uint8Array).buffer).to.equal(stream.buffer);
      expect(Buffer.from(new FrameDecoder(20000).push(new Uint8ArrayList(...pieces))[0]).equals(body)).to.equal(true);
    });

    it("rejects a declared length over the cap as soon as the prefix is read", () => {
      const d = new FrameDecoder(100);
      expect(() => d.push(encodeFrame(new Uint8Array(101)).subarray(0, 2))).to.throw(FrameTooLargeError);
      expect(() => d.push(new Uint8Array(1))).to.throw(DecoderClosedError);
      // a huge declared length, before any body byte
      expect(() => new FrameDecoder(1 << 20).push(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f))).to.throw(FrameTooLargeError);
    });

    it("rejects non-minimal and over-long prefixes, and a stream cut inside a frame", () => {
      expect(() => new FrameDecoder(100).push(Uint8Array.of(0x81, 0x00))).to.throw(MalformedFrameError);
      expect(() => new FrameDecoder(16 << 20).push(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x01))).to.throw(ProtocolError);
      const d = new FrameDecoder(100);
      d.push(encodeFrame(new Uint8Array(10)).subarray(0, 5));
      expect(() => d.end()).to.throw(MalformedFrameError);
      expect(() => decodeFrame(Uint8Array.of(3, 1, 2), 100)).to.throw(MalformedFrameError);
    });

    it("never buffers more than one capped frame, and throws only typed errors, on random streams", () => {
      fc.assert(
        fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 20 }), fc.integer({ min: 1, max: 300 }), (chunks, cap) => {
          const d = new FrameDecoder(cap);
          try {
            for (const c of chunks) {
              for (const f of d.push(c)) expect(f.length).to.be.at.most(cap);
              expect(d.buffered).to.be.at.most(cap + 5 + 200);
            }
          } catch (e) {
            expect(e).to.be.instanceOf(ProtocolError);
          }
        }),
        { numRuns: 200 },
      );
    });

    it("encodeFrame refuses a message over the cap", () => {
      expect(() => encodeFrame(new Uint8Array(11), 10)).to.throw(FrameTooLargeError);
    });
  });

  it("WireDecodeError keeps the protobuf error as its cause", () => {
    try {
      decodeProbeRequest(Uint8Array.of(0x0a, 0x7f));
      expect.fail("should throw");
    } catch (e) {
      expect(e).to.be.instanceOf(WireDecodeError);
      expect((e as WireDecodeError).cause).to.be.instanceOf(Error);
      expect((e as WireDecodeError).name).to.equal("WireDecodeError");
    }
  });
});
