/**
 * One paid download from one provider over one /cdn/fetch stream: request → header (serve
 * commitment and content record checked before any byte is accepted) → leaf hashes (checked
 * against the blob id) → chunks, each verified (StreamVerifier, hashed inline or on a worker
 * thread) before it is released or paid; vouchers are signed for verified bytes only, recorded
 * durably before they are sent, whenever the unpaid verified bytes reach the pay cadence
 * (agents/protocol/credit.ts), when the node stalls, and once at the end. Any failure aborts the
 * stream; bytes already released stay verified, bad bytes are never paid.
 */
import { isPeerId, type Libp2p, type PeerId } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import type { Multiaddr } from "@multiformats/multiaddr";
import { PROTOCOL_FETCH, DEFAULT_COMMITMENT_SKEW_SECONDS, LEAF_SIZE } from "../protocol/constants.js";
import { fromHex } from "../protocol/bytes.js";
import { payCadence, settleWindow } from "../protocol/credit.js";
import { leafRangeForBytes } from "../protocol/merkle.js";
import { amountOwed } from "../protocol/pricing.js";
import { checkServeCommitment, recoverVoucherSigner, signVoucher, verifyContentRecord, type BlockRef } from "../protocol/signed.js";
import { addressOfSecretKey } from "../protocol/secp.js";
import { leafDigest, StreamVerifier, type VerifiedChunk } from "../protocol/verifier.js";
import { decodeFetchServerMessage, encodeFetchClientMessage, FRAME_CAPS, type FetchHeaderMsg, type FetchServerMsg } from "../protocol/wire/messages.js";
import { decodeFetchServerFrame, type FetchServerFrame } from "../protocol/wire/chunk-frame.js";
import type { Uint8ArrayList } from "uint8arraylist";
import { FramedStream } from "../runtime/framed.js";
import { trace, tracing } from "../runtime/trace.js";
import { addressOfPeer } from "../runtime/peers.js";
import { openedEagerly, sentFirstBytes, type EagerStreamOptions } from "../runtime/eager-streams.js";
import { encodeFrame } from "../protocol/wire/framing.js";
import type { ClientChainView } from "./chain.js";
import { ChannelError, DepositShortError, FetchRefusedError, ProviderMisbehaviourError } from "./errors.js";
import type { ClientChannel, ClientStore } from "./store.js";
import { sharedHashPool } from "./hash-pool.js";

/** Leaves hashed on the worker ahead of the one being released. */
const HASH_DEPTH = 4;
/** Pay at once when the node sends nothing for this long while verified bytes are unpaid (ms). */
const DEFAULT_STALL_MS = 25;
const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
/** Node peer ids kept parsed (the oldest are forgotten beyond this). */
const MAX_PEER_IDS_REMEMBERED = 1_024;

export interface SessionRequest {
  /** The node: its PeerId, or its multiaddrs (an open connection is reused when they end with /p2p/<peer id>). */
  peer: PeerId | Multiaddr | Multiaddr[];
  /** The provider's active on-chain node key (lower-case). */
  nodeKey: string;
  /** Highest price per GiB the client accepts from this provider (its on-chain price). */
  maxPricePerGiB: bigint;
  channelId: string;
  blobId: string;
  /** Byte range; `length` 0 = to the end. */
  offset: number;
  length: number;
  /** Known blob size (from an earlier header), to check the record against. */
  size?: number;
}

export interface SessionDeps {
  /** `getConnections`: an open connection to the node is used as is (no dial). */
  host: Pick<Libp2p, "dial"> & Partial<Pick<Libp2p, "getConnections">>;
  chain: ClientChainView;
  store: ClientStore;
  /** The client's (voucher signer's) address and secret key. */
  address: string;
  secretKey: Uint8Array;
}

