/**
 * The client library: `createClient(options, deps)` then `fetch(blobId, { signal, range })`, an
 * async iterable of verified bytes, or `fetchToFile`. Bootstraps from the on-chain registry,
 * probes candidates, ranks them (selection.ts), opens / reuses / tops up a channel with an
 * EIP-2612 permit (one transaction), and downloads with runSession; on a refusal, a mismatch or
 * a broken stream it switches provider and resumes from the last verified byte. Free of CLI
 * concerns: the node's fan-out and the slasher reuse it.
 *
 * Discovery (DESIGN §8): probe the best known peers first (by persisted reputation); on a miss,
 * a DHT lookup (`deps.dht`, client mode), then probe the providers it names. Selection and
 * reputation are the mesh's (agents/mesh/reputation.ts), persisted in the client's database.
 */
import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { Signature, Wallet, hexlify, randomBytes, type Provider } from "ethers";
import type { Libp2p } from "@libp2p/interface";
import { multiaddr, type Multiaddr } from "@multiformats/multiaddr";
import { PROTOCOL_PROBE, GIB } from "../protocol/constants.js";
import { amountOwed } from "../protocol/pricing.js";
import { decodeProbeResponse, encodeProbeRequest, FRAME_CAPS } from "../protocol/wire/messages.js";
import { readChannel, type Contracts } from "../chain/contracts.js";
import { FramedStream } from "../runtime/framed.js";
import { silentLogger, type Logger } from "../runtime/logger.js";
import type { Identity } from "../runtime/keys.js";
import { addressOfPeer } from "../runtime/peers.js";
import type { ActiveNode, ClientChainView } from "./chain.js";
import { ChannelError, FetchRefusedError, NoProviderError, ProviderMisbehaviourError } from "./errors.js";
import { rankCandidates, Reputation, SqliteReputationStore, type Candidate } from "../mesh/reputation.js";
import { runSession, type SessionError, type SessionOptions } from "./session.js";
import type { ClientStore, ClientChannel } from "./store.js";

export interface ClientOptions {
  /** Highest price per GiB accepted (USDC base units). */
  maxPricePerGiB?: bigint;
  /** Deposit of a new channel (default: max(minimum deposit, 2 × the download's cost)). */
  deposit?: bigint;
  /** Probe at most this many candidates, in parallel. */
  maxProbes?: number;
  probeTimeoutMs?: number;
  /** Provider attempts per fetch before giving up. */
  maxAttempts?: number;
  payEvery?: number;
  maxSkewSeconds?: bigint;
  /** Hash leaves on a worker thread (pipelined) instead of on the stream's thread. */
  hashInWorker?: boolean;
}

export interface ClientDeps {
  host: Libp2p;
  identity: Identity;
  chain: ClientChainView;
  /** Contracts connected to the client's wallet (channel transactions). */
  contracts: Contracts;
  store: ClientStore;
  logger?: Logger;
  reputation?: Reputation;
  /** DHT provider lookups (agents/mesh/dht.ts MeshDht in client mode): discovery after a probe miss. */
  dht?: { findProviders(blobId: string, options?: { signal?: AbortSignal }): Promise<{ peer: { toString(): string } }[]> };
}

export interface FetchOptions {
  signal?: AbortSignal;
  range?: { offset: number; length?: number };
  /** Only these node keys (lower-case) are considered. */
  providers?: string[];
  /** Node keys (lower-case) never used (a cache node excludes itself). */
  exclude?: string[];
  /**
   * Fetch through these nodes (lower-case keys) even if they do not hold the blob yet: cache
   * nodes that fetch a miss upstream (fan-out). The blob must have a holder among the active nodes
   * (its probe answer gives the size estimate; the verified content record gives the size).
   */
  via?: string[];
  onProgress?(p: Progress): void;
  /** Test hook: a session that withholds vouchers. */
  withholdVouchers?: boolean;
  /** Each provider's header, as received (its commitment and record are checked before `onLeafHashes` runs). */
  onHeader?: SessionOptions["onHeader"];
  /** Each provider's leaf hashes for the remaining range (verified against the blob id). */
  onLeafHashes?: SessionOptions["onLeafHashes"];
}

