/**
 * The client's payment channels (docs/channels.md): open with an EIP-2612 permit (one
 * transaction), reuse, top up, close, settle, and refresh from chain. Every transaction goes out
 * through one `send(tx)` path, so a transaction sender (nonce management, fee policy, retries)
 * plugs in at one place (`ChannelManagerDeps.sender`). Channels used by a download are locked so
 * two sessions never sign on one channel at once.
 */
import { formatUnits, hexlify, randomBytes, type ContractTransaction, type Provider, type TransactionReceipt, type Wallet } from "ethers";
import { readChannel, type Contracts } from "../chain/contracts.js";
import { chainError } from "../chain/errors.js";
import { checkFunds } from "../chain/funds.js";
import { signUsdcPermit, type PermitSignature } from "../chain/permit.js";
import { TxSender } from "../chain/tx-sender.js";
import type { Identity } from "../runtime/keys.js";
import { silentLogger, type Logger } from "../runtime/logger.js";
import { ChannelError } from "./errors.js";
import type { ClientChannel, ClientStore } from "./store.js";

/** Sends one transaction from the client's wallet and waits for it to be mined. */
export type TransactionSender = (tx: ContractTransaction, options: { signal?: AbortSignal }) => Promise<TransactionReceipt | null>;

export interface ChannelManagerOptions {
  /** Deposit of a new channel (default: max(minimum deposit, 2 × what is needed)). */
  deposit?: bigint;
  /** Channels to one node used at the same time by concurrent downloads (default 4); more downloads share one and wait their turn. */
  maxChannelsPerNode?: number;
}

export interface ChannelManagerDeps {
  identity: Identity;
  /** Contracts (the client's channels are read and sent through them). */
  contracts: Contracts;
  store: ClientStore;
  logger?: Logger;
  /** The transaction sender (default: a TxSender over the identity's wallet with default settings; agents pass their account's one TxSender). */
  sender?: TransactionSender;
}

/** Gas of an open with permit, rounded up (gas/channels-registry.json: 188,165): for the ETH check before sending. */
const OPEN_GAS = 250_000n;
/** Gas of a top-up with permit, rounded up (gas/channels.json: topUp 61,153 plus the permit). */
const TOP_UP_GAS = 120_000n;
export class ChannelManager {
  private readonly log: Logger;
  private readonly sender: TransactionSender;
  private readonly locks = new Map<string, Promise<void>>();
  private readonly queues = new Map<string, Promise<void>>();
  /** Channels in use by running downloads (how many each). */
  private readonly reserved = new Map<string, number>();

  constructor(
    readonly options: ChannelManagerOptions,
    readonly deps: ChannelManagerDeps,
  ) {
    this.log = deps.logger ?? silentLogger();
    this.sender = deps.sender ?? viaTxSender(new TxSender({}, { signer: this.wallet(), logger: this.log }));
  }

  private wallet(): Wallet {
    return this.deps.identity.wallet.connect(this.deps.contracts.provider as Provider) as Wallet;
  }

  /** The one path of every channel transaction: sent, mined, or a ChannelError `failure: <reason>`. */
  async send(tx: ContractTransaction | Promise<ContractTransaction>, failure: string, options: { signal?: AbortSignal } = {}): Promise<TransactionReceipt | null> {
    try {
      const populated = await tx;
      // one transaction at a time: concurrent sends from one wallet would reuse a nonce
      return await this.serialized("wallet", () => this.sender(populated, options));
    } catch (cause) {
      throw new ChannelError(`${failure}: ${chainError(cause, "send the transaction").message}`, { cause });
    }
  }

  /** An EIP-2612 permit of the client's USDC to `spender` (domain read from the token, deadline from chain time). */
  async permit(spender: string, value: bigint): Promise<PermitSignature> {
    return signUsdcPermit(this.deps.contracts, this.deps.identity.wallet, spender, value);
  }

  /** Opens a channel to `nodeKey` with an EIP-2612 permit (one transaction). */
  async open(nodeKey: string, deposit: bigint, options: { signal?: AbortSignal } = {}): Promise<ClientChannel> {
    options.signal?.throwIfAborted();
    const { channels, chainId } = this.deps.contracts;
    const payer = this.deps.identity.address;
    const nonce = hexlify(randomBytes(32));
    await checkFunds(this.deps.contracts, payer, { usdc: deposit, gas: OPEN_GAS, purpose: `a channel deposit of ${formatUnits(deposit, 6)} USDC` });
    const p = await this.permit(await channels.getAddress(), deposit);
    const channelId = (await channels.channelIdFor(payer, nodeKey, nonce)).toLowerCase();
    const tx = channels.openWithPermit.populateTransaction(nodeKey, deposit, payer, 0n, nonce, p.deadline, p.v, p.r, p.s);
    await this.send(tx, `Opening a channel to ${nodeKey} failed (chain ${chainId})`, options);
    const state = await readChannel(channels, channelId);
    this.deps.store.upsertChannel({ channelId, nodeKey, nodeId: state.nodeId, deposit: state.deposit, status: state.status });
    this.log.info({ channelId, nodeKey, deposit: deposit.toString() }, "channel opened");
    return this.deps.store.channel(channelId)!;
  }

