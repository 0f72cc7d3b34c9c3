/** Client errors: stable names and codes; `message` is one readable sentence. */
import { CdnError, errorClass } from "../protocol/errors.js";
import type { RefusalCode } from "../protocol/wire/messages.js";

export class FetchRefusedError extends errorClass(CdnError, "ERR_FETCH_REFUSED", (refusal: RefusalCode, message: string, retryAfterMs: number = 0) => [
  `The node refused the request (${refusal}): ${message}`,
  { refusal, retryAfterMs },
]) {}

/** The node broke the protocol: bad commitment, bad record, bad bytes, wrong order. Nothing was paid for the bad part. */
export class ProviderMisbehaviourError extends errorClass(CdnError, "ERR_PROVIDER_MISBEHAVIOUR", (reason: string, message: string, options?: ErrorOptions) => [message, { reason }, options]) {}

/** Why no provider could serve: no active node holds the blob, all holders ask more than the price cap, all are busy, or all failed. */
export type NoProviderReason = "not_found" | "price_cap" | "busy" | "failed";

/** `retryAfterMs`, for `busy`: the soonest a node said it could serve again (ms). */
export class NoProviderError extends errorClass(CdnError, "ERR_NO_PROVIDER", (message: string, options: ErrorOptions & { reason?: NoProviderReason; retryAfterMs?: number } = {}) => [
  message,
  { reason: options.reason ?? "failed", retryAfterMs: options.retryAfterMs ?? 0 },
  options,
]) {}

export class ChannelError extends CdnError {
  readonly code = "ERR_CHANNEL";
}

/** The channel chosen before the blob's size was known does not cover the range the node offers: nothing was paid; the channel is topped up and the node asked again. */
export class DepositShortError extends errorClass(ChannelError, "ERR_CHANNEL", (channelId: string, cost: bigint, left: bigint) => [
  `Channel ${channelId} has ${left} base units left, less than the ${cost} this range costs; top it up.`,
  { cost, left },
]) {}
