import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { formatEther } from "ethers";
import { runTask } from "../lib/errors.js";
import { PROPOSAL_STATES, findProposal, parseProposalId, taskContext } from "../lib/context.js";
import { describeCall } from "./actions.js";

export default async function status(args: { id: string }, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const ctx = await taskContext(hre);
    const p = await findProposal(ctx, parseProposalId(args.id));
    const state = PROPOSAL_STATES[Number(await ctx.governor.state(p.id))];
    const [against, forVotes, abstain] = await ctx.governor.proposalVotes(p.id);
    const block = BigInt(await ctx.ethers.provider.getBlockNumber());
    const snapshot = await ctx.governor.proposalSnapshot(p.id);
    const quorum = snapshot < block ? await ctx.governor.quorum(snapshot) : await ctx.governor.quorum(block - 1n);
    const eta = await ctx.governor.proposalEta(p.id);
    const lines = [
      `proposal   ${p.id}`,
      `state      ${state}`,
      `proposer   ${p.proposer}`,
      `title      ${p.description.split("\n")[0]}`,
      `votes      for ${formatEther(forVotes)} · against ${formatEther(against)} · abstain ${formatEther(abstain)}`,
      `quorum     ${formatEther(quorum)} (for + abstain: ${formatEther(forVotes + abstain)}${forVotes + abstain >= quorum ? ", reached" : ", not reached"})`,
      `voting     blocks ${snapshot + 1n} … ${await ctx.governor.proposalDeadline(p.id)} (now ${block})`,
      `eta        ${eta === 0n ? "not queued" : `${new Date(Number(eta) * 1000).toISOString()} (unix ${eta})`}`,
      `actions`,
    ];
    for (let i = 0; i < p.targets.length; i++) lines.push(`  ${i + 1}. ${await describeCall(ctx, p.targets[i], p.calldatas[i])}`);
    console.log(lines.join("\n"));
    return { state, for: forVotes, against, abstain, quorum, eta };
  });
}
