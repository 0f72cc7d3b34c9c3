/**
 * Noise's receive path without a copy of every message (@chainsafe/libp2p-noise 17.0.0).
 *
 * Its encrypted stream decrypts each transport message with an in-place destination made by
 * `chunk.subarray(...)`. A 64-KiB message seldom lines up with a socket read, so it arrives as a
 * list of two or more pieces, and `subarray` of a list concatenates them into a fresh buffer. Only
 * the WebAssembly cipher noise uses below 1,200 bytes writes into that destination; the node:crypto
 * cipher that decrypts every larger message ignores it and deciphers the pieces one by one. The
 * copy cost a receiving client ~0.19 ms of CPU per MB (bench/delivery.bench.ts, docs/delivery.md §8).
 * Here the destination is made only where it is used: a message under 1,200 bytes, or one that is
 * already contiguous (a view, no copy). Everything else (framing, the cipher, the nonce, errors,
 * metrics) is noise's own.
 */
import type { ConnectionEncrypter, SecuredConnection } from "@libp2p/interface";
import { Uint8ArrayList } from "uint8arraylist";

/** noise's limits (constants.js, not exported by the package). */
const NOISE_MSG_MAX_LENGTH_BYTES = 65_535;
const CHACHA_TAG_LENGTH = 16;
/** Below this length noise's default crypto uses its WebAssembly cipher, which decrypts into the destination. */
const IN_PLACE_BELOW_BYTES = 1_200;

/** What is used of noise's encrypted stream. */
interface NoiseStreamInternals {
  handshake?: { decrypt(ciphertext: Uint8Array | Uint8ArrayList, dst?: Uint8Array): Uint8Array | Uint8ArrayList };
  metrics?: { decryptedPackets: { increment(): void }; decryptErrors: { increment(): void } };
  decrypt?: (chunk: Uint8Array | Uint8ArrayList) => Uint8ArrayList;
}

type Handshake = NonNullable<NoiseStreamInternals["handshake"]>;

function decryptWithoutCopy(handshake: Handshake, metrics: NoiseStreamInternals["metrics"], chunk: Uint8Array | Uint8ArrayList): Uint8ArrayList {
  const output = new Uint8ArrayList();
  for (let i = 0; i < chunk.byteLength; i += NOISE_MSG_MAX_LENGTH_BYTES) {
    const end = Math.min(i + NOISE_MSG_MAX_LENGTH_BYTES, chunk.byteLength);
    if (end - CHACHA_TAG_LENGTH < i) throw new Error("Invalid chunk");
    const contiguous = chunk instanceof Uint8Array;
    const encrypted = contiguous ? chunk.subarray(i, end) : chunk.sublist(i, end);
    const dst = contiguous || end - i < IN_PLACE_BELOW_BYTES ? chunk.subarray(i, end - CHACHA_TAG_LENGTH) : undefined;
    try {
      output.append(handshake.decrypt(encrypted, dst));
      metrics?.decryptedPackets.increment();
    } catch (error) {
      metrics?.decryptErrors.increment();
      throw error;
    }
  }
  return output;
}

/** Replaces the stream's `decrypt` when it has the shape this module knows (else leaves noise as it is). */
function patchReceive(connection: unknown): void {
  const stream = connection as NoiseStreamInternals;
  const handshake = stream.handshake;
  if (typeof stream.decrypt !== "function" || typeof handshake?.decrypt !== "function") return;
  const metrics = stream.metrics;
  stream.decrypt = (chunk) => decryptWithoutCopy(handshake, metrics, chunk);
}

/** Wraps a noise factory: every connection it secures receives without the per-message copy. */
export function noiseWithoutReceiveCopy<C>(factory: (components: C) => ConnectionEncrypter): (components: C) => ConnectionEncrypter {
  return (components) => {
    const inner = factory(components);
    const patched = async <T extends SecuredConnection>(secured: Promise<T>): Promise<T> => {
      const s = await secured;
      patchReceive(s.connection);
      return s;
    };
    const encrypter: ConnectionEncrypter = Object.create(inner);
    encrypter.secureInbound = (connection, options) => patched(inner.secureInbound(connection, options));
    encrypter.secureOutbound = (connection, options) => patched(inner.secureOutbound(connection, options));
    return encrypter;
  };
}
