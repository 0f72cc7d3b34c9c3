/**
 * Glue between the mesh services' callbacks and the node's Prometheus metrics
 * (agents/runtime/metrics.ts), so the node agent wires them in one line each:
 *
 *   const hooks = meshMetricsHooks(metrics);
 *   new MeshGossip(opts, { …, onValidation: hooks.onValidation });
 *   probe({ …, onResult: hooks.onProbeResult, onInbound: hooks.onProbeInbound });
 *   new NodeMetrics(opts, { peers: peerCounts(() => libp2p.getPeers(), activeSet), … });
 */
import type { PeerId } from "@libp2p/interface";
import type { NodeMetrics } from "../runtime/metrics.js";
import type { ActiveSet } from "./active-set.js";
import type { ValidationOutcome } from "./gossip.js";
import type { ProbeAnswer } from "./probe.js";

export interface MeshMetricsHooks {
  onValidation(outcome: ValidationOutcome): void;
  onProbeResult(peer: PeerId, result: ProbeAnswer | Error): void;
  onProbeInbound(peer: PeerId, result: "answered" | "rate_limited" | "bad_request"): void;
  /** Times a DHT lookup: `await hooks.timeLookup(() => dht.findProviders(id))`. */
  timeLookup<T>(lookup: () => Promise<T>): Promise<T>;
}

export function meshMetricsHooks(metrics: NodeMetrics): MeshMetricsHooks {
  return {
    onValidation: (o) => metrics.gossipMessages.inc({ kind: o.kind ?? "unknown", result: o.reason }),
    onProbeResult: (_peer, r) => metrics.probes.inc({ direction: "out", result: r instanceof Error ? "failed" : r.status.toLowerCase() }),
    onProbeInbound: (_peer, r) => metrics.probes.inc({ direction: "in", result: r }),
    async timeLookup(lookup) {
      const end = metrics.dhtLookupSeconds.startTimer();
      try {
        return await lookup();
      } finally {
        end();
      }
    },
  };
}

/** Connected peers split into active nodes and everyone else (for NodeMetrics' `peers` gauge). */
export function peerCounts(peers: () => PeerId[], activeSet: Pick<ActiveSet, "hasPeer">): () => { nodes: number; clients: number } {
  return () => {
    let nodes = 0;
    let clients = 0;
    for (const p of peers()) {
      if (activeSet.hasPeer(p)) nodes++;
      else clients++;
    }
    return { nodes, clients };
  };
}
