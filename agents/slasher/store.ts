/**
 * The slasher's embedded state (node:sqlite): the blob ids it watches (compliance notices), every
 * probe it made (blob, blacklist entry, node, channel, outcome) and every slash it submitted, with
 * the evidence and salt stored before the commit transaction, so a restart can still reveal.
 */
import { SqliteStore } from "../runtime/sqlite.js";

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

type Row = Record<string, unknown>;
const opt = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));
const optBig = (v: unknown): bigint | undefined => (v === null || v === undefined ? undefined : BigInt(String(v)));

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
    return (this.db.prepare("SELECT * FROM notices ORDER BY added_at, blob_id").all() as Row[]).map((r) => ({ blobId: String(r.blob_id), source: String(r.source), addedAt: Number(r.added_at) }));
  }

  probe(blobId: string, entryId: number, nodeKey: string): ProbeRecord | undefined {
    const r = this.db.prepare("SELECT * FROM probes WHERE blob_id = ? AND entry_id = ? AND node_key = ?").get(blobId, entryId, nodeKey) as Row | undefined;
    return r ? probeFromRow(r) : undefined;
  }

  saveProbe(p: ProbeRecord): void {
    this.db
      .prepare("INSERT OR REPLACE INTO probes (blob_id, entry_id, node_key, node_id, channel_id, outcome, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
      .run(p.blobId, p.entryId, p.nodeKey, p.nodeId.toString(), p.channelId ?? null, p.outcome, p.detail, p.at);
  }

  probes(): ProbeRecord[] {
    return (this.db.prepare("SELECT * FROM probes ORDER BY at").all() as Row[]).map(probeFromRow);
  }

  slash(blobId: string, entryId: number, nodeId: bigint): SlashRecord | undefined {
    const r = this.db.prepare("SELECT * FROM slashes WHERE blob_id = ? AND entry_id = ? AND node_id = ?").get(blobId, entryId, nodeId.toString()) as Row | undefined;
    return r ? slashFromRow(r) : undefined;
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
    return (this.db.prepare("SELECT * FROM slashes ORDER BY at").all() as Row[]).map(slashFromRow);
  }

  saveChannel(channelId: string, status: string, closesAt: bigint): void {
    this.db.prepare("INSERT OR REPLACE INTO channels (channel_id, status, closes_at) VALUES (?, ?, ?)").run(channelId, status, Number(closesAt));
  }

  channels(): { channelId: string; status: string; closesAt: number }[] {
    return (this.db.prepare("SELECT * FROM channels ORDER BY channel_id").all() as Row[]).map((r) => ({ channelId: String(r.channel_id), status: String(r.status), closesAt: Number(r.closes_at) }));
  }
}

function probeFromRow(r: Row): ProbeRecord {
  return {
    blobId: String(r.blob_id),
    entryId: Number(r.entry_id),
    nodeKey: String(r.node_key),
    nodeId: BigInt(String(r.node_id)),
    channelId: opt(r.channel_id),
    outcome: String(r.outcome) as ProbeOutcome,
    detail: String(r.detail),
    at: Number(r.at),
  };
}

function slashFromRow(r: Row): SlashRecord {
  return {
    blobId: String(r.blob_id),
    entryId: Number(r.entry_id),
    nodeId: BigInt(String(r.node_id)),
    nodeKey: String(r.node_key),
    channelId: String(r.channel_id),
    evidence: String(r.evidence),
    commitHash: String(r.commit_hash),
    commitTx: opt(r.commit_tx),
    revealTx: opt(r.reveal_tx),
    status: String(r.status) as SlashStatus,
    slashed: optBig(r.slashed),
    reward: optBig(r.reward),
    treasury: optBig(r.treasury),
    error: opt(r.error),
    at: Number(r.at),
  };
}
