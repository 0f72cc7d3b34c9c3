import type { Command } from "commander";
import { addInitCommand } from "../../../runtime/init.js";
import { loadClientConfig } from "../../config.js";

export function initCommand(program: Command): void {
  addInitCommand(program, {
    program: "cdn-client",
    description: "create (or import) the client key: it pays for channels (needs ETH for gas and USDC) and signs vouchers",
    examples: ["cdn-client init"],
    loadConfig: loadClientConfig,
    addressLabel: "client address",
    next: (id) => `fund ${id.address} with ETH (gas) and USDC (channel deposits), then \`cdn-client fetch <blobId> -o <file>\``,
  });
}
