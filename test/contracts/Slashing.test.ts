/**
 * Blacklist slashing in PaymentChannel: commit–reveal of a node-signed ServeCommitment anchored to a
 * recent block, on any channel of the node. Runs against the test-only registry/blacklist mocks (the real registry is exercised in
 * PaymentChannelRegistry.test.ts).
 */
import { expect } from "chai";
import { network } from "hardhat";
import { formatUnits, hexlify, id, randomBytes, type Signer, type Wallet } from "ethers";
import type { ServeCommitmentValue } from "../../agents/protocol/eip712.js";
import { describeRevert } from "../../agents/chain/errors.js";
import { DAY, NODE_BOND, USDC, channelDomain, deployChannels, openChannel, randomWallet, signCommitment, type ChannelContext } from "../helpers/channels.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { time } = networkHelpers;

const COMPLIANCE = DAY;

describe("PaymentChannel slashing", function () {
  const fixture = () => deployChannels(connection);
  let ctx: ChannelContext;
  let reporterAddr: string, treasuryAddr: string, payerAddr: string;
  beforeEach(async () => {
    ctx = await networkHelpers.loadFixture(fixture);
    reporterAddr = await ctx.reporter.getAddress();
    treasuryAddr = await ctx.treasury.getAddress();
    payerAddr = await ctx.payer.getAddress();
  });

  /** Lists `blobId` and returns its entry id and effectiveAt. */
  async function list(blobId: string) {
    await ctx.blacklist.add(blobId, COMPLIANCE);
    const entry = await ctx.blacklist.entryOf(blobId);
    return { entryId: entry.entryId, effectiveAt: entry.effectiveAt };
  }
  /** Opens a channel at exactly `at` (or now). */
  async function openAt(at?: bigint, payer: Signer = ctx.payer) {
    if (at !== undefined) await time.setNextBlockTimestamp(at);
    const { channelId, tx } = await openChannel(ctx, { payer });
    const receipt = await tx.wait();
    const openedAt = BigInt((await ethers.provider.getBlock(receipt!.blockNumber))!.timestamp);
    return { channelId, openedAt };
  }
  /** The latest block as a commitment's anchor (what an honest node signs). */
  async function anchorNow() {
    const block = (await ethers.provider.getBlock("latest"))!;
    return { anchorBlock: BigInt(block.number), anchorHash: block.hash!, timestamp: BigInt(block.timestamp) };
  }
  async function commitmentFor(blobId: string, channelId: string, anchor?: { anchorBlock: bigint; anchorHash: string; timestamp: bigint }): Promise<ServeCommitmentValue> {
    return { blobId, client: payerAddr, channelId, ...(anchor ?? (await anchorNow())) };
  }
  async function sign(commitment: ServeCommitmentValue, signer: Signer | Wallet = ctx.nodeKey) {
    return signCommitment(signer, channelDomain(ctx), commitment);
  }
  async function commit(commitment: ServeCommitmentValue, signature: string, reporter: Signer = ctx.reporter) {
    const salt = hexlify(randomBytes(32));
    const hash = await ctx.channels.evidenceCommitHash(await reporter.getAddress(), commitment, signature, salt);
    const tx = await ctx.channels.connect(reporter).commitEvidence(hash, commitment.anchorBlock);
    const receipt = await tx.wait();
    const committedAt = BigInt((await ethers.provider.getBlock(receipt!.blockNumber))!.timestamp);
    const key = await ctx.channels.evidenceCommitKey(hash, commitment.anchorBlock, commitment.anchorHash);
    return { salt, hash, key, committedAt };
  }
  const reveal = (commitment: ServeCommitmentValue, signature: string, salt: string, reporter: Signer = ctx.reporter) => ctx.channels.connect(reporter).revealEvidence(commitment, signature, salt);
  async function commitReveal(commitment: ServeCommitmentValue, signature: string, reporter: Signer = ctx.reporter) {
    const { salt } = await commit(commitment, signature, reporter);
    return reveal(commitment, signature, salt, reporter);
  }
  /** A blob listed now, a channel opened exactly when the entry takes effect, served in that block. */
  async function violation() {
    const blobId = id("blob-" + hexlify(randomBytes(8)));
    const { entryId, effectiveAt } = await list(blobId);
    const { channelId, openedAt } = await openAt(effectiveAt);
    const commitment = await commitmentFor(blobId, channelId);
    return { blobId, entryId, effectiveAt, channelId, openedAt, commitment, signature: await sign(commitment) };
  }
  /** Waits until the reporter reward of (node, blob, entry) is final and credits it. */
  async function finalise(blobId: string, entryId: bigint) {
    const record = await ctx.channels.slashRecord(ctx.nodeId, blobId, entryId);
    await time.increaseTo(record.finalAt + 1n);
    return ctx.channels.connect(ctx.others[9]).claimSlashReward(ctx.nodeId, blobId, entryId);
  }
  /** The sentence the agents' chain-error decoder makes of a reverted call. */
  const sentenceOf = (p: Promise<unknown>) =>
    p.then(
      () => expect.fail("did not revert"),
      (e: unknown) => describeRevert(e),
    );
  /** Block number of a commit (its key from `commit`). */
  const commitBlockOf = async (key: string) => (await ctx.channels.evidenceCommittedAt(key))[1];
  const bondOf = async () => {
    const n = await ctx.registry.getNode(ctx.nodeId);
    return n.bond + n.unbonding;
  };

  it("slashes valid evidence: reporter and treasury split the slash share of the bond", async () => {
    const v = await violation();
    expect(v.openedAt).to.equal(v.effectiveAt); // opened at the boundary: still slashable
    const slash = (NODE_BOND * 1000n) / 10_000n;
    const reward = slash / 2n;
    const before = await Promise.all([ctx.usdc.balanceOf(reporterAddr), ctx.usdc.balanceOf(treasuryAddr)]);
    await expect(commitReveal(v.commitment, v.signature))
      .to.emit(ctx.channels, "NodeSlashed")
      .withArgs(ctx.nodeId, v.entryId, v.channelId, v.blobId, reporterAddr, slash, reward, slash - reward);
    expect(await bondOf()).to.equal(NODE_BOND - slash);
    expect(await ctx.channels.isSlashed(ctx.nodeId, v.blobId, v.entryId)).to.equal(true);
    // The treasury's share is credited at once; the reporter's is pending until final.
    expect(await ctx.channels.withdrawable(treasuryAddr)).to.equal(slash - reward);
    expect(await ctx.channels.pendingSlashRewards()).to.equal(reward);
    await expect(ctx.channels.claimSlashReward(ctx.nodeId, v.blobId, v.entryId)).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelSlashRewardNotFinal");
    await expect(finalise(v.blobId, v.entryId)).to.emit(ctx.channels, "SlashRewardCredited").withArgs(ctx.nodeId, v.entryId, reporterAddr, reward);
    await expect(ctx.channels.claimSlashReward(ctx.nodeId, v.blobId, v.entryId))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelSlashRewardAlreadyCredited")
      .withArgs(ctx.nodeId, v.entryId, reporterAddr, reward);
    expect(await sentenceOf(ctx.channels.claimSlashReward(ctx.nodeId, v.blobId, v.entryId))).to.equal(
      `The reward for slashing node ${ctx.nodeId} (blacklist entry ${v.entryId}) was already credited: ${formatUnits(reward, 6)} USDC to ${reporterAddr}, who collects it from PaymentChannel with withdraw.`,
    );
    // A (node, blob, entry) never slashed has no reward.
    const other = id("never-slashed");
    await expect(ctx.channels.claimSlashReward(ctx.nodeId, other, v.entryId))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelNotSlashed")
      .withArgs(ctx.nodeId, other, v.entryId);
    expect(await sentenceOf(ctx.channels.claimSlashReward(ctx.nodeId, other, v.entryId))).to.equal(
      `Node ${ctx.nodeId} was never slashed for blob key ${other} under blacklist entry ${v.entryId}: there is no reward to claim.`,
    );
    await ctx.channels.connect(ctx.reporter).withdraw();
    await ctx.channels.connect(ctx.others[9]).withdrawTreasury();
    expect((await ctx.usdc.balanceOf(reporterAddr)) - before[0]).to.equal(reward);
    expect((await ctx.usdc.balanceOf(treasuryAddr)) - before[1]).to.equal(slash - reward);
    // Nothing stays in the channel contract but the channel's deposit.
    expect(await ctx.usdc.balanceOf(ctx.address)).to.equal(await ctx.channels.balanceOf(v.channelId));
  });

  it("slashes at most once per (node, entry): replays and other channels fail; a new entry is new", async () => {
    const v = await violation();
    const { salt, key } = await commit(v.commitment, v.signature);
    await reveal(v.commitment, v.signature, salt);
    const rewarded = await commitBlockOf(key);
    // Replay of the same reveal.
    await expect(reveal(v.commitment, v.signature, salt))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelAlreadySlashed")
      .withArgs(ctx.nodeId, v.entryId, rewarded, rewarded);
    // Same entry, another channel and another reporter, committed later.
    const other = await openAt(undefined, ctx.payer2);
    const c2 = await commitmentFor(v.blobId, other.channelId);
    const s2 = await sign(c2);
    const second = await commit(c2, s2, ctx.watchtower);
    const secondBlock = await commitBlockOf(second.key);
    await expect(reveal(c2, s2, second.salt, ctx.watchtower))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelAlreadySlashed")
      .withArgs(ctx.nodeId, v.entryId, secondBlock, rewarded);
    expect(await sentenceOf(reveal(c2, s2, second.salt, ctx.watchtower))).to.equal(
      `Node ${ctx.nodeId} was already slashed for blacklist entry ${v.entryId} on evidence committed in block ${rewarded}; this evidence, committed in block ${secondBlock}, is not earlier, so it changes nothing.`,
    );
    // Removed and listed again: a fresh entry, slashable once more on a channel opened after it binds.
    await ctx.blacklist.remove(v.blobId);
    const again = await list(v.blobId);
    expect(again.entryId).to.not.equal(v.entryId);
    const late = await openAt(again.effectiveAt);
    const c3 = await commitmentFor(v.blobId, late.channelId);
    await expect(commitReveal(c3, await sign(c3))).to.emit(ctx.channels, "NodeSlashed");
  });

  it("blacklisted content served on old channels: serving after effectiveAt is slashable on a channel opened before the listing and long before", async () => {
    // The channel is opened first, then the blob is listed; the node keeps serving on the old channel.
    const { channelId } = await openAt();
    const blobId = id("old-channel");
    const { effectiveAt } = await list(blobId);
    await time.increaseTo(effectiveAt + (await ctx.params.evidenceMaxAge()) + DAY); // the channel is old
    await networkHelpers.mine();
    const c = await commitmentFor(blobId, channelId); // anchored after effectiveAt
    expect(c.timestamp > effectiveAt).to.equal(true);
    await expect(commitReveal(c, await sign(c))).to.emit(ctx.channels, "NodeSlashed");
  });

  it("pre-listing evidence cannot frame a node: a commitment anchored before effectiveAt is refused on any channel", async () => {
    const blobId = id("early");
    const { channelId } = await openAt();
    // The node honestly served the blob before it was listed; a client kept the commitment.
    const c = await commitmentFor(blobId, channelId);
    const signature = await sign(c);
    const { effectiveAt } = await list(blobId);
    await time.increaseTo(effectiveAt + 1n);
    await expect(commitReveal(c, signature)).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelServedBeforeEffective").withArgs(c.timestamp, effectiveAt);
  });

  it("checks the anchor when the evidence is committed: a block the chain does not know, or too old, is refused; a reveal with another hash finds no commit", async () => {
    const v = await violation();
    const salt = hexlify(randomBytes(32));
    // a made-up hash for a real block: the commit stores the chain's hash, so the reveal finds nothing
    const fake = { ...v.commitment, anchorHash: id("not the block's hash") };
    const fakeSig = await sign(fake);
    const hash = await ctx.channels.evidenceCommitHash(reporterAddr, fake, fakeSig, salt);
    await ctx.channels.connect(ctx.reporter).commitEvidence(hash, fake.anchorBlock);
    await expect(reveal(fake, fakeSig, salt)).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelEvidenceNotCommitted");
    // the current block and a future one have no hash yet; an anchor more than 256 blocks old has none any more
    const head = BigInt(await ethers.provider.getBlockNumber());
    for (const anchorBlock of [head + 1n, head + 5n]) {
      await expect(ctx.channels.connect(ctx.reporter).commitEvidence(hash, anchorBlock))
        .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelAnchorUnavailable")
        .withArgs(anchorBlock, head + 1n);
    }
    await networkHelpers.mine(256);
    await expect(ctx.channels.connect(ctx.reporter).commitEvidence(hash, v.commitment.anchorBlock)).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelAnchorUnavailable");
  });

  it("refuses evidence whose anchored time is after its own commit", async () => {
    const v = await violation();
    const future = { ...v.commitment, timestamp: v.commitment.timestamp + 10n * DAY };
    await expect(commitReveal(future, await sign(future))).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelEvidenceFromTheFuture");
  });

  it("rejects forged evidence (not signed by the channel's node key)", async () => {
    const v = await violation();
    const forger = randomWallet();
    await expect(commitReveal(v.commitment, await sign(v.commitment, forger)))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelEvidenceWrongSigner")
      .withArgs(forger.address);
    await expect(commitReveal(v.commitment, await sign(v.commitment, ctx.payer)))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelEvidenceWrongSigner")
      .withArgs(payerAddr);
    // A signature over another commitment (edited after signing) recovers someone else.
    const edited = { ...v.commitment, blobId: id("other") };
    await expect(commitReveal(edited, v.signature)).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelEvidenceWrongSigner");
  });

  it("rotation cannot escape a slash, and a retired (leaked) key cannot frame the node", async () => {
    const blobs = [id("k-a"), id("k-b"), id("k-c")];
    let effective = 0n;
    for (const b of blobs) effective = (await list(b)).effectiveAt;
    const { channelId } = await openAt(effective);
    // Evidence signed by the old key, anchored before the rotation, still slashes after it (and is
    // committed after it too).
    const c0 = await commitmentFor(blobs[0], channelId);
    const s0 = await sign(c0);
    const k2 = randomWallet();
    await ctx.registry.rotateKey(ctx.nodeId, k2.address);
    await expect(commitReveal(c0, s0)).to.emit(ctx.channels, "NodeSlashed");
    // Anchored after the rotation, the retired key's signature is no evidence: it may be in a thief's hands.
    const c1 = await commitmentFor(blobs[1], channelId);
    const oldKey = await ctx.nodeKey.getAddress();
    await expect(commitReveal(c1, await sign(c1)))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelEvidenceKeyRetired")
      .withArgs(oldKey, await ctx.registry.keyRetiredAtBlock(oldKey), c1.anchorBlock);
    // The current key's is, on the node's old channel too.
    await expect(commitReveal(c1, await sign(c1, k2))).to.emit(ctx.channels, "NodeSlashed");
  });

  it("the first reveal wins, not the first commit: an earlier commit takes the reward over from a thief who revealed first", async () => {
    const v = await violation();
    const honest = await commit(v.commitment, v.signature);
    // A thief sees the slow reveal in the mempool, commits and reveals before it.
    const thief = ctx.others[0];
    const thiefAddr = await thief.getAddress();
    await commitReveal(v.commitment, v.signature, thief);
    expect((await ctx.channels.slashRecord(ctx.nodeId, v.blobId, v.entryId)).reporter).to.equal(thiefAddr);
    // The honest reporter's earlier commit still reveals, and takes the pending reward over.
    await expect(reveal(v.commitment, v.signature, honest.salt))
      .to.emit(ctx.channels, "SlashReporterReplaced")
      .withArgs(ctx.nodeId, v.entryId, thiefAddr, reporterAddr, (await ctx.channels.evidenceCommittedAt(honest.key))[1]);
    expect(await bondOf()).to.equal(NODE_BOND - NODE_BOND / 10n); // slashed once
    await finalise(v.blobId, v.entryId);
    expect(await ctx.channels.withdrawable(reporterAddr)).to.equal(NODE_BOND / 20n);
    expect(await ctx.channels.withdrawable(thiefAddr)).to.equal(0n);
    // Once final, no reveal takes it back.
    const { finalAt } = await ctx.channels.slashRecord(ctx.nodeId, v.blobId, v.entryId);
    const late = await commit(v.commitment, v.signature, ctx.watchtower);
    await expect(reveal(v.commitment, v.signature, late.salt, ctx.watchtower))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelSlashRewardFinal")
      .withArgs(ctx.nodeId, v.entryId, finalAt);
    expect(await sentenceOf(reveal(v.commitment, v.signature, late.salt, ctx.watchtower))).to.equal(
      `Node ${ctx.nodeId} was already slashed for blacklist entry ${v.entryId} and its reporter's reward became final at ${new Date(Number(finalAt) * 1000).toISOString()}: this evidence changes nothing.`,
    );
  });

  it("rejects evidence committed after the evidence max age of its anchored time", async () => {
    const maxAge = await ctx.params.evidenceMaxAge();
    const a = await violation();
    await time.setNextBlockTimestamp(a.commitment.timestamp + maxAge);
    const ok = await commit(a.commitment, a.signature);
    expect(ok.committedAt).to.equal(a.commitment.timestamp + maxAge);
    await expect(reveal(a.commitment, a.signature, ok.salt)).to.emit(ctx.channels, "NodeSlashed");

    const b = await violation();
    await time.setNextBlockTimestamp(b.commitment.timestamp + maxAge + 1n);
    const late = await commit(b.commitment, b.signature);
    await expect(reveal(b.commitment, b.signature, late.salt))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelEvidenceExpired")
      .withArgs(b.commitment.timestamp + maxAge + 1n, b.commitment.timestamp + maxAge);
  });

  it("accepts a reveal up to the end of the reveal window and rejects it after", async () => {
    const window = await ctx.params.revealWindow();
    const a = await violation();
    const ca = await commit(a.commitment, a.signature);
    await time.setNextBlockTimestamp(ca.committedAt + window);
    await expect(reveal(a.commitment, a.signature, ca.salt)).to.emit(ctx.channels, "NodeSlashed");

    const b = await violation();
    const cb = await commit(b.commitment, b.signature);
    await time.setNextBlockTimestamp(cb.committedAt + window + 1n);
    await expect(reveal(b.commitment, b.signature, cb.salt, ctx.reporter).then((tx) => tx))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelRevealWindowOver")
      .withArgs(cb.committedAt + window, cb.committedAt + window + 1n);
  });

  it("rejects a reveal in the block of its commitment", async () => {
    const v = await violation();
    const salt = hexlify(randomBytes(32));
    const hash = await ctx.channels.evidenceCommitHash(reporterAddr, v.commitment, v.signature, salt);
    await connection.provider.request({ method: "evm_setAutomine", params: [false] });
    try {
      const commitTx = await ctx.channels.connect(ctx.reporter).commitEvidence(hash, v.commitment.anchorBlock, { gasLimit: 200_000 });
      const revealTx = await ctx.channels.connect(ctx.reporter).revealEvidence(v.commitment, v.signature, salt, { gasLimit: 1_000_000 });
      await networkHelpers.mine();
      const commitReceipt = await ethers.provider.getTransactionReceipt(commitTx.hash);
      const revealReceipt = await ethers.provider.getTransactionReceipt(revealTx.hash);
      expect(commitReceipt!.status).to.equal(1);
      expect(revealReceipt!.blockNumber).to.equal(commitReceipt!.blockNumber);
      expect(revealReceipt!.status).to.equal(0);
    } finally {
      await connection.provider.request({ method: "evm_setAutomine", params: [true] });
    }
    expect(await ctx.channels.isSlashed(ctx.nodeId, v.blobId, v.entryId)).to.equal(false);
    // One block later the same reveal is accepted.
    await expect(reveal(v.commitment, v.signature, salt)).to.emit(ctx.channels, "NodeSlashed");
  });

  it("does not let a copied reveal steal the reward (front-running)", async () => {
    const v = await violation();
    const { salt } = await commit(v.commitment, v.signature);
    const thief = ctx.others[0];
    // The thief replays the reporter's reveal calldata from its own address.
    await expect(reveal(v.commitment, v.signature, salt, thief)).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelEvidenceNotCommitted");
    // Committing after seeing the reveal lands the thief's commit in a later block: too late.
    const thiefCommit = await commit(v.commitment, v.signature, thief);
    await reveal(v.commitment, v.signature, salt);
    await expect(reveal(v.commitment, v.signature, thiefCommit.salt, thief)).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelAlreadySlashed");
    await finalise(v.blobId, v.entryId);
    expect(await ctx.channels.withdrawable(reporterAddr)).to.equal((NODE_BOND * 1000n) / 10_000n / 2n);
  });

  it("rejects evidence for a blob that is not (or no longer) blacklisted", async () => {
    const { channelId } = await openAt();
    const never = await commitmentFor(id("never-listed"), channelId);
    await expect(commitReveal(never, await sign(never)))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelBlobNotBlacklisted")
      .withArgs(never.blobId);
    expect(await sentenceOf(commitReveal(never, await sign(never)))).to.equal(`Blob key ${never.blobId} was never on the content blacklist: there is nothing to slash.`);
    const v = await violation();
    await ctx.blacklist.remove(v.blobId);
    await expect(commitReveal(v.commitment, v.signature)).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelBlobDelisted").withArgs(v.blobId, v.entryId);
    expect(await sentenceOf(commitReveal(v.commitment, v.signature))).to.equal(`Blob key ${v.blobId} was removed from the content blacklist (entry ${v.entryId}): serving it is no longer slashable.`);
  });

  it("slashes an unbonding (exiting) node", async () => {
    const v = await violation();
    await ctx.registry.startUnbonding(ctx.nodeId, BigInt(await time.latest()) + 14n * DAY);
    expect(await ctx.registry.isActive(await ctx.nodeKey.getAddress())).to.equal(false);
    const node = await ctx.registry.getNode(ctx.nodeId);
    expect(node.bond).to.equal(0n);
    expect(node.unbonding).to.equal(NODE_BOND);
    await expect(commitReveal(v.commitment, v.signature))
      .to.emit(ctx.channels, "NodeSlashed")
      .withArgs(ctx.nodeId, v.entryId, v.channelId, v.blobId, reporterAddr, NODE_BOND / 10n, NODE_BOND / 20n, NODE_BOND / 20n);
    expect((await ctx.registry.getNode(ctx.nodeId)).unbonding).to.equal(NODE_BOND - NODE_BOND / 10n);
  });

  it("reverts when there is no bond left to slash", async () => {
    const emptyKey = ctx.others[3];
    await ctx.registry.register(await emptyKey.getAddress(), await ctx.others[4].getAddress(), 0n);
    const blobId = id("empty");
    const { effectiveAt } = await list(blobId);
    await time.setNextBlockTimestamp(effectiveAt);
    const { channelId } = await openChannel(ctx, { nodeKey: await emptyKey.getAddress() });
    const c = await commitmentFor(blobId, channelId);
    await expect(commitReveal(c, await sign(c, emptyKey)))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelNothingSlashed")
      .withArgs(2n);
  });

  it("credits the reward when the reporter cannot receive USDC", async () => {
    const v = await violation();
    const { salt } = await commit(v.commitment, v.signature);
    await ctx.usdc.connect(ctx.deployer).blacklist(reporterAddr);
    await expect(reveal(v.commitment, v.signature, salt)).to.emit(ctx.channels, "NodeSlashed");
    await finalise(v.blobId, v.entryId);
    expect(await ctx.channels.withdrawable(reporterAddr)).to.equal(NODE_BOND / 20n);
  });

  it("records commitments once and rejects evidence on unknown channels", async () => {
    const hash = id("some evidence");
    const anchor = await anchorNow();
    const key = await ctx.channels.evidenceCommitKey(hash, anchor.anchorBlock, anchor.anchorHash);
    const tx = await ctx.channels.connect(ctx.reporter).commitEvidence(hash, anchor.anchorBlock);
    await expect(tx).to.emit(ctx.channels, "EvidenceCommitted").withArgs(key, reporterAddr);
    const [ts, bn] = await ctx.channels.evidenceCommittedAt(key);
    expect(ts).to.equal(BigInt(await time.latest()));
    expect(bn).to.equal(BigInt((await tx.wait())!.blockNumber));
    await expect(ctx.channels.connect(ctx.watchtower).commitEvidence(hash, anchor.anchorBlock)).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelEvidenceAlreadyCommitted").withArgs(key);
    const ghost = await commitmentFor(id("b"), id("no such channel"));
    await expect(commitReveal(ghost, await sign(ghost)))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelUnknown")
      .withArgs(ghost.channelId);
    void USDC;
  });
});
