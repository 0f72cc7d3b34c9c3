import type { Command } from "commander";
import { addInitCommand } from "../../../runtime/init.js";
import { loadNodeConfig } from "../../config.js";

export function initCommand(program: Command): void {
  addInitCommand(program, {
    program: "cdn-node",
    description: "create (or import) the node key, the libp2p identity and on-chain node key in one, and a starter config file",
    examples: ["cdn-node init", "cdn-node --data-dir ./node1 init --import 0x59c6..."],
    loadConfig: loadNodeConfig,
    starter: (c) => ({ rpcUrl: c.rpcUrl, listen: c.listen, region: c.region, capacityMbps: c.capacityMbps, pricePerGiB: c.pricePerGiB }),
    addressLabel: "node key",
    showPeerId: true,
    next: (id) => `fund ${id.address} with ETH (gas) and USDC (bond), then \`cdn-node register\``,
  });
}
