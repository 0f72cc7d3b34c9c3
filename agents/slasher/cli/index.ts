#!/usr/bin/env node
/**
 * cdn-slasher: reads compliance notices, follows the blacklist, requests blacklisted blobs from
 * every active node after `effectiveAt` on fresh channels, and slashes (commit–reveal) any node
 * that answers with a serve commitment. One file per command in cmds/.
 *   npm run cdn-slasher -- <command> [options]     or     npx cdn-slasher <command> [options]
 */
import { Command } from "commander";
import { initCommand } from "./cmds/init.js";
import { noticeCommand } from "./cmds/notice.js";
import { startCommand } from "./cmds/start.js";
import { statusCommand } from "./cmds/status.js";

const program = new Command("cdn-slasher")
  .description("Slasher of the pay-per-byte CDN: proves that a node served a blacklisted blob after its compliance window and earns a share of the slash.")
  .option("--data-dir <dir>", "state directory: slasher.key, config.json, slasher.db, channels.db (default: $CDN_SLASHER_DATA_DIR or ~/.cdn-slasher)")
  .option("--config <file>", "config file (default: <data-dir>/config.json)")
  .addHelpText(
    "after",
    `
Configuration: <data-dir>/config.json, then CDN_SLASHER_<FIELD> environment variables (e.g.
CDN_SLASHER_NOTICES=notices.json, CDN_SLASHER_INTERVAL_MS), CDN_RPC_URL and CDN_DEPLOYMENTS_DIR,
then flags. See docs/slasher-guide.md.

Typical first run:
  cdn-slasher init
  cdn-slasher notice add 0x5c17…abd6
  cdn-slasher start            (or: cdn-slasher start --once)
  cdn-slasher status
`,
  );

for (const add of [initCommand, noticeCommand, startCommand, statusCommand]) add(program);

await program.parseAsync(process.argv);
