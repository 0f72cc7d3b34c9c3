/**
 * The watchtower's chain monitor (Raiden monitoring-service shape). It follows ChannelCloseStarted
 * and ChannelClosed with a ChainFollower (stored cursor, confirmation depth, bounded log ranges,
 * backoff), and on start rescans every held channel that is not known to be closed, in batches,
 * in case events were missed while it was down.
 *
 * Logs are filtered by topic to the ids of the nodes that authorised this watchtower (`nodeId` is
 * indexed in every close event), so it never downloads the network's other closes.
 *
 * For a held channel that is Closing with on-chain paid below the held voucher, it submits
 * `dispute(channelId, amount, signature, auth, authSignature)`: at
 * `min(seen + disputeDelaySeconds, closesAt − disputeMarginSeconds)` in chain time (at once by
 * default), never once the next block could be past `closesAt`; with a usable authorisation (it
 * names this watchtower and is valid then) no earlier than `bountyFrom`, the second half of the
 * window in which a dispute earns the bounty (the first half is the node's). RPC errors are retried with
 * exponential backoff; definitive contract refusals are recorded as outcomes (disputed,
 * not_needed, missed, failed). Transactions go through the agent's one TxSender (nonces, fee cap,
 * replacement of a stuck dispute, receipts with confirmations) and are awaited concurrently.
 */
import { ZeroAddress, toBeHex, zeroPadValue, type Log } from "ethers";
import type { ChannelState, Contracts } from "../chain/contracts.js";
import { resolveConfirmations } from "../chain/confirmations.js";
import { ChainFollower } from "../chain/follower.js";
import { decodeRevert } from "../chain/errors.js";
import { TxRevertedError, TxSender } from "../chain/tx-sender.js";
import { silentLogger, type Logger } from "../runtime/logger.js";
import type { WatchtowerChainView } from "./chain.js";
import { MONITOR_DEFAULTS } from "./constants.js";
import type { WatchtowerMetrics } from "./metrics.js";
import type { DisputeOutcome, HeldVoucher, WatchtowerStore } from "./store.js";

export interface MonitorOptions {
  confirmations?: number;
  pollMs?: number;
  maxLogRange?: number;
  disputeDelaySeconds?: number;
  disputeMarginSeconds?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  rescanBatch?: number;
}

export interface MonitorDeps {
  /** Contracts connected to the watchtower's wallet (it pays the dispute gas). */
  contracts: Contracts;
  chain: WatchtowerChainView;
  store: WatchtowerStore;
  logger?: Logger;
  metrics?: WatchtowerMetrics;
  /** The account's transaction sender (default: one over the contracts' wallet). */
  sender?: TxSender;
}

interface Pending {
  channelId: string;
  closesAt: bigint;
  /** Chain time from which a dispute earns the bounty (read once). */
  bountyFrom?: bigint;
  /** Chain time at which to submit. */
  dueAt: bigint;
  /** Wall-clock ms before which no retry is attempted (backoff). */
  retryAt: number;
  attempts: number;
  inFlight: boolean;
  /** A dispute transaction was sent and its receipt is awaited. */
  awaiting: boolean;
}

const CURSOR = "channels";
const NO_AUTH = { nodeId: 0n, watchtower: ZeroAddress, beneficiary: ZeroAddress, maxBps: 0, expiry: 0n };

type DisputeExtra = { txHash?: string; recovered?: bigint; bounty?: bigint; beneficiary?: string };

export class Monitor {
  private readonly o: Required<MonitorOptions>;
  /** The confirmation depth in use (resolved at start when not configured). */
  confirmations: number;
  private readonly log: Logger;
  private follower: ChainFollower | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private ticking: Promise<void> | undefined;
  private readonly pending = new Map<string, Pending>();
  private readonly sender: TxSender;
  private needsRescan = false;
  /** A reorg replaced handled blocks: the next rescan re-reads closed channels too. */
  private rescanClosed = false;
  private address: string | undefined;
  private readonly receipts = new Set<Promise<void>>();
  stats = { disputesSubmitted: 0, disputesConfirmed: 0, rpcErrors: 0 };

  private readonly configuredConfirmations: number | undefined;

