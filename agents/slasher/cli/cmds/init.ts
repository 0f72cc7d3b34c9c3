import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { action } from "../../../runtime/cli.js";
import { createKeyFile, loadKeyFile } from "../../../runtime/keys.js";
import { loadSlasherConfig } from "../../config.js";
import { globals } from "../context.js";

export function initCommand(program: Command): void {
  program
    .command("init")
    .description("create (or import) the slasher key (it pays probe-channel deposits and gas, and receives the reward) and a starter config file")
    .option("--import <secret>", "import an existing 32-byte secp256k1 secret (0x hex) instead of generating one")
    .addHelpText("after", "\nExamples:\n  cdn-slasher init\n  cdn-slasher --data-dir ./slasher init --import 0x59c6...\n")
    .action(
      action("cdn-slasher", async function (this: Command, opts: { import?: string }) {
        const config = loadSlasherConfig(globals(this));
        const identity = existsSync(config.keyFile) && !opts.import ? loadKeyFile(config.keyFile) : createKeyFile(config.keyFile, opts.import);
        mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
        if (!existsSync(config.configFile)) {
          const starter = { rpcUrl: config.rpcUrl, notices: config.notices, intervalMs: config.intervalMs };
          writeFileSync(config.configFile, JSON.stringify(starter, null, 2) + "\n", { mode: 0o600 });
        }
        console.log(`address    ${identity.address}`);
        console.log(`key file   ${path.resolve(config.keyFile)} (mode 0600)`);
        console.log(`config     ${path.resolve(config.configFile)}`);
        console.log(`next       fund ${identity.address} with ETH (gas) and USDC (one minimum deposit per probe channel, refunded), then \`cdn-slasher notice add <blobId>\` and \`cdn-slasher start\``);
      }),
    );
}
