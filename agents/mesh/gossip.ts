/**
 * Gossip (docs/mesh.md): nodes publish signed NodeAnnouncements (addresses, region,
 * price, load, sequence) on `/cdn/global/1` and `/cdn/region/<region>/1` every 60 s and on change;
 * recognized origins publish signed ContentRecords on `/cdn/global/1`; clients subscribe and never
 * publish. gossipsub runs with `StrictNoSign`: messages carry their own EIP-712 signatures, checked
 * on the fast path (direct digest + secp256k1), so no libp2p-level signature is needed.
 *
 * Validators (first failing check wins; Reject penalises the forwarder through P4, Ignore does not):
 *
 * | check | result |
 * |---|---|
 * | not a valid GossipMessage (wire decoder), or an announcement on another region's topic | Reject `malformed` / `wrong_topic` |
 * | announcement timestamp more than 60 s from local time | Reject `expired` / `future` |
 * | signature invalid (or not by the named node key / a valid content key) | Reject `bad_signature` |
 * | announcement sequence ≤ the last accepted one from that node on that topic | Reject `replay` |
 * | announcer not active on chain | Reject `not_active` |
 * | content-record signer not a valid content key of (origin, epoch) | Reject `not_origin` |
 * | content record more than 60 s ahead of chain time (its timestamp is chain time) | Reject `future` |
 * | blob blacklisted | Ignore `blacklisted` (the forwarder's view may be older) |
 * | chain read failed | Ignore `chain_unavailable` |
 *
 * A node re-publishes on change at most every MIN_REPUBLISH_MS, so honest copies of two
 * announcements of one node never race each other through the mesh (which would make an honest
 * forwarder look like a replayer). Sequence numbers are `max(previous + 1, Date.now())`, so they
 * keep increasing across restarts without storage. Remembered sequences are dropped after twice
 * the timestamp window: any replay older than that fails the timestamp check.
 */
import { TopicValidatorResult, type GossipSub, type Message } from "@libp2p/gossipsub";
import type { PeerId } from "@libp2p/interface";
import type { OriginRegistry } from "../../types/ethers-contracts/index.js";
import type { ContentRecordValue, NodeAnnouncementValue } from "../protocol/eip712.js";
import type { Eip712Domain } from "../protocol/eip712-fast.js";
import { recoverTyped, signNodeAnnouncement, verifyNodeAnnouncement } from "../protocol/signed.js";
import { decodeGossipMessage, encodeGossipMessage, type GossipMsg, type Signed } from "../protocol/wire/messages.js";
import type { ActiveSet } from "./active-set.js";
import { ANNOUNCE_INTERVAL_MS, ANNOUNCE_MAX_SKEW_SECONDS, MAX_TRACKED_ANNOUNCERS, RECORD_MAX_FUTURE_SECONDS, TOPIC_GLOBAL, topicForRegion } from "./constants.js";
import { MeshArgumentError } from "./errors.js";

/** Least time between two announcements of one node (on-change publishing is coalesced). */
export const MIN_REPUBLISH_MS = 5_000;

export type GossipVerdict = "accept" | "reject" | "ignore";
export type GossipReason = "ok" | "malformed" | "wrong_topic" | "expired" | "future" | "bad_signature" | "replay" | "not_active" | "not_origin" | "blacklisted" | "chain_unavailable";

export interface ValidationOutcome {
  verdict: GossipVerdict;
  reason: GossipReason;
  kind?: GossipMsg["kind"];
  /** The announcer or content signer, when known. */
  signer?: string;
}

/** Checks content-record signers on chain (OriginRegistry.isValidContentSigner). */
export interface OriginChecker {
  isValidContentSigner(origin: bigint, epoch: bigint, signer: string, options?: { signal?: AbortSignal }): Promise<boolean>;
}