export interface SessionOptions {
  signal?: AbortSignal;
  /** Sign a voucher when this many verified bytes are unpaid (default: the pay cadence of agents/protocol/credit.ts). */
  payEvery?: number;
  /** Pay at once when the node sends nothing for this long while verified bytes are unpaid (ms, default 25). */
  stallMs?: number;
  maxSkewSeconds?: bigint;
  idleTimeoutMs?: number;
  /** Receives verified bytes, trimmed to the requested range, in order. */
  onData(bytes: Uint8Array, offset: number): void | Promise<void>;
  /** Hash leaves on a worker thread, pipelined (up to 4 leaves in flight), instead of inline. */
  hashInWorker?: boolean;
  /**
   * Most unverified bytes the client pays to settle what the node sent it earlier and it never
   * paid (an interrupted stream, a killed client): default one credit window of the protocol's
   * rule for what this payer paid the node (settleWindow: 1 MiB new, at most 64 MiB, always worth
   * less than opening a channel). A node claiming more is refused.
   */
  maxSettleBytes?: number;
  /**
   * A resumable download into `file`: before each voucher `sync()` makes every byte given to
   * onData durable, and the voucher is recorded with how far the file holds the blob (so a rerun
   * resumes there and never pays for those bytes twice).
   */
  durable?: { file: string; sync(): Promise<void> };
  /** Test hook: withhold vouchers (a cheating client). */
  withholdVouchers?: boolean;
  onHeader?(header: FetchHeaderMsg): void;
  /** Receives the blob's size once the content record verified (before any byte). */
  onSize?(size: number): void;
  /** Receives the range's leaf hashes once they verified against the blob id (a cache node's fan-out needs the whole layer). */
  onLeafHashes?(firstLeaf: number, hashes: Uint8Array): void;
  /** Appends the sequential network round trips this session takes before its first chunk (dial, request, chain reads). */
  steps?: string[];
}

export interface SessionResult {
  /** Bytes of the range delivered to onData. */
  delivered: number;
  /** Blob size from the content record. */
  size: number;
  /** Amount signed on the channel after this session (cumulative). */
  signed: bigint;
  pricePerGiB: bigint;
  /**
   * Set when the node did not end the stream cleanly after our last voucher (a reset, a dead
   * connection): that voucher may not have arrived. It stays in the store and is sent again at the
   * start of the next session on the channel.
   */
  unconfirmed?: bigint;
}

export type SessionError = (FetchRefusedError | ProviderMisbehaviourError | Error) & { delivered?: number; size?: number };

/** What the header settled: the blob's size, the leaf range served, the price. */
interface Served {
  size: number;
  /** End of the requested byte range (exclusive). */
  end: number;
  range: { first: number; count: number };
  pricePerGiB: bigint;
}

