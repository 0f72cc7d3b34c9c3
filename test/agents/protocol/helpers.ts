/** Deterministic test data shared by the protocol tests and the spec's test vectors. */
import { LEAF_SIZE } from "../../../agents/protocol/constants.js";

/** Byte i of a pattern blob is i mod 251 (a prime, so leaves differ). */
export function patternBlob(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = i % 251;
  return out;
}

/** The spec's test-vector inputs (docs/protocol.md). */
export const VECTOR_INPUTS: { name: string; data: () => Uint8Array }[] = [
  { name: "empty", data: () => new Uint8Array(0) },
  { name: '"abc"', data: () => new TextEncoder().encode("abc") },
  { name: "one full leaf of zeros", data: () => new Uint8Array(LEAF_SIZE) },
  { name: "pattern, LEAF_SIZE + 1 bytes", data: () => patternBlob(LEAF_SIZE + 1) },
  { name: "pattern, 3 × LEAF_SIZE + 12345 bytes", data: () => patternBlob(3 * LEAF_SIZE + 12345) },
  { name: "pattern, 5 × LEAF_SIZE bytes", data: () => patternBlob(5 * LEAF_SIZE) },
];
