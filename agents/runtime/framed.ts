/**
 * Length-prefixed protobuf frames over a libp2p stream: one reader (frames are decoded with the
 * protocol's FrameDecoder and its per-direction cap), one writer that respects back-pressure
 * (`send()` then `onDrain()`), an inactivity timeout (libp2p's own, plus ours on waits) and the
 * caller's abort signal. Reads and writes may run concurrently (vouchers arrive while chunks go out).
 */
import type { Stream } from "@libp2p/interface";
import { Uint8ArrayList } from "uint8arraylist";
import { encodeFrame, FrameDecoder } from "../protocol/wire/framing.js";
import { StreamTimeoutError } from "./errors.js";

export interface FramedOptions {
  /** Cap on inbound frame bodies (bytes). */
  readCap: number;
  /** Abort the stream when nothing arrives for this long (ms). */
  idleTimeoutMs: number;
  signal?: AbortSignal;
}

export class FramedStream {
  private readonly decoder: FrameDecoder;
  private readonly iterator: AsyncIterator<Uint8Array | { subarray(): Uint8Array }>;
  private readonly queue: Uint8Array[] = [];
  private ended = false;
  private readonly onAbort: () => void;

  constructor(
    readonly stream: Stream,
    private readonly options: FramedOptions,
  ) {
    this.decoder = new FrameDecoder(options.readCap);
    stream.inactivityTimeout = options.idleTimeoutMs;
    this.iterator = (stream as unknown as AsyncIterable<Uint8Array | { subarray(): Uint8Array }>)[Symbol.asyncIterator]();
    this.onAbort = () => this.abort(new StreamTimeoutError("The stream was aborted.", { cause: options.signal?.reason }));
    options.signal?.addEventListener("abort", this.onAbort, { once: true });
  }

  /** The next frame body, or undefined at a clean end of stream. */
  async read(): Promise<Uint8Array | undefined> {
    for (;;) {
      const next = this.queue.shift();
      if (next !== undefined) return next;
      if (this.ended) return undefined;
      this.options.signal?.throwIfAborted();
      const { value, done } = await this.iterator.next();
      if (done) {
        this.ended = true;
        this.decoder.end();
        return undefined;
      }
      const bytes = value instanceof Uint8Array ? value : value.subarray();
      for (const frame of this.decoder.push(bytes)) this.queue.push(frame);
    }
  }

  /** Sends one frame body, waiting for the transport to drain when its buffer is full. Large bodies are not copied. */
  async write(body: Uint8Array): Promise<void> {
    this.options.signal?.throwIfAborted();
    const frame = body.length < 4096 ? encodeFrame(body) : new Uint8ArrayList(varint(body.length), body);
    if (!this.stream.send(frame)) await this.stream.onDrain({ signal: this.options.signal });
  }

  /** Sends bytes that are already framed (e.g. a zero-copy chunk frame). */
  async writeFramed(frame: Uint8Array | Uint8ArrayList): Promise<void> {
    this.options.signal?.throwIfAborted();
    if (!this.stream.send(frame)) await this.stream.onDrain({ signal: this.options.signal });
  }

  /** Closes our writing side gracefully (the remote still reads what was sent). */
  async close(): Promise<void> {
    this.options.signal?.removeEventListener("abort", this.onAbort);
    try {
      await this.stream.close({ signal: AbortSignal.timeout(5000) });
    } catch {
      this.stream.abort(new Error("close failed"));
    }
  }

  abort(error: Error): void {
    this.options.signal?.removeEventListener("abort", this.onAbort);
    if (this.stream.status === "open" || this.stream.status === "closing") this.stream.abort(error);
  }
}

/** Minimal unsigned LEB128 (the frame prefix). */
function varint(n: number): Uint8Array {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Uint8Array.from(out);
}