/** Adapts the TypeChain OriginRegistry binding, with a short per-(origin, epoch, signer) cache. */
export function originRegistryChecker(origins: Pick<OriginRegistry, "isValidContentSigner">, ttlMs = 30_000, now: () => number = Date.now): OriginChecker {
  const cache = new Map<string, { ok: boolean; at: number }>();
  return {
    async isValidContentSigner(origin, epoch, signer) {
      const key = `${origin}:${epoch}:${signer.toLowerCase()}`;
      const hit = cache.get(key);
      if (hit && now() - hit.at <= ttlMs) return hit.ok;
      const ok = await origins.isValidContentSigner(origin, epoch, signer);
      if (cache.size > 10_000) cache.clear();
      cache.set(key, { ok, at: now() });
      return ok;
    },
  };
}

/** What a node announces; the service signs it with the node key. */
export interface Offer {
  multiaddrs: string[];
  pricePerGiB: bigint;
  /** Basis points of declared capacity in use (0 … 10,000). */
  load: number;
}

export interface MeshGossipOptions {
  /** "node" publishes announcements (and, for origins, content records); "client" only subscribes. */
  role: "node" | "client";
  /** Regions whose topics to join (a node: its own region; a client: those it fetches from). */
  regions: number[];
  /** EIP-712 domain of NodeRegistry (announcements) and OriginRegistry (content records). */
  nodeRegistryDomain: Eip712Domain;
  originRegistryDomain: Eip712Domain;
  /** Re-publish period (default 60 s). */
  announceIntervalMs?: number;
  /** Accepted timestamp distance in seconds (default 60). */
  maxSkewSeconds?: number;
  /** Least time between two announcements of this node (default MIN_REPUBLISH_MS, 5 s). */
  minRepublishMs?: number;
}

export interface MeshGossipDependencies {
  pubsub: GossipSub;
  activeSet: Pick<ActiveSet, "isActive">;
  origins: OriginChecker;
  /** Node role: the node key (secret and address) and its current offer. */
  signer?: { secretKey: Uint8Array; nodeKey: string; region: number; offer: () => Offer };
  /** Whether a blob id is blacklisted (local view of ContentBlacklist). */
  isBlacklisted?: (blobId: string) => boolean;
  /** ms clock (default Date.now): local time, or chain head time in tests. */
  now?: () => number;
  /**
   * Chain time in seconds (the latest block's timestamp). Content records are stamped with chain
   * time, so their "future" bound is checked against it: a chain that runs ahead of the local
   * clock (a devnet advanced by days) must not make every record "future". Default: `now`.
   */
  chainTime?: () => Promise<bigint>;
  /** Every validation outcome (metrics, logs). */
  onValidation?: (outcome: ValidationOutcome, topic: string, from: PeerId) => void;
  onError?: (error: Error) => void;
}

export interface AnnouncementEvent {
  announcement: Signed<NodeAnnouncementValue>;
  topic: string;
  /** The peer that forwarded it to us. */
  from: PeerId;
}
export interface ContentRecordEvent {
  record: Signed<ContentRecordValue>;
  topic: string;
  from: PeerId;
}

const REGION_TOPIC_RE = /^\/cdn\/region\/(\d+)\/1$/;

export class MeshGossip {
  readonly topics: string[];
  private readonly opts: Required<Omit<MeshGossipOptions, "regions">> & { regions: number[] };
  private readonly deps: MeshGossipDependencies;
  private readonly now: () => number;
  /** topic|nodeKey → last accepted (sequence, timestamp s); per topic, since one announcement goes out on two. */
  private readonly lastSeen = new Map<string, { sequence: bigint; timestamp: bigint }>();
  /** Latest accepted announcement per node key. */
  private readonly latest = new Map<string, Signed<NodeAnnouncementValue>>();
  private readonly announcementListeners = new Set<(e: AnnouncementEvent) => void>();
  private readonly recordListeners = new Set<(e: ContentRecordEvent) => void>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private sequence = 0n;
  private lastPublishedAt = -Infinity;
  private lastOffer: string | undefined;
  private pendingChange: ReturnType<typeof setTimeout> | undefined;
  private started = false;
  private readonly onMessage = (evt: CustomEvent<{ propagationSource: PeerId; msg: Message }>): void => this.handleMessage(evt.detail.msg, evt.detail.propagationSource);

