/**
 * Readable errors for tasks: a UserError, a CdnError (deployment, chain) or a decoded revert is
 * printed as one sentence (no stack trace) and the process exits with status 1. Reverts are decoded
 * by the agents' one chain-error decoder (agents/chain/errors.ts).
 */
import { CdnError } from "../../agents/protocol/errors.js";

export class UserError extends Error {
  override readonly name = "UserError";
  readonly code = "ERR_TASK_INPUT";
}

/** Runs a task body; prints UserErrors, CdnErrors and decoded reverts as one line on stderr. */
export async function runTask<T>(body: () => Promise<T>): Promise<T | undefined> {
  try {
    return await body();
  } catch (error) {
    const known = error instanceof UserError || error instanceof CdnError || (error as { name?: string }).name === "DeploymentError";
    // Loaded here, not at the top: hardhat.config.ts imports this file before the first compile,
    // when the contract bindings the decoder is built from do not exist yet.
    const { decodeRevert } = await import("../../agents/chain/errors.js");
    const sentence = known ? (error as Error).message : decodeRevert(error)?.message;
    if (sentence !== undefined) {
      console.error(`Error: ${sentence}`);
      process.exitCode = 1;
      return undefined;
    }
    throw error;
  }
}
