/** Client errors: stable names and codes; `message` is one readable sentence. */
import { AgentError } from "../runtime/errors.js";
import type { RefusalCode } from "../protocol/wire/messages.js";

export class FetchRefusedError extends AgentError {
  override readonly name = "FetchRefusedError";
  constructor(
    readonly refusal: RefusalCode,
    message: string,
    readonly retryAfterMs = 0,
  ) {
    super("ERR_FETCH_REFUSED", `The node refused the request (${refusal}): ${message}`);
  }
}

/** The node broke the protocol: bad commitment, bad record, bad bytes, wrong order. Nothing was paid for the bad part. */
export class ProviderMisbehaviourError extends AgentError {
  override readonly name = "ProviderMisbehaviourError";
  constructor(
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super("ERR_PROVIDER_MISBEHAVIOUR", message, options);
  }
}

/** Why no provider could serve: no active node holds the blob, all holders ask more than the price cap, all are busy, or all failed. */
export type NoProviderReason = "not_found" | "price_cap" | "busy" | "failed";

export class NoProviderError extends AgentError {
  override readonly name = "NoProviderError";
  readonly reason: NoProviderReason;
  /** For `busy`: the soonest a node said it could serve again (ms). */
  readonly retryAfterMs: number;
  constructor(message: string, options?: { cause?: unknown; reason?: NoProviderReason; retryAfterMs?: number }) {
    super("ERR_NO_PROVIDER", message, options);
    this.reason = options?.reason ?? "failed";
    this.retryAfterMs = options?.retryAfterMs ?? 0;
  }
}

export class ChannelError extends AgentError {
  override readonly name = "ChannelError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_CHANNEL", message, options);
  }
}
