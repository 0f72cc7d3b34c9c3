/**
 * Invariant "no serving blacklisted blobs after the window", end to end: a local chain with the
 * whole protocol, real libp2p hosts on 127.0.0.1, an honest origin node and a test-only
 * misbehaving origin node (its chain view ignores the blacklist: an injected dependency, see
 * `misbehavingChain`), and the slasher library with its own identity, channels and store.
 */
import { expect } from "chai";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { keccak256 } from "ethers";
import { network } from "hardhat";
import { deliveryWorld, randomFile, startClient, startNode, type DeliveryWorld, type TestClient, type TestNode } from "./delivery-fixture.js";
import { nodeChainView, type NodeChainView } from "../../agents/node/chain.js";
import type { Contracts } from "../../agents/chain/contracts.js";
import { runSession } from "../../agents/client/session.js";
import type { FetchHeaderMsg } from "../../agents/protocol/wire/messages.js";
import { FetchRefusedError } from "../../agents/client/errors.js";
import { Slasher } from "../../agents/slasher/slasher.js";
import { SlasherStore } from "../../agents/slasher/store.js";
import { identityFromSecret } from "../../agents/runtime/keys.js";
import { rejection } from "../helpers/errors.js";
import { tmpDir } from "../helpers/tmp.js";

/** Test-only misbehaviour: a node whose chain view never sees the blacklist (so it serves blacklisted blobs). */
export function misbehavingChain(contracts: Contracts): NodeChainView {
  return { ...nodeChainView(contracts), isBlacklisted: async () => false };
}

