import { CdnError, errorClass } from "../../protocol/errors.js";

/** Typed errors of the blob cache (stable `name` and `code`, offending values as fields). */
export abstract class CacheError extends CdnError {}

/** The bytes written do not hash to the blob id they were stored under: nothing was kept. */
export class CacheVerificationError extends errorClass(CacheError, "ERR_CACHE_VERIFICATION", (blobId: string, computed: string) => [`bytes do not hash to blob id ${blobId} (got ${computed}); not cached`, { blobId, computed }]) {}

/** The blob is larger than the whole cache budget (or than the size announced for it). */
export class CacheTooLargeError extends errorClass(CacheError, "ERR_CACHE_TOO_LARGE", (blobId: string, size: number, limit: number) => [`blob ${blobId} (${size} bytes) exceeds the limit of ${limit} bytes`, { blobId, size, limit }]) {}

/** No such blob in the cache. */
export class CacheMissError extends errorClass(CacheError, "ERR_CACHE_MISS", (blobId: string) => [`blob ${blobId} is not in the cache`, { blobId }]) {}

/** A writer was used after commit() or abort(). */
export class CacheWriterClosedError extends errorClass(CacheError, "ERR_CACHE_WRITER_CLOSED", () => ["cache writer already committed or aborted"]) {}
