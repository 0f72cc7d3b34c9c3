import type { Command } from "commander";
import { action, parseUsdc, usdc } from "../../../runtime/cli.js";
import { clientContext, globals, type ClientContext } from "../context.js";
import { withdrawable, withdrawCredit } from "../../../chain/credits.js";

async function run(cmd: Command, fn: (ctx: ClientContext) => Promise<void>): Promise<void> {
  const ctx = await clientContext(globals(cmd), { host: false });
  try {
    await fn(ctx);
  } finally {
    await ctx.close();
  }
}

export function channelsCommand(program: Command): void {
  const channels = program.command("channels").description("the client's payment channels: list, top up, close, settle");
  channels
    .command("list")
    .description("channels with their on-chain state and the highest amount signed")
    .action(
      action("cdn-client", async function (this: Command) {
        await run(this, async ({ client, store, contracts, identity }) => {
          const list = store.channels();
          if (list.length === 0) console.log("no channels");
          for (const local of list) {
            const c = await client.refreshChannel(local.channelId);
            console.log(`${c.channelId}  ${c.status.padEnd(7)}  node ${c.nodeKey}  deposit ${usdc(c.deposit)}  signed ${usdc(c.signed)}  left ${usdc(c.deposit - c.signed)}`);
          }
          // refunds whose transfer failed (blacklist, pause) wait in PaymentChannel
          const credit = await withdrawable(contracts, identity.address);
          if (credit > 0n) console.log(`withdrawable credit ${usdc(credit)} (refunds whose transfer failed): collect it with cdn-client withdraw`);
        });
      }),
    );
  channels
    .command("topup")
    .description("add USDC to an open channel (permit, one transaction)")
    .argument("<channelId>")
    .argument("<amount>", "USDC, e.g. 2.5")
    .action(
      action("cdn-client", async function (this: Command, channelId: string, amount: string) {
        await run(this, async ({ client }) => {
          const c = await client.topUp(channelId, parseUsdc(amount));
          console.log(`${channelId}: deposit now ${usdc(c.deposit)}`);
        });
      }),
    );
  channels
    .command("close")
    .description("start closing a channel (the node may answer with its best voucher during the dispute window)")
    .argument("<channelId>")
    .action(
      action("cdn-client", async function (this: Command, channelId: string) {
        await run(this, async ({ client }) => {
          const c = await client.closeChannel(channelId);
          console.log(`${channelId}: ${c.status}; settle after the dispute window to get the rest back`);
        });
      }),
    );
  channels
    .command("settle")
    .description("settle a channel whose dispute window is over (refunds what was not paid)")
    .argument("<channelId>")
    .action(
      action("cdn-client", async function (this: Command, channelId: string) {
        await run(this, async ({ client }) => {
          const c = await client.settle(channelId);
          console.log(`${channelId}: ${c.status}`);
        });
      }),
    );
}

export function withdrawCommand(program: Command): void {
  program
    .command("withdraw")
    .description("collect the withdrawable credit that PaymentChannel holds for this account (refunds whose USDC transfer failed: blacklist or pause)")
    .action(
      action("cdn-client", async function (this: Command) {
        await run(this, async ({ contracts, identity, sender }) => {
          const { amount, txHash } = await withdrawCredit(contracts, sender);
          console.log(`Withdrew ${usdc(amount)} of credit to ${identity.address} (transaction ${txHash}).`);
        });
      }),
    );
}
