import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { decodeBytes32String } from "ethers";
import { runTask } from "../lib/errors.js";
import { taskContext } from "../lib/context.js";
import { CHAIN_UNITS, formatInUnit } from "../lib/units.js";

const date = (t: bigint) => (t === 0n ? "-" : new Date(Number(t) * 1000).toISOString().replace(".000Z", "Z"));

export default async function show(args: { json: boolean }, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const ctx = await taskContext(hre);
    const now = BigInt((await ctx.ethers.provider.getBlock("latest"))!.timestamp);
    const rows = (await ctx.params.allParameters()).map((p) => {
      const name = decodeBytes32String(p.key);
      // the unit the chain states for this parameter (a unit this tool does not know prints base integers)
      const unit = CHAIN_UNITS[Number(p.unit)];
      return {
        name,
        unit: unit ?? `unit ${p.unit}`,
        value: formatInUnit(unit, p.value),
        raw: p.value.toString(),
        min: formatInUnit(unit, p.min),
        max: formatInUnit(unit, p.max),
        maxStep: formatInUnit(unit, p.maxStep),
        lastChange: date(p.lastChangedAt),
        nextChange: p.nextChangeAt <= now ? "now" : date(p.nextChangeAt),
      };
    });
    if (args.json) {
      console.log(JSON.stringify(rows, null, 2));
      return rows;
    }
    const headers = ["parameter", "value", "min", "max", "max step", "last change", "next change"];
    const table = [headers, ...rows.map((r) => [r.name, r.value, r.min, r.max, r.maxStep, r.lastChange, r.nextChange])];
    const widths = headers.map((_, i) => Math.max(...table.map((row) => row[i].length)));
    for (const row of table) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join("  "));
    console.log(`operator share ${Number(await ctx.params.operatorShareBps()) / 100} % (floor ${Number(await ctx.params.OPERATOR_SHARE_FLOOR_BPS()) / 100} %)`);
    return rows;
  });
}
