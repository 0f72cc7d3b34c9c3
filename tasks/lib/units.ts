/**
 * Units of governed parameters: how `gov:propose` parses values ("36h", "150 USDC", "5%", "1.25")
 * and how error messages print them. `params:show` prints each value in the unit the chain gives
 * (`ProtocolParams.allParameters()`, `CHAIN_UNITS`); `PARAM_UNITS` is what a proposal is parsed with
 * before anything is read (test/contracts/ProtocolParams.test.ts checks that both agree).
 */
import { formatUnits, parseUnits } from "ethers";
import { UserError } from "./errors.js";

export type Unit = "usdc" | "duration" | "bps" | "fixed18";

/** `IProtocolParams.Unit`, in the enum's order. */
export const CHAIN_UNITS: readonly Unit[] = ["usdc", "duration", "bps", "fixed18"];

export const PARAM_UNITS: Record<string, Unit> = {
  bondK: "usdc",
  bondAlpha: "fixed18",
  minBond: "usdc",
  unbondingPeriod: "duration",
  disputeWindow: "duration",
  complianceWindow: "duration",
  evidenceMaxAge: "duration",
  revealWindow: "duration",
  protocolFeeBps: "bps",
  minChannelDeposit: "usdc",
  slashBps: "bps",
  slasherRewardBps: "bps",
};

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Parses a user value for `param`. Plain integers are taken as base units (seconds, USDC base units, bps, 1e18). */
export function parseParamValue(param: string, input: string): bigint {
  const unit = PARAM_UNITS[param];
  if (!unit) throw new UserError(`Unknown parameter "${param}". Known: ${Object.keys(PARAM_UNITS).join(", ")}.`);
  const text = input.trim();
  if (/^\d+$/.test(text)) return BigInt(text);
  const bad = () => new UserError(`Cannot read "${input}" as a value for ${param} (${unitHelp(unit)}).`);
  switch (unit) {
    case "duration": {
      const m = /^(\d+(?:\.\d+)?)\s*([smhd])$/.exec(text);
      if (!m) throw bad();
      const seconds = Number(m[1]) * DURATION_UNITS[m[2]];
      if (!Number.isInteger(seconds)) throw bad();
      return BigInt(seconds);
    }
    case "usdc": {
      const m = /^(\d+(?:\.\d{1,6})?)\s*USDC$/i.exec(text);
      if (!m) throw bad();
      return parseUnits(m[1], 6);
    }
    case "bps": {
      const m = /^(\d+(?:\.\d{1,2})?)\s*%$/.exec(text);
      if (!m) throw bad();
      return parseUnits(m[1], 2);
    }
    case "fixed18": {
      if (!/^\d+\.\d{1,18}$/.test(text)) throw bad();
      return parseUnits(text, 18);
    }
  }
}

function unitHelp(unit: Unit): string {
  switch (unit) {
    case "duration":
      return 'a duration such as "36h", "3d", "90m" or seconds';
    case "usdc":
      return 'an amount such as "150 USDC" or USDC base units (6 decimals)';
    case "bps":
      return 'a percentage such as "5%" or basis points';
    case "fixed18":
      return 'a decimal such as "1.25" or a 1e18 fixed-point integer';
  }
}

export function formatParamValue(param: string, value: bigint): string {
  return formatInUnit(PARAM_UNITS[param], value);
}

/** `value` printed in `unit` ("36h", "150.0 USDC", "5.0 %", "1.25"); the bare integer for an unknown unit. */
export function formatInUnit(unit: Unit | undefined, value: bigint): string {
  switch (unit) {
    case "duration":
      return formatDuration(value);
    case "usdc":
      return `${formatUnits(value, 6)} USDC`;
    case "bps":
      return `${formatUnits(value, 2)} %`;
    case "fixed18":
      return formatUnits(value, 18);
    default:
      return value.toString();
  }
}

export function formatDuration(seconds: bigint): string {
  const s = Number(seconds);
  if (s % 86400 === 0) return `${s / 86400}d`;
  if (s % 3600 === 0) return `${s / 3600}h`;
  if (s % 60 === 0) return `${s / 60}m`;
  return `${s}s`;
}
