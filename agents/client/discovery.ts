/**
 * Discovery (docs/delivery.md §4, docs/mesh.md): bootstrap the active node set from the registry
 * (reused 30 s, then refreshed in the background while the old list keeps serving), probe the best
 * known peers first (by persisted reputation, at most `maxProbes`, in parallel); on a miss, a DHT
 * lookup names providers, which are probed in turn. Selection and reputation are the mesh's
 * (agents/mesh/reputation.ts).
 *
 * Warm path: a provider that delivered a blob (through the same `via` nodes) is remembered for
 * HOLDER_TTL_MS; the next fetch of that blob asks it at once, without probing (`known`). A failure
 * falls back to full discovery.
 */
import type { Libp2p } from "@libp2p/interface";
import { multiaddr, type Multiaddr } from "@multiformats/multiaddr";
import { PROTOCOL_PROBE } from "../protocol/constants.js";
import { decodeProbeResponse, encodeProbeRequest, FRAME_CAPS } from "../protocol/wire/messages.js";
import { FramedStream } from "../runtime/framed.js";
import { silentLogger, type Logger } from "../runtime/logger.js";
import { addressOfPeer } from "../runtime/peers.js";
import { rankCandidates, type Candidate, type Reputation } from "../mesh/reputation.js";
import { usdc } from "../runtime/cli.js";
import type { ActiveNode, ClientChainView } from "./chain.js";
import { NoProviderError } from "./errors.js";

export interface DiscoveryOptions {
  /** Highest price per GiB accepted (USDC base units). */
  maxPricePerGiB?: bigint;
  /** Probe at most this many candidates, in parallel (default 16). */
  maxProbes?: number;
  /** Per-probe timeout (ms, default 3000). */
  probeTimeoutMs?: number;
}

export interface DiscoveryDeps {
  host: Pick<Libp2p, "dial">;
  chain: ClientChainView;
  reputation: Reputation;
  logger?: Logger;
  /** DHT provider lookups (agents/mesh/dht.ts MeshDht in client mode): discovery after a probe miss. */
  dht?: { findProviders(blobId: string, options?: { signal?: AbortSignal }): Promise<{ peer: { toString(): string } }[]> };
}

/** A node that answered a probe. */
export interface Probed extends Candidate {
  nodeId: bigint;
  nodeKey: string;
  node: ActiveNode;
  size: number;
  /** The probe answered HAVE (else MISS from a `via` node). */
  have: boolean;
}

export interface CandidateOptions {
  signal?: AbortSignal;
  /** Only these node keys (lower-case) are considered. */
  providers?: string[];
  /** Node keys (lower-case) never used. */
  exclude?: string[];
  /** Cache nodes (lower-case keys) used even on a MISS, when some active node holds the blob (fan-out). */
  via?: string[];
  /** Node keys (lower-case) known to hold the blob without a probe (a node's own DHT provider records). */
  holders?: string[];
}

/**
 * How the candidates were found: remembered from an earlier delivery, named by the caller (`via`
 * cache nodes, or `holders`) and asked without a probe, a probe of known peers, or a DHT lookup
 * after a probe miss.
 */
export type DiscoveryPath = "known" | "named" | "probe" | "dht";

/** The size of a candidate nobody probed: learnt from the verified content record of its answer. */
export const UNKNOWN_SIZE = Number.POSITIVE_INFINITY;

/** What discovery saw besides holders: nodes left out by the price cap, probes answered BUSY or not at all. */
export interface DiscoveryTally {
  asked: number;
  busy: number;
  unreachable: number;
  /** Active nodes (otherwise allowed) above the price cap: not asked. */
  pricedOut: number;
  cheapestPricedOut?: bigint;
  maxPricePerGiB?: bigint;
}

/** Candidates, best first; `steps` are the sequential network round trips discovery took (for the first-byte report). */
export type Candidates = Probed[] & { discovery?: DiscoveryPath; steps?: string[]; tally?: DiscoveryTally };

/** How long a client is told to wait (ms) when every holder answered BUSY to a probe (a probe carries no retry-after). */
const PROBE_BUSY_RETRY_MS = 5000;

