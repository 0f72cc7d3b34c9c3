/**
 * The slasher: for every blob id of its compliance notices, follows the blacklist entry
 * (`ContentBlacklist.entryOf(blobId)`: entries are keyed by keccak256(blobId)); once the chain's
 * time has reached `effectiveAt`, it opens a fresh minimum-deposit channel to every active node
 * (the channel is opened at or after `effectiveAt`, so it is valid evidence ground) and requests
 * the blob exactly as a client would (the client library's `runSession`). An honest node refuses
 * (typed refusal, nothing signed). A node that answers with a serve commitment is slashed with
 * commit–reveal: `commitEvidence(hash, anchorBlock)`, then `revealEvidence` in a later block. The slasher aborts
 * the stream right after the header: it never signs a voucher, so it pays nothing for the bytes.
 * Each probe channel is closed at once (payer close) and settled after its dispute window.
 *
 * The reporter reward of a slash is final only once no earlier commit can be revealed any more
 * (the contract's `finalAt`): every round credits the final ones (`claimSlashReward`) and withdraws.
 */
import { hexlify, randomBytes, type Provider } from "ethers";
import { multiaddr, type Multiaddr } from "@multiformats/multiaddr";
import { chainTime, readChannel, type Contracts } from "../chain/contracts.js";
import { TxSender } from "../chain/tx-sender.js";
import { toHex } from "../protocol/bytes.js";
import { recoverServeCommitmentSigner } from "../protocol/signed.js";
import type { FetchHeaderMsg } from "../protocol/wire/messages.js";
import { silentLogger, type Logger } from "../runtime/logger.js";
import type { Client } from "../client/client.js";
import { FetchRefusedError } from "../client/errors.js";
import { runSession } from "../client/session.js";
import type { ActiveNode } from "../client/chain.js";
import { readNoticeFile } from "./notices.js";
import type { ProbeRecord, SlasherStore, SlashRecord } from "./store.js";

export interface SlasherOptions {
  /** Notice files re-read on every round (blob ids are added to the store). */
  noticeFiles?: string[];
  /** Seconds between rounds of `start` (default 10). */
  intervalMs?: number;
  /** Deposit of a probe channel (default: the on-chain minimum deposit). */
  deposit?: bigint;
  /** Per-probe timeout (dial, request, header), ms (default 15 000). */
  probeTimeoutMs?: number;
}

export interface SlasherDeps {
  /** The client library, with the slasher's identity and host (it pays for probe channels). */
  client: Client;
  /** Contracts connected to the slasher's wallet (channels, commit and reveal). */
  contracts: Contracts;
  store: SlasherStore;
  logger?: Logger;
  /** The slasher account's transaction sender, the one its client library sends through too (default: one over the contracts' wallet). */
  sender?: TxSender;
}

export type BlobState = "not-listed" | "waiting" | "effective";

export interface BlobReport {
  blobId: string;
  state: BlobState;
  entryId: number;
  effectiveAt: bigint;
}

export interface RoundReport {
  blobs: BlobReport[];
  probes: ProbeRecord[];
  slashes: SlashRecord[];
  settled: string[];
  /** Reporter rewards that became final this round (credited and withdrawn). */
  rewards: SlashRecord[];
}

/** Thrown from the session's header hook: we have what we came for; abort before any byte. */
class CommitmentCaptured extends Error {
  constructor(readonly header: FetchHeaderMsg) {
    super("serve commitment captured; aborting before any byte");
  }
}

export class Slasher {
  private readonly log: Logger;
  readonly sender: TxSender;

  constructor(
    readonly options: SlasherOptions,
    readonly deps: SlasherDeps,
  ) {
    this.log = deps.logger ?? silentLogger();
    this.sender = deps.sender ?? new TxSender({}, { signer: deps.contracts.channels.runner as never, logger: this.log });
  }

  get address(): string {
    return this.deps.client.address;
  }

  /** Adds the blob ids of the notice files to the store (new ids only). */
  loadNotices(): number {
    let added = 0;
    for (const file of this.options.noticeFiles ?? []) added += this.deps.store.addNotices(readNoticeFile(file), file);
    return added;
  }

