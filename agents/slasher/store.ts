/**
 * The slasher's embedded state (node:sqlite): the blob ids it watches (compliance notices), every
 * probe it made (blob, blacklist entry, node, channel, outcome) and every slash it submitted, with
 * the evidence and salt stored before the commit transaction, so a restart can still reveal.
 */
import { SqliteStore, column, rowReader } from "../runtime/sqlite.js";

const MIGRATIONS = [
  `CREATE TABLE notices (
     blob_id TEXT PRIMARY KEY,
     source TEXT NOT NULL,
     added_at INTEGER NOT NULL
   );
   CREATE TABLE probes (
     blob_id TEXT NOT NULL,
     entry_id INTEGER NOT NULL,
     node_key TEXT NOT NULL,
     node_id TEXT NOT NULL,
     channel_id TEXT,
     outcome TEXT NOT NULL,
     detail TEXT NOT NULL,
     at INTEGER NOT NULL,
     PRIMARY KEY (blob_id, entry_id, node_key)
   );
   CREATE TABLE slashes (
     blob_id TEXT NOT NULL,
     entry_id INTEGER NOT NULL,
     node_id TEXT NOT NULL,
     node_key TEXT NOT NULL,
     channel_id TEXT NOT NULL,
     evidence TEXT NOT NULL,
     commit_hash TEXT NOT NULL,
     commit_tx TEXT,
     reveal_tx TEXT,
     status TEXT NOT NULL,
     slashed TEXT,
     reward TEXT,
     treasury TEXT,
     error TEXT,
     at INTEGER NOT NULL,
     PRIMARY KEY (blob_id, entry_id, node_id)
   );
   CREATE TABLE channels (
     channel_id TEXT PRIMARY KEY,
     status TEXT NOT NULL,
     closes_at INTEGER NOT NULL
   );`,
];

export type ProbeOutcome = "refused" | "commitment" | "unreachable" | "stale-channel" | "error";

export interface ProbeRecord {
  blobId: string;
  entryId: number;
  nodeKey: string;
  nodeId: bigint;
  channelId?: string;
  outcome: ProbeOutcome;
  detail: string;
  at: number;
}

/** committed → slashed (reward pending) → rewarded (final reward credited and withdrawn), or failed. */
export type SlashStatus = "committed" | "slashed" | "rewarded" | "failed";

export interface SlashRecord {
  blobId: string;
  entryId: number;
  nodeId: bigint;
  nodeKey: string;
  channelId: string;
  /** JSON: commitment, signature and salt (enough to reveal after a restart). */
  evidence: string;
  commitHash: string;
  commitTx?: string;
  revealTx?: string;
  status: SlashStatus;
  slashed?: bigint;
  reward?: bigint;
  treasury?: bigint;
  error?: string;
  at: number;
}

export class SlasherStore extends SqliteStore {
  constructor(file: string) {
    super(file, MIGRATIONS);
  }

  /** Adds blob ids to watch; returns how many were new. */
  addNotices(blobIds: string[], source: string): number {
    let added = 0;
    const insert = this.db.prepare("INSERT OR IGNORE INTO notices (blob_id, source, added_at) VALUES (?, ?, ?)");
    for (const id of blobIds) added += Number(insert.run(id.toLowerCase(), source, Date.now()).changes);
    return added;
  }

  notices(): { blobId: string; source: string; addedAt: number }[] {
    return this.many(rowReader({ blobId: column.text, source: column.text, addedAt: column.int }), "SELECT * FROM notices ORDER BY added_at, blob_id");
  }

  probe(blobId: string, entryId: number, nodeKey: string): ProbeRecord | undefined {
    return this.one(probeFromRow, "SELECT * FROM probes WHERE blob_id = ? AND entry_id = ? AND node_key = ?", blobId, entryId, nodeKey);
  }

  saveProbe(p: ProbeRecord): void {
    this.db
      .prepare("INSERT OR REPLACE INTO probes (blob_id, entry_id, node_key, node_id, channel_id, outcome, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
      .run(p.blobId, p.entryId, p.nodeKey, p.nodeId.toString(), p.channelId ?? null, p.outcome, p.detail, p.at);
  }

  probes(): ProbeRecord[] {
    return this.many(probeFromRow, "SELECT * FROM probes ORDER BY at");
  }

  slash(blobId: string, entryId: number, nodeId: bigint): SlashRecord | undefined {
    return this.one(slashFromRow, "SELECT * FROM slashes WHERE blob_id = ? AND entry_id = ? AND node_id = ?", blobId, entryId, nodeId.toString());
  }

  saveSlash(s: SlashRecord): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO slashes (blob_id, entry_id, node_id, node_key, channel_id, evidence, commit_hash, commit_tx, reveal_tx, status, slashed, reward, treasury, error, at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        s.blobId,
        s.entryId,
        s.nodeId.toString(),
        s.nodeKey,
        s.channelId,
        s.evidence,
        s.commitHash,
        s.commitTx ?? null,
        s.revealTx ?? null,
        s.status,
        s.slashed?.toString() ?? null,
        s.reward?.toString() ?? null,
        s.treasury?.toString() ?? null,
        s.error ?? null,
        s.at,
      );
  }

  slashes(): SlashRecord[] {
    return this.many(slashFromRow, "SELECT * FROM slashes ORDER BY at");
  }

  saveChannel(channelId: string, status: string, closesAt: bigint): void {
    this.db.prepare("INSERT OR REPLACE INTO channels (channel_id, status, closes_at) VALUES (?, ?, ?)").run(channelId, status, Number(closesAt));
  }

  channels(): { channelId: string; status: string; closesAt: number }[] {
    return this.many(rowReader({ channelId: column.text, status: column.text, closesAt: column.int }), "SELECT * FROM channels ORDER BY channel_id");
  }
}

const probeFromRow = rowReader<ProbeRecord>({
  blobId: column.text,
  entryId: column.int,
  nodeKey: column.text,
  nodeId: column.bigint,
  channelId: column.optional(column.text),
  outcome: column.oneOf<ProbeOutcome>(),
  detail: column.text,
  at: column.int,
});

const slashFromRow = rowReader<SlashRecord>({
  blobId: column.text,
  entryId: column.int,
  nodeId: column.bigint,
  nodeKey: column.text,
  channelId: column.text,
  evidence: column.text,
  commitHash: column.text,
  commitTx: column.optional(column.text),
  revealTx: column.optional(column.text),
  status: column.oneOf<SlashStatus>(),
  slashed: column.optional(column.bigint),
  reward: column.optional(column.bigint),
  treasury: column.optional(column.bigint),
  error: column.optional(column.text),
  at: column.int,
});
