import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { runTask } from "../lib/errors.js";
import { PROPOSAL_STATES, listProposals, taskContext } from "../lib/context.js";

export default async function list(_args: unknown, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const ctx = await taskContext(hre);
    const proposals = await listProposals(ctx);
    if (proposals.length === 0) {
      console.log("No proposals yet. Create one with npx hardhat gov:propose (see --help).");
      return [];
    }
    const rows = [];
    for (const p of proposals) {
      const state = PROPOSAL_STATES[Number(await ctx.governor.state(p.id))];
      rows.push({ id: p.id.toString(), state, title: p.description.split("\n")[0].slice(0, 60) });
    }
    for (const r of rows) console.log(`${r.state.padEnd(10)} ${r.id}  ${r.title}`);
    return rows;
  });
}
