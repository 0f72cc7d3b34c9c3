/**
 * Typed errors of the mesh modules: a stable `name` (the class) and `code`, one readable
 * sentence, typed fields with the offending values, the original error in `cause`.
 */
import { CdnError, errorClass } from "../protocol/errors.js";

export abstract class MeshError extends CdnError {}

/** The node's view of the chain is older than the bound: it must not serve. */
export class StaleChainViewError extends errorClass(MeshError, "ERR_STALE_CHAIN_VIEW", (ageMs: number, maxAgeMs: number) => [
  Number.isFinite(ageMs)
    ? `the chain view is ${Math.round(ageMs / 1000)} s old (bound ${Math.round(maxAgeMs / 1000)} s); refusing to serve until a chain read succeeds`
    : "no successful chain read yet; refusing to serve until one succeeds",
  { ageMs, maxAgeMs },
]) {}

/** A peer answered a probe with something that is not a valid ProbeResponse, or not in time. */
export class ProbeFailedError extends errorClass(MeshError, "ERR_PROBE_FAILED", (peer: string, reason: string, options?: ErrorOptions) => [`probe of ${peer} failed: ${reason}`, { peer }, options]) {}

/** A read of the chain (registry, origins, blacklist) failed. */
export class ChainReadError extends errorClass(MeshError, "ERR_CHAIN_READ", (what: string, options?: ErrorOptions) => [`chain read failed: ${what}`, {}, options]) {}

/** A local argument is out of range. */
export class MeshArgumentError extends MeshError {
  readonly code = "ERR_MESH_ARGUMENT";
}
