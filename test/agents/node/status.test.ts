import { expect } from "chai";
import { NodeMetrics } from "../../../agents/node/metrics.js";
import { metricsSummary } from "../../../agents/node/cli/cmds/status.js";

describe("node › cdn-node status (metrics at a glance)", () => {
  it("sums the running node's series by name and by reason/kind label", async () => {
    const m = new NodeMetrics({ defaultMetrics: false }, { chainViewAgeMs: () => 12_000, peers: () => ({ nodes: 3, clients: 2 }), cacheBytes: () => 4096 });
    m.bytesServed.inc(1000);
    m.cacheHits.inc();
    m.cacheMisses.inc(2);
    m.upstreamSpend.inc(77);
    m.refused("busy");
    m.refused("stale_chain_view");
    m.refused("stale_chain_view");
    m.vouchers.inc({ result: "accepted" }, 5);
    const s = metricsSummary(await m.text());
    expect(s.cdn_node_bytes_served_total).to.equal(1000);
    expect(s.cdn_node_cache_hits_total).to.equal(1);
    expect(s.cdn_node_cache_misses_total).to.equal(2);
    expect(s.cdn_node_upstream_spend_total).to.equal(77);
    expect(s["cdn_node_refusals_total{stale_chain_view}"]).to.equal(2);
    expect(s["cdn_node_refusals_total{busy}"]).to.equal(1);
    expect(s.cdn_node_refusals_total).to.equal(3);
    expect(s.cdn_node_vouchers_total).to.equal(5);
    expect(s.cdn_node_chain_view_age_seconds).to.equal(12);
    expect(s["cdn_node_peers{node}"]).to.equal(3);
    expect(s["cdn_node_peers{client}"]).to.equal(2);
    expect(s.cdn_node_cache_bytes).to.equal(4096);
  });
});
