import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { action } from "../../../runtime/cli.js";
import { createKeyFile, loadKeyFile } from "../../../runtime/keys.js";
import { loadNodeConfig } from "../../config.js";
import { globals } from "../context.js";

export function initCommand(program: Command): void {
  program
    .command("init")
    .description("create (or import) the node key, the libp2p identity and on-chain node key in one, and a starter config file")
    .option("--import <secret>", "import an existing 32-byte secp256k1 secret (0x hex) instead of generating one")
    .addHelpText("after", "\nExamples:\n  cdn-node init\n  cdn-node --data-dir ./node1 init --import 0x59c6...\n")
    .action(
      action("cdn-node", async function (this: Command, opts: { import?: string }) {
        const config = loadNodeConfig(globals(this));
        const identity = existsSync(config.keyFile) && !opts.import ? loadKeyFile(config.keyFile) : createKeyFile(config.keyFile, opts.import);
        mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
        if (!existsSync(config.configFile)) {
          const starter = { rpcUrl: config.rpcUrl, listen: config.listen, region: config.region, capacityMbps: config.capacityMbps, pricePerGiB: config.pricePerGiB.toString() };
          writeFileSync(config.configFile, JSON.stringify(starter, null, 2) + "\n", { mode: 0o600 });
        }
        console.log(`node key   ${identity.address}`);
        console.log(`peer id    ${identity.peerId.toString()}`);
        console.log(`key file   ${path.resolve(config.keyFile)} (mode 0600)`);
        console.log(`config     ${path.resolve(config.configFile)}`);
        console.log(`next       fund ${identity.address} with ETH (gas) and USDC (bond), then \`cdn-node register\``);
      }),
    );
}
