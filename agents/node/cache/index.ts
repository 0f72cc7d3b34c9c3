/**
 * Disk cache of verified blobs for a node (docs/mesh.md, docs/delivery.md §7):
 *
 * - a byte budget, enforced with least-recently-used eviction (reads count as use);
 * - verified on write: the bytes are hashed (agents/protocol BlobIdBuilder) as they are written
 *   and a blob is kept only if they hash to its blob id;
 * - crash-safe: bytes go to `tmp/<random>.part`, are fsynced, then renamed to `blobs/<id>` (and
 *   the directory fsynced) before the index row is committed; eviction deletes the row first and
 *   the file second. On open, `recover()` deletes temp files, files without a row and rows
 *   without a (complete) file, so a crash at any point leaves a consistent cache;
 * - the index (size, leaf layer, caller metadata such as the signed content record, last use)
 *   lives in table `cache_blobs` of an injected node:sqlite database (WAL).
 *
 * `evict(blobId, "blacklist")` removes a blob at once (blacklist duty: stop providing, refuse,
 * evict). Blob ids are lower-case 0x hex, as everywhere in the agents.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync, readSync, existsSync } from "node:fs";
import { randomBytes } from "node:crypto";
import path from "node:path";
import type { DatabaseSync } from "node:sqlite";
import { withoutFsync } from "../../runtime/sqlite.js";
import { BlobIdBuilder } from "../../protocol/merkle.js";
import { toHex } from "../../protocol/bytes.js";
import { CacheMissError, CacheTooLargeError, CacheVerificationError, CacheWriterClosedError } from "./errors.js";

export * from "./errors.js";

const BLOB_ID_RE = /^0x[0-9a-f]{64}$/;

export interface BlobCacheOptions {
  /** Directory for blob files (created if missing). */
  dir: string;
  /** Most bytes of blob data to hold. */
  budgetBytes: number;
  /** fsync files and the directory (default true; tests of other modules may turn it off). */
  durable?: boolean;
}

export interface BlobCacheDependencies {
  /** The agent's embedded database (WAL); the cache keeps its index in table `cache_blobs`. */
  db: DatabaseSync;
  /** ms clock for LRU order (default Date.now). A monotone counter breaks ties. */
  now?: () => number;
  /** Called for every evicted blob (metrics, DHT stopProviding). */
  onEvict?: (blobId: string, reason: EvictReason) => void;
}

export type EvictReason = "budget" | "blacklist" | "manual";

export interface CachedBlob {
  blobId: string;
  size: number;
  /** n × 32 bytes. */
  leafLayer: Uint8Array;
  /** Caller metadata stored with the blob (e.g. the encoded signed content record). */
  meta: Uint8Array | undefined;
  lastUsed: number;
}

interface Row {
  blob_id: string;
  size: number;
  leaf_layer: Uint8Array;
  meta: Uint8Array | null;
  last_used: number;
}

/** An open write of one blob: `write()` the bytes in order, then `commit()` (verifies) or `abort()`. */
export interface BlobWriter {
  readonly blobId: string;
  readonly written: number;
  write(bytes: Uint8Array): void;
  /** Reads back bytes [offset, offset + length) already written (throws past `written` or once closed). */
  read(offset: number, length: number): Uint8Array;
  /** Verifies, fsyncs, renames into place, indexes, evicts to the budget. */
  commit(meta?: Uint8Array): CachedBlob;
  abort(): void;
}

/** Reads of one cached blob through one open file (`BlobCache.openReader`). */
export interface CachedBlobReader {
  /** Bytes [offset, offset + length) of the blob; throws CacheMissError once it is evicted. */
  read(offset: number, length: number): Uint8Array;
  close(): void;
}

export class BlobCache {
  readonly dir: string;
  readonly budgetBytes: number;
  private readonly durable: boolean;
  private readonly db: DatabaseSync;
  private readonly now: () => number;
  private readonly onEvict?: (blobId: string, reason: EvictReason) => void;
  private used = 0;
  private tick = 0;
  private readonly stmts;

