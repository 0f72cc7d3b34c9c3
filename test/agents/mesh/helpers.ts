/** Shared helpers of the mesh tests: real libp2p hosts on 127.0.0.1 with the mesh services. */
import type { IdentifyResult, Libp2p, PeerId } from "@libp2p/interface";
import type { GossipSub } from "@libp2p/gossipsub";
import type { KadDHT } from "@libp2p/kad-dht";
import { createHost } from "../../../agents/runtime/host.js";
import { identityFromSecret, type Identity } from "../../../agents/runtime/keys.js";
import { randomBytes } from "node:crypto";
import { ActiveSet, type ActiveNode, type ActiveSetSource } from "../../../agents/mesh/active-set.js";
import { meshServices } from "../../../agents/mesh/services.js";
import { probe, type ProbeInit, type ProbeService } from "../../../agents/mesh/probe.js";

/** gossipsub exposes these on its implementation, not on its interface. */
export type GossipSubImpl = GossipSub & { getMeshPeers(topic: string): string[]; getScore(peer: string): number };
export type MeshHost = Libp2p<{ pubsub: GossipSubImpl; dht: KadDHT; probe: ProbeService }>;

export function newIdentity(): Identity {
  return identityFromSecret(new Uint8Array(randomBytes(32)));
}

/** An ActiveSetSource over a mutable set of node keys (for tests that do not need the chain). */
export class StaticSource implements ActiveSetSource {
  readonly keys = new Set<string>();
  reads = 0;
  fail = false;
  add(...addresses: string[]): this {
    for (const a of addresses) this.keys.add(a.toLowerCase());
    return this;
  }
  async activeNodes(): Promise<{ nodes: ActiveNode[]; nextId: bigint }> {
    this.reads++;
    if (this.fail) throw new Error("rpc down");
    return {
      nodes: [...this.keys].map((k, i) => ({ nodeId: BigInt(i + 1), nodeKey: k, operator: k, region: 1, pricePerGiB: 10n, capacityMbps: 100 })),
      nextId: 0n,
    };
  }
  async isActive(nodeKey: string): Promise<boolean> {
    this.reads++;
    if (this.fail) throw new Error("rpc down");
    return this.keys.has(nodeKey.toLowerCase());
  }
}

export interface HostSpec {
  identity: Identity;
  role: "node" | "client";
  activeSet: ActiveSet;
  regions?: number[];
  probe?: ProbeInit;
  /** libp2p datastore (e.g. a ProviderRecordGate). */
  datastore?: Parameters<typeof createHost>[0]["datastore"];
}

export async function startHost(spec: HostSpec): Promise<MeshHost> {
  const host = await createHost({
    privateKey: spec.identity.privateKey,
    listen: spec.role === "node" ? ["/ip4/127.0.0.1/tcp/0"] : [],
    allow: ["/ip4/127.0.0.1"],
    datastore: spec.datastore,
    services: {
      ...meshServices({ role: spec.role, regions: spec.regions ?? [1], loopback: true, heartbeatIntervalMs: 200 }, { activeSet: spec.activeSet }),
      probe: probe(spec.probe ?? {}),
    },
  });
  return host as unknown as MeshHost;
}

export async function connect(from: MeshHost, to: MeshHost): Promise<void> {
  await from.dial(to.getMultiaddrs()[0]);
}

/** Polls `cond` until true (or throws after `timeoutMs`). */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Keeps `from` connected to `to` until `seen` (an `identified(to, from.peerId)` taken before any
 * dial) resolves: then `to`'s side of a connection is up and it knows the peer's protocols (kad-dht
 * has been told of the peer and its gate has decided). A dial resolves when the dialer's side is up;
 * on a loaded machine a connection was sometimes aborted before the listener identified the peer:
 * then it is dialled again.
 */
export async function connectUntilIdentified(from: MeshHost, to: MeshHost, seen: Promise<IdentifyResult>): Promise<IdentifyResult> {
  for (;;) {
    const connection = from.getConnections(to.peerId).find((c) => c.status === "open") ?? (await from.dial(to.getMultiaddrs()[0]));
    const closed = new Promise<undefined>((resolve) => {
      if (connection.status !== "open") return resolve(undefined);
      connection.addEventListener("close", () => resolve(undefined), { once: true });
    });
    const result = await Promise.race([seen, closed]);
    if (result) return result;
  }
}

/** Resolves when `host` next identifies `peer` (take it before `peer` could connect). */
export function identified(host: MeshHost, peer: PeerId): Promise<IdentifyResult> {
  return new Promise((resolve) => {
    const onIdentify = (event: CustomEvent<IdentifyResult>) => {
      if (!event.detail.peerId.equals(peer)) return;
      host.removeEventListener("peer:identify", onIdentify);
      resolve(event.detail);
    };
    host.addEventListener("peer:identify", onIdentify);
  });
}

/** Whether `peer` is in `host`'s DHT routing table. */
export async function inRoutingTable(host: MeshHost, peer: PeerId): Promise<boolean> {
  const rt = (host.services.dht as unknown as { routingTable: { find(p: PeerId): Promise<PeerId | undefined> } }).routingTable;
  return (await rt.find(peer)) !== undefined;
}

export async function stopAll(hosts: (MeshHost | undefined)[]): Promise<void> {
  await Promise.all(
    hosts
      .filter((h): h is MeshHost => h !== undefined)
      .map(async (h) => {
        try {
          await h.stop();
        } catch {
          // already stopped
        }
      }),
  );
}
