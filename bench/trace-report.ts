/**
 * Reads a timing trace (CDN_TRACE_FILE, agents/runtime/trace.ts) written by bench:mesh-ttfb and
 * its nodes, and prints every measured fetch step by step on one clock: each step of the fetch's
 * blob on the client, the cache node and the origin (ms after the fetch call), up to the client's
 * first verified byte, then the JSON-RPC requests each process sent in that time (a node's view
 * poll, `eth_getBlockByNumber` once a second, runs in the background and shows up too).
 *
 *   CDN_TRACE_FILE=/tmp/trace.jsonl BENCH_BLOBS=4 BENCH_RTT_MS=80 npm run bench:mesh-ttfb
 *   node --import tsx bench/trace-report.ts /tmp/trace.jsonl [cold|warm|after] [p50]
 *
 * With `p50`, one table for all the fetches of that kind instead: each step (per process) as the
 * p50 of its ms after the fetch call and the p50 of its ms after the fetch's previous step.
 */
import { readFileSync } from "node:fs";

interface Step {
  t: number;
  pid: number;
  step: string;
  blob?: string;
  [field: string]: unknown;
}

const pct50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The fetches of `kind` step by step, summed up: per step, p50 ms after the fetch call and after the previous step. */
function summary(marks: { mark: Step; steps: Step[] }[], name: (pid: number) => string): void {
  const since = new Map<string, number[]>();
  const delta = new Map<string, number[]>();
  const add = (m: Map<string, number[]>, key: string, ms: number) => m.set(key, [...(m.get(key) ?? []), ms]);
  for (const { mark, steps } of marks) {
    const seen = new Set<string>();
    let previous = mark.t;
    for (const s of steps) {
      const key = `${name(s.pid).padEnd(16)} ${s.step}`;
      if (seen.has(key)) continue;
      seen.add(key);
      add(since, key, s.t - mark.t);
      add(delta, key, s.t - previous);
      previous = s.t;
    }
  }
  console.log(`\n${marks.length} fetches: p50 ms after the fetch call, p50 ms after the previous step (fetches with the step)`);
  const rows = [...since].map(([k, v]) => [k, pct50(v), pct50(delta.get(k)!), v.length] as const).sort((a, b) => a[1] - b[1]);
  for (const [k, p, d, n] of rows) console.log(`${p.toFixed(1).padStart(8)} ${d.toFixed(1).padStart(8)}  ${k} (${n})`);
}

function main(file: string, kind: string, p50: boolean): void {
  const steps = readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Step)
    .sort((a, b) => a.t - b.t); // processes append concurrently
  const names = new Map<number, string>();
  for (const s of steps) if (s.step === "node started") names.set(s.pid, `${s.origin ? "origin" : "cache"} ${String(s.key).slice(0, 8)}`);
  const bench = steps.find((s) => s.step.startsWith("bench:"))?.pid;
  if (bench === undefined) throw new Error(`${file} holds no bench fetch (was it written by bench:mesh-ttfb?)`);
  names.set(bench, "client");
  const name = (pid: number) => names.get(pid) ?? String(pid);
  const marks: { mark: Step; steps: Step[] }[] = [];
  steps.forEach((mark, i) => {
    if (!mark.step.startsWith(`bench: ${kind} `)) return; // "warm " is not "warm-up"
    const rpc = new Map<string, number>();
    const own: Step[] = [];
    for (const s of steps.slice(i + 1)) {
      if (s.step.startsWith("bench:")) break;
      if (s.step === "rpc: send") {
        const key = `${name(s.pid)}: ${(s.methods as string[]).join(" + ")}`;
        rpc.set(key, (rpc.get(key) ?? 0) + 1);
      }
      // a fetch stream's first step comes before its request names the blob
      if (s.blob !== mark.blob && !(s.blob === undefined && s.step === "serve: stream")) continue;
      own.push(s);
      if (s.pid === bench && s.step === "client: first byte") break;
    }
    marks.push({ mark, steps: own });
    if (p50) return;
    console.log(`\n${mark.step}, blob ${mark.blob} via ${String(mark.via).slice(0, 8)}`);
    for (const { t, pid, step, blob: _blob, ...fields } of own) {
      const extra = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : "";
      console.log(`${(t - mark.t).toFixed(1).padStart(8)} ms  ${name(pid).padEnd(16)} ${step}${extra}`);
    }
    console.log(`  JSON-RPC requests in that time: ${[...rpc].map(([k, n]) => `${k} ×${n}`).join("; ") || "none"}`);
  });
  if (p50) summary(marks, name);
}

const [file, kind = "cold", mode] = process.argv.slice(2);
if (!file) {
  console.error("usage: node --import tsx bench/trace-report.ts <trace file> [cold|warm|after] [p50]");
  process.exit(2);
}
main(file, kind, mode === "p50");
