/**
 * `npm run bench:mesh-ttfb`: time to first verified byte through a cache node, for a cold miss
 * (the cache node fetches the blob upstream from the origin, paying it, and cuts through) and a
 * warm hit (served from its cache). Real processes: the devnet chain, one origin and
 * BENCH_CACHE_NODES cache nodes (`cdn-node start`, default 4, two regions); the client runs here
 * with the client-mode mesh (DHT after a probe miss).
 *
 * Channels are opened beforehand (client → every cache node, every cache node → origin, with one
 * throwaway blob each) so the figures are the data path, not a channel-opening transaction.
 * Env: BENCH_CACHE_NODES (default 4) or BENCH_NODES (origin included: BENCH_NODES=20 is 19 cache
 * nodes), BENCH_BLOBS (measured blobs, default 8), BENCH_KIB (blob size, default 4096). The devnet
 * funds keys #0-#9; keys beyond those get ETH (hardhat_setBalance) and USDC (TestUSDC.mint) here.
 * The nodes run with their own default polling (closes follower, chain view); BENCH_NODE_POLL_MS sets
 * their closes follower's poll (the bench used 200 ms, the e2e tests' setting, until 2026-11-30).
 *
 * Idle work: once every node has started, for BENCH_IDLE_S (default 10 s) before the first fetch,
 * each node's CPU time (all its threads) and main-thread wakeups (bench/proc-stats.ts), and the
 * chain's CPU time (the devnet's processes), as a rate per minute; then every node's CPU time
 * during the measured fetches.
 *
 * Latency mode: BENCH_RTT_MS=20,80 puts a delaying TCP relay (bench/delay-relay.ts) in front of
 * every node (its registered address is the relay's) and of the chain's JSON-RPC (the nodes and
 * the client use the relay's URL), so every connection, node to node included, has that round
 * trip; the figures are repeated for each RTT with fresh blobs and also given in round trips.
 * CDN_TRACE_FILE=<file> makes the bench, its nodes and its client append a timing trace of every
 * fetch step and chain request there (agents/runtime/trace.ts; bench/trace-report.ts prints it).
 *
 * Each blob: a cold miss; once the cache node answers a probe with HAVE (it committed the blob), a
 * warm hit right after its own miss (it may still be finishing that miss's work: the last upstream
 * voucher, the DHT provide); then, BENCH_WARM_PAUSE_MS later (default 1000), the warm hit of the
 * headline row: a cache node holding the blob and otherwise idle.
 */
import type { ChildProcess } from "node:child_process";
import path from "node:path";
import { loadavg } from "node:os";
import { JsonRpcProvider, Wallet, parseUnits, toQuantity, parseEther } from "ethers";
import type { Libp2p } from "@libp2p/interface";
import { startDevnet, stopProcess } from "../test/helpers/processes.js";
import { freePort, randomFile } from "../test/e2e/delivery-fixture.js";
import { NODE_CLI, devKey, recognizeOrigin, runCli, startNodeProcess, writeNodeConfig } from "../test/e2e/delivery-processes.js";
import { connectContracts } from "../agents/chain/contracts.js";
import { TestUSDC__factory } from "../types/ethers-contracts/index.js";
import { readDeployment } from "../agents/chain/deployment.js";
import { createHost } from "../agents/runtime/host.js";
import { identityFromSecret } from "../agents/runtime/keys.js";
import { ClientStore } from "../agents/client/store.js";
import { createClient, type Client } from "../agents/client/client.js";
import { clientChainView } from "../agents/client/chain.js";
import { ClientMesh } from "../agents/client/mesh.js";
import type { MeshServiceMap } from "../agents/mesh/services.js";
import { DelayRelay } from "./delay-relay.js";
import { CountingProvider } from "./counting-provider.js";
import { cpuSeconds, mainThreadWakeups, rssMiB, treeCpuSeconds } from "./proc-stats.js";
import { trace, traceRpc } from "../agents/runtime/trace.js";
import { tmpDir } from "../test/helpers/tmp.js";

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

