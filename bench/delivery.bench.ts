/**
 * `npm run bench:delivery`: the same blob over (a) a raw stream and (b) a full paid, verified fetch
 * (serve commitment, content record, leaf hashes, per-leaf SHA-256 verification, vouchers signed,
 * fsync'd by the client and verified + fsync'd by the node), side by side in one run. The node
 * agent and the raw server each run in their own process (as `cdn-node start` would); the client
 * runs here.
 *
 * The raw column is the paid path without its protocol work, so it is an upper bound of the paid
 * figure: the same libp2p host (`createHost`: TCP + noise + yamux, the same limits), the same fetch
 * stream setup (the fetch protocol id itself, so the stream opens eagerly with the same receive window; `FramedStream` on both sides with the fetch
 * protocol's frame caps), the same write pattern (one `chunkFrame` per 256-KiB leaf, read from disk
 * with the node's `ReadAhead`, sent with back-pressure), the same decoding on the client
 * (`decodeFetchServerFrame`: a leaf kept in the pieces it arrived in). It leaves out the header, hashing, vouchers, sqlite and the credit
 * window. A second raw column hashes every leaf as the paid client does (SHA-256 of 0x00 ‖ leaf,
 * node:crypto), so the gap between the raw and the paid column splits into what verification costs
 * and what payment costs. One warm-up round of every column runs first and is not counted; the
 * columns' order rotates from round to round so load drifts hit all of them alike.
 *
 * Besides throughput, the table gives each column's CPU time per MB: the client's main thread (the
 * one every verified byte crosses), the client process, the serving process, and both processes.
 * Client and server share this machine's cores: once both are busy the columns' throughputs stand
 * roughly in the inverse ratio of their CPU per MB, whatever the protocol's waits (docs/delivery.md §8).
 *
 * The node declares a capacity far above what this machine carries (BENCH_CAPACITY_MBPS, default
 * 8,000 Mbps = 1,000 MB/s; printed), so the figure is the protocol's, not the node's capacity
 * limiter's. `--fanout` (or BENCH_FANOUT=1) adds a third column: the same paid fetch through a
 * cache node whose cache is too small to keep the blob, so every round is a cut-through fan-out
 * to the origin. `--pin` (or BENCH_PIN=1) binds the client to core 0 and the serving processes to
 * core 1 (taskset): one core per side, as a client and a node on two machines, instead of two
 * processes competing for both cores.
 *
 * Env: BENCH_MIB (blob size, default 256), BENCH_RUNS (measured rounds, default 5, at least 5 for
 * the summary), BENCH_SETTLE_MS (pause before each fetch, default 500: without it a fetch's first
 * byte measures the previous column's 256 MiB aftermath, e.g. a paid first byte of 12–14 ms after a
 * paid round but 29–67 ms right after a raw one; 0 runs the columns back to back),
 * BENCH_HASH_WORKER=1 (client hashes on a worker), BENCH_PROFILE=<dir> (CPU profiles
 * of the node processes), BENCH_COLUMNS=raw,paid (only these columns, e.g. to profile one alone; the
 * summary lines need raw first). Prints the configuration, a table and one grep-able summary line per mode:
 *   paid/raw median NN % · paid median NNN MB/s · first byte paid NN ms vs raw NN ms
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { statSync } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import { JsonRpcProvider, Wallet } from "ethers";
import { multiaddr } from "@multiformats/multiaddr";
import type { Stream } from "@libp2p/interface";
import { startDevnet, stopProcess, ROOT } from "../test/helpers/processes.js";
import { freePort, randomFile } from "../test/e2e/delivery-fixture.js";
import { NODE_CLI, devKey, recognizeOrigin, runCli, startNodeProcess, writeNodeConfig } from "../test/e2e/delivery-processes.js";
import { connectContracts } from "../agents/chain/contracts.js";
import { readDeployment } from "../agents/chain/deployment.js";
import { createHost, STREAM_WINDOW_BYTES } from "../agents/runtime/host.js";
import { MAX_DATA_FRAME_BYTES } from "../agents/runtime/yamux-flow.js";
import { defaultReadAhead, FramedStream } from "../agents/runtime/framed.js";
import { identityFromSecret } from "../agents/runtime/keys.js";
import { ClientStore } from "../agents/client/store.js";
import { createClient } from "../agents/client/client.js";
import { clientChainView } from "../agents/client/chain.js";
import { LEAF_SIZE } from "../agents/protocol/constants.js";
import { DEFAULT_CREDIT, MIB, PAY_MARGIN_BYTES_PER_MS, payCadence } from "../agents/protocol/credit.js";
import { leafCount, leafLength } from "../agents/protocol/merkle.js";
import { leafDigest } from "../agents/protocol/verifier.js";
import { encodeFetchClientMessage, FRAME_CAPS } from "../agents/protocol/wire/messages.js";
import { chunkFrame, decodeFetchServerFrame } from "../agents/protocol/wire/chunk-frame.js";
import { FETCH_LIMITS, PROTOCOL_FETCH, READ_AHEAD } from "../agents/node/fetch/constants.js";
import { ReadAhead } from "../agents/node/fetch/stream.js";
import { MAX_BUFFERED_BYTES } from "../agents/client/download.js";
import { randomBytes } from "node:crypto";
import { CountingProvider } from "./counting-provider.js";
import { cpuSeconds, mainThreadCpuSeconds, rssMiB } from "./proc-stats.js";
import { availableParallelism, loadavg } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { tmpDir } from "../test/helpers/tmp.js";

/** Binds every thread of process `pid` to core `cpu` (util-linux taskset; its threads started later inherit it). */
function pinTo(cpu: number, pid: number | undefined): void {
  try {
    execFileSync("taskset", ["-a", "-p", "-c", String(cpu), String(pid)], { stdio: "ignore" });
  } catch (cause) {
    throw new Error(`--pin: taskset could not bind process ${pid} to core ${cpu} (is util-linux installed?)`, { cause });
  }
}

