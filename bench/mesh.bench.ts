/**
 * Mesh benchmark: `npm run bench:mesh`. N nodes (default 24; BENCH_NODES) and one client as real
 * libp2p hosts (TCP + noise + yamux, secp256k1 identities) in this one process on 127.0.0.1, with
 * the project's mesh services (gossipsub StrictNoSign + EIP-712 announcements verified on the fast
 * path, kad-dht in server mode with the gating mapper). Measures:
 *   - DHT lookup: MeshDht.findProviders(first provider) from random nodes and from the client;
 *   - gossip: time from publish until every other node has delivered an announcement;
 *   - memory per node (RSS and JS heap after GC, divided by N).
 * The active set is a static list (the chain is not what is measured). BENCH_SIGN=1 switches
 * gossipsub to StrictSign (libp2p signatures on top) to measure its cost. Prints a markdown table.
 */
import { randomBytes } from "node:crypto";
import { ActiveSet, type ActiveNode, type ActiveSetSource } from "../agents/mesh/active-set.js";
import { MeshDht } from "../agents/mesh/dht.js";
import { MeshGossip } from "../agents/mesh/gossip.js";
import { meshServices, type MeshServiceMap } from "../agents/mesh/services.js";
import { TOPIC_GLOBAL } from "../agents/mesh/constants.js";
import { domainFor } from "../agents/protocol/eip712.js";
import { Eip712Domain } from "../agents/protocol/eip712-fast.js";
import { toHex } from "../agents/protocol/bytes.js";
import { signNodeAnnouncement } from "../agents/protocol/signed.js";
import { encodeGossipMessage } from "../agents/protocol/wire/messages.js";
import { createHost } from "../agents/runtime/host.js";
import { identityFromSecret, type Identity } from "../agents/runtime/keys.js";
import type { Libp2p } from "@libp2p/interface";

const N = Number(process.env.BENCH_NODES ?? 24);
const DEGREE = Number(process.env.BENCH_DEGREE ?? 5);
const LOOKUPS = Number(process.env.BENCH_LOOKUPS ?? 60);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const POLICY = process.env.BENCH_SIGN === "1" ? "StrictSign" : "StrictNoSign";
type Host = Libp2p<MeshServiceMap>;

