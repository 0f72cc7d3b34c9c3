import { expect } from "chai";
import { metricsSummary } from "../../../agents/node/cli/cmds/status.js";
import { sampleNodeMetrics } from "./metrics-fixture.js";

describe("node › cdn-node status (metrics at a glance)", () => {
  it("sums the running node's series by name and by reason/kind label", async () => {
    const m = sampleNodeMetrics();
    m.refused("stale_chain_view");
    const s = metricsSummary(await m.text());
    expect(s.cdn_node_bytes_served_total).to.equal(1_048_576);
    expect(s.cdn_node_cache_hits_total).to.equal(1);
    expect(s.cdn_node_cache_misses_total).to.equal(2);
    expect(s.cdn_node_upstream_spend_total).to.equal(150);
    expect(s["cdn_node_refusals_total{stale_chain_view}"]).to.equal(2);
    expect(s["cdn_node_refusals_total{busy}"]).to.equal(1);
    expect(s.cdn_node_refusals_total).to.equal(3);
    expect(s.cdn_node_vouchers_total).to.equal(2);
    expect(s.cdn_node_chain_view_age_seconds).to.equal(12);
    expect(s["cdn_node_peers{node}"]).to.equal(3);
    expect(s["cdn_node_peers{client}"]).to.equal(7);
    expect(s.cdn_node_cache_bytes).to.equal(4096);
  });
});
