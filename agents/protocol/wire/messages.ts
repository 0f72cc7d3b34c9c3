/**
 * Typed wire messages: decode → validate → typed value, or a typed error. Every decode
 * function takes the frame body (without length prefix), checks it against the message
 * type's hard cap, decodes it with the generated protons codec, and validates every field
 * (sizes, ranges, exactly one oneof member) before returning plain typed values: ids and
 * addresses as lower-case 0x hex (as the EIP-712 values in eip712.ts), amounts as bigint,
 * hashes, data and signatures as bytes (views into the input buffer, not copies). It throws
 * only FrameTooLargeError, WireDecodeError or WireValidationError.
 */
import { LEAF_SIZE, MAX_MULTIADDRS, MAX_MULTIADDR_BYTES } from "../constants.js";
import type { ContentRecordValue, NodeAnnouncementValue, ServeCommitmentValue, VoucherValue, WatchtowerAuthValue } from "../eip712.js";
import { FrameTooLargeError, WireDecodeError, WireValidationError } from "../errors.js";
import { bigintToBytes, bytesToBigint, fromHex, toHex } from "../bytes.js";
import * as pb from "./cdn.js";

/** Most leaf hashes in one LeafHashes message (8,000 × 32 B = 250 KiB; 2 GiB of blob). */
export const MAX_LEAF_HASHES_PER_MESSAGE = 8000;
/** Most nodes in a range proof (a tree of 2^53 leaves needs at most 2 × 53). */
export const MAX_PROOF_NODES = 106;
export const MAX_REFUSAL_MESSAGE_LENGTH = 256;
export const MAX_BPS = 10_000;

/** Hard cap in bytes of one frame body, per message type (docs/protocol.md, "Wire"). */
export const FRAME_CAPS = {
  ProbeRequest: 64,
  ProbeResponse: 128,
  FetchClientMessage: 512,
  FetchServerMessage: LEAF_SIZE + 4096,
  WatchtowerRequest: 512,
  WatchtowerResponse: 512,
  /** 8 multiaddrs of 256 bytes (the registry's limits) plus the rest of an announcement. */
  GossipMessage: 4096,
} as const;

export type MessageType = keyof typeof FRAME_CAPS;

export interface Signed<T> {
  value: T;
  signature: Uint8Array;
}

export type ProbeStatus = "HAVE" | "MISS" | "BUSY";
export interface ProbeRequestMsg {
  blobId: string;
}
export interface ProbeResponseMsg {
  status: ProbeStatus;
  size: number;
  pricePerGiB: bigint;
  load: number;
}
export interface FetchRequestMsg {
  blobId: string;
  channelId: string;
  offset: number;
  length: number;
}
export interface FetchHeaderMsg {
  commitment: Signed<ServeCommitmentValue>;
  record: Signed<ContentRecordValue>;
  firstLeaf: number;
  leafCount: number;
  pricePerGiB: bigint;
  /** Cumulative value of what the node sent on this channel before this stream (≥ its best voucher); the client settles up to it first. */
  owed?: bigint;
}
export interface LeafHashesMsg {
  firstLeaf: number;
  hashes: Uint8Array;
  proof: Uint8Array;
}
export interface ChunkMsg {
  leafIndex: number;
  data: Uint8Array;
}
export type RefusalCode = "NOT_FOUND" | "BLACKLISTED" | "BUSY" | "CHANNEL_INSUFFICIENT" | "NOT_CHANNEL_OWNER" | "BAD_VOUCHER" | "BAD_REQUEST";
export interface RefusalMsg {
  code: RefusalCode;
  message: string;
  retryAfterMs: number;
}
export type FetchClientMsg = { kind: "request"; request: FetchRequestMsg } | { kind: "voucher"; voucher: Signed<VoucherValue> };
export type FetchServerMsg =
  { kind: "header"; header: FetchHeaderMsg } | { kind: "leafHashes"; leafHashes: LeafHashesMsg } | { kind: "chunk"; chunk: ChunkMsg } | { kind: "refusal"; refusal: RefusalMsg };
export type WatchtowerRequestMsg = { kind: "auth"; auth: Signed<WatchtowerAuthValue> } | { kind: "update"; voucher: Signed<VoucherValue> };
export type WatchtowerStatus = "OK" | "STALE" | "REJECTED";
export interface WatchtowerResponseMsg {
  status: WatchtowerStatus;
  message: string;
}
export type GossipMsg = { kind: "announcement"; announcement: Signed<NodeAnnouncementValue> } | { kind: "contentRecord"; record: Signed<ContentRecordValue> };