/** The raw server answers on the fetch protocol's id: its streams get the same settings (opened eagerly, the same receive window; agents/runtime/host.ts EAGER_PROTOCOLS). */
const RAW_PROTOCOL = PROTOCOL_FETCH;
const NO_CHANNEL = "0x" + "00".repeat(32);

/** The raw server: the node's write pattern (read-ahead leaves, one chunk frame each, back-pressure) without any protocol work. */
async function rawServer(file: string, port: number): Promise<void> {
  const identity = identityFromSecret(randomBytes(32));
  const host = await createHost({ privateKey: identity.privateKey, listen: [`/ip4/127.0.0.1/tcp/${port}`], allow: ["/ip4/127.0.0.1"] });
  const size = statSync(file).size;
  const handle = await open(file, "r");
  const readLeaf = async (i: number) => {
    const out = new Uint8Array(leafLength(size, i));
    await handle.read(out, 0, out.length, i * LEAF_SIZE);
    return out;
  };
  await host.handle(RAW_PROTOCOL, async (stream: Stream) => {
    // the node's idle limit; no first-frame limit of its own (the baseline must not be what fails on a loaded machine)
    const framed = new FramedStream(stream, { readCap: FRAME_CAPS.FetchClientMessage, idleTimeoutMs: FETCH_LIMITS.idleTimeoutMs });
    try {
      await framed.read(); // the request
      const reads = new ReadAhead({ readLeaf }, 0, leafCount(size));
      for (let i = 0; i < leafCount(size); i++) await framed.writeFramed(chunkFrame(i, await reads.next()));
      await framed.close();
    } catch (error) {
      console.error(`raw server: ${(error as Error).message}`);
      framed.abort(error as Error);
    }
  });
  console.log(JSON.stringify({ ready: true, addr: `/ip4/127.0.0.1/tcp/${port}/p2p/${host.peerId}` }));
  process.once("SIGTERM", () => void Promise.resolve(host.stop()).then(() => process.exit(0)));
}

