import type { Command } from "commander";
import { action, usdc } from "../../../runtime/cli.js";
import { Earnings, DEFAULT_EARNINGS } from "../../earnings.js";
import { nodeContext, globals } from "../context.js";

const STATUS = ["none", "registered", "exiting", "withdrawn"];

export function statusCommand(program: Command): void {
  program
    .command("status")
    .description("show the node's registry record, origin status, blobs and earnings")
    .option("--json", "machine-readable output")
    .action(
      action("cdn-node", async function (this: Command, opts: { json?: boolean }) {
        const ctx = await nodeContext(globals(this));
        try {
          const { registry, origins } = ctx.contracts;
          const nodeId = await registry.nodeIdOf(ctx.identity.address);
          const out: Record<string, unknown> = { nodeKey: ctx.identity.address, peerId: ctx.identity.peerId.toString(), nodeId: nodeId.toString() };
          if (nodeId !== 0n) {
            const [node, active, origin] = await Promise.all([registry.getNode(nodeId), registry.isActive(ctx.identity.address), origins.originOf(nodeId)]);
            Object.assign(out, { status: STATUS[Number(node.status)], active, bond: node.bond.toString(), pricePerGiB: node.pricePerGiB.toString(), region: Number(node.region), capacityMbps: Number(node.capacityMbps), origin: origin.recognized, epoch: origin.currentEpoch.toString() });
          }
          const reports = await new Earnings(DEFAULT_EARNINGS, { contracts: ctx.contracts, store: ctx.store, logger: ctx.logger }).reports();
          out.blobs = ctx.store.blobs().length;
          out.channels = reports.length;
          out.unclaimed = reports.reduce((s, r) => s + r.unclaimed, 0n).toString();
          out.paid = reports.reduce((s, r) => s + r.paid, 0n).toString();
          if (opts.json) return console.log(JSON.stringify(out, null, 2));
          console.log(`node ${out.nodeId} (${out.status ?? "not registered"}${out.active ? ", active" : ""}) key ${out.nodeKey}`);
          console.log(`peer ${out.peerId}`);
          if (nodeId !== 0n) console.log(`bond ${usdc(BigInt(String(out.bond)))}, price ${usdc(BigInt(String(out.pricePerGiB)))}/GiB, region ${out.region}, ${out.capacityMbps} Mbps, origin: ${out.origin ? `yes (epoch ${out.epoch})` : "no"}`);
          console.log(`${out.blobs} blobs published; ${out.channels} channels with vouchers; paid out ${usdc(BigInt(String(out.paid)))}, unclaimed ${usdc(BigInt(String(out.unclaimed)))}`);
        } finally {
          ctx.close();
        }
      }),
    );
}
