/**
 * The hot path of the fetch stream: a whole framed `FetchServerMessage{chunk{leafIndex, data}}`
 * built as a ~12-byte header plus the leaf bytes, without copying the 256 KiB leaf into a
 * protobuf buffer (protons would). Byte-for-byte what the generated codec produces
 * (test/agents/node/chunk-frame.test.ts checks it against encodeFetchServerMessage + encodeFrame).
 */
import { Uint8ArrayList } from "uint8arraylist";

function varint(out: number[], n: number): void {
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
}

function varintLength(n: number): number {
  let k = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    k++;
  }
  return k;
}

/** varint(frameLength) ‖ 0x1a varint(chunkLength) ‖ [0x08 varint(leafIndex)] ‖ 0x12 varint(dataLength) ‖ data */
export function chunkFrame(leafIndex: number, data: Uint8Array): Uint8ArrayList {
  const indexPart = leafIndex === 0 ? 0 : 1 + varintLength(leafIndex);
  const dataPart = data.length === 0 ? 0 : 1 + varintLength(data.length) + data.length;
  const chunkLength = indexPart + dataPart;
  const outerLength = 1 + varintLength(chunkLength) + chunkLength;
  const head: number[] = [];
  varint(head, outerLength);
  head.push(0x1a);
  varint(head, chunkLength);
  if (leafIndex !== 0) {
    head.push(0x08);
    varint(head, leafIndex);
  }
  if (data.length === 0) return new Uint8ArrayList(Uint8Array.from(head));
  head.push(0x12);
  varint(head, data.length);
  return new Uint8ArrayList(Uint8Array.from(head), data);
}
