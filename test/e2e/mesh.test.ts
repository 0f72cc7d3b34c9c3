/**
 * The mesh end to end (docs/mesh.md): real libp2p hosts on 127.0.0.1 in the test process (node agents
 * with gossipsub, kad-dht, the probe service, active set, deny-set and freshness guard; clients
 * with the client-mode mesh), the real contracts on an in-process Hardhat chain. One origin and
 * four cache nodes in two regions.
 */
import { expect } from "chai";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { keccak256 } from "ethers";
import { multiaddr } from "@multiformats/multiaddr";
import { network } from "hardhat";
import { collect, deliveryWorld, directSession, randomFile, startNode, testLogger, USDC, type DeliveryWorld, type TestNode } from "./delivery-fixture.js";
import { amountOwed } from "../../agents/protocol/pricing.js";
import { readChannel } from "../../agents/chain/contracts.js";
import { identityFromSecret, type Identity } from "../../agents/runtime/keys.js";
import { createHost } from "../../agents/runtime/host.js";
import { ClientStore } from "../../agents/client/store.js";
import { createClient, type Client } from "../../agents/client/client.js";
import { clientChainView } from "../../agents/client/chain.js";
import { ClientMesh } from "../../agents/client/mesh.js";
import { runSession } from "../../agents/client/session.js";
import { FetchRefusedError } from "../../agents/client/errors.js";
import { TOPIC_GLOBAL } from "../../agents/mesh/constants.js";
import { meshServices, type MeshServiceMap } from "../../agents/mesh/services.js";
import { encodeGossipMessage } from "../../agents/protocol/wire/messages.js";
import { signNodeAnnouncement } from "../../agents/protocol/signed.js";
import type { Libp2p } from "@libp2p/interface";
import { inRoutingTable } from "../agents/mesh/helpers.js";
import { rejection } from "../helpers/errors.js";
import { nodeCreditOf } from "../helpers/credits.js";
import { tmpDir } from "../helpers/tmp.js";

const LEAF = 262_144;
const REGION_A = 1;
const REGION_B = 2;

interface MeshClient {
  client: Client;
  identity: Identity;
  store: ClientStore;
  host: Libp2p<MeshServiceMap>;
  mesh: ClientMesh;
  stop(): Promise<void>;
}