function spawnRawServer(file: string, port: number, nodeFlags: string[]): Promise<{ child: ChildProcess; addr: string }> {
  const child = spawn(process.execPath, [...nodeFlags, "--disable-warning=ExperimentalWarning", "--import", "tsx", path.join(ROOT, "bench/delivery.bench.ts"), "--raw-server", file, String(port)], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d) => {
      out += d;
      const m = /\{"ready":true,"addr":"([^"]+)"\}/.exec(out);
      if (m) resolve({ child, addr: m[1] });
    });
    child.on("exit", (code) => reject(new Error(`raw server exited ${code}`)));
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);
const pct = (share: number | undefined) => (share === undefined || Number.isNaN(share) ? "?" : `${(share * 100).toFixed(0)} %`);

interface Round {
  ms: number;
  ttfb: number;
  cpu: number;
  /** The serving process's CPU over the round (100 % = one core): the raw server, the origin node, or (fan-out) the cache node. */
  serverCpu?: number;
  /** The client's main thread (its event loop) over the round: the thread every paid byte crosses. */
  clientMainCpu?: number;
  /** The serving process's resident memory, the most of its samples every 100 ms over the round (MiB). */
  serverPeakRss?: number;
  vouchers?: number;
  /** Paid rounds: protocol round trips (report.firstByte) and chain JSON-RPC HTTP requests before the first verified byte. */
  roundTrips?: number;
  chainRequests?: number;
}

interface Served {
  bytes: number;
  creditWaits: number;
  creditWaitMs: number;
  channelId: string;
}

/** The "fetch served" lines a node process logged (one per stream). */
const servedLines = (output: string): Served[] =>
  output
    .split("\n")
    .filter((l) => l.includes('"fetch served"'))
    .map((l) => JSON.parse(l) as Served);

