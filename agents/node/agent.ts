/**
 * The node agent: a libp2p host with the fetch and probe services, a chain follower
 * (PaymentChannel events from a stored cursor with a confirmation depth), periodic refreshes of
 * its registry record and origin status, and the earnings policy. Constructed with
 * (options, dependencies) so tests inject chain, store and logger.
 */
import type { Libp2p } from "@libp2p/interface";
import { Wallet, toBeHex, zeroPadValue, type Provider } from "ethers";
import { chainTime, readChannels, type Contracts } from "../chain/contracts.js";
import { resolveConfirmations } from "../chain/confirmations.js";
import { ChainFollower } from "../chain/follower.js";
import type { TxSender } from "../chain/tx-sender.js";
import { createHost } from "../runtime/host.js";
import { addressOfPeer } from "../runtime/peers.js";
import type { Identity } from "../runtime/keys.js";
import { silentLogger, type Logger } from "../runtime/logger.js";
import { AgentError } from "../runtime/errors.js";
import { trace } from "../runtime/trace.js";
import { OriginBackend, type PublishedBlob } from "./backend.js";
import type { NodeChainView } from "./chain.js";
import { ChainView, type ChainViewDeps, type ChainViewOptions } from "./chain-view.js";
import { checkCreditConfig, DEFAULT_CREDIT, type CreditConfig } from "../protocol/credit.js";
import { DEFAULT_EARNINGS, Earnings, type EarningsOptions } from "./earnings.js";
import { fetchService, type FetchComponents, type FetchLimits, type FetchService } from "./fetch/index.js";
import type { NodeStore } from "./store.js";
import { createWatchtowerPusher, type WatchtowerPusher } from "../mesh/watchtower-push.js";
import path from "node:path";
import { createClient, type ClientOptions } from "../client/client.js";
import { viaTxSender } from "../client/channels.js";
import { ClientStore } from "../client/store.js";
import { BlobCache, type EvictReason } from "./cache/index.js";
import { Fanout } from "./fanout.js";
import { CapacityLimiter } from "./limiter.js";
import { NodeMesh, type NodeMeshHooks, type NodeMeshOptions, type NodeServices } from "./mesh.js";
import { startMetricsServer, type MetricsServer } from "../runtime/metrics.js";
import { meshMetricsHooks, NodeMetrics, type MeshMetricsHooks } from "./metrics.js";
import { peerCounts } from "../mesh/metrics-hooks.js";

export interface NodeAgentOptions {
  listen: string[];
  announce?: string[];
  backendDir: string;
  credit?: Partial<CreditConfig>;
  earnings?: Partial<EarningsOptions>;
  confirmations?: number;
  pollMs?: number;
  maxLogRange?: number;
  /** Sweep the earnings policy this often (ms); 0 disables. */
  sweepMs?: number;
  /** Allow-list for connection limits (loopback tests). */
  allow?: string[];
  /** Peer ids this node never dials nor accepts (the operator's deny list). */
  denyPeers?: string[];
  /** Overrides of the fetch service's limits and timeouts. */
  fetchLimits?: Partial<FetchLimits>;
  /** Watchtowers (multiaddrs ending with /p2p/<peer id>) that receive every stored voucher. */
  watchtowers?: string[];
  /** Bounty beneficiary named in the WatchtowerAuth (default: the node's operator). */
  watchtowerBeneficiary?: string;
  /** Bounty in basis points of what a watchtower's dispute recovers (0..2000, default 1000). */
  watchtowerMaxBps?: number;
  /**
   * A cache node: blobs fetched from other holders are kept in `dir` within `budgetBytes` (LRU),
   * and a miss is fetched upstream (fan-out, paid from the node key's own USDC) unless `fanout` is false.
   */
  cache?: { dir: string; budgetBytes: number; fanout?: boolean };
  /** The mesh (gossip, DHT, probes, active set, deny-set, freshness); `loopback` defaults to "listens on 127.x". */
  mesh?: Partial<Omit<NodeMeshOptions, "region">>;
  /** Serve Prometheus metrics on 127.0.0.1:<port> (0 = any free port); undefined = no endpoint (the series are still kept). */
  metricsPort?: number;
  /** The followed chain view of the fetch path (head poll every 1 s by default, staleness bound 60 s). */
  chainView?: ChainViewOptions;
}

export interface NodeAgentDeps {
  identity: Identity;
  /** Contracts connected to the node key's wallet (claims and closes). */
  contracts: Contracts;
  store: NodeStore;
  logger?: Logger;
  /** What the fetch path reads from the chain (default: the followed ChainView). */
  chain?: NodeChainView;
  /** The node key's transaction sender (default: one with default settings). */
  sender?: TxSender;
  tamper?: (leafIndex: number, data: Uint8Array) => Uint8Array;
}

