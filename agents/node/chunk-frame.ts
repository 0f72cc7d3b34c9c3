/**
 * The hot path of the fetch stream: a whole framed `FetchServerMessage{chunk{leafIndex, data}}`
 * built as a ~12-byte header plus the leaf bytes, without copying the 256 KiB leaf into a
 * protobuf buffer (protons would). Byte-for-byte what the generated codec produces
 * (test/agents/node/chunk-frame.test.ts checks it against encodeFetchServerMessage + encodeFrame).
 */
import { Uint8ArrayList } from "uint8arraylist";
import { encode as encodeVarint, encodingLength } from "uint8-varint";

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
