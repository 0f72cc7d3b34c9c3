/**
 * The node's mesh (docs/mesh.md, "Modules and how to wire them"), in the documented order:
 * FreshnessGuard → ActiveSet and BlacklistView (started) → libp2p services (gossipsub + kad-dht
 * with gating, the probe responder fed by the node's blobs, offer and freshness) → host →
 * routing-table sync → MeshDht (provides every held blob, re-provides on schedule) → MeshGossip
 * (signed announcements; origins publish content records) → bootstrap dials to active nodes.
 * On a blacklist entry: stop providing, (the fetch path already refuses), evict from the cache.
 */
import type { ConnectionGater, Libp2p, PeerId } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { cachedChainTime, type Contracts } from "../chain/contracts.js";
import type { Logger } from "../runtime/logger.js";
import type { Identity } from "../runtime/keys.js";
import type { Signed } from "../protocol/wire/messages.js";
import type { ContentRecordValue } from "../protocol/eip712.js";
import { FreshnessGuard } from "../mesh/freshness.js";
import { ActiveSet, registryActiveSetSource } from "../mesh/active-set.js";
import { BlacklistView, blobKeyOf, contentBlacklistSource, enforceBlacklist } from "../mesh/blacklist.js";
import { meshServices, type MeshServiceMap } from "../mesh/services.js";
import { probe, type ProbeAnswer, type ProbeService } from "../mesh/probe.js";
import { meshConnectionGater, syncRoutingTable } from "../mesh/gating.js";
import { MeshDht, ProviderRecordGate, type RoutingTableView } from "../mesh/dht.js";
import { MeshGossip, originRegistryChecker, type ValidationOutcome } from "../mesh/gossip.js";
import { dialableNodes } from "../chain/registry.js";
import type { BlobCache } from "./cache/index.js";

export interface NodeMeshOptions {
  region: number;
  /** 127.0.0.1 deployment (tests, devnet): keep loopback addresses, no IP-colocation penalty. */
  loopback: boolean;
  /** Refuse to serve while the chain view is older than this (default 30 min). */
  maxChainViewAgeMs?: number;
  /** Local deny-list file (one blob id a line), on top of ContentBlacklist. */
  denyListFile?: string;
  activeSetRefreshMs?: number;
  blacklistRefreshMs?: number;
  announceIntervalMs?: number;
  /** Refuse inbound connections from peers that are not active nodes (a backbone node that serves no clients). */
  nodesOnly?: boolean;
}

export interface NodeMeshDeps {
  contracts: Contracts;
  identity: Identity;
  logger: Logger;
  onProbeResult?: (peer: PeerId, result: ProbeAnswer | Error) => void;
  /** Every probe this node answered or refused (metrics: cdn_node_probes_total{direction="in"}). */
  onProbeInbound?: (peer: PeerId, result: "answered" | "rate_limited" | "bad_request") => void;
  /** Every gossip validation outcome (metrics: cdn_node_gossip_messages_total{kind,result}). */
  onValidation?: (outcome: ValidationOutcome) => void;
}

/** What the probe responder and the announcements need from the node. */
export interface NodeMeshHooks {
  sizeOf(blobId: string): number | undefined;
  offer(): { pricePerGiB: bigint; load: number };
  multiaddrs(): string[];
}

export type NodeServices = MeshServiceMap & { probe: ProbeService };

export class NodeMesh {
  readonly freshness: FreshnessGuard;
  readonly activeSet: ActiveSet;
  readonly blacklist: BlacklistView;
  /** The host's datastore: DHT provider records only from active nodes (and capped). */
  readonly datastore: ProviderRecordGate;
  dht: MeshDht | undefined;
  gossip: MeshGossip | undefined;
  private cache: BlobCache | undefined;
  private unsync: (() => void) | undefined;
  private readonly log: Logger;

  constructor(
    readonly options: NodeMeshOptions,
    private readonly deps: NodeMeshDeps,
  ) {
    this.log = deps.logger.child({ module: "mesh" });
    this.freshness = new FreshnessGuard({ maxAgeMs: options.maxChainViewAgeMs });
    const onError = (e: Error) => this.log.warn({ err: e.message }, "chain view refresh failed");
    this.activeSet = new ActiveSet({ refreshIntervalMs: options.activeSetRefreshMs }, { source: registryActiveSetSource(deps.contracts.registry), freshness: this.freshness, onError });
    this.blacklist = new BlacklistView(
      { refreshIntervalMs: options.blacklistRefreshMs, denyListFile: options.denyListFile },
      { source: contentBlacklistSource(deps.contracts.blacklist), freshness: this.freshness, onListed: (key) => void this.onListed(key), onError },
    );
    const self = deps.identity.peerId.toString();
    this.datastore = new ProviderRecordGate((peer) => peer === self || this.activeSet.hasPeer(peer));
  }

  /** The host's connection gater beyond the operator deny list: nodes-only mode when configured. */
  gater(): ConnectionGater {
    return meshConnectionGater(this.activeSet, { nodesOnly: this.options.nodesOnly ?? false });
  }

  isBlacklisted = (blobId: string): boolean => this.blacklist.isBlacklisted(blobId);

  /** Reads the active set and the deny-set (before the host starts: gating needs them). */
  async prepare(options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.activeSet.start(options);
    await this.blacklist.start(options);
  }

