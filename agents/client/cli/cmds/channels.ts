import type { Command } from "commander";
import { action, parseUsdc, usdc } from "../../../runtime/cli.js";
import { clientContext, globals, type ClientContext } from "../context.js";

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
        await run(this, async ({ client, store }) => {
          const list = store.channels();
          if (list.length === 0) return console.log("no channels");
          for (const local of list) {
            const c = await client.refreshChannel(local.channelId);
            console.log(`${c.channelId}  ${c.status.padEnd(7)}  node ${c.nodeKey}  deposit ${usdc(c.deposit)}  signed ${usdc(c.signed)}  left ${usdc(c.deposit - c.signed)}`);
          }
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
