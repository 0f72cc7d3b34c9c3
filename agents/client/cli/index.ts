#!/usr/bin/env node
/**
 * cdn-client: download blobs from the pay-per-byte CDN. One file per command in cmds/.
 *   npm run cdn-client -- <command> [options]     or     npx cdn-client <command> [options]
 */
import { Command } from "commander";
import { initCommand } from "./cmds/init.js";
import { fetchCommand } from "./cmds/fetch.js";
import { channelsCommand, withdrawCommand } from "./cmds/channels.js";
import { gatewayCommand } from "./cmds/gateway.js";

const program = new Command("cdn-client")
  .description("Client of the pay-per-byte CDN: verified downloads paid per byte through USDC payment channels.")
  .option("--data-dir <dir>", "state directory: key, config.json, client.db (default: $CDN_CLIENT_DATA_DIR or ~/.cdn-client)")
  .option("--config <file>", "config file (default: <data-dir>/config.json)")
  .addHelpText(
    "after",
    `
Configuration: <data-dir>/config.json, then CDN_CLIENT_<FIELD> environment variables (e.g.
CDN_CLIENT_MAX_PRICE_PER_GIB), CDN_RPC_URL and CDN_DEPLOYMENTS_DIR, then flags.

Example:
  cdn-client init
  cdn-client fetch 0x5c17…abd6 -o video.mp4
  cdn-client channels list
  cdn-client gateway --max-spend-per-hour 1
`,
  );
for (const add of [initCommand, fetchCommand, channelsCommand, withdrawCommand, gatewayCommand]) add(program);
await program.parseAsync(process.argv);
