/**
 * The watchtower's libp2p service, /cdn/watchtower/1.0.0 (js-libp2p service shape: a factory
 * `watchtowerService(options, deps)` returns `(components) => WatchtowerService` with start/stop).
 *
 * A stream carries WatchtowerRequest frames from the node, each answered by one
 * WatchtowerResponse (OK, STALE or REJECTED) in order:
 *  - `auth`: a WatchtowerAuth {nodeId, watchtower, beneficiary, maxBps, expiry} signed by the
 *    authenticated peer's key (its secp256k1 PeerId as an Ethereum address), which must be node
 *    `nodeId`'s current key; it must name this watchtower, be unexpired (chain time), have a
 *    beneficiary that can be paid (not zero, not the PaymentChannel), and satisfy this watchtower's
 *    policy (required beneficiary, minimum bounty). It applies to the updates that follow on the
 *    stream and is stored as the node's latest auth.
 *  - `update`: a Voucher {channelId, cumulativeAmount, signature}. Accepted when the channel exists
 *    and is not closed (or past its dispute window), the peer is the node's current key and the
 *    auth is for the channel's node, the voucher recovers to the payer or a live session key, the amount
 *    is within the deposit, and it is strictly above both the held voucher and the on-chain paid
 *    amount (else STALE). It is stored durably (fsync) *before* OK is sent.
 * Everything is decoded and validated by the wire decoders before any check; streams have a total
 * timeout, an idle timeout (the first request within 2 s), a message cap, and per-connection,
 * per-peer and global concurrency limits.
 */
import type { Connection, Stream } from "@libp2p/interface";
import { isVoucherSigner, type ChannelState } from "../chain/contracts.js";
import type { VoucherValue } from "../protocol/eip712.js";
import { recoverTyped, recoverVoucherSigner } from "../protocol/signed.js";
import { decodeWatchtowerRequest, encodeWatchtowerResponse, FRAME_CAPS, type Signed, type WatchtowerResponseMsg } from "../protocol/wire/messages.js";
import { FramedStream } from "../runtime/framed.js";
import { ProtocolService, type ProtocolRegistrar, type StreamLimits } from "../runtime/protocol-service.js";
import { silentLogger, type Logger } from "../runtime/logger.js";
import { addressOfPeer } from "../runtime/peers.js";
import type { WatchtowerChainView } from "./chain.js";
import { PROTOCOL_WATCHTOWER, WATCHTOWER_LIMITS } from "./constants.js";
import type { WatchtowerMetrics } from "./metrics.js";
import type { HeldAuth, SignedAuth, WatchtowerStore } from "./store.js";

export interface WatchtowerServiceOptions {
  /** When set, only authorisations naming this beneficiary are accepted (the watchtower's fee address). */
  requiredBeneficiary?: string;
  /** Authorisations with a smaller maxBps are refused (default 0). */
  minBountyBps?: number;
  limits?: Partial<typeof WATCHTOWER_LIMITS>;
}

export interface WatchtowerServiceDeps {
  /** This watchtower's address (its identity key, which also signs its dispute transactions). */
  address: string;
  chain: WatchtowerChainView;
  store: WatchtowerStore;
  logger?: Logger;
  metrics?: WatchtowerMetrics;
  /** Called after an update was stored (the monitor disputes at once if the channel is closing). */
  onStored?: (channel: ChannelState, amount: bigint) => void;
}

export interface WatchtowerComponents {
  registrar: ProtocolRegistrar;
}

type Outcome = WatchtowerResponseMsg;
const ok = (message: string): Outcome => ({ status: "OK", message });
const stale = (message: string): Outcome => ({ status: "STALE", message });
const rejected = (message: string): Outcome => ({ status: "REJECTED", message: message.slice(0, 256) });

export class WatchtowerService extends ProtocolService {
  readonly protocol = PROTOCOL_WATCHTOWER;
  readonly [Symbol.toStringTag] = "@cdn/watchtower";
  private readonly limits: typeof WATCHTOWER_LIMITS;
  private readonly log: Logger;
  private active = 0;
  private readonly perPeer = new Map<string, number>();
  stats = { streams: 0, accepted: 0, stale: 0, rejected: 0 };

  constructor(
    private readonly components: WatchtowerComponents,
    private readonly options: WatchtowerServiceOptions,
    private readonly deps: WatchtowerServiceDeps,
  ) {
    super(components.registrar);
    this.limits = { ...WATCHTOWER_LIMITS, ...(options.limits ?? {}) };
    this.log = deps.logger ?? silentLogger();
  }

