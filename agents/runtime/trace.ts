/**
 * A timing trace of the fetch path, off unless CDN_TRACE_FILE names a file: every process that
 * has it appends one JSON line per step (`t`: wall-clock ms with sub-ms precision, the same clock
 * in every process of one machine; `pid`; the step's name and fields), so the steps of one fetch
 * on both sides (client, cache node, origin) and the chain requests between them can be lined up.
 * bench/mesh-ttfb.bench.ts sets it with BENCH_TRACE=1.
 */
import { appendFileSync } from "node:fs";
import type { JsonRpcProvider } from "ethers";

const file = process.env.CDN_TRACE_FILE;

/**
 * Wall-clock ms now, µs precision. `performance.timeOrigin` alone can be several ms off the system
 * clock (measured: up to 8 ms between the processes of one bench), which misaligns the processes'
 * lines; Date.now() read right after it ticks gives the offset to a few µs (sampled ~2 ms, once).
 */
let offset: number | undefined;
function wallClockMs(): number {
  if (offset === undefined) {
    let best = -Infinity;
    for (const until = performance.now() + 2.5; performance.now() < until;) best = Math.max(best, Date.now() - performance.now());
    offset = best;
  }
  return Math.round((offset + performance.now()) * 1000) / 1000;
}

/** Whether the trace is on (callers skip building fields otherwise). */
export const tracing = file !== undefined && file !== "";

/** Appends one step to the trace (nothing when it is off). */
export function trace(step: string, fields: Record<string, unknown> = {}): void {
  if (!tracing) return;
  const line = JSON.stringify({ t: wallClockMs(), pid: process.pid, step, ...fields }, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  appendFileSync(file!, line + "\n");
}

/** Traces every JSON-RPC request the provider sends and its answer (the calls' methods). */
export function traceRpc(provider: JsonRpcProvider, who: string): void {
  if (!tracing) return;
  void provider.on("debug", (e: { action: string; payload?: { method: string } | { method: string }[] }) => {
    if (e.action === "sendRpcPayload") {
      const calls = Array.isArray(e.payload) ? e.payload : e.payload ? [e.payload] : [];
      trace("rpc: send", { who, methods: calls.map((c) => c.method) });
    } else if (e.action === "receiveRpcResult") trace("rpc: answer", { who });
  });
}
