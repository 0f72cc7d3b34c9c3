import type { Command } from "commander";
import { action, usdc } from "../../../runtime/cli.js";
import { withdrawNodeCredit } from "../../../chain/credits.js";
import { nodeContext, globals, operatorSender } from "../context.js";

export function withdrawCommand(program: Command): void {
  program
    .command("withdraw")
    .description(
      "collect the withdrawable credit that PaymentChannel holds for the operator: the node's credit (every claim, close or dispute credits the operator's share there; only the operator recorded for the node may withdraw it, the node never withdraws by itself) and the operator's own credit, in one transaction",
    )
    .addHelpText("after", "\nExample:\n  cdn-node withdraw        # sends from the operator account; `status` shows the credit first")
    .action(
      action("cdn-node", async function (this: Command) {
        const ctx = await nodeContext(globals(this));
        try {
          const nodeId = await ctx.contracts.registry.nodeIdOf(ctx.identity.address);
          const { amount, txHash } = await withdrawNodeCredit(ctx.contracts, await operatorSender(ctx), nodeId);
          console.log(`Withdrew ${usdc(amount)} of credit to ${ctx.operator.address} (transaction ${txHash}).`);
        } finally {
          ctx.close();
        }
      }),
    );
}
