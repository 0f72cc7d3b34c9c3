import type { Command } from "commander";
import { action, usdc } from "../../../runtime/cli.js";
import { loadKeyFile } from "../../../runtime/keys.js";
import { loadWatchtowerConfig } from "../../config.js";
import { WatchtowerStore } from "../../store.js";
import { globals } from "../context.js";

export function statusCommand(program: Command): void {
  program
    .command("status")
    .description("show the channels held, the disputes submitted and their outcomes, and the bounties its beneficiary received (reads the local database; no chain access)")
    .option("--json", "machine-readable output")
    .addHelpText("after", "\nExamples:\n  cdn-watchtower status\n  cdn-watchtower --data-dir ./tower status --json\n")
    .action(
      action("cdn-watchtower", async function (this: Command, opts: { json?: boolean }) {
        const config = loadWatchtowerConfig(globals(this));
        const identity = loadKeyFile(config.keyFile);
        const store = new WatchtowerStore(config.dbFile);
        try {
          const report = statusReport(store, identity.address, identity.peerId.toString(), config.requiredBeneficiary);
          const { others: _others, ...json } = report;
          if (opts.json) return console.log(JSON.stringify(json, null, 2));
          printStatus(report, Boolean(config.requiredBeneficiary));
        } finally {
          store.close();
        }
      }),
    );
}

type StatusReport = ReturnType<typeof statusReport>;

/** What the local database says: channels held, disputes and their outcomes, bounties by beneficiary. */
function statusReport(store: WatchtowerStore, address: string, peerId: string, requiredBeneficiary: string | undefined) {
  const identity = { address, peerId };
  const { channels, byStatus } = store.counts();
  const disputes = store.disputes();
  const byOutcome: Record<string, number> = {};
  for (const d of disputes) byOutcome[d.outcome] = (byOutcome[d.outcome] ?? 0) + 1;
  const won = disputes.filter((d) => d.outcome === "disputed");
  const recovered = won.reduce((s, d) => s + d.recovered, 0n);
  // a bounty goes to the beneficiary the node signed, which is this watchtower's own only when
  // requiredBeneficiary (or, unset, its key's address) is the one named
  const beneficiary = (requiredBeneficiary ?? identity.address).toLowerCase();
  const received = won.filter((d) => d.beneficiary === beneficiary).reduce((s, d) => s + d.bounty, 0n);
  const others = new Map<string, bigint>();
  for (const d of won) if (d.bounty > 0n && d.beneficiary !== beneficiary) others.set(d.beneficiary ?? "unknown", (others.get(d.beneficiary ?? "unknown") ?? 0n) + d.bounty);
  const out = {
    address: identity.address,
    peerId: identity.peerId,
    channels,
    byStatus,
    disputes: disputes.length,
    byOutcome,
    recovered: recovered.toString(),
    beneficiary,
    bounties: received.toString(),
    bountiesToOthers: Object.fromEntries([...others].map(([a, v]) => [a, v.toString()])),
    history: disputes.map((d) => ({
      channelId: d.channelId,
      outcome: d.outcome,
      amount: d.amount.toString(),
      recovered: d.recovered.toString(),
      bounty: d.bounty.toString(),
      beneficiary: d.beneficiary,
      txHash: d.txHash,
      detail: d.detail,
      at: new Date(d.at).toISOString(),
    })),
  };
  return { ...out, others };
}

function printStatus(out: StatusReport, namedBeneficiary: boolean): void {
  const { channels, byStatus, byOutcome, beneficiary, others } = out;
  const disputes = out.history;
  const recovered = BigInt(out.recovered);
  const received = BigInt(out.bounties);
  console.log(`watchtower ${out.address}`);
  console.log(`peer       ${out.peerId}`);
  console.log(
    `channels   ${channels} held${
      channels
        ? ` (${Object.entries(byStatus)
            .map(([k, v]) => `${v} ${k.toLowerCase()}`)
            .join(", ")})`
        : ""
    }`,
  );
  console.log(
    `disputes   ${disputes.length}${
      disputes.length
        ? ` (${Object.entries(byOutcome)
            .map(([k, v]) => `${v} ${k.replace("_", " ")}`)
            .join(", ")})`
        : ""
    }`,
  );
  console.log(`recovered  ${usdc(recovered)} for nodes`);
  console.log(`bounties   ${usdc(received)} received by ${beneficiary} (${namedBeneficiary ? "requiredBeneficiary" : "this watchtower's key; set requiredBeneficiary to name another"})`);
  if (others.size > 0) {
    const list = [...others].map(([a, v]) => `${usdc(v)} to ${a}`).join(", ");
    console.log(`           not yours: ${list} (the beneficiary the node signed is someone else; requiredBeneficiary refuses such authorisations)`);
  }
  for (const d of out.history)
    console.log(
      `  ${d.at} ${d.channelId} ${d.outcome} recovered ${usdc(BigInt(d.recovered))} bounty ${usdc(BigInt(d.bounty))}${d.beneficiary && d.beneficiary !== beneficiary ? ` to ${d.beneficiary}` : ""}${d.txHash ? ` tx ${d.txHash}` : ""}`,
    );
}