export async function runSession(req: SessionRequest, deps: SessionDeps, options: SessionOptions): Promise<SessionResult> {
  const channel = deps.store.channel(req.channelId);
  if (!channel) throw new ChannelError(`Channel ${req.channelId} is not in the client's store.`);
  const blobTag = req.blobId.slice(0, 10);
  const request = encodeFetchClientMessage({ kind: "request", request: { blobId: req.blobId, channelId: req.channelId, offset: req.offset, length: req.length } });
  let requestedAt = performance.now();
  const { framed, requestSent } = await openFetchStream(req, deps, options, encodeFrame(request));
  trace("session: stream open", { blob: blobTag, requestSent });
  const progress = { delivered: 0, size: req.size ?? -1 };
  let payer: Payer | undefined;
  try {
    const chainHead = deps.chain.head(); // read while the node prepares its answer
    chainHead.catch(() => undefined);
    if (!requestSent) {
      requestedAt = performance.now();
      await framed.write(request);
    }
    options.steps?.push("request");
    trace("session: request sent", { blob: blobTag });
    const header = await expectHeader(framed);
    // the request's round trip (with the node's work on it: an upper bound), for the pay cadence
    const rttMs = performance.now() - requestedAt;
    trace("session: header", { blob: blobTag });
    options.onHeader?.(header);
    await checkCommitment(header, req, deps, options, await chainHead);
    trace("session: commitment checked", { blob: blobTag });
    progress.size = await checkRecord(header, req, deps, options);
    trace("session: record checked", { blob: blobTag });
    options.onSize?.(progress.size);
    const served = checkOffer(header, req, progress.size);
    const verifier = await expectLeafHashes(framed, req, served, header.leafCount, options);
    trace("session: leaf hashes", { blob: blobTag });
    const sink = new RangeSink(req.offset, served.end, options.onData, progress);
    const otherChannels = paidOnOtherChannels(deps, req.nodeKey, channel.channelId);
    const base = settledBase(header, channel, served.pricePerGiB, otherChannels + channel.signed, options);
    checkDepositCovers(channel, served, base);
    payer = new Payer(framed, channel, req, deps, options, served.pricePerGiB, base, otherChannels, sink, rttMs);
    // our last voucher again (the node may never have received it: a connection that died after
    // it was sent), unless the settlement of what is owed supersedes it; then that settlement
    if (!payer.pay()) payer.redeliver();
    await receiveChunks(framed, verifier, payer, sink, options);
    payer.pay();
    await payer.flush();
    await framed.close();
    // drain until the node closes its side (it may still send a refusal for a bad voucher); an
    // error instead of a clean end leaves our last voucher unconfirmed
    let confirmed = true;
    const tail = await readMessage(framed).catch(() => ((confirmed = false), undefined));
    if (tail?.kind === "refusal") throw new FetchRefusedError(tail.refusal.code, tail.refusal.message);
    const unconfirmed = !confirmed && payer.signed > channel.signed ? payer.signed : undefined;
    return { delivered: progress.delivered, size: served.size, signed: payer.signed, pricePerGiB: served.pricePerGiB, unconfirmed };
  } catch (error) {
    // vouchers already signed pay for verified bytes only: they still leave (or fail on a dead
    // stream) before the stream is aborted and the channel used again
    await payer?.flush().catch(() => undefined);
    framed.abort(error as Error);
    throw Object.assign(error as SessionError, progress);
  }
}

/**
 * An open connection to the node (else a dial), the authenticated peer (noise) checked to be the
 * node key chosen, and the fetch stream, opened with the request (`frame`) going out with the
 * protocol id when the stream opens eagerly (`requestSent`).
 */
async function openFetchStream(req: SessionRequest, deps: SessionDeps, options: SessionOptions, frame: Uint8Array): Promise<{ framed: FramedStream; requestSent: boolean }> {
  const dialStarted = Date.now();
  // an open connection is used as is: libp2p's dial of a connected peer still takes ~1 ms to return it
  const peerId = peerIdOfRequest(req.peer);
  const open = peerId && deps.host.getConnections?.(peerId).find((c) => c.status === "open" && c.limits === undefined);
  const connection = open ?? (await deps.host.dial(req.peer, { signal: options.signal }));
  if (connection.timeline.open >= dialStarted) options.steps?.push("dial");
  trace("session: connection", { blob: req.blobId.slice(0, 10), dialled: open === undefined });
  if (addressOfPeer(connection.remotePeer) !== req.nodeKey) throw new ProviderMisbehaviourError("identity", "The peer is not the node it was dialled as.");
  // the request goes out with the protocol id (agents/runtime/eager-streams.ts), before newStream's own
  // work (a peer-store write) is done; else negotiation costs a round trip first
  const streamOptions: EagerStreamOptions & { signal?: AbortSignal } = { signal: options.signal, firstBytes: frame };
  const stream = await connection.newStream(PROTOCOL_FETCH, streamOptions);
  if (!openedEagerly(stream)) options.steps?.push("negotiate");
  const framed = new FramedStream(stream, { readCap: FRAME_CAPS.FetchServerMessage, idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, signal: options.signal });
  return { framed, requestSent: sentFirstBytes(stream) };
}

const parsedPeerIds = new Map<string, PeerId>();

/**
 * The node's PeerId as the request names it (itself, or a multiaddr's /p2p/ part), if it does. Parsed
 * once per id: parsing a secp256k1 id takes ~150 µs, more than the rest of the connection lookup.
 */
