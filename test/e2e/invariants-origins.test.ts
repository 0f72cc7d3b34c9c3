/**
 * Invariant "origins are DAO-governed", end to end (real libp2p hosts, local chain): a node that the
 * DAO has not recognized, with an origin backend configured and blobs in it, never serves from that
 * backend: it answers probes with a miss, refuses a fetch with NOT_FOUND before signing anything,
 * and for a blob that a recognized origin also offers it acts as a pure cache (fetches it upstream,
 * paying the origin, though the same bytes sit in its own backend).
 */
import { expect } from "chai";
import path from "node:path";
import { network } from "hardhat";
import { chainTime } from "../../agents/chain/contracts.js";
import { FetchRefusedError } from "../../agents/client/errors.js";
import { runSession } from "../../agents/client/session.js";
import { collect, deliveryWorld, randomFile, startClient, startNode, USDC, type DeliveryWorld, type TestClient, type TestNode } from "./delivery-fixture.js";
import { rejection } from "../helpers/errors.js";
import { tmpDir } from "../helpers/tmp.js";

describe("e2e › invariant: an unrecognized node's backend is ignored (it serves only as a cache)", function () {
  this.timeout(120_000);
  let world: DeliveryWorld;
  let origin: TestNode;
  let rogue: TestNode;
  const clients: TestClient[] = [];

  before(async () => {
    world = await deliveryWorld(await network.create());
    origin = await startNode(world, { pricePerGiB: 1n * USDC });
    const dir = tmpDir("cdn-unrecognized-");
    rogue = await startNode(world, { origin: false, pricePerGiB: 2n * USDC, dir, options: { cache: { dir: path.join(dir, "cache"), budgetBytes: 64 * 1024 * 1024 } } });
    expect(rogue.agent.origin.recognized).to.equal(false);
  });

  after(async () => {
    for (const c of clients) await c.stop();
    for (const n of [rogue, origin]) {
      await n?.agent.stop();
      n?.store.close();
    }
  });

  /** Puts a file into the unrecognized node's backend, with a content record signed by its own key (what its operator's tooling would do). */
  async function intoRogueBackend(file: string): Promise<string> {
    const { blobId } = await rogue.agent.backend.publish(
      file,
      { nodeId: rogue.nodeId, epoch: 0n, contentSecretKey: rogue.identity.secretKey, domain: world.contractsFor(rogue.identity).domains.originRegistry },
      await chainTime(world.provider),
    );
    expect(rogue.agent.backend.has(blobId)).to.not.equal(undefined);
    return blobId;
  }

  it("a blob only in its backend: probe miss, fetch refused NOT_FOUND with no serve commitment", async () => {
    const { file } = randomFile(tmpDir(), 300_000);
    const blobId = await intoRogueBackend(file);
    const c = await startClient(world);
    clients.push(c);
    const key = rogue.identity.address.toLowerCase();
    const node = (await c.client.bootstrap()).find((n) => n.nodeKey === key)!;
    expect(await c.client.probe(node, blobId)).to.equal(undefined);

    const channel = await c.client.openChannel(key, USDC);
    let headers = 0;
    const error = await runSession(
      { peer: rogue.agent.host!.getMultiaddrs(), nodeKey: key, maxPricePerGiB: 10n * USDC, channelId: channel.channelId, blobId, offset: 0, length: 0 },
      { host: c.client.deps.host, chain: c.client.deps.chain, store: c.store, address: c.client.address, secretKey: c.identity.secretKey },
      { onData: () => undefined, onHeader: () => void headers++ },
    ).then(...rejection);
    expect(error).to.be.instanceOf(FetchRefusedError);
    expect((error as FetchRefusedError).refusal).to.equal("NOT_FOUND");
    expect(headers).to.equal(0);
  });

  it("a blob in its backend that a recognized origin also offers: fetched upstream from the origin (paid), never from the backend", async () => {
    const { file, data } = randomFile(tmpDir(), 5 * 262_144 + 99);
    const [published] = await origin.agent.publish([file]);
    const blobId = await intoRogueBackend(file);
    expect(blobId).to.equal(published.blobId);
    const originStreams = origin.agent.fetch!.stats.streams;
    const upstreamBefore = rogue.agent.fanout!.stats.upstreamFetches; // the first test's miss tried upstream too (and found no holder)

    const c = await startClient(world);
    clients.push(c);
    const got = await collect(c.client.fetch(blobId, { via: [rogue.identity.address.toLowerCase()] }));
    expect(got.equals(data)).to.equal(true);
    await rogue.agent.fanout!.idle(); // the upstream's last voucher follows the last leaf
    expect(rogue.agent.fanout!.stats.upstreamFetches).to.equal(upstreamBefore + 1);
    expect(origin.agent.fetch!.stats.streams).to.equal(originStreams + 1);
    expect(rogue.agent.fanout!.stats.upstreamPaid > 0n).to.equal(true);
    const [upstream] = rogue.agent.fanout!["deps"].client.deps.store.channels();
    expect(upstream.nodeKey).to.equal(origin.identity.address.toLowerCase());
    expect(origin.agent.fetch!.bestFor(upstream.channelId)).to.equal(upstream.signed);
    // the client paid the unrecognized node on its own channel (as a cache)
    expect(c.store.channels()[0].nodeKey).to.equal(rogue.identity.address.toLowerCase());
  });

  it("no external origin URL: nothing on chain names a backend (no transaction input or event carries the backend paths)", async () => {
    const needles = [origin, rogue].flatMap((n) => [n.agent.backend.dir, path.basename(n.dir)]);
    const hexes = needles.map((p) => Buffer.from(p).toString("hex"));
    const latest = await world.provider.getBlockNumber();
    let txs = 0;
    for (let b = 0; b <= latest; b++) {
      const block = await world.provider.getBlock(b, true);
      for (const tx of block?.prefetchedTransactions ?? []) {
        txs++;
        const receipt = await world.provider.getTransactionReceipt(tx.hash);
        const blobs = [tx.data, ...(receipt?.logs ?? []).flatMap((l) => [l.data, ...l.topics])].map((x) => x.toLowerCase());
        for (const h of hexes)
          expect(
            blobs.some((x) => x.includes(h)),
            `block ${b} names a backend path`,
          ).to.equal(false);
      }
    }
    expect(txs).to.be.greaterThan(5); // registrations, recognitions, channels: the scan saw the network's history
  });
});
