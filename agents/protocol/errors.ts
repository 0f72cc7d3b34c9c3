/**
 * `CdnError` is the one error base of every agent and layer: a stable `name` (its class) and `code`,
 * the original error in `cause`, and a message that is one readable sentence.
 *
 * Typed errors of the protocol core. Every error has a stable `name` (its class) and `code`
 * (an `ERR_*` string that callers switch on), a one-sentence message, and typed fields that
 * carry the offending values. Decoders and verifiers throw only these.
 */
export abstract class CdnError extends Error {
  /** Stable `ERR_*` string that callers switch on. */
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
  /** The one sentence a user sees (a CLI prints this, never a stack trace or an RPC dump). */
  get shortMessage(): string {
    return this.message;
  }
}

/** Errors of the pure protocol core (content addressing, wire, signatures). */
export abstract class ProtocolError extends CdnError {}

/** Bad arguments given to a protocol function by local code (not by a peer). */
export class InvalidArgumentError extends ProtocolError {
  readonly code = "ERR_INVALID_ARGUMENT";
}

// ---- content addressing ----

/** A leaf layer (or range of leaf hashes with its proof) does not hash to the blob id. */
export class LeafLayerMismatchError extends ProtocolError {
  readonly code = "ERR_LEAF_LAYER_MISMATCH";
  constructor(
    readonly blobId: string,
    readonly computed: string,
  ) {
    super(`leaf hashes do not match blob id ${blobId} (computed ${computed})`);
  }
}

/** A chunk's bytes do not hash to the expected leaf hash; none of its bytes were released. */
export class ChunkMismatchError extends ProtocolError {
  readonly code = "ERR_CHUNK_MISMATCH";
  constructor(readonly leafIndex: number) {
    super(`chunk ${leafIndex} does not match its leaf hash`);
  }
}

/** More, fewer or misplaced bytes than the verified range calls for. */
export class StreamLengthError extends ProtocolError {
  readonly code = "ERR_STREAM_LENGTH";
  constructor(
    message: string,
    readonly expected: number,
    readonly received: number,
  ) {
    super(message);
  }
}

/** The verifier already failed (or finished) and accepts no more input. */
export class VerifierClosedError extends ProtocolError {
  readonly code = "ERR_VERIFIER_CLOSED";
  constructor() {
    super("verifier is closed after an error or finish()");
  }
}

/** A range proof has the wrong number of nodes for its range. */
export class MalformedProofError extends ProtocolError {
  readonly code = "ERR_MALFORMED_PROOF";
}

// ---- wire ----

/** A frame's declared length exceeds the hard cap of its message type. */
export class FrameTooLargeError extends ProtocolError {
  readonly code = "ERR_FRAME_TOO_LARGE";
  constructor(
    readonly length: number,
    readonly max: number,
  ) {
    super(`frame of ${length} bytes exceeds the ${max}-byte cap`);
  }
}

/** The frame decoder already failed and accepts no more input. */
export class DecoderClosedError extends ProtocolError {
  readonly code = "ERR_DECODER_CLOSED";
  constructor() {
    super("frame decoder is closed after an error");
  }
}

/** A frame's length prefix is not a valid (minimal, at most 5-byte) unsigned varint, or a frame was cut short. */
export class MalformedFrameError extends ProtocolError {
  readonly code = "ERR_MALFORMED_FRAME";
}

/** The bytes are not a valid protobuf encoding of the expected message. */
export class WireDecodeError extends ProtocolError {
  readonly code = "ERR_WIRE_DECODE";
  constructor(
    readonly messageType: string,
    options?: { cause?: unknown },
  ) {
    super(`could not decode ${messageType}`, options);
  }
}

/** A message decoded but a field is missing, of the wrong size or out of range. */
export class WireValidationError extends ProtocolError {
  readonly code = "ERR_WIRE_VALIDATION";
  constructor(
    readonly messageType: string,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`invalid ${messageType}.${field}: ${reason}`);
  }
}

// ---- signatures ----

/** A signature is malformed (length, v, high s) or recovers no key. */
export class InvalidSignatureError extends ProtocolError {
  readonly code = "ERR_INVALID_SIGNATURE";
}

/** A signature is valid but was made by another key than the expected one. */
export class WrongSignerError extends ProtocolError {
  readonly code = "ERR_WRONG_SIGNER";
  constructor(
    readonly expected: string,
    readonly recovered: string,
  ) {
    super(`signed by ${recovered}, expected ${expected}`);
  }
}

/** A serve commitment does not match the request it answers. */
export class CommitmentMismatchError extends ProtocolError {
  readonly code = "ERR_COMMITMENT_MISMATCH";
  constructor(
    readonly field: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`serve commitment ${field} is ${actual}, expected ${expected}`);
  }
}

/** A serve commitment's anchor is not a recent block of the client's chain. */
export class AnchorMismatchError extends ProtocolError {
  readonly code = "ERR_ANCHOR_MISMATCH";
  constructor(detail: string) {
    super(`serve commitment anchor: ${detail}`);
  }
}

/** A signed timestamp is too far from the reference (chain) time. */
export class TimestampSkewError extends ProtocolError {
  readonly code = "ERR_TIMESTAMP_SKEW";
  constructor(
    readonly timestamp: bigint,
    readonly reference: bigint,
    readonly maxSkew: bigint,
  ) {
    super(`timestamp ${timestamp} is more than ${maxSkew}s from chain time ${reference}`);
  }
}
