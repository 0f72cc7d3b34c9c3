import type { Command } from "commander";
import { TxSender } from "../../../chain/tx-sender.js";
import { action } from "../../../runtime/cli.js";
import { txSenderOptions } from "../../../runtime/config-fields.js";
import { startMetricsServer, type MetricsServer } from "../../../runtime/metrics.js";
import { WatchtowerMetrics } from "../../metrics.js";
import { Watchtower } from "../../watchtower.js";
import { globals, watchtowerContext } from "../context.js";

export function startCommand(program: Command): void {
  program
    .command("start")
    .description("run the watchtower: accept voucher updates from nodes over /cdn/watchtower/1.0.0, follow channel closes, dispute stale ones; stops on SIGINT/SIGTERM")
    .addHelpText(
      "after",
      `
Prints one JSON line on stdout when ready: {"ready":true,"address":...,"peerId":...,"addrs":[...]}.
Give nodes one of the addrs (they end with /p2p/<peer id>).

Example:
  CDN_RPC_URL=http://127.0.0.1:8545 cdn-watchtower --data-dir ./tower start
`,
    )
    .action(
      action("cdn-watchtower", async function (this: Command) {
        const ctx = await watchtowerContext(globals(this), { logs: "stdout" });
        const c = ctx.config;
        const metrics = new WatchtowerMetrics({}, { channels: () => ctx.store.counts().byStatus });
        const tower = new Watchtower(
          {
            listen: c.listen,
            announce: c.announce,
            allow: c.listen.some((a) => a.startsWith("/ip4/127.")) ? ["/ip4/127.0.0.1"] : [],
            requiredBeneficiary: c.requiredBeneficiary,
            minBountyBps: c.minBountyBps,
            confirmations: c.confirmations,
            pollMs: c.pollMs,
            maxLogRange: c.maxLogRange,
            disputeDelaySeconds: c.disputeDelaySeconds,
            disputeMarginSeconds: c.disputeMarginSeconds,
          },
          {
            identity: ctx.identity,
            contracts: ctx.contracts,
            store: ctx.store,
            logger: ctx.logger,
            metrics,
            sender: new TxSender(txSenderOptions(c), { signer: ctx.contracts.channels.runner as never, logger: ctx.logger.child({ module: "tx" }) }),
          },
        );
        const stopped = new Promise<void>((resolve) => {
          process.once("SIGINT", resolve);
          process.once("SIGTERM", resolve);
        });
        await tower.start();
        let server: MetricsServer | undefined;
        if (c.metricsPort !== undefined) server = await startMetricsServer({ port: c.metricsPort }, { registry: metrics.registry });
        // one line on stdout that scripts can wait for
        console.log(JSON.stringify({ ready: true, address: ctx.identity.address, peerId: tower.host!.peerId.toString(), addrs: tower.host!.getMultiaddrs().map(String), metrics: server?.url }));
        await stopped;
        ctx.logger.info("stopping");
        await server?.close();
        await tower.stop();
        ctx.close();
      }),
    );
}
