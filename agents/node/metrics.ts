/**
 * Prometheus metrics of the node agent (docs/mesh.md, "Operations"): the `cdn_node_*` series, and
 * the hooks that count what the mesh services report (gossip verdicts, probes, DHT lookups).
 * Served by the runtime's endpoint (agents/runtime/metrics.ts).
 */
import type { PeerId } from "@libp2p/interface";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { ValidationOutcome } from "../mesh/gossip.js";
import type { ProbeAnswer } from "../mesh/probe.js";
import { agentRegistry, sampledGauge } from "../runtime/metrics.js";

/** Why a node refused a request (the fetch protocol's Refusal codes, plus the node's own). */
export const REFUSAL_REASONS = ["not_found", "blacklisted", "busy", "channel_insufficient", "not_channel_owner", "bad_voucher", "bad_request", "stale_chain_view"] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export interface NodeMetricsOptions {
  /** Also collect the process's default metrics (CPU, memory, event loop); default true. */
  defaultMetrics?: boolean;
  /** Labels added to every series (e.g. { node: "0xabc…" } when several nodes share a registry). */
  labels?: Record<string, string>;
}

export interface NodeMetricsDependencies {
  registry?: Registry;
  /** Age of the chain view in ms (FreshnessGuard.ageMs); sampled at scrape time. */
  chainViewAgeMs?: () => number;
  /** Connected peers by kind; sampled at scrape time. */
  peers?: () => { nodes: number; clients: number };
  /** Channels to this node seen so far and still open (the node's store); sampled at scrape time. */
  channels?: () => { open: number; total: number };
  /** Bytes held by the cache; sampled at scrape time. */
  cacheBytes?: () => number;
  /** Each watchtower's acknowledged sum, the newest vouchers' sum and pending count; sampled at scrape time. */
  watchtowers?: () => { pending: number; acknowledgedTotal: bigint; latestTotal: bigint }[];
}

export class NodeMetrics {
  readonly registry: Registry;
  readonly bytesServed: Counter;
  readonly bytesPaid: Counter;
  readonly vouchers: Counter<"result">;
  readonly channelsOpen: Gauge;
  readonly channelsTotal: Counter;
  readonly cacheHits: Counter;
  readonly cacheMisses: Counter;
  readonly cacheEvictions: Counter<"reason">;
  readonly cacheBytes: Gauge;
  readonly upstreamSpend: Counter;
  readonly refusals: Counter<"reason">;
  readonly chainViewAge: Gauge;
  readonly peers: Gauge<"kind">;
  readonly gossipMessages: Counter<"kind" | "result">;
  readonly probes: Counter<"direction" | "result">;
  readonly dhtLookupSeconds: Histogram;
  readonly watchtowerAcknowledged: Gauge;
  readonly watchtowerLatest: Gauge;
  readonly watchtowerPending: Gauge;

