import { expect } from "chai";
import { ActiveSet } from "../../../agents/mesh/active-set.js";
import { ProbeFailedError } from "../../../agents/mesh/errors.js";
import { peerCounts } from "../../../agents/mesh/metrics-hooks.js";
import { meshMetricsHooks, NodeMetrics, REFUSAL_REASONS } from "../../../agents/node/metrics.js";
import { startMetricsServer } from "../../../agents/runtime/metrics.js";
import { expectSeries, sampleNodeMetrics } from "./metrics-fixture.js";
import { newIdentity, StaticSource } from "../mesh/helpers.js";

describe("node › metrics endpoint", () => {
  it("serves the cdn_node_* series on 127.0.0.1 and reflects updates at scrape time", async () => {
    let age = 12_000;
    const metrics = sampleNodeMetrics(() => age);
    const server = await startMetricsServer({ port: 0 }, { registry: metrics.registry });
    try {
      expect(server.url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const res = await fetch(server.url);
      expect(res.status).to.equal(200);
      expect(res.headers.get("content-type")).to.match(/text\/plain/);
      expectSeries(await res.text(), [
        "cdn_node_bytes_served_total 1048576",
        "cdn_node_bytes_paid_total 524288",
        'cdn_node_vouchers_total{result="accepted"} 2',
        "cdn_node_channels_open 1",
        "cdn_node_cache_hits_total 1",
        "cdn_node_cache_misses_total 2",
        "cdn_node_cache_bytes 4096",
        "cdn_node_upstream_spend_total 150",
        'cdn_node_refusals_total{reason="busy"} 1',
        'cdn_node_refusals_total{reason="stale_chain_view"} 1',
        'cdn_node_refusals_total{reason="blacklisted"} 0',
        "cdn_node_chain_view_age_seconds 12",
        'cdn_node_peers{kind="node"} 3',
        'cdn_node_peers{kind="client"} 7',
      ]);
      expect(REFUSAL_REASONS.length).to.equal(8);
      age = 61_000;
      expect(await (await fetch(server.url)).text()).to.include("cdn_node_chain_view_age_seconds 61\n");
      expect((await fetch(server.url.replace("/metrics", "/other"))).status).to.equal(404);
    } finally {
      await server.close();
    }
  });
});

describe("node › metrics › process defaults", () => {
  it("names the process series once: cdn_node_process_*, never cdn_node_process_process_*", async () => {
    const metrics = new NodeMetrics();
    const text = await metrics.text();
    expect(text).to.match(/^cdn_node_process_cpu_seconds_total /m);
    expect(text).to.match(/^cdn_node_nodejs_/m);
    expect(text).to.not.include("process_process_");
  });
});

describe("node › metrics › mesh hooks", () => {
  it("counts gossip verdicts, probes and DHT lookups, and splits peers into nodes and clients", async () => {
    const [node, client] = [newIdentity(), newIdentity()];
    const activeSet = new ActiveSet({}, { source: new StaticSource().add(node.address) });
    await activeSet.refresh();
    const metrics = new NodeMetrics({ defaultMetrics: false }, { peers: peerCounts(() => [node.peerId, client.peerId, client.peerId], activeSet) });
    const hooks = meshMetricsHooks(metrics);
    hooks.onValidation({ verdict: "accept", reason: "ok", kind: "announcement" });
    hooks.onValidation({ verdict: "reject", reason: "not_active", kind: "announcement" });
    hooks.onValidation({ verdict: "reject", reason: "not_active", kind: "announcement" });
    hooks.onProbeResult(node.peerId, new ProbeFailedError("x", "timeout"));
    hooks.onProbeInbound(client.peerId, "rate_limited");
    expect(await hooks.timeLookup(async () => 42)).to.equal(42);
    expectSeries(await metrics.text(), [
      'cdn_node_gossip_messages_total{kind="announcement",result="ok"} 1',
      'cdn_node_gossip_messages_total{kind="announcement",result="not_active"} 2',
      'cdn_node_probes_total{direction="out",result="failed"} 1',
      'cdn_node_probes_total{direction="in",result="rate_limited"} 1',
      "cdn_node_dht_lookup_seconds_count 1",
      'cdn_node_peers{kind="node"} 1',
      'cdn_node_peers{kind="client"} 2',
    ]);
  });
});
