import { CdnError } from "../../protocol/errors.js";

/** Typed errors of the blob cache (stable `name` and `code`, offending values as fields). */
export abstract class CacheError extends CdnError {}

/** The bytes written do not hash to the blob id they were stored under: nothing was kept. */
export class CacheVerificationError extends CacheError {
  readonly code = "ERR_CACHE_VERIFICATION";
  constructor(
    readonly blobId: string,
    readonly computed: string,
  ) {
    super(`bytes do not hash to blob id ${blobId} (got ${computed}); not cached`);
  }
}

/** The blob is larger than the whole cache budget (or than the size announced for it). */
export class CacheTooLargeError extends CacheError {
  readonly code = "ERR_CACHE_TOO_LARGE";
  constructor(
    readonly blobId: string,
    readonly size: number,
    readonly limit: number,
  ) {
    super(`blob ${blobId} (${size} bytes) exceeds the limit of ${limit} bytes`);
  }
}

/** No such blob in the cache. */
export class CacheMissError extends CacheError {
  readonly code = "ERR_CACHE_MISS";
  constructor(readonly blobId: string) {
    super(`blob ${blobId} is not in the cache`);
  }
}

/** A writer was used after commit() or abort(). */
export class CacheWriterClosedError extends CacheError {
  readonly code = "ERR_CACHE_WRITER_CLOSED";
  constructor() {
    super("cache writer already committed or aborted");
  }
}