// ---- field validators ----

const utf8 = new TextEncoder();

class V {
  constructor(readonly type: string) {}
  fail(field: string, reason: string): never {
    throw new WireValidationError(this.type, field, reason);
  }
  fixed(field: string, b: Uint8Array | undefined, n: number): Uint8Array {
    if (b === undefined || b.length !== n) this.fail(field, `must be ${n} bytes, got ${b?.length ?? "none"}`);
    return b;
  }
  hex(field: string, b: Uint8Array | undefined, n: number): string {
    return toHex(this.fixed(field, b, n));
  }
  uint256(field: string, b: Uint8Array | undefined): bigint {
    if (b === undefined) return 0n;
    if (b.length > 32) this.fail(field, "longer than 32 bytes");
    if (b.length > 0 && b[0] === 0) this.fail(field, "leading zero byte (not minimal)");
    return bytesToBigint(b);
  }
  safe(field: string, v: bigint): number {
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(field, "exceeds 2^53 - 1");
    return Number(v);
  }
  max(field: string, v: number, max: number): number {
    if (v > max) this.fail(field, `exceeds ${max}`);
    return v;
  }
  present<T>(field: string, v: T | undefined): T {
    if (v === undefined || v === null) this.fail(field, "missing");
    return v;
  }
  words(field: string, b: Uint8Array, min: number, max: number): Uint8Array {
    if (b.length % 32 !== 0) this.fail(field, "length is not a multiple of 32");
    if (b.length / 32 < min || b.length / 32 > max) this.fail(field, `must hold ${min}..${max} hashes`);
    return b;
  }
  text(field: string, s: string, max: number): string {
    if (s.length > max) this.fail(field, `longer than ${max} characters`);
    return s;
  }
  utf8(field: string, s: string, maxBytes: number): string {
    if (utf8.encode(s).length > maxBytes) this.fail(field, `longer than ${maxBytes} bytes`);
    return s;
  }
}

interface PbMessage<T> {
  encode(obj: Partial<T>): Uint8Array;
  decode(buf: Uint8Array, opts?: { limits?: any }): T; // eslint-disable-line @typescript-eslint/no-explicit-any
}

function decodeRaw<T>(type: MessageType, codec: PbMessage<T>, bytes: Uint8Array, limits?: Record<string, unknown>): T {
  const cap = FRAME_CAPS[type];
  if (bytes.length > cap) throw new FrameTooLargeError(bytes.length, cap);
  try {
    return codec.decode(bytes, limits ? { limits } : undefined);
  } catch (cause) {
    throw new WireDecodeError(type, { cause });
  }
}

function checkedEncode<T>(type: MessageType, codec: PbMessage<T>, value: T): Uint8Array {
  const out = codec.encode(value);
  if (out.length > FRAME_CAPS[type]) throw new FrameTooLargeError(out.length, FRAME_CAPS[type]);
  return out;
}

/** Exactly one oneof member set. */
function oneOf<T extends object>(v: V, obj: T): keyof T {
  const set = (Object.keys(obj) as (keyof T)[]).filter((k) => obj[k] !== undefined && obj[k] !== null);
  if (set.length !== 1) v.fail("body", `exactly one member must be set, got ${set.length}`);
  return set[0];
}

// ---- shared signed objects ----

function voucherFrom(v: V, m: pb.Voucher, at: string): Signed<VoucherValue> {
  return {
    value: { channelId: v.hex(`${at}.channelId`, m.channelId, 32), cumulativeAmount: v.uint256(`${at}.cumulativeAmount`, m.cumulativeAmount) },
    signature: v.fixed(`${at}.signature`, m.signature, 65),
  };
}
function voucherTo(s: Signed<VoucherValue>): pb.Voucher {
  return { channelId: b(fromHex(s.value.channelId, 32)), cumulativeAmount: b(bigintToBytes(s.value.cumulativeAmount)), signature: b(s.signature) };
}

