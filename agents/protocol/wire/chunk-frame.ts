/**
 * The hot path of the fetch stream, both ways. A whole framed `FetchServerMessage{chunk{leafIndex,
 * data}}` is built as a ~12-byte header plus the leaf bytes, without copying the 256 KiB leaf into
 * a protobuf buffer (protons would); byte-for-byte what the generated codec produces. A frame that
 * arrived in pieces (a 256-KiB chunk comes as five to ten yamux data frames) is decoded without
 * joining them when it has that layout: its data stays a list of views of the pieces
 * (test/agents/protocol/chunk-frame.test.ts checks both against the generated codec).
 */
import { Uint8ArrayList } from "uint8arraylist";
import { encode as encodeVarint, encodingLength } from "uint8-varint";
import { LEAF_SIZE } from "../constants.js";
import { decodeFetchServerMessage, type FetchServerMsg } from "./messages.js";

/** varint(frameLength) ‖ 0x1a varint(chunkLength) ‖ [0x08 varint(leafIndex)] ‖ 0x12 varint(dataLength) ‖ data */
export function chunkFrame(leafIndex: number, data: Uint8Array): Uint8ArrayList {
  const indexPart = leafIndex === 0 ? 0 : 1 + encodingLength(leafIndex);
  const dataPart = data.length === 0 ? 0 : 1 + encodingLength(data.length) + data.length;
  const chunkLength = indexPart + dataPart;
  const outerLength = 1 + encodingLength(chunkLength) + chunkLength;
  const head = new Uint8ArrayList<ArrayBufferLike>(encodeVarint(outerLength), Uint8Array.of(0x1a), encodeVarint(chunkLength));
  if (leafIndex !== 0) head.append(Uint8Array.of(0x08), encodeVarint(leafIndex));
  if (data.length === 0) return head;
  head.append(Uint8Array.of(0x12), encodeVarint(data.length), data);
  return head;
}

/** A chunk whose data may still be the pieces it arrived in. */
export interface ChunkPieces {
  leafIndex: number;
  data: Uint8Array | Uint8ArrayList;
}

export type FetchServerFrame = Exclude<FetchServerMsg, { kind: "chunk" }> | { kind: "chunk"; chunk: ChunkPieces };

/**
 * Pieces a chunk's data may stay in: a 256-KiB leaf arrives in 5 to 10 pieces (yamux data frames
 * as the stream hands them over; 9 for most leaves in the delivery bench). Beyond this it is
 * joined, as every frame was before: the work per piece downstream (hashing, releasing, the fetch
 * iterator) then stops paying for itself, and a sender's tiny frames cannot multiply it.
 */
export const MAX_CHUNK_PIECES = 16;

/** Longest chunk header: 0x1a varint(≤ 5) 0x08 varint(≤ 5) 0x12 varint(≤ 5). */
const MAX_CHUNK_HEAD = 18;

/**
 * Decodes a FetchServerMessage frame body as `FramedStream.readPieces` returns it. A chunk in
 * chunkFrame's layout keeps its data in the frame's pieces; anything else (one piece, another
 * message, another valid encoding of a chunk) goes through the generated codec, which also
 * reports what is wrong with a bad frame.
 */
export function decodeFetchServerFrame(frame: Uint8Array | Uint8ArrayList): FetchServerFrame {
  if (frame instanceof Uint8Array) return decodeFetchServerMessage(frame);
  const chunk = piecewiseChunk(frame);
  return chunk ? { kind: "chunk", chunk } : decodeFetchServerMessage(frame.subarray());
}

/** The chunk of a frame laid out as chunkFrame writes it, its data a sublist (no copy); undefined for any other layout. */
function piecewiseChunk(frame: Uint8ArrayList): ChunkPieces | undefined {
  const head = frame.subarray(0, Math.min(frame.byteLength, MAX_CHUNK_HEAD));
  let at = 0;
  // a varint of at most 5 bytes (uint32 fields and lengths); longer or cut short: undefined
  const varint = (): number | undefined => {
    let value = 0;
    for (let i = 0; i < 5 && at < head.length; i++) {
      const b = head[at++];
      value += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) return value;
    }
    return undefined;
  };
  if (head[at++] !== 0x1a) return undefined;
  const chunkLength = varint();
  if (chunkLength === undefined || at + chunkLength !== frame.byteLength) return undefined;
  let leafIndex = 0;
  if (head[at] === 0x08) {
    at++;
    const index = varint();
    if (index === undefined || index > 0xffff_ffff) return undefined;
    leafIndex = index;
  }
  if (head[at++] !== 0x12) return undefined;
  const dataLength = varint();
  if (dataLength === undefined || dataLength > LEAF_SIZE || at + dataLength !== frame.byteLength) return undefined;
  const data = frame.sublist(at);
  let pieces = 0;
  // a peer that cuts its chunks into many small transport frames gets them joined: per-piece work stays bounded
  for (const _piece of data) if (++pieces > MAX_CHUNK_PIECES) return { leafIndex, data: data.subarray() };
  return { leafIndex, data };
}