  constructor(options: BlobCacheOptions, deps: BlobCacheDependencies) {
    if (!(options.budgetBytes > 0)) throw new RangeError("budgetBytes must be positive");
    this.dir = path.resolve(options.dir);
    this.budgetBytes = options.budgetBytes;
    this.durable = options.durable ?? true;
    this.db = deps.db;
    this.now = deps.now ?? Date.now;
    this.onEvict = deps.onEvict;
    mkdirSync(this.blobDir, { recursive: true });
    mkdirSync(this.tmpDir, { recursive: true });
    this.db.exec(`CREATE TABLE IF NOT EXISTS cache_blobs (
      blob_id TEXT PRIMARY KEY,
      size INTEGER NOT NULL,
      leaf_layer BLOB NOT NULL,
      meta BLOB,
      last_used INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS cache_blobs_lru ON cache_blobs (last_used)`);
    this.stmts = {
      get: this.db.prepare("SELECT blob_id, size, leaf_layer, meta, last_used FROM cache_blobs WHERE blob_id = ?"),
      has: this.db.prepare("SELECT 1 AS x FROM cache_blobs WHERE blob_id = ?"),
      upsert: this.db.prepare(
        "INSERT INTO cache_blobs (blob_id, size, leaf_layer, meta, last_used) VALUES (?, ?, ?, ?, ?) ON CONFLICT(blob_id) DO UPDATE SET size = excluded.size, leaf_layer = excluded.leaf_layer, meta = excluded.meta, last_used = excluded.last_used",
      ),
      touch: this.db.prepare("UPDATE cache_blobs SET last_used = ? WHERE blob_id = ?"),
      del: this.db.prepare("DELETE FROM cache_blobs WHERE blob_id = ?"),
      lru: this.db.prepare("SELECT blob_id FROM cache_blobs WHERE blob_id != ? ORDER BY last_used ASC, blob_id ASC LIMIT 1"),
      all: this.db.prepare("SELECT blob_id, size, last_used FROM cache_blobs ORDER BY last_used DESC"),
      sum: this.db.prepare("SELECT COALESCE(SUM(size), 0) AS total FROM cache_blobs"),
    };
    this.recover();
  }

  private get blobDir(): string {
    return path.join(this.dir, "blobs");
  }
  private get tmpDir(): string {
    return path.join(this.dir, "tmp");
  }
  private fileOf(blobId: string): string {
    return path.join(this.blobDir, blobId.slice(2));
  }

  /** A strictly increasing use stamp (ms clock, ties broken by a counter). */
  private stamp(): number {
    const t = this.now() * 1000;
    this.tick = Math.max(this.tick + 1, t);
    return this.tick;
  }

  /**
   * Makes the disk and the index agree after a crash: removes temp files, files without an index
   * row, and rows whose file is missing or of the wrong size. Returns what it removed.
   */
  recover(): { tempFiles: number; orphanFiles: number; orphanRows: number } {
    let tempFiles = 0;
    let orphanFiles = 0;
    let orphanRows = 0;
    for (const f of readdirSync(this.tmpDir)) {
      rmSync(path.join(this.tmpDir, f), { force: true });
      tempFiles++;
    }
    const rows = this.stmts.all.all() as unknown as Pick<Row, "blob_id" | "size">[];
    const indexed = new Map(rows.map((r) => [r.blob_id.slice(2), r.size]));
    for (const f of readdirSync(this.blobDir)) {
      if (!indexed.has(f)) {
        rmSync(path.join(this.blobDir, f), { force: true });
        orphanFiles++;
      }
    }
    for (const r of rows) {
      const file = this.fileOf(r.blob_id);
      if (!existsSync(file) || statSync(file).size !== r.size) {
        this.stmts.del.run(r.blob_id);
        rmSync(file, { force: true });
        orphanRows++;
      }
    }
    this.used = Number((this.stmts.sum.get() as { total: number }).total);
    if (tempFiles + orphanFiles > 0) this.syncDir(this.blobDir);
    return { tempFiles, orphanFiles, orphanRows };
  }