describe("e2e › slasher", function () {
  this.timeout(120_000);
  let world: DeliveryWorld;
  let honest: TestNode;
  let rogue: TestNode;
  let blobId: string;
  const clients: TestClient[] = [];
  const stores: SlasherStore[] = [];
  /** The rewarded slasher of the slash test, for the reward test after the probe channels settle. */
  let rewardCheck: { slasher: Slasher; address: string; finalAt: bigint; reward: bigint } | undefined;

  async function slasherFor(identity = identityFromSecret(randomBytes(32))): Promise<{ slasher: Slasher; store: SlasherStore; client: TestClient }> {
    const client = await startClient(world, {}, identity);
    clients.push(client);
    const store = new SlasherStore(path.join(tmpDir("cdn-slasher-"), "slasher.db"));
    stores.push(store);
    // one sender for the account, as the CLI wires it: probe channels and commit–reveal share its nonces
    const slasher = new Slasher({ probeTimeoutMs: 10_000 }, { client: client.client, contracts: client.contracts, store, sender: client.sender });
    return { slasher, store, client };
  }

  before(async () => {
    world = await deliveryWorld(await network.create());
    honest = await startNode(world);
    // its followed view is not polled either, so its deny-set never learns the entry
    rogue = await startNode(world, { chain: misbehavingChain, options: { chainView: { pollMs: 600_000 } } });
    const { file } = randomFile(tmpDir(), 2 * 262_144 + 1000);
    [{ blobId }] = await honest.agent.publish([file]);
    const [again] = await rogue.agent.publish([file]);
    expect(again.blobId).to.equal(blobId);
  });

  after(async () => {
    for (const c of clients) await c.stop();
    for (const s of stores) s.close();
    for (const n of [honest, rogue]) {
      await n?.agent.stop();
      n?.store.close();
    }
  });

  it("before effectiveAt: the honest node refuses a blacklisted blob with no signature; the slasher waits and probes nobody", async () => {
    await world.asTimelock((tl) =>
      world.gov.blacklist
        .connect(tl)
        .add(keccak256(blobId))
        .then((tx) => tx.wait()),
    );
    await honest.agent.syncChainView(); // the honest node's view sees the entry at its next head poll
    const entry = await world.gov.blacklist.entryOf(blobId);
    expect(entry.listed).to.equal(true);

    // a client asks the honest node directly (the client library would refuse before asking)
    const c = await startClient(world);
    clients.push(c);
    const channel = await c.client.openChannel(honest.identity.address.toLowerCase(), 1_000_000n);
    let headers = 0;
    const err = await runSession(
      { peer: honest.agent.host!.getMultiaddrs(), nodeKey: honest.identity.address.toLowerCase(), maxPricePerGiB: 10n ** 9n, channelId: channel.channelId, blobId, offset: 0, length: 0 },
      { host: c.client.deps.host, chain: c.client.deps.chain, store: c.store, address: c.client.address, secretKey: c.identity.secretKey },
      { onData: () => undefined, onHeader: () => void headers++ },
    ).then(...rejection);
    expect(err).to.be.instanceOf(FetchRefusedError);
    expect((err as FetchRefusedError).refusal).to.equal("BLACKLISTED");
    expect(headers).to.equal(0); // no header → no serve commitment to frame the node with

    const { slasher, store } = await slasherFor();
    store.addNotices([blobId], "test");
    const report = await slasher.runOnce();
    expect(report.blobs).to.deep.equal([{ blobId, state: "waiting", entryId: Number(entry.entryId), effectiveAt: entry.effectiveAt }]);
    expect(report.probes).to.have.length(0);
    expect(store.probes()).to.have.length(0);
  });

  it("after effectiveAt: the rogue node is slashed once with the right shares; the honest node refuses, signs nothing and keeps its bond", async () => {
    const entry = await world.gov.blacklist.entryOf(blobId);
    await world.connection.networkHelpers.time.increaseTo(entry.effectiveAt + 1n);
    const { gov } = world;
    const [slashBps, rewardBps, minDeposit] = await Promise.all([gov.params.slashBps(), gov.params.slasherRewardBps(), gov.params.minChannelDeposit()]);
    const rogueBefore = await gov.registry.getNode(rogue.nodeId);
    const honestBefore = await gov.registry.getNode(honest.nodeId);
    const treasuryBefore = await gov.channels.withdrawable(world.treasury);
    const honestStreams = honest.agent.fetch!.stats.refusals;

    const { slasher, store, client } = await slasherFor();
    const reporterBefore = await gov.usdc.balanceOf(client.identity.address);
    store.addNotices([blobId], "test");
    const report = await slasher.runOnce();

    expect(report.blobs[0].state).to.equal("effective");
    const byNode = new Map(report.probes.map((p) => [p.nodeKey, p]));
    expect(byNode.get(honest.identity.address.toLowerCase())).to.include({ outcome: "refused", detail: "BLACKLISTED" });
    expect(byNode.get(rogue.identity.address.toLowerCase())).to.include({ outcome: "commitment" });
    expect(honest.agent.fetch!.stats.refusals).to.equal(honestStreams + 1);

    expect(report.slashes).to.have.length(1);
    const slash = report.slashes[0];
    expect(slash.status, slash.error).to.equal("slashed");
    expect(slash.nodeId).to.equal(rogue.nodeId);
    const bondBefore = rogueBefore.bond + rogueBefore.unbonding;
    const expected = (bondBefore * slashBps) / 10_000n;
    expect(slash.slashed).to.equal(expected);
    expect(slash.reward).to.equal((expected * rewardBps) / 10_000n);
    expect(slash.treasury).to.equal(expected - slash.reward!);

    // the treasury's share is credited at once; the reporter's is pending until no earlier commit can
    // be revealed, then the next round credits and withdraws it (the two probe deposits come back at settle)
    const rogueAfter = await gov.registry.getNode(rogue.nodeId);
    expect(rogueAfter.bond + rogueAfter.unbonding).to.equal(bondBefore - expected);
    expect(await gov.channels.withdrawable(world.treasury)).to.equal(treasuryBefore + slash.treasury!);
    expect(await gov.usdc.balanceOf(client.identity.address)).to.equal(reporterBefore - 2n * minDeposit);
    const pending = await gov.channels.slashRecord(rogue.nodeId, blobId, entry.entryId);
    expect([pending.reporter.toLowerCase(), pending.reward, pending.rewardPaid]).to.deep.equal([client.identity.address.toLowerCase(), slash.reward!, false]);
    expect(await slasher.collectRewards()).to.deep.equal([]); // not final yet
    rewardCheck = { slasher, address: client.identity.address, finalAt: pending.finalAt, reward: slash.reward! };
    // the honest node: not slashed
    const honestAfter = await gov.registry.getNode(honest.nodeId);
    expect(honestAfter.bond + honestAfter.unbonding).to.equal(honestBefore.bond + honestBefore.unbonding);
    // the slasher signed no voucher: nothing paid on its probe channels
    for (const p of report.probes) expect(client.store.channel(p.channelId!)!.signed).to.equal(0n);

    // a second round does nothing more
    const again = await slasher.runOnce();
    expect(again.probes).to.have.length(0);
    expect(again.slashes).to.have.length(0);

    // another slasher (fresh state) gets a new commitment from the rogue node, but the contract slashes once per (node, entry)
    const other = await slasherFor();
    other.store.addNotices([blobId], "test");
    const second = await other.slasher.runOnce();
    const repeat = second.slashes.find((s) => s.nodeId === rogue.nodeId);
    if (repeat) {
      expect(repeat.status).to.equal("failed");
      expect(repeat.error).to.match(/AlreadySlashed|revert/);
    } else {
      // the slash may have pushed the rogue node below its required bond: then it is no longer active and not probed
      expect(await gov.registry.isActiveNode(rogue.nodeId)).to.equal(false);
    }
    const rogueFinal = await gov.registry.getNode(rogue.nodeId);
    expect(rogueFinal.bond + rogueFinal.unbonding).to.equal(bondBefore - expected);
  });

  it("settles its probe channels after the dispute window and gets the deposits back", async () => {
    const s = await slasherFor();
    // reuse the first slasher's state: the store with its closing channels
    const store = stores[1]; // the previous test's slasher (stores[0] waited and opened nothing)
    const closing = store.channels().filter((c) => c.status === "Closing");
    expect(closing.length).to.equal(2);
    await world.connection.networkHelpers.time.increase(Number(await world.gov.params.disputeWindow()) + 1);
    const settler = new Slasher({}, { ...s.slasher.deps, store });
    // settling is open to anyone; the refunds go to the payer (the channels' owner), not the caller
    const settled = await settler.settleChannels();
    expect(settled.sort()).to.deep.equal(closing.map((c) => c.channelId).sort());
    for (const c of closing) expect((await world.gov.channels.getChannel(c.channelId)).status).to.equal(3n);
  });

  it("the first commit wins: its reward is credited and withdrawn once no earlier commit can be revealed", async () => {
    const { slasher, address, finalAt, reward } = rewardCheck!;
    const before = await world.gov.usdc.balanceOf(address);
    const { time } = world.connection.networkHelpers;
    if (BigInt(await time.latest()) <= finalAt) await time.increaseTo(finalAt + 1n); // the settle test may have passed it
    const rewarded = await slasher.collectRewards();
    expect(rewarded.map((r) => [r.nodeId, r.status, r.reward])).to.deep.equal([[rogue.nodeId, "rewarded", reward]]);
    expect((await world.gov.usdc.balanceOf(address)) - before).to.equal(reward);
    expect(await slasher.collectRewards()).to.deep.equal([]);
  });

  it("blacklisted content served on old channels: serving a blob listed after the channel opened, on a channel older than the evidence max age, is slashed; the commitment a client kept from before the listing frames nobody", async () => {
    const { time } = world.connection.networkHelpers;
    const { gov } = world;
    // a node that ignores the listing: it serves the blob on a client's channel opened before the listing (not a slasher's fresh probe channel)
    const oldChannelsOnly = await startNode(world, { chain: misbehavingChain, options: { chainView: { pollMs: 600_000 } } });
    try {
      const { file } = randomFile(tmpDir(), 262_144 + 500);
      const [{ blobId: listed }] = await oldChannelsOnly.agent.publish([file]);
      const { slasher, client } = await slasherFor();
      const nodeKey = oldChannelsOnly.identity.address.toLowerCase();
      const channel = await client.client.openChannel(nodeKey, 1_000_000n);
      const download = async () => {
        let header: FetchHeaderMsg | undefined;
        const result = await runSession(
          { peer: oldChannelsOnly.agent.host!.getMultiaddrs(), nodeKey, maxPricePerGiB: 10n ** 9n, channelId: channel.channelId, blobId: listed, offset: 0, length: 0 },
          { host: client.client.deps.host, chain: client.client.deps.chain, store: client.store, address: client.client.address, secretKey: client.identity.secretKey },
          { onData: () => undefined, onHeader: (h) => void (header = h) },
        );
        expect(result.delivered).to.equal(262_144 + 500); // the client accepted the anchored commitment and got every byte
        return header!;
      };
      const beforeListing = await download();
      await world.asTimelock((tl) =>
        gov.blacklist
          .connect(tl)
          .add(keccak256(listed))
          .then((tx) => tx.wait()),
      );
      const entry = await gov.blacklist.entryOf(listed);
      await time.increaseTo(entry.effectiveAt + 1n);
      const node = (await client.client.deps.chain.activeNodes()).find((n) => n.nodeKey === nodeKey)!;
      const bond = async () => {
        const n = await gov.registry.getNode(oldChannelsOnly.nodeId);
        return n.bond + n.unbonding;
      };
      const bondBefore = await bond();

      // pre-listing evidence: anchored before effectiveAt, it cannot frame the node
      expect(beforeListing.commitment.value.timestamp < entry.effectiveAt).to.equal(true);
      await slasher.slash(node, listed, Number(entry.entryId), channel.channelId, beforeListing);
      const framed = slasher.deps.store.slash(listed, Number(entry.entryId), node.nodeId)!;
      expect(framed.status).to.equal("failed");
      expect(framed.error).to.match(/ServedBeforeEffective/);
      expect(await bond()).to.equal(bondBefore);

      // the channel grows old (past the evidence max age of its opening); the node still serves the listed blob on it
      await time.increase(Number(await gov.params.evidenceMaxAge()) + 86_400);
      expect((await gov.channels.getChannel(channel.channelId)).openedAt < entry.effectiveAt).to.equal(true);
      const afterListing = await download();
      expect(afterListing.commitment.value.timestamp >= entry.effectiveAt).to.equal(true);
      await slasher.slash(node, listed, Number(entry.entryId), channel.channelId, afterListing);
      const record = slasher.deps.store.slash(listed, Number(entry.entryId), node.nodeId)!;
      expect(record.status, record.error).to.equal("slashed");
      expect(await bond()).to.equal(bondBefore - record.slashed!);
    } finally {
      await oldChannelsOnly.agent.stop();
      oldChannelsOnly.store.close();
    }
  });
});