function commitmentFrom(v: V, m: pb.ServeCommitment, at: string): Signed<ServeCommitmentValue> {
  return {
    value: {
      blobId: v.hex(`${at}.blobId`, m.blobId, 32),
      client: v.hex(`${at}.client`, m.client, 20),
      channelId: v.hex(`${at}.channelId`, m.channelId, 32),
      timestamp: m.timestamp,
      anchorBlock: m.anchorBlock,
      anchorHash: v.hex(`${at}.anchorHash`, m.anchorHash, 32),
    },
    signature: v.fixed(`${at}.signature`, m.signature, 65),
  };
}
function commitmentTo(s: Signed<ServeCommitmentValue>): pb.ServeCommitment {
  const c = s.value;
  return {
    blobId: b(fromHex(c.blobId, 32)),
    client: b(fromHex(c.client, 20)),
    channelId: b(fromHex(c.channelId, 32)),
    timestamp: c.timestamp,
    anchorBlock: c.anchorBlock,
    anchorHash: b(fromHex(c.anchorHash, 32)),
    signature: b(s.signature),
  };
}

function recordFrom(v: V, m: pb.ContentRecord, at: string): Signed<ContentRecordValue> {
  return {
    value: {
      blobId: v.hex(`${at}.blobId`, m.blobId, 32),
      size: BigInt(v.safe(`${at}.size`, m.size)),
      origin: v.uint256(`${at}.origin`, m.origin),
      epoch: m.epoch,
      timestamp: m.timestamp,
    },
    signature: v.fixed(`${at}.signature`, m.signature, 65),
  };
}
function recordTo(s: Signed<ContentRecordValue>): pb.ContentRecord {
  const r = s.value;
  return { blobId: b(fromHex(r.blobId, 32)), size: r.size, origin: b(bigintToBytes(r.origin)), epoch: r.epoch, timestamp: r.timestamp, signature: b(s.signature) };
}

function authFrom(v: V, m: pb.WatchtowerAuth, at: string): Signed<WatchtowerAuthValue> {
  return {
    value: {
      nodeId: v.uint256(`${at}.nodeId`, m.nodeId),
      watchtower: v.hex(`${at}.watchtower`, m.watchtower, 20),
      beneficiary: v.hex(`${at}.beneficiary`, m.beneficiary, 20),
      maxBps: v.max(`${at}.maxBps`, m.maxBps, MAX_BPS),
      expiry: m.expiry,
    },
    signature: v.fixed(`${at}.signature`, m.signature, 65),
  };
}
function authTo(s: Signed<WatchtowerAuthValue>): pb.WatchtowerAuth {
  const a = s.value;
  return { nodeId: b(bigintToBytes(a.nodeId)), watchtower: b(fromHex(a.watchtower, 20)), beneficiary: b(fromHex(a.beneficiary, 20)), maxBps: a.maxBps, expiry: a.expiry, signature: b(s.signature) };
}

function announcementFrom(v: V, m: pb.NodeAnnouncement, at: string): Signed<NodeAnnouncementValue> {
  if (m.multiaddrs.length > MAX_MULTIADDRS) v.fail(`${at}.multiaddrs`, `more than ${MAX_MULTIADDRS}`);
  m.multiaddrs.forEach((a, i) => {
    if (a.length === 0) v.fail(`${at}.multiaddrs[${i}]`, "empty");
    v.utf8(`${at}.multiaddrs[${i}]`, a, MAX_MULTIADDR_BYTES);
  });
  return {
    value: {
      nodeKey: v.hex(`${at}.nodeKey`, m.nodeKey, 20),
      region: v.max(`${at}.region`, m.region, 0xffff),
      pricePerGiB: v.uint256(`${at}.pricePerGiB`, m.pricePerGiB),
      load: v.max(`${at}.load`, m.load, MAX_BPS),
      sequence: m.sequence,
      timestamp: m.timestamp,
      multiaddrs: m.multiaddrs,
    },
    signature: v.fixed(`${at}.signature`, m.signature, 65),
  };
}
function announcementTo(s: Signed<NodeAnnouncementValue>): pb.NodeAnnouncement {
  const a = s.value;
  return {
    nodeKey: b(fromHex(a.nodeKey, 20)),
    region: a.region,
    pricePerGiB: b(bigintToBytes(a.pricePerGiB)),
    load: a.load,
    sequence: a.sequence,
    timestamp: a.timestamp,
    multiaddrs: a.multiaddrs,
    signature: b(s.signature),
  };
}

