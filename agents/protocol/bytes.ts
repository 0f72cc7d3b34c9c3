/** Small byte helpers shared by the protocol modules (no dependencies). */
import { InvalidArgumentError } from "./errors.js";

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Lower-case 0x-prefixed hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let s = "0x";
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]];
  return s;
}

const HEX_RE = /^0x([0-9a-fA-F]{2})*$/;

/** Parses 0x-prefixed hex; if `length` is given the result must have exactly that many bytes. */
export function fromHex(hex: string, length?: number): Uint8Array {
  if (typeof hex !== "string" || !HEX_RE.test(hex)) throw new InvalidArgumentError(`not 0x-prefixed even-length hex: ${String(hex).slice(0, 80)}`);
  const out = Uint8Array.from(Buffer.from(hex.slice(2), "hex"));
  if (length !== undefined && out.length !== length) throw new InvalidArgumentError(`expected ${length} bytes, got ${out.length}`);
  return out;
}

/** Constant-size equality of two byte arrays (not constant-time; nothing here is secret). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Big-endian minimal encoding of a non-negative bigint (0 encodes as zero bytes). */
export function bigintToBytes(value: bigint): Uint8Array {
  if (value < 0n) throw new InvalidArgumentError("negative value");
  if (value === 0n) return new Uint8Array(0);
  let hex = value.toString(16);
  if (hex.length % 2) hex = "0" + hex;
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

/** Big-endian unsigned bytes to bigint. */
export function bytesToBigint(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  return BigInt("0x" + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("hex"));
}

/** Concatenates byte arrays into one new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
