import { expect } from "chai";
import { meshMetricsHooks, peerCounts } from "../../../agents/mesh/metrics-hooks.js";
import { ActiveSet } from "../../../agents/mesh/active-set.js";
import { ProbeFailedError } from "../../../agents/mesh/errors.js";
import { NodeMetrics } from "../../../agents/runtime/metrics.js";
import { newIdentity, StaticSource } from "./helpers.js";

describe("mesh › metrics hooks", () => {
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
    const text = await metrics.text();
    for (const line of [
      'cdn_node_gossip_messages_total{kind="announcement",result="ok"} 1',
      'cdn_node_gossip_messages_total{kind="announcement",result="not_active"} 2',
      'cdn_node_probes_total{direction="out",result="failed"} 1',
      'cdn_node_probes_total{direction="in",result="rate_limited"} 1',
      "cdn_node_dht_lookup_seconds_count 1",
      'cdn_node_peers{kind="node"} 1',
      'cdn_node_peers{kind="client"} 2',
    ]) {
      expect(text.split("\n"), line).to.include(line);
    }
  });
});
