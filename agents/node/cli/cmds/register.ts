import type { Command } from "commander";
import { action, usdc } from "../../../runtime/cli.js";
import { registerNode } from "../../registration.js";
import { nodeContext, globals, operatorSender } from "../context.js";

export function registerCommand(program: Command): void {
  program
    .command("register")
    .description("register the node and bond USDC in one transaction (EIP-2612 permit), with its capacity, region, price and multiaddrs")
    .option("--capacity <mbps>", "declared capacity in Mbps (default: config capacityMbps)")
    .option("--region <code>", "region code (default: config region)")
    .option("--price <baseUnits>", "price in USDC base units per GiB (default: config pricePerGiB)")
    .option("--multiaddr <addr...>", "multiaddrs to publish (default: announce, else listen addresses, with /p2p/<peer id>)")
    .option("--bond <baseUnits>", "bond in USDC base units (default: the required bond for the capacity)")
    .addHelpText("after", "\nExample:\n  cdn-node register --capacity 100 --region 1 --price 10000 --multiaddr /ip4/203.0.113.7/tcp/4001\n")
    .action(
      action("cdn-node", async function (this: Command, opts: { capacity?: string; region?: string; price?: string; multiaddr?: string[]; bond?: string }) {
        const ctx = await nodeContext({
          ...globals(this),
          ...(opts.capacity ? { capacityMbps: opts.capacity } : {}),
          ...(opts.region ? { region: opts.region } : {}),
          ...(opts.price ? { pricePerGiB: opts.price } : {}),
        });
        try {
          const peer = ctx.identity.peerId.toString();
          const base = opts.multiaddr ?? (ctx.config.announce.length > 0 ? ctx.config.announce : ctx.config.listen);
          const multiaddrs = base.map((a) => (a.includes("/p2p/") ? a : `${a}/p2p/${peer}`));
          const nodeId = await registerNode(
            ctx.contracts,
            ctx.identity,
            ctx.operator,
            {
              capacityMbps: ctx.config.capacityMbps,
              region: ctx.config.region,
              pricePerGiB: ctx.config.pricePerGiB,
              multiaddrs,
              bond: opts.bond ? BigInt(opts.bond) : undefined,
            },
            await operatorSender(ctx),
          );
          const node = await ctx.contracts.registry.getNode(nodeId);
          console.log(`registered node ${nodeId}: key ${ctx.identity.address}, operator ${ctx.operator.address}, bond ${usdc(node.bond)}, price ${usdc(node.pricePerGiB)}/GiB`);
        } finally {
          ctx.close();
        }
      }),
    );
}
