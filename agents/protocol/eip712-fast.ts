/**
 * Direct EIP-712 hashing for the protocol's typed structs, compiled once from the shared type
 * definitions in eip712.ts (so the encoding cannot drift from what contracts verify), with no
 * per-call type parsing. Supports the field types those definitions use: address, bytes32,
 * uint8…uint256, string and string[] (no nested structs).
 *
 *   digest = keccak256(0x19 0x01 || domainSeparator || hashStruct(value))
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import type { TypedDataDomain, TypedDataField } from "ethers";
import { InvalidArgumentError } from "./errors.js";
import { fromHex } from "./bytes.js";

const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;
const BYTES32_RE = /^0x[0-9a-fA-F]{64}$/;
const utf8 = new TextEncoder();

type FieldEncoder = (value: unknown, out: Uint8Array, offset: number) => void;

function writeUint(v: bigint, out: Uint8Array, offset: number): void {
  for (let i = 31; i >= 0 && v > 0n; i--) {
    out[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

function hexInto(hex: string, out: Uint8Array, offset: number): void {
  // hex has been validated; decode pairs straight into `out`
  const n = (hex.length - 2) / 2;
  for (let i = 0; i < n; i++) out[offset + i] = parseInt(hex.substr(2 + 2 * i, 2), 16);
}

function fieldEncoder(type: string, name: string): FieldEncoder {
  if (type === "address") {
    return (v, out, o) => {
      if (typeof v !== "string" || !ADDRESS_RE.test(v)) throw new InvalidArgumentError(`${name}: not an address: ${String(v)}`);
      hexInto(v, out, o + 12);
    };
  }
  if (type === "bytes32") {
    return (v, out, o) => {
      if (typeof v === "string") {
        if (!BYTES32_RE.test(v)) throw new InvalidArgumentError(`${name}: not 32-byte hex: ${v}`);
        hexInto(v, out, o);
      } else if (v instanceof Uint8Array && v.length === 32) {
        out.set(v, o);
      } else throw new InvalidArgumentError(`${name}: not bytes32`);
    };
  }
  const m = /^uint(\d+)$/.exec(type);
  if (m) {
    const bits = Number(m[1]);
    if (bits < 8 || bits > 256 || bits % 8 !== 0) throw new InvalidArgumentError(`unsupported type ${type}`);
    const max = (1n << BigInt(bits)) - 1n;
    return (v, out, o) => {
      const x = typeof v === "bigint" ? v : typeof v === "number" && Number.isSafeInteger(v) ? BigInt(v) : undefined;
      if (x === undefined || x < 0n || x > max) throw new InvalidArgumentError(`${name}: not a ${type}: ${String(v)}`);
      writeUint(x, out, o);
    };
  }
  if (type === "string") {
    return (v, out, o) => {
      if (typeof v !== "string") throw new InvalidArgumentError(`${name}: not a string`);
      out.set(keccak_256(utf8.encode(v)), o);
    };
  }
  if (type === "string[]") {
    return (v, out, o) => {
      if (!Array.isArray(v) || v.some((s) => typeof s !== "string")) throw new InvalidArgumentError(`${name}: not a string[]`);
      const buf = new Uint8Array(32 * v.length);
      v.forEach((s: string, i) => buf.set(keccak_256(utf8.encode(s)), 32 * i));
      out.set(keccak_256(buf), o);
    };
  }
  throw new InvalidArgumentError(`unsupported EIP-712 field type ${type}`);
}

export interface StructEncoder<T> {
  readonly primaryType: string;
  /** e.g. `Voucher(bytes32 channelId,uint256 cumulativeAmount)` */
  readonly typeString: string;
  readonly typeHash: Uint8Array;
  /** hashStruct(value) = keccak256(typeHash || enc(field1) || …) */
  hashStruct(value: T): Uint8Array;
  /** The EIP-712 digest that is signed: keccak256(0x1901 || domainSeparator || hashStruct(value)). */
  digest(domain: Eip712Domain, value: T): Uint8Array;
}

/** Compiles an encoder from one of the shared `Record<primaryType, fields>` definitions. */
export function compileStruct<T>(types: Record<string, TypedDataField[]>): StructEncoder<T> {
  const names = Object.keys(types);
  if (names.length !== 1) throw new InvalidArgumentError("only single, flat struct types are supported");
  const primaryType = names[0];
  const fields = types[primaryType];
  const typeString = `${primaryType}(${fields.map((f) => `${f.type} ${f.name}`).join(",")})`;
  const typeHash = keccak_256(utf8.encode(typeString));
  const encoders = fields.map((f) => ({ name: f.name, enc: fieldEncoder(f.type, `${primaryType}.${f.name}`) }));
  const size = 32 * (fields.length + 1);
  const hashStruct = (value: T): Uint8Array => {
    if (typeof value !== "object" || value === null) throw new InvalidArgumentError(`${primaryType}: not an object`);
    const buf = new Uint8Array(size);
    buf.set(typeHash, 0);
    const rec = value as Record<string, unknown>;
    for (let i = 0; i < encoders.length; i++) encoders[i].enc(rec[encoders[i].name], buf, 32 * (i + 1));
    return keccak_256(buf);
  };
  return {
    primaryType,
    typeString,
    typeHash,
    hashStruct,
    digest(domain, value) {
      const buf = new Uint8Array(66);
      buf[0] = 0x19;
      buf[1] = 0x01;
      buf.set(domain.separator, 2);
      buf.set(hashStruct(value), 34);
      return keccak_256(buf);
    },
  };
}

const DOMAIN_TYPEHASH = keccak_256(utf8.encode("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"));

/** A domain with its separator computed once. */
export class Eip712Domain {
  readonly separator: Uint8Array;
  constructor(readonly domain: Required<Pick<TypedDataDomain, "name" | "version" | "chainId" | "verifyingContract">>) {
    const { name, version, chainId, verifyingContract } = domain;
    if (typeof name !== "string" || typeof version !== "string" || typeof verifyingContract !== "string" || !ADDRESS_RE.test(verifyingContract)) {
      throw new InvalidArgumentError("domain needs name, version, chainId and verifyingContract");
    }
    if (!(typeof chainId === "bigint" || (typeof chainId === "number" && Number.isSafeInteger(chainId))) || BigInt(chainId) < 0n) {
      throw new InvalidArgumentError(`domain chainId must be a non-negative integer, got ${String(chainId)}`);
    }
    const buf = new Uint8Array(160);
    buf.set(DOMAIN_TYPEHASH, 0);
    buf.set(keccak_256(utf8.encode(name)), 32);
    buf.set(keccak_256(utf8.encode(version)), 64);
    writeUint(BigInt(chainId), buf, 96);
    buf.set(fromHex(verifyingContract), 140);
    this.separator = keccak_256(buf);
  }

  /** From the shared `domainFor(...)` output. */
  static from(domain: TypedDataDomain): Eip712Domain {
    return new Eip712Domain(domain as Required<Pick<TypedDataDomain, "name" | "version" | "chainId" | "verifyingContract">>);
  }
}
