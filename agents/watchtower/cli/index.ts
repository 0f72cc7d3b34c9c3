#!/usr/bin/env node
/**
 * cdn-watchtower: holds nodes' latest vouchers and answers stale channel closes within the dispute
 * window. One file per command in cmds/.
 *   npm run cdn-watchtower -- <command> [options]     or     npx cdn-watchtower <command> [options]
 */
import { Command } from "commander";
import { initCommand } from "./cmds/init.js";
import { startCommand } from "./cmds/start.js";
import { statusCommand } from "./cmds/status.js";

const program = new Command("cdn-watchtower")
  .description("Watchtower of the pay-per-byte CDN: holds nodes' vouchers and disputes stale channel closes for a bounty.")
  .option("--data-dir <dir>", "state directory: watchtower.key, config.json, watchtower.db (default: $CDN_WATCHTOWER_DATA_DIR or ~/.cdn-watchtower)")
  .option("--config <file>", "config file (default: <data-dir>/config.json)")
  .addHelpText(
    "after",
    `
Configuration: <data-dir>/config.json, then CDN_WATCHTOWER_<FIELD> environment variables (e.g.
CDN_WATCHTOWER_LISTEN, CDN_WATCHTOWER_CONFIRMATIONS), CDN_RPC_URL and CDN_DEPLOYMENTS_DIR, then
flags. See docs/watchtower-guide.md.

Typical first run:
  cdn-watchtower init
  cdn-watchtower start
  cdn-watchtower status
`,
  );

for (const add of [initCommand, startCommand, statusCommand]) add(program);

await program.parseAsync(process.argv);
