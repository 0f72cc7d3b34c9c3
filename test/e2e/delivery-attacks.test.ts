import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";
import { keccak256 } from "ethers";
import { blobWithPayer, directSession, randomFile, useDeliveryWorld, type TestClient, type TestNode } from "./delivery-fixture.js";
import { amountOwed } from "../../agents/protocol/pricing.js";
import { LEAF_SIZE } from "../../agents/protocol/constants.js";
import { readChannel } from "../../agents/chain/contracts.js";
import { nodeChainView } from "../../agents/node/chain.js";
import { DEFAULT_CREDIT, openCost, settleWindow, windowValue } from "../../agents/protocol/credit.js";
import { runSession } from "../../agents/client/session.js";
import { FetchRefusedError, ProviderMisbehaviourError } from "../../agents/client/errors.js";
import { multiaddr } from "@multiformats/multiaddr";
import { rejection } from "../helpers/errors.js";
import { tmpDir } from "../helpers/tmp.js";

/** Resolves once `cond` holds, checked every 10 ms (the test's timeout bounds the wait). */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
}

describe("e2e › paid delivery under attack", function () {
  this.timeout(120_000);
  const delivery = useDeliveryWorld();
  const { node, client } = delivery;
  /** Runs one session against `n` directly (no provider switching). */
  const session = (c: TestClient, n: TestNode, channelId: string, blobId: string, extra: Partial<Parameters<typeof runSession>[2]> = {}) => {
    const seen = { bytes: 0, header: false };
    const run = directSession(c, n, channelId, blobId, { onData: (b) => void (seen.bytes += b.length), onHeader: () => void (seen.header = true), ...extra });
    return { run, seen };
  };
  /** A session request for the whole blob from node `n`, sent to the address of `at` (`n` itself unless a test says). */
  const wholeBlob = (n: TestNode, channelId: string, blobId: string, at: TestNode = n) => ({
    peer: multiaddr(`${at.multiaddr}/p2p/${at.identity.peerId}`),
    nodeKey: n.identity.address.toLowerCase(),
    maxPricePerGiB: n.agent.pricePerGiB,
    channelId,
    blobId,
    offset: 0,
    length: 0,
  });

  for (const hashInWorker of [false, true]) {
    it(`a node that corrupts one chunk is not paid for it, and the client finishes from another node${hashInWorker ? " (hashing on a worker)" : ""}`, async () => {
      const cheap = await node({ pricePerGiB: 500_000n, tamper: (i, d) => (i === 2 ? Uint8Array.from(d, (x, k) => (k === 7 ? x ^ 1 : x)) : d) });
      const honest = await node();
      const { file, data } = randomFile(tmpDir(), 5 * LEAF_SIZE + 999);
      const [blob] = await cheap.agent.publish([file]);
      await honest.agent.publish([file]);
      const c = await client({ hashInWorker });
      const out = path.join(tmpDir(), "out.bin");
      const report = await c.client.fetchToFile(blob.blobId, out, { providers: [cheap.identity.address.toLowerCase(), honest.identity.address.toLowerCase()] });
      expect(readFileSync(out).equals(data)).to.equal(true);
      expect(report.providers.map((p) => p.nodeKey)).to.deep.equal([cheap.identity.address.toLowerCase(), honest.identity.address.toLowerCase()]);
      expect(report.providers[0].outcome).to.equal("ERR_PROVIDER_MISBEHAVIOUR");
      // the cheater is paid for exactly the two leaves that verified, not for the bad one
      const cheatChannel = report.providers[0].channelId;
      expect(c.store.channel(cheatChannel)!.signed).to.equal(amountOwed(2n * BigInt(LEAF_SIZE), 500_000n));
      expect(cheap.agent.fetch!.bestFor(cheatChannel)).to.equal(amountOwed(2n * BigInt(LEAF_SIZE), 500_000n));
      // the honest node is paid for the leaves from the resume point (leaf 2) on
      expect(c.store.channel(report.providers[1].channelId)!.signed).to.equal(amountOwed(BigInt(data.length - 2 * LEAF_SIZE), honest.agent.pricePerGiB));
      expect(c.client.reputation.score(cheap.identity.address.toLowerCase())).to.be.lessThan(0.5);
    });
  }

  it("a request naming someone else's channel is refused before any byte is sent", async () => {
    const n = await node();
    const { file } = randomFile(tmpDir(), LEAF_SIZE * 2);
    const [blob] = await n.agent.publish([file]);
    const owner = await client();
    const intruder = await client();
    const channel = await owner.client.openChannel(n.identity.address.toLowerCase(), 1_000_000n);
    intruder.store.upsertChannel({ channelId: channel.channelId, nodeKey: channel.nodeKey, nodeId: channel.nodeId, deposit: channel.deposit, status: "Open" });
    const { run, seen } = session(intruder, n, channel.channelId, blob.blobId);
    const error = await run.then(...rejection);
    expect(error).to.be.instanceOf(FetchRefusedError);
    expect((error as FetchRefusedError).refusal).to.equal("NOT_CHANNEL_OWNER");
    expect(seen.header).to.equal(false);
    expect(seen.bytes).to.equal(0);
  });

  it("a request for a blacklisted blob gets a typed refusal and no signature", async () => {
    const n = await node();
    const { blob, c, channel } = await blobWithPayer(delivery, n, LEAF_SIZE);
    await delivery.world.asTimelock((tl) =>
      delivery.world.gov.blacklist
        .connect(tl)
        .add(keccak256(blob.blobId))
        .then((tx) => tx.wait()),
    );
    await n.agent.syncChainView(); // the node's followed view sees the entry at its next head poll
    const { run, seen } = session(c, n, channel.channelId, blob.blobId);
    const error = await run.then(...rejection);
    expect(error).to.be.instanceOf(FetchRefusedError);
    expect((error as FetchRefusedError).refusal).to.equal("BLACKLISTED");
    expect(seen.header).to.equal(false); // the header carries the only signature: none was sent
    // the library refuses up front too
    const e2 = await c.client.fetchToFile(blob.blobId, path.join(tmpDir(), "x")).then(...rejection);
    expect((e2 as FetchRefusedError).refusal).to.equal("BLACKLISTED");
  });

  for (const [label, skew] of [
    ["back-dated", -600n],
    ["future-dated", 600n],
  ] as const) {
    it(`a ${label} serve commitment makes the client abort without paying`, async () => {
      const n = await node({
        chain: (contracts) => {
          const real = nodeChainView(contracts);
          // the node anchors to a real block but signs another time than that block's
          const head = async () => {
            const h = await real.head();
            return { ...h, timestamp: h.timestamp + skew };
          };
          return { ...real, channelDomain: real.channelDomain, chainTime: async () => (await real.chainTime()) + skew, head };
        },
      });
      const { blob, c, channel } = await blobWithPayer(delivery, n, LEAF_SIZE * 3);
      const { run, seen } = session(c, n, channel.channelId, blob.blobId);
      const error = await run.then(...rejection);
      expect(error).to.be.instanceOf(ProviderMisbehaviourError);
      expect((error as ProviderMisbehaviourError).reason).to.equal("commitment");
      expect(seen.header).to.equal(true);
      expect(seen.bytes).to.equal(0);
      expect(c.store.channel(channel.channelId)!.signed).to.equal(0n);
      expect(n.agent.fetch!.bestFor(channel.channelId)).to.equal(0n);
    });
  }

  it("a client that withholds its vouchers gets at most one credit window unpaid, worth less than opening a channel", async () => {
    const n = await node({ options: { fetchLimits: { voucherWaitMs: 500 } } });
    const { blob, c, channel } = await blobWithPayer(delivery, n, 4 * 1024 * 1024);
    const first = session(c, n, channel.channelId, blob.blobId, { withholdVouchers: true });
    await first.run.then(...rejection);
    const window = DEFAULT_CREDIT.initialWindow;
    expect(first.seen.bytes).to.be.greaterThan(0);
    expect(first.seen.bytes).to.be.at.most(window);
    expect(n.agent.fetch!.bestFor(channel.channelId)).to.equal(0n);
    // coming back on the same channel gets nothing more while the debt is unpaid
    const second = session(c, n, channel.channelId, blob.blobId, { withholdVouchers: true });
    await second.run.then(...rejection);
    expect(second.seen.bytes).to.equal(0);
    const unpaid = windowValue(first.seen.bytes, n.agent.pricePerGiB);
    expect(unpaid).to.be.lessThan(openCost(DEFAULT_CREDIT));
    expect(windowValue(window, n.agent.pricePerGiB)).to.be.lessThan(openCost(DEFAULT_CREDIT));
  });

  it("repeated resets yield at most one credit window of unpaid bytes per channel, and a node claiming more than one window is refused", async () => {
    // the node's default voucher waits (what an operator runs): the resets below are driven by the
    // node's own credit waits, and the honest sessions at the end must not depend on a short one
    const n = await node();
    const { file } = randomFile(tmpDir(), 4 * 1024 * 1024);
    const [blob] = await n.agent.publish([file]);
    const c = await client();
    const price = n.agent.pricePerGiB;
    const window = windowValue(settleWindow(0n, price), price); // a new payer: 1 MiB
    const channel = await c.client.openChannel(n.identity.address.toLowerCase(), 1_000_000n);
    // a client that takes bytes and resets, never paying, six times over: each reset comes once the
    // node has sent all it will on credit and waits for a voucher (its count of credit waits rises)
    const fetch = n.agent.fetch!;
    let received = 0;
    for (let i = 0; i < 6; i++) {
      const stop = new AbortController();
      const waitsBefore = fetch.stats.creditWaits;
      const reset = session(c, n, channel.channelId, blob.blobId, { withholdVouchers: true, signal: stop.signal, stallMs: 60_000 });
      let ended = false;
      const run = reset.run.catch(() => undefined).finally(() => (ended = true));
      await until(() => ended || fetch.stats.creditWaits > waitsBefore);
      expect(ended, `reset ${i}: the session ended before the node waited for a voucher`).to.equal(false);
      stop.abort(new Error("reset"));
      await run;
      received += reset.seen.bytes;
      const unpaid = n.store.sent(channel.channelId) - fetch.bestFor(channel.channelId);
      // the first stream runs up exactly one window; no later one adds a byte
      expect(unpaid, `reset ${i}: unpaid value`).to.equal(window);
    }
    expect(received).to.be.at.most(settleWindow(0n, price));
    expect(fetch.bestFor(channel.channelId)).to.equal(0n);
    // the node says it sent more than one window that was never paid: the client pays none of it
    // (another payer with no history with this node: its window is the first one)
    const c2 = await client();
    const lied = await c2.client.openChannel(n.identity.address.toLowerCase(), 1_000_000n);
    n.store.saveSent(lied.channelId, window + 1n);
    const claim = session(c2, n, lied.channelId, blob.blobId);
    const error = await claim.run.then(...rejection);
    expect(error).to.be.instanceOf(ProviderMisbehaviourError);
    expect((error as ProviderMisbehaviourError).reason).to.equal("owed");
    expect(claim.seen.bytes).to.equal(0);
    expect(c2.store.channel(lied.channelId)!.signed).to.equal(0n);
    // one window is what an honest node can be owed: it is settled, and the fetch completes
    const owed = await c2.client.openChannel(n.identity.address.toLowerCase(), 1_000_000n);
    n.store.saveSent(owed.channelId, window);
    const settled = session(c2, n, owed.channelId, blob.blobId);
    await settled.run;
    expect(c2.store.channel(owed.channelId)!.signed >= window).to.equal(true);
  });

  it("concurrent streams on one channel share one credit window: a second stream while one is served is refused BUSY", async () => {
    const n = await node();
    const { blob, c, channel } = await blobWithPayer(delivery, n, 4 * 1024 * 1024);
    const price = n.agent.pricePerGiB;
    const window = windowValue(settleWindow(0n, price), price);
    const fetch = n.agent.fetch!;
    // the first stream takes its window without paying and waits there
    const stop = new AbortController();
    const waitsBefore = fetch.stats.creditWaits;
    const first = session(c, n, channel.channelId, blob.blobId, { withholdVouchers: true, signal: stop.signal, stallMs: 60_000 });
    const firstEnded = first.run.catch(() => undefined);
    await until(() => fetch.stats.creditWaits > waitsBefore);
    // a second stream on the same channel, meanwhile: refused before any byte
    const second = session(c, n, channel.channelId, blob.blobId, { withholdVouchers: true });
    const error = await second.run.then(...rejection);
    expect(error).to.be.instanceOf(FetchRefusedError);
    expect((error as FetchRefusedError).refusal).to.equal("BUSY");
    expect(second.seen.bytes).to.equal(0);
    stop.abort(new Error("reset"));
    await firstEnded;
    expect(n.store.sent(channel.channelId) - fetch.bestFor(channel.channelId)).to.equal(window);
    // once the first stream ended, the channel serves again (an honest session pays the debt and finishes)
    const honest = session(c, n, channel.channelId, blob.blobId);
    await honest.run;
    expect(honest.seen.bytes).to.equal(4 * 1024 * 1024);
  });

  it("a voucher signed by someone else ends the stream with BAD_VOUCHER and is not stored", async () => {
    const n = await node();
    const { blob, c, channel } = await blobWithPayer(delivery, n, 4 * LEAF_SIZE);
    const stranger = (await client()).identity;
    const seen = { bytes: 0 };
    const error = await runSession(
      wholeBlob(n, channel.channelId, blob.blobId),
      { host: c.client.deps.host, chain: c.client.deps.chain, store: c.store, address: c.client.address, secretKey: stranger.secretKey },
      { onData: (b) => void (seen.bytes += b.length) },
    ).then(...rejection);
    expect(error).to.be.instanceOf(FetchRefusedError);
    expect((error as FetchRefusedError).refusal).to.equal("BAD_VOUCHER");
    expect(n.agent.fetch!.bestFor(channel.channelId)).to.equal(0n);
    expect(n.store.voucher(channel.channelId)).to.equal(undefined);
  });

  it("an address naming another peer than the node is refused before any request, over a new connection and over the one left open", async () => {
    const n = await node();
    const other = await node();
    const { blob, c, channel } = await blobWithPayer(delivery, n, LEAF_SIZE);
    const onOthersAddress = () =>
      runSession(
        wholeBlob(n, channel.channelId, blob.blobId, other),
        { host: c.client.deps.host, chain: c.client.deps.chain, store: c.store, address: c.client.address, secretKey: c.identity.secretKey },
        { onData: () => undefined },
      ).then(...rejection);
    const dialled = await onOthersAddress();
    expect(c.client.deps.host.getConnections(other.identity.peerId).length).to.be.greaterThan(0);
    const reused = await onOthersAddress();
    for (const error of [dialled, reused]) {
      expect(error).to.be.instanceOf(ProviderMisbehaviourError);
      expect((error as ProviderMisbehaviourError).reason).to.equal("identity");
    }
    expect(c.store.channel(channel.channelId)!.signed).to.equal(0n);
  });

  it("a node at its concurrency limit answers BUSY with a retry-after", async () => {
    const n = await node({ options: { fetchLimits: { maxActiveFetches: 0, retryAfterMs: 1500 } } });
    const { blob, c, channel } = await blobWithPayer(delivery, n, LEAF_SIZE);
    const { run, seen } = session(c, n, channel.channelId, blob.blobId);
    const error = await run.then(...rejection);
    expect((error as FetchRefusedError).refusal).to.equal("BUSY");
    expect((error as FetchRefusedError).retryAfterMs).to.equal(1500);
    expect(seen.header).to.equal(false);
  });

  it("a node that is no longer a recognized origin ignores its backend (probe MISS, fetch NOT_FOUND)", async () => {
    const n = await node();
    const { file } = randomFile(tmpDir(), LEAF_SIZE);
    const [blob] = await n.agent.publish([file]);
    const c = await client();
    const key = n.identity.address.toLowerCase();
    expect((await c.client.candidates(blob.blobId, { providers: [key] })).map((x) => x.nodeKey)).to.deep.equal([key]);
    const channel = await c.client.openChannel(key, 1_000_000n);
    await delivery.world.asTimelock((tl) =>
      delivery.world.gov.origins
        .connect(tl)
        .revoke(n.nodeId)
        .then((tx) => tx.wait()),
    );
    await n.agent.refresh();
    expect(n.agent.origin.recognized).to.equal(false);
    expect(await c.client.candidates(blob.blobId, { providers: [key] })).to.deep.equal([]);
    const { run, seen } = session(c, n, channel.channelId, blob.blobId);
    const error = await run.then(...rejection);
    expect((error as FetchRefusedError).refusal).to.equal("NOT_FOUND");
    expect(seen.header).to.equal(false);
  });

  it("a client's stale close is answered by the node with its best voucher inside the dispute window", async () => {
    const n = await node();
    const { file } = randomFile(tmpDir(), 3 * LEAF_SIZE);
    const [blob] = await n.agent.publish([file]);
    const c = await client();
    const report = await c.client.fetchToFile(blob.blobId, path.join(tmpDir(), "o"), { providers: [n.identity.address.toLowerCase()] });
    const channelId = report.providers[0].channelId;
    const best = n.agent.fetch!.bestFor(channelId);
    expect(best).to.equal(amountOwed(3n * BigInt(LEAF_SIZE), n.agent.pricePerGiB));
    expect((await readChannel(delivery.world.gov.channels, channelId)).paid).to.equal(0n);
    await c.client.closeChannel(channelId); // stale: nothing paid on chain yet
    const deadline = Date.now() + 20_000;
    let state = await readChannel(delivery.world.gov.channels, channelId);
    while (state.status !== "Closed" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      state = await readChannel(delivery.world.gov.channels, channelId);
    }
    expect(state.status).to.equal("Closed");
    expect(state.paid).to.equal(best);
  });
});
