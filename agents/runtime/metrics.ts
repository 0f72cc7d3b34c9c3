/**
 * Prometheus metrics of the node agent (docs/mesh.md, "Operations"): one prom-client registry with
 * the `cdn_node_*` series, and a small HTTP endpoint (node:http, 127.0.0.1 by default) that
 * serves it at /metrics. Names follow `cdn_<agent>_<thing>_<unit|total>` (CONVENTIONS.md).
 * Amounts of money are token base units (USDC has 6 decimals).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

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
    const registry = deps.registry ?? new Registry();
    this.registry = registry;
    if (options.labels) registry.setDefaultLabels(options.labels);
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "cdn_node_" }); // prom-client adds process_ / nodejs_ itself
    const registers = [registry];
    this.bytesServed = new Counter({ name: "cdn_node_bytes_served_total", help: "Verified-chunk bytes sent to clients and downstream nodes.", registers });
    this.bytesPaid = new Counter({ name: "cdn_node_bytes_paid_total", help: "Bytes covered by durably stored vouchers.", registers });
    this.vouchers = new Counter({ name: "cdn_node_vouchers_total", help: "Vouchers received, by result (accepted, rejected, stale).", labelNames: ["result"], registers });
    this.channelsOpen = new Gauge({
      name: "cdn_node_channels_open",
      help: "Payment channels open to this node.",
      registers,
      collect() {
        if (deps.channels) this.set(deps.channels().open);
      },
    });
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
    this.cacheBytes = new Gauge({
      name: "cdn_node_cache_bytes",
      help: "Bytes held in the cache.",
      registers,
      collect() {
        if (deps.cacheBytes) this.set(deps.cacheBytes());
      },
    });
    this.upstreamSpend = new Counter({ name: "cdn_node_upstream_spend_total", help: "Token base units paid to upstream nodes for cache misses.", registers });
    this.refusals = new Counter({ name: "cdn_node_refusals_total", help: "Requests refused, by reason.", labelNames: ["reason"], registers });
    for (const reason of REFUSAL_REASONS) this.refusals.inc({ reason }, 0);
    this.chainViewAge = new Gauge({
      name: "cdn_node_chain_view_age_seconds",
      help: "Seconds since the last successful chain read (+Inf before the first).",
      registers,
      collect() {
        if (deps.chainViewAgeMs) this.set(deps.chainViewAgeMs() / 1000);
      },
    });
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
    this.watchtowerAcknowledged = new Gauge({
      name: "cdn_node_watchtower_acknowledged",
      help: "Token base units of vouchers the least caught-up watchtower acknowledged (sum over channels).",
      registers,
      collect() {
        const t = towers();
        this.set(t.length ? Number(t.reduce((m, x) => (x.acknowledgedTotal < m ? x.acknowledgedTotal : m), t[0].acknowledgedTotal)) : 0);
      },
    });
    this.watchtowerLatest = new Gauge({
      name: "cdn_node_watchtower_latest",
      help: "Token base units of the newest vouchers handed to the watchtowers (sum over channels).",
      registers,
      collect() {
        const t = towers();
        this.set(t.length ? Number(t[0].latestTotal) : 0);
      },
    });
    this.watchtowerPending = new Gauge({
      name: "cdn_node_watchtower_pending",
      help: "Vouchers not yet acknowledged by the slowest watchtower.",
      registers,
      collect() {
        this.set(Math.max(0, ...towers().map((x) => x.pending)));
      },
    });
  }

  refused(reason: RefusalReason): void {
    this.refusals.inc({ reason });
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }
}

export interface MetricsServerOptions {
  /** TCP port (0 = any free port). */
  port: number;
  /** Interface to bind (default 127.0.0.1: expose it further on purpose only). */
  host?: string;
}

export interface MetricsServer {
  /** e.g. http://127.0.0.1:9464/metrics */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves `registry` at GET /metrics (and 404 elsewhere). */
export async function startMetricsServer(options: MetricsServerOptions, deps: { registry: Registry }): Promise<MetricsServer> {
  const host = options.host ?? "127.0.0.1";
  const server: Server = createServer((req, res) => {
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    deps.registry
      .metrics()
      .then((body) => res.writeHead(200, { "content-type": deps.registry.contentType }).end(body))
      .catch((error: unknown) => res.writeHead(500, { "content-type": "text/plain" }).end(`metrics collection failed: ${String(error)}\n`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}/metrics`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