  constructor(
    options: MonitorOptions,
    private readonly deps: MonitorDeps,
  ) {
    this.configuredConfirmations = options.confirmations;
    this.o = { ...MONITOR_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as Required<MonitorOptions>;
    this.confirmations = this.o.confirmations;
    this.log = deps.logger ?? silentLogger();
    this.sender = deps.sender ?? new TxSender({}, { signer: deps.contracts.channels.runner as never, logger: this.log });
  }

  /** Rescans held channels, then follows the chain and works the dispute queue until stop(). */
  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    const { contracts, store } = this.deps;
    try {
      await this.rescan(options);
    } catch (error) {
      // an RPC outage at start must not keep the watchtower down: the queue loop retries the rescan
      options.signal?.throwIfAborted();
      this.needsRescan = true;
      this.stats.rpcErrors++;
      this.deps.metrics?.rpcErrors.inc();
      this.log.warn({ err: (error as Error).message }, "startup rescan failed; retrying");
    }
    this.confirmations = await resolveConfirmations(contracts.provider, this.configuredConfirmations, MONITOR_DEFAULTS.confirmations);
    this.sender.options.confirmations = this.confirmations;
    const address = await contracts.channels.getAddress();
    const iface = contracts.channels.interface;
    const events = [iface.getEvent("ChannelCloseStarted").topicHash, iface.getEvent("ChannelClosed").topicHash];
    // Only the channels of the nodes that authorised this watchtower (nodeId is the second topic).
    const topics = () => {
      const nodeIds = store.nodeIds();
      return nodeIds.length === 0 ? null : [events, null, nodeIds.map((id) => zeroPadValue(toBeHex(id), 32))];
    };
    this.follower = new ChainFollower(
      { address: [address], topics, confirmations: this.confirmations, maxRange: this.o.maxLogRange, pollMs: this.o.pollMs, startBlock: contracts.deployment.deploymentBlock },
      {
        provider: contracts.provider,
        loadCursor: () => store.cursor(CURSOR),
        saveCursor: (b) => store.saveCursor(CURSOR, b),
        onLogs: (logs) => this.onLogs(logs),
        onReorg: ({ fromBlock, toBlock }) => {
          this.log.warn({ fromBlock, toBlock }, "chain reorg: blocks already handled were replaced; re-reading every held channel");
          this.rescanClosed = true;
          this.needsRescan = true;
          this.schedule(0);
        },
        onError: (error, attempt) => {
          this.stats.rpcErrors++;
          this.deps.metrics?.rpcErrors.inc();
          this.log.warn({ err: (error as Error).message, attempt }, "chain follower: RPC error, backing off");
        },
      },
    );
    this.running = true;
    this.follower.start();
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.follower?.stop();
    await this.ticking;
    await Promise.allSettled([...this.receipts]);
  }

  /** Channel ids waiting for a dispute (tests, status). */
  get queued(): string[] {
    return [...this.pending.keys()];
  }

  /** Every held channel not known to be closed: read its state in batches and queue disputes. */
  async rescan(options: { signal?: AbortSignal; closed?: boolean } = {}): Promise<number> {
    const held = options.closed ? this.deps.store.held() : this.deps.store.unsettled();
    let queued = 0;
    for (let i = 0; i < held.length; i += this.o.rescanBatch) {
      options.signal?.throwIfAborted();
      const ids = held.slice(i, i + this.o.rescanBatch).map((h) => h.channelId);
      const states = await this.deps.chain.channels(ids);
      const now = states.some((s) => s.status === "Closing") ? await this.deps.chain.chainTime() : 0n;
      for (const s of states) {
        this.deps.store.saveChainState(s.channelId, s);
        if (this.consider(s, now)) queued++;
      }
    }
    this.log.info({ held: held.length, queued }, "rescanned held channels");
    return queued;
  }

  /** The service stored a better voucher: if the channel is closing, dispute now. */
  onStored(channel: ChannelState): void {
    if (channel.status !== "Closing") return;
    void this.deps.chain
      .chainTime()
      .then((now) => {
        if (this.consider(channel, now)) this.schedule(0);
      })
      .catch((error: unknown) => {
        this.log.warn({ err: (error as Error).message }, "chain time read failed; the rescan or next close event will queue the channel");
        this.enqueue(channel.channelId, channel.closesAt, 0n);
      });
  }

  private async onLogs(logs: Log[]): Promise<void> {
    const iface = this.deps.contracts.channels.interface;
    let now: bigint | undefined;
    for (const log of logs) {
      const parsed = iface.parseLog(log);
      if (!parsed) continue;
      const channelId = String(parsed.args.channelId).toLowerCase();
      const held = this.deps.store.voucher(channelId);
      if (!held) continue;
      if (parsed.name === "ChannelClosed") {
        this.deps.store.saveChainState(channelId, { status: "Closed", closesAt: held.closesAt, paid: BigInt(parsed.args.paid) });
        this.pending.delete(channelId);
        continue;
      }
      const closesAt = BigInt(parsed.args.closesAt);
      if (held.status === "Closed") continue;
      this.deps.store.saveChainState(channelId, { status: "Closing", closesAt });
      now ??= await this.deps.chain.chainTime();
      this.log.info({ channelId, closesAt: closesAt.toString(), held: held.amount.toString() }, "close started on a held channel");
      this.enqueue(channelId, closesAt, now);
    }
    this.schedule(0);
  }

