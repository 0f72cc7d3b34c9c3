import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { formatEther } from "ethers";
import { UserError, runTask } from "../lib/errors.js";
import { PROPOSAL_STATES, parseProposalId, signerFor, taskContext, isLocalChain } from "../lib/context.js";

const SUPPORT: Record<string, number> = { against: 0, for: 1, abstain: 2 };

export default async function vote(args: { id: string; support: string; reason: string; from: string }, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const support = SUPPORT[args.support.toLowerCase()];
    if (support === undefined) throw new UserError(`--support must be for, against or abstain, not "${args.support}".`);
    const proposalId = parseProposalId(args.id);
    const ctx = await taskContext(hre);
    const signer = await signerFor(ctx, args.from);
    const voter = await signer.getAddress();
    const state = Number(
      await ctx.governor.state(proposalId).catch(() => {
        throw new UserError(`No proposal ${proposalId} on this chain.`);
      }),
    );
    if (PROPOSAL_STATES[state] !== "Active") {
      const snapshot = await ctx.governor.proposalSnapshot(proposalId);
      const hint =
        PROPOSAL_STATES[state] === "Pending" && isLocalChain(ctx.chainId)
          ? ` Voting opens after block ${snapshot}; on a local chain: npx hardhat chain:advance --blocks ${snapshot + 1n - BigInt(await ctx.ethers.provider.getBlockNumber())} --network localhost.`
          : "";
      throw new UserError(`Proposal ${proposalId} is ${PROPOSAL_STATES[state]}, not open for votes.${hint}`);
    }
    if (await ctx.governor.hasVoted(proposalId, voter)) throw new UserError(`${voter} has already voted on proposal ${proposalId}.`);
    const weight = await ctx.governor.getVotes(voter, await ctx.governor.proposalSnapshot(proposalId));
    if (weight === 0n) {
      throw new UserError(`${voter} had no delegated votes at the proposal's snapshot; delegate (gov:delegate) before a proposal is created.`);
    }
    const tx = args.reason ? await ctx.governor.connect(signer).castVoteWithReason(proposalId, support, args.reason) : await ctx.governor.connect(signer).castVote(proposalId, support);
    await tx.wait();
    console.log(`${voter} voted ${args.support.toLowerCase()} with ${formatEther(weight)} votes on ${proposalId}.`);
  });
}