export interface Progress {
  bytes: number;
  total: number;
  /** Cumulative amount signed across the channels used (USDC base units). */
  paid: bigint;
  provider: string;
}

export interface FetchReport {
  bytes: number;
  size: number;
  paid: bigint;
  providers: { nodeKey: string; channelId: string; bytes: number; outcome: string }[];
  /** How the provider was found: a probe of a known peer, or a DHT lookup after a probe miss. */
  discovery: "probe" | "dht";
}

interface Probed extends Candidate {
  nodeId: bigint;
  nodeKey: string;
  node: ActiveNode;
  size: number;
  /** The probe answered HAVE (else MISS from a `via` node). */
  have: boolean;
}

export class Client {
  readonly reputation: Reputation;
  private readonly log: Logger;
  private readonly locks = new Map<string, Promise<void>>();
  private nodes: { at: number; list: ActiveNode[] } | undefined;

  constructor(
    readonly options: ClientOptions,
    readonly deps: ClientDeps,
  ) {
    this.reputation = deps.reputation ?? new Reputation({}, { store: new SqliteReputationStore(deps.store.db) });
    this.log = deps.logger ?? silentLogger();
  }

  get address(): string {
    return this.deps.identity.address.toLowerCase();
  }

  /** The active node set from the registry (cached 30 s). */
  async bootstrap(options: { signal?: AbortSignal } = {}): Promise<ActiveNode[]> {
    options.signal?.throwIfAborted();
    if (!this.nodes || Date.now() - this.nodes.at > 30_000) this.nodes = { at: Date.now(), list: await this.deps.chain.activeNodes() };
    return this.nodes.list;
  }

  private addrs(node: ActiveNode): Multiaddr[] {
    const out: Multiaddr[] = [];
    for (const a of node.multiaddrs) {
      try {
        out.push(multiaddr(a));
      } catch {
        // skip unparsable addresses
      }
    }
    return out;
  }

  /** Probes one node: HAVE with size, price and round trip, or undefined. */
  async probe(node: ActiveNode, blobId: string, options: { signal?: AbortSignal; acceptMiss?: boolean } = {}): Promise<Probed | undefined> {
    const signal = AbortSignal.any([AbortSignal.timeout(this.options.probeTimeoutMs ?? 3000), ...(options.signal ? [options.signal] : [])]);
    try {
      const started = performance.now();
      const connection = await this.deps.host.dial(this.addrs(node), { signal });
      if (addressOfPeer(connection.remotePeer) !== node.nodeKey) return undefined;
      const stream = await connection.newStream(PROTOCOL_PROBE, { signal });
      const framed = new FramedStream(stream, { readCap: FRAME_CAPS.ProbeResponse, idleTimeoutMs: 5000, signal });
      await framed.write(encodeProbeRequest({ blobId }));
      const body = await framed.read();
      await framed.close();
      if (!body) return undefined;
      const r = decodeProbeResponse(body);
      const rttMs = performance.now() - started;
      this.reputation.record(node.nodeKey, { kind: "probe", rttMs });
      if (r.status !== "HAVE" && !(options.acceptMiss && r.status === "MISS")) return undefined;
      const price = r.pricePerGiB > node.pricePerGiB ? r.pricePerGiB : node.pricePerGiB;
      return { peer: node.nodeKey, nodeId: node.nodeId, nodeKey: node.nodeKey, pricePerGiB: price, rttMs, reputation: this.reputation.score(node.nodeKey), region: node.region, node, size: r.size, have: r.status === "HAVE" };
    } catch (error) {
      if (!options.signal?.aborted) this.reputation.record(node.nodeKey, { kind: "unreachable" });
      this.log.debug({ node: node.nodeKey, err: (error as Error).message }, "probe failed");
      return undefined;
    }
  }

