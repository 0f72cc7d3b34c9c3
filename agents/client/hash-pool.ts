/**
 * Leaf hashing off the stream's main thread: one worker thread computes SHA-256(0x00 ‖ leaf)
 * while the main thread keeps decrypting and decoding the stream.
 *
 * The leaves go through a ring of shared memory, not messages: the main thread copies a leaf into
 * a free slot (the leaf was just decoded, so the copy runs from cache: ~0.01 ms per MB) and bumps a
 * counter; the worker, blocked on that counter (Atomics.wait), hashes the slot, writes the digest
 * next to it and bumps its own counter, which the main thread awaits (Atomics.waitAsync). A
 * postMessage per leaf, with its transfer, cost the main thread more than hashing the leaf itself
 * (~90 µs per leaf, docs/delivery.md §8). The caller keeps its own bytes: nothing is transferred.
 *
 * The worker is plain JavaScript (eval), so it runs under any TypeScript loader; it is unref'd and
 * never keeps a process alive. One pool serves every session of the process, in posting order.
 */
import { Worker } from "node:worker_threads";
import { LEAF_SIZE } from "../protocol/constants.js";
import { leafDigest } from "../protocol/verifier.js";
import type { Uint8ArrayList } from "uint8arraylist";

/** Leaves in flight at most (slots of the ring): 2 MiB of shared memory. */
const SLOTS = 8;
const DIGEST = 32;
/** Control words: leaves posted by the main thread, leaves hashed by the worker. */
const POSTED = 0;
const HASHED = 1;

const WORKER = `
const { workerData: { data, control, lengths, digests, slots, slotSize } } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const TAG = new Uint8Array([0]);
const ctl = new Int32Array(control);
const len = new Int32Array(lengths);
const out = new Uint8Array(digests);
for (let next = 0; ; next = (next + 1) | 0) {
  while (Atomics.load(ctl, ${POSTED}) === next) Atomics.wait(ctl, ${POSTED}, next);
  const slot = (next >>> 0) % slots;
  out.set(createHash("sha256").update(TAG).update(new Uint8Array(data, slot * slotSize, len[slot])).digest(), slot * ${DIGEST});
  Atomics.store(ctl, ${HASHED}, (next + 1) | 0);
  Atomics.notify(ctl, ${HASHED});
}
`;

/** A leaf, whole or in the pieces it arrived in. */
type Leaf = Uint8Array | Uint8ArrayList;

interface Pending {
  data: Leaf;
  resolve(r: { data: Leaf; digest: Uint8Array }): void;
  reject(e: Error): void;
}

export class HashPool {
  private readonly data = new SharedArrayBuffer(SLOTS * LEAF_SIZE);
  private readonly control = new Int32Array(new SharedArrayBuffer(2 * 4));
  private readonly lengths = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
  private readonly digests = new Uint8Array(new SharedArrayBuffer(SLOTS * DIGEST));
  private worker: Worker | undefined;
  private failure: Error | undefined;
  /** Posted leaves not yet collected, oldest first (at most SLOTS). */
  private readonly pending: Pending[] = [];
  /** Callers waiting for a free slot, oldest first. */
  private readonly waitingForSlot: (() => void)[] = [];
  private posted = 0;
  private collecting = false;

  private start(): void {
    if (this.worker) return;
    const w = new Worker(WORKER, {
      eval: true,
      workerData: { data: this.data, control: this.control.buffer, lengths: this.lengths.buffer, digests: this.digests.buffer, slots: SLOTS, slotSize: LEAF_SIZE },
    });
    w.unref();
    const fail = (e: Error) => {
      this.failure ??= e;
      for (const p of this.pending.splice(0)) p.reject(this.failure);
      for (const wake of this.waitingForSlot.splice(0)) wake();
    };
    w.on("error", fail);
    w.on("exit", (code) => fail(new Error(`the hashing thread exited (${code})`)));
    this.worker = w;
  }

  /** SHA-256(0x00 ‖ data); `data` stays the caller's (it is copied into the ring, not moved; a leaf in pieces piece by piece). */
  async hashLeaf<D extends Leaf>(data: D): Promise<{ data: D; digest: Uint8Array }> {
    if (data.length > LEAF_SIZE) return { data, digest: leafDigest(data) }; // not a leaf: no slot fits it
    this.start();
    while (this.pending.length >= SLOTS && !this.failure) await new Promise<void>((wake) => this.waitingForSlot.push(wake));
    if (this.failure) throw this.failure;
    const slot = (this.posted >>> 0) % SLOTS;
    const target = new Uint8Array(this.data, slot * LEAF_SIZE, data.length);
    const leaf: Leaf = data;
    let at = 0;
    for (const piece of leaf instanceof Uint8Array ? [leaf] : leaf) {
      target.set(piece, at);
      at += piece.length;
    }
    this.lengths[slot] = data.length;
    const result = new Promise<{ data: D; digest: Uint8Array }>((resolve, reject) => this.pending.push({ data, resolve: resolve as Pending["resolve"], reject }));
    this.posted = (this.posted + 1) | 0;
    Atomics.store(this.control, POSTED, this.posted);
    Atomics.notify(this.control, POSTED);
    void this.collect();
    return result;
  }

  /** Hands out digests as the worker publishes them, in posting order, until nothing is pending. */
  private async collect(): Promise<void> {
    if (this.collecting) return;
    this.collecting = true;
    this.worker?.ref(); // a leaf in the ring keeps the process alive until it is hashed
    try {
      while (this.pending.length > 0) {
        const hashed = Atomics.load(this.control, HASHED);
        let collected = (this.posted - this.pending.length) | 0;
        if (hashed === collected) {
          const wait = Atomics.waitAsync(this.control, HASHED, hashed);
          if (wait.async) await wait.value;
          continue;
        }
        for (; collected !== hashed; collected = (collected + 1) | 0) {
          const slot = (collected >>> 0) % SLOTS;
          const p = this.pending.shift()!;
          p.resolve({ data: p.data, digest: this.digests.slice(slot * DIGEST, (slot + 1) * DIGEST) });
        }
        for (let free = SLOTS - this.pending.length; free > 0 && this.waitingForSlot.length > 0; free--) this.waitingForSlot.shift()!();
      }
    } finally {
      this.collecting = false;
      this.worker?.unref();
    }
  }
}

let shared: HashPool | undefined;
export function sharedHashPool(): HashPool {
  return (shared ??= new HashPool());
}
