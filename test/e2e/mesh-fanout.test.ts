/**
 * Cache nodes end to end: real libp2p hosts on 127.0.0.1 in the test process, the real contracts
 * on an in-process Hardhat chain. One origin, four cache nodes; a client fetches a blob through a
 * cache node that has never seen it: the cache node fetches it upstream from the origin with the
 * client library (its own key and channel, paying the origin), forwards the verified leaves as
 * they arrive and caches the blob; the next fetch is a cache hit. Both the cache node and the
 * origin are paid on chain exactly what their vouchers say.
 */
import { expect } from "chai";
import path from "node:path";
import { network } from "hardhat";
import { collect, deliveryWorld, randomFile, startClient, startNode, USDC, type DeliveryWorld, type TestClient, type TestNode } from "./delivery-fixture.js";
import { amountOwed } from "../../agents/protocol/pricing.js";
import { readChannel } from "../../agents/chain/contracts.js";
import { FetchRefusedError, NoProviderError } from "../../agents/client/errors.js";
import { rejection } from "../helpers/errors.js";
import { addressOfPeer } from "../../agents/runtime/peers.js";
import { signVoucher } from "../../agents/protocol/signed.js";
import { nodeCreditOf } from "../helpers/credits.js";
import { tmpDir } from "../helpers/tmp.js";

const LEAF = 262_144;