async function main(): Promise<void> {
  const mib = Number(process.env.BENCH_MIB ?? 256);
  const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 5));
  const capacityMbps = Number(process.env.BENCH_CAPACITY_MBPS ?? 8000);
  const fanout = process.argv.includes("--fanout") || process.env.BENCH_FANOUT === "1";
  const pinned = process.argv.includes("--pin") || process.env.BENCH_PIN === "1";
  if (pinned && availableParallelism() < 2) throw new Error("--pin needs two cores (one for the client, one for the serving processes)");
  const hashInWorker = process.env.BENCH_HASH_WORKER === "1";
  const settleMs = Math.max(0, Number(process.env.BENCH_SETTLE_MS ?? 500));
  const profile = (name: string) => (process.env.BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`, `--cpu-prof-name=${name}.cpuprofile`] : []);
  console.log(
    `delivery benchmark: ${mib} MiB blob, 1 warm-up round + ${runs} measured rounds (column order rotating, ${settleMs} ms pause before each fetch)${fanout ? ", with a fan-out column (through a cache node)" : ""}; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  console.log(`declared node capacity: ${capacityMbps} Mbps = ${(capacityMbps / 8).toFixed(0)} MB/s (above what this machine carries, so the limiter does not cap the paid figure)`);
  console.log(
    `config: loopback, libp2p TCP + noise + yamux (createHost) for every column (yamux data frames ≤ ${MAX_DATA_FRAME_BYTES} B, stream window ≤ ${STREAM_WINDOW_BYTES / MIB} MiB granted per half window, reader paused past ${(defaultReadAhead(FRAME_CAPS.FetchServerMessage) / MIB).toFixed(2)} MiB unread); chunk = one ${LEAF_SIZE / 1024}-KiB leaf per frame (chunkFrame), ${READ_AHEAD} leaves read ahead, FramedStream with frame cap ${FRAME_CAPS.FetchServerMessage} B; ` +
      `${pinned ? "pinned: the client on core 0, the serving processes on core 1 (one core per side, as on two machines; the chain unpinned)" : "client and serving processes share the cores"}; ` +
      `raw = that stream without header, hashing, vouchers or sqlite; paid: credit window ${DEFAULT_CREDIT.initialWindow / MIB}→${DEFAULT_CREDIT.maxWindow / MIB} MiB, client pays every ${payCadence(0n, 10_000n) / MIB}→${payCadence(10n ** 18n, 10_000n) / MIB} MiB (${payCadence(10n ** 18n, 10_000n, 0) / MIB} MiB on a round trip under ${(DEFAULT_CREDIT.maxWindow / 2 / PAY_MARGIN_BYTES_PER_MS).toFixed(1)} ms), hashing ${hashInWorker ? "on a worker" : "inline"} (SHA-256, node:crypto), client buffer ${MAX_BUFFERED_BYTES / MIB} MiB`,
  );
  const devnet = await startDevnet();
  const children: ChildProcess[] = [];
  const logs: { name: string; output(): string }[] = [];
  const provider = new JsonRpcProvider(devnet.rpcUrl);
  try {
    const env = { ...devnet.env };
    const dir = tmpDir("cdn-bench-");
    const { file } = randomFile(dir, mib * 1024 * 1024);
    const size = statSync(file).size;
    const dataDir = path.join(dir, "node");
    writeNodeConfig(dataDir, await freePort(), { pricePerGiB: "10000", capacityMbps, logLevel: "info" });
    const args = ["--data-dir", dataDir];
    const nodeSecret = devKey(7);
    for (const a of [["init", "--import", nodeSecret], ["register"]]) {
      const r = await runCli(NODE_CLI, [...args, ...a], env);
      if (r.code !== 0) throw new Error(r.stderr);
    }
    const deployment = readDeployment(31337, devnet.deploymentsDir);
    const contractsRead = connectContracts(deployment, provider);
    const nodeKey = new Wallet(nodeSecret).address.toLowerCase();
    const nodeId = await contractsRead.registry.nodeIdOf(nodeKey);
    await recognizeOrigin(provider, deployment, nodeId, new Wallet(nodeSecret).address);
    const published = await runCli(NODE_CLI, [...args, "publish", file], env, 600_000);
    if (published.code !== 0) throw new Error(published.stderr);
    const blobId = /^(0x[0-9a-f]{64})/m.exec(published.stdout)![1];
    const node = await startNodeProcess(args, env, profile("origin"));
    children.push(node.child);
    logs.push({ name: "node", output: node.output });
    let cache: { key: string; output(): string; pid: number | undefined } | undefined;
    if (fanout) {
      // a cache node priced above the origin (the price rule), with a cache smaller than the blob: every round is a miss, cut through
      const cacheDir = path.join(dir, "cache-node");
      writeNodeConfig(cacheDir, await freePort(), { pricePerGiB: "20000", capacityMbps, logLevel: "info", cache: { budgetBytes: 1 << 20 } });
      const cacheSecret = devKey(9);
      for (const a of [["init", "--import", cacheSecret], ["register"]]) {
        const r = await runCli(NODE_CLI, ["--data-dir", cacheDir, ...a], env);
        if (r.code !== 0) throw new Error(r.stderr);
      }
      const cacheNode = await startNodeProcess(["--data-dir", cacheDir], env, profile("cache-node"));
      children.push(cacheNode.child);
      logs.push({ name: "cache node", output: cacheNode.output });
      cache = { key: new Wallet(cacheSecret).address.toLowerCase(), output: cacheNode.output, pid: cacheNode.child.pid };
    }
    const raw = await spawnRawServer(file, await freePort(), profile("raw-server"));
    children.push(raw.child);
    if (pinned) {
      // every thread of the bench (the client) on core 0, of each serving process on core 1
      pinTo(0, process.pid);
      for (const c of children) pinTo(1, c.pid);
    }

    const identity = identityFromSecret(devKey(8));
    // the client's own provider, as `cdn-client` opens it (agents/chain/contracts.ts connectRpc), counting what it sends
    const clientProvider = new CountingProvider(devnet.rpcUrl, { staticNetwork: false, polling: true, pollingInterval: 500, batchStallTime: 0 });
    const contracts = connectContracts(deployment, new Wallet(identity.wallet.privateKey, clientProvider));
    const host = await createHost({ privateKey: identity.privateKey, listen: [], allow: ["/ip4/127.0.0.1"] });
    let vouchers = 0;
    class CountingStore extends ClientStore {
      override recordSigned(...args: Parameters<ClientStore["recordSigned"]>): void {
        vouchers++;
        super.recordSigned(...args);
      }
    }
    const store = new CountingStore(path.join(dir, "client.db"));
    const client = createClient({ hashInWorker }, { host, identity, chain: clientChainView(contracts), contracts, store });

    const cpu = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000; // ms
    const rawRun = async (hash = false): Promise<Round> => {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      // the paid session's stream setup: dial (reused connection), protocol id sent with the request, framed both ways
      const connection = await host.dial(multiaddr(raw.addr));
      const stream = await connection.newStream(RAW_PROTOCOL);
      const framed = new FramedStream(stream, { readCap: FRAME_CAPS.FetchServerMessage, idleTimeoutMs: 30_000 });
      await framed.write(encodeFetchClientMessage({ kind: "request", request: { blobId, channelId: NO_CHANNEL, offset: 0, length: 0 } }));
      let n = 0;
      let first = 0;
      // decoded as the paid client decodes chunks: a leaf stays in the pieces it arrived in
      for (let body = await framed.readPieces(); body; body = await framed.readPieces()) {
        const msg = decodeFetchServerFrame(body);
        if (msg.kind !== "chunk") throw new Error(`raw: unexpected ${msg.kind}`);
        if (n === 0) first = performance.now() - t0;
        if (hash) leafDigest(msg.chunk.data);
        n += msg.chunk.data.byteLength;
      }
      await framed.close();
      if (n !== size) throw new Error(`raw: got ${n} of ${size} bytes`);
      const ms = performance.now() - t0;
      return { ms, ttfb: first, cpu: cpu(process.cpuUsage(c0)) / ms };
    };
    const paidRun = async (via?: string): Promise<Round> => {
      const v0 = vouchers;
      const c0 = process.cpuUsage();
      const r0 = clientProvider.requests;
      let chainRequests = 0;
      const t0 = performance.now();
      let n = 0;
      let first = 0;
      const it = client.fetch(blobId, via ? { via: [via] } : {});
      for await (const piece of it) {
        if (n === 0) {
          first = performance.now() - t0;
          chainRequests = clientProvider.requests - r0;
        }
        n += piece.byteLength;
      }
      if (n !== size) throw new Error(`paid: got ${n} of ${size} bytes`);
      const ms = performance.now() - t0;
      const roundTrips = (await it.report).firstByte?.roundTrips;
      return { ms, ttfb: first, vouchers: vouchers - v0, cpu: cpu(process.cpuUsage(c0)) / ms, roundTrips, chainRequests };
    };
    // each column's serving process, whose CPU over the round is reported next to the client's
    const withServerCpu = (pid: number | undefined, run: () => Promise<Round>) => async (): Promise<Round> => {
      const s0 = cpuSeconds(pid);
      const m0 = mainThreadCpuSeconds(process.pid);
      const t0 = performance.now();
      let serverPeakRss = rssMiB(pid) ?? NaN;
      const sampler = setInterval(() => (serverPeakRss = Math.max(serverPeakRss, rssMiB(pid) ?? NaN)), 100);
      const round = await run().finally(() => clearInterval(sampler));
      const s1 = cpuSeconds(pid);
      const m1 = mainThreadCpuSeconds(process.pid);
      const share = (a?: number, b?: number) => (a === undefined || b === undefined ? undefined : ((b - a) * 1000) / (performance.now() - t0));
      return { ...round, serverCpu: share(s0, s1), clientMainCpu: share(m0, m1), serverPeakRss };
    };
    const allColumns: { name: string; short: string; run(): Promise<Round>; rounds: Round[] }[] = [
      { name: "raw stream (same transport and chunk frames)", short: "raw", run: withServerCpu(raw.child.pid, () => rawRun()), rounds: [] },
      // the share of the paid column's cost that is verification, not payment
      { name: "raw stream, each leaf hashed (SHA-256, as the paid client verifies)", short: "raw+hash", run: withServerCpu(raw.child.pid, () => rawRun(true)), rounds: [] },
      { name: "paid, verified fetch", short: "paid", run: withServerCpu(node.child.pid, () => paidRun()), rounds: [] },
      ...(cache ? [{ name: "paid, through a cache node (fan-out)", short: "fan-out", run: withServerCpu(cache.pid, () => paidRun(cache.key)), rounds: [] }] : []),
    ];
    // BENCH_COLUMNS=paid (or raw,paid, …): only these columns, e.g. to profile one path alone; the summary needs raw
    const only = process.env.BENCH_COLUMNS?.split(",").map((c) => c.trim());
    const columns = only ? allColumns.filter((c) => only.includes(c.short)) : allColumns;
    if (columns.length === 0) throw new Error(`BENCH_COLUMNS names none of ${allColumns.map((c) => c.short).join(", ")}`);
    // warm-up, not counted: opens the channels (client → node, and client → cache node → origin) and the connections, warms the JIT and the page cache
    const warm: { c: (typeof columns)[number]; r: Round }[] = [];
    for (const c of columns) warm.push({ c, r: await c.run() });
    process.stdout.write(`  warm-up (not counted): ${warm.map(({ c, r }) => `${c.short} ${mbps(size, r.ms).toFixed(0)} MB/s`).join(", ")}\n`);
    // the nodes log a stream once its last voucher arrived: wait for the warm-up's lines (origin: direct and upstream; cache node: downstream)
    const expected = { origin: cache ? 2 : 1, cache: cache ? 1 : 0 };
    const logged = async (origin: number, cached: number) => {
      for (let t = 0; t < 100 && (servedLines(node.output()).length < origin || (cache && servedLines(cache.output()).length < cached)); t++) await sleep(50);
    };
    await logged(expected.origin, expected.cache);
    const servedBefore = { origin: servedLines(node.output()).length, cache: cache ? servedLines(cache.output()).length : 0 };
    for (let i = 0; i < runs; i++) {
      // rotate the order so each column runs first, middle and last alike
      const order = columns.map((_, k) => columns[(k + i) % columns.length]);
      for (const c of order) {
        await sleep(settleMs);
        c.rounds.push(await c.run());
      }
      process.stdout.write(
        `  round ${i + 1} (${order.map((c) => c.short).join(" → ")}): ${columns.map((c) => `${c.short} ${mbps(size, c.rounds[i].ms).toFixed(0)} MB/s`).join(", ")}; first byte ${columns.map((c) => `${c.short} ${c.rounds[i].ttfb.toFixed(1)} ms`).join(", ")}; CPU client/server ${columns.map((c) => `${c.short} ${pct(c.rounds[i].cpu)}/${pct(c.rounds[i].serverCpu)}`).join(", ")} (load ${loadavg()[0].toFixed(2)})\n`,
      );
    }
    const med = (c: { rounds: Round[] }, f: (r: Round) => number) => median(c.rounds.map(f));
    const whole = (r: Round) => mbps(size, r.ms);
    const streaming = (r: Round) => mbps(size, r.ms - r.ttfb);
    const rawMed = med(columns[0], whole);
    console.log("");
    console.log(`| measure (${mib} MiB blob, loopback, median of ${runs}) | ${columns.map((c) => c.name).join(" | ")} |`);
    console.log(`|---|${columns.map(() => "---").join("|")}|`);
    const row = (label: string, f: (c: { short: string; rounds: Round[] }, i: number) => string) => console.log(`| ${label} | ${columns.map(f).join(" | ")} |`);
    row(`throughput, best of ${runs}`, (c) => `${Math.max(...c.rounds.map(whole)).toFixed(0)} MB/s`);
    row("throughput, median", (c) => `${med(c, whole).toFixed(0)} MB/s`);
    row("/ raw (median of medians)", (c, i) => (i === 0 ? "" : `${((med(c, whole) / rawMed) * 100).toFixed(0)} %`));
    row("/ raw of the same round (median)", (c, i) => (i === 0 ? "" : `${(median(c.rounds.map((r, k) => r.ms && columns[0].rounds[k].ms / r.ms)) * 100).toFixed(0)} %`));
    row("streaming only, after the first byte", (c) => `${med(c, streaming).toFixed(0)} MB/s`);
    row("time to first byte (paid: verified, incl. probe, chain reads, commitment check)", (c) => `${med(c, (r) => r.ttfb).toFixed(1)} ms`);
    row("client process CPU (100 % = one core)", (c) => `${(med(c, (r) => r.cpu) * 100).toFixed(0)} %`);
    row("serving process CPU (raw server, origin node, cache node)", (c) => `${pct(med(c, (r) => r.serverCpu ?? NaN))}`);
    // CPU time per MB moved: on one 2-core machine the two processes share the cores, so the columns' ratio follows these sums once both are busy
    const perMB = (share: (r: Round) => number | undefined) => (c: { rounds: Round[] }) => `${med(c, (r) => ((share(r) ?? NaN) * r.ms) / (size / 1e6)).toFixed(2)}`;
    row("CPU per MB (ms): client main thread / client process / serving process / both processes", (c) =>
      [perMB((r) => r.clientMainCpu), perMB((r) => r.cpu), perMB((r) => r.serverCpu), perMB((r) => r.cpu + (r.serverCpu ?? NaN))].map((f) => f(c)).join(" / "),
    );
    row("serving process resident memory, peak over the round (MiB)", (c) => `${med(c, (r) => r.serverPeakRss ?? NaN).toFixed(0)}`);
    row("protocol round trips / chain JSON-RPC requests before the first byte (median)", (c) =>
      c.short.startsWith("raw") ? "" : `${med(c, (r) => r.roundTrips!)} / ${med(c, (r) => r.chainRequests!)}`,
    );
    row("vouchers per second (per round)", (c) => (c.short.startsWith("raw") ? "" : `${med(c, (r) => r.vouchers! / (r.ms / 1000)).toFixed(0)} (${med(c, (r) => r.vouchers!)})`));
    // the measured rounds' streams: the origin's to the bench's client (direct) or to the cache node (its upstream fetch), the cache node's to the client
    await logged(servedBefore.origin + runs * expected.origin, servedBefore.cache + runs * expected.cache);
    const direct = new Set(store.channelsFor(nodeKey).map((c) => c.channelId.toLowerCase()));
    const streams = [
      ...servedLines(node.output())
        .slice(servedBefore.origin)
        .map((l) => ({ ...l, label: direct.has(l.channelId.toLowerCase()) ? "origin → client (paid)" : "origin → cache node (fan-out upstream)" })),
      ...(cache
        ? servedLines(cache.output())
            .slice(servedBefore.cache)
            .map((l) => ({ ...l, label: "cache node → client (fan-out downstream)" }))
        : []),
    ].filter((l) => l.bytes === size);
    console.log("");
    for (const label of [...new Set(streams.map((l) => l.label))]) {
      const of = streams.filter((l) => l.label === label);
      console.log(`${label}: waited for a voucher ${of.map((l) => l.creditWaits).join(", ")} times per ${mib} MiB, ${of.map((l) => l.creditWaitMs).join(", ")} ms in all`);
    }
    const rawTtfb = med(columns[0], (r) => r.ttfb);
    console.log("");
    if (rawMed > (capacityMbps / 8) * 0.8) console.log(`warning: raw ${rawMed.toFixed(0)} MB/s is close to the declared capacity; raise BENCH_CAPACITY_MBPS`);
    for (const [label, c] of [
      ["paid", columns[0].short === "raw" ? columns.find((c) => c.short === "paid") : undefined],
      ["fan-out", columns[0].short === "raw" ? columns.find((c) => c.short === "fan-out") : undefined],
    ] as const) {
      if (!c) continue;
      console.log(
        `${label}/raw median ${((med(c, whole) / rawMed) * 100).toFixed(0)} % · ${label} median ${med(c, whole).toFixed(0)} MB/s · first byte ${label} ${med(c, (r) => r.ttfb).toFixed(0)} ms vs raw ${rawTtfb.toFixed(0)} ms`,
      );
    }
    await host.stop();
    store.close();
    clientProvider.destroy();
  } catch (error) {
    for (const l of logs) console.error(`--- ${l.name} (last lines)\n${l.output().split("\n").slice(-15).join("\n")}`);
    throw error;
  } finally {
    for (const c of children) await stopProcess(c);
    provider.destroy();
    await devnet.stop();
  }
}

if (process.argv[2] === "--raw-server") {
  await rawServer(process.argv[3], Number(process.argv[4]));
} else {
  await main();
}
