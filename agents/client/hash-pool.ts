/**
 * Leaf hashing off the stream's main thread: one worker thread computes SHA-256(0x00 ‖ leaf)
 * while the main thread keeps decrypting and decoding the stream. The leaf is copied once (a
 * frame may share its buffer with the decoder's next bytes, so it is never transferred itself)
 * and the copy is transferred there and back. The worker is plain JavaScript (eval), so it runs
 * under any TypeScript loader; it is unref'd while idle and never keeps a process alive.
 */
import { Worker } from "node:worker_threads";

const WORKER = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const TAG = new Uint8Array([0]);
parentPort.on("message", (m) => {
  const digest = createHash("sha256").update(TAG).update(new Uint8Array(m.buf, m.off, m.len)).digest();
  const out = new Uint8Array(32);
  out.set(digest);
  parentPort.postMessage({ id: m.id, buf: m.buf, digest: out.buffer }, [m.buf, out.buffer]);
});
`;

interface Pending {
  resolve(r: { data: Uint8Array; digest: Uint8Array }): void;
  reject(e: unknown): void;
  off: number;
  len: number;
}

export class HashPool {
  private worker: Worker | undefined;
  private next = 0;
  private readonly pending = new Map<number, Pending>();

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(WORKER, { eval: true });
    w.unref();
    w.on("message", (m: { id: number; buf: ArrayBuffer; digest: ArrayBuffer }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) w.unref();
      p.resolve({ data: new Uint8Array(m.buf, p.off, p.len), digest: new Uint8Array(m.digest) });
    });
    w.on("error", (e) => {
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
      this.worker = undefined;
    });
    this.worker = w;
    return w;
  }

  /** SHA-256(0x00 ‖ data), with a copy of `data` (returned) that the caller owns. */
  hashLeaf(data: Uint8Array): Promise<{ data: Uint8Array; digest: Uint8Array }> {
    const w = this.start();
    const buf = new Uint8Array(data).buffer as ArrayBuffer; // a copy with its own buffer (Buffer#slice would be a view)
    const off = 0;
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, off, len: data.byteLength });
      if (this.pending.size === 1) w.ref();
      w.postMessage({ id, buf, off, len: data.byteLength }, [buf]);
    });
  }
}

let shared: HashPool | undefined;
export function sharedHashPool(): HashPool {
  return (shared ??= new HashPool());
}
