/**
 * Readable errors for tasks: a UserError is printed as one sentence (no stack trace) and the
 * process exits with status 1. Reverts from our contracts are decoded into sentences.
 */
import { Interface, decodeBytes32String, type ErrorDescription } from "ethers";
import { CdnError } from "../../agents/protocol/errors.js";

export class UserError extends Error {
  override readonly name = "UserError";
  readonly code = "ERR_TASK_INPUT";
}

/** Runs a task body; prints UserErrors (and decoded reverts) as one line on stderr. */
export async function runTask<T>(body: () => Promise<T>): Promise<T | undefined> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof UserError || error instanceof CdnError || (error as { name?: string }).name === "DeploymentError") {
      console.error(`Error: ${(error as Error).message}`);
      process.exitCode = 1;
      return undefined;
    }
    throw error;
  }
}

const keyName = (key: string) => {
  try {
    return decodeBytes32String(key);
  } catch {
    return key;
  }
};

/** One sentence for a decoded custom error of ours; undefined for unknown errors. */
export function describeError(err: ErrorDescription, format: (key: string, value: bigint) => string): string | undefined {
  const a = err.args;
  switch (err.name) {
    case "ProtocolParamsBelowMinimum":
      return `${keyName(a[0])} = ${format(keyName(a[0]), a[1])} is below its hard minimum ${format(keyName(a[0]), a[2])}.`;
    case "ProtocolParamsAboveMaximum":
      return `${keyName(a[0])} = ${format(keyName(a[0]), a[1])} is above its hard maximum ${format(keyName(a[0]), a[2])}.`;
    case "ProtocolParamsStepTooLarge":
      return `${keyName(a[0])} may move by at most ${format(keyName(a[0]), a[3])} in one change (from ${format(keyName(a[0]), a[1])}); ${format(keyName(a[0]), a[2])} is too far.`;
    case "ProtocolParamsCooldown":
      return `${keyName(a[0])} changed less than 7 days ago; it may change again from ${new Date(Number(a[1]) * 1000).toISOString()}.`;
    case "ProtocolParamsCurveCooldown":
      return `The bond curve changed less than 14 days ago; it may change again from ${new Date(Number(a[0]) * 1000).toISOString()}.`;
    case "ProtocolParamsCurveStepTooLarge":
      return a[0] === 0n
        ? `This moves the minimum bond from ${format("minBond", a[1])} to ${format("minBond", a[2])}, more than ±50 % in one change.`
        : `This moves the bond curve (k × mbps^alpha) at ${a[0]} Mbps from ${format("minBond", a[1])} to ${format("minBond", a[2])}, more than ±50 % in one change.`;
    case "ProtocolParamsOffGrid":
      return `${keyName(a[0])} must be a multiple of ${format(keyName(a[0]), a[2])}; ${format(keyName(a[0]), a[1])} is not.`;
    case "ProtocolParamsUnbondingTooShort":
      return `unbondingPeriod (${format("unbondingPeriod", a[0])}) must be at least evidenceMaxAge (${format("evidenceMaxAge", a[1])}) + revealWindow (${format("revealWindow", a[2])}).`;
    case "ProtocolParamsComplianceWindowTooShort":
      return `complianceWindow (${format("complianceWindow", a[0])}) must exceed the nodes' staleness bound plus confirmations (${format("complianceWindow", a[1])}).`;
    case "ProtocolParamsOperatorShareBelowFloor":
      return `That fee leaves operators ${Number(a[0]) / 100} %, below the hard floor of ${Number(a[1]) / 100} %.`;
    case "ProtocolParamsUnknownKey":
      return `${keyName(a[0])} is not a protocol parameter.`;
    case "CdnGovernorSettingOutOfBounds":
      return `${keyName(a[0])} = ${a[1]} is outside its hard bounds [${a[2]}, ${a[3]}].`;
    case "CdnTimelockDelayOutOfBounds":
      return `A timelock delay of ${a[0]} s is outside its hard bounds [${a[1]}, ${a[2]}] s.`;
    default:
      return undefined;
  }
}

/** Extracts revert data from an ethers error and decodes it with the given interfaces. */
export function decodeRevert(error: unknown, interfaces: Interface[]): ErrorDescription | undefined {
  const data = findRevertData(error);
  if (!data) return undefined;
  for (const iface of interfaces) {
    try {
      const parsed = iface.parseError(data);
      if (parsed) return parsed;
    } catch {
      // try the next interface
    }
  }
  return undefined;
}

function findRevertData(error: unknown, depth = 0): string | undefined {
  if (depth > 5 || error === null || typeof error !== "object") return undefined;
  const e = error as Record<string, unknown>;
  if (typeof e.data === "string" && e.data.startsWith("0x") && e.data.length >= 10) return e.data;
  for (const k of ["error", "info", "cause", "data"]) {
    const found = findRevertData(e[k], depth + 1);
    if (found) return found;
  }
  return undefined;
}