  /** Adds `amount` to an open channel's deposit (permit, one transaction). */
  async topUp(channelId: string, amount: bigint, options: { signal?: AbortSignal } = {}): Promise<ClientChannel> {
    options.signal?.throwIfAborted();
    const { channels } = this.deps.contracts;
    await checkFunds(this.deps.contracts, this.deps.identity.address, { usdc: amount, gas: TOP_UP_GAS, purpose: `a top-up of ${formatUnits(amount, 6)} USDC` });
    const p = await this.permit(await channels.getAddress(), amount);
    await this.send(channels.topUpWithPermit.populateTransaction(channelId, amount, p.deadline, p.v, p.r, p.s), `Topping up channel ${channelId} failed`, options);
    return this.refresh(channelId);
  }

  /** Starts the payer's close (dispute window). */
  async close(channelId: string, options: { signal?: AbortSignal } = {}): Promise<ClientChannel> {
    options.signal?.throwIfAborted();
    await this.send(this.deps.contracts.channels.closeByPayer.populateTransaction(channelId), `Closing channel ${channelId} failed`, options);
    return this.refresh(channelId);
  }

  /** Settles a channel whose dispute window is over (refunds the rest). */
  async settle(channelId: string, options: { signal?: AbortSignal } = {}): Promise<ClientChannel> {
    options.signal?.throwIfAborted();
    await this.send(this.deps.contracts.channels.settle.populateTransaction(channelId), `Settling channel ${channelId} failed`, options);
    return this.refresh(channelId);
  }

  /** Reads a channel from chain into the store. */
  async refresh(channelId: string): Promise<ClientChannel> {
    const state = await readChannel(this.deps.contracts.channels, channelId);
    if (state.status === "None") throw new ChannelError(`No channel ${channelId} on chain.`);
    this.deps.store.upsertChannel({ channelId: state.channelId, nodeKey: state.nodeKey, nodeId: state.nodeId, deposit: state.deposit, status: state.status });
    return this.deps.store.channel(channelId)!;
  }

  /**
   * An open channel to `nodeKey` with at least `need` left: reused, topped up, or opened. Channels
   * in `options.skip` (in use by running downloads) are left alone.
   */
  async channelFor(nodeKey: string, need: bigint, options: { signal?: AbortSignal; trustStore?: boolean; steps?: string[]; skip?: ReadonlySet<string> } = {}): Promise<ClientChannel> {
    if (options.trustStore) {
      // the warm path: this client is the only payer of its channels, so the store's deposit and signed amount are current;
      // a node's close is the one change it may miss (the node then refuses and the caller re-reads)
      const ready = this.deps.store.channelsFor(nodeKey).find((c) => c.status === "Open" && c.deposit - c.signed >= need && !options.skip?.has(c.channelId));
      if (ready) return ready;
    }
    for (const local of this.deps.store.channelsFor(nodeKey)) {
      if (local.status !== "Open" || options.skip?.has(local.channelId)) continue;
      options.steps?.push("chain: channel");
      const c = await this.refresh(local.channelId);
      if (c.status !== "Open") continue;
      const left = c.deposit - c.signed;
      if (left >= need) return c;
      options.steps?.push("chain: top-up transaction");
      return this.topUp(c.channelId, need - left + need / 2n + 1n, options);
    }
    const minDeposit = await this.deps.contracts.params.minChannelDeposit();
    let deposit = this.options.deposit ?? 2n * need;
    if (deposit < minDeposit) deposit = minDeposit;
    if (deposit < need) deposit = need;
    options.steps?.push("chain: open transaction");
    return this.open(nodeKey, deposit, options);
  }

  /**
   * A channel for one download, reserved until `release`: concurrent downloads from one node (a
   * gateway's <img> and <video>, two ranges of a video) each get their own channel, since the
   * vouchers of one channel are one cumulative sequence, up to `maxChannelsPerNode` busy ones;
   * beyond that a download shares one and waits its turn (withLock). Chosen under a per-node lock,
   * so two downloads never open two channels for one need.
   */
  async reserve(nodeKey: string, need: bigint, options: { signal?: AbortSignal; trustStore?: boolean; steps?: string[] } = {}): Promise<{ channel: ClientChannel; release(): void }> {
    const channel = await this.serialized(`node:${nodeKey}`, async () => {
      const busy = new Set(this.reserved.keys());
      const busyHere = this.deps.store.channelsFor(nodeKey).filter((c) => busy.has(c.channelId)).length;
      const c = await this.channelFor(nodeKey, need, { ...options, skip: busyHere < (this.options.maxChannelsPerNode ?? 4) ? busy : undefined });
      this.reserved.set(c.channelId, (this.reserved.get(c.channelId) ?? 0) + 1);
      return c;
    });
    let released = false;
    return {
      channel,
      release: () => {
        if (released) return;
        released = true;
        const n = (this.reserved.get(channel.channelId) ?? 1) - 1;
        if (n > 0) this.reserved.set(channel.channelId, n);
        else this.reserved.delete(channel.channelId);
      },
    };
  }

  /** Runs `fn` after every earlier call with the same `key` finished (a promise-chain mutex). */
  private serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.queues.get(key) ?? Promise.resolve()).then(fn, fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(key, tail);
    void tail.then(() => {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    });
    return run;
  }

  /** Runs `fn` while no other session uses `channelId`. */
  async withLock<T>(channelId: string, fn: () => Promise<T>): Promise<T> {
    while (this.locks.has(channelId)) await this.locks.get(channelId);
    let release!: () => void;
    this.locks.set(channelId, new Promise<void>((r) => (release = r)));
    try {
      return await fn();
    } finally {
      this.locks.delete(channelId);
      release();
    }
  }
}

/** The ChannelManager sender over an account's TxSender (nonces, fee cap, replacement, confirmations). */
export function viaTxSender(sender: TxSender): TransactionSender {
  return (tx, options) => sender.sendAndWait(tx, { signal: options.signal });
}
