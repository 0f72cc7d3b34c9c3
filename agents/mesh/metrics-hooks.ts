/**
 * What the node's metrics read from the mesh (the hooks that count gossip, probes and DHT lookups
 * are in agents/node/metrics.ts):
 *
 *   new NodeMetrics(opts, { peers: peerCounts(() => libp2p.getPeers(), activeSet), … });
 */
import type { PeerId } from "@libp2p/interface";
import type { ActiveSet } from "./active-set.js";

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
