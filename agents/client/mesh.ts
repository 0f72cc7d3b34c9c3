/**
 * The client's side of the mesh (docs/mesh.md): an on-chain active set and deny-set, gossipsub as
 * a subscriber (never publishes) and kad-dht in client mode with the gating mapper. Pass
 * `services` to createHost, then `attach(host)` and give the returned `dht` to createClient
 * (`deps.dht`): discovery falls back to it after a probe miss; blacklisted ids are never looked up.
 */
import type { Libp2p } from "@libp2p/interface";
import { cachedChainTime, type Contracts } from "../chain/contracts.js";
import { ActiveSet, registryActiveSetSource } from "../mesh/active-set.js";
import { BlacklistView, contentBlacklistSource } from "../mesh/blacklist.js";
import { FreshnessGuard } from "../mesh/freshness.js";
import { meshServices, type MeshServiceMap } from "../mesh/services.js";
import { MeshDht } from "../mesh/dht.js";
import { MeshGossip, originRegistryChecker } from "../mesh/gossip.js";

export interface ClientMeshOptions {
  /** Regions whose topics to follow (default: all announcements arrive on the global topic too). */
  regions: number[];
  loopback?: boolean;
}

export class ClientMesh {
  readonly freshness = new FreshnessGuard();
  readonly activeSet: ActiveSet;
  readonly blacklist: BlacklistView;
  dht: MeshDht | undefined;
  gossip: MeshGossip | undefined;

  constructor(
    readonly options: ClientMeshOptions,
    private readonly contracts: Contracts,
  ) {
    this.activeSet = new ActiveSet({}, { source: registryActiveSetSource(contracts.registry), freshness: this.freshness });
    this.blacklist = new BlacklistView({}, { source: contentBlacklistSource(contracts.blacklist), freshness: this.freshness });
  }

  async prepare(options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.activeSet.start(options);
    await this.blacklist.start(options);
  }

  services(): Record<string, unknown> {
    return meshServices({ role: "client", regions: this.options.regions, loopback: this.options.loopback }, { activeSet: this.activeSet });
  }

  async attach(host: Libp2p<MeshServiceMap>): Promise<MeshDht> {
    const isBlacklisted = (id: string) => this.blacklist.isBlacklisted(id);
    this.dht = new MeshDht({}, { dht: host.services.dht, self: host.peerId, activeSet: this.activeSet, isBlacklisted });
    this.gossip = new MeshGossip(
      { role: "client", regions: this.options.regions, nodeRegistryDomain: this.contracts.domains.nodeRegistry, originRegistryDomain: this.contracts.domains.originRegistry },
      { pubsub: host.services.pubsub, activeSet: this.activeSet, origins: originRegistryChecker(this.contracts.origins), chainTime: cachedChainTime(this.contracts.provider), isBlacklisted },
    );
    await this.gossip.start();
    return this.dht;
  }

  async stop(): Promise<void> {
    this.activeSet.stop();
    this.blacklist.stop();
    this.dht?.stop();
    await this.gossip?.stop();
  }
}
