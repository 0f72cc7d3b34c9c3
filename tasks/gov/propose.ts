import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { id } from "ethers";
import { ACTIONS } from "./actions.js";
import { UserError, runTask } from "../lib/errors.js";
import { signerFor, taskContext } from "../lib/context.js";

interface Args {
  action: string;
  key: string;
  value: string;
  node: string;
  account: string;
  blob: string;
  description: string;
  from: string;
}

export default async function propose(args: Args, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const spec = ACTIONS[args.action];
    if (!spec) {
      const list = Object.entries(ACTIONS)
        .map(([name, a]) => `  ${name.padEnd(20)} ${a.summary}\n  ${" ".repeat(20)} e.g. ${a.example}`)
        .join("\n");
      throw new UserError(`${args.action ? `Unknown --action "${args.action}"` : "--action is required"}. Actions:\n${list}`);
    }
    if (!args.description.trim()) throw new UserError("--description is required: say what the proposal does and why.");
    spec.checkDescription?.(args, args.description);
    const ctx = await taskContext(hre);
    const { calls, warnings } = await spec.build(args, ctx);
    const signer = await signerFor(ctx, args.from);
    const proposer = await signer.getAddress();
    const threshold = await ctx.governor.proposalThreshold();
    const votes = await ctx.governor.getVotes(proposer, (await ctx.ethers.provider.getBlockNumber()) - 1);
    if (votes < threshold) {
      throw new UserError(`${proposer} has ${votes} delegated votes; proposing needs ${threshold} (delegate first: gov:delegate).`);
    }
    const targets = calls.map((c) => c.target);
    const values = calls.map(() => 0n);
    const calldatas = calls.map((c) => c.data);
    const proposalId = await ctx.governor.hashProposal(targets, values, calldatas, id(args.description));
    if ((await ctx.governor.proposalSnapshot(proposalId)) !== 0n) {
      throw new UserError(`An identical proposal already exists (id ${proposalId}); change the description to propose it again.`);
    }
    const tx = await ctx.governor.connect(signer).propose(targets, values, calldatas, args.description);
    await tx.wait();
    for (const warning of warnings) console.log(`warning: ${warning}`);
    console.log(`Proposed ${proposalId}`);
    for (const c of calls) console.log(`  - ${c.summary}`);
    console.log(`Voting opens at block ${(await ctx.governor.proposalSnapshot(proposalId)) + 1n}, closes after block ${await ctx.governor.proposalDeadline(proposalId)}.`);
    console.log(`Next: npx hardhat gov:vote --id ${proposalId} --support for --network ${hre.globalOptions.network ?? "localhost"}`);
    return proposalId;
  });
}