  constructor(options: MeshGossipOptions, deps: MeshGossipDependencies) {
    if (options.role === "node" && !deps.signer) throw new MeshArgumentError("a node's gossip service needs its signer");
    this.opts = {
      ...options,
      announceIntervalMs: options.announceIntervalMs ?? ANNOUNCE_INTERVAL_MS,
      maxSkewSeconds: options.maxSkewSeconds ?? ANNOUNCE_MAX_SKEW_SECONDS,
      minRepublishMs: options.minRepublishMs ?? MIN_REPUBLISH_MS,
    };
    this.deps = deps;
    this.now = deps.now ?? Date.now;
    this.topics = [TOPIC_GLOBAL, ...[...new Set(options.regions)].map(topicForRegion)];
  }

  /** Topics to give score parameters to (meshGossipScoring). */
  static topicsFor(regions: number[]): string[] {
    return [TOPIC_GLOBAL, ...[...new Set(regions)].map(topicForRegion)];
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { pubsub } = this.deps;
    for (const topic of this.topics) {
      pubsub.topicValidators.set(topic, (from, msg) => this.validatorFor(topic, from, msg));
      pubsub.subscribe(topic);
    }
    pubsub.addEventListener("gossipsub:message", this.onMessage);
    if (this.opts.role === "node") {
      await this.announce().catch((e: unknown) => this.deps.onError?.(e as Error));
      this.schedule();
    }
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.pendingChange) clearTimeout(this.pendingChange);
    this.timer = this.pendingChange = undefined;
    const { pubsub } = this.deps;
    pubsub.removeEventListener("gossipsub:message", this.onMessage);
    for (const topic of this.topics) {
      pubsub.topicValidators.delete(topic);
      try {
        pubsub.unsubscribe(topic);
      } catch {
        // the pubsub service may already be stopped
      }
    }
  }

  onAnnouncement(listener: (e: AnnouncementEvent) => void): () => void {
    this.announcementListeners.add(listener);
    return () => this.announcementListeners.delete(listener);
  }

  onContentRecord(listener: (e: ContentRecordEvent) => void): () => void {
    this.recordListeners.add(listener);
    return () => this.recordListeners.delete(listener);
  }

  /** The latest accepted announcement of every node heard from. */
  announcements(): Signed<NodeAnnouncementValue>[] {
    return [...this.latest.values()];
  }

  private schedule(): void {
    if (!this.started) return;
    // ±10 % jitter so that nodes started together do not publish in lockstep
    const delay = this.opts.announceIntervalMs * (0.9 + Math.random() * 0.2);
    this.timer = setTimeout(() => {
      this.announce()
        .catch((e: unknown) => this.deps.onError?.(e as Error))
        .finally(() => this.schedule());
    }, delay);
    this.timer.unref?.();
  }

  /** Builds and signs the node's next announcement (exposed for tests and the benchmark). */
  signAnnouncement(): Signed<NodeAnnouncementValue> {
    const signer = this.deps.signer;
    if (!signer || this.opts.role !== "node") throw new MeshArgumentError("clients never publish");
    const offer = signer.offer();
    const t = this.now();
    this.sequence = BigInt(Math.max(Number(this.sequence) + 1, t));
    const value: NodeAnnouncementValue = {
      nodeKey: signer.nodeKey.toLowerCase(),
      region: signer.region,
      pricePerGiB: offer.pricePerGiB,
      load: offer.load,
      sequence: this.sequence,
      timestamp: BigInt(Math.floor(t / 1000)),
      multiaddrs: offer.multiaddrs,
    };
    return { value, signature: signNodeAnnouncement(this.opts.nodeRegistryDomain, value, signer.secretKey) };
  }

  /** Publishes the node's announcement now on the global and its region's topic. */
  async announce(options: { signal?: AbortSignal } = {}): Promise<void> {
    options.signal?.throwIfAborted();
    const a = this.signAnnouncement();
    const data = encodeGossipMessage({ kind: "announcement", announcement: a });
    this.lastPublishedAt = this.now();
    this.lastOffer = offerKey(a.value);
    const topics = [TOPIC_GLOBAL, topicForRegion(a.value.region)];
    await Promise.all(topics.map((t) => this.deps.pubsub.publish(t, data)));
  }

  /** Call when the offer may have changed (price, load, addresses): publishes if it did, coalesced to MIN_REPUBLISH_MS. */
  offerChanged(): void {
    if (!this.started || this.opts.role !== "node" || this.pendingChange) return;
    const offer = this.deps.signer!.offer();
    const key = offerKey({ ...offer, region: this.deps.signer!.region });
    if (key === this.lastOffer) return;
    const wait = Math.max(0, this.lastPublishedAt + this.opts.minRepublishMs - this.now());
    this.pendingChange = setTimeout(() => {
      this.pendingChange = undefined;
      this.announce().catch((e: unknown) => this.deps.onError?.(e as Error));
    }, wait);
    this.pendingChange.unref?.();
  }

  /** Publishes a content record signed by this origin's content key (global topic). */
  async publishContentRecord(record: Signed<ContentRecordValue>, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.opts.role !== "node") throw new MeshArgumentError("clients never publish");
    options.signal?.throwIfAborted();
    await this.deps.pubsub.publish(TOPIC_GLOBAL, encodeGossipMessage({ kind: "contentRecord", record }));
  }

  private async validatorFor(topic: string, from: PeerId, msg: Message): Promise<TopicValidatorResult> {
    let outcome: ValidationOutcome;
    try {
      outcome = await this.validate(topic, msg.data);
    } catch (e) {
      this.deps.onError?.(e as Error);
      outcome = { verdict: "ignore", reason: "chain_unavailable" };
    }
    this.deps.onValidation?.(outcome, topic, from);
    return outcome.verdict === "accept" ? TopicValidatorResult.Accept : outcome.verdict === "reject" ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore;
  }

  /** The validator's decision for `data` on `topic` (records accepted announcements' sequences). */
  async validate(topic: string, data: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<ValidationOutcome> {
    let msg: GossipMsg;
    try {
      msg = decodeGossipMessage(data);
    } catch {
      return { verdict: "reject", reason: "malformed" };
    }
    return msg.kind === "announcement" ? this.validateAnnouncement(topic, msg.announcement, options) : this.validateRecord(msg.record, options);
  }

  private async validateAnnouncement(topic: string, a: Signed<NodeAnnouncementValue>, options: { signal?: AbortSignal }): Promise<ValidationOutcome> {
    const kind = "announcement" as const;
    const v = a.value;
    const signer = v.nodeKey;
    const region = REGION_TOPIC_RE.exec(topic);
    if (region && Number(region[1]) !== v.region) return { verdict: "reject", reason: "wrong_topic", kind, signer };
    if (topic !== TOPIC_GLOBAL && !region) return { verdict: "reject", reason: "wrong_topic", kind, signer };
    const nowS = BigInt(Math.floor(this.now() / 1000));
    const skew = BigInt(this.opts.maxSkewSeconds);
    if (v.timestamp < nowS - skew) return { verdict: "reject", reason: "expired", kind, signer };
    if (v.timestamp > nowS + skew) return { verdict: "reject", reason: "future", kind, signer };
    try {
      verifyNodeAnnouncement(this.opts.nodeRegistryDomain, v, a.signature);
    } catch {
      return { verdict: "reject", reason: "bad_signature", kind, signer };
    }
    if (this.isReplay(topic, v)) return { verdict: "reject", reason: "replay", kind, signer };
    let active: boolean;
    try {
      active = await this.deps.activeSet.isActive(signer, options);
    } catch {
      return { verdict: "ignore", reason: "chain_unavailable", kind, signer };
    }
    if (!active) return { verdict: "reject", reason: "not_active", kind, signer };
    // re-check after the await: another copy may have been accepted meanwhile
    if (this.isReplay(topic, v)) return { verdict: "reject", reason: "replay", kind, signer };
    this.remember(topic, v);
    const current = this.latest.get(signer);
    if (!current || current.value.sequence < v.sequence) this.latest.set(signer, a);
    return { verdict: "accept", reason: "ok", kind, signer };
  }

  private isReplay(topic: string, v: NodeAnnouncementValue): boolean {
    const last = this.lastSeen.get(`${topic}|${v.nodeKey}`);
    return last !== undefined && v.sequence <= last.sequence;
  }

  private remember(topic: string, v: NodeAnnouncementValue): void {
    const k = `${topic}|${v.nodeKey}`;
    this.lastSeen.delete(k);
    this.lastSeen.set(k, { sequence: v.sequence, timestamp: v.timestamp });
    // entries are in acceptance order: drop those whose messages have expired twice over
    const horizon = BigInt(Math.floor(this.now() / 1000)) - 2n * BigInt(this.opts.maxSkewSeconds);
    for (const [key, e] of this.lastSeen) {
      if (e.timestamp >= horizon && this.lastSeen.size <= MAX_TRACKED_ANNOUNCERS) break;
      this.lastSeen.delete(key);
      const nodeKey = key.slice(key.lastIndexOf("|") + 1);
      if (this.latest.get(nodeKey)?.value.timestamp === e.timestamp) this.latest.delete(nodeKey);
    }
  }

  private async validateRecord(r: Signed<ContentRecordValue>, options: { signal?: AbortSignal }): Promise<ValidationOutcome> {
    const kind = "contentRecord" as const;
    const v = r.value;
    let nowS: bigint;
    try {
      nowS = this.deps.chainTime ? await this.deps.chainTime() : BigInt(Math.floor(this.now() / 1000));
    } catch {
      return { verdict: "ignore", reason: "chain_unavailable", kind };
    }
    if (v.timestamp > nowS + BigInt(RECORD_MAX_FUTURE_SECONDS)) return { verdict: "reject", reason: "future", kind };
    let signer: string;
    try {
      signer = recoverTyped("contentRecord", this.opts.originRegistryDomain, v, r.signature);
    } catch {
      return { verdict: "reject", reason: "bad_signature", kind };
    }
    if (this.deps.isBlacklisted?.(v.blobId)) return { verdict: "ignore", reason: "blacklisted", kind, signer };
    let ok: boolean;
    try {
      ok = await this.deps.origins.isValidContentSigner(v.origin, v.epoch, signer, options);
    } catch {
      return { verdict: "ignore", reason: "chain_unavailable", kind, signer };
    }
    if (!ok) return { verdict: "reject", reason: "not_origin", kind, signer };
    return { verdict: "accept", reason: "ok", kind, signer };
  }

  private handleMessage(msg: Message, from: PeerId): void {
    if (!this.topics.includes(msg.topic)) return;
    let decoded: GossipMsg;
    try {
      decoded = decodeGossipMessage(msg.data);
    } catch {
      return; // validated already; cannot happen
    }
    if (decoded.kind === "announcement") for (const l of this.announcementListeners) l({ announcement: decoded.announcement, topic: msg.topic, from });
    else for (const l of this.recordListeners) l({ record: decoded.record, topic: msg.topic, from });
  }
}

function offerKey(o: { multiaddrs: string[]; pricePerGiB: bigint; load: number; region: number }): string {
  // load in 10 % steps: small fluctuations are not a change worth a message
  return JSON.stringify([o.multiaddrs, o.pricePerGiB.toString(), Math.round(o.load / 1000), o.region]);
}