/** protons' types want Uint8Array<ArrayBuffer>. */
function b(u: Uint8Array): Uint8Array<ArrayBuffer> {
  return u as Uint8Array<ArrayBuffer>;
}

// ---- probe ----

export function encodeProbeRequest(m: ProbeRequestMsg): Uint8Array {
  return checkedEncode("ProbeRequest", pb.ProbeRequest, { blobId: b(fromHex(m.blobId, 32)) });
}
export function decodeProbeRequest(bytes: Uint8Array): ProbeRequestMsg {
  const v = new V("ProbeRequest");
  const m = decodeRaw("ProbeRequest", pb.ProbeRequest, bytes);
  return { blobId: v.hex("blobId", m.blobId, 32) };
}

export function encodeProbeResponse(m: ProbeResponseMsg): Uint8Array {
  return checkedEncode("ProbeResponse", pb.ProbeResponse, {
    status: pb.ProbeResponse.Status[m.status],
    size: BigInt(m.size),
    pricePerGiB: b(bigintToBytes(m.pricePerGiB)),
    load: m.load,
  });
}
export function decodeProbeResponse(bytes: Uint8Array): ProbeResponseMsg {
  const v = new V("ProbeResponse");
  const m = decodeRaw("ProbeResponse", pb.ProbeResponse, bytes);
  if (m.status === pb.ProbeResponse.Status.STATUS_UNSPECIFIED) v.fail("status", "unspecified");
  return { status: m.status as ProbeStatus, size: v.safe("size", m.size), pricePerGiB: v.uint256("pricePerGiB", m.pricePerGiB), load: v.max("load", m.load, MAX_BPS) };
}

// ---- fetch ----

export function encodeFetchClientMessage(m: FetchClientMsg): Uint8Array {
  const msg: pb.FetchClientMessage =
    m.kind === "request"
      ? { request: { blobId: b(fromHex(m.request.blobId, 32)), channelId: b(fromHex(m.request.channelId, 32)), offset: BigInt(m.request.offset), length: BigInt(m.request.length) } }
      : { voucher: voucherTo(m.voucher) };
  return checkedEncode("FetchClientMessage", pb.FetchClientMessage, msg);
}
export function decodeFetchClientMessage(bytes: Uint8Array): FetchClientMsg {
  const v = new V("FetchClientMessage");
  const m = decodeRaw("FetchClientMessage", pb.FetchClientMessage, bytes);
  const k = oneOf(v, m);
  if (k === "request") {
    const r = m.request!;
    const offset = v.safe("request.offset", r.offset);
    const length = v.safe("request.length", r.length);
    if (offset + length > Number.MAX_SAFE_INTEGER) v.fail("request.length", "range end exceeds 2^53 - 1");
    return { kind: "request", request: { blobId: v.hex("request.blobId", r.blobId, 32), channelId: v.hex("request.channelId", r.channelId, 32), offset, length } };
  }
  return { kind: "voucher", voucher: voucherFrom(v, m.voucher!, "voucher") };
}

