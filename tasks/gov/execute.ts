import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { id } from "ethers";
import { UserError, runTask } from "../lib/errors.js";
import { describeRevert } from "../../agents/chain/errors.js";
import { PROPOSAL_STATES, findProposal, parseProposalId, signerFor, taskContext, isLocalChain } from "../lib/context.js";
import { describeCall } from "./actions.js";
import { formatParamValue } from "../lib/units.js";

export default async function execute(args: { id: string; from: string }, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const ctx = await taskContext(hre);
    const proposal = await findProposal(ctx, parseProposalId(args.id));
    const state = PROPOSAL_STATES[Number(await ctx.governor.state(proposal.id))];
    if (state !== "Queued") throw new UserError(`Proposal ${proposal.id} is ${state}; only a Queued proposal can be executed.`);
    const eta = await ctx.governor.proposalEta(proposal.id);
    const now = BigInt((await ctx.ethers.provider.getBlock("latest"))!.timestamp);
    if (now < eta) {
      const hint = isLocalChain(ctx.chainId) ? ` On a local chain: npx hardhat chain:advance --seconds ${eta - now} --network localhost.` : "";
      throw new UserError(`Proposal ${proposal.id} is executable in ${eta - now} s (at unix ${eta}).${hint}`);
    }
    const signer = await signerFor(ctx, args.from);
    try {
      await (await ctx.governor.connect(signer).execute(proposal.targets, proposal.values, proposal.calldatas, id(proposal.description))).wait();
    } catch (error) {
      const sentence = describeRevert(error, { formatParam: formatParamValue });
      if (sentence) throw new UserError(`Execution reverted: ${sentence}`);
      throw error;
    }
    console.log(`Executed ${proposal.id}:`);
    for (let i = 0; i < proposal.targets.length; i++) console.log(`  - ${await describeCall(ctx, proposal.targets[i], proposal.calldatas[i])}`);
  });
}
