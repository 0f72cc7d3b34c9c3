/**
 * One upstream download shared by concurrent requests for the same blob and byte range (two tabs,
 * a player that opens the same range twice): readers that join while the first chunks are still
 * buffered get every byte from the start; the upstream is paced by the slowest reader (at most
 * `bufferBytes` ahead of it) and aborted when the last reader leaves. Once a chunk had to be
 * dropped, nobody joins any more (a later request starts its own download).
 */
export type UpstreamStart = (signal: AbortSignal) => AsyncIterable<Uint8Array>;

interface Reader {
  /** Absolute index of the next chunk to read. */
  next: number;
}

class Upstream {
  readonly controller = new AbortController();
  readonly readers = new Set<Reader>();
  chunks: Uint8Array[] = [];
  /** Absolute index of chunks[0]. */
  base = 0;
  buffered = 0;
  joinable = true;
  done = false;
  failure: unknown;
  private wakers: (() => void)[] = [];

  wake(): void {
    const w = this.wakers;
    this.wakers = [];
    for (const f of w) f();
  }

  wait(): Promise<void> {
    return new Promise((r) => this.wakers.push(r));
  }

  /** Drops the chunks every reader has read once the buffer is over `cap`. */
  trim(cap: number): void {
    if (this.buffered <= cap) return;
    const slowest = Math.min(...[...this.readers].map((r) => r.next), this.base + this.chunks.length);
    while (this.base < slowest && this.buffered > cap) {
      this.buffered -= this.chunks.shift()!.length;
      this.base++;
      this.joinable = false;
    }
  }

  slowestLag(): number {
    let lag = 0;
    for (const r of this.readers) {
      let bytes = 0;
      for (let i = Math.max(r.next, this.base) - this.base; i < this.chunks.length; i++) bytes += this.chunks[i].length;
      lag = Math.max(lag, bytes);
    }
    return lag;
  }
}

export class SharedFetches {
  private readonly inflight = new Map<string, Upstream>();

  constructor(private readonly options: { bufferBytes?: number } = {}) {}

  private get cap(): number {
    return this.options.bufferBytes ?? 16 * 1024 * 1024;
  }

  /** Downloads in flight (for tests and metrics). */
  get size(): number {
    return this.inflight.size;
  }

  /**
   * The bytes for `key`: joins a running download of the same key when it can, else starts one
   * with `start`. `joined` tells which. Leaving the iteration (or `signal`) detaches this reader.
   */
  open(key: string, start: UpstreamStart, signal?: AbortSignal): { joined: boolean; bytes: AsyncIterable<Uint8Array> } {
    let up = this.inflight.get(key);
    const joined = up !== undefined && up.joinable && !up.done;
    if (!joined) {
      up = new Upstream();
      this.inflight.set(key, up);
      void this.pump(key, up, start);
    }
    const upstream = up!;
    const reader: Reader = { next: upstream.base };
    upstream.readers.add(reader);
    const cap = this.cap;
    const leave = () => {
      if (!upstream.readers.delete(reader)) return;
      if (upstream.readers.size === 0 && !upstream.done) {
        upstream.controller.abort(new Error("every reader left"));
        if (this.inflight.get(key) === upstream) this.inflight.delete(key);
      }
      upstream.trim(cap);
      upstream.wake();
    };
    signal?.addEventListener("abort", () => {
      leave();
    });
    async function* read(): AsyncGenerator<Uint8Array> {
      try {
        for (;;) {
          signal?.throwIfAborted();
          if (reader.next < upstream.base + upstream.chunks.length) {
            const chunk = upstream.chunks[reader.next - upstream.base];
            reader.next++;
            upstream.trim(cap);
            upstream.wake();
            yield chunk;
            continue;
          }
          if (upstream.done) {
            if (upstream.failure !== undefined) throw upstream.failure;
            return;
          }
          await upstream.wait();
        }
      } finally {
        leave();
      }
    }
    return { joined, bytes: read() };
  }

  private async pump(key: string, up: Upstream, start: UpstreamStart): Promise<void> {
    try {
      for await (const chunk of start(up.controller.signal)) {
        up.chunks.push(chunk);
        up.buffered += chunk.length;
        up.trim(this.cap);
        up.wake();
        // paced by the slowest reader
        while (!up.controller.signal.aborted && up.slowestLag() > this.cap) await up.wait();
        if (up.controller.signal.aborted) break;
      }
    } catch (error) {
      up.failure = error;
    } finally {
      up.done = true;
      if (this.inflight.get(key) === up) this.inflight.delete(key);
      up.wake();
    }
  }
}
