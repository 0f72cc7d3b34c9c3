/**
 * The client's embedded state (node:sqlite, WAL, synchronous=FULL): its channels, and for each
 * the highest cumulative amount it has signed, stored before the voucher is sent, so a restarted
 * client never signs for less than it already promised nor forgets what it owes.
 */
import { SqliteStore, fromHex64, toHex64 } from "../runtime/sqlite.js";

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
];

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

  /** Durably records a signed voucher (only ever raises the amount). Call before sending it. */
  recordSigned(channelId: string, amount: bigint, signature: Uint8Array): void {
    this.db
      .prepare("UPDATE channels SET signed = ?, signature = ?, updated_at = ? WHERE channel_id = ? AND signed < ?")
      .run(toHex64(amount), signature, Date.now(), channelId.toLowerCase(), toHex64(amount));
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
