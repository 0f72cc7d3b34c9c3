/**
 * Where a served blob's bytes come from (docs/delivery.md §1, step 3): the origin backend (while
 * the node is a recognized origin), the cache, or (cache nodes) an upstream fetch in progress
 * (fan-out, started only after the channel checks). Also the leaf range a request is served.
 */
import { LEAF_SIZE } from "../../protocol/constants.js";
import type { ContentRecordValue } from "../../protocol/eip712.js";
import { leafLength, leafRangeForBytes } from "../../protocol/merkle.js";
import { MAX_LEAF_HASHES_PER_MESSAGE, type FetchRequestMsg, type Signed } from "../../protocol/wire/messages.js";
import type { OriginBackend } from "../backend.js";
import type { BlobCache, CachedBlobReader } from "../cache/index.js";
import { decodeRecordMeta, type Fanout } from "../fanout.js";
import { Refusal } from "./refusal.js";

export interface BlobSource {
  kind: "origin" | "cache" | "fanout";
  blobId: string;
  size: number;
  leafLayer: Uint8Array;
  record: Signed<ContentRecordValue>;
  readLeaf(index: number): Promise<Uint8Array>;
  /** Releases what the reads held (a cached blob's open file), once no read is pending. */
  close?(): Promise<void>;
}

export interface SourceDeps {
  backend: OriginBackend;
  /** Whether the backend may serve now (the node is a recognized origin on chain). */
  isOrigin(): boolean;
  cache?: BlobCache;
}

/** The blob from the origin backend (while recognized) or the cache, if held. */
export function localSource(deps: SourceDeps, blobId: string): BlobSource | undefined {
  return originSource(deps, blobId) ?? cacheSource(deps.cache, blobId);
}

function originSource(deps: SourceDeps, blobId: string): BlobSource | undefined {
  const blob = deps.isOrigin() ? deps.backend.has(blobId) : undefined;
  if (!blob) return undefined;
  const record = { value: { blobId: blob.blobId, size: BigInt(blob.size), origin: blob.origin, epoch: blob.epoch, timestamp: blob.recordTimestamp }, signature: blob.recordSignature };
  return { kind: "origin", blobId: blob.blobId, size: blob.size, leafLayer: blob.leafLayer, record, readLeaf: (i) => deps.backend.readLeaf(blob, i) };
}

/**
 * A cached blob, read through one reader per stream (`BlobCache.openReader`: the file opened and the
 * blob marked used once, not per leaf). Reads stay synchronous: a 256-KiB read from the page cache
 * takes ~30 µs, a hop to libuv's thread pool and back costs more on a loaded machine
 * (docs/delivery.md §8). A blob evicted meanwhile (a blacklist entry evicts at once) is no longer read.
 */
function cacheSource(cache: BlobCache | undefined, blobId: string): BlobSource | undefined {
  const cached = cache?.get(blobId, { touch: false });
  const record = cached && decodeRecordMeta(cached.blobId, cached.meta);
  if (!cache || !cached || !record) return undefined;
  let reader: CachedBlobReader | undefined;
  const readLeaf = async (i: number) => {
    reader ??= cache.openReader(cached.blobId);
    return reader.read(i * LEAF_SIZE, leafLength(cached.size, i));
  };
  const close = async () => {
    reader?.close();
    reader = undefined;
  };
  return { kind: "cache", blobId: cached.blobId, size: cached.size, leafLayer: cached.leafLayer, record, readLeaf, close };
}

/** A miss: the shared upstream fetch (paid by this node), cut through as verified leaves arrive. */
export async function upstreamSource(fanout: Fanout, blobId: string): Promise<BlobSource> {
  try {
    const up = await fanout.fetch(blobId);
    const reader = up.open();
    return { kind: "fanout", blobId: up.blobId, size: up.size, leafLayer: up.leafLayer, record: up.record, readLeaf: (i) => reader.leaf(i), close: async () => reader.close() };
  } catch (error) {
    throw new Refusal("NOT_FOUND", `this node does not hold the blob and fetching it upstream failed: ${(error as Error).message}`);
  }
}

/** The leaves that serve the request's byte range (at most one leaf-hash message's worth). */
export function servedRange(blob: BlobSource, request: FetchRequestMsg): { first: number; count: number } {
  if (request.offset > blob.size || (request.offset === blob.size && blob.size > 0)) throw new Refusal("BAD_REQUEST", "offset past the end of the blob");
  const length = request.length === 0 ? blob.size - request.offset : Math.min(request.length, blob.size - request.offset);
  const range = leafRangeForBytes(blob.size, request.offset, length);
  return { first: range.first, count: Math.min(range.count, MAX_LEAF_HASHES_PER_MESSAGE) };
}