function peerIdOfRequest(peer: SessionRequest["peer"]): PeerId | undefined {
  if (isPeerId(peer)) return peer;
  for (const addr of Array.isArray(peer) ? peer : [peer]) {
    const id = addr.getComponents().findLast((c) => c.name === "p2p")?.value;
    if (id === undefined) continue;
    let peerId = parsedPeerIds.get(id);
    if (!peerId) {
      try {
        peerId = peerIdFromString(id);
      } catch {
        continue; // not a peer id: the dial reports the address
      }
      if (parsedPeerIds.size >= MAX_PEER_IDS_REMEMBERED) parsedPeerIds.delete(parsedPeerIds.keys().next().value as string);
      parsedPeerIds.set(id, peerId);
    }
    return peerId;
  }
  return undefined;
}

async function readMessage(framed: FramedStream): Promise<FetchServerMsg | undefined> {
  const body = await framed.read();
  return body && decodeOrThrow(() => decodeFetchServerMessage(body));
}

/** As readMessage, but a chunk's data stays in the pieces it arrived in (no copy to join them). */
async function readChunkMessage(framed: FramedStream): Promise<FetchServerFrame | undefined> {
  const body = await framed.readPieces();
  return body && decodeOrThrow(() => decodeFetchServerFrame(body));
}

function decodeOrThrow<T>(decode: () => T): T {
  try {
    return decode();
  } catch (cause) {
    throw new ProviderMisbehaviourError("wire", `The node sent an invalid message: ${(cause as Error).message}`, { cause });
  }
}

/** The next message, which must be of `kind` (a refusal is thrown as FetchRefusedError). */
async function expect<K extends FetchServerMsg["kind"]>(framed: FramedStream, kind: K, ended: string, order: string): Promise<Extract<FetchServerMsg, { kind: K }>> {
  const msg = await readMessage(framed);
  if (!msg) throw new ProviderMisbehaviourError("ended", ended);
  if (msg.kind === "refusal") throw new FetchRefusedError(msg.refusal.code, msg.refusal.message, msg.refusal.retryAfterMs);
  if (msg.kind !== kind) throw new ProviderMisbehaviourError("order", order);
  return msg as Extract<FetchServerMsg, { kind: K }>;
}

async function expectHeader(framed: FramedStream): Promise<FetchHeaderMsg> {
  return (await expect(framed, "header", "The node closed the stream without an answer.", "The node did not start with a header.")).header;
}

/**
 * The serve commitment: this request, this client, signed by the node's key, anchored to a recent
 * block of our chain (its hash, within DEFAULT_MAX_ANCHOR_AGE_BLOCKS of our head) whose timestamp it
 * carries (within the skew of chain time): so slashing can judge when it was served.
 */
async function checkCommitment(header: FetchHeaderMsg, req: SessionRequest, deps: SessionDeps, options: SessionOptions, head: BlockRef): Promise<void> {
  const request = { blobId: req.blobId, channelId: req.channelId, client: deps.address };
  const maxSkewSeconds = options.maxSkewSeconds ?? DEFAULT_COMMITMENT_SKEW_SECONDS;
  const c = header.commitment.value;
  const check = async (head: BlockRef) => {
    const anchor = c.anchorBlock === head.number ? head : await deps.chain.block(c.anchorBlock);
    // older than the skew: after minutes without a block, the node's view may be a poll behind the block that ended them
    const behind = c.timestamp + maxSkewSeconds < head.timestamp && c.anchorBlock < head.number;
    const next = !behind ? undefined : c.anchorBlock + 1n === head.number ? head : await deps.chain.block(c.anchorBlock + 1n);
    checkServeCommitment({ domain: deps.chain.channelDomain, commitment: c, signature: header.commitment.signature, request, nodeKey: req.nodeKey, head, anchor, next, maxSkewSeconds });
  };
  try {
    // anchored past our head: ours predates the block the node read (a head reused for a second, our own open just mined):
    // a head that reaches the anchor: the background read the request started (a head older than its reuse), else one read now
    await check(c.anchorBlock > head.number ? await deps.chain.head({ atLeast: c.anchorBlock }) : head);
  } catch (cause) {
    throw new ProviderMisbehaviourError("commitment", `The node's serve commitment is not acceptable: ${(cause as Error).message}`, { cause });
  }
}

