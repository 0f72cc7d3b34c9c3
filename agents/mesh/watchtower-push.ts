/**
 * The node side of the watchtower protocol (in the mesh layer so that the node agent need not import
 * the watchtower agent; the watchtower's service, agents/watchtower/service.ts, is the other side):
 *  - `signWatchtowerAuth`: the node key signs WatchtowerAuth {nodeId, watchtower, beneficiary,
 *    maxBps, expiry} on the fast EIP-712 path (PaymentChannel domain): one per watchtower, naming
 *    the watchtower's own address (its PeerId's key), since only the named watchtower earns with it;
 *  - `pushToWatchtower`: dial one watchtower, send the auth and one or more vouchers on one stream,
 *    await one acknowledgement per voucher (OK only after the watchtower stored it durably);
 *  - `createWatchtowerPusher`: the node agent's hook. `onVoucherStored(channelId, amount, sig)`
 *    after each durably stored voucher; it keeps the latest voucher per channel per watchtower,
 *    pushes in the background (coalescing what arrives while a push is in flight), retries with
 *    a backoff capped at a few seconds when a watchtower is unreachable, pushes every new best
 *    voucher at once even while backing off (at most one attempt per `minAttemptGapMs`), and
 *    never blocks or throws into the caller. `status()` gives, per watchtower, what it has
 *    acknowledged against the newest voucher the node holds.
 */
import type { Stream } from "@libp2p/interface";
import { ZeroAddress } from "ethers";
import { multiaddr, type Multiaddr } from "@multiformats/multiaddr";
import type { WatchtowerAuthValue } from "../protocol/eip712.js";
import type { Eip712Domain } from "../protocol/eip712-fast.js";
import { addressOfPeer } from "../runtime/peers.js";
import { signTyped } from "../protocol/signed.js";
import { decodeWatchtowerResponse, encodeWatchtowerRequest, FRAME_CAPS, type Signed, type WatchtowerResponseMsg } from "../protocol/wire/messages.js";
import { FramedStream } from "../runtime/framed.js";
import { silentLogger, type Logger } from "../runtime/logger.js";
import { MAX_WATCHTOWER_BPS, PROTOCOL_WATCHTOWER } from "../protocol/constants.js";
import { WatchtowerConfigError, WatchtowerRejectedError, WatchtowerStaleError, WatchtowerUnreachableError } from "./watchtower-errors.js";

export { WatchtowerRejectedError, WatchtowerStaleError, WatchtowerUnreachableError, WatchtowerConfigError } from "./watchtower-errors.js";

/** Timing of the node's pushes (docs/watchtower-guide.md). */
export const PUSHER_DEFAULTS = {
  /** One push (dial, auth, updates, acks) must finish within this (ms). */
  timeoutMs: 10_000,
  /**
   * Retry backoff after a failed push: first delay and cap (ms). The cap is a few seconds: while
   * vouchers are pending, a short watchtower outage must not leave the newest ones unpushed.
   */
  retryBaseMs: 250,
  retryMaxMs: 2_000,
  /** A new best voucher is pushed at once, but attempts start at most this often (ms). */
  minAttemptGapMs: 100,
  /** Lifetime of a watchtower authorisation in chain time (s); the node signs a new one at half-life. */
  authTtlSeconds: 30 * 86_400,
};

/** What pushing needs from a libp2p host. */
export interface Dialer {
  dialProtocol(peer: Multiaddr, protocols: string | string[], options?: { signal?: AbortSignal; force?: boolean }): Promise<Stream>;
}

export interface VoucherUpdate {
  channelId: string;
  cumulativeAmount: bigint;
  signature: Uint8Array;
}

/** Signs a WatchtowerAuth with the node key. `maxBps` above the contract's cap (2000) is refused here. */
export function signWatchtowerAuth(domain: Eip712Domain, auth: WatchtowerAuthValue, nodeSecretKey: Uint8Array): Signed<WatchtowerAuthValue> {
  if (!Number.isInteger(auth.maxBps) || auth.maxBps < 0 || auth.maxBps > MAX_WATCHTOWER_BPS) {
    throw new WatchtowerConfigError(`maxBps must be an integer from 0 to ${MAX_WATCHTOWER_BPS} (the contract's cap), not ${auth.maxBps}.`);
  }
  for (const field of ["beneficiary", "watchtower"] as const) {
    if (!/^0x[0-9a-fA-F]{40}$/.test(auth[field])) throw new WatchtowerConfigError(`The ${field} ${auth[field]} is not an address.`);
  }
  const value: WatchtowerAuthValue = { ...auth, watchtower: auth.watchtower.toLowerCase(), beneficiary: auth.beneficiary.toLowerCase() };
  return { value, signature: signTyped("watchtowerAuth", domain, value, nodeSecretKey) };
}

