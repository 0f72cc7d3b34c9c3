/**
 * Embedded state in node:sqlite (ships with Node 22, no native build). WAL journal with
 * synchronous=FULL: a committed transaction survives a process kill or a power loss (vouchers
 * are money). Measured ~150 µs per single-row transaction on the project machine.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";

export type { DatabaseSync } from "node:sqlite";

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

/** A simple versioned schema: applies `migrations[i]` for every version above the stored one. */
export function migrate(db: DatabaseSync, migrations: string[]): void {
  const row = db.prepare("PRAGMA user_version").get() as { user_version: number };
  for (let v = row.user_version; v < migrations.length; v++) {
    transaction(db, () => {
      db.exec(migrations[v]);
      db.exec(`PRAGMA user_version = ${v + 1}`);
    });
  }
}
