/**
 * Length-prefixed framing (as it-length-prefixed / js-libp2p): each message is preceded by its
 * length as an unsigned LEB128 varint. The decoder enforces a hard cap per stream direction:
 * a declared length above the cap fails with FrameTooLargeError as soon as the prefix is read,
 * before any of the body is buffered. Prefixes must be minimal and at most 5 bytes.
 */
import { Uint8ArrayList } from "uint8arraylist";
import { encode as encodeVarint, encodingLength } from "uint8-varint";
import { FrameTooLargeError, InvalidArgumentError, MalformedFrameError, DecoderClosedError } from "../errors.js";

/** Largest cap a frame decoder accepts (keeps lengths in 32-bit varints). */
export const MAX_FRAME_CAP = 16 * 1024 * 1024;

/** Prefixes `message` with its varint length. Throws if it exceeds `maxLength`. */
export function encodeFrame(message: Uint8Array, maxLength: number = MAX_FRAME_CAP): Uint8Array {
  if (message.length > maxLength) throw new FrameTooLargeError(message.length, maxLength);
  const k = encodingLength(message.length);
  const out = new Uint8Array(k + message.length);
  encodeVarint(message.length, out);
  out.set(message, k);
  return out;
}

type Prefix = { length: number; size: number } | undefined;

/** Reads a varint prefix from `buf`; undefined if incomplete. */
function readPrefix(buf: Uint8ArrayList, maxLength: number): Prefix {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= buf.length) return undefined;
    const b = buf.get(i);
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) {
      if (i > 0 && b === 0) throw new MalformedFrameError("non-minimal length prefix");
      if (value > maxLength) throw new FrameTooLargeError(value, maxLength);
      return { length: value, size: i + 1 };
    }
    if (value > maxLength) throw new FrameTooLargeError(value, maxLength);
  }
  throw new MalformedFrameError("length prefix longer than 5 bytes");
}

/**
 * Incremental frame decoder: push() stream chunks of any size, get back whole frame bodies.
 * Buffers at most one frame (≤ maxLength) plus a partial prefix. After an error it accepts no
 * more input.
 */
export class FrameDecoder {
  private readonly buf = new Uint8ArrayList();
  private failed = false;

  constructor(readonly maxLength: number) {
    if (!Number.isSafeInteger(maxLength) || maxLength < 1 || maxLength > MAX_FRAME_CAP) throw new InvalidArgumentError(`invalid frame cap ${maxLength}`);
  }

  push(chunk: Uint8Array | Uint8ArrayList): Uint8Array[] {
    return this.pushPieces(chunk).map((frame) => (frame instanceof Uint8Array ? frame : frame.subarray()));
  }

  /**
   * As `push`, without joining a frame that arrived in several pieces: such a frame comes back as
   * a list of views of them (a 256-KiB chunk frame comes as five to ten yamux data frames, and
   * joining them copies every byte once more).
   */
  pushPieces(chunk: Uint8Array | Uint8ArrayList): (Uint8Array | Uint8ArrayList)[] {
    if (this.failed) throw new DecoderClosedError();
    this.buf.append(chunk);
    const out: (Uint8Array | Uint8ArrayList)[] = [];
    try {
      for (;;) {
        const p = readPrefix(this.buf, this.maxLength);
        if (p === undefined || this.buf.length < p.size + p.length) break;
        const frame = this.buf.sublist(p.size, p.size + p.length);
        const [first] = frame; // a frame within one piece is that piece's view
        out.push(first === undefined ? new Uint8Array(0) : first.byteLength === frame.byteLength ? first : frame);
        this.buf.consume(p.size + p.length);
      }
    } catch (e) {
      this.failed = true;
      this.buf.consume(this.buf.length);
      throw e;
    }
    return out;
  }

  /** Bytes held waiting for the rest of a frame. */
  get buffered(): number {
    return this.buf.length;
  }

  /** Call at end of stream: throws MalformedFrameError if a frame was cut short. */
  end(): void {
    if (this.buf.length > 0) throw new MalformedFrameError(`stream ended inside a frame (${this.buf.length} bytes pending)`);
  }
}

/** Decodes exactly one frame that fills `bytes`. */
export function decodeFrame(bytes: Uint8Array, maxLength: number): Uint8Array {
  const list = new Uint8ArrayList(bytes);
  const p = readPrefix(list, maxLength);
  if (p === undefined || bytes.length !== p.size + p.length) throw new MalformedFrameError("not exactly one frame");
  return bytes.subarray(p.size);
}