/** The Ethereum address of the watchtower a multiaddr names (its /p2p/ secp256k1 PeerId). */
export function watchtowerAddressOf(target: string | Multiaddr): string {
  const ma = parseTarget(target);
  const peer = ma.getComponents().findLast((c) => c.name === "p2p")?.value;
  const address = peer ? addressOfPeer(peer) : undefined;
  if (!address) throw new WatchtowerConfigError(`The watchtower address ${ma.toString()} does not name a secp256k1 peer id.`);
  return address;
}

function parseTarget(target: string | Multiaddr): Multiaddr {
  let ma: Multiaddr;
  try {
    ma = typeof target === "string" ? multiaddr(target) : target;
  } catch (cause) {
    throw new WatchtowerConfigError(`${String(target)} is not a multiaddr.`, { cause });
  }
  if (!ma.toString().includes("/p2p/")) throw new WatchtowerConfigError(`The watchtower address ${ma.toString()} must end with /p2p/<peer id> (its identity is checked when dialling).`);
  return ma;
}

/**
 * Sends `auth` and `updates` to one watchtower on one stream and returns its answer to each update
 * in order (OK, STALE or REJECTED). Throws WatchtowerRejectedError if the auth is refused, and
 * WatchtowerUnreachableError if the dial, the stream or an acknowledgement fails or times out.
 */
