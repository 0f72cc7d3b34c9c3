/**
 * One transaction sender per agent account. Every transaction an agent sends goes through it:
 *
 * - nonces: assigned here, in order, one send at a time; the count is read from the chain once
 *   (and again after a failed broadcast), never guessed from an error message;
 * - fees: EIP-1559, `maxFeePerGas` = min(cap, 2 × base fee + tip) with the cap from the agent's
 *   configuration; a base fee above the cap is refused with one sentence before anything is signed;
 * - a pre-flight `eth_estimateGas`: a call that would revert is refused before anything is sent
 *   (no gas spent, the nonce is not used), and the account's ETH is checked against the worst-case
 *   cost (a clear error instead of the node's "insufficient funds");
 * - a stuck transaction (not mined after `replaceAfterMs`) is re-signed with the same nonce and
 *   fees raised by `bumpPercent` (never above the cap); a transaction that disappears from the
 *   chain (a reorg, or a node that dropped it) is broadcast again: the same nonce can land once;
 * - receipts count only with `confirmations` blocks on top of the including block, re-read on
 *   every poll so a receipt that a reorg removed is not trusted.
 */
import { formatEther, formatUnits, type Provider, type Signer, type TransactionReceipt, type TransactionRequest } from "ethers";
import { CdnError, errorClass } from "../protocol/errors.js";
import { describeRevert } from "./errors.js";

export interface TxSenderOptions {
  /** The most the account pays per gas (wei): the EIP-1559 `maxFeePerGas` cap. */
  maxFeePerGas: bigint;
  /** Tip per gas (wei); default: the node's suggestion, at most the cap. */
  maxPriorityFeePerGas?: bigint;
  /** A transaction not mined after this long is re-signed with higher fees (same nonce). */
  replaceAfterMs: number;
  /** Fee raise of a replacement, percent (nodes accept a replacement only 10 % above the original). */
  bumpPercent: number;
  /** Blocks on top of the including block before a receipt counts (0: included is enough). */
  confirmations: number;
  /** Receipt polling interval. */
  pollMs: number;
  /** Gas limit = estimate × (100 + this) / 100. */
  gasMarginPercent: number;
}

export const TX_SENDER_DEFAULTS: TxSenderOptions = {
  maxFeePerGas: 200n * 10n ** 9n, // 200 gwei
  replaceAfterMs: 60_000,
  bumpPercent: 20,
  confirmations: 0,
  pollMs: 500,
  gasMarginPercent: 20,
};

export interface TxSenderDeps {
  /** The account: a signer that signs transactions locally (an ethers Wallet), with a provider. */
  signer: Signer & { provider: Provider | null };
  /** Turns a revert (an ethers error with revert data) into one sentence; undefined if it cannot (default: the chain-error decoder, ./errors.ts). */
  describeRevert?: (error: unknown) => string | undefined;
  logger?: { info(o: object, msg: string): void; warn(o: object, msg: string): void };
}

export interface SendOptions {
  signal?: AbortSignal;
  /** What the transaction does, for messages and logs ("open a channel"). */
  label?: string;
}

/** The account has too little ETH to pay for the gas of a transaction. */
export class InsufficientEthError extends errorClass(CdnError, "ERR_INSUFFICIENT_ETH", (account: string, balance: bigint, needed: bigint, label: string, options?: ErrorOptions) => [
  `Account ${account} has ${formatEther(balance)} ETH, but to ${label} it needs up to ${formatEther(needed)} ETH for gas; send ETH to it and try again.`,
  { account, balance, needed },
  options,
]) {}

/** The network's base fee is above the configured cap: sending now could only get stuck. */
export class FeeCapError extends errorClass(CdnError, "ERR_FEE_CAP", (baseFee: bigint, cap: bigint, label: string) => [
  `The network's base fee is ${formatUnits(baseFee, "gwei")} gwei, above the configured cap of ${formatUnits(cap, "gwei")} gwei (maxFeePerGas), so the transaction to ${label} was not sent; wait for cheaper blocks or raise the cap.`,
  { baseFee, cap },
]) {}

/** The transaction would revert (found before sending: nothing spent) or reverted on-chain. */
export class TxRevertedError extends errorClass(CdnError, "ERR_TX_REVERTED", (reason: string, txHash?: string, options?: ErrorOptions) => [reason, { reason, txHash }, options]) {}

/** The RPC node refused or failed the transaction for a reason that is not a revert. */
export class TxSendError extends CdnError {
  readonly code = "ERR_TX_SEND";
}

export interface SentTransaction {
  nonce: number;
  /** Every hash signed for this nonce (replacements last). */
  hashes: string[];
  /** Resolves with the receipt once it has the configured confirmations; throws TxRevertedError if it reverted. */
  wait(options?: { signal?: AbortSignal; confirmations?: number }): Promise<TransactionReceipt>;
}

