import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { formatUnits } from "ethers";
import { runTask, UserError } from "../lib/errors.js";
import { taskContext } from "../lib/context.js";

/** Pages through the active set (`NodeRegistry.activeNodes`), `--page-size` ids per call. */
export default async function nodeList(args: { pageSize: number; json: boolean }, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    if (args.pageSize < 1 || args.pageSize > 500) throw new UserError("--page-size must be between 1 and 500.");
    const ctx = await taskContext(hre);
    const rows = [];
    let start = 1n;
    while (start !== 0n) {
      const [ids, nodes, next] = await ctx.registry.activeNodes(start, args.pageSize);
      for (let i = 0; i < ids.length; i++) {
        rows.push({
          nodeId: ids[i].toString(),
          nodeKey: nodes[i].nodeKey,
          region: Number(nodes[i].region),
          capacityMbps: Number(nodes[i].capacityMbps),
          pricePerGiB: formatUnits(nodes[i].pricePerGiB, 6),
          bond: formatUnits(nodes[i].bond, 6),
        });
      }
      start = next;
    }
    if (args.json) console.log(JSON.stringify(rows, null, 2));
    else if (rows.length === 0) console.log("No active nodes.");
    else {
      console.log("id    node key                                    region  Mbps      USDC/GiB  bond (USDC)");
      for (const r of rows) {
        console.log(`${r.nodeId.padEnd(5)} ${r.nodeKey}  ${String(r.region).padEnd(6)}  ${String(r.capacityMbps).padEnd(8)}  ${r.pricePerGiB.padEnd(8)}  ${r.bond}`);
      }
    }
    return rows;
  });
}
