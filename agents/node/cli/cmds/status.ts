import { readFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { action, usdc } from "../../../runtime/cli.js";
import { chainTime } from "../../../chain/contracts.js";
import { Earnings, DEFAULT_EARNINGS } from "../../earnings.js";
import { operatorWithdrawable } from "../../../chain/credits.js";
import { nodeContext, globals } from "../context.js";

const STATUS = ["none", "registered", "exiting", "withdrawn"];

const formatSeconds = (s: number): string => (s >= 86_400 ? `${(s / 86_400).toFixed(1)} days` : s >= 3600 ? `${(s / 3600).toFixed(1)} h` : `${Math.ceil(s / 60)} min`);

/** Sums of the running node's key series, from its Prometheus text (by name, and by name{label=value}). */
export function metricsSummary(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const m = /^(cdn_node_[a-z_]+)(\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1].startsWith("cdn_node_process_") || m[1].startsWith("cdn_node_nodejs_")) continue; // the process defaults
    const value = Number(m[4]);
    out[m[1]] = (out[m[1]] ?? 0) + value;
    for (const label of (m[3] ?? "").split(",").filter(Boolean)) {
      const [k, v] = label.split("=");
      if (k === "reason" || k === "kind") out[`${m[1]}{${v.replaceAll('"', "")}}`] = value;
    }
  }
  return out;
}

/** The running node's metrics (its `start` wrote <dataDir>/metrics.url), or undefined when it is not running. */
async function scrape(dataDir: string): Promise<Record<string, number> | undefined> {
  try {
    const url = readFileSync(path.join(dataDir, "metrics.url"), "utf8").trim();
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return res.ok ? metricsSummary(await res.text()) : undefined;
  } catch {
    return undefined;
  }
}

export function statusCommand(program: Command): void {
  program
    .command("status")
    .description("show the node's registry record, origin status, blobs and earnings")
    .option("--json", "machine-readable output")
    .action(
      action("cdn-node", async function (this: Command, opts: { json?: boolean }) {
        const ctx = await nodeContext(globals(this));
        const c = ctx.config;
        try {
          const { registry, origins } = ctx.contracts;
          const nodeId = await registry.nodeIdOf(ctx.identity.address);
          const out: Record<string, unknown> = { nodeKey: ctx.identity.address, peerId: ctx.identity.peerId.toString(), nodeId: nodeId.toString() };
          if (nodeId !== 0n) {
            const [node, active, origin] = await Promise.all([registry.getNode(nodeId), registry.isActive(ctx.identity.address), origins.originOf(nodeId)]);
            Object.assign(out, {
              status: STATUS[Number(node.status)],
              active,
              bond: node.bond.toString(),
              pricePerGiB: node.pricePerGiB.toString(),
              region: Number(node.region),
              capacityMbps: Number(node.capacityMbps),
              origin: origin.recognized,
              epoch: origin.currentEpoch.toString(),
            });
            // a bond on its way out (exit, or capacity lowered): still slashable until withdrawn
            if (node.unbonding > 0n)
              Object.assign(out, { unbonding: node.unbonding.toString(), unbondingEndsAt: Number(node.unbondingEndsAt), chainTime: Number(await chainTime(ctx.contracts.provider)) });
          }
          const reports = await new Earnings(DEFAULT_EARNINGS, { contracts: ctx.contracts, store: ctx.store, logger: ctx.logger }).reports();
          out.blobs = ctx.store.blobs().length;
          out.channels = reports.length;
          out.unclaimed = reports.reduce((s, r) => s + r.unclaimed, 0n).toString();
          out.paid = reports.reduce((s, r) => s + r.paid, 0n).toString();
          // the operator's payouts: PaymentChannel credits them to the node (never transfers) and holds them until `withdraw`
          out.withdrawable = (await operatorWithdrawable(ctx.contracts, nodeId, ctx.operator.address)).toString();
          const live = await scrape(ctx.config.dataDir);
          if (live) out.running = live;
          if (opts.json) return console.log(JSON.stringify(out, null, 2));
          console.log(`node ${out.nodeId} (${out.status ?? "not registered"}${out.active ? ", active" : ""}) key ${out.nodeKey}`);
          console.log(`peer ${out.peerId}`);
          if (nodeId !== 0n)
            console.log(
              `bond ${usdc(BigInt(String(out.bond)))}, price ${usdc(BigInt(String(out.pricePerGiB)))}/GiB, region ${out.region}, ${out.capacityMbps} Mbps, origin: ${out.origin ? `yes (epoch ${out.epoch})` : "no"}`,
            );
          if (out.unbonding !== undefined) console.log(unbondingLine(out));
          console.log(
            `${out.blobs} blobs published; ${out.channels} channels with vouchers; paid ${usdc(BigInt(String(out.paid)))} (credited to the operator), unclaimed ${usdc(BigInt(String(out.unclaimed)))}`,
          );
          if (out.withdrawable !== "0")
            console.log(
              `withdrawable credit ${usdc(BigInt(String(out.withdrawable)))} for ${ctx.operator.address} (the operator's payouts, credited by PaymentChannel): collect it with cdn-node withdraw`,
            );
          console.log(live ? runningLines(live, c.watchtowers.length > 0).join("\n") : "not running (no metrics endpoint answered)");
        } finally {
          ctx.close();
        }
      }),
    );
}

/** When an unbonding bond can be withdrawn, in chain time. */
function unbondingLine(out: Record<string, unknown>): string {
  const ends = Number(out.unbondingEndsAt);
  const left = ends - Number(out.chainTime);
  const when =
    left <= 0 ? "withdrawable now (cdn-node exit)" : `withdrawable from ${new Date(ends * 1000).toISOString().replace(".000Z", "Z")} chain time (in ${formatSeconds(left)}; then cdn-node exit)`;
  return `unbonding ${usdc(BigInt(String(out.unbonding)))}: ${when}`;
}

/** The running node's figures, from its metrics. */
function runningLines(live: Record<string, number>, watchtowers: boolean): string[] {
  const n = (k: string) => live[k] ?? 0;
  const refusals = Object.entries(live)
    .filter(([k, v]) => k.startsWith("cdn_node_refusals_total{") && v > 0)
    .map(([k, v]) => `${k.slice(24, -1)} ${v}`);
  const lines = [
    `running: served ${n("cdn_node_bytes_served_total")} B, paid for ${n("cdn_node_bytes_paid_total")} B, ${n("cdn_node_vouchers_total")} vouchers`,
    `cache: ${n("cdn_node_cache_hits_total")} hits, ${n("cdn_node_cache_misses_total")} misses, ${n("cdn_node_cache_bytes")} B held; upstream spend ${usdc(BigInt(Math.round(n("cdn_node_upstream_spend_total"))))}`,
  ];
  if (watchtowers)
    lines.push(
      `watchtowers: acknowledged ${usdc(BigInt(Math.round(n("cdn_node_watchtower_acknowledged"))))} of ${usdc(BigInt(Math.round(n("cdn_node_watchtower_latest"))))} held in vouchers; ${n("cdn_node_watchtower_pending")} pending`,
    );
  lines.push(
    `refusals: ${refusals.length ? refusals.join(", ") : "none"}; chain view age ${n("cdn_node_chain_view_age_seconds").toFixed(0)} s; peers: ${n("cdn_node_peers{node}")} nodes, ${n("cdn_node_peers{client}")} clients`,
  );
  return lines;
}
