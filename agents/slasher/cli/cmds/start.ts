import type { Command } from "commander";
import { action } from "../../../runtime/cli.js";
import { roundLines } from "../../report.js";
import { globals, slasherContext } from "../context.js";

export function startCommand(program: Command): void {
  program
    .command("start")
    .description(
      "run the slasher: every round, re-read the notices, check their blacklist entries, probe every active node for effective ones on fresh channels, slash (commit–reveal) any node that signs a serve commitment; stops on SIGINT/SIGTERM",
    )
    .option("--once", "run one round, print what it did, and exit")
    .addHelpText(
      "after",
      `
Without --once, prints one JSON line on stdout when ready: {"ready":true,"address":...}, then one
line for each thing it does (probe outcome, slash, settled channels).

Examples:
  cdn-slasher start --once
  CDN_RPC_URL=http://127.0.0.1:8545 CDN_SLASHER_NOTICES=notices.json cdn-slasher --data-dir ./slasher start
`,
    )
    .action(
      action("cdn-slasher", async function (this: Command, opts: { once?: boolean }) {
        const ctx = await slasherContext(globals(this), { logs: opts.once ? "stderr" : "stdout" });
        try {
          if (opts.once) {
            const report = await ctx.slasher.runOnce({ signal: AbortSignal.timeout(300_000) });
            const lines = roundLines(report);
            console.log(lines.length ? lines.join("\n") : "No blob ids watched (cdn-slasher notice add <blobId>).");
            return;
          }
          const controller = new AbortController();
          process.once("SIGINT", () => controller.abort());
          process.once("SIGTERM", () => controller.abort());
          ctx.slasher.loadNotices();
          console.log(JSON.stringify({ ready: true, address: ctx.slasher.address, watched: ctx.store.notices().length }));
          await ctx.slasher.start({
            signal: controller.signal,
            onRound: (r) => {
              // only what changed: probes, slashes, settlements
              for (const line of roundLines({ ...r, blobs: [] })) console.log(line);
            },
          });
        } finally {
          await ctx.close();
        }
      }),
    );
}