  /** One round: notices → blacklist entries → probes of every active node for effective entries → slashes; settles old probe channels. */
  async runOnce(options: { signal?: AbortSignal } = {}): Promise<RoundReport> {
    const { contracts, store, client } = this.deps;
    this.loadNotices();
    const report: RoundReport = { blobs: [], probes: [], slashes: [], settled: [], rewards: [] };
    report.settled = await this.settleChannels(options);
    report.rewards = await this.collectRewards(options);
    let nodes: ActiveNode[] | undefined;
    for (const { blobId } of store.notices()) {
      options.signal?.throwIfAborted();
      const entry = await contracts.blacklist.entryOf(blobId);
      const entryId = Number(entry.entryId);
      const blob: BlobReport = { blobId, state: "not-listed", entryId, effectiveAt: entry.effectiveAt };
      report.blobs.push(blob);
      if (!entry.listed) continue;
      const now = await chainTime(contracts.provider);
      if (now < entry.effectiveAt) {
        blob.state = "waiting";
        this.log.debug({ blobId, effectiveAt: entry.effectiveAt.toString(), now: now.toString() }, "blacklisted, not yet effective");
        continue;
      }
      blob.state = "effective";
      nodes ??= await client.deps.chain.activeNodes();
      for (const node of nodes) {
        if (node.nodeKey === this.address) continue;
        const done = store.probe(blobId, entryId, node.nodeKey);
        if (done && (done.outcome === "refused" || done.outcome === "commitment")) continue;
        const previous = store.slash(blobId, entryId, node.nodeId)?.status;
        if (previous === "slashed" || previous === "rewarded") continue;
        const probe = await this.probe(node, blobId, entryId, entry.effectiveAt, options);
        report.probes.push(probe);
        if (probe.outcome === "commitment") {
          const slash = store.slash(blobId, entryId, node.nodeId);
          if (slash) report.slashes.push(slash);
        }
      }
    }
    return report;
  }