  /** Queues a dispute if the channel is closing below the held voucher. Returns whether it did. */
  private consider(s: ChannelState, now: bigint): boolean {
    if (s.status !== "Closing") {
      this.pending.delete(s.channelId);
      return false;
    }
    const held = this.deps.store.voucher(s.channelId);
    if (!held || held.amount <= s.paid) return false;
    this.enqueue(s.channelId, s.closesAt, now);
    return true;
  }

  private enqueue(channelId: string, closesAt: bigint, now: bigint): void {
    const existing = this.pending.get(channelId);
    if (existing) {
      existing.closesAt = closesAt;
      return;
    }
    const byDelay = now + BigInt(this.o.disputeDelaySeconds);
    const byMargin = closesAt - BigInt(this.o.disputeMarginSeconds);
    const dueAt = byDelay < byMargin ? byDelay : byMargin;
    this.pending.set(channelId, { channelId, closesAt, dueAt, retryAt: 0, attempts: 0, inFlight: false, awaiting: false });
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.ticking) return this.schedule(50);
      this.ticking = this.tick().finally(() => {
        this.ticking = undefined;
        this.schedule(this.o.pollMs);
      });
    }, ms);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    if (this.needsRescan) {
      try {
        const closed = this.rescanClosed;
        await this.rescan({ closed });
        this.needsRescan = false;
        if (closed) this.rescanClosed = false;
      } catch (error) {
        this.stats.rpcErrors++;
        this.deps.metrics?.rpcErrors.inc();
        this.log.warn({ err: (error as Error).message }, "rescan failed; retrying");
      }
    }
    if (this.pending.size === 0) return;
    let now: bigint;
    try {
      now = await this.deps.chain.chainTime();
    } catch (error) {
      this.stats.rpcErrors++;
      this.deps.metrics?.rpcErrors.inc();
      this.log.warn({ err: (error as Error).message }, "chain time read failed; retrying");
      return;
    }
    for (const p of [...this.pending.values()]) {
      if (p.inFlight || p.awaiting || p.retryAt > Date.now()) continue;
      if (now < p.dueAt && now + 1n <= p.closesAt) continue;
      p.inFlight = true;
      try {
        await this.attempt(p, now);
      } finally {
        p.inFlight = false;
      }
    }
  }

  /** One dispute attempt: re-read the channel, submit if still needed, classify failures. */
  private async attempt(p: Pending, now: bigint): Promise<void> {
    const { store, chain, contracts } = this.deps;
    const held = store.voucher(p.channelId);
    if (!held) return void this.pending.delete(p.channelId);
    const done = (outcome: DisputeOutcome, detail: string, extra?: DisputeExtra) => this.finish(p, held, outcome, detail, extra);
    let state: ChannelState;
    try {
      state = await chain.channel(p.channelId);
    } catch (error) {
      return this.backoff(p, error);
    }
    store.saveChainState(p.channelId, state);
    if (state.status === "Closed") return done(state.paid >= held.amount ? "not_needed" : "missed", `channel closed with ${state.paid} paid`);
    if (state.status !== "Closing") return void this.pending.delete(p.channelId);
    if (state.paid >= held.amount) return done("not_needed", `on-chain paid ${state.paid} already covers the held ${held.amount}`);
    if (now + 1n > state.closesAt) return done("missed", `the window ended at ${state.closesAt} (chain time ${now})`);

    const auth = held.auth;
    const self = await this.self();
    const usable = auth.value.watchtower.toLowerCase() === self && auth.value.nodeId === state.nodeId && auth.value.expiry > now;
    if (usable) {
      // The bounty is earned only in the second half of the window: wait for it if there is time.
      if (p.bountyFrom === undefined) {
        try {
          p.bountyFrom = await chain.bountyFrom(p.channelId);
        } catch (error) {
          return this.backoff(p, error);
        }
      }
      const latest = state.closesAt - BigInt(this.o.disputeMarginSeconds);
      if (now + 1n < p.bountyFrom && p.bountyFrom <= latest && p.bountyFrom <= auth.value.expiry) {
        p.dueAt = p.bountyFrom - 1n;
        return;
      }
    }
    p.attempts++;
    let tx: { hash: string; wait(): Promise<unknown> };
    try {
      const sent = await this.sender.send(
        usable
          ? contracts.channels.dispute.populateTransaction(p.channelId, held.amount, held.signature, auth.value, auth.signature)
          : contracts.channels.dispute.populateTransaction(p.channelId, held.amount, held.signature, NO_AUTH, "0x"),
        { label: `dispute channel ${p.channelId}` },
      );
      tx = { hash: sent.hashes[0], wait: () => sent.wait() };
    } catch (error) {
      return this.refusedOrRetry(p, error, done);
    }
    this.stats.disputesSubmitted++;
    this.log.info({ channelId: p.channelId, amount: held.amount.toString(), txHash: tx.hash, attempt: p.attempts }, "dispute submitted");
    p.awaiting = true;
    const receipt = this.awaitReceipt(p, tx, state, held);
    this.receipts.add(receipt);
    void receipt.finally(() => this.receipts.delete(receipt));
  }

  /** Records a dispute's outcome (store, metrics, log) and stops tracking the channel. */
  private finish(p: Pending, held: HeldVoucher, outcome: DisputeOutcome, detail: string, extra: DisputeExtra = {}): void {
    this.pending.delete(p.channelId);
    this.deps.store.recordDispute({
      channelId: p.channelId,
      amount: held.amount,
      outcome,
      detail,
      recovered: extra.recovered ?? 0n,
      bounty: extra.bounty ?? 0n,
      txHash: extra.txHash,
      beneficiary: extra.beneficiary,
    });
    this.deps.metrics?.disputes.inc({ outcome });
    if (extra.recovered) this.deps.metrics?.recovered.inc(Number(extra.recovered));
    if (extra.bounty) this.deps.metrics?.bounties.inc(Number(extra.bounty));
    this.log.info({ channelId: p.channelId, outcome, detail, txHash: extra.txHash }, `dispute ${outcome}`);
  }

  /** Waits for a submitted dispute to be mined and records what it recovered; a revert or RPC failure backs off to a fresh attempt. */
  private async awaitReceipt(p: Pending, tx: { hash: string; wait(): Promise<unknown> }, state: ChannelState, held: HeldVoucher): Promise<void> {
    try {
      const r = (await tx.wait()) as { logs: Log[]; hash: string } | null;
      const { recovered, bounty, beneficiary } = this.disputeResult(r?.logs ?? []);
      this.stats.disputesConfirmed++;
      this.deps.store.saveChainState(p.channelId, { status: "Closing", closesAt: state.closesAt, paid: held.amount > state.deposit ? state.deposit : held.amount });
      this.finish(p, held, "disputed", `recovered ${recovered}, bounty ${bounty}`, { txHash: r?.hash ?? tx.hash, recovered, bounty, beneficiary });
    } catch (error) {
      // mined but reverted (raced by a payee close or another dispute), or the RPC failed:
      // the next attempt re-reads the channel and records what happened
      p.awaiting = false;
      this.backoff(p, error);
    }
  }

  /** What a mined dispute recovered for the node and paid as bounty, from its ChannelDisputed event. */
  private disputeResult(logs: Log[]): { recovered: bigint; bounty: bigint; beneficiary?: string } {
    const result: { recovered: bigint; bounty: bigint; beneficiary?: string } = { recovered: 0n, bounty: 0n };
    for (const log of logs) {
      let parsed: ReturnType<typeof this.deps.contracts.channels.interface.parseLog>;
      try {
        parsed = this.deps.contracts.channels.interface.parseLog(log);
      } catch {
        continue;
      }
      if (parsed?.name === "ChannelDisputed") {
        result.recovered = BigInt(parsed.args.recovered);
        result.bounty = BigInt(parsed.args.bounty);
        result.beneficiary = String(parsed.args.beneficiary).toLowerCase();
      }
    }
    return result;
  }

  /** The watchtower's own address (the signer of its disputes; authorisations must name it). */
  private async self(): Promise<string> {
    this.address ??= (await this.sender.getAddress()).toLowerCase();
    return this.address;
  }

  private async refusedOrRetry(p: Pending, error: unknown, done: (o: DisputeOutcome, detail: string) => void): Promise<void> {
    // the sender's refusal carries the RPC error (with the revert data) as its cause
    const refused = decodeRevert(error instanceof TxRevertedError && error.cause ? error.cause : error);
    if (refused === undefined) return this.backoff(p, error);
    const name = refused.reason;
    if (name === "PaymentChannelVoucherTooLow") return done("not_needed", "the contract says paid already covers the voucher");
    if (name === "PaymentChannelDisputeWindowOver") return done("missed", "the dispute window ended first");
    if (name === "PaymentChannelWrongStatus") {
      // closed meanwhile (a payee close or settle): the next attempt records what was paid
      p.retryAt = 0;
      return;
    }
    return done("failed", `the contract refused the dispute: ${refused.message}`);
  }

  private backoff(p: Pending, error: unknown): void {
    this.stats.rpcErrors++;
    this.deps.metrics?.rpcErrors.inc();
    const delay = Math.min(this.o.retryMaxMs, this.o.retryBaseMs * 2 ** Math.min(p.attempts, 10));
    p.retryAt = Date.now() + delay;
    p.attempts++;
    this.log.warn({ channelId: p.channelId, err: (error as Error).message?.split("\n")[0], retryInMs: delay }, "dispute attempt failed; retrying");
  }
}
