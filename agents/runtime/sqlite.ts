/**
 * Embedded state in node:sqlite (ships with Node 22, no native build). WAL journal with
 * synchronous=FULL: a committed transaction survives a process kill or a power loss (vouchers
 * are money). Measured ~150 µs per single-row transaction on the project machine.
 */
import { mkdirSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";

import { CdnError } from "../protocol/errors.js";

export type { DatabaseSync } from "node:sqlite";

/** One result row, by column name. */
export type Row = Record<string, unknown>;

type Decode<T> = (value: unknown) => T;
const optional =
  <T>(decode: Decode<T>): Decode<T | undefined> =>
  (v) =>
    v === null || v === undefined ? undefined : decode(v);

/** How a column is read back: amounts are 64-hex text, ids that exceed 2^53 decimal text, times integers. */
export const column = {
  text: (v: unknown): string => String(v),
  int: (v: unknown): number => Number(v),
  bigint: (v: unknown): bigint => BigInt(String(v)),
  amount: (v: unknown): bigint => fromHex64(String(v)),
  bytes: (v: unknown): Uint8Array => new Uint8Array(v as Uint8Array),
  oneOf:
    <T extends string>(): Decode<T> =>
    (v) =>
      String(v) as T,
  optional,
};

/** A row converter: every field of T read from its snake_case column (`channelId` ← `channel_id`). */
export function rowReader<T>(decoders: { [K in keyof T]-?: Decode<T[K]> }): (row: Row) => T {
  const columns = Object.entries<Decode<unknown>>(decoders).map(([field, decode]) => [field, field.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase()), decode] as const);
  return (row) => Object.fromEntries(columns.map(([field, name, decode]) => [field, decode(row[name])])) as T;
}

/** An amount as 64 lower-case hex digits: SQL's text order is then the numeric order. */
export const toHex64 = (v: bigint): string => v.toString(16).padStart(64, "0");
export const fromHex64 = (s: string): bigint => BigInt("0x" + s);

export function openDatabase(file: string): DatabaseSync {
  if (file !== ":memory:") mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new DatabaseSync(file);
  db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;");
  return db;
}

/** Runs `fn` in one transaction (BEGIN IMMEDIATE … COMMIT, ROLLBACK on error). */
export function transaction<T>(db: DatabaseSync, fn: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const out = fn();
    db.exec("COMMIT");
    return out;
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}

/**
 * Runs `fn` (one write) committed without its own fsync (synchronous=NORMAL for that commit): it
 * survives a process kill (the WAL is in the operating system's cache), and a power loss drops it
 * only if no fsync'd commit came after. For a record written far more often than money moves (a
 * node's per-chunk `sent`, ~0.05 vs 3-4 ms per commit on this machine's disk).
 */
export function withoutFsync<T>(db: DatabaseSync, fn: () => T): T {
  db.exec("PRAGMA synchronous=NORMAL");
  try {
    return fn();
  } finally {
    db.exec("PRAGMA synchronous=FULL");
  }
}

/** A database whose schema is newer than this software knows (written by a later version). */
export class SchemaVersionError extends CdnError {
  readonly code = "ERR_SCHEMA_VERSION";
  constructor(
    readonly file: string,
    readonly found: number,
    readonly known: number,
  ) {
    super(`${file} has schema version ${found}, newer than this software knows (${known}): upgrade it, or use another data directory`);
  }
}

