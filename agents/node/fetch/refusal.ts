/** A typed refusal: the code sent to the client, its one-sentence reason, and when to retry. */
import type { RefusalCode } from "../../protocol/wire/messages.js";

export class Refusal extends Error {
  override readonly name = "Refusal";
  constructor(
    readonly refusal: RefusalCode,
    message: string,
    readonly retryAfterMs = 0,
    /** For metrics: the code in lower case, or the node's own reason (stale_chain_view). */
    readonly reason: string = refusal.toLowerCase(),
  ) {
    super(message);
  }
}
