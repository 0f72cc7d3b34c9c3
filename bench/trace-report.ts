/**
 * Reads a timing trace (CDN_TRACE_FILE, agents/runtime/trace.ts) written by bench:mesh-ttfb and
 * its nodes, and prints every measured fetch step by step on one clock: each step of the fetch's
 * blob on the client, the cache node and the origin (ms after the fetch call), up to the client's
 * first verified byte, then the JSON-RPC requests each process sent in that time (a node's view
 * poll, `eth_getBlockByNumber` once a second, runs in the background and shows up too).
 *
 *   CDN_TRACE_FILE=/tmp/trace.jsonl BENCH_BLOBS=4 BENCH_RTT_MS=80 npm run bench:mesh-ttfb
 *   node --import tsx bench/trace-report.ts /tmp/trace.jsonl [cold|warm]
 */
import { readFileSync } from "node:fs";

interface Step {
  t: number;
  pid: number;
  step: string;
  blob?: string;
  [field: string]: unknown;
}

function main(file: string, kind: string): void {
  const steps = readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Step);
  const names = new Map<number, string>();
  for (const s of steps) if (s.step === "node started") names.set(s.pid, `${s.origin ? "origin" : "cache"} ${String(s.key).slice(0, 8)}`);
  const bench = steps.find((s) => s.step.startsWith("bench:"))?.pid;
  if (bench === undefined) throw new Error(`${file} holds no bench fetch (was it written by bench:mesh-ttfb?)`);
  names.set(bench, "client");
  const name = (pid: number) => names.get(pid) ?? String(pid);
  steps.forEach((mark, i) => {
    if (!mark.step.startsWith(`bench: ${kind}`)) return;
    console.log(`\n${mark.step}, blob ${mark.blob} via ${String(mark.via).slice(0, 8)}`);
    const rpc = new Map<string, number>();
    for (const s of steps.slice(i + 1)) {
      if (s.step.startsWith("bench:")) break;
      if (s.step === "rpc: send") {
        const key = `${name(s.pid)}: ${(s.methods as string[]).join(" + ")}`;
        rpc.set(key, (rpc.get(key) ?? 0) + 1);
      }
      if (s.blob !== mark.blob) continue;
      const { t, pid, step, blob: _blob, ...fields } = s;
      const extra = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : "";
      console.log(`${(t - mark.t).toFixed(1).padStart(8)} ms  ${name(pid).padEnd(16)} ${step}${extra}`);
      if (pid === bench && step === "client: first byte") break;
    }
    console.log(`  JSON-RPC requests in that time: ${[...rpc].map(([k, n]) => `${k} ×${n}`).join("; ") || "none"}`);
  });
}

const [file, kind = "cold"] = process.argv.slice(2);
if (!file) {
  console.error("usage: node --import tsx bench/trace-report.ts <trace file> [cold|warm]");
  process.exit(2);
}
main(file, kind);