describe("e2e › cache nodes (fan-out)", function () {
  this.timeout(120_000);
  let world: DeliveryWorld;
  let origin: TestNode;
  const caches: TestNode[] = [];
  const clients: TestClient[] = [];

  const cacheNode = async (pricePerGiB: bigint, budgetBytes = 64 * 1024 * 1024) => {
    const dir = tmpDir("cdn-cache-node-");
    const n = await startNode(world, { origin: false, pricePerGiB, dir, options: { cache: { dir: path.join(dir, "cache"), budgetBytes } } });
    caches.push(n);
    return n;
  };
  const client = async () => {
    const c = await startClient(world);
    clients.push(c);
    return c;
  };

  before(async () => {
    world = await deliveryWorld(await network.create());
    origin = await startNode(world, { pricePerGiB: 1n * USDC });
    for (let i = 0; i < 4; i++) await cacheNode(2n * USDC);
  });

  after(async () => {
    for (const c of clients) await c.stop();
    for (const n of [...caches, origin]) {
      await n?.agent.stop();
      n?.store.close();
    }
  });

  it("a cold miss fans out to the origin and pays it; the next fetch is a cache hit; both are paid on chain what their vouchers say", async () => {
    const { file, data } = randomFile(tmpDir(), 9 * LEAF + 5);
    const [blob] = await origin.agent.publish([file]);
    const cache = caches[0];
    const key = cache.identity.address.toLowerCase();
    const originStreams = origin.agent.fetch!.stats.streams;

    // first client: a blob the cache node has never seen
    const c1 = await client();
    const got = await collect(c1.client.fetch(blob.blobId, { via: [key] }));
    expect(got.equals(data)).to.equal(true);
    await cache.agent.fanout!.idle(); // the upstream's last voucher and the cache commit follow the last leaf
    expect(cache.agent.fetch!.stats.cacheMisses).to.equal(1);
    expect(cache.agent.fanout!.stats.upstreamFetches).to.equal(1);
    expect(cache.agent.cache!.has(blob.blobId)).to.equal(true);
    expect(origin.agent.fetch!.stats.streams).to.equal(originStreams + 1);

    // what the cache node paid the origin: the whole blob at the origin's price, on its own channel
    const [upstream] = cache.agent.fanout!["deps"].client.deps.store.channels();
    expect(upstream.nodeKey).to.equal(origin.identity.address.toLowerCase());
    expect(upstream.signed).to.equal(amountOwed(BigInt(data.length), origin.agent.pricePerGiB));
    expect(origin.agent.fetch!.bestFor(upstream.channelId)).to.equal(upstream.signed);
    expect(cache.agent.fanout!.stats.upstreamPaid).to.equal(upstream.signed);

    // second client: a cache hit, the origin is not asked again
    const c2 = await client();
    const again = await collect(c2.client.fetch(blob.blobId, { via: [key] }));
    expect(again.equals(data)).to.equal(true);
    expect(cache.agent.fetch!.stats.cacheHits).to.equal(1);
    expect(cache.agent.fanout!.stats.upstreamFetches).to.equal(1);
    expect(origin.agent.fetch!.stats.streams).to.equal(originStreams + 1);

    // downstream payments: the cache node's price (≥ the origin's: the price rule)
    const down1 = c1.store.channels()[0];
    const down2 = c2.store.channels()[0];
    expect(down1.signed).to.equal(amountOwed(BigInt(data.length), cache.agent.pricePerGiB));
    expect(down2.signed).to.equal(down1.signed);
    expect(down1.signed > upstream.signed).to.equal(true);

    // on chain: each node closes its channel and receives exactly its best voucher minus the fee
    const usdc = world.gov.usdc;
    for (const [node, channelId, signed] of [
      [cache, down1.channelId, down1.signed],
      [cache, down2.channelId, down2.signed],
      [origin, upstream.channelId, upstream.signed],
    ] as const) {
      const state = await readChannel(world.gov.channels, channelId);
      // the operator's share is credited in PaymentChannel (cdn-node withdraw collects it)
      const before = await nodeCreditOf(world.gov, node.identity.address);
      const payerBefore = await usdc.balanceOf(state.payer);
      await node.agent.earnings.close(channelId);
      const fee = (signed * BigInt(state.feeBps)) / 10_000n;
      const after = await nodeCreditOf(world.gov, node.identity.address);
      expect(after - before).to.equal(signed - fee);
      expect((await usdc.balanceOf(state.payer)) - payerBefore).to.equal(state.deposit - signed); // the refund
      expect((await readChannel(world.gov.channels, channelId)).status).to.equal("Closed");
    }
  });

  it("concurrent requests for one missing blob share one upstream fetch; a range is served from the fan-out", async () => {
    const { file, data } = randomFile(tmpDir(), 6 * LEAF + 77);
    const [blob] = await origin.agent.publish([file]);
    const cache = caches[1];
    const key = cache.identity.address.toLowerCase();
    const [a, b] = await Promise.all([client(), client()]);
    const offset = 2 * LEAF + 10;
    const [whole, part] = await Promise.all([collect(a.client.fetch(blob.blobId, { via: [key] })), collect(b.client.fetch(blob.blobId, { via: [key], range: { offset, length: 1000 } }))]);
    expect(whole.equals(data)).to.equal(true);
    expect(part.equals(data.subarray(offset, offset + 1000))).to.equal(true);
    expect(cache.agent.fanout!.stats.upstreamFetches).to.equal(1);
    expect(cache.agent.fetch!.stats.cacheMisses).to.equal(2);
    expect(cache.agent.cache!.has(blob.blobId)).to.equal(true);
  });

  it("with channels open, a client names a cache node and the cache node names the origin from its own DHT provider records: nobody probes, one request per hop", async () => {
    const cache = caches[2];
    const key = cache.identity.address.toLowerCase();
    const originKey = origin.identity.address.toLowerCase();
    const [warmUp, measured] = [randomFile(tmpDir(), 2 * LEAF, "a.bin"), randomFile(tmpDir(), 5 * LEAF + 3, "b.bin")];
    const [a, b] = await origin.agent.publish([warmUp.file, measured.file]);
    // the origin's provider record for the blob reaches the cache node's own DHT store
    const localHolders = async () => ((await cache.agent.mesh!.dht!.findProviders(b.blobId, { localOnly: true })) ?? []).map((p) => addressOfPeer(p.peer));
    for (let i = 0; i < 300 && !(await localHolders()).includes(originKey); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await localHolders()).to.include(originKey);
    // a first blob through the cache node opens the client's channel with it, and its channel with the origin
    const c = await client();
    expect((await collect(c.client.fetch(a.blobId, { via: [key] }))).equals(warmUp.data)).to.equal(true);
    const probesIn = async (n: TestNode) => (await n.agent.metrics.probes.get()).values.filter((v) => v.labels.direction === "in").reduce((sum, v) => sum + v.value, 0);
    const probed = [await probesIn(origin), await probesIn(cache)];

    const it = c.client.fetch(b.blobId, { via: [key] });
    expect((await collect(it)).equals(measured.data)).to.equal(true);
    const report = await it.report;
    expect(report.discovery).to.equal("named");
    expect(report.firstByte!.steps).to.deep.equal(["request"]);
    expect(report.size).to.equal(measured.data.length);
    expect(cache.agent.fetch!.stats.cacheMisses).to.equal(2);
    expect([await probesIn(origin), await probesIn(cache)]).to.deep.equal(probed);
  });

  it("a named node whose channel cannot pay for the blob (its size unknown when the channel was chosen): no voucher before the channel is topped up, then it serves the blob", async () => {
    const cache = caches[3];
    const key = cache.identity.address.toLowerCase();
    const { file, data } = randomFile(tmpDir(), 12 * LEAF);
    const [blob] = await origin.agent.publish([file]);
    const c = await client();
    const cost = amountOwed(BigInt(data.length), cache.agent.pricePerGiB);
    // a channel almost used up: the client signed all but half of this blob's cost earlier
    const small = await c.client.openChannel(key, await world.gov.params.minChannelDeposit());
    const spent = small.deposit - cost / 2n;
    c.store.recordSigned(small.channelId, spent, signVoucher(c.client.deps.chain.channelDomain, { channelId: small.channelId, cumulativeAmount: spent }, c.identity.secretKey));
    const it = c.client.fetch(blob.blobId, { via: [key] });
    expect((await collect(it)).equals(data)).to.equal(true);
    const report = await it.report;
    expect(report.discovery).to.equal("named");
    const channel = c.store.channel(small.channelId)!;
    expect(channel.deposit - spent >= cost).to.equal(true); // topped up once the size was known
    // the first try stopped before any voucher; what the node had sent by then is settled, never more than one credit window
    expect(channel.signed - spent >= cost).to.equal(true);
    expect(channel.signed - spent - cost <= amountOwed(BigInt(8 * 1024 * 1024), cache.agent.pricePerGiB)).to.equal(true);
  });

  it("price rule: a cache node priced below its upstream does not fan out (nothing cached, nothing paid)", async () => {
    const cheap = await cacheNode(USDC / 2n);
    const { file } = randomFile(tmpDir(), 2 * LEAF);
    const [blob] = await origin.agent.publish([file]);
    const c = await client();
    const error = await collect(c.client.fetch(blob.blobId, { via: [cheap.identity.address.toLowerCase()] })).then(...rejection);
    expect(error).to.be.instanceOf(NoProviderError);
    expect((error as NoProviderError).cause).to.be.instanceOf(FetchRefusedError);
    expect(((error as NoProviderError).cause as FetchRefusedError).refusal).to.equal("NOT_FOUND");
    expect(cheap.agent.cache!.has(blob.blobId)).to.equal(false);
    expect(cheap.agent.fanout!["deps"].client.deps.store.channels()).to.have.length(0);
  });
});
