import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { TxSender } from "../../../chain/tx-sender.js";
import { action } from "../../../runtime/cli.js";
import { txSenderOptions } from "../../../runtime/config-fields.js";
import { NodeAgent } from "../../agent.js";
import { nodeContext, globals } from "../context.js";

export function startCommand(program: Command): void {
  program
    .command("start")
    .description("run the node: libp2p host with the fetch and probe services, chain follower, earnings policy; stops on SIGINT/SIGTERM")
    .addHelpText("after", "\nExample:\n  CDN_RPC_URL=http://127.0.0.1:8545 cdn-node --data-dir ./node1 start\n")
    .action(
      action("cdn-node", async function (this: Command) {
        const ctx = await nodeContext(globals(this), { logs: "stdout" });
        const c = ctx.config;
        const agent = new NodeAgent(
          {
            listen: c.listen,
            announce: c.announce,
            backendDir: c.backendDir,
            credit: c.credit,
            earnings: { claimThreshold: c.claimThreshold },
            confirmations: c.confirmations,
            pollMs: c.pollMs,
            sweepMs: c.sweepMs,
            allow: c.listen.some((a) => a.startsWith("/ip4/127.")) ? ["/ip4/127.0.0.1"] : [],
            denyPeers: c.denyPeers,
            watchtowers: c.watchtowers,
            watchtowerBeneficiary: c.watchtowerBeneficiary,
            watchtowerMaxBps: c.watchtowerMaxBps,
            cache: c.cache ? { dir: c.cache.dir ?? path.join(c.dataDir, "cache"), budgetBytes: c.cache.budgetBytes, fanout: c.cache.fanout } : undefined,
            mesh: { maxChainViewAgeMs: c.maxChainViewAgeMs, denyListFile: c.denyListFile, nodesOnly: c.nodesOnly },
            metricsPort: c.metricsPort >= 0 ? c.metricsPort : undefined,
          },
          {
            identity: ctx.identity,
            contracts: ctx.contracts,
            store: ctx.store,
            logger: ctx.logger,
            sender: new TxSender(txSenderOptions(c), { signer: ctx.contracts.channels.runner as never, logger: ctx.logger.child({ module: "tx" }) }),
          },
        );
        await agent.start();
        const urlFile = path.join(c.dataDir, "metrics.url");
        if (agent.metricsServer) writeFileSync(urlFile, agent.metricsServer.url + "\n");
        // one line on stdout that scripts can wait for
        console.log(
          JSON.stringify({ ready: true, nodeId: agent.nodeId.toString(), peerId: agent.host!.peerId.toString(), addrs: agent.host!.getMultiaddrs().map(String), metrics: agent.metricsServer?.url }),
        );
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once("SIGINT", stop);
          process.once("SIGTERM", stop);
        });
        ctx.logger.info("stopping");
        await agent.stop();
        rmSync(urlFile, { force: true });
        ctx.close();
      }),
    );
}
