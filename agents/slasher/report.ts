/** Readable lines for what the slasher did (start --once, each round of start, status). */
import { usdc } from "../runtime/cli.js";
import type { RoundReport } from "./slasher.js";
import type { ProbeRecord, SlashRecord } from "./store.js";

const short = (hex: string): string => `${hex.slice(0, 10)}…${hex.slice(-4)}`;

export function probeLine(p: ProbeRecord): string {
  const what = p.outcome === "refused" ? `refused (${p.detail}): honest` : p.outcome === "commitment" ? "signed a serve commitment: slashing" : `${p.outcome}: ${p.detail}`;
  return `probe  blob ${short(p.blobId)} node ${p.nodeId} (${short(p.nodeKey)}) ${what}`;
}

export function slashLine(s: SlashRecord): string {
  if (s.status === "slashed")
    return `slash  node ${s.nodeId} for blob ${short(s.blobId)}: ${usdc(s.slashed ?? 0n)} slashed, reward ${usdc(s.reward ?? 0n)}, treasury ${usdc(s.treasury ?? 0n)} (reveal tx ${s.revealTx})`;
  return `slash  node ${s.nodeId} for blob ${short(s.blobId)}: ${s.status}${s.error ? ` (${s.error})` : ""}`;
}

export function roundLines(r: RoundReport): string[] {
  const lines: string[] = [];
  for (const b of r.blobs) {
    if (b.state === "not-listed") lines.push(`blob   ${short(b.blobId)} not blacklisted`);
    else if (b.state === "waiting") lines.push(`blob   ${short(b.blobId)} blacklisted (entry ${b.entryId}), effective at ${new Date(Number(b.effectiveAt) * 1000).toISOString()}: waiting`);
    else lines.push(`blob   ${short(b.blobId)} blacklisted (entry ${b.entryId}) and effective`);
  }
  lines.push(...r.probes.map(probeLine), ...r.slashes.map(slashLine));
  if (r.settled.length) lines.push(`settled ${r.settled.length} probe channel(s); deposits refunded`);
  return lines;
}