/** Full re-reads of the active set and the deny-set while the chain view follows their events (a safety net). */
const EVENT_DRIVEN_REFRESH_MS = 10 * 60_000;
/** The closes follower's poll: a payer's close is answered within the dispute window (12 h at least), a minute late costs nothing. */
const CLOSES_POLL_MS = 60_000;

export class NodeError extends AgentError {}

export class NodeAgent {
  host: Libp2p | undefined;
  fetch: FetchService | undefined;
  readonly backend: OriginBackend;
  readonly earnings: Earnings;
  readonly log: Logger;
  nodeId = 0n;
  pricePerGiB = 0n;
  origin = { recognized: false, epoch: 0n };
  private follower: ChainFollower | undefined;
  /** The followed view of what the fetch path checks (deny-set, channels, chain time). */
  chainView: ChainView | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly credit: CreditConfig;
  private pusher: WatchtowerPusher | undefined;
  cache: BlobCache | undefined;
  fanout: Fanout | undefined;
  private upstreamStore: ClientStore | undefined;
  /** The fan-out client's options: its price cap follows the node's own price (the price rule). */
  private readonly upstreamOptions: ClientOptions = {};
  mesh: NodeMesh | undefined;
  limiter: CapacityLimiter | undefined;
  readonly metrics: NodeMetrics;
  metricsServer: MetricsServer | undefined;
  region = 0;
  capacityMbps = 0;

  constructor(
    readonly options: NodeAgentOptions,
    readonly deps: NodeAgentDeps,
  ) {
    this.log = deps.logger ?? silentLogger();
    this.backend = new OriginBackend(options.backendDir, deps.store);
    this.credit = { ...DEFAULT_CREDIT, ...(options.credit ?? {}) };
    this.earnings = new Earnings({ ...DEFAULT_EARNINGS, ...(options.earnings ?? {}) }, { contracts: deps.contracts, store: deps.store, logger: this.log, sender: deps.sender });
    this.metrics = new NodeMetrics(
      { defaultMetrics: options.metricsPort !== undefined },
      {
        chainViewAgeMs: () => this.mesh?.freshness.ageMs() ?? Infinity,
        peers: () => (this.host && this.mesh ? peerCounts(() => this.host!.getPeers(), this.mesh.activeSet)() : { nodes: 0, clients: 0 }),
        cacheBytes: () => this.cache?.usedBytes ?? 0,
        channels: () => deps.store.channelCounts(),
        watchtowers: () => this.pusher?.status() ?? [],
      },
    );
  }

  get address(): string {
    return this.deps.identity.address.toLowerCase();
  }