  /** libp2p services for createHost. */
  services(hooks: NodeMeshHooks): Record<string, unknown> {
    return {
      ...meshServices({ role: "node", regions: [this.options.region], loopback: this.options.loopback }, { activeSet: this.activeSet }),
      probe: probe({
        hasBlob: (id) => hooks.sizeOf(id) !== undefined,
        sizeOf: (id) => hooks.sizeOf(id) ?? 0,
        offer: hooks.offer,
        freshness: this.freshness,
        isBlacklisted: this.isBlacklisted,
        onResult: this.deps.onProbeResult,
        onInbound: this.deps.onProbeInbound,
      }),
    };
  }

  /** After the host started: routing-table sync, DHT provides, gossip, bootstrap dials. */
  async attach(host: Libp2p<NodeServices>, held: string[], hooks: NodeMeshHooks, cache?: BlobCache): Promise<void> {
    this.cache = cache;
    const { contracts, identity } = this.deps;
    this.unsync = syncRoutingTable(
      host.services.dht as never,
      this.activeSet,
      () => host.getPeers(),
      (e) => this.log.debug({ err: e.message }, "routing-table sync"),
    );
    // kad-dht's implementation exposes its routing table: a node joining it gets the records of the blobs it is close to
    const routingTable = (host.services.dht as unknown as { routingTable?: RoutingTableView }).routingTable;
    this.dht = new MeshDht(
      {},
      { dht: host.services.dht, self: host.peerId, activeSet: this.activeSet, routingTable, isBlacklisted: this.isBlacklisted, onError: (e) => this.log.debug({ err: e.message }, "dht") },
    );
    this.dht.start();
    this.gossip = new MeshGossip(
      {
        role: "node",
        regions: [this.options.region],
        nodeRegistryDomain: contracts.domains.nodeRegistry,
        originRegistryDomain: contracts.domains.originRegistry,
        announceIntervalMs: this.options.announceIntervalMs,
      },
      {
        pubsub: host.services.pubsub,
        activeSet: this.activeSet,
        origins: originRegistryChecker(contracts.origins),
        chainTime: cachedChainTime(contracts.provider),
        signer: { secretKey: identity.secretKey, nodeKey: identity.address.toLowerCase(), region: this.options.region, offer: () => ({ ...hooks.offer(), multiaddrs: hooks.multiaddrs() }) },
        isBlacklisted: this.isBlacklisted,
        onValidation: this.deps.onValidation,
        onError: (e) => this.log.debug({ err: e.message }, "gossip"),
      },
    );
    await this.bootstrap(host);
    // nodes that join later: dial them when the active set learns about them
    const unwatch = this.activeSet.onChange(({ added }) => {
      if (added.length > 0) void this.bootstrap(host);
    });
    const unsync = this.unsync;
    this.unsync = () => {
      unsync?.();
      unwatch();
    };
    await this.gossip.start();
    for (const id of held) void this.provide(id);
  }

  /** Dials the active nodes' registered addresses (best effort) so the DHT and gossip meshes form. */
  async bootstrap(host: Libp2p, options: { max?: number } = {}): Promise<void> {
    const self = this.deps.identity.address.toLowerCase();
    let nodes;
    try {
      nodes = (await dialableNodes(this.deps.contracts.registry)).filter((n) => n.nodeKey !== self);
    } catch (error) {
      this.log.warn({ err: (error as Error).message }, "bootstrap: cannot read the active nodes");
      return;
    }
    await Promise.allSettled(
      nodes.slice(0, options.max ?? 20).map((n) =>
        host.dial(
          n.multiaddrs.map((a) => multiaddr(a)),
          { signal: AbortSignal.timeout(5000) },
        ),
      ),
    );
  }

  /** Provides a held blob in the DHT (not if blacklisted). */
  async provide(blobId: string): Promise<void> {
    if (!this.dht || this.isBlacklisted(blobId)) return;
    try {
      await this.dht.provide(blobId);
    } catch (error) {
      this.log.debug({ blobId, err: (error as Error).message }, "provide failed");
    }
  }

  /** Stops providing a blob the node no longer holds (evicted from the cache). */
  async stopProviding(blobId: string): Promise<void> {
    if (!this.dht) return;
    try {
      await this.dht.stopProviding(blobId);
    } catch (error) {
      this.log.debug({ blobId, err: (error as Error).message }, "stop providing failed");
    }
  }

  /** Origins: the content record of a published blob, on the global topic. */
  async publishContentRecord(record: Signed<ContentRecordValue>): Promise<void> {
    await this.gossip?.publishContentRecord(record).catch((e: unknown) => this.log.debug({ err: (e as Error).message }, "content record not published"));
  }

  /** A new blacklist key: every held or provided blob under it stops being provided and is evicted. */
  private async onListed(key: string): Promise<void> {
    const ids = new Set([...(this.dht?.providing() ?? []), ...(this.cache?.list().map((b) => b.blobId) ?? [])]);
    for (const id of ids) {
      if (blobKeyOf(id) !== key) continue;
      const done = await enforceBlacklist(id, { dht: this.dht, cache: this.cache }).catch((e: unknown) => this.log.warn({ err: (e as Error).message }, "blacklist enforcement failed"));
      this.log.info({ blobId: id, ...(done ?? {}) }, "blacklisted: no longer provided or cached");
    }
  }

  async stop(): Promise<void> {
    this.activeSet.stop();
    this.blacklist.stop();
    this.unsync?.();
    this.dht?.stop();
    await this.gossip?.stop();
  }
}