/** The price (at most the node's on-chain price) and the leaf range (the one requested). */
function checkOffer(header: FetchHeaderMsg, req: SessionRequest, size: number): Served {
  if (header.pricePerGiB > req.maxPricePerGiB) throw new ProviderMisbehaviourError("price", `The node asks ${header.pricePerGiB} per GiB, above its on-chain price ${req.maxPricePerGiB}.`);
  if (req.offset > size) throw new ProviderMisbehaviourError("range", "The requested offset is past the end of the blob.");
  const end = req.length === 0 ? size : Math.min(size, req.offset + req.length);
  const range = leafRangeForBytes(size, req.offset, end - req.offset);
  if (header.firstLeaf !== range.first || header.leafCount > range.count || header.leafCount < 1) throw new ProviderMisbehaviourError("range", "The node offers another leaf range than requested.");
  return { size, end, range: { first: range.first, count: header.leafCount }, pricePerGiB: header.pricePerGiB };
}

/** The content record: this blob, signed by the content key of a recognized origin's unrevoked epoch; returns its size. */
async function checkRecord(header: FetchHeaderMsg, req: SessionRequest, deps: SessionDeps, options: SessionOptions): Promise<number> {
  const record = header.record.value;
  if (record.blobId !== req.blobId.toLowerCase()) throw new ProviderMisbehaviourError("record", "The content record is for another blob.");
  if (deps.chain.hasContentKey?.(record.origin, record.epoch) === false) options.steps?.push("chain: content key");
  const contentKey = await deps.chain.contentKey(record.origin, record.epoch);
  if (!contentKey) throw new ProviderMisbehaviourError("record", "The content record's origin is not recognized (or its epoch is revoked).");
  try {
    verifyContentRecord(deps.chain.originDomain, record, header.record.signature, contentKey);
  } catch (cause) {
    throw new ProviderMisbehaviourError("record", "The content record is not signed by its origin's content key.", { cause });
  }
  const size = Number(record.size);
  if (req.size !== undefined && req.size !== size) throw new ProviderMisbehaviourError("record", "The content record's size differs from the known size.");
  return size;
}

/** The leaf hashes of the range, verified against the blob id: the verifier of the chunks. */
async function expectLeafHashes(framed: FramedStream, req: SessionRequest, served: Served, leafCount: number, options: SessionOptions): Promise<StreamVerifier> {
  const { leafHashes } = await expect(framed, "leafHashes", "The stream ended before the leaf hashes.", "The node did not send the leaf hashes of the range.");
  if (leafHashes.firstLeaf !== served.range.first || leafHashes.hashes.length !== leafCount * 32) throw new ProviderMisbehaviourError("order", "The node did not send the leaf hashes of the range.");
  let verifier: StreamVerifier;
  try {
    verifier = new StreamVerifier({ blobId: fromHex(req.blobId, 32), size: served.size, firstLeaf: served.range.first, leafHashes: leafHashes.hashes, proof: leafHashes.proof });
  } catch (cause) {
    throw new ProviderMisbehaviourError("leafHashes", "The leaf hashes do not verify against the blob id.", { cause });
  }
  options.onLeafHashes?.(served.range.first, leafHashes.hashes);
  return verifier;
}

/**
 * Where this session's vouchers start: what the node says it sent earlier and we never paid (an
 * interrupted stream, a killed client) is settled first, up to one credit window, so the node's
 * window opens again (else every fetch on the channel would stall); a larger claim is refused.
 */