  protected streamLimits(): StreamLimits {
    return { maxInboundStreams: this.limits.maxInboundStreams, maxOutboundStreams: this.limits.maxOutboundStreams };
  }

  protected async handle(stream: Stream, connection: Connection): Promise<void> {
    const remote = connection.remotePeer.toString();
    const mine = this.perPeer.get(remote) ?? 0;
    if (this.active >= this.limits.maxActiveStreams || mine >= this.limits.maxStreamsPerPeer) {
      stream.abort(new Error("too many watchtower streams"));
      return;
    }
    this.active++;
    this.perPeer.set(remote, mine + 1);
    this.stats.streams++;
    const peer = addressOfPeer(connection.remotePeer);
    const log = this.log.child({ peer: peer ?? connection.remotePeer.toString() });
    const framed = new FramedStream(stream, {
      readCap: FRAME_CAPS.WatchtowerRequest,
      idleTimeoutMs: this.limits.idleTimeoutMs,
      firstFrameTimeoutMs: this.limits.firstMessageTimeoutMs,
      signal: AbortSignal.timeout(this.limits.streamTimeoutMs),
    });
    try {
      const session: { auth?: HeldAuth } = {};
      for (let n = 0; ; n++) {
        const body = await framed.read();
        if (!body) break;
        const { outcome, kind } = await this.answer(body, n, peer, session);
        this.stats[outcome.status === "OK" ? "accepted" : outcome.status === "STALE" ? "stale" : "rejected"]++;
        this.deps.metrics?.requests.inc({ kind: kind ?? "invalid", result: outcome.status.toLowerCase() });
        if (outcome.status !== "OK") log.info({ status: outcome.status, reason: outcome.message }, "watchtower request refused");
        await framed.write(encodeWatchtowerResponse(outcome));
        if (outcome.status === "REJECTED" && n >= this.limits.maxMessagesPerStream) break;
      }
      await framed.close();
    } catch (error) {
      log.debug({ err: (error as Error).message }, "watchtower stream ended with an error");
      framed.abort(error as Error);
    } finally {
      this.active--;
      const left = (this.perPeer.get(remote) ?? 1) - 1;
      if (left > 0) this.perPeer.set(remote, left);
      else this.perPeer.delete(remote);
    }
  }

  /** One request's answer; an authorisation accepted on this stream is kept in `session` for its later updates. */
  private async answer(body: Uint8Array, n: number, peer: string | undefined, session: { auth?: HeldAuth }): Promise<{ outcome: Outcome; kind?: "auth" | "update" }> {
    if (n >= this.limits.maxMessagesPerStream) return { outcome: rejected(`at most ${this.limits.maxMessagesPerStream} messages per stream`) };
    if (!peer) return { outcome: rejected("the peer has no secp256k1 identity, so it cannot be a node key") };
    let msg;
    try {
      msg = decodeWatchtowerRequest(body);
    } catch (error) {
      return { outcome: rejected((error as Error).message) };
    }
    if (msg.kind === "auth") {
      const outcome = await this.acceptAuth(peer, msg.auth);
      if (outcome.status === "OK") session.auth = { ...msg.auth, nodeKey: peer };
      return { outcome, kind: "auth" };
    }
    if (msg.kind === "update") return { outcome: await this.acceptUpdate(peer, msg.voucher, session.auth ?? this.deps.store.auth(peer)), kind: "update" };
    return { outcome: rejected("undecodable request") };
  }

