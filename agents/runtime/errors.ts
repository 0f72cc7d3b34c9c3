/**
 * Agent errors: one base class with a stable `name` and `code`, the original error in `cause`,
 * and a message that is one readable sentence (what a CLI prints, never a stack trace).
 */
import { CdnError } from "../protocol/errors.js";

export class AgentError extends CdnError {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class ConfigError extends AgentError {
  override readonly name = "ConfigError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_CONFIG", message, options);
  }
}

export class StreamTimeoutError extends AgentError {
  override readonly name = "StreamTimeoutError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_STREAM_TIMEOUT", message, options);
  }
}

/** One readable sentence for a CLI: the message of an agent or protocol error, else a generic one. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" && code.startsWith("ERR_") ? error.message : `${error.message}`;
  }
  return String(error);
}