function settledBase(header: FetchHeaderMsg, channel: ClientChannel, pricePerGiB: bigint, paidToNode: bigint, options: SessionOptions): bigint {
  const owed = header.owed ?? 0n;
  const settleCap = amountOwed(BigInt(options.maxSettleBytes ?? settleWindow(paidToNode, pricePerGiB)), pricePerGiB);
  if (owed > channel.signed + settleCap) {
    throw new ProviderMisbehaviourError("owed", `The node claims ${owed - channel.signed} base units for earlier bytes, more than the ${settleCap} this client settles.`);
  }
  return owed > channel.signed ? owed : channel.signed;
}

/** The channel can pay for the whole offered range (checked before the first voucher; else nothing is paid and the caller tops up). */
function checkDepositCovers(channel: ClientChannel, served: Served, base: bigint): void {
  const bytes = Math.min(served.size, (served.range.first + served.range.count) * LEAF_SIZE) - served.range.first * LEAF_SIZE;
  const cost = base + amountOwed(BigInt(bytes), served.pricePerGiB) - channel.signed;
  const left = channel.deposit - channel.signed;
  if (cost > left) throw new DepositShortError(channel.channelId, cost, left);
}

/** What this payer signed to `nodeKey` on its other channels: the node's credit window grows with it. */
function paidOnOtherChannels(deps: SessionDeps, nodeKey: string, channelId: string): bigint {
  return deps.store.channelsFor(nodeKey).reduce((sum, c) => (c.channelId === channelId ? sum : sum + c.signed), 0n);
}

/**
 * Signs cumulative vouchers for the verified bytes of this session, durably before they are sent.
 * A voucher is signed at once and queued: made durable (the download's file, then the store's log,
 * fsync'd off the event loop) and then sent, in order, while the chunks keep being verified; one
 * still queued when a newer one is signed is dropped (the newer pays for its bytes too).
 */
class Payer {
  /** Amount signed on the channel (cumulative). */
  signed: bigint;
  private readonly base: bigint;
  private readonly otherChannels: bigint;
  private verifiedBytes = 0;
  /** Unpaid verified bytes that trigger a voucher; it grows with what was signed, so it is recomputed per voucher, not per leaf. */
  private cadence: number;
  unpaid = 0;
  /** The queued vouchers' way out (durable, then sent), and the first error on it. */
  private outgoing: Promise<void> = Promise.resolve();
  private failure: Error | undefined;

  constructor(
    private readonly framed: FramedStream,
    private readonly channel: ClientChannel,
    private readonly req: SessionRequest,
    private readonly deps: SessionDeps,
    private readonly options: SessionOptions,
    private readonly pricePerGiB: bigint,
    base: bigint,
    otherChannels: bigint,
    private readonly sink: RangeSink,
    /** The request's round trip (ms): a short one lets the client pay less often (payCadence). */
    private readonly rttMs: number,
  ) {
    this.base = base;
    this.signed = channel.signed;
    this.otherChannels = otherChannels;
    this.cadence = this.cadenceNow();
  }

  private cadenceNow(): number {
    return this.options.payEvery ?? payCadence(this.otherChannels + this.signed, this.pricePerGiB, this.rttMs);
  }

  /** Counts verified bytes; pays when the cadence is reached. */
  verified(bytes: number): void {
    if (this.failure) throw this.failure;
    this.verifiedBytes += bytes;
    this.unpaid += bytes;
    if (this.unpaid >= this.cadence) this.pay();
  }

