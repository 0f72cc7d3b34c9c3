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

/** Whether the trace is on (callers skip building fields otherwise). */
export const tracing = file !== undefined && file !== "";

/** Appends one step to the trace (nothing when it is off). */
export function trace(step: string, fields: Record<string, unknown> = {}): void {
  if (!tracing) return;
  const line = JSON.stringify({ t: performance.timeOrigin + performance.now(), pid: process.pid, step, ...fields }, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
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