export function encodeFetchServerMessage(m: FetchServerMsg): Uint8Array {
  let msg: pb.FetchServerMessage;
  switch (m.kind) {
    case "header":
      msg = {
        header: {
          commitment: commitmentTo(m.header.commitment),
          record: recordTo(m.header.record),
          firstLeaf: m.header.firstLeaf,
          leafCount: m.header.leafCount,
          pricePerGiB: b(bigintToBytes(m.header.pricePerGiB)),
          owed: b(bigintToBytes(m.header.owed ?? 0n)),
        },
      };
      break;
    case "leafHashes":
      msg = { leafHashes: { firstLeaf: m.leafHashes.firstLeaf, hashes: b(m.leafHashes.hashes), proof: b(m.leafHashes.proof) } };
      break;
    case "chunk":
      msg = { chunk: { leafIndex: m.chunk.leafIndex, data: b(m.chunk.data) } };
      break;
    case "refusal":
      msg = { refusal: { code: pb.Refusal.Code[m.refusal.code], message: m.refusal.message, retryAfterMs: m.refusal.retryAfterMs } };
      break;
  }
  return checkedEncode("FetchServerMessage", pb.FetchServerMessage, msg);
}
export function decodeFetchServerMessage(bytes: Uint8Array): FetchServerMsg {
  const v = new V("FetchServerMessage");
  const m = decodeRaw("FetchServerMessage", pb.FetchServerMessage, bytes);
  const k = oneOf(v, m);
  switch (k) {
    case "header": {
      const h = m.header!;
      const leafCount = h.leafCount;
      if (leafCount < 1) v.fail("header.leafCount", "must be at least 1");
      return {
        kind: "header",
        header: {
          commitment: commitmentFrom(v, v.present("header.commitment", h.commitment), "header.commitment"),
          record: recordFrom(v, v.present("header.record", h.record), "header.record"),
          firstLeaf: h.firstLeaf,
          leafCount,
          pricePerGiB: v.uint256("header.pricePerGiB", h.pricePerGiB),
          ...(h.owed.length > 0 ? { owed: v.uint256("header.owed", h.owed) } : {}),
        },
      };
    }
    case "leafHashes": {
      const l = m.leafHashes!;
      return {
        kind: "leafHashes",
        leafHashes: { firstLeaf: l.firstLeaf, hashes: v.words("leafHashes.hashes", l.hashes, 1, MAX_LEAF_HASHES_PER_MESSAGE), proof: v.words("leafHashes.proof", l.proof, 0, MAX_PROOF_NODES) },
      };
    }
    case "chunk": {
      const c = m.chunk!;
      if (c.data.length > LEAF_SIZE) v.fail("chunk.data", `longer than ${LEAF_SIZE} bytes`);
      return { kind: "chunk", chunk: { leafIndex: c.leafIndex, data: c.data } };
    }
    default: {
      const r = m.refusal!;
      if (r.code === pb.Refusal.Code.CODE_UNSPECIFIED) v.fail("refusal.code", "unspecified");
      return { kind: "refusal", refusal: { code: r.code as RefusalCode, message: v.text("refusal.message", r.message, MAX_REFUSAL_MESSAGE_LENGTH), retryAfterMs: r.retryAfterMs } };
    }
  }
}

// ---- watchtower ----

export function encodeWatchtowerRequest(m: WatchtowerRequestMsg): Uint8Array {
  const msg: pb.WatchtowerRequest = m.kind === "auth" ? { auth: authTo(m.auth) } : { update: { voucher: voucherTo(m.voucher) } };
  return checkedEncode("WatchtowerRequest", pb.WatchtowerRequest, msg);
}
export function decodeWatchtowerRequest(bytes: Uint8Array): WatchtowerRequestMsg {
  const v = new V("WatchtowerRequest");
  const m = decodeRaw("WatchtowerRequest", pb.WatchtowerRequest, bytes);
  const k = oneOf(v, m);
  if (k === "auth") return { kind: "auth", auth: authFrom(v, m.auth!, "auth") };
  return { kind: "update", voucher: voucherFrom(v, v.present("update.voucher", m.update!.voucher), "update.voucher") };
}

export function encodeWatchtowerResponse(m: WatchtowerResponseMsg): Uint8Array {
  return checkedEncode("WatchtowerResponse", pb.WatchtowerResponse, { status: pb.WatchtowerResponse.Status[m.status], message: m.message });
}
export function decodeWatchtowerResponse(bytes: Uint8Array): WatchtowerResponseMsg {
  const v = new V("WatchtowerResponse");
  const m = decodeRaw("WatchtowerResponse", pb.WatchtowerResponse, bytes);
  if (m.status === pb.WatchtowerResponse.Status.STATUS_UNSPECIFIED) v.fail("status", "unspecified");
  return { status: m.status as WatchtowerStatus, message: v.text("message", m.message, MAX_REFUSAL_MESSAGE_LENGTH) };
}

// ---- gossip ----

export function encodeGossipMessage(m: GossipMsg): Uint8Array {
  const msg: pb.GossipMessage = m.kind === "announcement" ? { announcement: announcementTo(m.announcement) } : { contentRecord: recordTo(m.record) };
  return checkedEncode("GossipMessage", pb.GossipMessage, msg);
}
export function decodeGossipMessage(bytes: Uint8Array): GossipMsg {
  const v = new V("GossipMessage");
  const m = decodeRaw("GossipMessage", pb.GossipMessage, bytes, { announcement: { multiaddrs: MAX_MULTIADDRS } });
  const k = oneOf(v, m);
  if (k === "announcement") return { kind: "announcement", announcement: announcementFrom(v, m.announcement!, "announcement") };
  return { kind: "contentRecord", record: recordFrom(v, m.contentRecord!, "contentRecord") };
}