  /** Checks a node's authorisation (exposed for tests). */
  async acceptAuth(peer: string, auth: SignedAuth): Promise<Outcome> {
    const a = auth.value;
    const self = this.deps.address.toLowerCase();
    if (a.watchtower !== self) return rejected(`the authorisation names the watchtower ${a.watchtower}, not this one (${self})`);
    let signer: string;
    try {
      signer = recoverTyped("watchtowerAuth", this.deps.chain.channelDomain, a, auth.signature);
    } catch (error) {
      return rejected(`invalid authorisation signature: ${(error as Error).message}`);
    }
    if (signer !== peer) return rejected(`the authorisation is signed by ${signer}, not by the peer's own key ${peer}`);
    const channelContract = String(this.deps.chain.channelDomain.domain.verifyingContract).toLowerCase();
    if (/^0x0{40}$/.test(a.beneficiary) || a.beneficiary === channelContract) {
      return rejected(`the beneficiary ${a.beneficiary} cannot be paid (the zero address or the PaymentChannel contract)`);
    }
    const required = this.options.requiredBeneficiary?.toLowerCase();
    if (required && a.beneficiary !== required) return rejected(`this watchtower requires the beneficiary ${required}`);
    if (a.maxBps < (this.options.minBountyBps ?? 0)) return rejected(`this watchtower requires a bounty of at least ${this.options.minBountyBps} bps`);
    try {
      const [current, now] = await Promise.all([this.deps.chain.currentNodeKey(a.nodeId), this.deps.chain.chainTime()]);
      if (current !== peer) return rejected(`${peer} is not the current key of node ${a.nodeId}`);
      if (a.expiry <= now) return rejected(`the authorisation expired at ${a.expiry} (chain time ${now})`);
    } catch (error) {
      return rejected(`chain read failed, try again: ${(error as Error).message}`);
    }
    this.deps.store.saveAuth({ ...auth, nodeKey: peer });
    return ok(`authorisation held: node ${a.nodeId}, beneficiary ${a.beneficiary}, ${a.maxBps} bps until ${a.expiry}`);
  }

  /** Checks and durably stores a voucher update (exposed for tests). */
  async acceptUpdate(peer: string, voucher: Signed<VoucherValue>, auth: HeldAuth | undefined): Promise<Outcome> {
    const { channelId, cumulativeAmount: amount } = voucher.value;
    if (!auth || auth.nodeKey !== peer) return rejected("no authorisation from this node key: send a WatchtowerAuth first");
    let channel: ChannelState;
    let now: bigint;
    try {
      [channel, now] = await Promise.all([this.deps.chain.channel(channelId), this.deps.chain.chainTime()]);
    } catch (error) {
      return rejected(`chain read failed, try again: ${(error as Error).message}`);
    }
    if (channel.status === "None") return rejected(`unknown channel ${channelId}`);
    if (channel.status === "Closed") return rejected(`channel ${channelId} is closed`);
    if (channel.status === "Closing" && now >= channel.closesAt) return rejected(`the dispute window of ${channelId} is over`);
    // The channel's node key is the node's current key: a retired key has no say over its channels.
    if (peer !== channel.nodeKey) return rejected(`${peer} is not the current node key of channel ${channelId}`);
    if (auth.value.nodeId !== channel.nodeId) return rejected(`the authorisation is for node ${auth.value.nodeId}, the channel's node is ${channel.nodeId}`);
    let signer: string;
    try {
      signer = recoverVoucherSigner(this.deps.chain.channelDomain, { channelId, cumulativeAmount: amount }, voucher.signature);
    } catch (error) {
      return rejected(`invalid voucher signature: ${(error as Error).message}`);
    }
    if (!isVoucherSigner(channel, signer, now)) return rejected(`the voucher is signed by ${signer}, not by the channel's payer or live session key`);
    if (amount > channel.deposit) return rejected(`the voucher (${amount}) exceeds the channel's deposit (${channel.deposit})`);
    if (amount <= channel.paid) return stale(`${amount} is not above what the channel already paid (${channel.paid})`);
    const held = this.deps.store.voucher(channelId)?.amount;
    if (held !== undefined && amount <= held) return stale(`already holding ${held} for ${channelId}`);
    const stored = this.deps.store.saveVoucher({
      channelId,
      nodeKey: peer,
      payer: channel.payer,
      amount,
      signature: voucher.signature,
      auth,
      status: channel.status,
      closesAt: channel.closesAt,
      paid: channel.paid,
    });
    if (!stored) return stale(`already holding ${this.deps.store.voucher(channelId)?.amount ?? "an equal or better voucher"} for ${channelId}`);
    this.log.debug({ channelId, amount: amount.toString() }, "voucher held");
    this.deps.onStored?.(channel, amount);
    return ok(`holding ${amount} for ${channelId}`);
  }
}

/** The libp2p service factory: `services: { watchtower: watchtowerService(options, deps) }`. */
export function watchtowerService(options: WatchtowerServiceOptions, deps: WatchtowerServiceDeps): (components: WatchtowerComponents) => WatchtowerService {
  return (components) => new WatchtowerService(components, options, deps);
}