interface Attempt {
  hash: string;
  raw: string;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

const errorCode = (error: unknown): string | undefined => (error as { code?: string } | null)?.code;

export class TxSender {
  readonly options: TxSenderOptions;
  private readonly provider: Provider;
  private address: string | undefined;
  private nextNonce: number | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly deps: TxSenderDeps;

  constructor(options: Partial<TxSenderOptions>, deps: TxSenderDeps) {
    this.options = { ...TX_SENDER_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
    this.deps = { describeRevert: (error) => describeRevert(error), ...deps };
    if (!deps.signer.provider) throw new TxSendError("The transaction sender's signer has no provider.");
    this.provider = deps.signer.provider;
  }

  async getAddress(): Promise<string> {
    this.address ??= await this.deps.signer.getAddress();
    return this.address;
  }

  /** Sends and waits for the receipt with the configured confirmations. */
  async sendAndWait(request: TransactionRequest | Promise<TransactionRequest>, options: SendOptions = {}): Promise<TransactionReceipt> {
    const sent = await this.send(request, options);
    return sent.wait({ signal: options.signal });
  }

  /** Checks, signs and broadcasts (one at a time per account); resolves once the node accepted it. */
  send(request: TransactionRequest | Promise<TransactionRequest>, options: SendOptions = {}): Promise<SentTransaction> {
    const next = this.queue.then(() => this.sendNow(request, options));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async sendNow(requestIn: TransactionRequest | Promise<TransactionRequest>, options: SendOptions): Promise<SentTransaction> {
    options.signal?.throwIfAborted();
    const label = options.label ?? "send the transaction";
    const request = await requestIn;
    const from = await this.getAddress();
    const call = { to: request.to, data: request.data, value: request.value ?? 0n, from };
    let gasLimit: bigint;
    try {
      gasLimit = ((await this.provider.estimateGas(call)) * BigInt(100 + this.options.gasMarginPercent)) / 100n;
    } catch (error) {
      throw await this.explainFailure(error, call, label);
    }
    const { maxFeePerGas, maxPriorityFeePerGas } = await this.fees(label);
    const value = BigInt(call.value);
    const needed = gasLimit * maxFeePerGas + value;
    const balance = await this.provider.getBalance(from, "pending");
    if (balance < needed) throw new InsufficientEthError(from, balance, needed, label);
    const chainId = (await this.provider.getNetwork()).chainId;
    const tx: TransactionRequest = { to: request.to, data: request.data, value, from, chainId, type: 2, gasLimit, maxFeePerGas, maxPriorityFeePerGas };
    for (let attempt = 0; ; attempt++) {
      const nonce = this.nextNonce ?? (await this.provider.getTransactionCount(from, "pending"));
      const raw = await this.deps.signer.signTransaction({ ...tx, nonce });
      try {
        const response = await this.provider.broadcastTransaction(raw);
        this.nextNonce = nonce + 1;
        this.deps.logger?.info({ txHash: response.hash, nonce, label }, "transaction sent");
        const attempts: Attempt[] = [{ hash: response.hash, raw, maxFeePerGas, maxPriorityFeePerGas }];
        return {
          nonce,
          get hashes() {
            return attempts.map((a) => a.hash);
          },
          wait: (o = {}) => this.waitFor({ ...tx, nonce }, attempts, label, o),
        };
      } catch (error) {
        this.nextNonce = undefined; // re-read the count before the next transaction
        // our count was behind the chain's (another process used this account): once more, fresh
        if (attempt === 0 && (errorCode(error) === "NONCE_EXPIRED" || errorCode(error) === "REPLACEMENT_UNDERPRICED")) continue;
        throw await this.explainFailure(error, call, label);
      }
    }
  }

  /** EIP-1559 fees for a new transaction, within the cap. */
  private async fees(label: string): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    const cap = this.options.maxFeePerGas;
    const [block, feeData] = await Promise.all([this.provider.getBlock("latest"), this.provider.getFeeData()]);
    const baseFee = block?.baseFeePerGas ?? 0n;
    if (baseFee > cap) throw new FeeCapError(baseFee, cap, label);
    const suggested = this.options.maxPriorityFeePerGas ?? feeData.maxPriorityFeePerGas ?? 10n ** 9n;
    const maxPriorityFeePerGas = suggested < cap - baseFee ? suggested : cap - baseFee;
    const wanted = 2n * baseFee + maxPriorityFeePerGas;
    return { maxFeePerGas: wanted < cap ? wanted : cap, maxPriorityFeePerGas };
  }

  private async waitFor(tx: TransactionRequest & { nonce: number }, attempts: Attempt[], label: string, options: { signal?: AbortSignal; confirmations?: number }): Promise<TransactionReceipt> {
    const confirmations = options.confirmations ?? this.options.confirmations;
    let lastSignedAt = Date.now();
    let seenMined = false;
    for (;;) {
      options.signal?.throwIfAborted();
      let receipt: TransactionReceipt | null = null;
      for (const a of [...attempts].reverse()) {
        receipt = await this.provider.getTransactionReceipt(a.hash);
        if (receipt) break;
      }
      if (receipt) {
        seenMined = true;
        const head = await this.provider.getBlockNumber();
        if (head - receipt.blockNumber >= confirmations) {
          if (receipt.status === 1) return receipt;
          throw await this.explainRevert(tx, receipt, label);
        }
      } else if (seenMined) {
        // it was mined, and a reorg took the block away: the signed transaction is still valid
        seenMined = false;
        this.deps.logger?.warn({ txHash: attempts.at(-1)!.hash, label }, "transaction left the chain (reorg); broadcasting it again");
        await this.rebroadcast(attempts.at(-1)!);
        lastSignedAt = Date.now();
      } else if (Date.now() - lastSignedAt >= this.options.replaceAfterMs) {
        await this.replace(tx, attempts, label);
        lastSignedAt = Date.now();
      }
      await sleep(this.options.pollMs, options.signal);
    }
  }

  /** Re-signs the stuck transaction with the same nonce and higher fees (or re-broadcasts it at the cap). */
  private async replace(tx: TransactionRequest & { nonce: number }, attempts: Attempt[], label: string): Promise<void> {
    const last = attempts.at(-1)!;
    const cap = this.options.maxFeePerGas;
    const bump = (v: bigint) => (v * BigInt(100 + this.options.bumpPercent)) / 100n + 1n;
    const maxFeePerGas = bump(last.maxFeePerGas) < cap ? bump(last.maxFeePerGas) : cap;
    const priority = bump(last.maxPriorityFeePerGas);
    const maxPriorityFeePerGas = priority < maxFeePerGas ? priority : maxFeePerGas;
    // a replacement must raise both fees by the node's minimum: at the cap, re-broadcast instead
    if (maxFeePerGas <= last.maxFeePerGas || maxPriorityFeePerGas <= last.maxPriorityFeePerGas) {
      this.deps.logger?.warn({ txHash: last.hash, label, maxFeePerGas: last.maxFeePerGas.toString() }, "transaction not mined and the fee cap is reached; broadcasting it again");
      return this.rebroadcast(last);
    }
    const raw = await this.deps.signer.signTransaction({ ...tx, maxFeePerGas, maxPriorityFeePerGas });
    try {
      const response = await this.provider.broadcastTransaction(raw);
      attempts.push({ hash: response.hash, raw, maxFeePerGas, maxPriorityFeePerGas });
      this.deps.logger?.warn({ replaced: last.hash, txHash: response.hash, nonce: tx.nonce, maxFeePerGas: maxFeePerGas.toString(), label }, "transaction not mined in time; replaced with higher fees");
    } catch (error) {
      // mined meanwhile (nonce used) or the node wants a bigger raise: the next poll finds out
      this.deps.logger?.warn({ txHash: last.hash, err: errorCode(error) ?? (error as Error).message, label }, "replacement not accepted");
    }
  }

  private async rebroadcast(a: Attempt): Promise<void> {
    try {
      await this.provider.broadcastTransaction(a.raw);
    } catch (error) {
      // "already known" or "nonce too low" (it is in again, or mined): the next poll finds out
      this.deps.logger?.warn({ txHash: a.hash, err: errorCode(error) ?? (error as Error).message }, "re-broadcast not accepted");
    }
  }

  /** A mined revert: replays the call at the parent block to read the revert reason. */
  private async explainRevert(tx: TransactionRequest, receipt: TransactionReceipt, label: string): Promise<TxRevertedError> {
    try {
      await this.provider.call({ to: tx.to, data: tx.data, value: tx.value, from: tx.from, blockTag: receipt.blockNumber - 1 });
    } catch (error) {
      const reason = this.deps.describeRevert?.(error);
      if (reason) return new TxRevertedError(`The transaction to ${label} reverted: ${reason}`, receipt.hash, { cause: error });
    }
    return new TxRevertedError(`The transaction to ${label} reverted (${receipt.hash}).`, receipt.hash);
  }

  /** One sentence for a failed estimate or broadcast. */
  private async explainFailure(error: unknown, call: { from: string; value: bigint | string | number }, label: string): Promise<CdnError> {
    if (error instanceof CdnError) return error;
    const code = errorCode(error);
    if (code === "INSUFFICIENT_FUNDS") {
      const balance = await this.provider.getBalance(call.from).catch(() => 0n);
      return new InsufficientEthError(call.from, balance, BigInt(call.value) + 1n, label, { cause: error });
    }
    // a revert, whatever code the node's answer was mapped to (ethers' CALL_EXCEPTION, or revert data in another error)
    const described = this.deps.describeRevert?.(error);
    if (described !== undefined || code === "CALL_EXCEPTION") {
      const reason = described ?? (error as { reason?: string }).reason ?? "the contract refused it";
      return new TxRevertedError(`The transaction to ${label} would revert: ${reason}`, undefined, { cause: error });
    }
    const short = (error as { shortMessage?: string }).shortMessage ?? (error as Error).message?.split("\n")[0];
    return new TxSendError(`The chain node did not accept the transaction to ${label}: ${short}`, { cause: error });
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
