/** A typed refusal: the code sent to the client, its one-sentence reason, and when to retry. */
import { CdnError, errorClass } from "../../protocol/errors.js";
import type { RefusalCode } from "../../protocol/wire/messages.js";

/** `reason` is for metrics: the code in lower case, or the node's own reason (stale_chain_view). */
export class Refusal extends errorClass(CdnError, "ERR_REFUSED", (refusal: RefusalCode, message: string, retryAfterMs: number = 0, reason: string = refusal.toLowerCase()) => [
  message,
  { refusal, retryAfterMs, reason },
]) {}