const log = (s: string) => console.error(`  ${s}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const mb = (b: number) => (b / 1024 / 1024).toFixed(1);
const gc = () => (globalThis as { gc?: () => void }).gc?.();

class Source implements ActiveSetSource {
  constructor(private readonly keys: string[]) {}
  async activeNodes() {
    return { nodes: this.keys.map((k, i): ActiveNode => ({ nodeId: BigInt(i + 1), nodeKey: k, operator: k, region: 1, pricePerGiB: 1n, capacityMbps: 100 })), nextId: 0n };
  }
  async isActive(k: string) {
    return this.keys.includes(k.toLowerCase());
  }
}

async function main(): Promise<void> {
  gc();
  const rss0 = process.memoryUsage().rss;
  const heap0 = process.memoryUsage().heapUsed;
  const ids: Identity[] = Array.from({ length: N }, () => identityFromSecret(new Uint8Array(randomBytes(32))));
  const activeSet = new ActiveSet({}, { source: new Source(ids.map((i) => i.address.toLowerCase())) });
  await activeSet.refresh();
  const start = async (identity: Identity, role: "node" | "client") =>
    (await createHost({
      privateKey: identity.privateKey,
      listen: role === "node" ? ["/ip4/127.0.0.1/tcp/0"] : [],
      allow: ["/ip4/127.0.0.1"],
      services: meshServices({ role, regions: [1], loopback: true, signaturePolicy: POLICY }, { activeSet }),
    })) as unknown as Host;
  let t = performance.now();
  const nodes: Host[] = [];
  for (const id of ids) nodes.push(await start(id, "node"));
  const client = await start(identityFromSecret(new Uint8Array(randomBytes(32))), "client");
  log(`${N} nodes + 1 client started in ${(performance.now() - t).toFixed(0)} ms (${POLICY})`);

  // topology: a ring plus random links, DEGREE dials per node; the client dials 3 nodes
  t = performance.now();
  // dial in batches: hundreds of simultaneous secp256k1 noise handshakes time out on 2 cores
  const pairs: [Host, Host][] = [];
  for (let i = 0; i < N; i++) {
    const targets = new Set([(i + 1) % N]);
    while (targets.size < Math.min(DEGREE, N - 1)) {
      const j = Math.floor(Math.random() * N);
      if (j !== i) targets.add(j);
    }
    for (const j of targets) pairs.push([nodes[i], nodes[j]]);
  }
  for (let k = 0; k < 3; k++) pairs.push([client, nodes[(k * 7) % N]]);
  for (let k = 0; k < pairs.length; k += 16) {
    await Promise.all(pairs.slice(k, k + 16).map(([a, b]) => a.dial(b.getMultiaddrs()[0]).catch((e: unknown) => log(`dial failed: ${String(e)}`))));
  }
  log(`${pairs.length} dials in ${(performance.now() - t).toFixed(0)} ms`);

  // gossip services (validators on) on every node
  const domain = Eip712Domain.from(domainFor("nodeRegistry", 31337, "0x" + "11".repeat(20)));
  const originDomain = Eip712Domain.from(domainFor("originRegistry", 31337, "0x" + "22".repeat(20)));
  const arrivals = new Map<bigint, number[]>();
  const gossips = nodes.map((h, i) => {
    const g = new MeshGossip(
      { role: "node", regions: [1], nodeRegistryDomain: domain, originRegistryDomain: originDomain, announceIntervalMs: 3_600_000 },
      {
        pubsub: h.services.pubsub,
        activeSet,
        origins: { isValidContentSigner: async () => false },
        signer: { secretKey: ids[i].secretKey, nodeKey: ids[i].address, region: 1, offer: () => ({ multiaddrs: h.getMultiaddrs().map(String), pricePerGiB: 10_000n, load: 0 }) },
      },
    );
    g.onAnnouncement((e) => {
      if (e.topic !== TOPIC_GLOBAL) return;
      arrivals.get(e.announcement.value.sequence)?.push(performance.now());
    });
    return g;
  });
  await Promise.all(gossips.map((g) => g.start()));
  const services = (h: Host) => new MeshDht({ lookupTimeoutMs: 10_000 }, { dht: h.services.dht, self: h.peerId, activeSet, isBlacklisted: () => false });
  // let routing tables and meshes settle
  await sleep(4000);
  const rtSizes = nodes.map((h) => (h.services.dht as unknown as { routingTable: { size: number } }).routingTable.size);
  const meshSizes = nodes.map((h) => (h.services.pubsub as unknown as { getMeshPeers(t: string): string[] }).getMeshPeers(TOPIC_GLOBAL).length);
  log(`routing table size p50 ${pct(rtSizes, 50)}, mesh degree p50 ${pct(meshSizes, 50)}`);

  // ---- gossip propagation to all nodes ----
  const toAll: number[] = [];
  const toHalf: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const i = r % N;
    const a = gossips[i].signAnnouncement();
    a.value.sequence = BigInt(Date.now()) * 1000n + BigInt(r); // unique per round
    a.signature = signNodeAnnouncement(domain, a.value, ids[i].secretKey);
    const times: number[] = [];
    arrivals.set(a.value.sequence, times);
    const t0 = performance.now();
    await nodes[i].services.pubsub.publish(TOPIC_GLOBAL, encodeGossipMessage({ kind: "announcement", announcement: a }));
    const deadline = t0 + 10_000;
    while (times.length < N - 1 && performance.now() < deadline) await sleep(2);
    if (times.length === N - 1) {
      toAll.push(Math.max(...times) - t0);
      toHalf.push([...times].sort((x, y) => x - y)[Math.floor((N - 1) / 2)] - t0);
    } else log(`round ${r}: reached ${times.length}/${N - 1} nodes`);
    await sleep(100);
  }

  // ---- DHT lookups ----
  const blobs: string[] = [];
  t = performance.now();
  for (let k = 0; k < 10; k++) {
    const blob = toHex(new Uint8Array(randomBytes(32)));
    blobs.push(blob);
    await services(nodes[(k * 5) % N]).provide(blob);
  }
  log(`10 provides in ${(performance.now() - t).toFixed(0)} ms`);
  const lookup = async (from: Host, blob: string): Promise<number | undefined> => {
    const t0 = performance.now();
    const found = await services(from).findProviders(blob, { max: 1 });
    return found.length > 0 ? performance.now() - t0 : undefined;
  };
  const nodeLookups: number[] = [];
  const clientLookups: number[] = [];
  let misses = 0;
  for (let k = 0; k < LOOKUPS; k++) {
    const blob = blobs[k % blobs.length];
    const providerIndex = ((k % blobs.length) * 5) % N;
    let j = Math.floor(Math.random() * N);
    if (j === providerIndex) j = (j + 1) % N;
    const ms = await lookup(nodes[j], blob);
    if (ms === undefined) misses++;
    else nodeLookups.push(ms);
    const c = await lookup(client, blob);
    if (c === undefined) misses++;
    else clientLookups.push(c);
  }

  gc();
  const mem = process.memoryUsage();
  const rows: [string, string][] = [
    ["nodes (+1 client) in one process", `${N} (${POLICY}, secp256k1 identities)`],
    [
      "dials / connections at the end (kad-dht dials more)",
      `${pairs.length} (ring + ${DEGREE - 1} random per node, 3 by the client) / ${nodes.reduce((n, h) => n + h.getConnections().length, 0) / 2}`,
    ],
    ["DHT routing table size p50 / mesh degree p50", `${pct(rtSizes, 50)} / ${pct(meshSizes, 50)}`],
    [`DHT findProviders from a node, p50 / p95 (${nodeLookups.length})`, `${pct(nodeLookups, 50).toFixed(1)} / ${pct(nodeLookups, 95).toFixed(1)} ms`],
    [`DHT findProviders from a client, p50 / p95 (${clientLookups.length})`, `${pct(clientLookups, 50).toFixed(1)} / ${pct(clientLookups, 95).toFixed(1)} ms`],
    ["DHT lookups without a result", String(misses)],
    [`gossip to all ${N - 1} other nodes, p50 / p95 (${toAll.length} rounds)`, `${pct(toAll, 50).toFixed(1)} / ${pct(toAll, 95).toFixed(1)} ms`],
    ["gossip to half of the nodes, p50", `${pct(toHalf, 50).toFixed(1)} ms`],
    ["memory per node: RSS / JS heap after GC", `${mb((mem.rss - rss0) / (N + 1))} / ${mb((mem.heapUsed - heap0) / (N + 1))} MiB`],
    ["process RSS / heap total", `${mb(mem.rss)} / ${mb(mem.heapUsed)} MiB`],
  ];
  console.log(`\n| mesh benchmark (${new Date().toISOString().slice(0, 10)}) | value |\n|---|---|`);
  for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);

  for (const g of gossips) await g.stop();
  await Promise.all([...nodes, client].map((h) => h.stop()));
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
