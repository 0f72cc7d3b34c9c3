/**
 * Typed errors of the watchtower protocol as the node side sees them: a stable `name` (the class) and `code`,
 * one readable sentence, the offending values as fields, the original error in `cause`.
 */
import { AgentError } from "../runtime/errors.js";

export class WatchtowerError extends AgentError {
  override readonly name: string = "WatchtowerError";
}

/** The watchtower refused an update with REJECTED (bad signature, not the channel's node, unknown or closed channel, no authorisation). */
export class WatchtowerRejectedError extends WatchtowerError {
  override readonly name = "WatchtowerRejectedError";
  constructor(
    readonly watchtower: string,
    readonly reason: string,
  ) {
    super("ERR_WATCHTOWER_REJECTED", `The watchtower ${watchtower} rejected the update: ${reason}`);
  }
}

/** The watchtower already holds an equal or better voucher for the channel (STALE). */
export class WatchtowerStaleError extends WatchtowerError {
  override readonly name = "WatchtowerStaleError";
  constructor(
    readonly watchtower: string,
    readonly reason: string,
  ) {
    super("ERR_WATCHTOWER_STALE", `The watchtower ${watchtower} holds an equal or better voucher: ${reason}`);
  }
}

/** The watchtower could not be dialled, or the stream broke or timed out before every acknowledgement. */
export class WatchtowerUnreachableError extends WatchtowerError {
  override readonly name = "WatchtowerUnreachableError";
  constructor(
    readonly watchtower: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super("ERR_WATCHTOWER_UNREACHABLE", `The watchtower ${watchtower} could not be reached: ${reason}`, options);
  }
}

/** A local argument or configuration is invalid (bounty above the cap, a multiaddr without /p2p/...). */
export class WatchtowerConfigError extends WatchtowerError {
  override readonly name = "WatchtowerConfigError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_WATCHTOWER_CONFIG", message, options);
  }
}
