import type { Command } from "commander";
import { resolveConfirmations } from "../../../chain/confirmations.js";
import { TxSender } from "../../../chain/tx-sender.js";
import { action, usdc } from "../../../runtime/cli.js";
import { txSenderOptions } from "../../../runtime/config-fields.js";
import { DEFAULT_EARNINGS, Earnings } from "../../earnings.js";
import { nodeContext, globals, type NodeContext } from "../context.js";

async function withEarnings(cmd: Command, fn: (e: Earnings, ctx: NodeContext) => Promise<void>): Promise<void> {
  const ctx = await nodeContext(globals(cmd));
  try {
    const confirmations = await resolveConfirmations(ctx.contracts.provider, ctx.config.confirmations, 2);
    const sender = new TxSender({ ...txSenderOptions(ctx.config), confirmations }, { signer: ctx.contracts.channels.runner as never });
    await fn(new Earnings({ ...DEFAULT_EARNINGS, claimThreshold: ctx.config.claimThreshold }, { contracts: ctx.contracts, store: ctx.store, logger: ctx.logger, sender }), ctx);
  } finally {
    ctx.close();
  }
}

export function channelsCommand(program: Command): void {
  const channels = program.command("channels").description("the node's payment channels: list, claim, close");
  channels
    .command("list")
    .description("channels this node holds vouchers for, with on-chain state")
    .option("--json", "machine-readable output")
    .action(
      action("cdn-node", async function (this: Command, opts: { json?: boolean }) {
        await withEarnings(this, async (e) => {
          const reports = await e.reports();
          if (opts.json) return console.log(JSON.stringify(reports, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2));
          if (reports.length === 0) return console.log("no channels with vouchers");
          for (const r of reports)
            console.log(`${r.channelId}  ${r.status.padEnd(7)}  payer ${r.payer}  deposit ${usdc(r.deposit)}  best voucher ${usdc(r.best)}  paid ${usdc(r.paid)}  unclaimed ${usdc(r.unclaimed)}`);
        });
      }),
    );
  channels
    .command("claim")
    .description("claim the best voucher of a channel (or all) without closing")
    .argument("[channelId]", "channel id (default: every channel with unclaimed vouchers)")
    .action(
      action("cdn-node", async function (this: Command, channelId?: string) {
        await withEarnings(this, (e) => claimAll(e, channelId));
      }),
    );
  channels
    .command("close")
    .description("close a channel (or all open ones) with its best voucher: pays the operator and treasury, refunds the payer")
    .argument("[channelId]", "channel id (default: every open channel with vouchers)")
    .action(
      action("cdn-node", async function (this: Command, channelId?: string) {
        await withEarnings(this, async (e) => {
          const reports = channelId ? [await e.report(channelId)] : await e.reports();
          const live = reports.filter((r) => r.status === "Open" || r.status === "Closing");
          if (channelId && live.length === 0) return console.log(`${channelId}: already ${reports[0].status.toLowerCase()}; nothing to close`);
          for (const r of live) console.log(`${r.channelId}: closed, ${usdc(await e.close(r.channelId))} newly paid`);
        });
      }),
    );
}

/** Claims the named channel, or every live one with something unclaimed; closed channels are not mentioned (unless named). */
async function claimAll(e: Earnings, channelId: string | undefined): Promise<void> {
  const reports = channelId ? [await e.report(channelId)] : await e.reports();
  const live = reports.filter((r) => r.status === "Open" || r.status === "Closing");
  if (channelId && live.length === 0) return console.log(`${channelId}: ${reports[0].status.toLowerCase()}; nothing to claim`);
  for (const r of live) if (channelId || r.unclaimed > 0n) console.log(`${r.channelId}: claimed ${usdc(await e.claim(r.channelId))}`);
}