  /** Reads the node's registry record and origin status. Throws if the key is not an active node. */
  async refresh(): Promise<void> {
    const { registry, origins } = this.deps.contracts;
    const nodeId = await registry.nodeIdOf(this.address);
    if (nodeId === 0n) throw new NodeError("ERR_NOT_REGISTERED", `Node key ${this.deps.identity.address} is not registered (run \`cdn-node register\`).`);
    const [active, node, origin] = await Promise.all([registry.isActive(this.address), registry.getNode(nodeId), origins.originOf(nodeId)]);
    if (!active) throw new NodeError("ERR_NOT_ACTIVE", `Node ${nodeId} is not active (exiting, or its bond is below the requirement).`);
    this.nodeId = nodeId;
    this.pricePerGiB = node.pricePerGiB;
    this.upstreamOptions.maxPricePerGiB = node.pricePerGiB;
    this.region = Number(node.region);
    this.capacityMbps = Number(node.capacityMbps);
    const recognized = origin.recognized;
    if (recognized !== this.origin.recognized) this.log.info({ nodeId: nodeId.toString(), recognized }, recognized ? "recognized origin: backend enabled" : "not a recognized origin: backend ignored");
    this.origin = { recognized, epoch: origin.currentEpoch };
  }

  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.refresh();
    options.signal?.throwIfAborted();
    checkCreditConfig(this.credit, this.pricePerGiB);
    const hooks = meshMetricsHooks(this.metrics);
    this.mesh = this.createMesh(hooks);
    await this.mesh.prepare(options);
    this.chainView = await this.startChainView(this.mesh);
    const chain = this.deps.chain ?? this.chainView;
    this.limiter = new CapacityLimiter({ capacityMbps: this.capacityMbps });
    const meshHooks: NodeMeshHooks = {
      sizeOf: (id) => this.fetch?.hasBlob(id),
      offer: () => this.fetch?.offer() ?? { pricePerGiB: this.pricePerGiB, load: 0 },
      multiaddrs: () => (this.options.announce?.length ? this.options.announce : (this.host?.getMultiaddrs().map(String) ?? [])),
    };
    if (this.options.cache) {
      this.cache = new BlobCache({ dir: this.options.cache.dir, budgetBytes: this.options.cache.budgetBytes }, { db: this.deps.store.db, onEvict: (id, reason) => this.onEvicted(id, reason) });
    }
    const fetch = this.fetchServiceFactory(chain, this.mesh);
    const services = { ...this.mesh.services(meshHooks), fetch };
    const host = await createHost<{ fetch: FetchService }>({
      privateKey: this.deps.identity.privateKey,
      listen: this.options.listen,
      announce: this.options.announce,
      allow: this.options.allow,
      denyPeers: this.options.denyPeers,
      gater: this.mesh.gater(),
      datastore: this.mesh.datastore,
      services: services as never,
    });
    this.host = host;
    this.fetch = host.services.fetch;
    if (this.cache && this.options.cache?.fanout !== false) this.fanout = this.startFanout(host, this.cache, hooks);
    const held = [...(this.origin.recognized ? this.deps.store.blobs().map((b) => b.blobId) : []), ...(this.cache?.list().map((b) => b.blobId) ?? [])];
    await this.mesh.attach(this.host as unknown as Libp2p<NodeServices>, held, meshHooks, this.cache);
    if (this.options.metricsPort !== undefined) this.metricsServer = await startMetricsServer({ port: this.options.metricsPort }, { registry: this.metrics.registry });
    if (this.options.watchtowers?.length) await this.startWatchtowerPush(this.host, this.options.watchtowers);
    await this.followCloses();
    this.startSweep();
    trace("node started", { key: this.address, origin: this.origin.recognized });
    this.log.info({ nodeId: this.nodeId.toString(), peerId: this.host.peerId.toString(), addrs: this.host.getMultiaddrs().map(String), origin: this.origin.recognized }, "node started");
  }

  /** The node's mesh (gossip, DHT, probe answers, active set and blacklist views), counting what it reports in the metrics. */
  private createMesh(hooks: MeshMetricsHooks): NodeMesh {
    const loopback = this.options.mesh?.loopback ?? this.options.listen.some((a) => a.startsWith("/ip4/127."));
    // the chain view follows events: the active set and deny-set re-read on their events, with a slow full refresh as a safety net
    const meshOptions = { activeSetRefreshMs: EVENT_DRIVEN_REFRESH_MS, blacklistRefreshMs: EVENT_DRIVEN_REFRESH_MS, ...(this.options.mesh ?? {}) };
    return new NodeMesh(
      { ...meshOptions, region: this.region, loopback },
      { contracts: this.deps.contracts, identity: this.deps.identity, logger: this.log, onProbeResult: hooks.onProbeResult, onProbeInbound: hooks.onProbeInbound, onValidation: hooks.onValidation },
    );
  }

  /** The fetch protocol's service, wired to the node's store, chain view, cache, fan-out and metrics. */
  private fetchServiceFactory(chain: NodeChainView, mesh: NodeMesh): (components: FetchComponents) => FetchService {
    return fetchService(
      { nodeKey: this.address, nodeId: this.nodeId, secretKey: this.deps.identity.secretKey, pricePerGiB: this.pricePerGiB, credit: this.credit, limits: this.options.fetchLimits },
      {
        chain,
        store: this.deps.store,
        backend: this.backend,
        logger: this.log,
        isOrigin: () => this.origin.recognized,
        tamper: this.deps.tamper,
        onVoucherStored: (channelId, amount, signature) => this.pusher?.onVoucherStored(channelId, amount, signature),
        cache: this.cache,
        fanout: () => this.fanout,
        freshness: mesh.freshness,
        isBlacklisted: mesh.isBlacklisted,
        limiter: this.limiter,
        metrics: this.metrics,
      },
    );
  }

  /** Cache misses fetched upstream through the client library (its own channel store, the node key's one sender). */
  private startFanout(host: Libp2p<{ fetch: FetchService }>, cache: BlobCache, hooks: MeshMetricsHooks): Fanout {
    this.upstreamStore = new ClientStore(path.join(this.options.cache!.dir, "upstream.db"));
    const client = createClient(this.upstreamOptions, {
      host,
      identity: this.deps.identity,
      contracts: this.deps.contracts,
      store: this.upstreamStore,
      logger: this.log.child({ module: "upstream" }),
      // the node key's one sender: upstream opens and the node's claims share its nonces
      sender: viaTxSender(this.earnings.sender),
      // discovery after a probe miss: the node's own DHT (server mode), once the mesh is attached
      dht: { findProviders: (id, o) => hooks.timeLookup(() => this.mesh?.dht?.findProviders(id, o) ?? Promise.resolve([])) },
    });
    return new Fanout(
      { self: this.address },
      {
        client,
        cache,
        logger: this.log,
        onUpstreamPaid: (amount) => this.metrics.upstreamSpend.inc(Number(amount)),
        onCached: (id) => void this.mesh?.provide(id),
        holders: async (id) => ((await this.mesh?.dht?.findProviders(id, { localOnly: true, max: 4 })) ?? []).map((p) => addressOfPeer(p.peer)).filter((k): k is string => k !== undefined),
      },
    );
  }

  /** Hands every stored voucher to the watchtowers (and, after a restart, the best of every channel not known to be closed). */
  private async startWatchtowerPush(host: Libp2p, watchtowers: string[]): Promise<void> {
    const operator = (await this.deps.contracts.registry.getNode(this.nodeId)).operator;
    this.pusher = createWatchtowerPusher(
      { watchtowers, beneficiary: this.options.watchtowerBeneficiary ?? operator, maxBps: this.options.watchtowerMaxBps ?? 1000 },
      {
        host,
        secretKey: this.deps.identity.secretKey,
        nodeId: this.nodeId,
        chainTime: () => chainTime(this.deps.contracts.provider),
        domain: this.deps.contracts.domains.paymentChannel,
        logger: this.log.child({ module: "watchtower" }),
      },
    );
    // catch up: the best voucher of every channel not known to be closed (after a restart, or a new watchtower)
    for (const v of this.deps.store.vouchers()) {
      if (this.deps.store.channel(v.channelId)?.status !== "Closed") this.pusher.onVoucherStored(v.channelId, v.amount, v.signature);
    }
  }

  /** Follows this node's channel closes (claims and disputes answer them), from the deployment block or the stored cursor. */
  private async followCloses(): Promise<void> {
    const { contracts, store } = this.deps;
    const channelsAddress = await contracts.channels.getAddress();
    const closeStarted = contracts.channels.interface.getEvent("ChannelCloseStarted").topicHash;
    const confirmations = await resolveConfirmations(contracts.provider, this.options.confirmations, 2);
    this.earnings.sender.options.confirmations = confirmations;
    this.follower = new ChainFollower(
      // only this node's closes: nodeId is the second topic of ChannelCloseStarted
      {
        address: [channelsAddress],
        topics: [[closeStarted], null, [zeroPadValue(toBeHex(this.nodeId), 32)]],
        confirmations,
        maxRange: this.options.maxLogRange ?? 2000,
        pollMs: this.options.pollMs ?? CLOSES_POLL_MS,
        startBlock: contracts.deployment.deploymentBlock,
      },
      {
        provider: contracts.provider,
        loadCursor: () => store.cursor("channels"),
        saveCursor: (b) => store.saveCursor("channels", b),
        onLogs: (logs) => this.earnings.onLogs(logs),
        // the replayed logs are answered again; every earnings action re-reads the channel first
        onReorg: ({ fromBlock, toBlock }) => this.log.warn({ fromBlock, toBlock }, "chain reorg: blocks already handled were replaced; replaying them"),
        onError: (error, attempt) => this.log.warn({ err: (error as Error).message, attempt }, "chain follower: RPC error, backing off"),
      },
    );
    this.follower.start();
  }

  /**
   * Every sweepMs: act on channels due for a claim or a close, from the followed view (chain time,
   * channel states). The registry record is re-read on its events (the chain view) and, as a safety
   * net for what no event announces, every EVENT_DRIVEN_REFRESH_MS here.
   */
  private startSweep(): void {
    const sweepMs = this.options.sweepMs ?? 60_000;
    let refreshedAt = Date.now();
    if (sweepMs > 0) {
      const tick = async () => {
        try {
          if (!this.chainView || Date.now() - refreshedAt >= EVENT_DRIVEN_REFRESH_MS) {
            await this.refresh();
            refreshedAt = Date.now();
          }
          const view = this.chainView;
          await this.earnings.sweep(view ? await view.chainTime() : await chainTime(this.deps.contracts.provider), view ? (id) => view.channel(id) : undefined);
        } catch (error) {
          this.log.warn({ err: (error as Error).message }, "periodic refresh failed");
        }
        if (this.timer) this.timer = setTimeout(tick, sweepMs).unref();
      };
      this.timer = setTimeout(tick, sweepMs).unref();
    }
  }

  /** A blob left the cache: count it and, unless the node still holds it as an origin, stop providing it (blacklist enforcement already stopped). */
  private onEvicted(blobId: string, reason: EvictReason): void {
    this.metrics.cacheEvictions.inc({ reason });
    if (reason === "blacklist" || this.deps.store.blob(blobId)) return;
    void this.mesh?.stopProviding(blobId);
  }

  /** Follows the head and the protocol contracts' events (agents/node/chain-view.ts). */
  private async startChainView(mesh: NodeMesh): Promise<ChainView> {
    return followChain(this.options.chainView ?? {}, {
      contracts: this.deps.contracts,
      mesh,
      onRegistryEvent: () => this.refresh(),
      onOriginEvent: () => this.refresh(),
      onError: (e) => this.log.warn({ err: e.message }, "chain view: poll failed"),
    });
  }

  /** Brings the chain view up to the chain's head now (tests; the view polls on its own). */
  async syncChainView(): Promise<void> {
    await this.chainView?.poll();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.chainView?.stop();
    await this.follower?.stop();
    await this.pusher?.stop();
    await this.mesh?.stop();
    await this.metricsServer?.close();
    await this.host?.stop();
    await this.backend.close();
    this.upstreamStore?.close();
  }

  /** Imports files into the origin backend (the node must be a recognized origin). */
  async publish(files: string[], options: { signal?: AbortSignal; contentSecretKey?: Uint8Array } = {}): Promise<PublishedBlob[]> {
    await this.refresh();
    if (!this.origin.recognized) throw new NodeError("ERR_NOT_ORIGIN", `Node ${this.nodeId} is not a recognized origin; only origins publish (the DAO recognizes origins).`);
    const { origins } = this.deps.contracts;
    const [contentKey] = await origins.contentKeyOf(this.nodeId, this.origin.epoch);
    const secret = options.contentSecretKey ?? this.deps.identity.secretKey;
    if (new Wallet(Buffer.from(secret).toString("hex")).address.toLowerCase() !== contentKey.toLowerCase()) {
      throw new NodeError("ERR_CONTENT_KEY", `The content key of epoch ${this.origin.epoch} is ${contentKey}; sign with that key (--content-key).`);
    }
    const now = await chainTime(this.deps.contracts.provider as Provider);
    const out: PublishedBlob[] = [];
    for (const file of files) {
      const published = await this.backend.publish(file, { nodeId: this.nodeId, epoch: this.origin.epoch, contentSecretKey: secret, domain: this.deps.contracts.domains.originRegistry }, now, options);
      out.push(published);
      // a running node provides the blob in the DHT and gossips its content record
      const b = this.deps.store.blob(published.blobId);
      if (this.mesh?.dht && b) {
        void this.mesh.provide(b.blobId); // in the background: a DHT provide can take seconds
        await this.mesh.publishContentRecord({ value: { blobId: b.blobId, size: BigInt(b.size), origin: b.origin, epoch: b.epoch, timestamp: b.recordTimestamp }, signature: b.recordSignature });
      }
    }
    return out;
  }
}