interface Ttfb {
  ms: number;
  total: number;
  bytes: number;
  discovery: string;
  roundTrips: number;
  steps: string;
  /** The client's chain JSON-RPC traffic between the fetch call and its first verified byte: HTTP requests (round trips) and calls. */
  chainRequests: number;
  chainCalls: number;
}

async function ttfb(client: Client, chain: CountingProvider, blobId: string, via: string, label = "warm-up"): Promise<Ttfb> {
  trace(`bench: ${label}`, { blob: blobId.slice(0, 10), via });
  const t0 = performance.now();
  const c0 = chain.snapshot();
  let c1 = c0;
  let first = 0;
  let bytes = 0;
  const it = client.fetch(blobId, { via: [via] });
  for await (const piece of it) {
    if (bytes === 0) {
      first = performance.now() - t0;
      c1 = chain.snapshot();
    }
    bytes += piece.length;
  }
  const report = await it.report;
  return {
    ms: first,
    total: performance.now() - t0,
    bytes,
    discovery: report.discovery,
    roundTrips: report.firstByte?.roundTrips ?? NaN,
    steps: report.firstByte?.steps.join(" → ") ?? "",
    chainRequests: c1.requests - c0.requests,
    chainCalls: c1.calls - c0.calls,
  };
}

/** Waits until `nodeKey` answers a probe for `blobId` with HAVE (its cache committed the blob). */
async function holding(client: Client, nodeKey: string, blobId: string): Promise<void> {
  const node = (await client.bootstrap()).find((n) => n.nodeKey === nodeKey);
  if (!node) throw new Error(`node ${nodeKey} is not in the active set`);
  const deadline = Date.now() + 30_000;
  while (!(await client.probe(node, blobId))) {
    if (Date.now() > deadline) throw new Error(`the cache node ${nodeKey} did not hold ${blobId} 30 s after the cold miss`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const NODE_READY_MS = 180_000;

async function main(): Promise<void> {
  const cacheNodes = process.env.BENCH_NODES ? Number(process.env.BENCH_NODES) - 1 : Number(process.env.BENCH_CACHE_NODES ?? 4);
  const blobs = Number(process.env.BENCH_BLOBS ?? 8);
  const idleSeconds = Number(process.env.BENCH_IDLE_S ?? 10);
  const pollMs = process.env.BENCH_NODE_POLL_MS ? Number(process.env.BENCH_NODE_POLL_MS) : undefined;
  const kib = Number(process.env.BENCH_KIB ?? 4096);
  const rtts = (process.env.BENCH_RTT_MS ?? "0").split(",").map(Number);
  const warmPauseMs = Number(process.env.BENCH_WARM_PAUSE_MS ?? 1000);
  const delayed = rtts.some((r) => r > 0);
  console.log(
    `mesh TTFB benchmark: 1 origin + ${cacheNodes} cache nodes (real processes), ${blobs} blobs of ${kib} KiB${delayed ? `, at RTT ${rtts.join(", ")} ms (delaying relays in front of every node and the chain RPC)` : ""}; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}; starting the devnet…`,
  );
  const devnet = await startDevnet();
  const children: ChildProcess[] = [];
  const relays: DelayRelay[] = [];
  /** A relay in front of a local port (its port), when the bench adds latency. */
  const relayTo = async (port: number): Promise<number> => {
    const relay = new DelayRelay(port);
    relays.push(relay);
    return relay.listen();
  };
  const rpcUrl = delayed ? `http://127.0.0.1:${await relayTo(devnet.port)}` : devnet.rpcUrl;
  const provider = new JsonRpcProvider(rpcUrl);
  let stopClient = async () => undefined as unknown;
  try {
    const env = { ...devnet.env, CDN_RPC_URL: rpcUrl };
    const dir = tmpDir("cdn-bench-ttfb-");
    const deployment = readDeployment(31337, devnet.deploymentsDir);
    const read = connectContracts(deployment, provider);
    // keys #10 and up are not funded by the devnet: ETH and USDC for them here
    const faucet = TestUSDC__factory.connect(deployment.usdc, await provider.getSigner(0));
    const key = async (i: number): Promise<string> => {
      const secret = devKey(i);
      if (i >= 10) {
        const address = new Wallet(secret).address;
        await provider.send("hardhat_setBalance", [address, toQuantity(parseEther("1000"))]);
        await (await faucet.mint(address, parseUnits("100000", 6))).wait();
      }
      return secret;
    };

    // the origin: registered, recognized, every blob published before it starts (it provides them at start)
    const originDir = path.join(dir, "origin");
    /** A node's listen port, and its announced (registered) address: the relay's in latency mode. */
    const ports = async () => {
      const port = await freePort();
      return { port, announce: delayed ? [`/ip4/127.0.0.1/tcp/${await relayTo(port)}`] : [] };
    };
    const originPorts = await ports();
    // pollMs undefined: the closes follower at the node's default (writeNodeConfig's 200 ms suits e2e tests, not a 20-node bench)
    writeNodeConfig(originDir, originPorts.port, { pricePerGiB: "10000", logLevel: "warn", pollMs, announce: originPorts.announce });
    const originSecret = devKey(1);
    for (const a of [["init", "--import", originSecret], ["register"]]) {
      const r = await runCli(NODE_CLI, ["--data-dir", originDir, ...a], env);
      if (r.code !== 0) throw new Error(r.stderr);
    }
    await recognizeOrigin(provider, deployment, await read.registry.nodeIdOf(new Wallet(originSecret).address), new Wallet(originSecret).address);
    const measured = blobs * rtts.length;
    const files = Array.from({ length: measured + cacheNodes }, (_, i) => randomFile(dir, kib * 1024, `blob-${i}.bin`).file);
    const published = await runCli(NODE_CLI, ["--data-dir", originDir, "publish", ...files], env, 600_000);
    if (published.code !== 0) throw new Error(published.stderr);
    const ids = [...published.stdout.matchAll(/^(0x[0-9a-f]{64})/gm)].map((m) => m[1]);
    // 20 processes on 2 vCPUs start slowly: a node gets 3 min to be ready
    children.push((await startNodeProcess(["--data-dir", originDir], env, [], NODE_READY_MS)).child);

    // cache nodes, alternating regions 1 and 2, priced above the origin (the price rule)
    const keys: string[] = [];
    for (let i = 0; i < cacheNodes; i++) {
      const d = path.join(dir, `cache-${i}`);
      const p = await ports();
      writeNodeConfig(d, p.port, { pricePerGiB: "20000", region: 1 + (i % 2), logLevel: "warn", pollMs, cache: { budgetBytes: 1 << 30 }, announce: p.announce });
      const secret = await key(2 + i);
      for (const a of [["init", "--import", secret], ["register"]]) {
        const r = await runCli(NODE_CLI, ["--data-dir", d, ...a], env);
        if (r.code !== 0) throw new Error(r.stderr);
      }
      keys.push(new Wallet(secret).address.toLowerCase());
      children.push((await startNodeProcess(["--data-dir", d], env, [], NODE_READY_MS)).child);
    }

    // the client, with the client-mode mesh
    const identity = identityFromSecret(await key(2 + cacheNodes));
    // the client's own provider, as `cdn-client` opens it (agents/chain/contracts.ts connectRpc), counting what it sends
    const clientProvider = new CountingProvider(rpcUrl, { staticNetwork: false, polling: true, pollingInterval: 500, batchStallTime: 0 });
    traceRpc(clientProvider, "bench client");
    const contracts = connectContracts(deployment, new Wallet(identity.wallet.privateKey, clientProvider));
    const mesh = new ClientMesh({ regions: [1], loopback: true }, contracts);
    await mesh.prepare();
    const host = (await createHost({ privateKey: identity.privateKey, listen: [], allow: ["/ip4/127.0.0.1"], services: mesh.services() as never })) as unknown as Libp2p<MeshServiceMap>;
    const dht = await mesh.attach(host);
    const store = new ClientStore(path.join(dir, "client.db"));
    stopClient = async () => {
      await mesh.stop();
      await host.stop();
      store.close();
      clientProvider.destroy();
    };
    const client = createClient({ probeTimeoutMs: 15_000 }, { host, identity, chain: clientChainView(contracts), contracts, store, dht }); // generous probes: the shared machine is often loaded

    // idle memory: every node started, meshes formed, nothing fetched yet
    await new Promise((r) => setTimeout(r, 5000));
    const idleRss = children.map((c) => rssMiB(c.pid)).filter((x): x is number => x !== undefined);
    // idle work, per minute: each node's CPU time and main-thread wakeups, and the chain's CPU time
    const perMinute = (before: number[], after: number[], seconds: number) => after.map((a, i) => ((a - before[i]) * 60) / seconds).filter(Number.isFinite);
    const nodeCpu = () => children.map((c) => cpuSeconds(c.pid) ?? NaN);
    const idle0 = { cpu: nodeCpu(), wakeups: children.map((c) => mainThreadWakeups(c.pid) ?? NaN), chain: treeCpuSeconds(devnet.pid) ?? NaN, at: performance.now() };
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    const idleS = (performance.now() - idle0.at) / 1000;
    const idleCpu = perMinute(idle0.cpu, nodeCpu(), idleS).map((s) => s * 1000);
    const idleWakeups = perMinute(
      idle0.wakeups,
      children.map((c) => mainThreadWakeups(c.pid) ?? NaN),
      idleS,
    );
    const idleChainCpu = perMinute([idle0.chain], [treeCpuSeconds(devnet.pid) ?? NaN], idleS).map((s) => s * 1000);
    // printed now: a later failure (a probe timing out under load) still leaves these figures
    const cpuRow = (xs: number[]) => `${pct(xs, 50).toFixed(0)} / ${Math.max(...xs).toFixed(0)}`;
    if (idleCpu.length > 0) {
      console.log(`node CPU while idle (${idleS.toFixed(0)} s before the first fetch), ms per minute, p50 / max (${idleCpu.length} processes): ${cpuRow(idleCpu)}`);
      console.log(`node main-thread wakeups while idle, per minute, p50 / max: ${cpuRow(idleWakeups)}`);
      console.log(`chain (devnet processes) CPU while the nodes idle, ms per minute: ${idleChainCpu.map((x) => x.toFixed(0)).join("") || "n/a"}`);
    }

    // warm-up: one throwaway blob per cache node opens client→cache and cache→origin channels
    for (let i = 0; i < cacheNodes; i++) await ttfb(client, clientProvider, ids[measured + i], keys[i]);

    const rows: [string, string][] = [];
    const measuring = { cpu: nodeCpu(), at: performance.now() };
    for (const [r, rtt] of rtts.entries()) {
      for (const relay of relays) relay.oneWayMs = rtt / 2;
      const cold: number[] = [];
      const warm: number[] = [];
      const afterMiss: number[] = [];
      const coldTotal: number[] = [];
      const warmTotal: number[] = [];
      const discovery = new Map<string, number>();
      const trips = { cold: [] as number[], warm: [] as number[], coldSteps: new Map<string, number>(), warmSteps: new Map<string, number>() };
      const chain = { cold: [] as number[], warm: [] as number[], coldCalls: [] as number[], warmCalls: [] as number[] };
      for (let b = 0; b < blobs; b++) {
        const via = keys[b % cacheNodes];
        const id = ids[r * blobs + b];
        const c = await ttfb(client, clientProvider, id, via, `cold at RTT ${rtt}`);
        // a warm hit is served from the cache: wait (off the clock) until the cache node has
        // committed the blob, not while it still finishes the miss (its stream would be a fan-out)
        await holding(client, via, id);
        const a = await ttfb(client, clientProvider, id, via, `after miss (warm) at RTT ${rtt}`);
        await new Promise((r) => setTimeout(r, warmPauseMs));
        const w = await ttfb(client, clientProvider, id, via, `warm at RTT ${rtt}`);
        if (c.bytes !== kib * 1024 || a.bytes !== kib * 1024 || w.bytes !== kib * 1024) throw new Error("short download");
        afterMiss.push(a.ms);
        cold.push(c.ms);
        warm.push(w.ms);
        coldTotal.push(c.total);
        warmTotal.push(w.total);
        discovery.set(c.discovery, (discovery.get(c.discovery) ?? 0) + 1);
        trips.cold.push(c.roundTrips);
        trips.warm.push(w.roundTrips);
        chain.cold.push(c.chainRequests);
        chain.warm.push(w.chainRequests);
        chain.coldCalls.push(c.chainCalls);
        chain.warmCalls.push(w.chainCalls);
        trips.coldSteps.set(c.steps, (trips.coldSteps.get(c.steps) ?? 0) + 1);
        trips.warmSteps.set(w.steps, (trips.warmSteps.get(w.steps) ?? 0) + 1);
      }
      const common = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1])[0]?.[0] ?? "";
      const inRtt = (ms: number) => (rtt > 0 ? ` (${(ms / rtt).toFixed(1)} RTT)` : "");
      const at = delayed ? ` at RTT ${rtt} ms` : "";
      rows.push(
        [`time to first verified byte${at}, cold miss (fan-out to the origin), p50 / p95 (${cold.length})`, `${pct(cold, 50).toFixed(0)}${inRtt(pct(cold, 50))} / ${pct(cold, 95).toFixed(0)} ms`],
        [`time to first verified byte${at}, warm hit (cache), p50 / p95 (${warm.length})`, `${pct(warm, 50).toFixed(0)}${inRtt(pct(warm, 50))} / ${pct(warm, 95).toFixed(0)} ms`],
        [
          `time to first verified byte${at}, warm hit right after the node's own miss, p50 / p95 (${afterMiss.length})`,
          `${pct(afterMiss, 50).toFixed(0)}${inRtt(pct(afterMiss, 50))} / ${pct(afterMiss, 95).toFixed(0)} ms`,
        ],
        [`whole ${kib} KiB blob${at}, cold miss / warm hit, p50`, `${pct(coldTotal, 50).toFixed(0)} / ${pct(warmTotal, 50).toFixed(0)} ms`],
        [`discovery of the cold misses${at}`, [...discovery].map(([k, v]) => `${k} ${v}`).join(", ")],
        [
          `client protocol round trips before the first verified byte${at}, cold / warm, p50`,
          `${pct(trips.cold, 50)} (${common(trips.coldSteps)}) / ${pct(trips.warm, 50)} (${common(trips.warmSteps)})`,
        ],
        [
          `client chain JSON-RPC before the first verified byte${at}, cold / warm, p50 (max): HTTP requests, calls`,
          `${pct(chain.cold, 50)} (${Math.max(...chain.cold)}), ${pct(chain.coldCalls, 50)} / ${pct(chain.warm, 50)} (${Math.max(...chain.warm)}), ${pct(chain.warmCalls, 50)}`,
        ],
      );
    }
    const busyCpu = perMinute(measuring.cpu, nodeCpu(), (performance.now() - measuring.at) / 1000).map((s) => s * 1000);
    const rss = children.map((c) => rssMiB(c.pid)).filter((x): x is number => x !== undefined);
    if (busyCpu.length > 0) rows.push([`node CPU during the measured fetches, ms per minute, p50 / max`, cpuRow(busyCpu)]);
    if (idleRss.length > 0)
      rows.push([`node process RSS idle (started, nothing fetched), p50 / max (${idleRss.length} processes)`, `${pct(idleRss, 50).toFixed(0)} / ${Math.max(...idleRss).toFixed(0)} MiB`]);
    if (rss.length > 0) rows.push([`node process RSS after the run, p50 / max (${rss.length} processes)`, `${pct(rss, 50).toFixed(0)} / ${Math.max(...rss).toFixed(0)} MiB`]);
    const width = Math.max(...rows.map((r) => r[0].length));
    console.log("");
    for (const [k, v] of rows) console.log(`| ${k.padEnd(width)} | ${v} |`);
    console.log(
      `load average after: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
    );
  } finally {
    await stopClient();
    for (const c of children.reverse()) await stopProcess(c);
    provider.destroy();
    for (const relay of relays) await relay.close();
    await devnet.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
