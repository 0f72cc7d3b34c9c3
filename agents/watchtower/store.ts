/**
 * The watchtower's durable state (node:sqlite, WAL, synchronous=FULL): the best voucher of every
 * channel it watches, with the node's WatchtowerAuth for it; the latest auth of every node key;
 * the last on-chain state seen per channel; every dispute outcome; the chain follower's cursor.
 *
 * An update is acknowledged only after its transaction committed (fsync). Amounts are 64-digit
 * lower-case hex so SQL compares them numerically; the upsert only ever raises a channel's
 * voucher, so concurrent streams cannot lower it.
 */
import type { WatchtowerAuthValue } from "../protocol/eip712.js";
import type { ChannelStatusName } from "../chain/contracts.js";
import { CURSOR_HASHES_MIGRATION, FollowerStore } from "../runtime/cursor.js";
import { column, rowReader, toHex64, type Row } from "../runtime/sqlite.js";

const MIGRATIONS = [
  `CREATE TABLE vouchers (
     channel_id TEXT PRIMARY KEY,
     node_key TEXT NOT NULL,
     payer TEXT NOT NULL,
     amount TEXT NOT NULL,
     signature BLOB NOT NULL,
     auth_node_key TEXT NOT NULL,
     beneficiary TEXT NOT NULL,
     max_bps INTEGER NOT NULL,
     auth_signature BLOB NOT NULL,
     status TEXT NOT NULL DEFAULT 'Open',
     closes_at INTEGER NOT NULL DEFAULT 0,
     paid TEXT NOT NULL DEFAULT '${toHex64(0n)}',
     updated_at INTEGER NOT NULL
   );
   CREATE INDEX vouchers_status ON vouchers(status);
   CREATE TABLE auths (
     node_key TEXT PRIMARY KEY,
     beneficiary TEXT NOT NULL,
     max_bps INTEGER NOT NULL,
     signature BLOB NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE disputes (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     channel_id TEXT NOT NULL,
     amount TEXT NOT NULL,
     outcome TEXT NOT NULL,
     tx_hash TEXT,
     recovered TEXT NOT NULL DEFAULT '${toHex64(0n)}',
     bounty TEXT NOT NULL DEFAULT '${toHex64(0n)}',
     beneficiary TEXT,
     detail TEXT,
     at INTEGER NOT NULL
   );
   CREATE INDEX disputes_channel ON disputes(channel_id);
   CREATE TABLE cursor (name TEXT PRIMARY KEY, block INTEGER NOT NULL);`,
  CURSOR_HASHES_MIGRATION,
  // WatchtowerAuth v2: bound to a node id, the submitting watchtower and an expiry. Rows from v1
  // (no node id, expiry 0) read as expired: disputes still go out, without a bounty claim.
  `ALTER TABLE vouchers ADD COLUMN auth_node_id TEXT NOT NULL DEFAULT '0';
   ALTER TABLE vouchers ADD COLUMN auth_watchtower TEXT NOT NULL DEFAULT '0x0000000000000000000000000000000000000000';
   ALTER TABLE vouchers ADD COLUMN auth_expiry INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE auths ADD COLUMN node_id TEXT NOT NULL DEFAULT '0';
   ALTER TABLE auths ADD COLUMN watchtower TEXT NOT NULL DEFAULT '0x0000000000000000000000000000000000000000';
   ALTER TABLE auths ADD COLUMN expiry INTEGER NOT NULL DEFAULT 0;`,
];

export interface SignedAuth {
  value: WatchtowerAuthValue;
  signature: Uint8Array;
}

/** A node's auth as the watchtower keeps it: with the authenticated node key that sent it. */
export interface HeldAuth extends SignedAuth {
  nodeKey: string;
}

export interface HeldVoucher {
  channelId: string;
  /** The authenticated node key that pushed it. */
  nodeKey: string;
  payer: string;
  amount: bigint;
  signature: Uint8Array;
  auth: HeldAuth;
  /** Last on-chain state seen. */
  status: ChannelStatusName;
  closesAt: bigint;
  paid: bigint;
  updatedAt: number;
}

