/**
 * Length-prefixed protobuf frames over a libp2p stream: one reader (frames are decoded with the
 * protocol's FrameDecoder and its per-direction cap), one writer that respects back-pressure
 * (`send()` then `onDrain()`), and the caller's abort signal. Reads and writes may run
 * concurrently (vouchers arrive while chunks go out).
 *
 * Timeouts are our own timers: libp2p 3 does not act on `stream.inactivityTimeout`.
 *  - idle: the stream is aborted when no frame was read and no write completed for `idleTimeoutMs`;
 *  - slow reader: a single write that waits for the remote to drain longer than `writeTimeoutMs`
 *    (default `idleTimeoutMs`) aborts the stream, even while the remote keeps sending.
 * A timeout aborts the stream with StreamTimeoutError, which the pending read or write throws.
 */
import type { Stream } from "@libp2p/interface";
import { Uint8ArrayList } from "uint8arraylist";
import { encodeFrame, FrameDecoder } from "../protocol/wire/framing.js";
import { StreamTimeoutError } from "./errors.js";
import { encode as encodeVarint } from "uint8-varint";

export interface FramedOptions {
  /** Cap on inbound frame bodies (bytes). */
  readCap: number;
  /** Abort the stream when no frame arrives and no write completes for this long (ms). */
  idleTimeoutMs: number;
  /** Abort the stream when one write waits this long for the remote to read (ms; default idleTimeoutMs). */
  writeTimeoutMs?: number;
  /** Abort the stream when its first frame has not arrived this long after opening (ms; default idleTimeoutMs). */
  firstFrameTimeoutMs?: number;
  signal?: AbortSignal;
}

export class FramedStream {
  private readonly decoder: FrameDecoder;
  private readonly iterator: AsyncIterator<Uint8Array | { subarray(): Uint8Array }>;
  private readonly queue: Uint8Array[] = [];
  private ended = false;
  private readonly onAbort: () => void;
  private lastProgress = performance.now();
  private writeStartedAt: number | undefined;
  private framesRead = 0;
  private readonly watchdog: ReturnType<typeof setInterval>;
  /** Set once a timeout fired (the reason every later read or write throws). */
  timedOut: StreamTimeoutError | undefined;

  constructor(
    readonly stream: Stream,
    private readonly options: FramedOptions,
  ) {
    this.decoder = new FrameDecoder(options.readCap);
    this.iterator = (stream as unknown as AsyncIterable<Uint8Array | { subarray(): Uint8Array }>)[Symbol.asyncIterator]();
    this.onAbort = () => this.abort(new StreamTimeoutError("The stream was aborted.", { cause: options.signal?.reason }));
    options.signal?.addEventListener("abort", this.onAbort, { once: true });
    const writeTimeoutMs = options.writeTimeoutMs ?? options.idleTimeoutMs;
    const firstFrameTimeoutMs = options.firstFrameTimeoutMs ?? options.idleTimeoutMs;
    const tick = Math.max(10, Math.min(1000, Math.floor(Math.min(options.idleTimeoutMs, writeTimeoutMs, firstFrameTimeoutMs) / 4)));
    this.watchdog = setInterval(() => {
      const now = performance.now();
      const idleLimit = this.framesRead === 0 ? firstFrameTimeoutMs : options.idleTimeoutMs;
      if (this.writeStartedAt !== undefined && now - this.writeStartedAt > writeTimeoutMs) {
        this.expire(new StreamTimeoutError(`the remote read nothing for ${writeTimeoutMs} ms (slow reader)`));
      } else if (now - this.lastProgress > idleLimit) {
        this.expire(new StreamTimeoutError(`nothing moved on the stream for ${idleLimit} ms`));
      }
    }, tick);
    this.watchdog.unref?.();
  }

  private expire(error: StreamTimeoutError): void {
    this.timedOut = error;
    this.abort(error);
  }

  private stopWatchdog(): void {
    clearInterval(this.watchdog);
  }

  /** The next frame body, or undefined at a clean end of stream. */
  async read(): Promise<Uint8Array | undefined> {
    for (;;) {
      const next = this.queue.shift();
      if (next !== undefined) {
        this.framesRead++;
        this.lastProgress = performance.now();
        return next;
      }
      if (this.ended) return undefined;
      if (this.timedOut) throw this.timedOut;
      this.options.signal?.throwIfAborted();
      let result: IteratorResult<Uint8Array | { subarray(): Uint8Array }>;
      try {
        result = await this.iterator.next();
      } catch (error) {
        throw this.timedOut ?? error;
      }
      if (result.done) {
        if (this.timedOut) throw this.timedOut;
        this.ended = true;
        this.decoder.end();
        return undefined;
      }
      const value = result.value;
      const bytes = value instanceof Uint8Array ? value : value.subarray();
      for (const frame of this.decoder.push(bytes)) this.queue.push(frame);
    }
  }

  /** Sends one frame body, waiting for the transport to drain when its buffer is full. Large bodies are not copied. */
  async write(body: Uint8Array): Promise<void> {
    const frame = body.length < 4096 ? encodeFrame(body) : new Uint8ArrayList(encodeVarint(body.length), body);
    await this.writeFramed(frame);
  }

  /** Sends bytes that are already framed (e.g. a zero-copy chunk frame). */
  async writeFramed(frame: Uint8Array | Uint8ArrayList): Promise<void> {
    if (this.timedOut) throw this.timedOut;
    this.options.signal?.throwIfAborted();
    this.writeStartedAt = performance.now();
    try {
      if (!this.stream.send(frame)) await this.stream.onDrain({ signal: this.options.signal });
    } catch (error) {
      throw this.timedOut ?? error;
    } finally {
      this.writeStartedAt = undefined;
    }
    if (this.timedOut) throw this.timedOut;
    this.lastProgress = performance.now();
  }

  /** Closes our writing side gracefully (the remote still reads what was sent). */
  async close(): Promise<void> {
    this.options.signal?.removeEventListener("abort", this.onAbort);
    this.stopWatchdog();
    try {
      await this.stream.close({ signal: AbortSignal.timeout(5000) });
    } catch {
      this.stream.abort(new Error("close failed"));
    }
  }

  /**
   * Ends the stream both ways after a refusal: our side is closed (the remote reads what was sent),
   * and anything the remote still sends is not read; the stream is reset if the remote does not
   * close within `graceMs` (long enough for a slow but honest client to read the refusal).
   */
  async closeAfterRefusal(graceMs = 5000): Promise<void> {
    this.options.signal?.removeEventListener("abort", this.onAbort);
    this.stopWatchdog();
    const stream = this.stream;
    try {
      // drop whatever the remote sends from now on (it is never read), then close our side
      await stream.closeRead();
      await stream.close({ signal: AbortSignal.timeout(graceMs) });
      if (stream.status !== "closed") {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, graceMs);
          stream.addEventListener("close", () => (clearTimeout(timer), resolve()), { once: true });
        });
      }
    } catch {
      // the remote did not take the refusal in time
    }
    if (stream.status !== "closed") stream.abort(new Error("refused"));
  }

  abort(error: Error): void {
    this.options.signal?.removeEventListener("abort", this.onAbort);
    this.stopWatchdog();
    if (this.stream.status === "open" || this.stream.status === "closing") this.stream.abort(error);
  }
}
