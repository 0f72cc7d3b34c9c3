/**
 * Typed errors of the mesh modules: a stable `name` (the class) and `code`, one readable
 * sentence, typed fields with the offending values, the original error in `cause`.
 */
import { CdnError } from "../protocol/errors.js";

export abstract class MeshError extends CdnError {}

/** The node's view of the chain is older than the bound: it must not serve. */
export class StaleChainViewError extends MeshError {
  readonly code = "ERR_STALE_CHAIN_VIEW";
  constructor(
    readonly ageMs: number,
    readonly maxAgeMs: number,
  ) {
    super(
      Number.isFinite(ageMs)
        ? `the chain view is ${Math.round(ageMs / 1000)} s old (bound ${Math.round(maxAgeMs / 1000)} s); refusing to serve until a chain read succeeds`
        : "no successful chain read yet; refusing to serve until one succeeds",
    );
  }
}

/** A peer answered a probe with something that is not a valid ProbeResponse, or not in time. */
export class ProbeFailedError extends MeshError {
  readonly code = "ERR_PROBE_FAILED";
  constructor(
    readonly peer: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`probe of ${peer} failed: ${reason}`, options);
  }
}

/** A read of the chain (registry, origins, blacklist) failed. */
export class ChainReadError extends MeshError {
  readonly code = "ERR_CHAIN_READ";
  constructor(what: string, options?: { cause?: unknown }) {
    super(`chain read failed: ${what}`, options);
  }
}

/** A local argument is out of range. */
export class MeshArgumentError extends MeshError {
  readonly code = "ERR_MESH_ARGUMENT";
}