  /**
   * Candidates holding the blob (or, with `via`, the named cache nodes that can fetch it), best
   * first, and how they were found: the best known peers are probed first (by reputation, at most
   * `maxProbes`); on a miss, a DHT lookup names providers, which are probed in turn.
   */
  async candidates(blobId: string, options: { signal?: AbortSignal; providers?: string[]; exclude?: string[]; via?: string[] } = {}): Promise<Probed[] & { discovery?: "probe" | "dht" }> {
    let nodes = await this.bootstrap(options);
    if (options.providers) nodes = nodes.filter((n) => options.providers!.includes(n.nodeKey));
    if (options.exclude) nodes = nodes.filter((n) => !options.exclude!.includes(n.nodeKey));
    const max = this.options.maxPricePerGiB;
    if (max !== undefined) nodes = nodes.filter((n) => n.pricePerGiB <= max);
    const via = options.via;
    // the best known peers first: the via nodes, then by reputation (then node id)
    const known = [...nodes].sort((a, b) => Number(via?.includes(b.nodeKey) ?? false) - Number(via?.includes(a.nodeKey) ?? false) || this.reputation.score(b.nodeKey) - this.reputation.score(a.nodeKey) || (a.nodeId < b.nodeId ? -1 : 1));
    const probeAll = (list: ActiveNode[]) => Promise.all(list.map((n) => this.probe(n, blobId, { signal: options.signal, acceptMiss: via?.includes(n.nodeKey) })));
    const first = known.slice(0, this.options.maxProbes ?? 16);
    let answers = (await probeAll(first)).filter((p): p is Probed => p !== undefined);
    let discovery: "probe" | "dht" = "probe";
    if (!answers.some((p) => p.have) && this.deps.dht) {
      // a probe miss: ask the DHT, then probe the active nodes it names
      const probed = new Set(first.map((n) => n.nodeKey));
      let named: string[] = [];
      try {
        named = (await this.deps.dht.findProviders(blobId, { signal: options.signal })).map((p) => addressOfPeer(p.peer.toString())).filter((k): k is string => k !== undefined);
      } catch (error) {
        this.log.debug({ err: (error as Error).message }, "DHT lookup failed");
      }
      const more = nodes.filter((n) => named.includes(n.nodeKey) && !probed.has(n.nodeKey));
      answers = [...answers, ...(await probeAll(more)).filter((p): p is Probed => p !== undefined)];
      discovery = "dht";
    }
    const holder = answers.find((p) => p.have);
    let out: Probed[];
    if (via) out = holder ? answers.filter((p) => via.includes(p.nodeKey)).map((p) => ({ ...p, size: p.have ? p.size : holder.size })) : [];
    else out = answers.filter((p) => p.have);
    const ranked = rankCandidates(out) as Probed[] & { discovery?: "probe" | "dht" };
    ranked.discovery = discovery;
    return ranked;
  }

  // ---- channels ----

  private async permit(spender: string, value: bigint, deadline: bigint): Promise<{ v: number; r: string; s: string }> {
    const { usdc } = this.deps.contracts;
    const d = await usdc.eip712Domain();
    const domain = { name: d.name, version: d.version, chainId: d.chainId, verifyingContract: d.verifyingContract };
    const owner = this.deps.identity.address;
    const nonce = await usdc.nonces(owner);
    const types = { Permit: [ { name: "owner", type: "address" }, { name: "spender", type: "address" }, { name: "value", type: "uint256" }, { name: "nonce", type: "uint256" }, { name: "deadline", type: "uint256" } ] };
    const sig = Signature.from(await this.deps.identity.wallet.signTypedData(domain, types, { owner, spender, value, nonce, deadline }));
    return { v: sig.v, r: sig.r, s: sig.s };
  }

  private wallet(): Wallet {
    return this.deps.identity.wallet.connect(this.deps.contracts.provider as Provider) as Wallet;
  }

