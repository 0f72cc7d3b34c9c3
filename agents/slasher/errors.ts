/** Slasher errors: stable names and codes; `message` is one readable sentence. */
import { AgentError } from "../runtime/errors.js";

export class SlasherError extends AgentError {
  override readonly name: string = "SlasherError";
}

/** A compliance notice file or blob id that cannot be read. */
export class NoticeError extends SlasherError {
  override readonly name = "NoticeError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_NOTICE", message, options);
  }
}
