import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { isAddress, formatEther } from "ethers";
import { UserError, runTask } from "../lib/errors.js";
import { signerFor, taskContext } from "../lib/context.js";

export default async function delegate(args: { to: string; from: string }, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const ctx = await taskContext(hre);
    const signer = await signerFor(ctx, args.from);
    const self = await signer.getAddress();
    const to = args.to === "" || args.to === "self" ? self : args.to;
    if (!isAddress(to)) throw new UserError(`--to must be an address or "self", not "${args.to}".`);
    await (await ctx.token.connect(signer).delegate(to)).wait();
    console.log(`${self} delegated ${formatEther(await ctx.token.balanceOf(self))} CDN of voting power to ${to}.`);
    console.log(`${to} now has ${formatEther(await ctx.token.getVotes(to))} votes (counted from the next proposal snapshot).`);
  });
}
