/**
 * The client's embedded state (node:sqlite, WAL, synchronous=FULL): its channels, and for each
 * the highest cumulative amount it has signed, stored before the voucher is sent, so a restarted
 * client never signs for less than it already promised nor forgets what it owes. A resumable
 * download (a CLI `.part` file) records, in the voucher's transaction, how far its file holds
 * verified bytes durably: a rerun resumes there and never pays for those bytes again.
 */
import { SqliteStore, fromHex64, toHex64, transaction } from "../runtime/sqlite.js";

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

type Row = Record<string, unknown>;

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
   */
  recordSigned(channelId: string, amount: bigint, signature: Uint8Array, download?: { file: string; blobId: string; durableTo: number }): void {
    transaction(this.db, () => {
      this.db
        .prepare("UPDATE channels SET signed = ?, signature = ?, updated_at = ? WHERE channel_id = ? AND signed < ?")
        .run(toHex64(amount), signature, Date.now(), channelId.toLowerCase(), toHex64(amount));
      if (download) {
        this.db
          .prepare(
            `INSERT INTO downloads (file, blob_id, durable_to, channel_id, signed, updated_at) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT(file) DO UPDATE SET blob_id = excluded.blob_id, durable_to = excluded.durable_to, channel_id = excluded.channel_id, signed = excluded.signed, updated_at = excluded.updated_at`,
          )
          .run(download.file, download.blobId.toLowerCase(), download.durableTo, channelId.toLowerCase(), toHex64(amount), Date.now());
      }
    });
  }

  /** Where a resumable download into `file` stood at its last voucher (undefined if none was recorded). */
  download(file: string): DownloadCheckpoint | undefined {
    const r = this.db.prepare("SELECT * FROM downloads WHERE file = ?").get(file) as Row | undefined;
    if (!r) return undefined;
    return { file, blobId: String(r.blob_id), durableTo: Number(r.durable_to), channelId: String(r.channel_id), signed: fromHex64(String(r.signed)) };
  }

  /** Forgets a finished (or abandoned) download's checkpoint. */
  forgetDownload(file: string): void {
    this.db.prepare("DELETE FROM downloads WHERE file = ?").run(file);
  }

  channel(channelId: string): ClientChannel | undefined {
    const row = this.db.prepare("SELECT * FROM channels WHERE channel_id = ?").get(channelId.toLowerCase()) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  channelsFor(nodeKey: string): ClientChannel[] {
    return (this.db.prepare("SELECT * FROM channels WHERE node_key = ? ORDER BY created_at DESC").all(nodeKey.toLowerCase()) as Row[]).map(fromRow);
  }

  channels(): ClientChannel[] {
    return (this.db.prepare("SELECT * FROM channels ORDER BY created_at").all() as Row[]).map(fromRow);
  }
}

function fromRow(r: Row): ClientChannel {
  return {
    channelId: String(r.channel_id),
    nodeKey: String(r.node_key),
    nodeId: BigInt(String(r.node_id)),
    deposit: fromHex64(String(r.deposit)),
    signed: fromHex64(String(r.signed)),
    signature: r.signature ? new Uint8Array(r.signature as Uint8Array) : undefined,
    status: String(r.status),
  };
}