/**
 * Starts the node's followed chain view over the mesh's views: ContentBlacklist events re-read the
 * deny-set, NodeRegistry and ProtocolParams events the active set (and `onRegistryEvent`),
 * OriginRegistry events call `onOriginEvent`; a reorg re-reads all of them.
 */
export async function followChain(
  options: ChainViewOptions,
  deps: { contracts: Contracts; mesh: Pick<NodeMesh, "activeSet" | "blacklist" | "freshness" | "isBlacklisted">; onRegistryEvent?(): Promise<void>; onOriginEvent?(): Promise<void> } & Pick<
    ChainViewDeps,
    "onError"
  >,
): Promise<ChainView> {
  const { contracts, mesh } = deps;
  const [channels, blacklist, registry, params, origins] = await Promise.all(
    [contracts.channels, contracts.blacklist, contracts.registry, contracts.params, contracts.origins].map((c) => c.getAddress()),
  );
  const view = new ChainView(options, {
    provider: contracts.provider,
    channelDomain: contracts.domains.paymentChannel,
    addresses: { channels, blacklist, registry, params, origins },
    readChannels: (ids) => readChannels(contracts.channels, ids),
    isBlacklisted: mesh.isBlacklisted,
    onBlacklistEvent: () => mesh.blacklist.refresh(),
    onRegistryEvent: async () => {
      await Promise.all([mesh.activeSet.refresh(), deps.onRegistryEvent?.()]);
    },
    onOriginEvent: deps.onOriginEvent,
    freshness: mesh.freshness,
    onError: deps.onError,
  });
  await view.start();
  return view;
}