  constructor(options: NodeMetricsOptions = {}, deps: NodeMetricsDependencies = {}) {
    const registry = agentRegistry("cdn_node_", options, deps.registry);
    this.registry = registry;
    const registers = [registry];
    this.bytesServed = new Counter({ name: "cdn_node_bytes_served_total", help: "Verified-chunk bytes sent to clients and downstream nodes.", registers });
    this.bytesPaid = new Counter({ name: "cdn_node_bytes_paid_total", help: "Bytes covered by durably stored vouchers.", registers });
    this.vouchers = new Counter({ name: "cdn_node_vouchers_total", help: "Vouchers received, by result (accepted, rejected, stale).", labelNames: ["result"], registers });
    this.channelsOpen = sampledGauge(registry, "cdn_node_channels_open", "Payment channels open to this node.", () => deps.channels?.().open);
    this.channelsTotal = new Counter({
      name: "cdn_node_channels_total",
      help: "Payment channels first seen by this node.",
      registers,
      collect() {
        // the store keeps every channel it has seen: the count only grows, so it is a counter
        if (!deps.channels) return;
        this.reset();
        this.inc(deps.channels().total);
      },
    });
    this.cacheHits = new Counter({ name: "cdn_node_cache_hits_total", help: "Requests served from the local cache.", registers });
    this.cacheMisses = new Counter({ name: "cdn_node_cache_misses_total", help: "Requests for blobs not in the local cache.", registers });
    this.cacheEvictions = new Counter({ name: "cdn_node_cache_evictions_total", help: "Blobs evicted from the cache, by reason (budget, blacklist).", labelNames: ["reason"], registers });
    this.cacheBytes = sampledGauge(registry, "cdn_node_cache_bytes", "Bytes held in the cache.", () => deps.cacheBytes?.());
    this.upstreamSpend = new Counter({ name: "cdn_node_upstream_spend_total", help: "Token base units paid to upstream nodes for cache misses.", registers });
    this.refusals = new Counter({ name: "cdn_node_refusals_total", help: "Requests refused, by reason.", labelNames: ["reason"], registers });
    for (const reason of REFUSAL_REASONS) this.refusals.inc({ reason }, 0);
    this.chainViewAge = sampledGauge(registry, "cdn_node_chain_view_age_seconds", "Seconds since the last successful chain read (+Inf before the first).", () =>
      deps.chainViewAgeMs ? deps.chainViewAgeMs() / 1000 : undefined,
    );
    this.peers = new Gauge({
      name: "cdn_node_peers",
      help: "Connected peers, by kind (node: active on chain; client: anyone else).",
      labelNames: ["kind"],
      registers,
      collect() {
        if (deps.peers) {
          const p = deps.peers();
          this.set({ kind: "node" }, p.nodes);
          this.set({ kind: "client" }, p.clients);
        }
      },
    });
    this.gossipMessages = new Counter({ name: "cdn_node_gossip_messages_total", help: "Gossip messages validated, by kind and result.", labelNames: ["kind", "result"], registers });
    this.probes = new Counter({ name: "cdn_node_probes_total", help: "Probes, by direction (in, out) and result.", labelNames: ["direction", "result"], registers });
    this.dhtLookupSeconds = new Histogram({
      name: "cdn_node_dht_lookup_seconds",
      help: "Duration of DHT provider lookups.",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    const towers = () => deps.watchtowers?.() ?? [];
    this.watchtowerAcknowledged = sampledGauge(registry, "cdn_node_watchtower_acknowledged", "Token base units of vouchers the least caught-up watchtower acknowledged (sum over channels).", () => {
      const t = towers();
      return t.length ? Number(t.reduce((m, x) => (x.acknowledgedTotal < m ? x.acknowledgedTotal : m), t[0].acknowledgedTotal)) : 0;
    });
    this.watchtowerLatest = sampledGauge(registry, "cdn_node_watchtower_latest", "Token base units of the newest vouchers handed to the watchtowers (sum over channels).", () => {
      const t = towers();
      return t.length ? Number(t[0].latestTotal) : 0;
    });
    this.watchtowerPending = sampledGauge(registry, "cdn_node_watchtower_pending", "Vouchers not yet acknowledged by the slowest watchtower.", () => Math.max(0, ...towers().map((x) => x.pending)));
  }

  refused(reason: RefusalReason): void {
    this.refusals.inc({ reason });
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }
}

export interface MeshMetricsHooks {
  onValidation(outcome: ValidationOutcome): void;
  onProbeResult(peer: PeerId, result: ProbeAnswer | Error): void;
  onProbeInbound(peer: PeerId, result: "answered" | "rate_limited" | "bad_request"): void;
  /** Times a DHT lookup: `await hooks.timeLookup(() => dht.findProviders(id))`. */
  timeLookup<T>(lookup: () => Promise<T>): Promise<T>;
}

/** The mesh services' callbacks, counted in `metrics`: `new MeshGossip(opts, { …, onValidation: hooks.onValidation })`. */
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
