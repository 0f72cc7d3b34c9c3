/**
 * `CdnError` is the one error base of every agent and layer: a stable `name` (its class) and `code`,
 * the original error in `cause`, and a message that is one readable sentence.
 *
 * A message-only error declares its code and inherits the base constructor:
 *   `class ConfigError extends CdnError { readonly code = "ERR_CONFIG"; }`
 * An error with typed fields (the offending values) is declared in one line with `errorClass`: its
 * arguments, the sentence they make and the fields it keeps. `name` comes from the class (the
 * agents' bundles keep class names: bin/agents-build.js).
 */
export abstract class CdnError extends Error {
  /** Stable `ERR_*` string that callers switch on. */
  abstract readonly code: string;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
  /** The one sentence a user sees (a CLI prints this, never a stack trace or an RPC dump). */
  get shortMessage(): string {
    return this.message;
  }
}

/** What an error makes of its constructor's arguments: its sentence, the typed fields it keeps, and the error it wraps. */
export type ErrorParts<Fields extends object> = readonly [message: string, fields?: Fields, options?: ErrorOptions];

/**
 * The base class of one error: `class FrameTooLargeError extends errorClass(ProtocolError, "ERR_FRAME_TOO_LARGE",
 * (length: number, max: number) => [`frame of ${length} bytes exceeds the ${max}-byte cap`, { length, max }]) {}`
 * takes `new FrameTooLargeError(length, max)` and has `code`, `length` and `max` typed, `instanceof` both classes.
 */
export function errorClass<Base extends abstract new (message: string, options?: ErrorOptions) => CdnError, const Code extends string, Args extends unknown[], Fields extends object = object>(
  base: Base,
  code: Code,
  parts: (...args: Args) => ErrorParts<Fields>,
): new (...args: Args) => InstanceType<Base> & Readonly<Fields> & { readonly code: Code } {
  const Parent = base as unknown as new (message: string, options?: ErrorOptions) => CdnError;
  class Declared extends Parent {
    readonly code = code;
    constructor(...args: Args) {
      const [message, fields, options] = parts(...args);
      super(message, options);
      Object.assign(this, fields);
    }
  }
  return Declared as unknown as new (...args: Args) => InstanceType<Base> & Readonly<Fields> & { readonly code: Code };
}

// ---- the protocol core's errors (decoders and verifiers throw only these) ----

/** Errors of the pure protocol core (content addressing, wire, signatures). */
export abstract class ProtocolError extends CdnError {}

/** Bad arguments given to a protocol function by local code (not by a peer). */
export class InvalidArgumentError extends ProtocolError {
  readonly code = "ERR_INVALID_ARGUMENT";
}

// ---- content addressing ----

/** A leaf layer (or range of leaf hashes with its proof) does not hash to the blob id. */
export class LeafLayerMismatchError extends errorClass(ProtocolError, "ERR_LEAF_LAYER_MISMATCH", (blobId: string, computed: string) => [
  `leaf hashes do not match blob id ${blobId} (computed ${computed})`,
  { blobId, computed },
]) {}

/** A chunk's bytes do not hash to the expected leaf hash; none of its bytes were released. */
export class ChunkMismatchError extends errorClass(ProtocolError, "ERR_CHUNK_MISMATCH", (leafIndex: number) => [`chunk ${leafIndex} does not match its leaf hash`, { leafIndex }]) {}

/** More, fewer or misplaced bytes than the verified range calls for. */
export class StreamLengthError extends errorClass(ProtocolError, "ERR_STREAM_LENGTH", (message: string, expected: number, received: number) => [message, { expected, received }]) {}

/** The verifier already failed (or finished) and accepts no more input. */
export class VerifierClosedError extends errorClass(ProtocolError, "ERR_VERIFIER_CLOSED", () => ["verifier is closed after an error or finish()"]) {}

/** A range proof has the wrong number of nodes for its range. */
export class MalformedProofError extends ProtocolError {
  readonly code = "ERR_MALFORMED_PROOF";
}

// ---- wire ----

/** A frame's declared length exceeds the hard cap of its message type. */
export class FrameTooLargeError extends errorClass(ProtocolError, "ERR_FRAME_TOO_LARGE", (length: number, max: number) => [`frame of ${length} bytes exceeds the ${max}-byte cap`, { length, max }]) {}

/** The frame decoder already failed and accepts no more input. */
export class DecoderClosedError extends errorClass(ProtocolError, "ERR_DECODER_CLOSED", () => ["frame decoder is closed after an error"]) {}

/** A frame's length prefix is not a valid (minimal, at most 5-byte) unsigned varint, or a frame was cut short. */
export class MalformedFrameError extends ProtocolError {
  readonly code = "ERR_MALFORMED_FRAME";
}

/** The bytes are not a valid protobuf encoding of the expected message. */
export class WireDecodeError extends errorClass(ProtocolError, "ERR_WIRE_DECODE", (messageType: string, options?: ErrorOptions) => [`could not decode ${messageType}`, { messageType }, options]) {}

/** A message decoded but a field is missing, of the wrong size or out of range. */
export class WireValidationError extends errorClass(ProtocolError, "ERR_WIRE_VALIDATION", (messageType: string, field: string, reason: string) => [
  `invalid ${messageType}.${field}: ${reason}`,
  { messageType, field, reason },
]) {}

// ---- signatures ----

/** A signature is malformed (length, v, high s) or recovers no key. */
export class InvalidSignatureError extends ProtocolError {
  readonly code = "ERR_INVALID_SIGNATURE";
}

/** A signature is valid but was made by another key than the expected one. */
export class WrongSignerError extends errorClass(ProtocolError, "ERR_WRONG_SIGNER", (expected: string, recovered: string) => [
  `signed by ${recovered}, expected ${expected}`,
  { expected, recovered },
]) {}

/** A serve commitment does not match the request it answers. */
export class CommitmentMismatchError extends errorClass(ProtocolError, "ERR_COMMITMENT_MISMATCH", (field: string, expected: string, actual: string) => [
  `serve commitment ${field} is ${actual}, expected ${expected}`,
  { field, expected, actual },
]) {}

/** A serve commitment's anchor is not a recent block of the client's chain. */
export class AnchorMismatchError extends errorClass(ProtocolError, "ERR_ANCHOR_MISMATCH", (detail: string) => [`serve commitment anchor: ${detail}`]) {}

/** A signed timestamp is too far from the reference (chain) time. */
export class TimestampSkewError extends errorClass(ProtocolError, "ERR_TIMESTAMP_SKEW", (timestamp: bigint, reference: bigint, maxSkew: bigint) => [
  `timestamp ${timestamp} is more than ${maxSkew}s from chain time ${reference}`,
  { timestamp, reference, maxSkew },
]) {}
