import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { id } from "ethers";
import { UserError, runTask } from "../lib/errors.js";
import { PROPOSAL_STATES, findProposal, parseProposalId, signerFor, taskContext, isLocalChain } from "../lib/context.js";

export default async function queue(args: { id: string; from: string }, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const ctx = await taskContext(hre);
    const proposal = await findProposal(ctx, parseProposalId(args.id));
    const state = PROPOSAL_STATES[Number(await ctx.governor.state(proposal.id))];
    if (state !== "Succeeded") {
      let hint = "";
      if (state === "Active" && isLocalChain(ctx.chainId)) {
        const blocks = (await ctx.governor.proposalDeadline(proposal.id)) + 1n - BigInt(await ctx.ethers.provider.getBlockNumber());
        hint = ` Voting closes after block ${proposal.voteEnd}; on a local chain: npx hardhat chain:advance --blocks ${blocks} --network localhost.`;
      }
      throw new UserError(`Proposal ${proposal.id} is ${state}; only a Succeeded proposal can be queued.${hint}`);
    }
    const signer = await signerFor(ctx, args.from);
    await (await ctx.governor.connect(signer).queue(proposal.targets, proposal.values, proposal.calldatas, id(proposal.description))).wait();
    const eta = await ctx.governor.proposalEta(proposal.id);
    console.log(`Queued ${proposal.id}; executable from ${new Date(Number(eta) * 1000).toISOString()} (unix ${eta}).`);
  });
}