  /** Signs a voucher for what is due, if it is more than signed, and queues it; whether it did. */
  pay(): boolean {
    const { channelId } = this.req;
    const amount = this.base + amountOwed(BigInt(this.verifiedBytes), this.pricePerGiB);
    if (amount <= this.signed) return false;
    if (amount > this.channel.deposit) throw new ChannelError(`The deposit of channel ${channelId} is used up; top it up.`);
    const signature = signVoucher(this.deps.chain.channelDomain, { channelId, cumulativeAmount: amount }, this.deps.secretKey);
    this.signed = amount;
    this.unpaid = 0;
    this.cadence = this.cadenceNow();
    const durableTo = this.sink.position;
    this.queue(async () => {
      // vouchers are cumulative: one signed since, queued behind this one, pays for these bytes too
      // and goes out after a single fsync instead of each waiting for its own
      if (amount < this.signed) return;
      const { durable } = this.options;
      // the bytes this voucher pays for reach the disk first, and where the file stands is recorded with it
      if (durable) await durable.sync();
      const download = durable ? { file: durable.file, blobId: this.req.blobId, durableTo } : undefined;
      this.deps.store.recordSigned(channelId, amount, signature, download, { deferFsync: true });
      await this.deps.store.syncLog(); // durable before it leaves
      await this.send(amount, signature);
    });
    return true;
  }

  /**
   * The channel's last stored voucher, sent again (a node that has it ignores it). Signed by another
   * key than this session's (a session key, perhaps expired since), it is signed again for the same
   * amount with this session's key: a node that never received it could not redeem it (docs/channels.md).
   */
  redeliver(): void {
    const { channelId } = this.req;
    const amount = this.channel.signed;
    let signature = this.channel.signature;
    if (amount === 0n || !signature) return;
    const domain = this.deps.chain.channelDomain;
    if (recoverVoucherSigner(domain, { channelId, cumulativeAmount: amount }, signature).toLowerCase() !== addressOfSecretKey(this.deps.secretKey).toLowerCase()) {
      signature = signVoucher(domain, { channelId, cumulativeAmount: amount }, this.deps.secretKey);
      this.deps.store.replaceSignature(channelId, amount, signature);
    }
    const resent = signature;
    this.queue(() => this.send(amount, resent));
  }

  /** Waits until every queued voucher is out; throws the first error on the way. */
  async flush(): Promise<void> {
    await this.outgoing;
    if (this.failure) throw this.failure;
  }

  private queue(step: () => Promise<void>): void {
    this.outgoing = this.outgoing
      .then(() => (this.failure ? undefined : step()))
      .catch((error: unknown) => {
        this.failure ??= error as Error;
      });
  }

  private async send(amount: bigint, signature: Uint8Array): Promise<void> {
    if (this.options.withholdVouchers) return;
    await this.framed.write(encodeFetchClientMessage({ kind: "voucher", voucher: { value: { channelId: this.req.channelId, cumulativeAmount: amount }, signature } }));
  }
}

/** Releases verified leaves, trimmed to the requested byte range. */
class RangeSink {
  /** The blob offset the released bytes end at. */
  position: number;

  constructor(
    private readonly offset: number,
    private readonly end: number,
    private readonly onData: SessionOptions["onData"],
    private readonly progress: { delivered: number },
  ) {
    this.position = offset;
  }

  /** A leaf that arrived in pieces is released piece by piece (views of them, not joined). */
  async release(chunk: VerifiedChunk<Uint8Array | Uint8ArrayList>): Promise<void> {
    const from = Math.max(this.offset, chunk.offset);
    const to = Math.min(this.end, chunk.offset + chunk.data.length);
    if (to <= from) return;
    const { data } = chunk;
    if (data instanceof Uint8Array) {
      await this.onData(data.subarray(from - chunk.offset, to - chunk.offset), from);
    } else {
      let at = from;
      for (const piece of from === chunk.offset && to - from === data.length ? data : data.sublist(from - chunk.offset, to - chunk.offset)) {
        await this.onData(piece, at);
        at += piece.length;
      }
    }
    this.progress.delivered += to - from;
    this.position = to;
  }
}

interface Hashed {
  leafIndex: number;
  data: Uint8Array | Uint8ArrayList;
  digest: Uint8Array;
}

/**
 * The chunks: each admitted by the verifier (place, length), hashed inline or on the worker
 * (pipelined, HASH_DEPTH ahead), then verified and released in order, and paid for.
 */
