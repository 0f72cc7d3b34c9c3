import type { Command } from "commander";
import { action, parseUsdc, usdc } from "../../../runtime/cli.js";
import { ConfigError } from "../../../runtime/errors.js";
import { createLogger } from "../../../runtime/logger.js";
import { createGateway } from "../../gateway/gateway.js";
import { clientContext, globals } from "../context.js";

interface GatewayFlags {
  port: string;
  host: string;
  maxSpendPerHour?: string;
  maxPricePerGib?: string;
  allowCrossSite?: boolean;
  logLevel: string;
}

export function gatewayCommand(program: Command): void {
  program
    .command("gateway")
    .description("serve blobs over local HTTP (GET/HEAD /blob/<blob id or CID>): verified bytes only, paid as they arrive; Range, ETag, metrics")
    .option("--port <port>", "TCP port", "8733")
    .option("--host <address>", "interface to bind (anything but loopback exposes your wallet's spending to the network)", "127.0.0.1")
    .option("--max-spend-per-hour <usdc>", "refuse (402) downloads that would take the last hour's spending past this, e.g. 0.5")
    .option("--max-price-per-gib <usdc>", "use only nodes asking at most this per GiB (503 when none does), e.g. 0.05")
    .option("--allow-cross-site", "serve requests that other sites' pages make (by default a browser's cross-site request is refused: 403)")
    .option("--log-level <level>", "trace, debug, info, warn, error or silent (JSON lines on stderr)", "info")
    .addHelpText(
      "after",
      `
URLs: /blob/<blobId>?type=<content type>&filename=<name>, /metrics (Prometheus). The blob id is
0x + 64 hex, or its CID (bafkqaic…). Single Range requests get 206, so <video> can seek. Stop with
Ctrl-C. Logs are JSON lines on stderr; stdout prints the URL.

Example:
  cdn-client gateway --max-spend-per-hour 1 --max-price-per-gib 0.1
  curl -o a.png "http://127.0.0.1:8733/blob/0x5c17…abd6?filename=a.png"
`,
    )
    .action(
      action("cdn-client", async function (this: Command, opts: GatewayFlags) {
        const port = Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port ${opts.port} is not a TCP port (0-65535).`);
        const maxSpendPerHour = opts.maxSpendPerHour === undefined ? undefined : parseUsdc(opts.maxSpendPerHour);
        const maxPricePerGiB = opts.maxPricePerGib === undefined ? undefined : parseUsdc(opts.maxPricePerGib);
        const ctx = await clientContext({ ...globals(this), ...(maxPricePerGiB === undefined ? {} : { maxPricePerGiB: maxPricePerGiB.toString() }) });
        const logger = createLogger({ name: "cdn-gateway", level: opts.logLevel }); // JSON lines on stderr
        const gateway = createGateway({ port, host: opts.host, maxSpendPerHour, maxPricePerGiB: ctx.config.maxPricePerGiB, allowCrossSite: opts.allowCrossSite }, { client: ctx.client, logger });
        try {
          await gateway.start();
        } catch (error) {
          await ctx.close();
          const code = (error as { code?: string }).code;
          if (code === "EADDRINUSE") throw new ConfigError(`Port ${port} on ${opts.host} is in use; choose another with --port.`);
          throw error;
        }
        const limits = [
          maxSpendPerHour === undefined ? "no hourly limit" : `at most ${usdc(maxSpendPerHour)} per hour`,
          ctx.config.maxPricePerGiB === undefined ? "any price" : `at most ${usdc(ctx.config.maxPricePerGiB)} per GiB`,
        ];
        console.log(`gateway ${gateway.url}/blob/<blobId>  (${limits.join(", ")}; metrics at ${gateway.url}/metrics; Ctrl-C stops)`);
        await new Promise<void>((resolve) => {
          process.once("SIGINT", resolve);
          process.once("SIGTERM", resolve);
        });
        await gateway.stop();
        await ctx.close();
      }),
    );
}
