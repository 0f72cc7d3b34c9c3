/** The node's metrics with known values in every series /metrics and `cdn-node status` show (metrics.test.ts, status.test.ts). */
import { expect } from "chai";
import { NodeMetrics } from "../../../agents/node/metrics.js";

/** `chainViewAgeMs`: the age the gauge reads at scrape time (default 12 s). */
export function sampleNodeMetrics(chainViewAgeMs: () => number = () => 12_000): NodeMetrics {
  const metrics = new NodeMetrics({ defaultMetrics: false }, { chainViewAgeMs, peers: () => ({ nodes: 3, clients: 7 }), cacheBytes: () => 4096 });
  metrics.bytesServed.inc(1_048_576);
  metrics.bytesPaid.inc(524_288);
  metrics.vouchers.inc({ result: "accepted" }, 2);
  metrics.channelsOpen.set(1);
  metrics.cacheHits.inc();
  metrics.cacheMisses.inc(2);
  metrics.upstreamSpend.inc(150);
  metrics.refused("busy");
  metrics.refused("stale_chain_view");
  return metrics;
}

/** Every one of `lines` is a whole line of the Prometheus text `text`. */
export function expectSeries(text: string, lines: string[]): void {
  const all = text.split("\n");
  for (const line of lines) expect(all, line).to.include(line);
}
