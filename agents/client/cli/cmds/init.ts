import { existsSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { action } from "../../../runtime/cli.js";
import { createKeyFile, loadKeyFile } from "../../../runtime/keys.js";
import { loadClientConfig } from "../../config.js";
import { globals } from "../context.js";

export function initCommand(program: Command): void {
  program
    .command("init")
    .description("create (or import) the client key: it pays for channels (needs ETH for gas and USDC) and signs vouchers")
    .option("--import <secret>", "import an existing 32-byte secp256k1 secret (0x hex)")
    .addHelpText("after", "\nExample:\n  cdn-client init\n")
    .action(
      action("cdn-client", async function (this: Command, opts: { import?: string }) {
        const config = loadClientConfig(globals(this));
        const identity = existsSync(config.keyFile) && !opts.import ? loadKeyFile(config.keyFile) : createKeyFile(config.keyFile, opts.import);
        console.log(`client address  ${identity.address}`);
        console.log(`key file        ${path.resolve(config.keyFile)} (mode 0600)`);
      }),
    );
}