/**
 * disputed: our dispute was mined (recovered, bounty); not_needed: on-chain paid already reached
 * our voucher; missed: the window ended first; failed: the contract refused it for another reason.
 */
export type DisputeOutcome = "disputed" | "not_needed" | "missed" | "failed";

export interface DisputeRecord {
  id: number;
  channelId: string;
  amount: bigint;
  outcome: DisputeOutcome;
  txHash?: string;
  recovered: bigint;
  bounty: bigint;
  beneficiary?: string;
  detail?: string;
  at: number;
}

export class WatchtowerStore extends FollowerStore {
  constructor(file: string) {
    super(file, MIGRATIONS);
  }

  // ---- vouchers ----

  /**
   * Durably stores a voucher (with the auth to dispute it) if it raises the channel's held
   * amount: one fsync'd transaction. Returns false when an equal or better voucher is held.
   */
  saveVoucher(v: { channelId: string; nodeKey: string; payer: string; amount: bigint; signature: Uint8Array; auth: HeldAuth; status: ChannelStatusName; closesAt: bigint; paid: bigint }): boolean {
    const r = this.db
      .prepare(
        `INSERT INTO vouchers (channel_id, node_key, payer, amount, signature, auth_node_key, beneficiary, max_bps, auth_signature,
           auth_node_id, auth_watchtower, auth_expiry, status, closes_at, paid, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(channel_id) DO UPDATE SET node_key = excluded.node_key, amount = excluded.amount, signature = excluded.signature,
           auth_node_key = excluded.auth_node_key, beneficiary = excluded.beneficiary, max_bps = excluded.max_bps,
           auth_signature = excluded.auth_signature, auth_node_id = excluded.auth_node_id, auth_watchtower = excluded.auth_watchtower,
           auth_expiry = excluded.auth_expiry, status = excluded.status, closes_at = excluded.closes_at, paid = excluded.paid,
           updated_at = excluded.updated_at
         WHERE excluded.amount > vouchers.amount`,
      )
      .run(
        v.channelId.toLowerCase(),
        v.nodeKey.toLowerCase(),
        v.payer.toLowerCase(),
        toHex64(v.amount),
        v.signature,
        v.auth.nodeKey.toLowerCase(),
        v.auth.value.beneficiary.toLowerCase(),
        v.auth.value.maxBps,
        v.auth.signature,
        v.auth.value.nodeId.toString(),
        v.auth.value.watchtower.toLowerCase(),
        Number(v.auth.value.expiry),
        v.status,
        Number(v.closesAt),
        toHex64(v.paid),
        Date.now(),
      );
    return Number(r.changes) > 0;
  }

  voucher(channelId: string): HeldVoucher | undefined {
    return this.one(voucherFromRow, "SELECT * FROM vouchers WHERE channel_id = ?", channelId.toLowerCase());
  }

  /** Channels not known to be closed (the startup rescan reads these). */
  /** Every held channel, closed ones too (the rescan after a reorg re-reads them all). */
  held(): HeldVoucher[] {
    return this.many(voucherFromRow, "SELECT * FROM vouchers ORDER BY channel_id");
  }

  unsettled(): HeldVoucher[] {
    return this.many(voucherFromRow, "SELECT * FROM vouchers WHERE status <> 'Closed' ORDER BY channel_id");
  }

  /** Records the last on-chain state seen for a held channel (no-op for channels not held). */
  saveChainState(channelId: string, s: { status: ChannelStatusName; closesAt: bigint; paid?: bigint }): void {
    if (s.paid === undefined) {
      this.db.prepare("UPDATE vouchers SET status = ?, closes_at = ? WHERE channel_id = ?").run(s.status, Number(s.closesAt), channelId.toLowerCase());
    } else {
      this.db.prepare("UPDATE vouchers SET status = ?, closes_at = ?, paid = ? WHERE channel_id = ?").run(s.status, Number(s.closesAt), toHex64(s.paid), channelId.toLowerCase());
    }
  }

