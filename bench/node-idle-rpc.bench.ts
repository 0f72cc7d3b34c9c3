/**
 * `npm run bench:node-idle-rpc`: what an idle `cdn-node` asks its chain RPC per minute. The devnet's
 * chain on anvil with blocks every BENCH_BLOCK_TIME s (default 2, like an L2: the head moves while
 * the node idles), BENCH_NODES registered nodes as real `cdn-node start` processes with their
 * default settings (default 2, so a mesh forms); the first one reaches the chain through a counting
 * JSON-RPC proxy. After BENCH_WARMUP_S (default 20 s) the proxy counts for BENCH_SECONDS (default
 * 60): HTTP requests (each a round trip to a real provider: 50-300 ms away) and JSON-RPC calls by
 * method; and, for every node in that window, its CPU time (its periodic work: all threads, GC
 * included, and the main thread's share) and its main thread's wakeups (event-loop wakeups:
 * bench/proc-stats.ts), and its RSS at the end.
 * BENCH_NODE_FLAGS adds Node.js flags to every node (e.g. "--cpu-prof --cpu-prof-dir=/tmp/p", or
 * "--heapsnapshot-signal=SIGUSR2" to take heap snapshots of the idle nodes).
 */
import type { ChildProcess } from "node:child_process";
import { createServer, type IncomingMessage } from "node:http";
import { loadavg } from "node:os";
import path from "node:path";
import { startDevnet, stopProcess } from "../test/helpers/processes.js";
import { NODE_CLI, devKey, runCli, startNodeProcess, writeNodeConfig } from "../test/e2e/delivery-processes.js";
import { freePort } from "../test/helpers/anvil.js";
import { cpuSeconds, mainThreadCpuSeconds, mainThreadWakeups, rssMiB } from "./proc-stats.js";
import { tmpDir } from "../test/helpers/tmp.js";

/** A JSON-RPC proxy in front of `target` that counts HTTP requests and calls by method. */
async function countingProxy(target: string): Promise<{ url: string; requests: number; calls: Map<string, number>; reset(): void; close(): Promise<void> }> {
  const state = { requests: 0, calls: new Map<string, number>() };
  const body = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  };
  const server = createServer((req, res) => {
    void body(req).then(async (text) => {
      state.requests++;
      try {
        const parsed = JSON.parse(text) as { method: string } | { method: string }[];
        for (const p of Array.isArray(parsed) ? parsed : [parsed]) state.calls.set(p.method, (state.calls.get(p.method) ?? 0) + 1);
      } catch {
        state.calls.set("(unparsed)", (state.calls.get("(unparsed)") ?? 0) + 1);
      }
      const answer = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body: text });
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(await answer.text());
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    get calls() {
      return state.calls;
    },
    reset() {
      state.requests = 0;
      state.calls = new Map();
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}

async function main(): Promise<void> {
  const blockTime = Number(process.env.BENCH_BLOCK_TIME ?? 2);
  const nodes = Number(process.env.BENCH_NODES ?? 2);
  const warmupS = Number(process.env.BENCH_WARMUP_S ?? 20);
  const seconds = Number(process.env.BENCH_SECONDS ?? 60);
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(" ");
  console.log(`idle node RPC benchmark: ${nodes} cdn-node processes, anvil with ${blockTime} s blocks, counting ${seconds} s after ${warmupS} s; load average ${load()}`);
  const devnet = await startDevnet(180_000, { chain: "anvil", blockTime });
  const proxy = await countingProxy(devnet.rpcUrl);
  const children: ChildProcess[] = [];
  try {
    const dir = tmpDir("cdn-bench-idle-rpc-");
    for (let i = 0; i < nodes; i++) {
      const d = path.join(dir, `node-${i}`);
      // the node's own defaults for polling, sweeps and confirmations (undefined fields are left out)
      writeNodeConfig(d, await freePort(), { logLevel: "warn", pollMs: undefined, sweepMs: undefined, confirmations: undefined, cache: { budgetBytes: 1 << 28 } });
      const env = { ...devnet.env, CDN_RPC_URL: i === 0 ? proxy.url : devnet.rpcUrl };
      for (const a of [["init", "--import", devKey(1 + i)], ["register"]]) {
        const r = await runCli(NODE_CLI, ["--data-dir", d, ...a], env);
        if (r.code !== 0) throw new Error(r.stderr);
      }
      const flags = (process.env.BENCH_NODE_FLAGS ?? "").split(" ").filter(Boolean);
      children.push((await startNodeProcess(["--data-dir", d], env, flags)).child);
    }
    await new Promise((r) => setTimeout(r, warmupS * 1000));
    console.log(`node pids: ${children.map((c) => c.pid).join(" ")}`);
    proxy.reset();
    const cpu0 = children.map((c) => cpuSeconds(c.pid) ?? NaN);
    const mainCpu0 = children.map((c) => mainThreadCpuSeconds(c.pid) ?? NaN);
    const wakeups0 = children.map((c) => mainThreadWakeups(c.pid) ?? NaN);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const cpu = children.map((c, i) => (((cpuSeconds(c.pid) ?? NaN) - cpu0[i]) * 1000 * 60) / seconds);
    const mainCpu = children.map((c, i) => (((mainThreadCpuSeconds(c.pid) ?? NaN) - mainCpu0[i]) * 1000 * 60) / seconds);
    const wakeups = children.map((c, i) => (((mainThreadWakeups(c.pid) ?? NaN) - wakeups0[i]) * 60) / seconds);
    const rss = children.map((c) => rssMiB(c.pid) ?? NaN);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
    const fmt = (xs: number[]) => `p50 ${median(xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)} (${xs.map((x) => x.toFixed(0)).join(", ")})`;
    console.log(`node CPU while idle, ms per minute: ${fmt(cpu)}`);
    console.log(`  of which the main thread (the event loop): ${fmt(mainCpu)}`);
    console.log(`node main-thread wakeups while idle, per minute: ${fmt(wakeups)}`);
    console.log(`node RSS at the end, MiB: ${fmt(rss)}`);
    const perMinute = (n: number) => ((n * 60) / seconds).toFixed(1);
    const total = [...proxy.calls.values()].reduce((a, b) => a + b, 0);
    console.log(`| JSON-RPC over ${seconds} s, idle node | per minute |`);
    console.log(`|---|---|`);
    console.log(`| HTTP requests (round trips) | ${perMinute(proxy.requests)} |`);
    console.log(`| calls | ${perMinute(total)} |`);
    for (const [method, n] of [...proxy.calls.entries()].sort((a, b) => b[1] - a[1])) console.log(`| ${method} | ${perMinute(n)} |`);
    console.log(`load average at the end: ${load()}`);
  } finally {
    await Promise.all(children.map((c) => stopProcess(c)));
    await proxy.close();
    await devnet.stop();
  }
}

// exit even if a handle is left open (a stopped child's pipe)
main()
  .catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => process.exit());
