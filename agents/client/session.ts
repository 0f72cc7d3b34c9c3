/**
 * One paid download from one provider over one /cdn/fetch stream: request → header (serve
 * commitment and content record checked before any byte is accepted) → leaf hashes (checked
 * against the blob id) → chunks, each verified before it is released or paid; vouchers are
 * signed for verified bytes only, recorded durably before they are sent, whenever the unpaid
 * verified bytes reach `payEvery` (half the node's smallest credit window) and once at the end.
 * Any failure aborts the stream; bytes already released stay verified, bad bytes are never paid.
 */
import type { Libp2p, PeerId } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { PROTOCOL_FETCH, DEFAULT_COMMITMENT_SKEW_SECONDS, LEAF_SIZE } from "../protocol/constants.js";
import { bytesEqual, fromHex } from "../protocol/bytes.js";
import { leafLength, leafRangeForBytes } from "../protocol/merkle.js";
import { amountOwed } from "../protocol/pricing.js";
import { checkServeCommitment, signVoucher, verifyContentRecord } from "../protocol/signed.js";
import { StreamVerifier } from "../protocol/verifier.js";
import { decodeFetchServerMessage, encodeFetchClientMessage, FRAME_CAPS, type FetchHeaderMsg, type FetchServerMsg } from "../protocol/wire/messages.js";
import { FramedStream } from "../runtime/framed.js";
import { addressOfPeer } from "../runtime/peers.js";
import type { ClientChainView } from "./chain.js";
import { ChannelError, FetchRefusedError, ProviderMisbehaviourError } from "./errors.js";
import type { ClientStore } from "./store.js";
import { sharedHashPool } from "./hash-pool.js";

/** Leaves hashed on the worker ahead of the one being released. */
const HASH_DEPTH = 4;

export const HALF_MIN_WINDOW = 512 * 1024;
const MIB = 1024 * 1024;

/**
 * The client's estimate of the node's credit window: the protocol's default growth rule
 * (1 MiB + half of what this payer has paid the node, at most 8 MiB; docs/delivery.md). A node
 * may run a smaller window (its value bound); then the stream stalls and the client pays at
 * once (`stallMs`), so a wrong estimate costs a short pause, never a deadlock.
 */
export function expectedWindow(paidToNode: bigint, pricePerGiB: bigint): number {
  if (pricePerGiB === 0n) return 8 * MIB;
  const bytes = (paidToNode * (1n << 30n)) / pricePerGiB;
  const history = bytes > BigInt(16 * MIB) ? 16 * MIB : Number(bytes);
  return Math.min(8 * MIB, MIB + Math.floor(history / 2));
}

export interface SessionRequest {
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
  host: Pick<Libp2p, "dial">;
  chain: ClientChainView;
  store: ClientStore;
  /** The client's (voucher signer's) address and secret key. */
  address: string;
  secretKey: Uint8Array;
}

export interface SessionOptions {
  signal?: AbortSignal;
  /** Sign a voucher when this many verified bytes are unpaid (default: half the expected credit window, at least 512 KiB). */
  payEvery?: number;
  /** Pay at once when the node sends nothing for this long while verified bytes are unpaid (ms, default 25). */
  stallMs?: number;
  maxSkewSeconds?: bigint;
  idleTimeoutMs?: number;
  /** Receives verified bytes, trimmed to the requested range, in order. */
  onData(bytes: Uint8Array, offset: number): void | Promise<void>;
  /** Hash leaves on a worker thread, pipelined (up to 4 leaves in flight), instead of inline. */
  hashInWorker?: boolean;
  /** Test hook: withhold vouchers (a cheating client). */
  withholdVouchers?: boolean;
  onHeader?(header: FetchHeaderMsg): void;
  /** Receives the range's leaf hashes once they verified against the blob id (a cache node's fan-out needs the whole layer). */
  onLeafHashes?(firstLeaf: number, hashes: Uint8Array): void;
}

export interface SessionResult {
  /** Bytes of the range delivered to onData. */
  delivered: number;
  /** Blob size from the content record. */
  size: number;
  /** Amount signed on the channel after this session (cumulative). */
  signed: bigint;
  pricePerGiB: bigint;
}

export type SessionError = (FetchRefusedError | ProviderMisbehaviourError | Error) & { delivered?: number; size?: number };

async function readMessage(framed: FramedStream): Promise<FetchServerMsg | undefined> {
  const body = await framed.read();
  if (!body) return undefined;
  try {
    return decodeFetchServerMessage(body);
  } catch (cause) {
    throw new ProviderMisbehaviourError("wire", `The node sent an invalid message: ${(cause as Error).message}`, { cause });
  }
}

