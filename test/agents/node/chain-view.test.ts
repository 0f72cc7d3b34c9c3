import { expect } from "chai";
import { keccak256 } from "ethers";
import { blobWithPayer, directSession, randomFile, useDeliveryWorld, type TestClient, type TestNode } from "../../e2e/delivery-fixture.js";
import { LEAF_SIZE } from "../../../agents/protocol/constants.js";
import { signVoucher } from "../../../agents/protocol/signed.js";
import { FetchRefusedError } from "../../../agents/client/errors.js";
import { StaleChainViewError } from "../../../agents/mesh/errors.js";
import { followChain } from "../../../agents/node/agent.js";
import { rejection } from "../../helpers/errors.js";
import { tmpDir } from "../../helpers/tmp.js";

describe("node › followed chain view", function () {
  this.timeout(120_000);
  const delivery = useDeliveryWorld();
  const { node, client } = delivery;
  /** One session against `n` directly; counts headers (the header carries the serve commitment). */
  const session = async (c: TestClient, n: TestNode, channelId: string, blobId: string, chain = c.client.deps.chain) => {
    let headers = 0;
    const error = await directSession(c, n, channelId, blobId, { onData: () => undefined, onHeader: () => void headers++ }, chain).then(...rejection);
    return { error, headers };
  };

  it("a channel is read once, then followed from its events: repeat requests read nothing and a top-up reaches the view", async () => {
    const n = await node({ options: { chainView: { pollMs: 600_000 } } }); // polled by hand below
    const { blob, c, channel } = await blobWithPayer(delivery, n, LEAF_SIZE);
    const view = n.agent.chainView!;
    const reads0 = view.stats.channelReads;
    expect((await session(c, n, channel.channelId, blob.blobId)).error).to.equal(undefined);
    expect(view.stats.channelReads).to.equal(reads0 + 1);
    expect((await session(c, n, channel.channelId, blob.blobId)).error).to.equal(undefined);
    expect(view.stats.channelReads).to.equal(reads0 + 1); // the second request read nothing
    await c.client.topUp(channel.channelId, 500_000n);
    expect((await view.channel(channel.channelId)).deposit).to.equal(1_000_000n); // not polled yet
    await n.agent.syncChainView();
    expect((await view.channel(channel.channelId)).deposit).to.equal(1_500_000n);
    expect(view.stats.channelReads).to.equal(reads0 + 2);
  });

  it("a blacklist entry reaches the view from its event and the node refuses BLACKLISTED with no serve commitment", async () => {
    const n = await node({ options: { chainView: { pollMs: 600_000 } } });
    const { blob, c, channel } = await blobWithPayer(delivery, n, LEAF_SIZE);
    expect((await session(c, n, channel.channelId, blob.blobId)).error).to.equal(undefined);
    await delivery.world.asTimelock((tl) =>
      delivery.world.gov.blacklist
        .connect(tl)
        .add(keccak256(blob.blobId))
        .then((tx) => tx.wait()),
    );
    await n.agent.syncChainView(); // the head poll sees BlobBlacklisted and re-reads the deny-set
    expect(await n.agent.chainView!.isBlacklisted(blob.blobId)).to.equal(true);
    const { error, headers } = await session(c, n, channel.channelId, blob.blobId);
    expect(error).to.be.instanceOf(FetchRefusedError);
    expect((error as FetchRefusedError).refusal).to.equal("BLACKLISTED");
    expect(headers).to.equal(0);
  });

  it("a view older than its bound refuses BUSY, and serves again once a poll succeeds", async () => {
    const n = await node({ options: { chainView: { pollMs: 600_000, maxLagMs: 1000 } } });
    const { blob, c, channel } = await blobWithPayer(delivery, n, LEAF_SIZE);
    await new Promise((r) => setTimeout(r, 1200));
    const stale = await n.agent.chainView!.chainTime().then(...rejection);
    expect(stale).to.be.instanceOf(StaleChainViewError); // one error for a stale view, the mesh's guard's too
    expect((stale as StaleChainViewError).code).to.equal("ERR_STALE_CHAIN_VIEW");
    const { error, headers } = await session(c, n, channel.channelId, blob.blobId);
    expect(error).to.be.instanceOf(FetchRefusedError);
    expect((error as FetchRefusedError).refusal).to.equal("BUSY");
    expect(headers).to.equal(0);
    expect(n.agent.fetch!.stats.refusalsByReason.stale_chain_view).to.equal(1);
    await n.agent.syncChainView();
    expect((await session(c, n, channel.channelId, blob.blobId)).error).to.equal(undefined);
  });

  it("a view whose head polls succeed but whose log queries fail (it would miss a blacklist event) turns stale and refuses, instead of serving on the old deny-set", async () => {
    const n = await node({ options: { chainView: { pollMs: 600_000 } } });
    const { contracts } = n.agent.deps;
    const real = contracts.provider;
    // the RPC answers the head but not eth_getLogs (a provider that rate-limits or drops log queries)
    const provider = { getBlock: real.getBlock.bind(real), getLogs: () => Promise.reject(new Error("eth_getLogs: limit exceeded")) } as unknown as typeof real;
    const view = await followChain({ pollMs: 600_000, maxLagMs: 1000 }, { contracts: { ...contracts, provider }, mesh: n.agent.mesh! });
    try {
      const blobId = keccak256("0x01");
      await delivery.world.asTimelock((tl) =>
        delivery.world.gov.blacklist
          .connect(tl)
          .add(keccak256(blobId))
          .then((tx) => tx.wait()),
      );
      expect(await view.poll().then(...rejection)).to.be.instanceOf(Error); // the head moved: its logs cannot be read
      await new Promise((r) => setTimeout(r, 1100));
      expect(await view.poll().then(...rejection)).to.be.instanceOf(Error); // the head alone never marks the view fresh
      expect(await view.isBlacklisted(blobId).then(...rejection)).to.be.instanceOf(StaleChainViewError);
      expect(await view.chainTime().then(...rejection)).to.be.instanceOf(StaleChainViewError);
    } finally {
      await view.stop();
    }
  });

  describe("chain time that jumped after minutes without a block (a devnet or quiet chain; a node just restarted)", () => {
    /** A node whose view is at the head, then 228 s with no block, ended by the client's own open. */
    const afterPause = async () => {
      const n = await node({ options: { chainView: { pollMs: 600_000 } } }); // polled by hand below
      const { file } = randomFile(tmpDir(), LEAF_SIZE);
      const [blob] = await n.agent.publish([file]);
      const c = await client();
      await n.agent.syncChainView();
      const before = await c.client.deps.chain.head();
      await delivery.world.connection.provider.request({ method: "evm_increaseTime", params: [228] });
      const channel = await c.client.openChannel(n.identity.address.toLowerCase(), 1_000_000n);
      return { n, c, blob, channel, before };
    };

    it("the node's view is a poll behind the block that ended the pause (its commitment 228 s behind the client's head): the client accepts it and the fetch completes", async () => {
      const { n, c, blob, channel, before } = await afterPause();
      expect((await c.client.deps.chain.head({ fresh: true })).timestamp - before.timestamp).to.be.at.least(228n); // the client's head is the open's block
      expect(BigInt(n.agent.chainView!.blockNumber)).to.equal(before.number); // not polled since
      const { error, headers } = await session(c, n, channel.channelId, blob.blobId);
      expect(error).to.equal(undefined);
      expect(headers).to.equal(1);
      expect(n.agent.fetch!.bestFor(channel.channelId)).to.be.greaterThan(0n);
    });

    it("the client's head predates the block that ended the pause (the commitment 228 s ahead): it reads the head once more and the fetch completes", async () => {
      const { n, c, blob, channel, before } = await afterPause();
      await n.agent.syncChainView(); // the node sees the open's block
      const real = c.client.deps.chain;
      let heads = 0;
      const stale = { ...real, channelDomain: real.channelDomain, head: (o?: { fresh?: boolean }) => (heads++ === 0 ? Promise.resolve(before) : real.head(o)) };
      const { error, headers } = await session(c, n, channel.channelId, blob.blobId, stale);
      expect(error).to.equal(undefined);
      expect(headers).to.equal(1);
      expect(heads).to.equal(2);
    });
  });

  it("a voucher above the deposit the view knows (a top-up it has not polled yet) gets exactly one fresh chain read, is accepted, and the stream completes", async () => {
    const n = await node({ options: { chainView: { pollMs: 600_000 } } }); // polled by hand only
    const { blob, c, channel } = await blobWithPayer(delivery, n, 2 * LEAF_SIZE);
    expect((await session(c, n, channel.channelId, blob.blobId)).error).to.equal(undefined); // followed from now on: deposit 1 USDC
    const view = n.agent.chainView!;
    await c.client.topUp(channel.channelId, 1_000_000n);
    expect((await view.channel(channel.channelId)).deposit).to.equal(1_000_000n); // the view has not seen the top-up
    // as if this client had already paid past the first deposit: every session starts by re-sending its last
    // stored voucher, here above the deposit the view knows (a real voucher, within the topped-up deposit)
    const above = 1_000_500n;
    c.store.recordSigned(channel.channelId, above, signVoucher(c.contracts.domains.paymentChannel, { channelId: channel.channelId, cumulativeAmount: above }, c.identity.secretKey));
    const reads = view.stats.channelReads;
    const polls = view.stats.polls;
    expect((await session(c, n, channel.channelId, blob.blobId)).error).to.equal(undefined);
    expect(view.stats.channelReads).to.equal(reads + 1); // one fresh read, for the voucher above the known deposit
    expect(view.stats.polls).to.equal(polls); // not a poll: the view learnt the top-up from that read
    expect(n.agent.fetch!.bestFor(channel.channelId) >= above).to.equal(true);
    expect((await view.channel(channel.channelId)).deposit).to.equal(2_000_000n);
  });
});
