import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";
import { collect, randomFile, useDeliveryWorld } from "./delivery-fixture.js";
import { amountOwed } from "../../agents/protocol/pricing.js";
import { readChannel } from "../../agents/chain/contracts.js";
import { rejection } from "../helpers/errors.js";
import { nodeCreditOf } from "../helpers/credits.js";
import { tmpDir } from "../helpers/tmp.js";

describe("e2e › paid delivery", function () {
  this.timeout(120_000);
  const delivery = useDeliveryWorld();

  it("origin publishes → client fetches whole and a range → bytes identical → node closes → exact split and refund", async () => {
    const node = await delivery.node();
    const { file, data } = randomFile(tmpDir(), 3 * 262_144 + 12_345);
    const [published] = await node.agent.publish([file]);
    expect(published.size).to.equal(data.length);

    const c = await delivery.client();
    const usdc = delivery.world.gov.usdc;
    const clientBefore = await usdc.balanceOf(c.identity.address);
    const out = path.join(tmpDir(), "out.bin");
    const report = await c.client.fetchToFile(published.blobId, out);
    expect(readFileSync(out).equals(data)).to.equal(true);
    expect(report.providers).to.have.length(1);
    const channelId = report.providers[0].channelId;

    // a range, on the same channel
    const offset = 262_144 + 100;
    const length = 300_000;
    const progress: number[] = [];
    const ranged = await collect(c.client.fetch(published.blobId, { range: { offset, length }, onProgress: (p) => progress.push(p.bytes) }));
    expect(ranged.equals(data.subarray(offset, offset + length))).to.equal(true);
    // once per leaf (a leaf arrives in pieces), at the leaf's end or the range's
    expect(progress).to.deep.equal([2 * 262_144 - offset, length]);

    // what the client signed = exact price of the verified leaves (whole blob + the range's 2 leaves)
    const price = node.agent.pricePerGiB;
    const first = amountOwed(BigInt(data.length), price);
    const second = amountOwed(2n * 262_144n, price);
    const signed = c.store.channel(channelId)!.signed;
    expect(signed).to.equal(first + second);
    expect(node.agent.fetch!.bestFor(channelId)).to.equal(signed);

    const operatorBefore = await usdc.balanceOf(node.identity.address);
    const creditBefore = await nodeCreditOf(delivery.world.gov, node.identity.address);
    // the fee accrues in PaymentChannel for the treasury (withdrawTreasury pays it out)
    const treasuryHolds = async () => (await usdc.balanceOf(delivery.world.treasury)) + (await delivery.world.gov.channels.protocolFees()).owed;
    const treasuryBefore = await treasuryHolds();
    const state = await readChannel(delivery.world.gov.channels, channelId);
    await node.agent.earnings.close(channelId);
    const fee = (signed * BigInt(state.feeBps)) / 10_000n;
    expect(fee).to.be.greaterThan(0n);
    // the operator's share is credited in PaymentChannel; one withdrawal collects it
    expect(await usdc.balanceOf(node.identity.address)).to.equal(operatorBefore);
    const credit = await nodeCreditOf(delivery.world.gov, node.identity.address);
    expect(credit - creditBefore).to.equal(signed - fee);
    await (await delivery.world.contractsFor(node.identity).channels.withdrawNodeCredit(await delivery.world.gov.registry.nodeIdOf(node.identity.address))).wait();
    expect((await usdc.balanceOf(node.identity.address)) - operatorBefore).to.equal(credit);
    expect(await nodeCreditOf(delivery.world.gov, node.identity.address)).to.equal(0n);
    expect((await treasuryHolds()) - treasuryBefore).to.equal(fee);
    expect((await usdc.balanceOf(c.identity.address)) - clientBefore).to.equal(-signed);
    expect((await readChannel(delivery.world.gov.channels, channelId)).status).to.equal("Closed");
  });

  it("hashing leaves on a worker thread gives the same bytes and the same payment", async () => {
    const node = await delivery.node();
    const { file, data } = randomFile(tmpDir(), 9 * 262_144 + 5);
    const [blob] = await node.agent.publish([file]);
    const c = await delivery.client({ hashInWorker: true });
    const got = await collect(c.client.fetch(blob.blobId));
    expect(got.equals(data)).to.equal(true);
    const ranged = await collect(c.client.fetch(blob.blobId, { range: { offset: 5, length: 1 } }));
    expect(ranged.equals(data.subarray(5, 6))).to.equal(true);
    const channelId = c.store.channels()[0].channelId;
    expect(c.store.channel(channelId)!.signed).to.equal(amountOwed(BigInt(data.length), node.agent.pricePerGiB) + amountOwed(262_144n, node.agent.pricePerGiB));
  });

  it("a client whose pay cadence is past the node's window pays when the node stalls, and the download completes", async () => {
    // a node with a 256-KiB window (one leaf), a client that would pay every GiB: only the stall watchdog pays
    const node = await delivery.node({ options: { credit: { initialWindow: 262_144, maxWindow: 262_144 } } });
    const { file, data } = randomFile(tmpDir(), 6 * 262_144);
    const [blob] = await node.agent.publish([file]);
    const c = await delivery.client({ payEvery: 1 << 30 });
    const got = await collect(c.client.fetch(blob.blobId));
    expect(got.equals(data)).to.equal(true);
    const channelId = c.store.channels()[0].channelId;
    expect(node.agent.fetch!.bestFor(channelId)).to.equal(amountOwed(BigInt(data.length), node.agent.pricePerGiB));
  });

  it("stopping the iteration early aborts the download", async () => {
    const node = await delivery.node();
    const { file } = randomFile(tmpDir(), 40 * 262_144);
    const [blob] = await node.agent.publish([file]);
    const c = await delivery.client();
    const it = c.client.fetch(blob.blobId);
    for await (const piece of it) {
      expect(piece.length).to.be.greaterThan(0);
      break;
    }
    const error = await it.report.then(...rejection);
    expect(error).to.be.instanceOf(Error);
  });

  it("reuses an open channel and tops it up (permit, one transaction) when its deposit is short", async () => {
    const node = await delivery.node();
    const c = await delivery.client();
    const key = node.identity.address.toLowerCase();
    const opened = await c.client.channelFor(key, 1_000n);
    expect(opened.deposit).to.equal(1_000_000n); // the minimum deposit
    const reused = await c.client.channelFor(key, 500_000n);
    expect(reused.channelId).to.equal(opened.channelId);
    expect(reused.deposit).to.equal(opened.deposit);
    const nonceBefore = await delivery.world.provider.getTransactionCount(c.identity.address);
    const topped = await c.client.channelFor(key, 3_000_000n);
    expect(topped.channelId).to.equal(opened.channelId);
    expect(topped.deposit - topped.signed >= 3_000_000n).to.equal(true);
    expect(await delivery.world.provider.getTransactionCount(c.identity.address)).to.equal(nonceBefore + 1);
  });

  it("concurrent downloads from one node each get their own channel (no nonce race on opening); a later download reuses an idle one", async () => {
    const node = await delivery.node();
    const c = await delivery.client();
    const blobs: { blobId: string; data: Buffer }[] = [];
    for (const size of [600_000, 700_000, 800_000]) {
      const { file, data } = randomFile(tmpDir(), size);
      const [b] = await node.agent.publish([file]);
      blobs.push({ blobId: b.blobId, data });
    }
    const got = await Promise.all(blobs.map((b) => collect(c.client.fetch(b.blobId))));
    got.forEach((bytes, i) => expect(bytes.equals(blobs[i].data)).to.equal(true));
    const key = node.identity.address.toLowerCase();
    // at most one channel per download running at the same time (a download that finished frees its channel)
    const opened = c.store.channelsFor(key).length;
    expect(opened).to.be.within(1, 3);
    // one at a time now: every download reuses an idle channel, none is opened
    for (const b of blobs) expect((await collect(c.client.fetch(b.blobId))).equals(b.data)).to.equal(true);
    expect(c.store.channelsFor(key).length).to.equal(opened);
  });
});
