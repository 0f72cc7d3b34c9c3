/**
 * Reentrancy through a malicious token, and balance-delta accounting with a fee-on-transfer token.
 * MockReentrantToken calls back into the channel contract from inside transfer/transferFrom; every
 * such call must fail with the reentrancy guard's error and leave the accounting exact.
 */
import { expect } from "chai";
import { network } from "hardhat";
import { id, type Signer } from "ethers";
import { domainFor } from "../../agents/protocol/eip712.js";
import { DAY, NO_AUTH, USDC, ZERO_ADDRESS, latestAnchor, nextNonce, openChannel, signCommitment, signVoucher } from "../helpers/channels.js";
import type { MockContentBlacklist, MockNodeRegistry, MockReentrantToken, PaymentChannel, ProtocolParams } from "../../types/ethers-contracts/index.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const GUARD_ERROR = id("ReentrancyGuardReentrantCall()").slice(0, 10);

describe("PaymentChannel reentrancy (malicious token)", function () {
  async function fixture() {
    const [deployer, governance, treasury, payer, operator, nodeKey, reporter] = await ethers.getSigners();
    const token = (await ethers.deployContract("MockReentrantToken")) as unknown as MockReentrantToken;
    const params = (await ethers.deployContract("ProtocolParams", [governance.address])) as unknown as ProtocolParams;
    const registry = (await ethers.deployContract("MockNodeRegistry", [await token.getAddress()])) as unknown as MockNodeRegistry;
    const blacklist = (await ethers.deployContract("MockContentBlacklist")) as unknown as MockContentBlacklist;
    const channels = (await ethers.deployContract("PaymentChannel", [
      await token.getAddress(),
      await params.getAddress(),
      await registry.getAddress(),
      await blacklist.getAddress(),
      treasury.address,
    ])) as unknown as PaymentChannel;
    const address = await channels.getAddress();
    await registry.setSlasher(address);
    await token.mint(await registry.getAddress(), 1_000n * USDC);
    await registry.register(nodeKey.address, operator.address, 1_000n * USDC);
    await token.mint(payer.address, 1_000n * USDC);
    await token.connect(payer).approve(address, ethers.MaxUint256);
    const { chainId } = await ethers.provider.getNetwork();
    const domain = domainFor("paymentChannel", chainId, address);
    return { deployer, governance, treasury, payer, operator, nodeKey, reporter, token, params, registry, blacklist, channels, address, domain };
  }
  type Ctx = Awaited<ReturnType<typeof fixture>>;
  let ctx: Ctx;
  beforeEach(async () => {
    ctx = await networkHelpers.loadFixture(fixture);
  });

  const open = async (deposit = 100n * USDC) => (await openChannel(ctx, { deposit })).channelId;
  const voucher = (channelId: string, amount: bigint, signer: Signer = ctx.payer) => signVoucher(signer, ctx.domain, channelId, amount);
  async function expectBlocked() {
    expect(await ctx.token.attempts()).to.equal(1n);
    expect(await ctx.token.successes()).to.equal(0n);
    expect((await ctx.token.lastRevertData()).slice(0, 10)).to.equal(GUARD_ERROR);
  }
  async function expectSolvent(channelIds: string[]) {
    let owed = (await ctx.channels.totalWithdrawable()) + (await ctx.channels.pendingSlashRewards()) + (await ctx.channels.protocolFees()).owed;
    for (const c of channelIds) owed += await ctx.channels.balanceOf(c);
    expect(await ctx.token.balanceOf(ctx.address)).to.equal(owed);
  }

  it("blocks a reentrant open during the deposit's transferFrom", async () => {
    const payload = ctx.channels.interface.encodeFunctionData("open", [ctx.nodeKey.address, 1n * USDC, ZERO_ADDRESS, 0n, nextNonce()]);
    await ctx.token.arm(ctx.address, payload);
    const channelId = await open();
    await expectBlocked();
    await expectSolvent([channelId]);
  });

  it("blocks a second claim of the same voucher from inside the operator's withdrawal", async () => {
    const channelId = await open();
    const sig = await voucher(channelId, 40n * USDC);
    // The token reenters as if it were the payee's key; the guard stops it before any check. The claim
    // itself makes no token call (the operator's share is credited): the withdrawal's transfer is the hook.
    await ctx.token.arm(ctx.address, ctx.channels.interface.encodeFunctionData("claim", [channelId, 40n * USDC, sig]));
    await ctx.channels.connect(ctx.operator).claim(channelId, 40n * USDC, sig);
    expect(await ctx.token.attempts()).to.equal(0n);
    await ctx.channels.connect(ctx.operator).withdrawNodeCredit(1n); // the only node
    await expectBlocked();
    expect((await ctx.channels.getChannel(channelId)).paid).to.equal(40n * USDC);
    expect(await ctx.token.balanceOf(ctx.operator.address)).to.equal(40n * USDC - 2n * USDC);
    expect((await ctx.channels.protocolFees()).owed).to.equal(2n * USDC);
    await expectSolvent([channelId]);
  });

  it("blocks a reentrant close or settle from inside the payer's refund", async () => {
    const channelId = await open();
    await ctx.token.arm(ctx.address, ctx.channels.interface.encodeFunctionData("closeByPayee", [channelId, 0n, "0x"]));
    const sig = await voucher(channelId, 10n * USDC);
    // Arming fires on the first transfer (the refund: the operator's share is credited).
    await ctx.channels.connect(ctx.operator).closeByPayee(channelId, 10n * USDC, sig);
    await expectBlocked();
    expect(await ctx.token.balanceOf(ctx.payer.address)).to.equal(1_000n * USDC - 10n * USDC);
    await expectSolvent([channelId]);

    const second = await open();
    await ctx.channels.connect(ctx.payer).closeByPayer(second);
    await networkHelpers.time.increase(DAY + 1n);
    await ctx.token.arm(ctx.address, ctx.channels.interface.encodeFunctionData("settle", [second]));
    const before = await ctx.token.successes();
    await ctx.channels.settle(second);
    expect(await ctx.token.successes()).to.equal(before);
    expect((await ctx.token.lastRevertData()).slice(0, 10)).to.equal(GUARD_ERROR);
    expect(await ctx.token.balanceOf(ctx.payer.address)).to.equal(1_000n * USDC - 10n * USDC);
    await expectSolvent([channelId, second]);
  });

  it("blocks a reentrant dispute from inside the operator's withdrawal of a dispute's payout", async () => {
    const channelId = await open();
    await ctx.channels.connect(ctx.payer).closeByPayer(channelId);
    const sig = await voucher(channelId, 30n * USDC);
    const higher = await voucher(channelId, 50n * USDC);
    await ctx.token.arm(ctx.address, ctx.channels.interface.encodeFunctionData("dispute", [channelId, 50n * USDC, higher, NO_AUTH, "0x"]));
    await ctx.channels.dispute(channelId, 30n * USDC, sig, NO_AUTH, "0x");
    expect(await ctx.token.attempts()).to.equal(0n); // credited: no transfer to reenter from
    await ctx.channels.connect(ctx.operator).withdrawNodeCredit(1n); // the only node
    await expectBlocked();
    expect((await ctx.channels.getChannel(channelId)).paid).to.equal(30n * USDC);
    await expectSolvent([channelId]);
  });

  it("blocks a reentrant reveal from inside the registry's slash transfer", async () => {
    const blobId = id("bad blob");
    await ctx.blacklist.add(blobId, 3600n);
    await networkHelpers.time.increase(3600n);
    const channelId = await open();
    const commitment = { blobId, client: ctx.payer.address, channelId, ...(await latestAnchor(ethers.provider)) };
    const signature = await signCommitment(ctx.nodeKey, ctx.domain, commitment);
    const salt = id("salt");
    await ctx.channels.connect(ctx.reporter).commitEvidence(await ctx.channels.evidenceCommitHash(ctx.reporter.address, commitment, signature, salt), commitment.anchorBlock);
    await ctx.token.arm(ctx.address, ctx.channels.interface.encodeFunctionData("revealEvidence", [commitment, signature, salt]));
    await ctx.channels.connect(ctx.reporter).revealEvidence(commitment, signature, salt);
    await expectBlocked();
    expect(await ctx.channels.pendingSlashRewards()).to.equal(50n * USDC);
    await expectSolvent([channelId]);
  });

  it("accounts deposits by balance delta (fee-on-transfer token)", async () => {
    await ctx.token.setTransferFee(100n); // 1 % burnt on every transfer
    const channelId = await open(100n * USDC);
    expect((await ctx.channels.getChannel(channelId)).deposit).to.equal(99n * USDC);
    await ctx.channels.connect(ctx.payer).topUp(channelId, 10n * USDC);
    expect((await ctx.channels.getChannel(channelId)).deposit).to.equal(99n * USDC + 9_900_000n);
    await expectSolvent([channelId]);
    // The minimum deposit applies to what arrived.
    await expect(ctx.channels.connect(ctx.payer).open(ctx.nodeKey.address, 1n * USDC, ZERO_ADDRESS, 0n, nextNonce()))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelDepositTooLow")
      .withArgs(990_000n, 1n * USDC);
  });
});
