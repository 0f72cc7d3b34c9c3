/**
 * The client's embedded state (node:sqlite, WAL, synchronous=FULL): its channels, and for each
 * the highest cumulative amount it has signed, stored before the voucher is sent, so a restarted
 * client never signs for less than it already promised nor forgets what it owes. A resumable
 * download (a CLI `.part` file) records, in the voucher's transaction, how far its file holds
 * verified bytes durably: a rerun resumes there and never pays for those bytes again.
 */
import { SqliteStore, column, rowReader, toHex64, transaction, withoutFsync } from "../runtime/sqlite.js";

const MIGRATIONS = [
  `CREATE TABLE channels (
     channel_id TEXT PRIMARY KEY,
     node_key TEXT NOT NULL,
     node_id TEXT NOT NULL,
     deposit TEXT NOT NULL,
     signed TEXT NOT NULL,
     signature BLOB,
     status TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE INDEX channels_node ON channels(node_key);`,
  `CREATE TABLE downloads (
     file TEXT PRIMARY KEY,
     blob_id TEXT NOT NULL,
     durable_to INTEGER NOT NULL,
     channel_id TEXT NOT NULL,
     signed TEXT NOT NULL,
     updated_at INTEGER NOT NULL
   );`,
];

/** How far a resumable download's file durably holds verified bytes, recorded with the voucher that paid up to there. */
export interface DownloadCheckpoint {
  /** The file being written (an absolute path). */
  file: string;
  blobId: string;
  /** The blob offset the file's synced, verified bytes reach when the voucher was signed. */
  durableTo: number;
  channelId: string;
  /** The voucher's cumulative amount. */
  signed: bigint;
}

export interface ClientChannel {
  channelId: string;
  nodeKey: string;
  nodeId: bigint;
  deposit: bigint;
  /** Highest cumulative amount signed. */
  signed: bigint;
  signature?: Uint8Array;
  status: string;
}

export class ClientStore extends SqliteStore {
  constructor(file: string) {
    super(file, MIGRATIONS);
  }

  upsertChannel(c: Omit<ClientChannel, "signed" | "signature"> & { signed?: bigint }): void {
    const now = Date.now();
    this.db
      .prepare(
        `INSERT INTO channels (channel_id, node_key, node_id, deposit, signed, signature, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?)
         ON CONFLICT(channel_id) DO UPDATE SET deposit = excluded.deposit, status = excluded.status, updated_at = excluded.updated_at`,
      )
      .run(c.channelId.toLowerCase(), c.nodeKey.toLowerCase(), c.nodeId.toString(), toHex64(c.deposit), toHex64(c.signed ?? 0n), c.status, now, now);
  }

  /**
   * Durably records a signed voucher (only ever raises the amount), and with it, in the same
   * transaction, where a resumable download's file stands (`download`). Call before sending it.
   * With `deferFsync` it is durable once `syncLog()` resolved (a session keeps verifying meanwhile):
   * send it only then.
   */
  recordSigned(channelId: string, amount: bigint, signature: Uint8Array, download?: { file: string; blobId: string; durableTo: number }, options: { deferFsync?: boolean } = {}): void {
    const write = () =>
      transaction(this.db, () => {
        this.statement("UPDATE channels SET signed = ?, signature = ?, updated_at = ? WHERE channel_id = ? AND signed < ?").run(
          toHex64(amount),
          signature,
          Date.now(),
          channelId.toLowerCase(),
          toHex64(amount),
        );
        if (download) {
          this.db
            .prepare(
              `INSERT INTO downloads (file, blob_id, durable_to, channel_id, signed, updated_at) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT(file) DO UPDATE SET blob_id = excluded.blob_id, durable_to = excluded.durable_to, channel_id = excluded.channel_id, signed = excluded.signed, updated_at = excluded.updated_at`,
            )
            .run(download.file, download.blobId.toLowerCase(), download.durableTo, channelId.toLowerCase(), toHex64(amount), Date.now());
        }
      });
    if (options.deferFsync) withoutFsync(this.db, write);
    else write();
  }

  /** Replaces the signature of the channel's last voucher by another for the same amount (signed again by a live key). */
  replaceSignature(channelId: string, amount: bigint, signature: Uint8Array): void {
    this.db.prepare("UPDATE channels SET signature = ?, updated_at = ? WHERE channel_id = ? AND signed = ?").run(signature, Date.now(), channelId.toLowerCase(), toHex64(amount));
  }

  /** Where a resumable download into `file` stood at its last voucher (undefined if none was recorded). */
  download(file: string): DownloadCheckpoint | undefined {
    return this.one(checkpointFromRow, "SELECT * FROM downloads WHERE file = ?", file);
  }

  /** Forgets a finished (or abandoned) download's checkpoint. */
  forgetDownload(file: string): void {
    this.db.prepare("DELETE FROM downloads WHERE file = ?").run(file);
  }

  channel(channelId: string): ClientChannel | undefined {
    return this.one(fromRow, "SELECT * FROM channels WHERE channel_id = ?", channelId.toLowerCase());
  }

  channelsFor(nodeKey: string): ClientChannel[] {
    return this.many(fromRow, "SELECT * FROM channels WHERE node_key = ? ORDER BY created_at DESC", nodeKey.toLowerCase());
  }

  channels(): ClientChannel[] {
    return this.many(fromRow, "SELECT * FROM channels ORDER BY created_at");
  }
}

const checkpointFromRow = rowReader<DownloadCheckpoint>({ file: column.text, blobId: column.text, durableTo: column.int, channelId: column.text, signed: column.amount });
const fromRow = rowReader<ClientChannel>({
  channelId: column.text,
  nodeKey: column.text,
  nodeId: column.bigint,
  deposit: column.amount,
  signed: column.amount,
  signature: column.optional(column.bytes),
  status: column.text,
});
