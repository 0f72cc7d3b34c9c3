/**
 * Prometheus metrics of the watchtower (`cdn_watchtower_*`, listed in docs/watchtower-guide.md). Served by the
 * runtime's metrics endpoint when `metricsPort` is set. Amounts are token base units.
 */
import { Counter, Gauge, type Registry } from "prom-client";
import { agentRegistry } from "../runtime/metrics.js";

export class WatchtowerMetrics {
  readonly registry: Registry;
  readonly requests: Counter<"kind" | "result">;
  readonly disputes: Counter<"outcome">;
  readonly recovered: Counter;
  readonly bounties: Counter;
  readonly rpcErrors: Counter;
  readonly channelsHeld: Gauge<"status">;

  constructor(options: { defaultMetrics?: boolean } = {}, deps: { registry?: Registry; channels?: () => Record<string, number> } = {}) {
    const registry = agentRegistry("cdn_watchtower_", options, deps.registry);
    this.registry = registry;
    const registers = [registry];
    this.requests = new Counter({ name: "cdn_watchtower_requests_total", help: "Watchtower requests (auth, update) by result (ok, stale, rejected).", labelNames: ["kind", "result"], registers });
    this.disputes = new Counter({ name: "cdn_watchtower_disputes_total", help: "Dispute outcomes (disputed, not_needed, missed, failed).", labelNames: ["outcome"], registers });
    for (const outcome of ["disputed", "not_needed", "missed", "failed"]) this.disputes.inc({ outcome }, 0);
    this.recovered = new Counter({ name: "cdn_watchtower_recovered_total", help: "Token base units recovered for nodes by this watchtower's disputes.", registers });
    this.bounties = new Counter({ name: "cdn_watchtower_bounties_total", help: "Token base units of bounty paid to beneficiaries by this watchtower's disputes.", registers });
    this.rpcErrors = new Counter({ name: "cdn_watchtower_rpc_errors_total", help: "Chain RPC errors (each retried with backoff).", registers });
    this.channelsHeld = new Gauge({
      name: "cdn_watchtower_channels_held",
      help: "Channels with a held voucher, by last on-chain status seen.",
      labelNames: ["status"],
      registers,
      collect() {
        if (deps.channels) for (const [status, n] of Object.entries(deps.channels())) this.set({ status: status.toLowerCase() }, n);
      },
    });
  }
}
