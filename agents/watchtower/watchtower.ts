/**
 * The watchtower agent: a libp2p host running the /cdn/watchtower/1.0.0 service, the chain
 * monitor that disputes stale closes, and the durable store they share. Constructed with
 * (options, dependencies) so tests inject chain, store and logger.
 */
import type { Libp2p } from "@libp2p/interface";
import type { Contracts } from "../chain/contracts.js";
import type { TxSender } from "../chain/tx-sender.js";
import { createHost } from "../runtime/host.js";
import type { Identity } from "../runtime/keys.js";
import { silentLogger, type Logger } from "../runtime/logger.js";
import { watchtowerChainView, type WatchtowerChainView } from "./chain.js";
import { Monitor, type MonitorOptions } from "./monitor.js";
import { watchtowerService, type WatchtowerService, type WatchtowerServiceOptions } from "./service.js";
import type { WatchtowerStore } from "./store.js";
import type { WatchtowerMetrics } from "./metrics.js";

export interface WatchtowerOptions extends MonitorOptions, Omit<WatchtowerServiceOptions, "limits"> {
  listen: string[];
  announce?: string[];
  /** Allow-list for connection limits (loopback tests and devnets). */
  allow?: string[];
  limits?: WatchtowerServiceOptions["limits"];
}

export interface WatchtowerDeps {
  identity: Identity;
  /** Contracts connected to the watchtower key's wallet (it pays the dispute gas). */
  contracts: Contracts;
  store: WatchtowerStore;
  chain?: WatchtowerChainView;
  logger?: Logger;
  metrics?: WatchtowerMetrics;
  /** The watchtower account's transaction sender (default: one with default settings). */
  sender?: TxSender;
}

export class Watchtower {
  host: Libp2p<{ watchtower: WatchtowerService }> | undefined;
  readonly monitor: Monitor;
  readonly chain: WatchtowerChainView;
  readonly log: Logger;

  constructor(
    readonly options: WatchtowerOptions,
    readonly deps: WatchtowerDeps,
  ) {
    this.log = deps.logger ?? silentLogger();
    this.chain = deps.chain ?? watchtowerChainView(deps.contracts);
    this.monitor = new Monitor(options, { contracts: deps.contracts, chain: this.chain, store: deps.store, logger: this.log.child({ module: "monitor" }), metrics: deps.metrics, sender: deps.sender });
  }

  get address(): string {
    return this.deps.identity.address.toLowerCase();
  }

  get service(): WatchtowerService | undefined {
    return this.host?.services.watchtower;
  }

  /** Rescans held channels, starts following the chain, then opens the libp2p service. */
  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.monitor.start(options);
    options.signal?.throwIfAborted();
    const service = watchtowerService(
      { requiredBeneficiary: this.options.requiredBeneficiary, minBountyBps: this.options.minBountyBps, limits: this.options.limits },
      {
        address: this.address,
        chain: this.chain,
        store: this.deps.store,
        logger: this.log.child({ module: "service" }),
        metrics: this.deps.metrics,
        onStored: (channel) => this.monitor.onStored(channel),
      },
    );
    this.host = (await createHost({
      privateKey: this.deps.identity.privateKey,
      listen: this.options.listen,
      announce: this.options.announce,
      allow: this.options.allow,
      services: { watchtower: service },
    })) as unknown as Libp2p<{ watchtower: WatchtowerService }>;
    this.log.info({ address: this.address, peerId: this.host.peerId.toString(), addrs: this.host.getMultiaddrs().map(String) }, "watchtower started");
  }

  async stop(): Promise<void> {
    await this.host?.stop();
    await this.monitor.stop();
  }
}
