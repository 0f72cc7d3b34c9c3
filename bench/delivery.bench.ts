/**
 * `npm run bench:delivery`: the same blob over (a) a raw libp2p stream (TCP + noise + yamux,
 * no framing, no hashing, no payment) and (b) a full paid, verified fetch (serve commitment,
 * content record, leaf hashes, per-leaf SHA-256 verification, vouchers signed, fsync'd by the
 * client and verified + fsync'd by the node), side by side in one run. The node agent and the
 * raw server each run in their own process (as `cdn-node start` would); the client runs here.
 *
 * Env: BENCH_MIB (blob size, default 256), BENCH_RUNS (measured runs of each, default 3).
 * Prints MB/s for each (best and median), the ratio, time to first verified byte, vouchers/s.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createReadStream, statSync } from "node:fs";
import path from "node:path";
import { JsonRpcProvider, Wallet } from "ethers";
import { multiaddr } from "@multiformats/multiaddr";
import type { Stream } from "@libp2p/interface";
import { startDevnet, stopProcess, ROOT } from "../test/helpers/processes.js";
import { freePort, randomFile, tmpDir } from "../test/e2e/delivery-fixture.js";
import { NODE_CLI, devKey, recognizeOrigin, runCli, startNodeProcess, writeNodeConfig } from "../test/e2e/delivery-processes.js";
import { connectContracts } from "../agents/chain/contracts.js";
import { readDeployment } from "../agents/chain/deployment.js";
import { createHost } from "../agents/runtime/host.js";
import { identityFromSecret } from "../agents/runtime/keys.js";
import { ClientStore } from "../agents/client/store.js";
import { createClient } from "../agents/client/client.js";
import { clientChainView } from "../agents/client/chain.js";
import { randomBytes } from "node:crypto";

const RAW_PROTOCOL = "/bench/raw/1.0.0";

async function rawServer(file: string, port: number): Promise<void> {
  const identity = identityFromSecret(randomBytes(32));
  const host = await createHost({ privateKey: identity.privateKey, listen: [`/ip4/127.0.0.1/tcp/${port}`], allow: ["/ip4/127.0.0.1"] });
  await host.handle(RAW_PROTOCOL, async (stream: Stream) => {
    for await (const piece of createReadStream(file, { highWaterMark: 256 * 1024 })) {
      if (!stream.send(piece as Buffer)) await stream.onDrain();
    }
    await stream.close();
  });
  console.log(JSON.stringify({ ready: true, addr: `/ip4/127.0.0.1/tcp/${port}/p2p/${host.peerId}` }));
  process.once("SIGTERM", () => void Promise.resolve(host.stop()).then(() => process.exit(0)));
}

function spawnRawServer(file: string, port: number): Promise<{ child: ChildProcess; addr: string }> {
  const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", "--import", "tsx", path.join(ROOT, "bench/delivery.bench.ts"), "--raw-server", file, String(port)], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
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

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);

async function main(): Promise<void> {
  const mib = Number(process.env.BENCH_MIB ?? 256);
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  console.log(`delivery benchmark: ${mib} MiB blob, ${runs} runs each; starting the devnet…`);
  const devnet = await startDevnet();
  const children: ChildProcess[] = [];
  const provider = new JsonRpcProvider(devnet.rpcUrl);
  try {
    const env = { ...devnet.env };
    const dir = tmpDir("cdn-bench-");
    const { file } = randomFile(dir, mib * 1024 * 1024);
    const size = statSync(file).size;
    const dataDir = path.join(dir, "node");
    writeNodeConfig(dataDir, await freePort(), { pricePerGiB: "10000", logLevel: "info" });
    const args = ["--data-dir", dataDir];
    const nodeSecret = devKey(7);
    for (const a of [["init", "--import", nodeSecret], ["register"]]) {
      const r = await runCli(NODE_CLI, [...args, ...a], env);
      if (r.code !== 0) throw new Error(r.stderr);
    }
    const deployment = readDeployment(31337, devnet.deploymentsDir);
    const contractsRead = connectContracts(deployment, provider);
    const nodeId = await contractsRead.registry.nodeIdOf(new Wallet(nodeSecret).address);
    await recognizeOrigin(provider, deployment, nodeId, new Wallet(nodeSecret).address);
    const published = await runCli(NODE_CLI, [...args, "publish", file], env, 600_000);
    if (published.code !== 0) throw new Error(published.stderr);
    const blobId = /^(0x[0-9a-f]{64})/m.exec(published.stdout)![1];
    // BENCH_PROFILE=<dir>: CPU profile of the node agent's process
    const node = await startNodeProcess(args, env, process.env.BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []);
    children.push(node.child);
    const raw = await spawnRawServer(file, await freePort());
    children.push(raw.child);

    const identity = identityFromSecret(devKey(8));
    const contracts = connectContracts(deployment, new Wallet(identity.wallet.privateKey, provider));
    const host = await createHost({ privateKey: identity.privateKey, listen: [], allow: ["/ip4/127.0.0.1"] });
    let vouchers = 0;
    class CountingStore extends ClientStore {
      override recordSigned(channelId: string, amount: bigint, signature: Uint8Array): void {
        vouchers++;
        super.recordSigned(channelId, amount, signature);
      }
    }
    const store = new CountingStore(path.join(dir, "client.db"));
    const client = createClient({ hashInWorker: process.env.BENCH_HASH_WORKER === "1" }, { host, identity, chain: clientChainView(contracts), contracts, store });
    // warm-up: opens the channel, connects
    for await (const _ of client.fetch(blobId, { range: { offset: 0, length: 1 } }));

    const cpu = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000; // ms
    const rawRun = async () => {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const stream = await host.dialProtocol(multiaddr(raw.addr), RAW_PROTOCOL);
      let n = 0;
      let first = 0;
      for await (const piece of stream) {
        if (n === 0) first = performance.now() - t0;
        n += piece.byteLength;
      }
      if (n !== size) throw new Error(`raw: got ${n} of ${size} bytes`);
      const ms = performance.now() - t0;
      return { ms, ttfb: first, cpu: cpu(process.cpuUsage(c0)) / ms };
    };
    const paidRun = async () => {
      const v0 = vouchers;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      let n = 0;
      let first = 0;
      for await (const piece of client.fetch(blobId)) {
        if (n === 0) first = performance.now() - t0;
        n += piece.byteLength;
      }
      if (n !== size) throw new Error(`paid: got ${n} of ${size} bytes`);
      const ms = performance.now() - t0;
      return { ms, ttfb: first, vouchers: vouchers - v0, cpu: cpu(process.cpuUsage(c0)) / ms };
    };
    const rawResults: { ms: number; ttfb: number; cpu: number }[] = [];
    const paidResults: { ms: number; ttfb: number; vouchers: number; cpu: number }[] = [];
    const streaming = (r: { ms: number; ttfb: number }) => mbps(size, r.ms - r.ttfb);
    for (let i = 0; i < runs; i++) {
      rawResults.push(await rawRun());
      paidResults.push(await paidRun());
      process.stdout.write(`  run ${i + 1}: raw ${mbps(size, rawResults[i].ms).toFixed(0)} MB/s, paid ${mbps(size, paidResults[i].ms).toFixed(0)} MB/s\n`);
    }
    const rawBest = Math.max(...rawResults.map((r) => mbps(size, r.ms)));
    const paidBest = Math.max(...paidResults.map((r) => mbps(size, r.ms)));
    const rawMed = median(rawResults.map((r) => mbps(size, r.ms)));
    const paidMed = median(paidResults.map((r) => mbps(size, r.ms)));
    const vps = median(paidResults.map((r) => r.vouchers / (r.ms / 1000)));
    console.log("");
    console.log(`| measure (${mib} MiB blob, loopback, 2 processes) | raw libp2p stream | paid, verified fetch |`);
    console.log("|---|---|---|");
    console.log(`| throughput, best of ${runs} | ${rawBest.toFixed(0)} MB/s | ${paidBest.toFixed(0)} MB/s |`);
    console.log(`| throughput, median | ${rawMed.toFixed(0)} MB/s | ${paidMed.toFixed(0)} MB/s |`);
    console.log(`| paid / raw (median) | | ${((paidMed / rawMed) * 100).toFixed(0)} % (target ≥ 70 %, goal 90 %) |`);
    const rawStream = median(rawResults.map(streaming));
    const paidStream = median(paidResults.map(streaming));
    console.log(`| streaming only, after the first byte (median) | ${rawStream.toFixed(0)} MB/s | ${paidStream.toFixed(0)} MB/s (${((paidStream / rawStream) * 100).toFixed(0)} %) |`);
    console.log(`| time to first byte (median; paid: verified, incl. probe, chain reads, commitment check) | ${median(rawResults.map((r) => r.ttfb)).toFixed(1)} ms | ${median(paidResults.map((r) => r.ttfb)).toFixed(1)} ms |`);
    console.log(`| client process CPU (median, 100 % = one core) | ${(median(rawResults.map((r) => r.cpu)) * 100).toFixed(0)} % | ${(median(paidResults.map((r) => r.cpu)) * 100).toFixed(0)} % |`);
    console.log(`| vouchers per second (median) | | ${vps.toFixed(0)} (${median(paidResults.map((r) => r.vouchers))} per run) |`);
    for (const line of node.output().split("\n").filter((l) => l.includes('"fetch served"')).slice(-runs)) {
      const { bytes, creditWaits, creditWaitMs } = JSON.parse(line) as { bytes: number; creditWaits: number; creditWaitMs: number };
      console.log(`node: served ${bytes} bytes, waited for a voucher ${creditWaits} times, ${creditWaitMs} ms in all`);
    }
    await host.stop();
    store.close();
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
