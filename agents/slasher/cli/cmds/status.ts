import type { Command } from "commander";
import { action, usdc } from "../../../runtime/cli.js";
import { loadKeyFile } from "../../../runtime/keys.js";
import { loadSlasherConfig } from "../../config.js";
import { probeLine, slashLine } from "../../report.js";
import { SlasherStore } from "../../store.js";
import { globals } from "../context.js";

export function statusCommand(program: Command): void {
  program
    .command("status")
    .alias("report")
    .description("report what the slasher did: watched blob ids, probes and their outcomes, slashes with amounts and rewards (reads the local database; no chain access)")
    .option("--json", "machine-readable output")
    .addHelpText("after", "\nExamples:\n  cdn-slasher status\n  cdn-slasher --data-dir ./slasher report --json\n")
    .action(
      action("cdn-slasher", async function (this: Command, opts: { json?: boolean }) {
        const config = loadSlasherConfig(globals(this));
        const identity = loadKeyFile(config.keyFile);
        const store = new SlasherStore(config.dbFile);
        try {
          const notices = store.notices();
          const probes = store.probes();
          const slashes = store.slashes();
          const done = slashes.filter((s) => s.status === "slashed" || s.status === "rewarded");
          const slashed = done.reduce((a, s) => a + (s.slashed ?? 0n), 0n);
          const rewards = done.reduce((a, s) => a + (s.reward ?? 0n), 0n);
          if (opts.json) {
            const j = (o: object) => JSON.parse(JSON.stringify(o, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))) as unknown;
            return console.log(JSON.stringify({ address: identity.address, notices, probes: j(probes), slashes: j(slashes), slashed: slashed.toString(), rewards: rewards.toString() }, null, 2));
          }
          const refused = probes.filter((p) => p.outcome === "refused").length;
          console.log(`slasher  ${identity.address}`);
          console.log(`watching ${notices.length} blob id(s)`);
          console.log(
            `probes   ${probes.length} (${refused} refused, ${probes.filter((p) => p.outcome === "commitment").length} serve commitments, ${probes.length - refused - probes.filter((p) => p.outcome === "commitment").length} other)`,
          );
          console.log(`slashes  ${done.length} (${usdc(slashed)} slashed; rewards ${usdc(rewards)})`);
          for (const p of probes) console.log(`  ${probeLine(p)}`);
          for (const s of slashes) console.log(`  ${slashLine(s)}`);
        } finally {
          store.close();
        }
      }),
    );
}