/** Why discovery found no candidate, in one sentence with the reason a caller maps (the gateway: 503 + Retry-After for busy and the price cap). */
export function noCandidateError(blobId: string, tally: DiscoveryTally | undefined): NoProviderError {
  const t = tally ?? { asked: 0, busy: 0, unreachable: 0, pricedOut: 0 };
  const nodes = (n: number) => `${n} node${n === 1 ? "" : "s"}`;
  if (t.busy > 0) {
    return new NoProviderError(`No node can serve blob ${blobId} now: ${nodes(t.busy)} answered busy (at capacity, or catching up with the chain); try again in ${PROBE_BUSY_RETRY_MS / 1000} s.`, {
      reason: "busy",
      retryAfterMs: PROBE_BUSY_RETRY_MS,
    });
  }
  if (t.pricedOut > 0) {
    const cap = t.maxPricePerGiB === undefined ? "" : ` of ${usdc(t.maxPricePerGiB)}/GiB`;
    const from = t.cheapestPricedOut === undefined ? "" : ` (from ${usdc(t.cheapestPricedOut)}/GiB)`;
    return new NoProviderError(
      `No active node within the price cap${cap} offers blob ${blobId}; ${t.pricedOut === 1 ? `1 node charges more${from} and was` : `${t.pricedOut} nodes charge more${from} and were`} not asked: raise maxPricePerGiB in the client's config to use them.`,
      { reason: "price_cap" },
    );
  }
  if (t.unreachable > 0) {
    return new NoProviderError(`No active node offers blob ${blobId}: ${nodes(t.unreachable)} of ${t.asked} asked did not answer the probe (the others do not hold it); try again shortly.`, {
      reason: "failed",
    });
  }
  return new NoProviderError(`No active node offers blob ${blobId}.`, { reason: "not_found" });
}

/** How long the bootstrap list is reused before a background refresh (ms). */
const BOOTSTRAP_TTL_MS = 30_000;
/** How long a provider that delivered a blob is asked again at once, without probing (ms). */
export const HOLDER_TTL_MS = 5 * 60_000;
/** Remembered (blob, via) → provider entries; the oldest are dropped beyond this. */
const MAX_HOLDERS = 10_000;

