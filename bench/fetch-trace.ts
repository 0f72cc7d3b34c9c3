/**
 * Reads the timing trace of CDN_TRACE_FILE (agents/runtime/trace.ts) and lines up the steps of
 * chosen fetches on every side: from a `bench: <label>` line to the next `bench:` line, the steps
 * of that blob (client, cache node, origin) and the fetch streams that opened meanwhile (`serve:
 * stream`), as ms since the bench line, p50 over the fetches with that label.
 */
import { readFileSync } from "node:fs";

interface TraceLine {
  t: number;
  pid: number;
  step: string;
  blob?: string;
}

const pct50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The traced lines of `file`, in time order. */
export function readTrace(file: string): TraceLine[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as TraceLine)
    .sort((a, b) => a.t - b.t);
}

/**
 * The steps of the fetches labelled `bench: <label>`: one row per step, in order of its p50:
 * [step, p50 ms since the bench line, p50 ms since the fetch's previous step, fetches seen]. A step
 * is named `<side> <pid>: <step>` with the side `client` for the bench's own process, `node` else.
 */
export function stepsOf(lines: TraceLine[], label: string, benchPid = process.pid): string[][] {
  const since = new Map<string, number[]>();
  const delta = new Map<string, number[]>();
  const add = (m: Map<string, number[]>, key: string, ms: number) => m.set(key, [...(m.get(key) ?? []), ms]);
  lines.forEach((start, i) => {
    if (start.step !== `bench: ${label}`) return;
    const end = lines.slice(i + 1).find((l) => l.step.startsWith("bench: "))?.t ?? Infinity;
    const seen = new Set<string>();
    let previous = start.t;
    for (const l of lines.slice(i + 1)) {
      if (l.t >= end) break;
      if (l.blob !== start.blob && !(l.blob === undefined && l.step === "serve: stream")) continue;
      const key = `${l.pid === benchPid ? "client" : `node ${l.pid}`}: ${l.step}`;
      if (seen.has(key)) continue;
      seen.add(key);
      add(since, key, l.t - start.t);
      add(delta, key, l.t - previous);
      previous = l.t;
    }
  });
  return [...since]
    .map(([k, v]) => [k, pct50(v)] as const)
    .sort((a, b) => a[1] - b[1])
    .map(([k, p]) => [k, p.toFixed(2), pct50(delta.get(k)!).toFixed(2), String(since.get(k)!.length)]);
}
