/**
 * The chain follower's cursor in an agent's SQLite database: the last processed block and the
 * hashes of recent range ends (agents/chain/follower.ts uses them to find a reorg). One table,
 * `cursor`, shared by every agent that follows the chain.
 */
import type { Cursor } from "../chain/follower.js";
import { SqliteStore, type DatabaseSync } from "./sqlite.js";

/** The migration that adds the hashes to an agent's existing `cursor (name, block)` table. */
export const CURSOR_HASHES_MIGRATION = "ALTER TABLE cursor ADD COLUMN recent TEXT NOT NULL DEFAULT '[]';";

export function loadCursor(db: DatabaseSync, name: string): Cursor | undefined {
  const row = db.prepare("SELECT block, recent FROM cursor WHERE name = ?").get(name) as { block: number; recent: string } | undefined;
  return row ? { block: Number(row.block), recent: JSON.parse(row.recent) as [number, string][] } : undefined;
}

export function saveCursor(db: DatabaseSync, name: string, cursor: Cursor): void {
  db.prepare("INSERT INTO cursor (name, block, recent) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET block = excluded.block, recent = excluded.recent").run(
    name,
    cursor.block,
    JSON.stringify(cursor.recent),
  );
}

/** A store whose schema has the `cursor` table: the chain follower's position is read and written through it. */
export abstract class FollowerStore extends SqliteStore {
  cursor(name: string): Cursor | undefined {
    return loadCursor(this.db, name);
  }

  saveCursor(name: string, cursor: Cursor): void {
    saveCursor(this.db, name, cursor);
  }
}
