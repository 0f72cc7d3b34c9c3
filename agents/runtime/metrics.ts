/**
 * What every agent's Prometheus metrics share (docs/mesh.md, "Operations"): a registry with the
 * process's default series under the agent's prefix, gauges sampled at scrape time, and a small
 * HTTP endpoint (node:http, 127.0.0.1 by default) that serves it at /metrics. Series are named
 * `cdn_<agent>_<thing>_<unit|total>`; amounts of money are token base units (USDC has 6 decimals).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Gauge, Registry, collectDefaultMetrics } from "prom-client";

/**
 * How often the event-loop delay histogram (`nodejs_eventloop_lag_*`) samples the loop, in ms.
 * prom-client's default, 10 ms, is a timer that wakes an idle agent 100 times a second, most of its
 * wakeups (docs/mesh.md, "Idle work"). Every stall of 100 ms or more is still caught; shorter ones are
 * caught in proportion to their length, so the percentiles stay estimates of the same delay, from
 * 10 samples a second instead of 100.
 */
export const EVENT_LOOP_SAMPLE_MS = 100;

/** An agent's registry: `labels` on every series, and the process's default metrics unless turned off. */
export function agentRegistry(prefix: `cdn_${string}_`, options: { defaultMetrics?: boolean; labels?: Record<string, string> } = {}, registry = new Registry()): Registry {
  if (options.labels) registry.setDefaultLabels(options.labels);
  // prom-client adds process_ / nodejs_ itself
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  return registry;
}

/** A gauge read at scrape time; `sample` returning undefined leaves it unset. */
export function sampledGauge(registry: Registry, name: string, help: string, sample: () => number | undefined): Gauge {
  return new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      const value = sample();
      if (value !== undefined) this.set(value);
    },
  });
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
