/**
 * Length-prefixed protobuf frames over a libp2p stream: one reader (frames are decoded with the
 * protocol's FrameDecoder and its per-direction cap), one writer, and the caller's abort signal.
 * Reads and writes may run concurrently (vouchers arrive while chunks go out).
 *
 * Both directions are back-pressured, which libp2p 3's stream API does not give by itself
 * (test/agents/runtime/stream-flow.test.ts):
 *  - writing: `send()`, and when it refuses, a wait for the stream's next 'drain' event (not
 *    `stream.onDrain()`, see `drained`);
 *  - reading: a stream's async iterator hands every arriving message to an unbounded queue, and
 *    yamux grants the sender new window as the bytes arrive, not as they are read, so a reader that
 *    falls behind would hold whatever the sender sends. Here the frames decoded but not yet read are
 *    counted; past `readAheadBytes` the stream is paused (yamux stops granting window, so the sender
 *    stalls within one window, `STREAM_WINDOW_BYTES` in agents/runtime/host.ts) and it resumes once
 *    the reader caught up.
 *
 * Timeouts are our own timers: libp2p 3 does not act on `stream.inactivityTimeout`.
 *  - idle: the stream is aborted when no frame was read and no write completed for `idleTimeoutMs`;
 *  - slow reader: a single write that waits for the remote to drain longer than `writeTimeoutMs`
 *    (default `idleTimeoutMs`) aborts the stream, even while the remote keeps sending.
 * A timeout aborts the stream with StreamTimeoutError, which the pending read or write throws.
 */
import type { Stream, StreamCloseEvent, StreamMessageEvent } from "@libp2p/interface";
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
  /** Decoded frames held unread before the stream is paused (bytes; default the larger of 1 MiB and four frames at the cap). */
  readAheadBytes?: number;
}

/** Decoded frames a reader holds unread before it pauses its stream, by default: 1 MiB, or four frames at the cap. */
export const defaultReadAhead = (readCap: number): number => Math.max(1024 * 1024, 4 * readCap);

export class FramedStream {
  private readonly decoder: FrameDecoder;
  /** Frames decoded and not yet read (one that arrived in pieces as a list of them), and their bytes. */
  private readonly queue: (Uint8Array | Uint8ArrayList)[] = [];
  private queuedBytes = 0;
  private readonly readAheadBytes: number;
  /** No more frames will arrive (the remote closed its side, or the stream ended). */
  private ended = false;
  private paused = false;
  /** Why reading failed (a malformed frame, the stream's error); thrown once the queue is read. */
  private failure: Error | undefined;
  /** The pending read waiting for a frame or the end. */
  private wake: (() => void) | undefined;
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
    this.readAheadBytes = options.readAheadBytes ?? defaultReadAhead(options.readCap);
    // the stream's own events, not its async iterator (whose queue is unbounded); a 'message'
    // listener receives at once whatever the stream buffered before it was attached
    stream.addEventListener("message", this.onMessage);
    stream.addEventListener("end", this.onEnd);
    stream.addEventListener("close", this.onClose);
    // a stream that ended before we listened (e.g. reset by the remote at once) has no event left to send
    if (stream.readableEnded || stream.readStatus === "closed") this.ended = true;
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

  private readonly onMessage = (event: StreamMessageEvent): void => {
    if (this.failure) return;
    try {
      for (const frame of this.decoder.pushPieces(event.data)) {
        this.queue.push(frame);
        this.queuedBytes += frame.byteLength;
      }
    } catch (error) {
      this.failure = error as Error; // nothing after a malformed frame is read
    }
    if (this.queuedBytes + this.decoder.buffered > this.readAheadBytes || this.failure) this.setPaused(true);
    this.wakeReader();
  };

  private readonly onEnd = (): void => {
    this.ended = true;
    this.wakeReader();
  };

  /** A stream closed while paused may not emit 'end' (libp2p's MessageStream): what it still holds is read first. */
  private readonly onClose = (event: StreamCloseEvent): void => {
    if (event.error) this.failure ??= event.error;
    else this.setPaused(false);
    this.ended = true;
    this.wakeReader();
  };

  private wakeReader(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Pauses the stream (yamux stops granting window) or resumes it; a stream already closing refuses both, which is fine. */
  private setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    try {
      if (paused) this.stream.pause();
      else this.stream.resume();
      this.paused = paused;
    } catch {
      // closing or closed: nothing more to hold back or to ask for
    }
  }

  /** The next frame body, or undefined at a clean end of stream. */
  async read(): Promise<Uint8Array | undefined> {
    const frame = await this.readPieces();
    return frame instanceof Uint8ArrayList ? frame.subarray() : frame;
  }

  /** As `read`, but a frame that arrived in several pieces comes as a list of them (not joined: no copy). */
  async readPieces(): Promise<Uint8Array | Uint8ArrayList | undefined> {
    for (;;) {
      const next = this.queue.shift();
      if (next !== undefined) {
        this.queuedBytes -= next.byteLength;
        if (this.queuedBytes + this.decoder.buffered <= this.readAheadBytes / 2 && !this.failure) this.setPaused(false);
        this.framesRead++;
        this.lastProgress = performance.now();
        return next;
      }
      if (this.timedOut) throw this.timedOut;
      if (this.failure) throw this.failure;
      if (this.ended) {
        this.decoder.end(); // throws if the stream ended inside a frame
        return undefined;
      }
      this.options.signal?.throwIfAborted();
      this.setPaused(false); // nothing queued: whatever made us pause is read
      await new Promise<void>((resolve) => (this.wake = resolve));
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
      if (!this.stream.send(frame)) await this.drained();
    } catch (error) {
      throw this.timedOut ?? error;
    } finally {
      this.writeStartedAt = undefined;
    }
    if (this.timedOut) throw this.timedOut;
    this.lastProgress = performance.now();
  }

  /**
   * Resolves once the stream can take more data ('drain'), rejects if it closes or the caller aborts.
   * Not `stream.onDrain()`: @libp2p/utils 7.4 keeps its first drain promise, resolved, for the life
   * of the stream, so after the first drain every later wait returned at once, nothing paced the
   * writer, and whatever it wrote piled up in the stream's send buffer (a sender of a 256 MiB blob
   * held most of it in memory; test/agents/runtime/stream-flow.test.ts).
   */
  private drained(): Promise<void> {
    const stream = this.stream;
    if (stream.status !== "open" && stream.status !== "closing") return Promise.reject(new Error(`the stream is ${stream.status}`));
    if (!stream.writableNeedsDrain) return Promise.resolve();
    const signal = this.options.signal;
    return new Promise<void>((resolve, reject) => {
      const settle = (error?: Error) => {
        stream.removeEventListener("drain", onDrain);
        stream.removeEventListener("close", onClose);
        signal?.removeEventListener("abort", onAbort);
        if (error) reject(error);
        else resolve();
      };
      const onDrain = () => settle();
      const onClose = (event: StreamCloseEvent) => settle(event.error ?? new Error("the stream closed while a write waited"));
      const onAbort = () => settle(signal!.reason instanceof Error ? signal!.reason : new Error("aborted"));
      stream.addEventListener("drain", onDrain);
      stream.addEventListener("close", onClose);
      signal?.addEventListener("abort", onAbort);
    });
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
