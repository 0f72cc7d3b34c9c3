/**
 * The client library: `createClient(options, deps)` then `fetch(blobId, { signal, range })`, an
 * async iterable of verified bytes, or `fetchToFile`. Three parts, one job each:
 *  - discovery.ts: bootstrap from the on-chain registry, probe, DHT lookup on a miss, selection;
 *  - channels.ts: the ChannelManager (EIP-2612 permit, open, reuse, top up, close, settle; one
 *    `send(tx)` path for every transaction);
 *  - download.ts: the retry loop (switch provider and resume from the last verified byte) and the
 *    back-pressured stream of verified bytes; session.ts is one paid stream.
 * Free of CLI concerns: the node's fan-out and the slasher reuse it.
 */
import type { Libp2p } from "@libp2p/interface";
import { GIB } from "../protocol/constants.js";
import type { Contracts } from "../chain/contracts.js";
import { silentLogger, type Logger } from "../runtime/logger.js";
import type { Identity } from "../runtime/keys.js";
import { Reputation, SqliteReputationStore } from "../mesh/reputation.js";
import { clientChainView, type ActiveNode, type ClientChainView } from "./chain.js";
import { ChannelManager, type TransactionSender } from "./channels.js";
import { Discovery, type CandidateOptions, type Candidates, type DiscoveryDeps, type Probed } from "./discovery.js";
import { Downloader, verifiedStream, writeToFile, type FetchOptions, type FetchReport, type VerifiedStream } from "./download.js";
import type { ClientChannel, ClientStore } from "./store.js";

export type { FetchOptions, FetchReport, Progress } from "./download.js";

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
  /** Channels to one node used at the same time by concurrent downloads (default 4); more downloads wait their turn. */
  maxChannelsPerNode?: number;
}

export interface ClientDeps {
  host: Libp2p;
  identity: Identity;
  /** What the client reads from the chain (default: `clientChainView(contracts)`). */
  chain?: ClientChainView;
  /** Contracts connected to the client's wallet (channel transactions). */
  contracts: Contracts;
  store: ClientStore;
  logger?: Logger;
  reputation?: Reputation;
  /** DHT provider lookups (agents/mesh/dht.ts MeshDht in client mode): discovery after a probe miss. */
  dht?: DiscoveryDeps["dht"];
  /** Sends the channel transactions (default: the identity's wallet). */
  sender?: TransactionSender;
}

type Signal = { signal?: AbortSignal };

export class Client {
  readonly reputation: Reputation;
  readonly discovery: Discovery;
  readonly channels: ChannelManager;
  private readonly downloader: Downloader;

  readonly deps: ClientDeps & { chain: ClientChainView };

  constructor(
    readonly options: ClientOptions,
    deps: ClientDeps,
  ) {
    this.deps = { ...deps, chain: deps.chain ?? clientChainView(deps.contracts) };
    this.reputation = deps.reputation ?? new Reputation({}, { store: new SqliteReputationStore(deps.store.db) });
    const logger = deps.logger ?? silentLogger();
    const { host, chain, store, identity, contracts } = this.deps;
    this.discovery = new Discovery(options, { host, chain, reputation: this.reputation, logger, dht: deps.dht });
    this.channels = new ChannelManager({ deposit: options.deposit, maxChannelsPerNode: options.maxChannelsPerNode }, { identity, contracts, store, logger, sender: deps.sender });
    const session = { host, chain, store, address: this.address, secretKey: identity.secretKey };
    this.downloader = new Downloader(options, { chain, discovery: this.discovery, channels: this.channels, reputation: this.reputation, session, logger });
  }

  get address(): string {
    return this.deps.identity.address.toLowerCase();
  }

  /**
   * Downloads `blobId` (or a byte range of it) as verified bytes, switching provider on failure
   * and resuming from the last verified byte. Never yields an unverified byte.
   */
  fetch(blobId: string, options: FetchOptions = {}): VerifiedStream {
    return verifiedStream(options.signal, (signal, push) => this.downloader.run(blobId, { ...options, signal }, push));
  }

  /**
   * Downloads into `write`, with no buffer in between: each verified piece is written before the
   * voucher that pays for it is signed. With `options.durable` the file is synced before each
   * voucher and its reach recorded with it (a resumable download: the CLI's `.part` file).
   */
  fetchInto(blobId: string, write: (bytes: Uint8Array) => Promise<void>, options: FetchOptions = {}): Promise<FetchReport> {
    return this.downloader.run(blobId, options, write);
  }

  /** Downloads to a file; returns the report. */
  fetchToFile(blobId: string, file: string, options: FetchOptions = {}): Promise<FetchReport> {
    return writeToFile(this.fetch(blobId, options), file);
  }

  // discovery and channels, for the CLI, the slasher and tests

  bootstrap(options: Signal = {}): Promise<ActiveNode[]> {
    return this.discovery.bootstrap(options);
  }

  probe(node: ActiveNode, blobId: string, options: Signal & { acceptMiss?: boolean } = {}): Promise<Probed | undefined> {
    return this.discovery.probe(node, blobId, options);
  }

  candidates(blobId: string, options: CandidateOptions = {}): Promise<Candidates> {
    return this.discovery.candidates(blobId, options);
  }

  openChannel(nodeKey: string, deposit: bigint, options: Signal = {}): Promise<ClientChannel> {
    return this.channels.open(nodeKey, deposit, options);
  }

  topUp(channelId: string, amount: bigint, options: Signal = {}): Promise<ClientChannel> {
    return this.channels.topUp(channelId, amount, options);
  }

  closeChannel(channelId: string, options: Signal = {}): Promise<ClientChannel> {
    return this.channels.close(channelId, options);
  }

  settle(channelId: string, options: Signal = {}): Promise<ClientChannel> {
    return this.channels.settle(channelId, options);
  }

  refreshChannel(channelId: string): Promise<ClientChannel> {
    return this.channels.refresh(channelId);
  }

  channelFor(nodeKey: string, need: bigint, options: Signal = {}): Promise<ClientChannel> {
    return this.channels.channelFor(nodeKey, need, options);
  }
}

export function createClient(options: ClientOptions, deps: ClientDeps): Client {
  return new Client(options, deps);
}

/** Price of `bytes` at `pricePerGiB`, for display. */
export const costOf = (bytes: number, pricePerGiB: bigint): bigint => (BigInt(bytes) * pricePerGiB + GIB - 1n) / GIB;