  /** Opens a channel to `nodeKey` with an EIP-2612 permit (one transaction). */
  async openChannel(nodeKey: string, deposit: bigint, options: { signal?: AbortSignal } = {}): Promise<ClientChannel> {
    options.signal?.throwIfAborted();
    const { channels, chainId } = this.deps.contracts;
    const channelsAddress = await channels.getAddress();
    const nonce = hexlify(randomBytes(32));
    const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600) + 10n ** 6n;
    const p = await this.permit(channelsAddress, deposit, deadline);
    const channelId = (await channels.channelIdFor(this.deps.identity.address, nodeKey, nonce)).toLowerCase();
    try {
      const tx = await channels.connect(this.wallet()).openWithPermit(nodeKey, deposit, this.deps.identity.address, 0n, nonce, deadline, p.v, p.r, p.s);
      await tx.wait();
    } catch (cause) {
      throw new ChannelError(`Opening a channel to ${nodeKey} failed (chain ${chainId}): ${(cause as Error).message.split("\n")[0]}`, { cause });
    }
    const state = await readChannel(channels, channelId);
    this.deps.store.upsertChannel({ channelId, nodeKey, nodeId: state.nodeId, deposit: state.deposit, status: state.status });
    this.log.info({ channelId, nodeKey, deposit: deposit.toString() }, "channel opened");
    return this.deps.store.channel(channelId)!;
  }

  /** Adds `amount` to an open channel's deposit (permit, one transaction). */
  async topUp(channelId: string, amount: bigint, options: { signal?: AbortSignal } = {}): Promise<ClientChannel> {
    options.signal?.throwIfAborted();
    const { channels } = this.deps.contracts;
    const deadline = BigInt(Math.floor(Date.now() / 1000)) + 10n ** 6n;
    const p = await this.permit(await channels.getAddress(), amount, deadline);
    try {
      await (await channels.connect(this.wallet()).topUpWithPermit(channelId, amount, deadline, p.v, p.r, p.s)).wait();
    } catch (cause) {
      throw new ChannelError(`Topping up channel ${channelId} failed: ${(cause as Error).message.split("\n")[0]}`, { cause });
    }
    return this.refreshChannel(channelId);
  }

  /** Starts the payer's close (dispute window). */
  async closeChannel(channelId: string, options: { signal?: AbortSignal } = {}): Promise<ClientChannel> {
    options.signal?.throwIfAborted();
    try {
      await (await this.deps.contracts.channels.connect(this.wallet()).closeByPayer(channelId)).wait();
    } catch (cause) {
      throw new ChannelError(`Closing channel ${channelId} failed: ${(cause as Error).message.split("\n")[0]}`, { cause });
    }
    return this.refreshChannel(channelId);
  }

  /** Settles a channel whose dispute window is over (refunds the rest). */
  async settle(channelId: string, options: { signal?: AbortSignal } = {}): Promise<ClientChannel> {
    options.signal?.throwIfAborted();
    try {
      await (await this.deps.contracts.channels.connect(this.wallet()).settle(channelId)).wait();
    } catch (cause) {
      throw new ChannelError(`Settling channel ${channelId} failed: ${(cause as Error).message.split("\n")[0]}`, { cause });
    }
    return this.refreshChannel(channelId);
  }

  async refreshChannel(channelId: string): Promise<ClientChannel> {
    const state = await readChannel(this.deps.contracts.channels, channelId);
    if (state.status === "None") throw new ChannelError(`No channel ${channelId} on chain.`);
    this.deps.store.upsertChannel({ channelId: state.channelId, nodeKey: state.nodeKey, nodeId: state.nodeId, deposit: state.deposit, status: state.status });
    return this.deps.store.channel(channelId)!;
  }

  /** An open channel to `nodeKey` with at least `need` left: reused, topped up, or opened. */
  async channelFor(nodeKey: string, need: bigint, options: { signal?: AbortSignal } = {}): Promise<ClientChannel> {
    for (const local of this.deps.store.channelsFor(nodeKey)) {
      if (local.status !== "Open") continue;
      const c = await this.refreshChannel(local.channelId);
      if (c.status !== "Open") continue;
      const left = c.deposit - c.signed;
      if (left >= need) return c;
      return this.topUp(c.channelId, need - left + need / 2n + 1n, options);
    }
    const minDeposit = await this.deps.contracts.params.minChannelDeposit();
    let deposit = this.options.deposit ?? 2n * need;
    if (deposit < minDeposit) deposit = minDeposit;
    if (deposit < need) deposit = need;
    return this.openChannel(nodeKey, deposit, options);
  }

  private async withChannelLock<T>(channelId: string, fn: () => Promise<T>): Promise<T> {
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

  // ---- fetch ----

  /**
   * Downloads `blobId` (or a byte range of it) as verified bytes, switching provider on failure
   * and resuming from the last verified byte. Never yields an unverified byte.
   */
  fetch(blobId: string, options: FetchOptions = {}): AsyncIterable<Uint8Array> & { report: Promise<FetchReport> } {
    // stopping the iteration early (break, throw) aborts the download
    const stop = new AbortController();
    const queue: Uint8Array[] = [];
    let wake: (() => void) | undefined;
    let finished = false;
    let failure: unknown;
    let resolveReport!: (r: FetchReport) => void;
    let rejectReport!: (e: unknown) => void;
    const report = new Promise<FetchReport>((res, rej) => ((resolveReport = res), (rejectReport = rej)));
    report.catch(() => undefined);
    const pending = { bytes: 0 };
    let consumerWake: (() => void) | undefined;
    const push = async (bytes: Uint8Array) => {
      queue.push(bytes); // verified chunk data is a fresh view per frame: no copy needed
      pending.bytes += bytes.length;
      wake?.();
      while (pending.bytes > 16 * 1024 * 1024 && !stop.signal.aborted) await new Promise<void>((r) => (consumerWake = r));
    };
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    this.download(blobId, { ...options, signal }, push).then(
      (r) => {
        finished = true;
        resolveReport(r);
        wake?.();
      },
      (e) => {
        finished = true;
        failure = e;
        rejectReport(e);
        wake?.();
      },
    );
    const iterable = {
      report,
      async *[Symbol.asyncIterator]() {
        try {
          yield* drain();
        } finally {
          if (!finished) stop.abort(new Error("the consumer stopped reading"));
          consumerWake?.();
        }
      },
    };
    async function* drain(): AsyncGenerator<Uint8Array> {
      for (;;) {
        const next = queue.shift();
        if (next) {
          pending.bytes -= next.length;
          consumerWake?.();
          yield next;
          continue;
        }
        if (finished) {
          if (failure) throw failure;
          return;
        }
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
    }
    return iterable;
  }

  /** Downloads to a file; returns the report. */
  async fetchToFile(blobId: string, file: string, options: FetchOptions = {}): Promise<FetchReport> {
    const out = createWriteStream(file);
    const it = this.fetch(blobId, options);
    try {
      for await (const bytes of it) if (!out.write(bytes)) await once(out, "drain");
    } finally {
      out.end();
      await once(out, "close");
    }
    return it.report;
  }

  private async download(blobId: string, options: FetchOptions, push: (b: Uint8Array) => Promise<void>): Promise<FetchReport> {
    blobId = blobId.toLowerCase();
    const signal = options.signal;
    if (await this.deps.chain.isBlacklisted(blobId)) throw new FetchRefusedError("BLACKLISTED", "this blob is on the on-chain blacklist");
    const candidates = await this.candidates(blobId, options);
    if (candidates.length === 0) throw new NoProviderError(`No active node offers blob ${blobId}.`, { reason: "not_found" });
    // the size comes from a verified content record; until one arrived, the probe's answer is an estimate
    let known: number | undefined;
    const sizeNow = () => known ?? candidates[0].size;
    const offset = options.range?.offset ?? 0;
    if (offset > sizeNow()) throw new NoProviderError(`The range starts past the end of the ${sizeNow()}-byte blob.`);
    const endNow = () => (options.range?.length ? Math.min(sizeNow(), offset + options.range.length) : sizeNow());
    let position = offset;
    const report: FetchReport = { bytes: 0, size: sizeNow(), paid: 0n, providers: [], discovery: candidates.discovery ?? "probe" };
    const learn = (size: number | undefined) => {
      if (known === undefined && size !== undefined && size >= 0) known = report.size = size;
    };
    const failed = new Set<string>();
    const attempts = this.options.maxAttempts ?? 6;
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts && (position < endNow() || (endNow() === offset && report.providers.length === 0)); attempt++) {
      signal?.throwIfAborted();
      const pick = candidates.find((c) => !failed.has(c.nodeKey));
      if (!pick) break;
      // deposit needed: the rest of the range (whole leaves) plus slack, at the probed price (≥ the on-chain one)
      const need = amountOwed(BigInt(endNow() - position + 2 * 262_144), pick.pricePerGiB) + 1n;
      const [active, channel] = await Promise.all([this.deps.chain.activeNode(pick.nodeKey), this.channelFor(pick.nodeKey, need, { signal })]);
      if (!active) {
        failed.add(pick.nodeKey);
        continue;
      }
      const maxPrice = active.pricePerGiB;
      const entry = { nodeKey: pick.nodeKey, channelId: channel.channelId, bytes: 0, outcome: "ok" };
      report.providers.push(entry);
      const started = performance.now();
      try {
        const result = await this.withChannelLock(channel.channelId, () =>
          runSession(
            { peer: this.addrs(pick.node), nodeKey: pick.nodeKey, maxPricePerGiB: maxPrice, channelId: channel.channelId, blobId, offset: position, length: options.range?.length ? offset + options.range.length - position : 0, size: known },
            { host: this.deps.host, chain: this.deps.chain, store: this.deps.store, address: this.address, secretKey: this.deps.identity.secretKey },
            {
              signal,
              payEvery: this.options.payEvery,
              maxSkewSeconds: this.options.maxSkewSeconds,
              withholdVouchers: options.withholdVouchers,
              hashInWorker: this.options.hashInWorker,
              onHeader: options.onHeader,
              onLeafHashes: options.onLeafHashes,
              onData: async (bytes) => {
                position += bytes.length;
                entry.bytes += bytes.length;
                report.bytes += bytes.length;
                await push(bytes);
                options.onProgress?.({ bytes: position - offset, total: endNow() - offset, paid: report.paid + (this.deps.store.channel(channel.channelId)!.signed - channel.signed), provider: pick.nodeKey });
              },
            },
          ),
        );
        report.paid += result.signed - channel.signed;
        learn(result.size);
        this.reputation.record(pick.nodeKey, { kind: "delivery", bytes: entry.bytes, durationMs: performance.now() - started, declaredMbps: pick.node.capacityMbps });
        if (position >= endNow()) break;
      } catch (error) {
        const e = error as SessionError;
        learn(e.size);
        report.paid += this.deps.store.channel(channel.channelId)!.signed - channel.signed;
        lastError = e;
        entry.outcome = (e as { code?: string }).code ?? e.name;
        if (signal?.aborted) throw e;
        this.reputation.record(pick.nodeKey, e instanceof ProviderMisbehaviourError ? { kind: "mismatch" } : { kind: "unreachable" });
        failed.add(pick.nodeKey);
        this.log.warn({ node: pick.nodeKey, err: e.message, position }, "provider failed; switching");
        if (e instanceof FetchRefusedError && e.refusal === "BLACKLISTED") throw e;
      }
    }
    if (position < endNow()) {
      const why = lastError instanceof Error ? ` Last error: ${lastError.message}` : "";
      throw new NoProviderError(`The download stopped at byte ${position} of ${endNow()}: no provider left.${why}`, { cause: lastError });
    }
    return report;
  }
}

export function createClient(options: ClientOptions, deps: ClientDeps): Client {
  return new Client(options, deps);
}

/** Price of `bytes` at `pricePerGiB`, for display. */
export const costOf = (bytes: number, pricePerGiB: bigint): bigint => (BigInt(bytes) * pricePerGiB + GIB - 1n) / GIB;