  counts(): { channels: number; byStatus: Record<string, number> } {
    const rows = this.db.prepare("SELECT status, COUNT(*) AS n FROM vouchers GROUP BY status").all() as Row[];
    const byStatus: Record<string, number> = {};
    let channels = 0;
    for (const r of rows) {
      byStatus[String(r.status)] = Number(r.n);
      channels += Number(r.n);
    }
    return { channels, byStatus };
  }

  // ---- auths ----

  /** Keeps `auth` as the latest authorisation of the node key that sent it. */
  saveAuth(auth: HeldAuth): void {
    const a = auth.value;
    this.db
      .prepare(
        `INSERT INTO auths (node_key, beneficiary, max_bps, signature, node_id, watchtower, expiry, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(node_key) DO UPDATE SET beneficiary = excluded.beneficiary, max_bps = excluded.max_bps, signature = excluded.signature,
           node_id = excluded.node_id, watchtower = excluded.watchtower, expiry = excluded.expiry, updated_at = excluded.updated_at`,
      )
      .run(auth.nodeKey.toLowerCase(), a.beneficiary.toLowerCase(), a.maxBps, auth.signature, a.nodeId.toString(), a.watchtower.toLowerCase(), Number(a.expiry), Date.now());
  }

  auth(nodeKey: string): HeldAuth | undefined {
    return this.one((r) => ({ nodeKey: String(r.node_key), value: authValueFromRow(r), signature: column.bytes(r.signature) }), "SELECT * FROM auths WHERE node_key = ?", nodeKey.toLowerCase());
  }

  /** Ids of the nodes that authorised this watchtower or whose vouchers it holds (their channels' events are followed). */
  nodeIds(): bigint[] {
    const rows = this.db.prepare("SELECT node_id FROM auths WHERE node_id != '0' UNION SELECT auth_node_id AS node_id FROM vouchers WHERE auth_node_id != '0'").all() as Row[];
    return rows.map((r) => BigInt(String(r.node_id)));
  }

  // ---- disputes ----

  recordDispute(d: Omit<DisputeRecord, "id" | "at">): void {
    this.db
      .prepare("INSERT INTO disputes (channel_id, amount, outcome, tx_hash, recovered, bounty, beneficiary, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .run(d.channelId.toLowerCase(), toHex64(d.amount), d.outcome, d.txHash ?? null, toHex64(d.recovered), toHex64(d.bounty), d.beneficiary ?? null, d.detail ?? null, Date.now());
  }

  disputes(channelId?: string): DisputeRecord[] {
    return channelId ? this.many(disputeFromRow, "SELECT * FROM disputes WHERE channel_id = ? ORDER BY id", channelId.toLowerCase()) : this.many(disputeFromRow, "SELECT * FROM disputes ORDER BY id");
  }
}

const disputeFromRow = rowReader<DisputeRecord>({
  id: column.int,
  channelId: column.text,
  amount: column.amount,
  outcome: column.oneOf<DisputeOutcome>(),
  txHash: column.optional(column.text),
  recovered: column.amount,
  bounty: column.amount,
  beneficiary: column.optional(column.text),
  detail: column.optional(column.text),
  at: column.int,
});

const authValueFromRow = rowReader<WatchtowerAuthValue>({ nodeId: column.bigint, watchtower: column.text, beneficiary: column.text, maxBps: column.int, expiry: column.bigint });
/** A voucher row carries its authorisation in `auth_*` columns (beneficiary and max_bps unprefixed). */
const authColumnsOfVoucher = (r: Row): Row => ({ node_id: r.auth_node_id, watchtower: r.auth_watchtower, beneficiary: r.beneficiary, max_bps: r.max_bps, expiry: r.auth_expiry });
const voucherColumns = rowReader<Omit<HeldVoucher, "auth">>({
  channelId: column.text,
  nodeKey: column.text,
  payer: column.text,
  amount: column.amount,
  signature: column.bytes,
  status: column.oneOf<ChannelStatusName>(),
  closesAt: column.bigint,
  paid: column.amount,
  updatedAt: column.int,
});

function voucherFromRow(r: Row): HeldVoucher {
  return { ...voucherColumns(r), auth: { nodeKey: String(r.auth_node_key), value: authValueFromRow(authColumnsOfVoucher(r)), signature: column.bytes(r.auth_signature) } };
}