  /** Runs rounds until `signal` aborts. */
  async start(options: { signal: AbortSignal; onRound?(report: RoundReport): void }): Promise<void> {
    const interval = this.options.intervalMs ?? 10_000;
    while (!options.signal.aborted) {
      try {
        options.onRound?.(await this.runOnce(options));
      } catch (error) {
        if (options.signal.aborted) break;
        this.log.warn({ err: (error as Error).message }, "slasher round failed; retrying next round");
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, interval);
        options.signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
      });
    }
  }

  /** Requests `blobId` from `node` on a fresh channel; a serve commitment becomes a slash. */
  async probe(node: ActiveNode, blobId: string, entryId: number, effectiveAt: bigint, options: { signal?: AbortSignal } = {}): Promise<ProbeRecord> {
    const { contracts, client, store } = this.deps;
    const record: ProbeRecord = { blobId, entryId, nodeKey: node.nodeKey, nodeId: node.nodeId, outcome: "error", detail: "", at: Date.now() };
    const deposit = this.options.deposit ?? (await contracts.params.minChannelDeposit());
    let channelId: string | undefined;
    try {
      const channel = await client.openChannel(node.nodeKey, deposit, options);
      channelId = record.channelId = channel.channelId;
      const state = await readChannel(contracts.channels, channelId);
      if (state.openedAt < effectiveAt) {
        // cannot happen when chain time ≥ effectiveAt before opening; never probe on such a channel
        record.outcome = "stale-channel";
        record.detail = `channel opened at ${state.openedAt}, before effectiveAt ${effectiveAt}`;
        return record;
      }
      await this.askForBlob(record, node, blobId, entryId, channelId, options);
      return record;
    } catch (error) {
      record.outcome = "error";
      record.detail = (error as Error).message.split("\n")[0].slice(0, 200);
      this.log.warn({ blobId, node: node.nodeKey, err: record.detail }, "probe failed");
      return record;
    } finally {
      record.at = Date.now();
      store.saveProbe(record);
      if (channelId) await this.closeProbeChannel(channelId, options);
    }
  }

  /** Asks `node` for the blacklisted blob on the probe channel and records what it did: a serve commitment is slashed at once. */
  private async askForBlob(record: ProbeRecord, node: ActiveNode, blobId: string, entryId: number, channelId: string, options: { signal?: AbortSignal }): Promise<void> {
    const { client } = this.deps;
    const signal = AbortSignal.any([AbortSignal.timeout(this.options.probeTimeoutMs ?? 15_000), ...(options.signal ? [options.signal] : [])]);
    try {
      await runSession(
        { peer: node.multiaddrs.map((a) => multiaddrOf(a)).filter((a) => a !== undefined), nodeKey: node.nodeKey, maxPricePerGiB: node.pricePerGiB, channelId, blobId, offset: 0, length: 0 },
        { host: client.deps.host, chain: client.deps.chain, store: client.deps.store, address: this.address, secretKey: client.deps.identity.secretKey },
        {
          signal,
          onData: () => undefined,
          onHeader: (header) => {
            throw new CommitmentCaptured(header);
          },
        },
      );
      record.outcome = "error";
      record.detail = "the session ended without a header";
    } catch (error) {
      if (error instanceof CommitmentCaptured) {
        const problem = this.checkCommitment(error.header, node, blobId, channelId);
        if (problem) {
          record.outcome = "error";
          record.detail = `unusable serve commitment: ${problem}`;
        } else {
          record.outcome = "commitment";
          record.detail = "the node signed a serve commitment for a blacklisted blob";
          this.log.warn({ blobId, node: node.nodeKey, channelId }, "serve commitment for a blacklisted blob: slashing");
          await this.slash(node, blobId, entryId, channelId, error.header, options);
        }
      } else if (error instanceof FetchRefusedError) {
        record.outcome = "refused";
        record.detail = error.refusal;
        this.log.info({ blobId, node: node.nodeKey, refusal: error.refusal }, "node refused (honest)");
      } else {
        record.outcome = "unreachable";
        record.detail = (error as Error).message.split("\n")[0].slice(0, 200);
        this.log.info({ blobId, node: node.nodeKey, err: record.detail }, "probe failed; retried next round");
      }
    }
  }

  private checkCommitment(header: FetchHeaderMsg, node: ActiveNode, blobId: string, channelId: string): string | undefined {
    const c = header.commitment.value;
    if (c.blobId.toLowerCase() !== blobId) return "it names another blob";
    if (c.channelId.toLowerCase() !== channelId.toLowerCase()) return "it names another channel";
    let signer: string;
    try {
      signer = recoverServeCommitmentSigner(this.deps.client.deps.chain.channelDomain, c, header.commitment.signature).toLowerCase();
    } catch {
      return "its signature does not recover";
    }
    if (signer !== node.nodeKey) return `it is signed by ${signer}, not by the node key ${node.nodeKey}`;
    return undefined;
  }

  /**
   * Commit–reveal of a serve commitment from any stream (a probe, or a download on any channel, old
   * or new): the evidence and salt are stored before the commit, the reveal goes in a later block.
   */
  async slash(node: ActiveNode, blobId: string, entryId: number, channelId: string, header: FetchHeaderMsg, options: { signal?: AbortSignal } = {}): Promise<void> {
    const { contracts, store } = this.deps;
    const c = header.commitment.value;
    const commitment = { blobId: c.blobId, client: c.client, channelId: c.channelId, timestamp: c.timestamp, anchorBlock: c.anchorBlock, anchorHash: c.anchorHash };
    const signature = toHex(header.commitment.signature);
    const salt = hexlify(randomBytes(32));
    const commitHash = await contracts.channels.evidenceCommitHash(this.address, commitment, signature, salt);
    const evidence = JSON.stringify({ commitment: { ...commitment, timestamp: commitment.timestamp.toString(), anchorBlock: commitment.anchorBlock.toString() }, signature, salt });
    const record: SlashRecord = { blobId, entryId, nodeId: node.nodeId, nodeKey: node.nodeKey, channelId, evidence, commitHash, status: "committed", at: Date.now() };
    store.saveSlash(record);
    try {
      options.signal?.throwIfAborted();
      // the contract reads the anchor's hash at the commit: it must land within 256 blocks of the anchor
      const commit = await this.sender.send(contracts.channels.commitEvidence.populateTransaction(commitHash, commitment.anchorBlock), { label: "commit slashing evidence" });
      record.commitTx = commit.hashes[0];
      store.saveSlash(record);
      record.commitTx = (await commit.wait()).hash;
      store.saveSlash(record);
      // the commit is mined (with the sender's confirmations): the reveal lands in a later block, as it must
      const reveal = await this.sender.send(contracts.channels.revealEvidence.populateTransaction(commitment, signature, salt), { label: "reveal slashing evidence" });
      record.revealTx = reveal.hashes[0];
      const receipt = await reveal.wait();
      record.revealTx = receipt.hash;
      for (const log of receipt?.logs ?? []) {
        let parsed;
        try {
          parsed = contracts.channels.interface.parseLog(log);
        } catch {
          continue;
        }
        if (parsed?.name === "NodeSlashed") {
          record.slashed = parsed.args.amount as bigint;
          record.reward = parsed.args.reporterAmount as bigint;
          record.treasury = parsed.args.treasuryAmount as bigint;
        }
      }
      record.status = "slashed";
      this.log.warn({ blobId, nodeId: node.nodeId.toString(), slashed: record.slashed?.toString(), reward: record.reward?.toString() }, "node slashed");
    } catch (error) {
      record.status = "failed";
      record.error = (error as Error).message.split("\n")[0].slice(0, 300);
      this.log.error({ blobId, nodeId: node.nodeId.toString(), err: record.error }, "slash failed");
    } finally {
      record.at = Date.now();
      store.saveSlash(record);
    }
  }

  /**
   * Credits every reporter reward that is final (the contract's `finalAt` passed) and withdraws what
   * the slasher was credited. A reward an earlier commit took over is recorded as 0.
   */
  async collectRewards(options: { signal?: AbortSignal } = {}): Promise<SlashRecord[]> {
    const { contracts, store } = this.deps;
    const pending = store.slashes().filter((s) => s.status === "slashed");
    const done: SlashRecord[] = [];
    if (pending.length === 0) return done;
    const now = await chainTime(contracts.provider);
    for (const s of pending) {
      options.signal?.throwIfAborted();
      try {
        const record = await contracts.channels.slashRecord(s.nodeId, s.blobId, s.entryId);
        if (!record.rewardPaid) {
          if (now <= record.finalAt) continue;
          await this.sender.sendAndWait(contracts.channels.claimSlashReward.populateTransaction(s.nodeId, s.blobId, s.entryId), { label: "claim a slash reward", signal: options.signal });
        }
        s.reward = record.reporter.toLowerCase() === this.address ? record.reward : 0n;
        s.status = "rewarded";
        s.at = Date.now();
        store.saveSlash(s);
        done.push(s);
      } catch (error) {
        this.log.warn({ blobId: s.blobId, nodeId: s.nodeId.toString(), err: (error as Error).message.split("\n")[0] }, "claiming a slash reward failed; retried next round");
      }
    }
    try {
      if ((await contracts.channels.withdrawable(this.address)) > 0n)
        await this.sender.sendAndWait(contracts.channels.withdraw.populateTransaction(), { label: "withdraw slash rewards", signal: options.signal });
    } catch (error) {
      this.log.warn({ err: (error as Error).message.split("\n")[0] }, "withdrawing credited rewards failed; retried next round");
    }
    return done;
  }

  /** Starts the payer's close of a probe channel (nothing was signed on it: the whole deposit comes back at settle). */
  private async closeProbeChannel(channelId: string, options: { signal?: AbortSignal }): Promise<void> {
    try {
      const c = await this.deps.client.closeChannel(channelId, options);
      const state = await readChannel(this.deps.contracts.channels, channelId);
      this.deps.store.saveChannel(channelId, c.status, state.closesAt);
    } catch (error) {
      this.log.warn({ channelId, err: (error as Error).message }, "closing a probe channel failed; retried at settle time");
      this.deps.store.saveChannel(channelId, "Open", 0n);
    }
  }

  /** Settles probe channels whose dispute window is over (refunds the deposits). */
  async settleChannels(options: { signal?: AbortSignal } = {}): Promise<string[]> {
    const settled: string[] = [];
    const pending = this.deps.store.channels().filter((c) => c.status !== "Closed");
    if (pending.length === 0) return settled;
    const now = await chainTime(this.deps.contracts.provider as Provider);
    for (const c of pending) {
      options.signal?.throwIfAborted();
      try {
        const state = await readChannel(this.deps.contracts.channels, c.channelId);
        if (state.status === "Open") {
          await this.closeProbeChannel(c.channelId, options);
        } else if (state.status === "Closing" && now > state.closesAt) {
          await this.deps.client.settle(c.channelId, options);
          this.deps.store.saveChannel(c.channelId, "Closed", state.closesAt);
          settled.push(c.channelId);
        } else if (state.status === "Closed") {
          this.deps.store.saveChannel(c.channelId, "Closed", state.closesAt);
        }
      } catch (error) {
        this.log.warn({ channelId: c.channelId, err: (error as Error).message }, "settling a probe channel failed");
      }
    }
    return settled;
  }
}

function multiaddrOf(text: string): Multiaddr | undefined {
  try {
    return multiaddr(text);
  } catch {
    return undefined;
  }
}
