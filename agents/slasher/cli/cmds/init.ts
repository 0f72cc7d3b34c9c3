import type { Command } from "commander";
import { addInitCommand } from "../../../runtime/init.js";
import { loadSlasherConfig } from "../../config.js";

export function initCommand(program: Command): void {
  addInitCommand(program, {
    program: "cdn-slasher",
    description: "create (or import) the slasher key (it pays probe-channel deposits and gas, and receives the reward) and a starter config file",
    examples: ["cdn-slasher init", "cdn-slasher --data-dir ./slasher init --import 0x59c6..."],
    loadConfig: loadSlasherConfig,
    starter: (c) => ({ rpcUrl: c.rpcUrl, notices: c.notices, intervalMs: c.intervalMs }),
    next: (id) => `fund ${id.address} with ETH (gas) and USDC (one minimum deposit per probe channel, refunded), then \`cdn-slasher notice add <blobId>\` and \`cdn-slasher start\``,
  });
}
