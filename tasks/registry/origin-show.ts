import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { runTask } from "../lib/errors.js";
import { resolveNode, taskContext } from "../lib/context.js";

export default async function originShow(args: { node: string }, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const ctx = await taskContext(hre);
    const nodeId = await resolveNode(ctx, args.node);
    const origin = await ctx.origins.originOf(nodeId);
    console.log(`node        ${nodeId}`);
    console.log(`recognized  ${origin.recognized ? "yes" : "no"}`);
    const epochs = [];
    for (let epoch = 1n; epoch <= origin.currentEpoch; epoch++) {
      const [key, revoked] = await ctx.origins.contentKeyOf(nodeId, epoch);
      const valid = await ctx.origins.isValidContentSigner(nodeId, epoch, key);
      epochs.push({ epoch: epoch.toString(), contentKey: key, revoked, valid });
      console.log(`epoch ${String(epoch).padEnd(5)} ${key}  ${valid ? "valid" : revoked ? "revoked" : "void"}`);
    }
    if (epochs.length === 0) console.log("epochs      none");
    return { recognized: origin.recognized, epochs };
  });
}
