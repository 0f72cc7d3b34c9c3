#!/usr/bin/env node
/**
 * cdn-node: the node agent's command line. One file per command in cmds/.
 *   npm run cdn-node -- <command> [options]     or     npx cdn-node <command> [options]
 */
import "./heap.js"; // first: V8 heap limits apply to everything loaded after it
import { Command } from "commander";
import { initCommand } from "./cmds/init.js";
import { registerCommand } from "./cmds/register.js";
import { startCommand } from "./cmds/start.js";
import { publishCommand } from "./cmds/publish.js";
import { statusCommand } from "./cmds/status.js";
import { channelsCommand } from "./cmds/channels.js";
import { exitCommand } from "./cmds/exit.js";
import { withdrawCommand } from "./cmds/withdraw.js";

const program = new Command("cdn-node")
  .description("Node agent of the pay-per-byte CDN: serves blobs for USDC paid through payment channels.")
  .option("--data-dir <dir>", "state directory: key, config.json, node.db, backend (default: $CDN_NODE_DATA_DIR or ~/.cdn-node)")
  .option("--config <file>", "config file (default: <data-dir>/config.json)")
  .addHelpText(
    "after",
    `
Configuration: <data-dir>/config.json, then CDN_NODE_<FIELD> environment variables (e.g.
CDN_NODE_PRICE_PER_GIB), CDN_RPC_URL and CDN_DEPLOYMENTS_DIR, then flags. See docs/operator-guide.md.

Typical first run:
  cdn-node init
  cdn-node register --capacity 100 --region 1 --price 10000
  cdn-node start
`,
  );

for (const add of [initCommand, registerCommand, startCommand, publishCommand, statusCommand, channelsCommand, exitCommand, withdrawCommand]) add(program);

await program.parseAsync(process.argv);