/** The schema version stored in the database (SQLite's user_version; 0 for a new file). */
export function schemaVersion(db: DatabaseSync): number {
  return (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;
}

/**
 * A versioned schema: applies `migrations[i]` for every version above the stored one, each in its
 * own transaction. Refuses a database from a newer version rather than run on a schema it does not know.
 */
export function migrate(db: DatabaseSync, migrations: readonly string[], file = "the database"): void {
  const stored = schemaVersion(db);
  if (stored > migrations.length) throw new SchemaVersionError(file, stored, migrations.length);
  for (let v = stored; v < migrations.length; v++) {
    transaction(db, () => {
      db.exec(migrations[v]);
      db.exec(`PRAGMA user_version = ${v + 1}`);
    });
  }
}

/** The base of every agent's store: one database file, opened durable and migrated to the newest schema. */
export abstract class SqliteStore {
  readonly db: DatabaseSync;

  constructor(
    readonly file: string,
    migrations: readonly string[],
  ) {
    this.db = openDatabase(file);
    try {
      migrate(this.db, migrations, file);
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  private readonly statements = new Map<string, StatementSync>();

  /** `sql` prepared once per store: hot paths run the same statement per chunk or voucher (compiling it each time cost ~2/3 of a write). */
  protected statement(sql: string): StatementSync {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }

  /** The first row `sql` selects, converted by `from` (undefined when there is none). */
  protected one<T>(from: (row: Row) => T, sql: string, ...params: SQLInputValue[]): T | undefined {
    const row = this.statement(sql).get(...params) as Row | undefined;
    return row === undefined ? undefined : from(row);
  }

  /** Every row `sql` selects, converted by `from`. */
  protected many<T>(from: (row: Row) => T, sql: string, ...params: SQLInputValue[]): T[] {
    return (this.statement(sql).all(...params) as Row[]).map(from);
  }

  get schemaVersion(): number {
    return schemaVersion(this.db);
  }

  /** The fsync running now, and the one queued behind it (group commit: see `syncLog`). */
  private syncing: Promise<void> | undefined;
  private queuedSync: Promise<void> | undefined;

  /**
   * Makes every commit so far durable without blocking the event loop: the write-ahead log is
   * fsync'd on libuv's thread pool. A commit made `withoutFsync`, then this awaited, gives what a
   * synchronous=FULL commit gives when it returns (it survives a power loss), while a stream keeps
   * verifying or sending in the meantime; act on the write only once this resolved.
   *
   * Group commit: a call made while an fsync runs waits for the next one, which starts when the
   * running one ends and covers every commit made until then, so any number of callers share two
   * fsyncs at most (one per voucher, serialized, had vouchers wait behind each other's fsync).
   */
  syncLog(): Promise<void> {
    if (this.file === ":memory:") return Promise.resolve();
    if (!this.syncing) return this.startSync();
    this.queuedSync ??= this.syncing.then(
      () => this.startSync(),
      () => this.startSync(),
    );
    return this.queuedSync;
  }

  private startSync(): Promise<void> {
    this.queuedSync = undefined;
    const running = this.fsyncLog();
    this.syncing = running;
    const clear = () => {
      if (this.syncing === running) this.syncing = undefined;
    };
    running.then(clear, clear);
    return running;
  }

  /**
   * The write-ahead log, opened once: a sync is then a single trip to the thread pool (open, fsync
   * and close were three, and on a busy event loop each waited for its turn: ~18 ms per voucher on
   * a paying client). The file stays the same while this connection is open: SQLite rewinds or
   * truncates the log after a checkpoint and deletes it only when the last connection closes.
   */
  private logHandle: Promise<FileHandle | undefined> | undefined;

  /** One fsync of the log (the database file when there is none yet). */
  protected async fsyncLog(): Promise<void> {
    this.logHandle ??= open(`${this.file}-wal`, "r").catch((error: NodeJS.ErrnoException) => {
      this.logHandle = undefined; // tried again next time
      if (error.code !== "ENOENT") throw error;
      return undefined;
    });
    const log = await this.logHandle;
    if (log) return log.datasync();
    const handle = await open(this.file, "r"); // no log yet: the database file itself
    try {
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  close(): void {
    const log = this.logHandle;
    this.logHandle = undefined;
    void log?.then((h) => h?.close()).catch(() => undefined);
    if (this.db.isOpen) this.db.close();
  }
}
