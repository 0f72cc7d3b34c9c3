/**
 * PaymentChannel wired to the real NodeRegistry and ContentBlacklist (test/helpers/registry-fixture.ts),
 * the way deploy/modules/Protocol.ts wires them: the registry's slasher is the channel contract,
 * set once with initializeSlasher. Gas against the real registry goes to gas/channels-registry.json.
 */
import { expect } from "chai";
import { network } from "hardhat";
import { hexlify, randomBytes } from "ethers";
import { domainFor } from "../../agents/protocol/eip712.js";
import { GasRecorder } from "../helpers/gas.js";
import { NO_AUTH, ZERO_ADDRESS, latestAnchor, nextNonce, openChannel, signCommitment, signVoucher } from "../helpers/channels.js";
import { USDC, deployRegistryFixture, registerNode, signPermit } from "../helpers/registry-fixture.js";
import type { PaymentChannel } from "../../types/ethers-contracts/index.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { time } = networkHelpers;

describe("PaymentChannel with the real NodeRegistry and ContentBlacklist", function () {
  async function fixture() {
    const r = await deployRegistryFixture(ethers, { slasher: null });
    const channels = (await ethers.deployContract("PaymentChannel", [
      await r.usdc.getAddress(),
      await r.params.getAddress(),
      await r.registry.getAddress(),
      await r.blacklist.getAddress(),
      r.timelock.address, // treasury = the timelock
    ])) as unknown as PaymentChannel;
    const address = await channels.getAddress();
    await r.registry.connect(r.deployer).initializeSlasher(address);
    const registered = await registerNode(r, { capacityMbps: 100 });
    const payer = r.other;
    // The treasury (timelock) already holds USDC, so gas figures are steady-state.
    await r.usdc.mint(r.timelock.address, 1n * USDC);
    await r.usdc.connect(payer).approve(address, ethers.MaxUint256);
    const domain = domainFor("paymentChannel", r.chainId, address);
    return { ...r, channels, address, registered, payer, domain };
  }
  type Ctx = Awaited<ReturnType<typeof fixture>>;
  let ctx: Ctx;
  beforeEach(async () => {
    ctx = await networkHelpers.loadFixture(fixture);
  });

  const open = (deposit = 100n * USDC) => openChannel({ ...ctx, nodeKey: ctx.registered.node.address }, { deposit });

  it("opens with the registry's operator and node id, pays through vouchers, settles", async () => {
    const gas = new GasRecorder("channels-registry");
    // Warm the channel contract's USDC balance, its fee ledger and the operator's credit (steady state:
    // an operator withdraws many payouts at once, so its credit is rarely empty).
    const warm = await open();
    await ctx.channels.connect(ctx.operator).claim(warm.channelId, 1n * USDC, await signVoucher(ctx.payer, ctx.domain, warm.channelId, 1n * USDC));
    const { channelId, tx } = await open();
    const openGas = await gas.record("open", tx);
    await expect(tx)
      .to.emit(ctx.channels, "ChannelOpened")
      .withArgs(channelId, ctx.payer.address, ctx.registered.nodeId, ctx.registered.node.address, ctx.operator.address, ctx.payer.address, 0n, 500n, 100n * USDC);
    const info = await ctx.channels.getChannel(channelId);
    expect(info.nodeId).to.equal(ctx.registered.nodeId);
    expect(info.operator).to.equal(ctx.operator.address);

    const [, operatorBefore] = await ctx.channels.nodeCredit(ctx.registered.nodeId);
    // The node agent claims with its node key (a plain wallet here; give it gas money).
    const nodeWallet = ctx.registered.node.wallet.connect(ethers.provider);
    await ctx.deployer.sendTransaction({ to: nodeWallet.address, value: ethers.parseEther("1") });
    const claimTx = await ctx.channels.connect(nodeWallet).claim(channelId, 10n * USDC, await signVoucher(ctx.payer, ctx.domain, channelId, 10n * USDC));
    await gas.record("claim", claimTx);
    // credited to the node's account, which only its operator withdraws (not the node key that claimed)
    const [recorded, credit] = await ctx.channels.nodeCredit(ctx.registered.nodeId);
    expect([recorded, credit - operatorBefore]).to.deep.equal([ctx.operator.address, 9_500_000n]);
    expect(await ctx.channels.withdrawable(ctx.operator.address)).to.equal(0n);
    // the fees (5 %) accrue for the treasury until it withdraws them
    expect((await ctx.channels.protocolFees()).owed).to.equal(50_000n + 500_000n);

    await gas.record("closeByPayer", await ctx.channels.connect(ctx.payer).closeByPayer(channelId));
    await gas.record("dispute", await ctx.channels.connect(ctx.other).dispute(channelId, 20n * USDC, await signVoucher(ctx.payer, ctx.domain, channelId, 20n * USDC), NO_AUTH, "0x"));
    await time.increase(await ctx.params.disputeWindow());
    await gas.record("settle", await ctx.channels.settle(channelId));
    expect(await ctx.channels.balanceOf(channelId)).to.equal(0n);

    // One-transaction open with a permit, from an account that never approved.
    const fresh = ctx.operator2;
    const permit = await signPermit(ctx, fresh, ctx.address, 50n * USDC);
    const openWithPermitGas = await gas.record(
      "openWithPermit",
      await ctx.channels.connect(fresh).openWithPermit(ctx.registered.node.address, 50n * USDC, ZERO_ADDRESS, 0n, nextNonce(), permit.deadline, permit.v, permit.r, permit.s),
    );
    gas.check();
    // The channel-opening targets hold with the real registry (docs/channels.md, Gas).
    expect(openGas).to.be.at.most(130_000n);
    expect(openWithPermitGas).to.be.at.most(170_000n);
  });

  /** A blob blacklisted by the DAO and in force, and a channel opened to the registered node after that (slashable evidence can follow). */
  async function blacklistedBlobAndChannel() {
    const blobId = hexlify(randomBytes(32));
    await ctx.blacklist.connect(ctx.timelock).add(await ctx.blacklist.blobKeyOf(blobId));
    const entry = await ctx.blacklist.entryOf(blobId);
    await time.increaseTo(entry.effectiveAt);
    const { channelId } = await open();
    const nodeId = ctx.registered.nodeId;
    return { blobId, entry, channelId, nodeId, bond: (await ctx.registry.getNode(nodeId)).bond };
  }

  it("refuses a node that deregistered, and still slashes its unbonding bond", async () => {
    const { blobId, entry, channelId, nodeId, bond } = await blacklistedBlobAndChannel();
    await ctx.registry.connect(ctx.operator).deregister(nodeId);
    await expect(open()).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelNodeNotActive").withArgs(ctx.registered.node.address);

    const commitment = { blobId, client: ctx.payer.address, channelId, ...(await latestAnchor(ethers.provider)) };
    const signature = await signCommitment(ctx.registered.node.wallet, ctx.domain, commitment);
    const reporter = ctx.operator2;
    const salt = hexlify(randomBytes(32));
    await ctx.channels.connect(reporter).commitEvidence(await ctx.channels.evidenceCommitHash(reporter.address, commitment, signature, salt), commitment.anchorBlock);
    const slashBps = await ctx.params.slashBps();
    const slash = (bond * slashBps) / 10_000n;
    const reporterBefore = await ctx.usdc.balanceOf(reporter.address);
    const tx = ctx.channels.connect(reporter).revealEvidence(commitment, signature, salt);
    await expect(tx).to.emit(ctx.registry, "NodeSlashed").withArgs(nodeId, ctx.address, slashBps, slash);
    await expect(tx)
      .to.emit(ctx.channels, "NodeSlashed")
      .withArgs(nodeId, entry.entryId, channelId, blobId, reporter.address, slash, slash / 2n, slash - slash / 2n);
    expect((await ctx.registry.getNode(nodeId)).unbonding).to.equal(bond - slash);
    const record = await ctx.channels.slashRecord(nodeId, blobId, entry.entryId);
    await time.increaseTo(record.finalAt + 1n);
    await ctx.channels.claimSlashReward(nodeId, blobId, entry.entryId);
    await ctx.channels.connect(reporter).withdraw();
    await ctx.channels.withdrawTreasury();
    expect((await ctx.usdc.balanceOf(reporter.address)) - reporterBefore).to.equal(slash / 2n);
    // The channel contract keeps exactly the channel's balance.
    expect(await ctx.usdc.balanceOf(ctx.address)).to.equal(await ctx.channels.balanceOf(channelId));
  });
  it("slashing evidence survives a USDC pause: the reveal slashes and credits; the shares are paid once unpaused", async () => {
    const { blobId, entry, channelId, nodeId, bond } = await blacklistedBlobAndChannel();
    const commitment = { blobId, client: ctx.payer.address, channelId, ...(await latestAnchor(ethers.provider)) };
    const signature = await signCommitment(ctx.registered.node.wallet, ctx.domain, commitment);
    const reporter = ctx.operator2;
    const salt = hexlify(randomBytes(32));
    await ctx.channels.connect(reporter).commitEvidence(await ctx.channels.evidenceCommitHash(reporter.address, commitment, signature, salt), commitment.anchorBlock);
    // The issuer pauses the token: every transfer reverts.
    await ctx.usdc.connect(ctx.deployer).pause();
    const slash = (bond * (await ctx.params.slashBps())) / 10_000n;
    await expect(ctx.channels.connect(reporter).revealEvidence(commitment, signature, salt))
      .to.emit(ctx.channels, "NodeSlashed")
      .withArgs(nodeId, entry.entryId, channelId, blobId, reporter.address, slash, slash / 2n, slash - slash / 2n);
    expect((await ctx.registry.getNode(nodeId)).bond).to.equal(bond - slash);
    expect(await ctx.registry.slashedOwed()).to.equal(slash);
    expect(await ctx.channels.withdrawable(ctx.timelock.address)).to.equal(slash - slash / 2n);
    const record = await ctx.channels.slashRecord(nodeId, blobId, entry.entryId);
    await time.increaseTo(record.finalAt + 1n);
    await ctx.channels.claimSlashReward(nodeId, blobId, entry.entryId);
    // Unpaused: withdrawals collect what the registry still holds for this contract.
    await ctx.usdc.connect(ctx.deployer).unpause();
    const before = await ctx.usdc.balanceOf(reporter.address);
    await ctx.channels.connect(reporter).withdraw();
    await ctx.channels.withdrawTreasury();
    expect((await ctx.usdc.balanceOf(reporter.address)) - before).to.equal(slash / 2n);
    expect(await ctx.registry.slashedOwed()).to.equal(0n);
    expect(await ctx.usdc.balanceOf(ctx.address)).to.equal(await ctx.channels.balanceOf(channelId));
  });
});