export async function pushToWatchtower(
  dialer: Dialer,
  target: string | Multiaddr,
  auth: Signed<WatchtowerAuthValue>,
  updates: VoucherUpdate[],
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<WatchtowerResponseMsg[]> {
  const ma = parseTarget(target);
  const signal = AbortSignal.any([AbortSignal.timeout(options.timeoutMs ?? PUSHER_DEFAULTS.timeoutMs), ...(options.signal ? [options.signal] : [])]);
  try {
    return await pushOnce(dialer, ma, auth, updates, signal, options.timeoutMs, false);
  } catch (error) {
    // a connection the watchtower dropped (a restart) can look alive for a moment: one retry on a fresh one
    if (!(error instanceof WatchtowerUnreachableError) || signal.aborted) throw error;
    return pushOnce(dialer, ma, auth, updates, signal, options.timeoutMs, true);
  }
}

async function pushOnce(
  dialer: Dialer,
  ma: Multiaddr,
  auth: Signed<WatchtowerAuthValue>,
  updates: VoucherUpdate[],
  signal: AbortSignal,
  timeoutMs: number | undefined,
  force: boolean,
): Promise<WatchtowerResponseMsg[]> {
  const name = ma.toString();
  const options = { timeoutMs };
  let framed: FramedStream | undefined;
  try {
    const stream = await dialer.dialProtocol(ma, PROTOCOL_WATCHTOWER, { signal, force });
    framed = new FramedStream(stream, { readCap: FRAME_CAPS.WatchtowerResponse, idleTimeoutMs: options.timeoutMs ?? PUSHER_DEFAULTS.timeoutMs, signal });
    await framed.write(encodeWatchtowerRequest({ kind: "auth", auth }));
    for (const u of updates) {
      await framed.write(encodeWatchtowerRequest({ kind: "update", voucher: { value: { channelId: u.channelId.toLowerCase(), cumulativeAmount: u.cumulativeAmount }, signature: u.signature } }));
    }
    const answers: WatchtowerResponseMsg[] = [];
    for (let i = 0; i <= updates.length; i++) {
      const body = await framed.read();
      if (!body) throw new Error(`the stream ended after ${i} of ${updates.length + 1} acknowledgements`);
      answers.push(decodeWatchtowerResponse(body));
    }
    await framed.close();
    const [authAnswer, ...rest] = answers;
    if (authAnswer.status !== "OK") throw new WatchtowerRejectedError(name, authAnswer.message);
    return rest;
  } catch (error) {
    framed?.abort(error instanceof Error ? error : new Error(describe(error)));
    if (error instanceof WatchtowerRejectedError) throw error;
    throw new WatchtowerUnreachableError(name, describe(error), { cause: error });
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof Event !== "undefined" && error instanceof Event) return `the stream failed (${error.type} event)`;
  return String(error);
}

/** Pushes one voucher; resolves on OK, throws WatchtowerStaleError, WatchtowerRejectedError or WatchtowerUnreachableError. */
export async function pushVoucher(
  dialer: Dialer,
  target: string | Multiaddr,
  auth: Signed<WatchtowerAuthValue>,
  update: VoucherUpdate,
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<void> {
  const [answer] = await pushToWatchtower(dialer, target, auth, [update], options);
  const name = parseTarget(target).toString();
  if (answer.status === "STALE") throw new WatchtowerStaleError(name, answer.message);
  if (answer.status === "REJECTED") throw new WatchtowerRejectedError(name, answer.message);
}

export interface WatchtowerPusherOptions {
  /** Watchtower multiaddrs, each ending with /p2p/<peer id>. */
  watchtowers: string[];
  /** Who receives the bounty (often the watchtower operator's address). */
  beneficiary: string;
  /** Bounty in basis points of what a dispute recovers (0..2000). */
  maxBps: number;
  /** Lifetime of an authorisation, seconds of chain time (default 30 days); renewed at half-life. */
  authTtlSeconds?: number;
  timeoutMs?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  minAttemptGapMs?: number;
}

export interface WatchtowerPusherDeps {
  /** The node's libp2p host (its PeerId is the node key: that is how the watchtower authenticates it). */
  host: Dialer;
  /** The node key's 32-byte secret (signs the auth). */
  secretKey: Uint8Array;
  /** The node's id in the registry (the auth is bound to it). */
  nodeId: bigint;
  /** Chain time, unix seconds (auth expiries are in chain time). */
  chainTime: () => Promise<bigint>;
  /** PaymentChannel EIP-712 domain. */
  domain: Eip712Domain;
  logger?: Logger;
}

export interface PusherStatus {
  watchtower: string;
  /** Vouchers waiting to be acknowledged. */
  pending: number;
  /** Last acknowledged amount per channel. */
  acknowledged: Record<string, string>;
  /** Sum over channels of the acknowledged amounts, and of the newest vouchers the node handed over. */
  acknowledgedTotal: bigint;
  latestTotal: bigint;
  lastError?: string;
}

export interface WatchtowerPusher {
  /** Call after each durably stored voucher. Never throws, never blocks. */
  onVoucherStored(channelId: string, amount: bigint, signature: Uint8Array): void;
  /** Resolves once every watchtower acknowledged (OK or STALE) everything queued so far, or rejects on abort. */
  flush(options?: { signal?: AbortSignal }): Promise<void>;
  status(): PusherStatus[];
  stop(): Promise<void>;
}

class Target {
  readonly queue = new Map<string, VoucherUpdate>();
  readonly acked = new Map<string, bigint>();
  running: Promise<void> | undefined;
  timer: NodeJS.Timeout | undefined;
  failures = 0;
  lastAttemptAt = -Infinity;
  lastError: string | undefined;
  idle: Array<() => void> = [];
  auth: Signed<WatchtowerAuthValue> | undefined;
  constructor(
    readonly address: string,
    readonly watchtower: string,
  ) {}
}

export function createWatchtowerPusher(options: WatchtowerPusherOptions, deps: WatchtowerPusherDeps): WatchtowerPusher {
  return new Pusher(options, deps);
}

/** Each watchtower gets its own queue of newest vouchers per channel, pushed in batches, retried with capped backoff. */
class Pusher implements WatchtowerPusher {
  private readonly targets: Target[];
  private readonly ttl: bigint;
  private readonly log: Logger;
  private readonly stopController = new AbortController();
  private readonly retryBase: number;
  private readonly retryMax: number;
  private readonly minGap: number;
  /** The newest voucher amount handed over per channel (for status). */
  private readonly latest = new Map<string, bigint>();

  constructor(
    private readonly options: WatchtowerPusherOptions,
    private readonly deps: WatchtowerPusherDeps,
  ) {
    this.targets = options.watchtowers.map((w) => new Target(w, watchtowerAddressOf(w)));
    this.ttl = BigInt(options.authTtlSeconds ?? PUSHER_DEFAULTS.authTtlSeconds);
    // Checked now, so a bad configuration fails at start rather than on the first push.
    signWatchtowerAuth(
      deps.domain,
      { nodeId: deps.nodeId, watchtower: this.targets[0]?.watchtower ?? ZeroAddress, beneficiary: options.beneficiary, maxBps: options.maxBps, expiry: 0n },
      deps.secretKey,
    );
    this.log = deps.logger ?? silentLogger();
    this.retryBase = options.retryBaseMs ?? PUSHER_DEFAULTS.retryBaseMs;
    this.retryMax = options.retryMaxMs ?? PUSHER_DEFAULTS.retryMaxMs;
    this.minGap = options.minAttemptGapMs ?? PUSHER_DEFAULTS.minAttemptGapMs;
  }

  onVoucherStored(channelId: string, amount: bigint, signature: Uint8Array): void {
    const id = channelId.toLowerCase();
    if (amount > (this.latest.get(id) ?? -1n)) this.latest.set(id, amount);
    for (const t of this.targets) {
      const queued = t.queue.get(id);
      if ((queued && queued.cumulativeAmount >= amount) || (t.acked.get(id) ?? -1n) >= amount) continue;
      t.queue.set(id, { channelId: id, cumulativeAmount: amount, signature });
      if (t.running) continue; // coalesced: pushed when the push in flight ends (or on its retry)
      // a new best voucher goes out now, even while backing off (one attempt per minGap at most)
      const wait = Math.max(0, t.lastAttemptAt + this.minGap - performance.now());
      if (wait === 0) this.kick(t);
      else this.schedule(t, wait);
    }
  }

  async flush(opts: { signal?: AbortSignal } = {}): Promise<void> {
    await Promise.all(this.targets.map((t) => this.idleOf(t, opts.signal)));
  }

  status(): PusherStatus[] {
    return this.targets.map((t) => ({
      watchtower: t.address,
      pending: t.queue.size,
      acknowledged: Object.fromEntries([...t.acked].map(([k, v]) => [k, v.toString()])),
      acknowledgedTotal: [...t.acked.values()].reduce((a, b) => a + b, 0n),
      latestTotal: [...this.latest.values()].reduce((a, b) => a + b, 0n),
      lastError: t.lastError,
    }));
  }

  async stop(): Promise<void> {
    this.stopController.abort();
    for (const t of this.targets) if (t.timer) clearTimeout(t.timer);
    await Promise.allSettled(this.targets.map((t) => t.running));
  }

  /** Resolves once `t` acknowledged everything queued so far (pushing now if nothing is running or scheduled). */
  private idleOf(t: Target, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (t.queue.size === 0 && !t.running) return resolve();
      const onAbort = () => reject(signal?.reason ?? new Error("aborted"));
      signal?.addEventListener("abort", onAbort, { once: true });
      t.idle.push(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      });
      if (!t.running && !t.timer) this.kick(t);
    });
  }

  /** The target's authorisation, signed again once half its lifetime has passed. */
  private async authFor(t: Target): Promise<Signed<WatchtowerAuthValue>> {
    const now = await this.deps.chainTime();
    if (!t.auth || t.auth.value.expiry - now < this.ttl / 2n) {
      t.auth = signWatchtowerAuth(
        this.deps.domain,
        { nodeId: this.deps.nodeId, watchtower: t.watchtower, beneficiary: this.options.beneficiary, maxBps: this.options.maxBps, expiry: now + this.ttl },
        this.deps.secretKey,
      );
    }
    return t.auth;
  }

  private settleIdle(t: Target): void {
    if (t.queue.size > 0) return;
    for (const f of t.idle.splice(0)) f();
  }

  /** Pushes `t`'s queue in batches until it is empty; a failed push schedules a retry with capped backoff. */
  private async drain(t: Target): Promise<void> {
    while (t.queue.size > 0 && !this.stopController.signal.aborted) {
      const batch = [...t.queue.values()].slice(0, 200);
      t.lastAttemptAt = performance.now();
      try {
        const answers = await pushToWatchtower(this.deps.host, t.address, await this.authFor(t), batch, { signal: this.stopController.signal, timeoutMs: this.options.timeoutMs });
        t.failures = 0;
        t.lastError = undefined;
        answers.forEach((a, i) => this.answered(t, batch[i], a));
      } catch (error) {
        t.failures++;
        t.lastError = (error as Error).message;
        if (error instanceof WatchtowerRejectedError) {
          this.log.error({ watchtower: t.address, err: t.lastError }, "watchtower refused this node's authorisation");
        } else {
          this.log.warn({ watchtower: t.address, err: t.lastError, failures: t.failures }, "watchtower push failed; will retry");
        }
        this.schedule(t, Math.min(this.retryMax, this.retryBase * 2 ** Math.min(t.failures - 1, 10)));
        return;
      }
    }
    this.settleIdle(t);
  }

  private answered(t: Target, u: VoucherUpdate, a: WatchtowerResponseMsg): void {
    if (a.status === "OK") t.acked.set(u.channelId, u.cumulativeAmount);
    else if (a.status === "REJECTED") this.log.warn({ watchtower: t.address, channelId: u.channelId, reason: a.message }, "watchtower rejected a voucher");
    // OK, STALE (it holds as much or more) and REJECTED (retrying cannot help) all leave the queue,
    // unless a newer voucher replaced this one meanwhile
    if (t.queue.get(u.channelId) === u) t.queue.delete(u.channelId);
  }

  private schedule(t: Target, delay: number): void {
    if (t.timer) clearTimeout(t.timer);
    t.timer = setTimeout(() => this.kick(t), delay);
    t.timer.unref?.();
  }

  private kick(t: Target): void {
    if (t.running || this.stopController.signal.aborted) return;
    if (t.timer) clearTimeout(t.timer);
    t.timer = undefined;
    t.running = this.drain(t).finally(() => {
      t.running = undefined;
      // vouchers that arrived during the push
      if (t.queue.size > 0 && !t.timer && t.failures === 0) this.kick(t);
    });
  }
}