/** A node's parsable multiaddrs (unparsable ones are skipped). */
export function addrsOf(node: ActiveNode): Multiaddr[] {
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

export class Discovery {
  private readonly log: Logger;
  private nodes: { at: number; list: ActiveNode[] } | undefined;
  private refreshing: Promise<void> | undefined;
  private readonly holders = new Map<string, { at: number; probed: Probed }>();

  constructor(
    readonly options: DiscoveryOptions,
    readonly deps: DiscoveryDeps,
  ) {
    this.log = deps.logger ?? silentLogger();
  }

  /** The active node set from the registry: read once, then refreshed in the background when older than 30 s. */
  async bootstrap(options: { signal?: AbortSignal; steps?: string[] } = {}): Promise<ActiveNode[]> {
    options.signal?.throwIfAborted();
    if (!this.nodes) {
      options.steps?.push("chain: active nodes");
      this.nodes = { at: Date.now(), list: await this.deps.chain.activeNodes() };
    } else if (Date.now() - this.nodes.at > BOOTSTRAP_TTL_MS && !this.refreshing) {
      this.refreshing = this.deps.chain
        .activeNodes()
        .then((list) => void (this.nodes = { at: Date.now(), list }))
        .catch((e: unknown) => this.log.debug({ err: (e as Error).message }, "active node refresh failed"))
        .finally(() => (this.refreshing = undefined));
    }
    return this.nodes.list;
  }

  /** The provider that delivered `blobId` (through the same `via` nodes) within HOLDER_TTL_MS, if still allowed. */
  known(blobId: string, options: CandidateOptions = {}): Candidates | undefined {
    const hit = this.holders.get(holderKey(blobId, options.via));
    if (!hit || Date.now() - hit.at > HOLDER_TTL_MS) return undefined;
    const allowed = this.eligible([hit.probed.node], options).length === 1 && this.nodes?.list.some((n) => n.nodeKey === hit.probed.nodeKey);
    if (!allowed) return undefined;
    const out: Candidates = [hit.probed];
    out.discovery = "known";
    out.steps = [];
    return out;
  }

  /**
   * The nodes the caller named (`via` cache nodes, else `holders`), active and allowed, asked at
   * once without a probe (their answer's verified record gives the size); undefined if none.
   * A named cache node that finds no holder upstream refuses NOT_FOUND, and a named holder that
   * lost the blob refuses too: the download then falls back to full discovery.
   */
  async named(options: CandidateOptions = {}): Promise<Candidates | undefined> {
    const keys = options.via?.length ? options.via : options.holders;
    if (!keys?.length) return undefined;
    const steps: string[] = [];
    const nodes = this.byReputation(
      this.eligible(await this.bootstrap({ ...options, steps }), options).filter((n) => keys.includes(n.nodeKey)),
      options.via,
    );
    if (nodes.length === 0) return undefined;
    const { reputation } = this.deps;
    const out: Candidates = nodes.map((node) => ({
      peer: node.nodeKey,
      nodeId: node.nodeId,
      nodeKey: node.nodeKey,
      pricePerGiB: node.pricePerGiB,
      rttMs: 0,
      reputation: reputation.score(node.nodeKey),
      region: node.region,
      node,
      size: UNKNOWN_SIZE,
      have: !options.via?.length,
    }));
    out.discovery = "named";
    out.steps = steps;
    return out;
  }

  /** Remembers the provider that delivered `blobId` (the warm path of the next fetch). */
  remember(blobId: string, via: string[] | undefined, probed: Probed): void {
    const key = holderKey(blobId, via);
    this.holders.delete(key);
    this.holders.set(key, { at: Date.now(), probed });
    if (this.holders.size > MAX_HOLDERS) this.holders.delete(this.holders.keys().next().value as string);
  }

  /** Forgets a remembered provider (it failed). */
  forget(blobId: string, via: string[] | undefined): void {
    this.holders.delete(holderKey(blobId, via));
  }

  /** Probes one node: HAVE with size, price and round trip (or MISS when accepted), else undefined. */
  async probe(node: ActiveNode, blobId: string, options: { signal?: AbortSignal; acceptMiss?: boolean; tally?: DiscoveryTally } = {}): Promise<Probed | undefined> {
    const signal = AbortSignal.any([AbortSignal.timeout(this.options.probeTimeoutMs ?? 3000), ...(options.signal ? [options.signal] : [])]);
    const { reputation } = this.deps;
    try {
      const started = performance.now();
      const connection = await this.deps.host.dial(addrsOf(node), { signal });
      if (addressOfPeer(connection.remotePeer) !== node.nodeKey) return undefined;
      const framed = new FramedStream(await connection.newStream(PROTOCOL_PROBE, { signal }), { readCap: FRAME_CAPS.ProbeResponse, idleTimeoutMs: 5000, signal });
      await framed.write(encodeProbeRequest({ blobId }));
      const body = await framed.read();
      await framed.close();
      if (!body) return undefined;
      const r = decodeProbeResponse(body);
      const rttMs = performance.now() - started;
      reputation.record(node.nodeKey, { kind: "probe", rttMs });
      if (r.status === "BUSY" && options.tally) options.tally.busy++;
      if (r.status !== "HAVE" && !(options.acceptMiss && r.status === "MISS")) return undefined;
      const price = r.pricePerGiB > node.pricePerGiB ? r.pricePerGiB : node.pricePerGiB;
      return {
        peer: node.nodeKey,
        nodeId: node.nodeId,
        nodeKey: node.nodeKey,
        pricePerGiB: price,
        rttMs,
        reputation: reputation.score(node.nodeKey),
        region: node.region,
        node,
        size: r.size,
        have: r.status === "HAVE",
      };
    } catch (error) {
      if (options.tally) options.tally.unreachable++;
      if (!options.signal?.aborted) reputation.record(node.nodeKey, { kind: "unreachable" });
      this.log.debug({ node: node.nodeKey, err: (error as Error).message }, "probe failed");
      return undefined;
    }
  }

  /**
   * Candidates holding the blob (or, with `via`, the named cache nodes that can fetch it), best
   * first, and how they were found: the best known peers are probed first; on a miss, a DHT
   * lookup names providers, which are probed in turn.
   */
  async candidates(blobId: string, options: CandidateOptions = {}): Promise<Candidates> {
    const steps: string[] = [];
    const active = await this.bootstrap({ ...options, steps });
    const nodes = this.eligible(active, options);
    const max = this.options.maxPricePerGiB;
    const pricedOut = max === undefined ? [] : this.eligible(active, options, false).filter((n) => n.pricePerGiB > max);
    const tally: DiscoveryTally = { asked: 0, busy: 0, unreachable: 0, pricedOut: pricedOut.length, maxPricePerGiB: max };
    if (pricedOut.length > 0) tally.cheapestPricedOut = pricedOut.reduce((m, n) => (n.pricePerGiB < m ? n.pricePerGiB : m), pricedOut[0].pricePerGiB);
    const known = this.byReputation(nodes, options.via);
    const first = known.slice(0, this.options.maxProbes ?? 16);
    // a probe stream's request leaves with its protocol id (agents/runtime/host.ts EAGER_PROTOCOLS): one round trip
    steps.push("probe");
    let answers = await this.probeAll(first, blobId, options, tally);
    let discovery: DiscoveryPath = "probe";
    if (!answers.some((p) => p.have) && this.deps.dht) {
      // a probe miss: ask the DHT, then probe the active nodes it names
      const probed = new Set(first.map((n) => n.nodeKey));
      steps.push("dht");
      const named = await this.dhtProviders(blobId, options.signal);
      const more = nodes.filter((n) => named.includes(n.nodeKey) && !probed.has(n.nodeKey));
      if (more.length > 0) steps.push("probe");
      answers = [...answers, ...(await this.probeAll(more, blobId, options, tally))];
      discovery = "dht";
    }
    const ranked: Candidates = rankCandidates(selectAnswers(answers, options.via)) as Probed[];
    ranked.discovery = discovery;
    ranked.steps = steps;
    ranked.tally = tally;
    return ranked;
  }

  /** The active nodes the options allow, within the price cap (unless `capped` is false). */
  private eligible(nodes: ActiveNode[], options: CandidateOptions, capped = true): ActiveNode[] {
    const max = capped ? this.options.maxPricePerGiB : undefined;
    return nodes.filter((n) => (!options.providers || options.providers.includes(n.nodeKey)) && !options.exclude?.includes(n.nodeKey) && (max === undefined || n.pricePerGiB <= max));
  }

  /** The best known peers first: the via nodes, then by reputation (then node id). */
  private byReputation(nodes: ActiveNode[], via: string[] | undefined): ActiveNode[] {
    const score = (n: ActiveNode) => this.deps.reputation.score(n.nodeKey);
    const isVia = (n: ActiveNode) => Number(via?.includes(n.nodeKey) ?? false);
    return [...nodes].sort((a, b) => isVia(b) - isVia(a) || score(b) - score(a) || (a.nodeId < b.nodeId ? -1 : 1));
  }

  private async probeAll(list: ActiveNode[], blobId: string, options: CandidateOptions, tally: DiscoveryTally): Promise<Probed[]> {
    tally.asked += list.length;
    const answers = await Promise.all(list.map((n) => this.probe(n, blobId, { signal: options.signal, acceptMiss: options.via?.includes(n.nodeKey), tally })));
    return answers.filter((p): p is Probed => p !== undefined);
  }

  /** Node keys the DHT names as providers of `blobId` (none if the lookup fails). */
  private async dhtProviders(blobId: string, signal: AbortSignal | undefined): Promise<string[]> {
    try {
      const found = await this.deps.dht!.findProviders(blobId, { signal });
      return found.map((p) => addressOfPeer(p.peer.toString())).filter((k): k is string => k !== undefined);
    } catch (error) {
      this.log.debug({ err: (error as Error).message }, "DHT lookup failed");
      return [];
    }
  }
}

const holderKey = (blobId: string, via: string[] | undefined): string => (via?.length ? `${blobId}>${[...via].sort().join(",")}` : blobId);

/** Holders; or with `via`, the via nodes (sized by a holder's answer) when some node holds the blob. */
function selectAnswers(answers: Probed[], via: string[] | undefined): Probed[] {
  if (!via) return answers.filter((p) => p.have);
  const holder = answers.find((p) => p.have);
  return holder ? answers.filter((p) => via.includes(p.nodeKey)).map((p) => ({ ...p, size: p.have ? p.size : holder.size })) : [];
}
