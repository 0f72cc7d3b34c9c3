import type { Command } from "commander";
import { action, parseUsdc, usdc } from "../../../runtime/cli.js";
import { chainTime, readChannel, type ChannelState } from "../../../chain/contracts.js";
import { ChannelError } from "../../errors.js";
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
        await run(this, async ({ client, contracts }) => {
          const before = await onChain(contracts, channelId);
          if (before.status === "Closed")
            return console.log(`${channelId}: already closed (the node closed it, or it was settled): the node was paid ${usdc(before.paid)}, the rest went back to you; nothing to close or settle.`);
          if (before.status === "Open") await client.closeChannel(channelId);
          const after = await readChannel(contracts.channels, channelId);
          if (after.status === "Closed") return console.log(`${channelId}: closed; the node was paid ${usdc(after.paid)}, the rest went back to you.`);
          console.log(`${channelId}: closing; ${await settleWhen(contracts, after)}`);
        });
      }),
    );
  channels
    .command("settle")
    .description("settle a channel whose dispute window is over (refunds what was not paid)")
    .argument("<channelId>")
    .action(
      action("cdn-client", async function (this: Command, channelId: string) {
        await run(this, (ctx) => settleChannel(ctx, channelId));
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

/** The channel on chain, or one sentence when there is none. */
async function onChain(contracts: ClientContext["contracts"], channelId: string): Promise<ChannelState> {
  if (!/^0x[0-9a-fA-F]{64}$/.test(channelId)) throw new ChannelError(`"${channelId}" is not a channel id (0x followed by 64 hex digits).`);
  const state = await readChannel(contracts.channels, channelId);
  if (state.status === "None") throw new ChannelError(`There is no channel ${channelId} on this chain.`);
  return state;
}

/** When a closing channel can be settled, in chain time. */
async function settleWhen(contracts: ClientContext["contracts"], state: ChannelState): Promise<string> {
  const left = Number(state.closesAt - (await chainTime(contracts.provider)));
  const at = new Date(Number(state.closesAt) * 1000).toISOString().replace(".000Z", "Z");
  if (left <= 0) return `the dispute window is over: cdn-client channels settle ${state.channelId}`;
  const inText = left >= 86_400 ? `${(left / 86_400).toFixed(1)} days` : left >= 3600 ? `${(left / 3600).toFixed(1)} h` : `${Math.ceil(left / 60)} min`;
  return `the dispute window ends at ${at} chain time (in ${inText}); then cdn-client channels settle ${state.channelId}`;
}

/** Settles a closing channel after its dispute window; says what state it is in otherwise. */
async function settleChannel({ client, contracts }: ClientContext, channelId: string): Promise<void> {
  const state = await onChain(contracts, channelId);
  if (state.status === "Closed") return console.log(`${channelId}: already closed; nothing to settle (the node was paid ${usdc(state.paid)}, the rest went back to you).`);
  if (state.status === "Open") throw new ChannelError(`Channel ${channelId} is open: close it first (cdn-client channels close ${channelId}), then settle after the dispute window.`);
  const now = await chainTime(contracts.provider);
  if (now < state.closesAt) throw new ChannelError(`Channel ${channelId} is closing: ${await settleWhen(contracts, state)}.`);
  const c = await client.settle(channelId);
  const after = await readChannel(contracts.channels, channelId);
  console.log(`${channelId}: ${c.status.toLowerCase()}; the node was paid ${usdc(after.paid)}, the rest went back to you.`);
}
