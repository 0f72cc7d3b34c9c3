/**
 * `node --import tsx bench/warm-steps.bench.ts`: the steps of a warm first byte that changed on
 * 2026-11-30 (docs/mesh.md, "A warm hit through a cache node, step by step"), each A/B in one
 * process, interleaved, BENCH_ROUNDS rounds (default 200); p50 / p90 in ms:
 *  - the request's arrival at the listener: `newStream` then a write, against the request sent with
 *    the protocol id (`firstBytes`); and the connection: libp2p's `dial` of a connected peer against
 *    the open connection looked up;
 *  - a cache node's first four leaves of a stream: the cache's own `read` per leaf against the fetch
 *    path's cached source (one open file per stream), and the index's LRU stamp committed with and
 *    without its own fsync (the old `read` stamped with one per leaf).
 * Light (two hosts on loopback, a temporary cache): no chain, no node processes.
 */
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import type { Libp2p } from "@libp2p/interface";
import { createHost } from "../agents/runtime/host.js";
import { identityFromSecret } from "../agents/runtime/keys.js";
import type { EagerStreamOptions } from "../agents/runtime/eager-streams.js";
import { withoutFsync } from "../agents/runtime/sqlite.js";
import { PROTOCOL_FETCH, LEAF_SIZE } from "../agents/protocol/constants.js";
import { computeBlobId, leafLength } from "../agents/protocol/merkle.js";
import { toHex } from "../agents/protocol/bytes.js";
import { BlobCache } from "../agents/node/cache/index.js";
import { encodeRecordMeta } from "../agents/node/fanout.js";
import { localSource } from "../agents/node/fetch/source.js";
import { tmpDir } from "../test/helpers/tmp.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor(p * (xs.length - 1))].toFixed(3);
const row = (name: string, xs: number[]) => console.log(`| ${name.padEnd(72)} | ${q(xs, 0.5).padStart(7)} | ${q(xs, 0.9).padStart(7)} |`);

async function requestArrival(): Promise<void> {
  const host = (listen: string[]) => createHost({ privateKey: identityFromSecret(new Uint8Array(randomBytes(32))).privateKey, listen, allow: ["/ip4/127.0.0.1"] }) as unknown as Promise<Libp2p>;
  const listener = await host(["/ip4/127.0.0.1/tcp/0"]);
  const dialler = await host([]);
  let arrived: (() => void) | undefined;
  await listener.handle(
    PROTOCOL_FETCH,
    async (stream) => {
      for await (const _ of stream) {
        arrived?.();
        break;
      }
      stream.abort(new Error("done"));
    },
    { maxInboundStreams: 1024 },
  );
  await dialler.dial(listener.getMultiaddrs());
  const request = new Uint8Array(100);
  const t = { write: [] as number[], first: [] as number[], dial: [] as number[], lookup: [] as number[] };
  for (let i = 0; i < ROUNDS; i++) {
    for (const early of i % 2 === 0 ? [false, true] : [true, false]) {
      const got = new Promise<void>((r) => (arrived = r));
      let started = performance.now();
      const connection = early ? dialler.getConnections(listener.peerId).find((c) => c.status === "open")! : await dialler.dial(listener.getMultiaddrs());
      (early ? t.lookup : t.dial).push(performance.now() - started);
      started = performance.now();
      const options: EagerStreamOptions & { signal: AbortSignal } = { signal: AbortSignal.timeout(10_000), firstBytes: early ? request : undefined };
      const stream = await connection.newStream(PROTOCOL_FETCH, options);
      if (!early) stream.send(request);
      await got;
      (early ? t.first : t.write).push(performance.now() - started);
      stream.abort(new Error("done"));
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  row("connection: libp2p dial of a connected peer", t.dial);
  row("connection: the open connection looked up (getConnections)", t.lookup);
  row("request at the listener: newStream, then the request written", t.write);
  row("request at the listener: the request sent with the protocol id", t.first);
  await dialler.stop();
  await listener.stop();
}

async function cacheReads(): Promise<void> {
  const dir = tmpDir("cdn-warm-steps-");
  const db = new DatabaseSync(path.join(dir, "state.db"));
  db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL");
  const cache = new BlobCache({ dir: path.join(dir, "cache"), budgetBytes: 64 * LEAF_SIZE }, { db });
  const data = new Uint8Array(randomBytes(16 * LEAF_SIZE));
  const blobId = toHex(computeBlobId(data));
  const record = { value: { blobId, size: BigInt(data.length), origin: 1n, epoch: 0n, timestamp: 1n }, signature: new Uint8Array(65) };
  await cache.put(blobId, data, { meta: encodeRecordMeta(record) });
  const deps = { backend: {} as never, isOrigin: () => false, cache };
  const stamp = db.prepare("UPDATE cache_blobs SET last_used = last_used + 1 WHERE blob_id = ?");
  const t = { perLeaf: [] as number[], source: [] as number[], fsync: [] as number[], noFsync: [] as number[] };
  for (let i = 0; i < ROUNDS; i++) {
    let started = performance.now();
    for (let leaf = 0; leaf < 4; leaf++) cache.read(blobId, leaf * LEAF_SIZE, leafLength(data.length, leaf));
    t.perLeaf.push(performance.now() - started);
    started = performance.now();
    const source = localSource(deps, blobId)!;
    await Promise.all([0, 1, 2, 3].map((leaf) => source.readLeaf(leaf)));
    t.source.push(performance.now() - started);
    await source.close?.();
    started = performance.now();
    stamp.run(blobId);
    t.fsync.push(performance.now() - started);
    started = performance.now();
    withoutFsync(db, () => stamp.run(blobId));
    t.noFsync.push(performance.now() - started);
  }
  row("4 leaves: the cache's read per leaf (a file open and an index stamp each)", t.perLeaf);
  row("4 leaves: the cached source (one open file, one stamp)", t.source);
  row("one LRU stamp committed with its fsync (synchronous=FULL)", t.fsync);
  row("one LRU stamp committed without (withoutFsync)", t.noFsync);
  db.close();
}

async function main(): Promise<void> {
  console.log(
    `warm first-byte steps, A/B interleaved, ${ROUNDS} rounds; load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  console.log(`| ${"step".padEnd(72)} | p50 ms  | p90 ms  |`);
  await requestArrival();
  await cacheReads();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
