/**
 * Typed errors of the watchtower protocol as the node side sees them: a stable `name` (the class) and `code`,
 * one readable sentence, the offending values as fields, the original error in `cause`.
 */
import { CdnError, errorClass } from "../protocol/errors.js";

export abstract class WatchtowerError extends CdnError {}

/** The watchtower refused an update with REJECTED (bad signature, not the channel's node, unknown or closed channel, no authorisation). */
export class WatchtowerRejectedError extends errorClass(WatchtowerError, "ERR_WATCHTOWER_REJECTED", (watchtower: string, reason: string) => [
  `The watchtower ${watchtower} rejected the update: ${reason}`,
  { watchtower, reason },
]) {}

/** The watchtower already holds an equal or better voucher for the channel (STALE). */
export class WatchtowerStaleError extends errorClass(WatchtowerError, "ERR_WATCHTOWER_STALE", (watchtower: string, reason: string) => [
  `The watchtower ${watchtower} holds an equal or better voucher: ${reason}`,
  { watchtower, reason },
]) {}

/** The watchtower could not be dialled, or the stream broke or timed out before every acknowledgement. */
export class WatchtowerUnreachableError extends errorClass(WatchtowerError, "ERR_WATCHTOWER_UNREACHABLE", (watchtower: string, reason: string, options?: ErrorOptions) => [
  `The watchtower ${watchtower} could not be reached: ${reason}`,
  { watchtower },
  options,
]) {}

/** A local argument or configuration is invalid (bounty above the cap, a multiaddr without /p2p/...). */
export class WatchtowerConfigError extends WatchtowerError {
  readonly code = "ERR_WATCHTOWER_CONFIG";
}
