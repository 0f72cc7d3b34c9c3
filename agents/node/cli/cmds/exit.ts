import type { Command } from "commander";
import { action } from "../../../runtime/cli.js";
import { exitNode } from "../../registration.js";
import { nodeContext, globals, operatorSender } from "../context.js";

export function exitCommand(program: Command): void {
  program
    .command("exit")
    .description("leave the network: deregister (starts unbonding); run again after the unbonding period to withdraw the bond")
    .action(
      action("cdn-node", async function (this: Command) {
        const ctx = await nodeContext(globals(this));
        try {
          const nodeId = await ctx.contracts.registry.nodeIdOf(ctx.identity.address);
          if (nodeId === 0n) throw new Error("This node key is not registered.");
          console.log(await exitNode(ctx.contracts, nodeId, ctx.operator, await operatorSender(ctx)));
        } finally {
          ctx.close();
        }
      }),
    );
}
