import type { Command } from "commander";
import { addInitCommand } from "../../../runtime/init.js";
import { loadWatchtowerConfig } from "../../config.js";

export function initCommand(program: Command): void {
  addInitCommand(program, {
    program: "cdn-watchtower",
    description: "create (or import) the watchtower key, its libp2p identity and the account that pays dispute gas, and a starter config file",
    examples: ["cdn-watchtower init", "cdn-watchtower --data-dir ./tower init --import 0x59c6..."],
    loadConfig: loadWatchtowerConfig,
    starter: (c) => ({ rpcUrl: c.rpcUrl, listen: c.listen, confirmations: c.confirmations, disputeMarginSeconds: c.disputeMarginSeconds }),
    showPeerId: true,
    next: (id) => `fund ${id.address} with ETH (dispute gas), then \`cdn-watchtower start\``,
  });
}
