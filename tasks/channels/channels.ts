import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { formatUnits, isAddress } from "ethers";
import { runTask, UserError } from "../lib/errors.js";
import { resolveNode, taskContext, type TaskContext } from "../lib/context.js";

const STATUS = ["None", "Open", "Closing", "Closed"];
const usdc = (v: bigint) => `${formatUnits(v, 6)} USDC`;
const time = (t: bigint) => (t === 0n ? "-" : new Date(Number(t) * 1000).toISOString());

function parseChannelId(id: string): string {
  if (!/^0x[0-9a-fA-F]{64}$/.test(id.trim())) throw new UserError(`--id must be a channel id (0x and 64 hex digits), not "${id}".`);
  return id.trim();
}

type ChannelInfo = Awaited<ReturnType<TaskContext["channels"]["getChannel"]>>;

function describe(id: string, c: ChannelInfo) {
  return {
    channelId: id,
    status: STATUS[Number(c.status)] ?? String(c.status),
    payer: c.payer,
    nodeId: c.nodeId.toString(),
    nodeKey: c.nodeKey,
    operator: c.operator,
    voucherSigner: c.voucherSigner,
    signerExpiry: time(c.signerExpiry),
    openedAt: time(c.openedAt),
    closesAt: time(c.closesAt),
    feeBps: Number(c.feeBps),
    deposit: usdc(c.deposit),
    paid: usdc(c.paid),
    remaining: usdc(c.deposit - c.paid),
  };
}

export async function show(args: { id: string; json: boolean }, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const id = parseChannelId(args.id);
    const ctx = await taskContext(hre);
    const info = await ctx.channels.getChannel(id);
    if (info.payer === "0x0000000000000000000000000000000000000000") throw new UserError(`No channel ${id} on this chain.`);
    const view = describe(id, info);
    if (args.json) console.log(JSON.stringify(view, null, 2));
    else for (const [k, v] of Object.entries(view)) console.log(`${k.padEnd(14)} ${v}`);
    return view;
  });
}

/** Channels of a payer or a node, from the indexed ChannelOpened events, then one batch view. */
export async function list(args: { payer: string; node: string; json: boolean }, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    if (!args.payer === !args.node) throw new UserError("Give exactly one of --payer <address> or --node <node id | node key>.");
    if (args.payer && !isAddress(args.payer)) throw new UserError(`--payer must be an address, not "${args.payer}".`);
    const ctx = await taskContext(hre);
    const filter = args.payer ? ctx.channels.filters.ChannelOpened(undefined, args.payer) : ctx.channels.filters.ChannelOpened(undefined, undefined, await resolveNode(ctx, args.node));
    const events = await ctx.channels.queryFilter(filter, ctx.deployment.deploymentBlock);
    const ids = events.map((e) => e.args.channelId);
    const infos = ids.length ? await ctx.channels.getChannels(ids) : [];
    const rows = infos.map((info, i) => describe(ids[i], info));
    if (args.json) console.log(JSON.stringify(rows, null, 2));
    else if (rows.length === 0) console.log("No channels.");
    else for (const r of rows) console.log(`${r.channelId}  ${r.status.padEnd(7)}  node ${r.nodeId.padEnd(4)} paid ${r.paid} of ${r.deposit}`);
    return rows;
  });
}
