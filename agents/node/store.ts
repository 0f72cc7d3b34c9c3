/**
 * The node's embedded state (node:sqlite, WAL, synchronous=FULL): the best voucher of every
 * channel (stored before it counts as credit), the channels it served and what was claimed,
 * the chain follower's cursor, and the index of blobs published from the origin backend.
 *
 * Amounts are stored as 64-digit lower-case hex so that SQL compares them numerically, and an
 * upsert only ever raises a channel's voucher (monotonic even under concurrent streams).
 */
import { CURSOR_HASHES_MIGRATION, FollowerStore } from "../runtime/cursor.js";
import { column, rowReader, toHex64, withoutFsync, type Row } from "../runtime/sqlite.js";

const MIGRATIONS = [
  `CREATE TABLE vouchers (
     channel_id TEXT PRIMARY KEY,
     payer TEXT NOT NULL,
     amount TEXT NOT NULL,
     signature BLOB NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE INDEX vouchers_payer ON vouchers(payer);
   CREATE TABLE channels (
     channel_id TEXT PRIMARY KEY,
     payer TEXT NOT NULL,
     deposit TEXT NOT NULL,
     paid TEXT NOT NULL,
     status TEXT NOT NULL,
     closes_at INTEGER NOT NULL DEFAULT 0,
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE cursor (name TEXT PRIMARY KEY, block INTEGER NOT NULL);
   CREATE TABLE blobs (
     blob_id TEXT PRIMARY KEY,
     size INTEGER NOT NULL,
     file TEXT NOT NULL,
     leaf_layer BLOB NOT NULL,
     origin TEXT NOT NULL,
     epoch INTEGER NOT NULL,
     record_timestamp INTEGER NOT NULL,
     record_signature BLOB NOT NULL,
     created_at INTEGER NOT NULL
   );`,
  CURSOR_HASHES_MIGRATION,
  // what the node sent per channel (token base units owed), so that unpaid bytes survive a restart
  `CREATE TABLE sent (
     channel_id TEXT PRIMARY KEY,
     owed TEXT NOT NULL,
     updated_at INTEGER NOT NULL
   );`,
];

export interface StoredVoucher {
  channelId: string;
  payer: string;
  amount: bigint;
  signature: Uint8Array;
  updatedAt: number;
}

export interface StoredChannel {
  channelId: string;
  payer: string;
  deposit: bigint;
  paid: bigint;
  status: string;
  closesAt: number;
}

export interface StoredBlob {
  blobId: string;
  size: number;
  file: string;
  leafLayer: Uint8Array;
  origin: bigint;
  epoch: bigint;
  recordTimestamp: bigint;
  recordSignature: Uint8Array;
}

export class NodeStore extends FollowerStore {
  constructor(file: string) {
    super(file, MIGRATIONS);
  }

  // ---- vouchers ----

  /**
   * Stores a voucher if it raises the channel's best amount; returns true if stored. Durable when it
   * returns (one fsync'd transaction), or with `deferFsync` once `syncLog()` resolved (the fetch
   * stream's way: chunks keep going out while the log is synced). Count it as credit only then.
   */
  saveVoucher(v: { channelId: string; payer: string; amount: bigint; signature: Uint8Array }, options: { deferFsync?: boolean } = {}): boolean {
    const write = () =>
      this.statement(
        `INSERT INTO vouchers (channel_id, payer, amount, signature, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(channel_id) DO UPDATE SET amount = excluded.amount, signature = excluded.signature, updated_at = excluded.updated_at
         WHERE excluded.amount > vouchers.amount`,
      ).run(v.channelId.toLowerCase(), v.payer.toLowerCase(), toHex64(v.amount), v.signature, Date.now());
    const r = options.deferFsync ? withoutFsync(this.db, write) : write();
    return Number(r.changes) > 0;
  }

  voucher(channelId: string): StoredVoucher | undefined {
    return this.one(voucherFromRow, "SELECT * FROM vouchers WHERE channel_id = ?", channelId.toLowerCase());
  }

  vouchers(): StoredVoucher[] {
    return this.many(voucherFromRow, "SELECT * FROM vouchers ORDER BY updated_at");
  }

  /** Sum of the best vouchers of all of `payer`'s channels (its paid history with this node). */
  paidBy(payer: string): bigint {
    return this.many((r) => column.amount(r.amount), "SELECT amount FROM vouchers WHERE payer = ?", payer.toLowerCase()).reduce((sum, amount) => sum + amount, 0n);
  }