  /** Bytes held. */
  get usedBytes(): number {
    return this.used;
  }

  has(blobId: string): boolean {
    return this.stmts.has.get(normalize(blobId)) !== undefined;
  }

  /** The blob's index entry (and marks it used), or undefined. */
  get(blobId: string, options: { touch?: boolean } = {}): CachedBlob | undefined {
    const id = normalize(blobId);
    const row = this.stmts.get.get(id) as unknown as Row | undefined;
    if (!row) return undefined;
    let lastUsed = row.last_used;
    if (options.touch ?? true) {
      lastUsed = this.stamp();
      // an LRU stamp is not worth an fsync on the serve path: a crash loses at most the latest order
      withoutFsync(this.db, () => this.stmts.touch.run(lastUsed, id));
    }
    return { blobId: id, size: row.size, leafLayer: new Uint8Array(row.leaf_layer), meta: row.meta ? new Uint8Array(row.meta) : undefined, lastUsed };
  }

  /** Blob ids held, most recently used first. */
  list(): { blobId: string; size: number }[] {
    return (this.stmts.all.all() as unknown as Row[]).map((r) => ({ blobId: r.blob_id, size: r.size }));
  }

  /** Path of the blob's file (for streaming reads); throws CacheMissError. */
  pathOf(blobId: string): string {
    const id = normalize(blobId);
    if (!this.has(id)) throw new CacheMissError(id);
    return this.fileOf(id);
  }

  /** Reads bytes [offset, offset + length) of a cached blob; marks it used. Throws CacheMissError. */
  read(blobId: string, offset = 0, length?: number): Uint8Array {
    const entry = this.get(blobId);
    if (!entry) throw new CacheMissError(normalize(blobId));
    const end = Math.min(entry.size, length === undefined ? entry.size : offset + length);
    const fd = openSync(this.fileOf(entry.blobId), "r");
    try {
      return readAt(fd, offset, Math.max(0, end - offset));
    } finally {
      closeSync(fd);
    }
  }

  /**
   * A reader of a cached blob for one stream: its file opened once and the blob marked used once
   * (`read` above does both on every call). Each read checks the blob is still indexed, so an
   * eviction (a blacklist entry evicts at once) stops a stream mid-blob. Throws CacheMissError.
   */
  openReader(blobId: string): CachedBlobReader {
    const entry = this.get(blobId);
    if (!entry) throw new CacheMissError(normalize(blobId));
    const id = entry.blobId;
    const fd = openSync(this.fileOf(id), "r");
    let open = true;
    return {
      read: (offset, length) => {
        if (!open || !this.has(id)) throw new CacheMissError(id);
        const out = readAt(fd, offset, length);
        if (out.length !== length) throw new Error(`the cached file of ${id} is shorter than its index entry`);
        return out;
      },
      close: () => {
        if (open) closeSync(fd);
        open = false;
      },
    };
  }

