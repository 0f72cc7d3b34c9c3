import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { formatUnits } from "ethers";
import { runTask } from "../lib/errors.js";
import { resolveNode, taskContext } from "../lib/context.js";
import { nodeMetadata } from "../../agents/chain/registry.js";

const STATUS = ["None", "Registered", "Exiting", "Withdrawn"];
const usdc = (v: bigint) => `${formatUnits(v, 6)} USDC`;
const time = (t: bigint) => (t === 0n ? "-" : new Date(Number(t) * 1000).toISOString());

export default async function nodeShow(args: { node: string; json: boolean }, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const ctx = await taskContext(hre);
    const nodeId = await resolveNode(ctx, args.node);
    const node = await ctx.registry.getNode(nodeId);
    const active = await ctx.registry.isActiveNode(nodeId);
    const required = await ctx.registry.requiredBondOf(nodeId);
    const metadata = await nodeMetadata(ctx.registry, nodeId);
    const origin = await ctx.origins.originOf(nodeId);
    const view = {
      nodeId: nodeId.toString(),
      nodeKey: node.nodeKey,
      operator: node.operator,
      status: STATUS[Number(node.status)],
      active,
      capacityMbps: Number(node.capacityMbps),
      region: Number(node.region),
      pricePerGiB: usdc(node.pricePerGiB),
      bond: usdc(node.bond),
      requiredBond: usdc(required),
      unbonding: usdc(node.unbonding),
      unbondingEndsAt: time(node.unbondingEndsAt),
      registeredAt: time(node.registeredAt),
      origin: origin.recognized ? `recognized, epoch ${origin.currentEpoch}` : "no",
      publicKey: metadata?.publicKey ?? "(not found in events)",
      multiaddrs: metadata?.multiaddrs ?? [],
    };
    if (args.json) console.log(JSON.stringify(view, null, 2));
    else for (const [k, v] of Object.entries(view)) console.log(`${k.padEnd(16)} ${Array.isArray(v) ? v.join(" ") || "-" : v}`);
    return view;
  });
}
