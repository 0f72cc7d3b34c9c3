import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { action } from "../../../runtime/cli.js";
import { createKeyFile, loadKeyFile } from "../../../runtime/keys.js";
import { loadWatchtowerConfig } from "../../config.js";
import { globals } from "../context.js";

export function initCommand(program: Command): void {
  program
    .command("init")
    .description("create (or import) the watchtower key, its libp2p identity and the account that pays dispute gas, and a starter config file")
    .option("--import <secret>", "import an existing 32-byte secp256k1 secret (0x hex) instead of generating one")
    .addHelpText("after", "\nExamples:\n  cdn-watchtower init\n  cdn-watchtower --data-dir ./tower init --import 0x59c6...\n")
    .action(
      action("cdn-watchtower", async function (this: Command, opts: { import?: string }) {
        const config = loadWatchtowerConfig(globals(this));
        const identity = existsSync(config.keyFile) && !opts.import ? loadKeyFile(config.keyFile) : createKeyFile(config.keyFile, opts.import);
        mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
        if (!existsSync(config.configFile)) {
          const starter = { rpcUrl: config.rpcUrl, listen: config.listen, confirmations: config.confirmations, disputeMarginSeconds: config.disputeMarginSeconds };
          writeFileSync(config.configFile, JSON.stringify(starter, null, 2) + "\n", { mode: 0o600 });
        }
        console.log(`address    ${identity.address}`);
        console.log(`peer id    ${identity.peerId.toString()}`);
        console.log(`key file   ${path.resolve(config.keyFile)} (mode 0600)`);
        console.log(`config     ${path.resolve(config.configFile)}`);
        console.log(`next       fund ${identity.address} with ETH (dispute gas), then \`cdn-watchtower start\``);
      }),
    );
}