  /** Opens a writer for `blobId`; `expectedSize` (if known, e.g. from the content record) is enforced. */
  openWriter(blobId: string, expectedSize?: number): BlobWriter {
    const id = normalize(blobId);
    if (expectedSize !== undefined && expectedSize > this.budgetBytes) throw new CacheTooLargeError(id, expectedSize, this.budgetBytes);
    const limit = Math.min(this.budgetBytes, expectedSize ?? Infinity);
    const tmp = path.join(this.tmpDir, `${id.slice(2, 18)}-${randomBytes(6).toString("hex")}.part`);
    const fd = openSync(tmp, "wx+", 0o600); // read back by a fan-out's late streams
    const builder = new BlobIdBuilder();
    let written = 0;
    let open = true;
    const close = (remove: boolean): void => {
      if (!open) return;
      open = false;
      closeSync(fd);
      if (remove) rmSync(tmp, { force: true });
    };
    return {
      blobId: id,
      get written() {
        return written;
      },
      write(bytes: Uint8Array): void {
        if (!open) throw new CacheWriterClosedError();
        if (written + bytes.length > limit) {
          close(true);
          throw new CacheTooLargeError(id, written + bytes.length, limit);
        }
        let off = 0;
        while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
        builder.update(bytes);
        written += bytes.length;
      },
      read(offset: number, length: number): Uint8Array {
        if (!open) throw new CacheWriterClosedError();
        if (offset < 0 || offset + length > written) throw new RangeError(`bytes ${offset}..${offset + length} of ${id} are not written yet (${written} are)`);
        return readAt(fd, offset, length);
      },
      commit: (meta?: Uint8Array): CachedBlob => {
        if (!open) throw new CacheWriterClosedError();
        const tree = builder.digest();
        const computed = toHex(tree.blobId);
        if (computed !== id || (expectedSize !== undefined && tree.size !== expectedSize)) {
          close(true);
          throw new CacheVerificationError(id, computed);
        }
        if (this.durable) fsyncSync(fd);
        close(false);
        // make room first, so the budget holds at every instant the index is committed
        const existing = this.stmts.get.get(id) as unknown as Row | undefined;
        this.makeRoom(tree.size - (existing?.size ?? 0), id);
        renameSync(tmp, this.fileOf(id));
        this.syncDir(this.blobDir);
        const lastUsed = this.stamp();
        this.stmts.upsert.run(id, tree.size, tree.leafLayer, meta ?? null, lastUsed);
        this.used += tree.size - (existing?.size ?? 0);
        return { blobId: id, size: tree.size, leafLayer: tree.leafLayer, meta, lastUsed };
      },
      abort: (): void => {
        close(true);
      },
    };
  }

  /** Writes a whole blob (bytes or an async stream of pieces); verifies it; evicts to fit. */
  async put(blobId: string, data: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: { meta?: Uint8Array; expectedSize?: number; signal?: AbortSignal } = {}): Promise<CachedBlob> {
    const writer = this.openWriter(blobId, options.expectedSize);
    try {
      if (data instanceof Uint8Array) writer.write(data);
      else {
        for await (const piece of data) {
          options.signal?.throwIfAborted();
          writer.write(piece);
        }
      }
      options.signal?.throwIfAborted();
      return writer.commit(options.meta);
    } catch (error) {
      writer.abort();
      throw error;
    }
  }

  /** Removes a blob now (row first, then file). Returns whether it was held. */
  evict(blobId: string, reason: EvictReason = "manual"): boolean {
    const id = normalize(blobId);
    const row = this.stmts.get.get(id) as unknown as Row | undefined;
    if (!row) return false;
    this.stmts.del.run(id);
    this.used -= row.size;
    rmSync(this.fileOf(id), { force: true });
    this.onEvict?.(id, reason);
    return true;
  }

  /** Evicts least-recently-used blobs (never `keep`) until `incoming` more bytes fit the budget. */
  private makeRoom(incoming: number, keep: string): void {
    while (this.used + incoming > this.budgetBytes) {
      const victim = this.stmts.lru.get(keep) as { blob_id: string } | undefined;
      if (!victim) break;
      this.evict(victim.blob_id, "budget");
    }
  }

  private syncDir(dir: string): void {
    if (!this.durable) return;
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

function normalize(blobId: string): string {
  const id = blobId.toLowerCase();
  if (!BLOB_ID_RE.test(id)) throw new RangeError(`not a blob id: ${blobId}`);
  return id;
}

/** `length` bytes of the open file `fd` from `offset` (fewer at its end). */
function readAt(fd: number, offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, out, done, length - done, offset + done);
    if (n === 0) return out.subarray(0, done);
    done += n;
  }
  return out;
}