async function receiveChunks(framed: FramedStream, verifier: StreamVerifier, payer: Payer, sink: RangeSink, options: SessionOptions): Promise<void> {
  const pool = options.hashInWorker ? sharedHashPool() : undefined;
  const depth = pool ? HASH_DEPTH : 0;
  const inflight: Promise<Hashed>[] = [];
  const settle = async (r: Hashed) => {
    const chunk = verifyOrThrow(r.leafIndex, () => verifier.verifyDigest(r.leafIndex, r.data, r.digest));
    await sink.release(chunk);
    payer.verified(chunk.data.length);
  };
  // pay at once if the node stalls with verified bytes unpaid (its window may be smaller than expected)
  const watchdog = new StallWatchdog(options.stallMs ?? DEFAULT_STALL_MS, () => {
    try {
      if (payer.unpaid > 0) payer.pay();
    } catch (error) {
      framed.abort(error as Error); // the pending read fails with it
    }
  });
  try {
    for (;;) {
      const next = readChunkMessage(framed);
      next.catch(() => undefined);
      // release leaves whose hashes came back while the stream is quiet (else a full pipeline
      // of unpaid leaves could wait on a node that waits for their voucher)
      while (inflight.length > 0 && (await settledFirst(inflight[0], next))) await settle(await inflight.shift()!);
      const msg = await next;
      watchdog.arrived();
      if (!msg) break;
      if (msg.kind === "refusal") throw new FetchRefusedError(msg.refusal.code, msg.refusal.message, msg.refusal.retryAfterMs);
      if (msg.kind !== "chunk") throw new ProviderMisbehaviourError("order", "Unexpected message among chunks.");
      const { leafIndex, data } = msg.chunk;
      if (leafIndex === verifier.firstLeaf && tracing) trace("session: first chunk", {});
      verifyOrThrow(leafIndex, () => verifier.admitChunk(leafIndex, data));
      const lastAdmitted = leafIndex + 1 === verifier.endLeaf;
      inflight.push(hashLeaf(pool, leafIndex, data));
      while (inflight.length > depth || (lastAdmitted && inflight.length > 0)) await settle(await inflight.shift()!);
      if (verifier.complete) break;
    }
  } finally {
    watchdog.stop();
  }
  if (!verifier.complete) throw new ProviderMisbehaviourError("ended", `The stream ended after ${verifier.verifiedBytes} of the range's bytes.`);
}

function hashLeaf(pool: ReturnType<typeof sharedHashPool> | undefined, leafIndex: number, data: Uint8Array | Uint8ArrayList): Promise<Hashed> {
  if (!pool) return Promise.resolve({ leafIndex, data, digest: leafDigest(data) });
  const job = pool.hashLeaf(data).then((r) => ({ leafIndex, ...r }));
  job.catch(() => undefined);
  return job;
}

/** Runs a verifier step; its protocol error becomes the provider's misbehaviour. */
function verifyOrThrow<T>(leafIndex: number, step: () => T): T {
  try {
    return step();
  } catch (cause) {
    throw new ProviderMisbehaviourError("chunk", `Chunk ${leafIndex} failed verification: ${(cause as Error).message}`, { cause });
  }
}

/** Whether `job` settles before the next message arrives. */
async function settledFirst(job: Promise<unknown>, next: Promise<unknown>): Promise<boolean> {
  const first = await Promise.race([
    job.then(
      () => "job",
      () => "job",
    ),
    next.then(
      () => "msg",
      () => "msg",
    ),
  ]);
  return first === "job";
}

/**
 * Calls `onStall` when no message arrived for between `ms` / 2 and `ms`: one timer per session,
 * checked every `ms` / 2 (a timer armed and cleared per message cost the client ~0.03 ms of CPU
 * per MB).
 */
class StallWatchdog {
  private arrivals = 0;
  private checked = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(ms: number, onStall: () => void) {
    this.timer = setInterval(
      () => {
        if (this.arrivals === this.checked) onStall();
        this.checked = this.arrivals;
      },
      Math.max(1, ms / 2),
    );
    this.timer.unref();
  }

  arrived(): void {
    this.arrivals++;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
