/**
 * Connection gating (docs/mesh.md, "no mesh without a bond"): only peers that are active
 * nodes on chain join DHT server routing tables and gossip meshes; anyone may connect, as a DHT
 * client and a gossip subscriber. Three hooks, all fed by the ActiveSet:
 *
 * 1. kad-dht `peerInfoMapper` (`meshPeerInfoMapper`): a peer that is not an active node maps to
 *    no addresses, and kad-dht then neither adds it to the routing table (onPeerConnect) nor
 *    hands it out as a closer peer or a provider in its answers (FIND_NODE, GET_PROVIDERS).
 *    `syncRoutingTable` adds/removes connected peers when the active set changes.
 * 2. gossipsub peer scoring (`meshGossipScoring`): app-specific score 0 for active nodes and
 *    NON_NODE_APP_SCORE (−50) for everyone else; gossipsub never grafts (or keeps) a peer with a
 *    negative score in a mesh, but peers above the gossip threshold (−100) still receive gossip
 *    (IHAVE/IWANT) and flood-published messages: subscribers, not mesh members. Rejected
 *    messages count as invalid deliveries (P4, weight −100, squared): two of them graylist the
 *    forwarder (−400).
 * 3. A libp2p ConnectionGater (`meshConnectionGater`): a local deny-list, and optionally
 *    (`nodesOnly`, for a node that serves no clients, e.g. a backbone) no inbound peers except
 *    active nodes.
 */
import type { ConnectionGater, PeerId, PeerInfo } from "@libp2p/interface";
import { passthroughMapper } from "@libp2p/kad-dht";
import type { PeerScoreParams, PeerScoreThresholds, TopicScoreParams } from "@libp2p/gossipsub/score";
import type { ActiveSet } from "./active-set.js";
import { GOSSIP_THRESHOLD, GRAYLIST_THRESHOLD, INVALID_MESSAGE_WEIGHT, NON_NODE_APP_SCORE, PUBLISH_THRESHOLD } from "./constants.js";

/** A kad-dht peerInfoMapper that hides every peer that is not an active node (then applies `base`). */
export function meshPeerInfoMapper(activeSet: Pick<ActiveSet, "hasPeer">, base: (peer: PeerInfo) => PeerInfo = passthroughMapper): (peer: PeerInfo) => PeerInfo {
  return (peer) => (activeSet.hasPeer(peer.id) ? base(peer) : { ...peer, multiaddrs: [] });
}

/** The parts of a kad-dht service that syncRoutingTable touches. */
export interface RoutingTableHost {
  routingTable: {
    add(peer: PeerId, options?: { signal?: AbortSignal }): Promise<void>;
    remove(peer: PeerId, options?: { signal?: AbortSignal }): Promise<void>;
    find?(peer: PeerId): Promise<PeerId | undefined>;
  };
}

/**
 * Keeps a DHT routing table in step with the active set: connected peers that became active are
 * added, peers that stopped being active (bond below the curve, exit, rotated key) are removed.
 * Returns the unsubscribe function.
 */
export function syncRoutingTable(dht: RoutingTableHost, activeSet: ActiveSet, connectedPeers: () => PeerId[], onError?: (e: Error) => void): () => void {
  return activeSet.onChange(({ added, removed }) => {
    const gone = new Set(removed.map((n) => n.nodeKey));
    const came = new Set(added.map((n) => n.nodeKey));
    void (async () => {
      for (const peer of connectedPeers()) {
        try {
          if (activeSet.hasPeer(peer)) {
            if (came.size > 0) await dht.routingTable.add(peer);
          } else if (gone.size > 0) {
            await dht.routingTable.remove(peer);
          }
        } catch (e) {
          onError?.(e as Error);
        }
      }
    })();
  });
}

export interface GossipScoringOptions {
  /** Topics this peer validates (their invalid messages are penalised). */
  topics: string[];
  /**
   * IPs exempt from the IP-colocation penalty: ["127.0.0.1"] on loopback (tests, devnet), else
   * every peer on one host scores below the graylist and no mesh forms. Empty in production.
   */
  ipColocationWhitelist?: string[];
}

export interface GossipScoring {
  scoreParams: Partial<PeerScoreParams>;
  scoreThresholds: Partial<PeerScoreThresholds>;
}

/** Topic score parameters: only P4 (invalid messages) and a small P1 (time in mesh) count. */
export function meshTopicScoreParams(): Partial<TopicScoreParams> {
  return {
    topicWeight: 1,
    timeInMeshWeight: 0.01,
    timeInMeshQuantum: 1000,
    timeInMeshCap: 300,
    // announcements arrive about once a minute: delivery-rate terms would punish honest peers
    firstMessageDeliveriesWeight: 0,
    firstMessageDeliveriesDecay: 0.5,
    firstMessageDeliveriesCap: 10,
    meshMessageDeliveriesWeight: 0,
    meshMessageDeliveriesDecay: 0.5,
    meshMessageDeliveriesCap: 10,
    meshMessageDeliveriesThreshold: 1,
    meshMessageDeliveriesWindow: 10,
    meshMessageDeliveriesActivation: 5000,
    meshFailurePenaltyWeight: 0,
    meshFailurePenaltyDecay: 0.5,
    invalidMessageDeliveriesWeight: INVALID_MESSAGE_WEIGHT,
    // counter × 0.9 per second: a single mistake fades within ~20 s, sustained spam does not
    invalidMessageDeliveriesDecay: 0.9,
  };
}

/** gossipsub scoreParams/scoreThresholds that keep everyone but active nodes out of meshes. */
export function meshGossipScoring(activeSet: Pick<ActiveSet, "hasPeer">, options: GossipScoringOptions): GossipScoring {
  const topics: Record<string, TopicScoreParams> = {};
  for (const t of options.topics) topics[t] = meshTopicScoreParams() as TopicScoreParams;
  return {
    scoreParams: {
      topics,
      // positive topic contributions can never lift a non-node to 0
      topicScoreCap: 5,
      appSpecificScore: (peer: string) => (activeSet.hasPeer(peer) ? 0 : NON_NODE_APP_SCORE),
      appSpecificWeight: 1,
      IPColocationFactorWhitelist: new Set(options.ipColocationWhitelist ?? []),
      decayInterval: 1000,
      decayToZero: 0.01,
    },
    scoreThresholds: {
      gossipThreshold: GOSSIP_THRESHOLD,
      publishThreshold: PUBLISH_THRESHOLD,
      graylistThreshold: GRAYLIST_THRESHOLD,
      acceptPXThreshold: 10,
      opportunisticGraftThreshold: 1,
    },
  };
}

export interface ConnectionGaterOptions {
  /** Refuse inbound connections from peers that are not active nodes (default false: clients welcome). */
  nodesOnly?: boolean;
  /** Peers (PeerId strings) never to dial or accept. */
  deny?: Set<string>;
}

/** A libp2p ConnectionGater with a local deny-list and an optional nodes-only mode. */
export function meshConnectionGater(activeSet: Pick<ActiveSet, "hasPeer">, options: ConnectionGaterOptions = {}): ConnectionGater {
  const denied = (peer: PeerId): boolean => options.deny?.has(peer.toString()) ?? false;
  return {
    denyDialPeer: (peer) => denied(peer),
    denyInboundEncryptedConnection: (peer) => denied(peer) || (options.nodesOnly === true && !activeSet.hasPeer(peer)),
    denyOutboundEncryptedConnection: (peer) => denied(peer),
  };
}
