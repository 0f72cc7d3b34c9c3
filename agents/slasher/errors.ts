/** Slasher errors: stable names and codes; `message` is one readable sentence. */
import { CdnError } from "../protocol/errors.js";

export abstract class SlasherError extends CdnError {}

/** A compliance notice file or blob id that cannot be read. */
export class NoticeError extends SlasherError {
  readonly code = "ERR_NOTICE";
}
