/**
 * secp256k1 sign / recover over a precomputed 32-byte digest, with Ethereum's 65-byte
 * signature format r || s || v (v = 27 or 28) and the acceptance rules of OpenZeppelin's
 * ECDSA.recover (what the contracts run): v ∈ {27, 28}, 0 < r < n, 0 < s ≤ n/2, and a
 * recovered key. Signing is RFC 6979 deterministic and low-s, so it produces the same bytes as
 * ethers' Wallet.
 *
 * Backends (measured in bench/protocol.bench.ts; figures in docs/protocol.md):
 *  - "napi": libsecp256k1 through the `secp256k1` package's N-API prebuilt binary (N-API is
 *    ABI-stable, so the prebuilt loads on Node 22 without compiling): the default.
 *  - "noble": @noble/curves, pure JS: the fallback when the binary does not load, or when
 *    CDN_SECP256K1_BACKEND=noble is set.
 */
import { createRequire } from "node:module";
import { secp256k1 as noble } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { InvalidArgumentError, InvalidSignatureError } from "./errors.js";
import { toHex } from "./bytes.js";

export const SIGNATURE_LENGTH = 65;
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const HALF_N = N >> 1n;

export interface SecpBackend {
  name: "napi" | "noble";
  /** Returns r || s (64 bytes) and the recovery id. */
  sign(digest: Uint8Array, secretKey: Uint8Array): { signature: Uint8Array; recid: number };
  /** Returns the 65-byte uncompressed public key (0x04 || x || y). Throws on failure. */
  recover(digest: Uint8Array, rs: Uint8Array, recid: number): Uint8Array;
}

interface NapiSecp {
  ecdsaSign(msg32: Uint8Array, seckey: Uint8Array): { signature: Uint8Array; recid: number };
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed: boolean): Uint8Array;
}

const nobleBackend: SecpBackend = {
  name: "noble",
  sign(digest, secretKey) {
    const rec = noble.sign(digest, secretKey, { prehash: false, format: "recovered" });
    return { signature: rec.subarray(1), recid: rec[0] };
  },
  recover(digest, rs, recid) {
    const rec = new Uint8Array(65);
    rec[0] = recid;
    rec.set(rs, 1);
    return noble.Point.fromBytes(noble.recoverPublicKey(rec, digest, { prehash: false })).toBytes(false);
  },
};

function loadNapi(): SecpBackend | undefined {
  try {
    const require = createRequire(import.meta.url);
    const lib = require("secp256k1/bindings.js") as NapiSecp;
    return {
      name: "napi",
      sign: (digest, secretKey) => lib.ecdsaSign(digest, secretKey),
      recover: (digest, rs, recid) => lib.ecdsaRecover(rs, recid, digest, false),
    };
  } catch {
    return undefined;
  }
}

const napiBackend = loadNapi();
const backend: SecpBackend = (process.env.CDN_SECP256K1_BACKEND === "noble" ? undefined : napiBackend) ?? nobleBackend;

/** The raw backends available in this process (for benchmarks and cross-checks). */
export const secpBackends: Readonly<Partial<Record<SecpBackend["name"], SecpBackend>>> = { noble: nobleBackend, ...(napiBackend ? { napi: napiBackend } : {}) };

/** Name of the active secp256k1 backend. */
export const secpBackend: "napi" | "noble" = backend.name;

function checkDigest(digest: Uint8Array): void {
  if (!(digest instanceof Uint8Array) || digest.length !== 32) throw new InvalidArgumentError("digest must be 32 bytes");
}

/** Signs a 32-byte digest; returns r || s || v with v ∈ {27, 28}. */
export function signDigest(digest: Uint8Array, secretKey: Uint8Array): Uint8Array {
  checkDigest(digest);
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== 32) throw new InvalidArgumentError("secret key must be 32 bytes");
  let sig;
  try {
    sig = backend.sign(digest, secretKey);
  } catch (cause) {
    throw new InvalidArgumentError("invalid secret key", { cause });
  }
  const out = new Uint8Array(SIGNATURE_LENGTH);
  out.set(sig.signature, 0);
  out[64] = 27 + sig.recid;
  return out;
}

function scalar(bytes: Uint8Array, from: number): bigint {
  let v = 0n;
  for (let i = from; i < from + 32; i++) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

/** Ethereum address (lower-case hex) of an uncompressed public key (65 bytes 0x04‖x‖y, or 64 bytes x‖y). */
export function addressOfPublicKey(pub: Uint8Array): string {
  const xy = pub.length === 65 ? pub.subarray(1) : pub;
  if (xy.length !== 64) throw new InvalidArgumentError("public key must be 64 or 65 bytes (uncompressed)");
  return toHex(keccak_256(xy).subarray(12));
}

/** Ethereum address (lower-case hex) of a secret key. */
export function addressOfSecretKey(secretKey: Uint8Array): string {
  return addressOfPublicKey(noble.getPublicKey(secretKey, false));
}

/**
 * Recovers the signer's address (lower-case hex) of a 65-byte r || s || v signature over a
 * digest, under OpenZeppelin ECDSA's rules. Throws InvalidSignatureError.
 */
export function recoverDigest(digest: Uint8Array, signature: Uint8Array): string {
  checkDigest(digest);
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_LENGTH) {
    throw new InvalidSignatureError(`signature must be ${SIGNATURE_LENGTH} bytes`);
  }
  const v = signature[64];
  if (v !== 27 && v !== 28) throw new InvalidSignatureError(`signature v must be 27 or 28, got ${v}`);
  const r = scalar(signature, 0);
  const s = scalar(signature, 32);
  if (r === 0n || r >= N) throw new InvalidSignatureError("signature r out of range");
  if (s === 0n || s > HALF_N) throw new InvalidSignatureError("signature s out of range (high s is malleable)");
  let pub;
  try {
    pub = backend.recover(digest, signature.subarray(0, 64), v - 27);
  } catch (cause) {
    throw new InvalidSignatureError("signature recovers no public key", { cause });
  }
  return addressOfPublicKey(pub);
}