describe("e2e › the mesh (origin + 4 cache nodes, 2 regions)", function () {
  this.timeout(120_000);
  let world: DeliveryWorld;
  let origin: TestNode;
  const caches: TestNode[] = [];
  const clients: MeshClient[] = [];

  const meshClient = async (region: number, options: Parameters<typeof createClient>[0] = {}): Promise<MeshClient> => {
    const identity = identityFromSecret(randomBytes(32));
    await world.fund(identity.address);
    const contracts = world.contractsFor(identity);
    const mesh = new ClientMesh({ regions: [region], loopback: true }, contracts);
    await mesh.prepare();
    const host = (await createHost({ privateKey: identity.privateKey, listen: [], allow: ["/ip4/127.0.0.1"], services: mesh.services() as never })) as unknown as Libp2p<MeshServiceMap>;
    const dht = await mesh.attach(host);
    const store = new ClientStore(path.join(tmpDir("cdn-client-"), "client.db"));
    const client = createClient({ probeTimeoutMs: 5000, ...options }, { host, identity, chain: clientChainView(contracts), contracts, store, dht, logger: testLogger("client") });
    const c = {
      client,
      identity,
      store,
      host,
      mesh,
      async stop() {
        await mesh.stop();
        await host.stop();
        store.close();
      },
    };
    clients.push(c);
    return c;
  };

  before(async () => {
    world = await deliveryWorld(await network.create());
    origin = await startNode(world, { pricePerGiB: 1n * USDC, region: REGION_A });
    for (const region of [REGION_A, REGION_A, REGION_B, REGION_B]) {
      const dir = tmpDir("cdn-cache-node-");
      caches.push(await startNode(world, { origin: false, region, pricePerGiB: 2n * USDC, dir, options: { cache: { dir: path.join(dir, "cache"), budgetBytes: 64 * 1024 * 1024 } } }));
    }
    // every node has now started; the first ones dialled only the nodes registered before them
    for (const n of [origin, ...caches]) {
      await n.agent.mesh!.activeSet.refresh(); // (else at the next periodic refresh, 60 s)
      await n.agent.mesh!.bootstrap(n.agent.host!);
    }
  });

  after(async () => {
    for (const c of clients) await c.stop();
    for (const n of [...caches, origin]) {
      await n?.agent.stop();
      n?.store.close();
    }
  });

  it("cold miss: probe miss → DHT → selection → paid delivery through a region-A cache node that fans out to the origin; the second fetch is a cache hit; on chain each is paid what its vouchers say", async () => {
    const { file, data } = randomFile(tmpDir(), 7 * LEAF + 3);
    const [blob] = await origin.agent.publish([file]);
    // the origin provides it in the DHT (in the background at publish)
    await origin.agent.mesh!.provide(blob.blobId);
    const cacheA = caches[0];
    const keyA = cacheA.identity.address.toLowerCase();

    // a client in region A; it probes only its best known peer (the cache node): a miss, so the DHT
    const c1 = await meshClient(REGION_A, { maxProbes: 1 });
    const it = c1.client.fetch(blob.blobId, { via: [keyA] });
    expect((await collect(it)).equals(data)).to.equal(true);
    const r1 = await it.report;
    expect(r1.discovery).to.equal("dht");
    expect(r1.providers.map((p) => p.nodeKey)).to.deep.equal([keyA]);
    expect(cacheA.agent.fetch!.stats.cacheMisses).to.equal(1);
    expect(cacheA.agent.fanout!.stats.upstreamFetches).to.equal(1);

    // the second fetch (another client): the probe finds the cache node holding it: a cache hit
    const c2 = await meshClient(REGION_A, { maxProbes: 1 });
    const it2 = c2.client.fetch(blob.blobId, { via: [keyA] });
    expect((await collect(it2)).equals(data)).to.equal(true);
    expect((await it2.report).discovery).to.equal("probe");
    expect(cacheA.agent.fetch!.stats.cacheHits).to.equal(1);
    expect(cacheA.agent.fanout!.stats.upstreamFetches).to.equal(1);
    // the cache node now provides the blob too
    expect(cacheA.agent.mesh!.dht!.providing()).to.include(blob.blobId);

    // metrics: served, paid, hits, misses, upstream spend
    const text = await cacheA.agent.metrics.text();
    expect(text).to.match(/cdn_node_cache_hits_total 1\b/);
    expect(text).to.match(/cdn_node_cache_misses_total 1\b/);
    expect(text).to.match(new RegExp(`cdn_node_upstream_spend_total ${amountOwed(BigInt(data.length), origin.agent.pricePerGiB)}\\b`));
    expect(text).to.match(new RegExp(`cdn_node_bytes_served_total ${2 * data.length}\\b`));
    // two downstream channels (c1, c2), both still open
    expect(text).to.match(/cdn_node_channels_total 2\b/);
    expect(text).to.match(/cdn_node_channels_open 2\b/);
    // every series of the node's registry (docs/mesh.md, "Operations") has moved on this cache node (its upstream found the
    // origin by probe, so no DHT lookup: cdn_node_dht_lookup_seconds is covered in test/agents/node/metrics.test.ts)
    const series = await cacheA.agent.metrics.registry.getMetricsAsJSON();
    const moved = (name: string) => series.find((m) => m.name === name)?.values.some((v) => Number(v.value) > 0) ?? false;
    for (const name of [
      "cdn_node_bytes_served_total",
      "cdn_node_bytes_paid_total",
      "cdn_node_vouchers_total",
      "cdn_node_channels_open",
      "cdn_node_channels_total",
      "cdn_node_cache_hits_total",
      "cdn_node_cache_misses_total",
      "cdn_node_cache_bytes",
      "cdn_node_upstream_spend_total",
      "cdn_node_peers",
      "cdn_node_gossip_messages_total",
      "cdn_node_probes_total",
    ]) {
      expect(moved(name), name).to.equal(true);
    }

    // on chain: the cache node (two downstream channels) and the origin (the cache node's channel)
    const [upstream] = cacheA.agent.fanout!["deps"].client.deps.store.channels();
    expect(upstream.signed).to.equal(amountOwed(BigInt(data.length), origin.agent.pricePerGiB));
    for (const [node, channelId, signed] of [
      [cacheA, c1.store.channels()[0].channelId, c1.store.channels()[0].signed],
      [cacheA, c2.store.channels()[0].channelId, c2.store.channels()[0].signed],
      [origin, upstream.channelId, upstream.signed],
    ] as const) {
      expect(signed).to.be.greaterThan(0n);
      expect(node.agent.fetch!.bestFor(channelId)).to.equal(signed);
      const state = await readChannel(world.gov.channels, channelId);
      // the operator's share is credited in PaymentChannel (cdn-node withdraw collects it)
      const before = await nodeCreditOf(world.gov, node.identity.address);
      await node.agent.earnings.close(channelId);
      const fee = (signed * BigInt(state.feeBps)) / 10_000n;
      expect((await nodeCreditOf(world.gov, node.identity.address)) - before).to.equal(signed - fee);
    }
    // the closed channels leave the open gauge, not the total
    const closed = await cacheA.agent.metrics.text();
    expect(closed).to.match(/cdn_node_channels_total 2\b/);
    expect(closed).to.match(/cdn_node_channels_open 0\b/);

    // the cache drops the blob: the node stops providing it (no more re-provides) and counts the eviction
    expect(cacheA.agent.cache!.evict(blob.blobId)).to.equal(true);
    expect(cacheA.agent.mesh!.dht!.providing()).to.not.include(blob.blobId);
    expect(await cacheA.agent.metrics.text()).to.match(/cdn_node_cache_evictions_total\{reason="manual"\} 1\b/);
  });

  it("gating: a client is never in a node's DHT routing table or gossip mesh; nodes are", async () => {
    const c = await meshClient(REGION_A);
    // connect the client to every node
    for (const n of [origin, ...caches]) await c.host.dial(multiaddr(`${n.multiaddr}/p2p/${n.identity.peerId}`));
    await new Promise((r) => setTimeout(r, 2500)); // two gossipsub heartbeats
    let nodeSeen = false;
    for (const n of [origin, ...caches]) {
      const host = n.agent.host as unknown as Libp2p<MeshServiceMap>;
      expect(await inRoutingTable(host as never, c.host.peerId)).to.equal(false);
      const meshPeers = (host.services.pubsub as unknown as { getMeshPeers(topic: string): string[] }).getMeshPeers(TOPIC_GLOBAL);
      expect(meshPeers).to.not.include(c.host.peerId.toString());
      if (meshPeers.length > 0) nodeSeen = true;
    }
    expect(nodeSeen).to.equal(true);
  });

  it("gossip: the running nodes reject an announcement from an unregistered key and a replayed one (and count them)", async () => {
    const rogue = identityFromSecret(randomBytes(32));
    const host = (await createHost({
      privateKey: rogue.privateKey,
      listen: [],
      allow: ["/ip4/127.0.0.1"],
      services: meshServices({ role: "node", regions: [REGION_A], loopback: true }, { activeSet: { hasPeer: () => true } }) as never,
    })) as unknown as Libp2p<MeshServiceMap>;
    try {
      host.services.pubsub.subscribe(TOPIC_GLOBAL);
      await host.dial(multiaddr(`${origin.multiaddr}/p2p/${origin.identity.peerId}`));
      await new Promise((r) => setTimeout(r, 1500)); // subscriptions exchanged
      const domain = origin.agent.deps.contracts.domains.nodeRegistry;
      const announce = async (secretKey: Uint8Array, nodeKey: string, sequence: bigint, timestamp: bigint) => {
        const value = { nodeKey: nodeKey.toLowerCase(), region: REGION_A, pricePerGiB: USDC, load: 0, sequence, timestamp, multiaddrs: [] };
        await host.services.pubsub.publish(TOPIC_GLOBAL, encodeGossipMessage({ kind: "announcement", announcement: { value, signature: signNodeAnnouncement(domain, value, secretKey) } }));
      };
      const now = BigInt(Math.floor(Date.now() / 1000));
      const seq = BigInt(Date.now()) + 10_000_000n;
      const count = async (result: string) => {
        const line = (await origin.agent.metrics.text())
          .split("\n")
          .find((l) => l.startsWith("cdn_node_gossip_messages_total{") && l.includes('kind="announcement"') && l.includes(`result="${result}"`));
        return line ? Number(line.split(" ").pop()) : 0;
      };
      const before = { notActive: await count("not_active"), replay: await count("replay") };
      // an unregistered key, correctly signed
      await announce(rogue.secretKey, rogue.address, seq, now);
      // an active node's announcement (signed with its key), then a replay of its sequence
      const node = caches[1];
      await announce(node.identity.secretKey, node.identity.address, seq, now);
      await new Promise((r) => setTimeout(r, 300));
      await announce(node.identity.secretKey, node.identity.address, seq, now - 1n);
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline && ((await count("not_active")) === before.notActive || (await count("replay")) === before.replay)) await new Promise((r) => setTimeout(r, 100));
      expect(await count("not_active")).to.equal(before.notActive + 1);
      expect(await count("replay")).to.equal(before.replay + 1);
    } finally {
      await host.stop();
    }
  });

  it("blacklist: after an entry no node serves or provides the blob, and the cache evicts it", async () => {
    const { file } = randomFile(tmpDir(), 3 * LEAF);
    const [blob] = await origin.agent.publish([file]);
    const cacheB = caches[2];
    const keyB = cacheB.identity.address.toLowerCase();
    const c = await meshClient(REGION_B);
    await collect(c.client.fetch(blob.blobId, { via: [keyB] }));
    // the fan-out commits to the cache after the last leaf reached the client (verify + fsync): wait for it
    for (let i = 0; i < 100 && !cacheB.agent.cache!.has(blob.blobId); i++) await new Promise((r) => setTimeout(r, 100));
    expect(cacheB.agent.cache!.has(blob.blobId)).to.equal(true);
    await origin.agent.mesh!.provide(blob.blobId);

    await world.asTimelock((tl) =>
      world.gov.blacklist
        .connect(tl)
        .add(keccak256(blob.blobId))
        .then((tx) => tx.wait()),
    );
    const all = [origin, ...caches];
    for (const n of all) await n.agent.mesh!.blacklist.refresh();
    await new Promise((r) => setTimeout(r, 200)); // enforcement runs after the refresh
    for (const n of all) {
      expect(n.agent.mesh!.dht!.providing()).to.not.include(blob.blobId);
      expect(n.agent.fetch!.hasBlob(blob.blobId)).to.equal(undefined);
    }
    expect(cacheB.agent.cache!.has(blob.blobId)).to.equal(false);
    // a direct request to every node (the origin and each cache node): BLACKLISTED at once, no serve commitment
    const refusals: { nodeKey: string; refusal: string; headers: number }[] = [];
    for (const n of all) {
      const nodeKey = n.identity.address.toLowerCase();
      const channel = await c.client.channelFor(nodeKey, 1_000_000n);
      let headers = 0;
      const error = await runSession(
        { peer: multiaddr(`${n.multiaddr}/p2p/${n.identity.peerId}`), nodeKey, maxPricePerGiB: n.agent.pricePerGiB, channelId: channel.channelId, blobId: blob.blobId, offset: 0, length: 0 },
        { host: c.host, chain: c.client.deps.chain, store: c.store, address: c.client.address, secretKey: c.identity.secretKey },
        { onData: () => undefined, onHeader: () => void headers++ },
      ).then(...rejection);
      refusals.push({ nodeKey, refusal: error instanceof FetchRefusedError ? error.refusal : String(error), headers });
    }
    expect(refusals).to.deep.equal(all.map((n) => ({ nodeKey: n.identity.address.toLowerCase(), refusal: "BLACKLISTED", headers: 0 })));
    // clients filter it out of lookups (once their view has the entry): no node is returned as a provider
    await c.mesh.blacklist.refresh();
    expect(await c.mesh.dht!.findProviders(blob.blobId)).to.deep.equal([]);
  });

  it("a node whose chain view is stale refuses to serve (BUSY, stale_chain_view) until it reads the chain again", async () => {
    const dir = tmpDir("cdn-stale-node-");
    const stale = await startNode(world, {
      pricePerGiB: USDC,
      region: REGION_B,
      dir,
      options: { mesh: { maxChainViewAgeMs: 3000, activeSetRefreshMs: 600_000, blacklistRefreshMs: 600_000 }, chainView: { pollMs: 600_000 } },
    });
    caches.push(stale);
    const { file } = randomFile(tmpDir(), LEAF);
    const [blob] = await stale.agent.publish([file]);
    const c = await meshClient(REGION_B);
    const channel = await c.client.channelFor(stale.identity.address.toLowerCase(), 1_000_000n);
    await new Promise((r) => setTimeout(r, 3500));
    const error = await directSession(c, stale, channel.channelId, blob.blobId, { onData: () => undefined }).then(...rejection);
    expect(error).to.be.instanceOf(FetchRefusedError);
    expect((error as FetchRefusedError).refusal).to.equal("BUSY");
    expect(stale.agent.fetch!.stats.refusalsByReason.stale_chain_view).to.equal(1);
    // once it reads the chain again, it serves (asked at once: the bound is 3 s and a loaded machine makes a whole fetch slower)
    await stale.agent.syncChainView();
    let got = 0;
    const again = await directSession(c, stale, channel.channelId, blob.blobId, { onData: (b) => void (got += b.length) }).then(...rejection);
    expect(again).to.equal(undefined);
    expect(got).to.equal(LEAF);
  });
});
