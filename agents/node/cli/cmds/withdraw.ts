import type { Command } from "commander";
import { action, usdc } from "../../../runtime/cli.js";
import { withdrawCredit } from "../../../chain/credits.js";
import { nodeContext, globals, operatorSender } from "../context.js";

export function withdrawCommand(program: Command): void {
  program
    .command("withdraw")
    .description("collect the withdrawable credit that PaymentChannel holds for the operator (every claim, close or dispute credits the operator's share there; the node never withdraws by itself)")
    .addHelpText("after", "\nExample:\n  cdn-node withdraw        # sends from the operator account; `status` shows the credit first")
    .action(
      action("cdn-node", async function (this: Command) {
        const ctx = await nodeContext(globals(this));
        try {
          const { amount, txHash } = await withdrawCredit(ctx.contracts, await operatorSender(ctx));
          console.log(`Withdrew ${usdc(amount)} of credit to ${ctx.operator.address} (transaction ${txHash}).`);
        } finally {
          ctx.close();
        }
      }),
    );
}