export async function runSession(req: SessionRequest, deps: SessionDeps, options: SessionOptions): Promise<SessionResult> {
  const channel = deps.store.channel(req.channelId);
  if (!channel) throw new Error(`unknown channel ${req.channelId}`);
  const connection = await deps.host.dial(req.peer, { signal: options.signal });
  // the authenticated peer (noise) must be the node we chose
  if (addressOfPeer(connection.remotePeer) !== req.nodeKey) throw new ProviderMisbehaviourError("identity", "The peer is not the node it was dialled as.");
  const stream = await connection.newStream(PROTOCOL_FETCH, { signal: options.signal });
  const framed = new FramedStream(stream, { readCap: FRAME_CAPS.FetchServerMessage, idleTimeoutMs: options.idleTimeoutMs ?? 30_000, signal: options.signal });
  let delivered = 0;
  let size = req.size ?? -1;
  try {
    const chainNow = deps.chain.chainTime(); // read while the node prepares its answer
    chainNow.catch(() => undefined);
    await framed.write(encodeFetchClientMessage({ kind: "request", request: { blobId: req.blobId, channelId: req.channelId, offset: req.offset, length: req.length } }));
    const first = await readMessage(framed);
    if (!first) throw new ProviderMisbehaviourError("ended", "The node closed the stream without an answer.");
    if (first.kind === "refusal") throw new FetchRefusedError(first.refusal.code, first.refusal.message, first.refusal.retryAfterMs);
    if (first.kind !== "header") throw new ProviderMisbehaviourError("order", "The node did not start with a header.");
    const header = first.header;
    options.onHeader?.(header);

    // the serve commitment, before any byte
    const now = await chainNow;
    try {
      checkServeCommitment({
        domain: deps.chain.channelDomain,
        commitment: header.commitment.value,
        signature: header.commitment.signature,
        request: { blobId: req.blobId, channelId: req.channelId, client: deps.address },
        nodeKey: req.nodeKey,
        chainTime: now,
        maxSkewSeconds: options.maxSkewSeconds ?? DEFAULT_COMMITMENT_SKEW_SECONDS,
      });
    } catch (cause) {
      throw new ProviderMisbehaviourError("commitment", `The node's serve commitment is not acceptable: ${(cause as Error).message}`, { cause });
    }
    // the content record
    const record = header.record.value;
    if (record.blobId !== req.blobId.toLowerCase()) throw new ProviderMisbehaviourError("record", "The content record is for another blob.");
    const contentKey = await deps.chain.contentKey(record.origin, record.epoch);
    if (!contentKey) throw new ProviderMisbehaviourError("record", "The content record's origin is not recognized (or its epoch is revoked).");
    try {
      verifyContentRecord(deps.chain.originDomain, record, header.record.signature, contentKey);
    } catch (cause) {
      throw new ProviderMisbehaviourError("record", "The content record is not signed by its origin's content key.", { cause });
    }
    size = Number(record.size);
    if (req.size !== undefined && req.size !== size) throw new ProviderMisbehaviourError("record", "The content record's size differs from the known size.");
    if (header.pricePerGiB > req.maxPricePerGiB) throw new ProviderMisbehaviourError("price", `The node asks ${header.pricePerGiB} per GiB, above its on-chain price ${req.maxPricePerGiB}.`);
    if (req.offset > size) throw new ProviderMisbehaviourError("range", "The requested offset is past the end of the blob.");
    const end = req.length === 0 ? size : Math.min(size, req.offset + req.length);
    const range = leafRangeForBytes(size, req.offset, end - req.offset);
    if (header.firstLeaf !== range.first || header.leafCount > range.count || header.leafCount < 1) throw new ProviderMisbehaviourError("range", "The node offers another leaf range than requested.");
    const price = header.pricePerGiB;

    const second = await readMessage(framed);
    if (!second) throw new ProviderMisbehaviourError("ended", "The stream ended before the leaf hashes.");
    if (second.kind === "refusal") throw new FetchRefusedError(second.refusal.code, second.refusal.message, second.refusal.retryAfterMs);
    if (second.kind !== "leafHashes" || second.leafHashes.firstLeaf !== range.first || second.leafHashes.hashes.length !== header.leafCount * 32) {
      throw new ProviderMisbehaviourError("order", "The node did not send the leaf hashes of the range.");
    }
    let verifier: StreamVerifier;
    try {
      verifier = new StreamVerifier({ blobId: fromHex(req.blobId, 32), size, firstLeaf: range.first, leafHashes: second.leafHashes.hashes, proof: second.leafHashes.proof });
    } catch (cause) {
      throw new ProviderMisbehaviourError("leafHashes", "The leaf hashes do not verify against the blob id.", { cause });
    }
    options.onLeafHashes?.(range.first, second.leafHashes.hashes);

    const base = channel.signed;
    let signed: bigint = base;
    const otherChannels = deps.store.channelsFor(req.nodeKey).reduce((sum, c) => (c.channelId === channel.channelId ? sum : sum + c.signed), 0n);
    const payEvery = () => options.payEvery ?? Math.max(HALF_MIN_WINDOW, Math.floor(expectedWindow(otherChannels + signed, price) / 2));
    const stallMs = options.stallMs ?? 25;
    let verifiedBytes = 0; // whole leaves verified in this session (what is paid for)
    let unpaid = 0;
    const pay = async (): Promise<void> => {
      const amount = base + amountOwed(BigInt(verifiedBytes), price);
      if (amount <= signed) return;
      if (amount > channel.deposit) throw new ChannelError(`The deposit of channel ${req.channelId} is used up; top it up.`);
      const signature = signVoucher(deps.chain.channelDomain, { channelId: req.channelId, cumulativeAmount: amount }, deps.secretKey);
      deps.store.recordSigned(req.channelId, amount, signature); // durable before it leaves
      signed = amount;
      unpaid = 0;
      if (!options.withholdVouchers) await framed.write(encodeFetchClientMessage({ kind: "voucher", voucher: { value: { channelId: req.channelId, cumulativeAmount: amount }, signature } }));
    };

    /** Releases a verified leaf (trimmed to the range) and pays when due. */
    const accept = async (offset: number, data: Uint8Array): Promise<void> => {
      verifiedBytes += data.length;
      unpaid += data.length;
      const from = Math.max(req.offset, offset);
      const to = Math.min(end, offset + data.length);
      if (to > from) {
        await options.onData(data.subarray(from - offset, to - offset), from);
        delivered += to - from;
      }
      if (unpaid >= payEvery()) await pay();
    };
    const pool = options.hashInWorker ? sharedHashPool() : undefined;
    const leafHashes = second.leafHashes.hashes.slice();
    const endLeaf = range.first + header.leafCount;
    let nextLeaf = range.first;
    const inflight: Promise<{ leafIndex: number; data: Uint8Array; digest: Uint8Array }>[] = [];
    const settle = async (r: { leafIndex: number; data: Uint8Array; digest: Uint8Array }): Promise<void> => {
      const k = (r.leafIndex - range.first) * 32;
      if (!bytesEqual(r.digest, leafHashes.subarray(k, k + 32))) throw new ProviderMisbehaviourError("chunk", `Chunk ${r.leafIndex} failed verification: its hash differs from the leaf hash.`);
      await accept(r.leafIndex * LEAF_SIZE, r.data);
    };

    for (;;) {
      // pay at once if the node stalls with verified bytes unpaid (its window may be smaller than expected)
      const next = readMessage(framed);
      next.catch(() => undefined);
      // release leaves whose hashes came back while the stream is quiet (else a full pipeline
      // of unpaid leaves could wait on a node that waits for their voucher)
      while (inflight.length > 0) {
        const first = await Promise.race([inflight[0].then(() => "job", () => "job"), next.then(() => "msg", () => "msg")]);
        if (first === "msg") break;
        await settle(await inflight.shift()!);
      }
      if (unpaid > 0) {
        let timer: NodeJS.Timeout | undefined;
        const stalled = await Promise.race([next.then(() => false, () => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), stallMs)))]);
        clearTimeout(timer);
        if (stalled) await pay();
      }
      const msg = await next;
      if (!msg) break;
      if (msg.kind === "refusal") throw new FetchRefusedError(msg.refusal.code, msg.refusal.message, msg.refusal.retryAfterMs);
      if (msg.kind !== "chunk") throw new ProviderMisbehaviourError("order", "Unexpected message among chunks.");
      if (pool) {
        // order and length now; the hash on the worker, checked in order as results come back
        const leafIndex = msg.chunk.leafIndex;
        if (leafIndex !== nextLeaf || nextLeaf >= endLeaf || msg.chunk.data.length !== leafLength(size, leafIndex)) {
          throw new ProviderMisbehaviourError("chunk", `Chunk ${leafIndex} is out of order or has the wrong length.`);
        }
        nextLeaf++;
        const job = pool.hashLeaf(msg.chunk.data).then((r) => ({ leafIndex, ...r }));
        job.catch(() => undefined);
        inflight.push(job);
        while (inflight.length > HASH_DEPTH || (nextLeaf === endLeaf && inflight.length > 0)) await settle(await inflight.shift()!);
        if (nextLeaf === endLeaf) break;
        continue;
      }
      let chunk;
      try {
        chunk = verifier.verifyChunk(msg.chunk.leafIndex, msg.chunk.data);
      } catch (cause) {
        throw new ProviderMisbehaviourError("chunk", `Chunk ${msg.chunk.leafIndex} failed verification: ${(cause as Error).message}`, { cause });
      }
      await accept(chunk.offset, chunk.data);
      if (verifier.complete) break;
    }
    const complete = pool ? nextLeaf === endLeaf && inflight.length === 0 : verifier.complete;
    if (!complete) throw new ProviderMisbehaviourError("ended", `The stream ended after ${verifiedBytes} of the range's bytes.`);
    await pay();
    await framed.close();
    // drain until the node closes its side (it may still send a refusal for a bad voucher)
    const tail = await readMessage(framed).catch(() => undefined);
    if (tail?.kind === "refusal") throw new FetchRefusedError(tail.refusal.code, tail.refusal.message);
    return { delivered, size, signed, pricePerGiB: price };
  } catch (error) {
    framed.abort(error as Error);
    const e = error as SessionError;
    e.delivered = delivered;
    e.size = size;
    throw e;
  }
}

