/**
 * libp2p service factories for the mesh, with the settings this project needs
 * (docs/mesh.md): gossipsub with StrictNoSign, peer scoring that keeps
 * non-nodes out of meshes, and kad-dht on the CDN's own protocol id, in server mode on nodes and
 * client mode on clients, with the gating peer-info mapper. Pass the result as `services` to
 * `createHost` (agents/runtime/host.ts), then start MeshGossip and MeshDht over them.
 */
import { createHash } from "node:crypto";
import { gossipsub, StrictNoSign, type GossipSub, type Message } from "@libp2p/gossipsub";
import { kadDHT, passthroughMapper, removePrivateAddressesMapper, type KadDHT } from "@libp2p/kad-dht";
import type { Libp2pOptions } from "libp2p";
import type { ActiveSet } from "./active-set.js";
import { meshGossipScoring, meshPeerInfoMapper } from "./gating.js";
import { MeshGossip } from "./gossip.js";

/** The CDN's DHT protocol id: its own network, apart from the IPFS DHT. */
export const PROTOCOL_KAD = "/cdn/kad/1.0.0";
/** Provider records stored for others expire after this (we re-provide every 30–50 min). */
export const PROVIDER_VALIDITY_MS = 2 * 3600_000;

export interface MeshServicesOptions {
  role: "node" | "client";
  /** Regions whose topics are validated and scored (a node: its own). */
  regions: number[];
  /** Loopback deployment (tests, devnet): keep 127.0.0.1 addresses and skip the IP-colocation penalty. */
  loopback?: boolean;
  /** gossipsub heartbeat in ms (default 1,000). */
  heartbeatIntervalMs?: number;
  /** Default StrictNoSign (messages carry EIP-712 signatures); StrictSign only to measure its cost (bench). */
  signaturePolicy?: "StrictNoSign" | "StrictSign";
}

/**
 * gossipsub message id under StrictNoSign: SHA-256 of the topic and the data (node:crypto). The
 * default hashes the data only, so one announcement published on the global and the region topic
 * would be a "duplicate" on the second.
 */
export function meshMessageId(msg: Message): Uint8Array {
  return createHash("sha256")
    .update(msg.topic)
    .update(new Uint8Array([0]))
    .update(msg.data)
    .digest();
}

export type MeshServiceMap = { pubsub: GossipSub; dht: KadDHT };

export function meshServices(options: MeshServicesOptions, deps: { activeSet: Pick<ActiveSet, "hasPeer"> }): NonNullable<Libp2pOptions<MeshServiceMap>["services"]> {
  const loopback = options.loopback ?? false;
  const scoring = meshGossipScoring(deps.activeSet, { topics: MeshGossip.topicsFor(options.regions), ipColocationWhitelist: loopback ? ["127.0.0.1"] : [] });
  return {
    pubsub: gossipsub({
      globalSignaturePolicy: options.signaturePolicy ?? StrictNoSign,
      msgIdFn: meshMessageId,
      allowPublishToZeroTopicPeers: true,
      emitSelf: false,
      doPX: false,
      heartbeatInterval: options.heartbeatIntervalMs ?? 1000,
      scoreParams: scoring.scoreParams,
      scoreThresholds: scoring.scoreThresholds,
    }),
    dht: kadDHT({
      protocol: PROTOCOL_KAD,
      clientMode: options.role === "client",
      peerInfoMapper: meshPeerInfoMapper(deps.activeSet, loopback ? passthroughMapper : removePrivateAddressesMapper),
      providers: { provideValidity: PROVIDER_VALIDITY_MS },
      reprovide: { validity: PROVIDER_VALIDITY_MS, threshold: PROVIDER_VALIDITY_MS / 2 },
    }),
  } as unknown as NonNullable<Libp2pOptions<MeshServiceMap>["services"]>;
}
