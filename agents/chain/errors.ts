/**
 * Chain errors: what a failed call or transaction says, found in whatever wraps it (ethers'
 * CALL_EXCEPTION, a JSON-RPC error, Hardhat's in-process SolidityError).
 */

/** The revert data of a failed call ("0x" for a bare revert), or undefined when `error` is not a revert. */
export function revertData(error: unknown, depth = 0): string | undefined {
  if (depth > 6 || error === null || typeof error !== "object") return undefined;
  const e = error as Record<string, unknown>;
  if (typeof e.data === "string" && /^0x([0-9a-fA-F]{2})*$/.test(e.data)) return e.data;
  for (const key of ["revert", "error", "info", "cause", "data"]) {
    const found = revertData(e[key], depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Whether `error` is the chain refusing a call (a revert, an unknown function, an empty answer)
 * rather than the RPC failing.
 */
export function isRevert(error: unknown): boolean {
  const e = error as { code?: unknown; name?: unknown } | null;
  if (!e || typeof e !== "object") return false;
  if (e.code === "CALL_EXCEPTION" || e.code === "BAD_DATA" || e.code === 3 || e.name === "SolidityError") return true;
  return revertData(error) !== undefined;
}
