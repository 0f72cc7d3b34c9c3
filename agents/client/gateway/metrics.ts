/**
 * Prometheus metrics of the HTTP gateway (`cdn_gateway_*`; amounts in USDC base units), on the
 * gateway's own port at /metrics.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export class GatewayMetrics {
  readonly registry: Registry;
  readonly requests: Counter<"method" | "status">;
  readonly bytesServed: Counter;
  readonly spend: Counter;
  readonly timeToFirstByte: Histogram;
  readonly upstreamFetches: Counter<"kind">;
  readonly sharedRequests: Counter;

  constructor(options: { registry?: Registry; defaultMetrics?: boolean } = {}) {
    const registry = options.registry ?? new Registry();
    this.registry = registry;
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "cdn_gateway_" });
    const registers = [registry];
    this.requests = new Counter({ name: "cdn_gateway_requests_total", help: "HTTP requests, by method and status code.", labelNames: ["method", "status"], registers });
    this.bytesServed = new Counter({ name: "cdn_gateway_bytes_served_total", help: "Verified bytes written to HTTP responses.", registers });
    this.spend = new Counter({ name: "cdn_gateway_spend_total", help: "USDC base units signed in vouchers for the gateway's downloads.", registers });
    this.timeToFirstByte = new Histogram({
      name: "cdn_gateway_time_to_first_byte_seconds",
      help: "From a request's arrival to the first verified body byte written.",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.upstreamFetches = new Counter({
      name: "cdn_gateway_upstream_fetches_total",
      help: "Paid downloads started through the client library, by kind (metadata: size and first bytes; body).",
      labelNames: ["kind"],
      registers,
    });
    this.sharedRequests = new Counter({ name: "cdn_gateway_shared_requests_total", help: "Requests served by joining a download already in flight for the same blob and range.", registers });
  }
}