  // ---- what was sent (unpaid bytes carry over between streams and restarts) ----

  /**
   * Records that the node has sent bytes worth `owed` (cumulative, token base units) on a channel;
   * only ever raised. Written often (every 4 MiB sent, before a voucher wait, at a stream's end:
   * `VoucherBook.recordSent`), so without an fsync of its own: it survives a process kill, and a power
   * loss forgets at most what was sent since the channel's last voucher (whose commit fsyncs the log).
   */
  saveSent(channelId: string, owed: bigint): void {
    withoutFsync(this.db, () =>
      this.statement(
        `INSERT INTO sent (channel_id, owed, updated_at) VALUES (?, ?, ?)
         ON CONFLICT(channel_id) DO UPDATE SET owed = excluded.owed, updated_at = excluded.updated_at WHERE excluded.owed > sent.owed`,
      ).run(channelId.toLowerCase(), toHex64(owed), Date.now()),
    );
  }

  /** Cumulative value sent on a channel (0 if nothing was recorded). */
  sent(channelId: string): bigint {
    return this.one((r) => column.amount(r.owed), "SELECT owed FROM sent WHERE channel_id = ?", channelId.toLowerCase()) ?? 0n;
  }

  // ---- channels (local view of on-chain state) ----

  /** Records a channel's on-chain state; a row that already says the same is not written again (no fsync on a repeat request). */
  saveChannel(c: StoredChannel): void {
    const known = this.channel(c.channelId);
    const same = known && known.payer === c.payer.toLowerCase() && known.deposit === c.deposit && known.paid === c.paid && known.status === c.status && known.closesAt === c.closesAt;
    if (same) return;
    this.db
      .prepare(
        `INSERT INTO channels (channel_id, payer, deposit, paid, status, closes_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(channel_id) DO UPDATE SET deposit = excluded.deposit, paid = excluded.paid, status = excluded.status,
           closes_at = excluded.closes_at, updated_at = excluded.updated_at`,
      )
      .run(c.channelId.toLowerCase(), c.payer.toLowerCase(), toHex64(c.deposit), toHex64(c.paid), c.status, c.closesAt, Date.now());
  }

  channel(channelId: string): StoredChannel | undefined {
    return this.one(channelFromRow, "SELECT * FROM channels WHERE channel_id = ?", channelId.toLowerCase());
  }

  channels(): StoredChannel[] {
    return this.many(channelFromRow, "SELECT * FROM channels ORDER BY updated_at");
  }

  /** Channels this node has seen (rows are never deleted), and how many of them are still open. */
  channelCounts(): { open: number; total: number } {
    const row = this.db.prepare("SELECT COUNT(*) AS total, COALESCE(SUM(status = 'Open'), 0) AS open FROM channels").get() as Row;
    return { open: Number(row.open), total: Number(row.total) };
  }

  // ---- blobs ----

  saveBlob(b: StoredBlob): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO blobs (blob_id, size, file, leaf_layer, origin, epoch, record_timestamp, record_signature, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(b.blobId.toLowerCase(), b.size, b.file, b.leafLayer, b.origin.toString(), Number(b.epoch), Number(b.recordTimestamp), b.recordSignature, Date.now());
  }

  blob(blobId: string): StoredBlob | undefined {
    return this.one(blobFromRow, "SELECT * FROM blobs WHERE blob_id = ?", blobId.toLowerCase());
  }

  blobs(): StoredBlob[] {
    return this.many(blobFromRow, "SELECT * FROM blobs ORDER BY created_at");
  }
}

const voucherFromRow = rowReader<StoredVoucher>({ channelId: column.text, payer: column.text, amount: column.amount, signature: column.bytes, updatedAt: column.int });

const channelFromRow = rowReader<StoredChannel>({ channelId: column.text, payer: column.text, deposit: column.amount, paid: column.amount, status: column.text, closesAt: column.int });

const blobFromRow = rowReader<StoredBlob>({
  blobId: column.text,
  size: column.int,
  file: column.text,
  leafLayer: column.bytes,
  origin: column.bigint,
  epoch: column.bigint,
  recordTimestamp: column.bigint,
  recordSignature: column.bytes,
});
