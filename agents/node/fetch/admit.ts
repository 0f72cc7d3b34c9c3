/**
 * Admission of a fetch stream (docs/delivery.md §1, steps 1–2), before anything is signed or sent:
 * the request arrives in time and decodes, the chain view is fresh, the blob is not on the local
 * deny-set, the peer has an Ethereum identity, and a fresh chain read does not list the blob. Each
 * failure is a typed Refusal (BUSY, BAD_REQUEST, BLACKLISTED, NOT_CHANNEL_OWNER).
 *
 * Admission costs the attacker (docs/threat-model.md, "Hostile peers"): until the request names an
 * open, funded channel with this node that the peer may sign for, a stream holds only one of a few
 * per-peer pending places (`maxPendingPerPeer`), never a download slot nor capacity. Only then
 * `admitDownload` takes a download slot (maxActiveFetches) and the first leaf of declared capacity,
 * or refuses BUSY with a retry-after; the service gives the capacity back if the stream is refused
 * after all.
 */
import type { PeerId } from "@libp2p/interface";
import { LEAF_SIZE } from "../../protocol/constants.js";
import { decodeFetchClientMessage, type FetchRequestMsg } from "../../protocol/wire/messages.js";
import type { BlockRef, ChannelState } from "../../chain/contracts.js";
import type { FramedStream } from "../../runtime/framed.js";
import type { Logger } from "../../runtime/logger.js";
import { addressOfPeer } from "../../runtime/peers.js";
import type { FreshnessGuard } from "../../mesh/freshness.js";
import { StaleChainViewError } from "../../mesh/errors.js";
import type { NodeChainView } from "../chain.js";
import type { CapacityLimiter } from "../limiter.js";
import type { FetchLimits } from "./constants.js";
import { Refusal } from "./refusal.js";

export interface AdmitDeps {
  freshness?: FreshnessGuard;
  isBlacklisted?: (blobId: string) => boolean;
  limiter?: CapacityLimiter;
}

export interface Admission {
  /** The authenticated requester's address (lower case). */
  client: string;
}

/** A stream beyond the peer's pending places (streams still waiting for or checking their request) is refused BUSY at once. */
export function admitPending(pending: number, limits: FetchLimits): void {
  if (pending >= limits.maxPendingPerPeer) throw new Refusal("BUSY", "too many requests from this peer in progress", limits.retryAfterMs);
}

/**
 * After the channel checks: a download slot (beyond `maxActiveFetches` in progress: BUSY) and the
 * first leaf's worth of declared capacity (else BUSY, retry after). Returns the capacity taken.
 */
export function admitDownload(active: number, limits: FetchLimits, limiter?: CapacityLimiter): number {
  if (active >= limits.maxActiveFetches) throw new Refusal("BUSY", "too many downloads in progress", limits.retryAfterMs);
  if (!limiter) return 0;
  const capacity = limiter.tryAcquire(LEAF_SIZE);
  if (!capacity.ok) throw new Refusal("BUSY", "this node is at its declared capacity", capacity.error.retryAfterMs);
  return LEAF_SIZE;
}

/** The first message: a request, within `requestTimeoutMs`, valid for the wire decoder. */
export async function readRequest(framed: FramedStream, limits: FetchLimits): Promise<FetchRequestMsg> {
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Refusal("BAD_REQUEST", "no request in time")), limits.requestTimeoutMs).unref());
  const body = await Promise.race([framed.read(), timeout]);
  if (!body) throw new Refusal("BAD_REQUEST", "the stream ended before a request");
  let msg;
  try {
    msg = decodeFetchClientMessage(body);
  } catch (error) {
    throw new Refusal("BAD_REQUEST", (error as Error).message);
  }
  if (msg.kind !== "request") throw new Refusal("BAD_REQUEST", "the first message must be a request");
  return msg.request;
}

/** A stale chain view (the node may have missed a blacklist entry or a slash): it serves nothing until a chain read succeeds. */
function staleViewRefusal(cause: StaleChainViewError, limits: FetchLimits): Refusal {
  return new Refusal("BUSY", cause.message, limits.retryAfterMs, "stale_chain_view");
}

/** The local checks, in order: fresh chain view, local deny-set, the peer's identity (no capacity is taken here). */
export function admitRequest(request: FetchRequestMsg, peer: PeerId, deps: AdmitDeps, limits: FetchLimits): Admission {
  try {
    deps.freshness?.assertFresh();
  } catch (cause) {
    throw cause instanceof StaleChainViewError ? staleViewRefusal(cause, limits) : cause;
  }
  if (deps.isBlacklisted?.(request.blobId)) throw new Refusal("BLACKLISTED", "this blob is blacklisted");
  const client = addressOfPeer(peer);
  if (!client) throw new Refusal("NOT_CHANNEL_OWNER", "the peer has no secp256k1 identity");
  return { client };
}

export interface ChainReads {
  blacklisted: boolean;
  channel: ChannelState;
  /** Chain time: the head's timestamp. */
  now: bigint;
  /** The head block the serve commitment is anchored to. */
  head: BlockRef;
}

/**
 * The fresh chain reads of a request, started together: blacklist, channel, the head block (chain time). A failed
 * read becomes BUSY (the node never serves blind); a successful one marks the chain view fresh.
 */
export function readChain(chain: NodeChainView, request: FetchRequestMsg, deps: { freshness?: FreshnessGuard; logger: Logger }, limits: FetchLimits): Promise<ChainReads> {
  const reads = Promise.all([chain.isBlacklisted(request.blobId), chain.channel(request.channelId), chain.head()]).then(
    ([blacklisted, channel, head]) => {
      deps.freshness?.markFresh();
      return { blacklisted, channel, now: head.timestamp, head };
    },
    (cause: unknown) => {
      if (cause instanceof StaleChainViewError) throw staleViewRefusal(cause, limits);
      deps.logger.warn({ err: (cause as Error).message }, "chain read failed; refusing with BUSY");
      throw new Refusal("BUSY", "the node cannot read the chain right now", limits.retryAfterMs);
    },
  );
  reads.catch(() => undefined); // awaited later, possibly after an earlier refusal
  return reads;
}

/** Step 2 on chain: the blob is not on the ContentBlacklist (read for this request, before anything is signed). */
export async function admitOnChain(reads: Promise<ChainReads>): Promise<void> {
  if ((await reads).blacklisted) throw new Refusal("BLACKLISTED", "this blob is blacklisted");
}
