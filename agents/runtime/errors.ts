/**
 * Agent errors on the one base (`CdnError`): a class with a fixed code declares it as a field; an
 * agent's catch-all error, whose code each throw site picks, extends `AgentError`.
 */
import { CdnError } from "../protocol/errors.js";

/** An error whose `code` the throw site gives (a node's or a backend's many refusals). */
export class AgentError extends CdnError {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class ConfigError extends CdnError {
  readonly code = "ERR_CONFIG";
}

export class StreamTimeoutError extends CdnError {
  readonly code = "ERR_STREAM_TIMEOUT";
}

/** One readable sentence for a CLI: the message of an agent or protocol error, else a generic one. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" && code.startsWith("ERR_") ? error.message : `${error.message}`;
  }
  return String(error);
}
