import { expect } from "chai";
import { network } from "hardhat";
import { AbiCoder, TypedDataEncoder, id, keccak256, type Signer, type Wallet } from "ethers";
import { Voucher, ServeCommitment, WatchtowerAuth, domainFor } from "../../agents/protocol/eip712.js";
import { signPermit } from "../../agents/chain/permit.js";
import { GasRecorder } from "../helpers/gas.js";
import { expectRejectsZeroAddresses } from "../helpers/wiring.js";
import {
  DAY,
  NO_AUTH,
  SECP256K1_N,
  USDC,
  ZERO_ADDRESS,
  channelDomain,
  deployChannels,
  malleate,
  nextNonce,
  openChannel,
  randomWallet,
  signAuth,
  signVoucher,
  type ChannelContext,
} from "../helpers/channels.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { time } = networkHelpers;

const Status = { None: 0n, Open: 1n, Closing: 2n, Closed: 3n };
const FEE_BPS = 500n;
const fee = (total: bigint, bps = FEE_BPS) => (total * bps) / 10_000n;

describe("PaymentChannel", function () {
  const fixture = () => deployChannels(connection);
  let ctx: ChannelContext;
  let payerAddr: string, operatorAddr: string, nodeKeyAddr: string, treasuryAddr: string;
  beforeEach(async () => {
    ctx = await networkHelpers.loadFixture(fixture);
    payerAddr = await ctx.payer.getAddress();
    operatorAddr = await ctx.operator.getAddress();
    nodeKeyAddr = await ctx.nodeKey.getAddress();
    treasuryAddr = await ctx.treasury.getAddress();
  });

  /** The credits of the nodes whose recorded operator is `a` (every node a channel was opened to). */
  const nodeCredits = async (a: string) => {
    const nodeIds = new Set((await ctx.channels.queryFilter(ctx.channels.filters.ChannelOpened())).map((l) => l.args.nodeId));
    let sum = 0n;
    for (const nodeId of nodeIds) {
      const [operator, credit] = await ctx.channels.nodeCredit(nodeId);
      if (operator === a) sum += credit;
    }
    return sum;
  };
  /** USDC `a` owns: its token balance plus its withdrawable credit in the channel contract (refunds and
   * bounties that could not be transferred), the credits of the nodes it operates (operator payouts,
   * collected with `withdrawNodeCredit`) and, for the treasury, the protocol fees owed. */
  const bal = async (a: string) => (await ctx.usdc.balanceOf(a)) + (await ctx.channels.withdrawable(a)) + (await nodeCredits(a)) + (a === treasuryAddr ? (await ctx.channels.protocolFees()).owed : 0n);
  async function balances(addrs: string[]) {
    return Promise.all(addrs.map((a) => bal(a)));
  }
  async function deltas(addrs: string[], action: () => Promise<unknown>) {
    const before = await balances(addrs);
    await action();
    const after = await balances(addrs);
    return after.map((v, i) => v - before[i]);
  }
  const domain = () => channelDomain(ctx);
  const voucher = (signer: Signer, channelId: string, amount: bigint) => signVoucher(signer, domain(), channelId, amount);
  async function blockTime(tx: { wait: () => Promise<unknown> }) {
    const receipt = (await tx.wait()) as { blockNumber: number };
    return BigInt((await ethers.provider.getBlock(receipt.blockNumber))!.timestamp);
  }
  async function startClose(channelId: string) {
    const tx = await ctx.channels.connect(ctx.payer).closeByPayer(channelId);
    const t = await blockTime(tx);
    return t + (await ctx.params.disputeWindow());
  }

  describe("deployment", () => {
    it("fixes its wiring and rejects a zero address", async () => {
      expect(await ctx.channels.TOKEN()).to.equal(await ctx.usdc.getAddress());
      expect(await ctx.channels.PARAMS()).to.equal(await ctx.params.getAddress());
      expect(await ctx.channels.REGISTRY()).to.equal(await ctx.registry.getAddress());
      expect(await ctx.channels.BLACKLIST()).to.equal(await ctx.blacklist.getAddress());
      expect(await ctx.channels.TREASURY()).to.equal(treasuryAddr);
      await expectRejectsZeroAddresses(ethers, "PaymentChannel", [ctx.usdc, ctx.params, ctx.registry, ctx.blacklist, treasuryAddr]);
    });
  });

  // ================================================================ open
  describe("open", () => {
    it("opens with a deposit and snapshots node key, operator, fee and openedAt", async () => {
      const nonce = nextNonce();
      const expectedId = keccak256(AbiCoder.defaultAbiCoder().encode(["uint256", "address", "address", "address", "bytes32"], [ctx.chainId, ctx.address, payerAddr, nodeKeyAddr, nonce]));
      const { channelId, tx } = await openChannel(ctx, { nonce, deposit: 50n * USDC });
      expect(channelId).to.equal(expectedId);
      await expect(tx)
        .to.emit(ctx.channels, "ChannelOpened")
        .withArgs(channelId, payerAddr, ctx.nodeId, nodeKeyAddr, operatorAddr, payerAddr, 0n, FEE_BPS, 50n * USDC);
      const c = await ctx.channels.getChannel(channelId);
      expect(c.payer).to.equal(payerAddr);
      expect(c.status).to.equal(Status.Open);
      expect(c.nodeKey).to.equal(nodeKeyAddr);
      expect(c.nodeId).to.equal(ctx.nodeId);
      expect(c.operator).to.equal(operatorAddr);
      expect(c.voucherSigner).to.equal(payerAddr);
      expect(c.signerExpiry).to.equal(0n);
      expect(c.openedAt).to.equal(await blockTime(tx));
      expect(c.closesAt).to.equal(0n);
      expect(c.feeBps).to.equal(FEE_BPS);
      expect(c.deposit).to.equal(50n * USDC);
      expect(c.paid).to.equal(0n);
      expect(await ctx.channels.balanceOf(channelId)).to.equal(50n * USDC);
      expect(await bal(ctx.address)).to.equal(50n * USDC);
    });

    it("accepts exactly the minimum deposit and rejects one unit less", async () => {
      const min = await ctx.params.minChannelDeposit();
      await openChannel(ctx, { deposit: min });
      await expect(openChannel(ctx, { deposit: min - 1n }))
        .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelDepositTooLow")
        .withArgs(min - 1n, min);
    });

    it("rejects a node that is not active, an unknown key and a rotated-out key", async () => {
      await ctx.registry.setActive(ctx.nodeId, false);
      await expect(openChannel(ctx)).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelNodeNotActive").withArgs(nodeKeyAddr);
      await ctx.registry.setActive(ctx.nodeId, true);
      const stranger = randomWallet().address;
      await expect(openChannel(ctx, { nodeKey: stranger })).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelNodeNotActive");
      const newKey = randomWallet().address;
      await ctx.registry.rotateKey(ctx.nodeId, newKey);
      await expect(openChannel(ctx)).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelNodeNotActive");
      await openChannel(ctx, { nodeKey: newKey });
    });

    it("never reuses a channel id, even after the channel closed", async () => {
      const nonce = nextNonce();
      const { channelId } = await openChannel(ctx, { nonce });
      await expect(openChannel(ctx, { nonce })).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelAlreadyExists").withArgs(channelId);
      await ctx.channels.connect(ctx.operator).closeByPayee(channelId, 0n, "0x");
      await expect(openChannel(ctx, { nonce })).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelAlreadyExists");
      // The same nonce from another payer is another id.
      const other = await openChannel(ctx, { nonce, payer: ctx.payer2 });
      expect(other.channelId).to.not.equal(channelId);
    });

    it("binds the id to the chain and the contract", async () => {
      const nonce = nextNonce();
      const id1 = await ctx.channels.channelIdFor(payerAddr, nodeKeyAddr, nonce);
      const other = await ethers.deployContract("PaymentChannel", [
        await ctx.usdc.getAddress(),
        await ctx.params.getAddress(),
        await ctx.registry.getAddress(),
        await ctx.blacklist.getAddress(),
        treasuryAddr,
      ]);
      expect(await other.channelIdFor(payerAddr, nodeKeyAddr, nonce)).to.not.equal(id1);
    });

    it("rejects the payee as voucher signer or as payer", async () => {
      for (const signer of [operatorAddr, nodeKeyAddr]) {
        await expect(openChannel(ctx, { voucherSigner: signer, signerExpiry: 2n ** 40n - 1n }))
          .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelSignerIsPayee")
          .withArgs(signer);
      }
      await ctx.usdc.connect(ctx.operator).approve(ctx.address, ethers.MaxUint256);
      await ctx.usdc.mint(operatorAddr, 10n * USDC);
      await expect(openChannel(ctx, { payer: ctx.operator, deposit: 5n * USDC }))
        .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelSignerIsPayee")
        .withArgs(operatorAddr);
    });

    it("requires a session key expiry in the future", async () => {
      const key = randomWallet().address;
      const now = BigInt(await time.latest());
      await time.setNextBlockTimestamp(now + 10n);
      await expect(openChannel(ctx, { voucherSigner: key, signerExpiry: now + 10n }))
        .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelInvalidSignerExpiry")
        .withArgs(now + 10n, now + 10n);
      await expect(openChannel(ctx, { voucherSigner: key, signerExpiry: 0n })).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelInvalidSignerExpiry");
      const { channelId } = await openChannel(ctx, { voucherSigner: key, signerExpiry: now + DAY });
      const c = await ctx.channels.getChannel(channelId);
      expect(c.voucherSigner).to.equal(key);
      expect(c.signerExpiry).to.equal(now + DAY);
    });

    it("treats the payer named as its own signer as no session key", async () => {
      const { channelId } = await openChannel(ctx, { voucherSigner: payerAddr, signerExpiry: 5n });
      const c = await ctx.channels.getChannel(channelId);
      expect(c.voucherSigner).to.equal(payerAddr);
      expect(c.signerExpiry).to.equal(0n);
    });

    it("keeps the fee and operator snapshotted at open for the channel's life", async () => {
      const { channelId } = await openChannel(ctx);
      await ctx.params.connect(ctx.governance).setParameter(await ctx.params.PROTOCOL_FEE_BPS(), 750n);
      const newOperator = await ctx.others[0].getAddress();
      await ctx.registry.setOperator(ctx.nodeId, newOperator);
      const [op, tr, newOp] = await deltas([operatorAddr, treasuryAddr, newOperator], async () =>
        ctx.channels.connect(ctx.nodeKey).claim(channelId, 10n * USDC, await voucher(ctx.payer, channelId, 10n * USDC)),
      );
      expect(tr).to.equal(fee(10n * USDC));
      expect(op).to.equal(10n * USDC - fee(10n * USDC));
      expect(newOp).to.equal(0n);
      // A channel opened now takes the new fee and operator.
      const second = await openChannel(ctx);
      const c = await ctx.channels.getChannel(second.channelId);
      expect(c.feeBps).to.equal(750n);
      expect(c.operator).to.equal(newOperator);
    });

    it("pays each channel the operator its node had at its opening, also when a registry changed it in between", async () => {
      // NodeRegistry fixes a node's operator at registration; the contract does not rely on it.
      const first = await openChannel(ctx);
      const newOperator = await ctx.others[0].getAddress();
      await ctx.registry.setOperator(ctx.nodeId, newOperator);
      const second = await openChannel(ctx);
      const [oldOp, newOp] = await deltas([operatorAddr, newOperator], async () => {
        await ctx.channels.connect(ctx.nodeKey).claim(first.channelId, 10n * USDC, await voucher(ctx.payer, first.channelId, 10n * USDC));
        await ctx.channels.connect(ctx.nodeKey).claim(second.channelId, 20n * USDC, await voucher(ctx.payer, second.channelId, 20n * USDC));
      });
      expect(oldOp).to.equal(10n * USDC - fee(10n * USDC));
      expect(newOp).to.equal(20n * USDC - fee(20n * USDC));
      // Each operator acts on its own channel only.
      await expect(ctx.channels.connect(ctx.operator).claim(second.channelId, 30n * USDC, await voucher(ctx.payer, second.channelId, 30n * USDC))).to.be.revertedWithCustomError(
        ctx.channels,
        "PaymentChannelUnauthorized",
      );
      expect((await ctx.channels.getChannel(first.channelId)).operator).to.equal(operatorAddr);
    });

    it("refuses a deposit that does not fit the channel's 64-bit amounts instead of truncating it", async () => {
      const tooMuch = 2n ** 64n;
      await ctx.usdc.mint(payerAddr, tooMuch);
      await expect(openChannel(ctx, { deposit: tooMuch }))
        .to.be.revertedWithCustomError(ctx.channels, "SafeCastOverflowedUintDowncast")
        .withArgs(64, tooMuch);
      const { channelId } = await openChannel(ctx, { deposit: tooMuch - 1n });
      await expect(ctx.channels.connect(ctx.payer).topUp(channelId, 1n)).to.be.revertedWithCustomError(ctx.channels, "SafeCastOverflowedUintDowncast").withArgs(64, tooMuch);
      expect((await ctx.channels.getChannel(channelId)).deposit).to.equal(tooMuch - 1n);
    });

    it("returns an empty record for an unknown id", async () => {
      const c = await ctx.channels.getChannel(id("nothing"));
      expect(c.status).to.equal(Status.None);
      expect(c.payer).to.equal(ZERO_ADDRESS);
    });

    it("lists a payer's and a node's channels from ChannelOpened logs, read in one call", async () => {
      const a = await openChannel(ctx, { deposit: 3n * USDC });
      const b = await openChannel(ctx, { payer: ctx.payer2, deposit: 4n * USDC });
      const c = await openChannel(ctx, { deposit: 5n * USDC });
      const byPayer = await ctx.channels.queryFilter(ctx.channels.filters.ChannelOpened(undefined, payerAddr));
      expect(byPayer.map((e) => e.args.channelId)).to.deep.equal([a.channelId, c.channelId]);
      const byNode = await ctx.channels.queryFilter(ctx.channels.filters.ChannelOpened(undefined, undefined, ctx.nodeId));
      expect(byNode.map((e) => e.args.channelId)).to.deep.equal([a.channelId, b.channelId, c.channelId]);
      const infos = await ctx.channels.getChannels(byNode.map((e) => e.args.channelId));
      expect(infos.map((i) => i.deposit)).to.deep.equal([3n * USDC, 4n * USDC, 5n * USDC]);
      expect(infos[1].payer).to.equal(await ctx.payer2.getAddress());
    });
  });

  // ================================================================ permit
  describe("open and top up with permit", () => {
    async function permit(owner: Signer, value: bigint, deadline: bigint) {
      return signPermit(owner, await ctx.usdc.getAddress(), { spender: ctx.address, value, deadline });
    }
    let fresh: Signer;
    beforeEach(async () => {
      fresh = ctx.others[1];
      await ctx.usdc.mint(await fresh.getAddress(), 100n * USDC);
    });
    /** Opens a channel from `fresh`, which never approved, with a permit for `value` in one transaction. */
    async function openWithPermit(value: bigint) {
      const deadline = BigInt(await time.latest()) + HOUR_S;
      const sig = await permit(fresh, value, deadline);
      const nonce = nextNonce();
      const channelId = await ctx.channels.channelIdFor(await fresh.getAddress(), nodeKeyAddr, nonce);
      await ctx.channels.connect(fresh).openWithPermit(nodeKeyAddr, value, ZERO_ADDRESS, 0n, nonce, deadline, sig.v, sig.r, sig.s);
      return { channelId, deadline };
    }

    it("opens in one transaction without a prior approval", async () => {
      const { channelId } = await openWithPermit(20n * USDC);
      expect((await ctx.channels.getChannel(channelId)).deposit).to.equal(20n * USDC);
    });

    it("still opens when the permit was front-run (already used)", async () => {
      const deadline = BigInt(await time.latest()) + HOUR_S;
      const sig = await permit(fresh, 20n * USDC, deadline);
      const freshAddr = await fresh.getAddress();
      // An observer submits the same permit first.
      await ctx.usdc.connect(ctx.others[2]).permit(freshAddr, ctx.address, 20n * USDC, deadline, sig.v, sig.r, sig.s);
      const nonce = nextNonce();
      await expect(ctx.channels.connect(fresh).openWithPermit(nodeKeyAddr, 20n * USDC, ZERO_ADDRESS, 0n, nonce, deadline, sig.v, sig.r, sig.s)).to.emit(ctx.channels, "ChannelOpened");
    });

    it("reverts on the transfer when the permit is invalid and there is no allowance", async () => {
      const deadline = BigInt(await time.latest()) + HOUR_S;
      const sig = await permit(ctx.others[3], 20n * USDC, deadline); // signed by someone else
      await expect(ctx.channels.connect(fresh).openWithPermit(nodeKeyAddr, 20n * USDC, ZERO_ADDRESS, 0n, nextNonce(), deadline, sig.v, sig.r, sig.s)).to.be.revertedWith(
        "ERC20: transfer amount exceeds allowance",
      );
    });

    it("tops up with a permit", async () => {
      const { channelId, deadline } = await openWithPermit(10n * USDC);
      const sig = await permit(fresh, 5n * USDC, deadline);
      await expect(ctx.channels.connect(fresh).topUpWithPermit(channelId, 5n * USDC, deadline, sig.v, sig.r, sig.s))
        .to.emit(ctx.channels, "ChannelToppedUp")
        .withArgs(channelId, 5n * USDC, 15n * USDC);
    });
  });

  // ================================================================ top up
  describe("topUp", () => {
    it("adds to the deposit, payer only, only while open", async () => {
      const { channelId } = await openChannel(ctx, { deposit: 10n * USDC });
      await expect(ctx.channels.connect(ctx.payer).topUp(channelId, 7n * USDC))
        .to.emit(ctx.channels, "ChannelToppedUp")
        .withArgs(channelId, 7n * USDC, 17n * USDC);
      await expect(ctx.channels.connect(ctx.payer2).topUp(channelId, 1n))
        .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelUnauthorized")
        .withArgs(await ctx.payer2.getAddress());
      await expect(ctx.channels.connect(ctx.payer).topUp(channelId, 0n)).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelZeroAmount");
      await ctx.channels.connect(ctx.payer).closeByPayer(channelId);
      await expect(ctx.channels.connect(ctx.payer).topUp(channelId, 1n)).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelWrongStatus").withArgs(channelId, Status.Closing);
      await expect(ctx.channels.connect(ctx.payer).topUp(id("x"), 1n)).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelUnknown");
    });

    it("lets a voucher above the deposit pay more after a top-up", async () => {
      const { channelId } = await openChannel(ctx, { deposit: 10n * USDC });
      const sig = await voucher(ctx.payer, channelId, 25n * USDC);
      await ctx.channels.connect(ctx.operator).claim(channelId, 25n * USDC, sig);
      expect((await ctx.channels.getChannel(channelId)).paid).to.equal(10n * USDC);
      await expect(ctx.channels.connect(ctx.operator).claim(channelId, 25n * USDC, sig))
        .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelVoucherTooLow")
        .withArgs(25n * USDC, 10n * USDC);
      await ctx.channels.connect(ctx.payer).topUp(channelId, 10n * USDC);
      await ctx.channels.connect(ctx.operator).claim(channelId, 25n * USDC, sig);
      expect((await ctx.channels.getChannel(channelId)).paid).to.equal(20n * USDC);
    });
  });

  // ================================================================ vouchers
  describe("vouchers (claim)", () => {
    let channelId: string;
    beforeEach(async () => {
      ({ channelId } = await openChannel(ctx, { deposit: 100n * USDC }));
    });

    it("pays the operator and the treasury and keeps the channel open", async () => {
      const amount = 12_345_679n;
      const sig = await voucher(ctx.payer, channelId, amount);
      const [op, tr, ch] = await deltas([operatorAddr, treasuryAddr, ctx.address], async () => {
        await expect(ctx.channels.connect(ctx.operator).claim(channelId, amount, sig))
          .to.emit(ctx.channels, "ChannelPaid")
          .withArgs(channelId, ctx.nodeId, amount, amount - fee(amount), fee(amount));
      });
      expect(op + tr).to.equal(amount);
      expect(tr).to.equal(fee(amount));
      // the fee (for the treasury) and the operator's share (credited) both stay in the contract
      expect(ch).to.equal(0n);
      expect(await ctx.channels.nodeCredit(ctx.nodeId)).to.deep.equal([operatorAddr, amount - fee(amount)]);
      const c = await ctx.channels.getChannel(channelId);
      expect(c.status).to.equal(Status.Open);
      expect(c.paid).to.equal(amount);
    });

    it("accepts claims from the node's current key; payouts stay with the operator", async () => {
      await ctx.channels.connect(ctx.nodeKey).claim(channelId, 1n * USDC, await voucher(ctx.payer, channelId, 1n * USDC));
      const rotated = ctx.others[4];
      await ctx.registry.rotateKey(ctx.nodeId, await rotated.getAddress());
      const [op] = await deltas([operatorAddr], async () => ctx.channels.connect(rotated).claim(channelId, 2n * USDC, await voucher(ctx.payer, channelId, 2n * USDC)));
      expect(op).to.equal(1n * USDC - (fee(2n * USDC) - fee(1n * USDC)));
      expect((await ctx.channels.getChannel(channelId)).nodeKey).to.equal(await rotated.getAddress());
    });

    it("rotation leaves a leaked key its powers: the old key can neither claim nor close an old channel voucherless", async () => {
      const voucher60 = await voucher(ctx.payer, channelId, 60n * USDC); // held by the node
      await ctx.registry.rotateKey(ctx.nodeId, await ctx.others[4].getAddress());
      // The leaked key tries to close the node's channel with no voucher (the payer would get all back).
      await expect(ctx.channels.connect(ctx.nodeKey).closeByPayee(channelId, 0n, "0x"))
        .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelUnauthorized")
        .withArgs(nodeKeyAddr);
      await expect(ctx.channels.connect(ctx.nodeKey).claim(channelId, 1n * USDC, await voucher(ctx.payer, channelId, 1n * USDC)))
        .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelUnauthorized")
        .withArgs(nodeKeyAddr);
      // The node's voucher is still worth its amount to the operator.
      const [op] = await deltas([operatorAddr], async () => ctx.channels.connect(ctx.operator).closeByPayee(channelId, 60n * USDC, voucher60));
      expect(op).to.equal(60n * USDC - fee(60n * USDC));
    });

    it("rejects a claim from anyone else", async () => {
      const sig = await voucher(ctx.payer, channelId, 1n * USDC);
      for (const s of [ctx.payer, ctx.watchtower]) {
        await expect(ctx.channels.connect(s).claim(channelId, 1n * USDC, sig))
          .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelUnauthorized")
          .withArgs(await s.getAddress());
      }
    });

    it("rejects a voucher signed by the wrong key", async () => {
      const wrong = randomWallet();
      await expect(ctx.channels.connect(ctx.operator).claim(channelId, 1n * USDC, await voucher(wrong, channelId, 1n * USDC)))
        .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelInvalidVoucherSigner")
        .withArgs(wrong.address);
      // The payee signing its own voucher is the wrong key too.
      await expect(ctx.channels.connect(ctx.operator).claim(channelId, 1n * USDC, await voucher(ctx.nodeKey, channelId, 1n * USDC)))
        .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelInvalidVoucherSigner")
        .withArgs(nodeKeyAddr);
    });

    it("rejects a voucher for another channel", async () => {
      const other = await openChannel(ctx);
      const sig = await voucher(ctx.payer, other.channelId, 1n * USDC);
      await expect(ctx.channels.connect(ctx.operator).claim(channelId, 1n * USDC, sig)).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelInvalidVoucherSigner");
      // and it does pay on its own channel
      await ctx.channels.connect(ctx.operator).claim(other.channelId, 1n * USDC, sig);
    });

    it("rejects a voucher for another chain id or another contract", async () => {
      const otherChain = await signVoucher(ctx.payer, domainFor("paymentChannel", ctx.chainId + 1n, ctx.address), channelId, 1n * USDC);
      await expect(ctx.channels.connect(ctx.operator).claim(channelId, 1n * USDC, otherChain)).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelInvalidVoucherSigner");
      const otherContract = await signVoucher(ctx.payer, domainFor("paymentChannel", ctx.chainId, await ctx.usdc.getAddress()), channelId, 1n * USDC);
      await expect(ctx.channels.connect(ctx.operator).claim(channelId, 1n * USDC, otherContract)).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelInvalidVoucherSigner");
      const otherName = await signVoucher(ctx.payer, domainFor("nodeRegistry", ctx.chainId, ctx.address), channelId, 1n * USDC);
      await expect(ctx.channels.connect(ctx.operator).claim(channelId, 1n * USDC, otherName)).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelInvalidVoucherSigner");
    });

    it("rejects a voucher not above what was paid", async () => {
      await ctx.channels.connect(ctx.operator).claim(channelId, 5n * USDC, await voucher(ctx.payer, channelId, 5n * USDC));
      for (const amount of [5n * USDC, 4n * USDC, 0n]) {
        await expect(ctx.channels.connect(ctx.operator).claim(channelId, amount, await voucher(ctx.payer, channelId, amount)))
          .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelVoucherTooLow")
          .withArgs(amount, 5n * USDC);
      }
    });

    it("rejects a malleable (high-s) signature and malformed ones", async () => {
      const sig = await voucher(ctx.payer, channelId, 1n * USDC);
      // The flipped signature (s → n − s, v flipped) recovers the same signer with raw ecrecover,
      // and is rejected by the contract.
      const flipped = malleate(sig);
      expect(BigInt("0x" + flipped.slice(66, 130))).to.be.greaterThan(SECP256K1_N / 2n);
      await expect(ctx.channels.connect(ctx.operator).claim(channelId, 1n * USDC, flipped)).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelInvalidSignature");
      await expect(ctx.channels.connect(ctx.operator).claim(channelId, 1n * USDC, sig.slice(0, 130))).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelInvalidSignature");
      await expect(ctx.channels.connect(ctx.operator).claim(channelId, 1n * USDC, "0x")).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelInvalidSignature");
      // The canonical form is accepted.
      await ctx.channels.connect(ctx.operator).claim(channelId, 1n * USDC, sig);
    });

    it("pays at most the deposit for a voucher above it", async () => {
      const [op, tr] = await deltas([operatorAddr, treasuryAddr], async () => ctx.channels.connect(ctx.operator).claim(channelId, 1_000n * USDC, await voucher(ctx.payer, channelId, 1_000n * USDC)));
      expect(op + tr).to.equal(100n * USDC);
      expect(await ctx.channels.balanceOf(channelId)).to.equal(0n);
    });

    it("splits the same way however often the node claims (cumulative fee)", async () => {
      const steps = [19n, 19n, 19n, 1n, 39n, 3n, 7n]; // amounts whose individual fees round to 0
      const other = await openChannel(ctx, { deposit: 100n * USDC });
      let total = 0n;
      const [opMany, trMany] = await deltas([operatorAddr, treasuryAddr], async () => {
        for (const step of steps) {
          total += step;
          await ctx.channels.connect(ctx.operator).claim(channelId, total, await voucher(ctx.payer, channelId, total));
        }
      });
      const [opOnce, trOnce] = await deltas([operatorAddr, treasuryAddr], async () =>
        ctx.channels.connect(ctx.operator).claim(other.channelId, total, await voucher(ctx.payer, other.channelId, total)),
      );
      expect(trMany).to.equal(trOnce);
      expect(opMany).to.equal(opOnce);
      expect(trOnce).to.equal(fee(total));
    });

    describe("session keys", () => {
      let sessionChannel: string;
      let expiry: bigint;
      const session = randomWallet();
      beforeEach(async () => {
        expiry = BigInt(await time.latest()) + DAY;
        ({ channelId: sessionChannel } = await openChannel(ctx, { voucherSigner: session.address, signerExpiry: expiry }));
      });

      it("accepts the session key up to its expiry (inclusive) and rejects it after", async () => {
        await ctx.channels.connect(ctx.operator).claim(sessionChannel, 1n, await voucher(session, sessionChannel, 1n));
        await time.setNextBlockTimestamp(expiry);
        await ctx.channels.connect(ctx.operator).claim(sessionChannel, 2n, await voucher(session, sessionChannel, 2n));
        await time.setNextBlockTimestamp(expiry + 1n);
        await expect(ctx.channels.connect(ctx.operator).claim(sessionChannel, 3n, await voucher(session, sessionChannel, 3n), { gasLimit: 500_000 }))
          .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelSessionKeyExpired")
          .withArgs(session.address, expiry);
      });

      it("still accepts the payer's own signature after the session key expired", async () => {
        await time.increaseTo(expiry + 10n);
        await ctx.channels.connect(ctx.operator).claim(sessionChannel, 4n, await voucher(ctx.payer, sessionChannel, 4n));
        expect((await ctx.channels.getChannel(sessionChannel)).paid).to.equal(4n);
      });

      it("does not accept the session key on another channel of the same payer", async () => {
        await expect(ctx.channels.connect(ctx.operator).claim(channelId, 1n, await voucher(session, channelId, 1n))).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelInvalidVoucherSigner");
      });
    });
  });

  // ================================================================ payee close
  describe("closeByPayee", () => {
    let channelId: string;
    beforeEach(async () => {
      ({ channelId } = await openChannel(ctx, { deposit: 100n * USDC }));
    });

    it("settles at once with the best voucher and refunds the rest", async () => {
      const amount = 30n * USDC;
      const sig = await voucher(ctx.payer, channelId, amount);
      const [op, tr, pay, ch] = await deltas([operatorAddr, treasuryAddr, payerAddr, ctx.address], async () => {
        await expect(ctx.channels.connect(ctx.operator).closeByPayee(channelId, amount, sig))
          .to.emit(ctx.channels, "ChannelClosed")
          .withArgs(channelId, ctx.nodeId, amount, 70n * USDC);
      });
      expect([op, tr, pay, ch]).to.deep.equal([amount - fee(amount), fee(amount), 70n * USDC, -70n * USDC]);
      expect((await ctx.channels.getChannel(channelId)).status).to.equal(Status.Closed);
      expect(await ctx.channels.balanceOf(channelId)).to.equal(0n);
      await expect(ctx.channels.connect(ctx.operator).claim(channelId, 40n * USDC, await voucher(ctx.payer, channelId, 40n * USDC)))
        .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelWrongStatus")
        .withArgs(channelId, Status.Closed);
      await expect(ctx.channels.connect(ctx.payer).closeByPayer(channelId)).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelWrongStatus");
    });

    it("closes at the paid amount without a new voucher", async () => {
      await ctx.channels.connect(ctx.operator).claim(channelId, 10n * USDC, await voucher(ctx.payer, channelId, 10n * USDC));
      await expect(ctx.channels.connect(ctx.nodeKey).closeByPayee(channelId, 0n, "0x"))
        .to.emit(ctx.channels, "ChannelClosed")
        .withArgs(channelId, ctx.nodeId, 10n * USDC, 90n * USDC);
    });

    it("still verifies a voucher above the paid amount", async () => {
      await expect(ctx.channels.connect(ctx.operator).closeByPayee(channelId, 10n, await voucher(randomWallet(), channelId, 10n))).to.be.revertedWithCustomError(
        ctx.channels,
        "PaymentChannelInvalidVoucherSigner",
      );
    });

    it("is for the payee only", async () => {
      await expect(ctx.channels.connect(ctx.payer).closeByPayee(channelId, 0n, "0x"))
        .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelUnauthorized")
        .withArgs(payerAddr);
    });
  });

  // ================================================================ payer close, dispute window
  describe("payer close and the dispute window", () => {
    let channelId: string;
    beforeEach(async () => {
      ({ channelId } = await openChannel(ctx, { deposit: 100n * USDC }));
    });

    it("starts the window with its length fixed at initiation", async () => {
      const tx = await ctx.channels.connect(ctx.payer).closeByPayer(channelId);
      const closesAt = (await blockTime(tx)) + DAY;
      await expect(tx).to.emit(ctx.channels, "ChannelCloseStarted").withArgs(channelId, ctx.nodeId, closesAt);
      await ctx.params.connect(ctx.governance).setParameter(await ctx.params.DISPUTE_WINDOW(), (3n * DAY) / 2n);
      const c = await ctx.channels.getChannel(channelId);
      expect(c.status).to.equal(Status.Closing);
      expect(c.closesAt).to.equal(closesAt);
      await time.setNextBlockTimestamp(closesAt + 1n);
      await ctx.channels.settle(channelId);
    });

    it("is for the payer only, once", async () => {
      await expect(ctx.channels.connect(ctx.operator).closeByPayer(channelId)).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelUnauthorized");
      await ctx.channels.connect(ctx.payer).closeByPayer(channelId);
      await expect(ctx.channels.connect(ctx.payer).closeByPayer(channelId)).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelWrongStatus").withArgs(channelId, Status.Closing);
    });

    it("accepts claims and payee closes at the window's last second, not one after", async () => {
      const closesAt = await startClose(channelId);
      await time.setNextBlockTimestamp(closesAt);
      await ctx.channels.connect(ctx.operator).claim(channelId, 1n * USDC, await voucher(ctx.payer, channelId, 1n * USDC));
      await time.setNextBlockTimestamp(closesAt + 1n);
      await expect(ctx.channels.connect(ctx.operator).claim(channelId, 2n * USDC, await voucher(ctx.payer, channelId, 2n * USDC), { gasLimit: 500_000 }))
        .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelDisputeWindowOver")
        .withArgs(closesAt, closesAt + 1n);
      await expect(ctx.channels.connect(ctx.operator).closeByPayee(channelId, 0n, "0x", { gasLimit: 500_000 })).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelDisputeWindowOver");
    });

    it("lets the payee close outright at the window's last second", async () => {
      const closesAt = await startClose(channelId);
      await time.setNextBlockTimestamp(closesAt);
      await expect(ctx.channels.connect(ctx.operator).closeByPayee(channelId, 9n * USDC, await voucher(ctx.payer, channelId, 9n * USDC)))
        .to.emit(ctx.channels, "ChannelClosed")
        .withArgs(channelId, ctx.nodeId, 9n * USDC, 91n * USDC);
    });

    it("announces a dispute after recording it and before paying: ChannelPaid, ChannelDisputed, then the transfers", async () => {
      const { channelId } = await openChannel(ctx);
      await startClose(channelId);
      const tx = await ctx.channels.connect(ctx.watchtower).dispute(channelId, 5n * USDC, await voucher(ctx.payer, channelId, 5n * USDC), NO_AUTH, "0x");
      const receipt = (await tx.wait())!;
      const names = receipt.logs.map((log) => ctx.channels.interface.parseLog(log)?.name ?? ctx.usdc.interface.parseLog(log)?.name);
      // no transfer: the operator's share is credited, the fee accrues for the treasury
      expect(names).to.deep.equal(["ChannelPaid", "ChannelDisputed"]);
    });

    it("accepts a dispute at the window's last second and rejects one after it", async () => {
      const closesAt = await startClose(channelId);
      await time.setNextBlockTimestamp(closesAt);
      await expect(ctx.channels.connect(ctx.watchtower).dispute(channelId, 5n * USDC, await voucher(ctx.payer, channelId, 5n * USDC), NO_AUTH, "0x"))
        .to.emit(ctx.channels, "ChannelDisputed")
        .withArgs(channelId, ctx.nodeId, await ctx.watchtower.getAddress(), 5n * USDC, 5n * USDC, ZERO_ADDRESS, 0n);
      await time.setNextBlockTimestamp(closesAt + 1n);
      await expect(ctx.channels.connect(ctx.watchtower).dispute(channelId, 6n * USDC, await voucher(ctx.payer, channelId, 6n * USDC), NO_AUTH, "0x", { gasLimit: 500_000 }))
        .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelDisputeWindowOver")
        .withArgs(closesAt, closesAt + 1n);
    });

    it("rejects a settle before the window is over and accepts it one second after", async () => {
      const closesAt = await startClose(channelId);
      await time.setNextBlockTimestamp(closesAt);
      await expect(ctx.channels.connect(ctx.others[0]).settle(channelId, { gasLimit: 500_000 }))
        .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelDisputeWindowRunning")
        .withArgs(closesAt, closesAt);
      await time.setNextBlockTimestamp(closesAt + 1n);
      const [pay] = await deltas([payerAddr], async () => {
        await expect(ctx.channels.connect(ctx.others[0]).settle(channelId))
          .to.emit(ctx.channels, "ChannelClosed")
          .withArgs(channelId, ctx.nodeId, 0n, 100n * USDC);
      });
      expect(pay).to.equal(100n * USDC);
      await expect(ctx.channels.settle(channelId)).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelWrongStatus").withArgs(channelId, Status.Closed);
    });

    it("rejects a dispute or settle on an open channel", async () => {
      await expect(ctx.channels.dispute(channelId, 1n, await voucher(ctx.payer, channelId, 1n), NO_AUTH, "0x"))
        .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelWrongStatus")
        .withArgs(channelId, Status.Open);
      await expect(ctx.channels.settle(channelId)).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelWrongStatus").withArgs(channelId, Status.Open);
    });

    it("settles with everything paid through claims and disputes, the rest to the payer", async () => {
      await ctx.channels.connect(ctx.operator).claim(channelId, 10n * USDC, await voucher(ctx.payer, channelId, 10n * USDC));
      const closesAt = await startClose(channelId);
      await ctx.channels.dispute(channelId, 25n * USDC, await voucher(ctx.payer, channelId, 25n * USDC), NO_AUTH, "0x");
      await expect(ctx.channels.dispute(channelId, 20n * USDC, await voucher(ctx.payer, channelId, 20n * USDC), NO_AUTH, "0x"))
        .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelVoucherTooLow")
        .withArgs(20n * USDC, 25n * USDC);
      await ctx.channels.dispute(channelId, 40n * USDC, await voucher(ctx.payer, channelId, 40n * USDC), NO_AUTH, "0x");
      await time.setNextBlockTimestamp(closesAt + 1n);
      const [pay, op, tr] = await deltas([payerAddr, operatorAddr, treasuryAddr], () => ctx.channels.settle(channelId));
      expect([pay, op, tr]).to.deep.equal([60n * USDC, 0n, 0n]);
      const c = await ctx.channels.getChannel(channelId);
      expect(c.paid).to.equal(40n * USDC);
    });

    it("watchers download every close in the network: a filter on the nodeId topic returns only that node's close, dispute, paid and closed events", async () => {
      // A second node with channels of its own, closed, disputed and settled the same way.
      const [otherKey, otherOperator] = [ctx.others[8], ctx.others[9]];
      await ctx.usdc.mint(await ctx.registry.getAddress(), 1_000n * USDC);
      await ctx.registry.register(await otherKey.getAddress(), await otherOperator.getAddress(), 1_000n * USDC);
      const otherId = await ctx.registry.nodeIdOf(await otherKey.getAddress());
      const other = await openChannel(ctx, { nodeKey: await otherKey.getAddress(), deposit: 100n * USDC });
      const closeDisputeSettle = async (id: string, payee: Signer) => {
        await ctx.channels.connect(payee).claim(id, 5n * USDC, await voucher(ctx.payer, id, 5n * USDC));
        const closesAt = await startClose(id);
        await ctx.channels.dispute(id, 20n * USDC, await voucher(ctx.payer, id, 20n * USDC), NO_AUTH, "0x");
        return closesAt;
      };
      await closeDisputeSettle(other.channelId, otherOperator);
      const closesAt = await closeDisputeSettle(channelId, ctx.operator);
      await time.setNextBlockTimestamp(closesAt + 1n);
      await ctx.channels.settle(channelId);
      await ctx.channels.settle(other.channelId);
      const f = ctx.channels.filters;
      for (const [nodeId, mine] of [
        [ctx.nodeId, channelId],
        [otherId, other.channelId],
      ] as const) {
        const logs = [
          ...(await ctx.channels.queryFilter(f.ChannelCloseStarted(undefined, nodeId))),
          ...(await ctx.channels.queryFilter(f.ChannelDisputed(undefined, nodeId))),
          ...(await ctx.channels.queryFilter(f.ChannelPaid(undefined, nodeId))),
          ...(await ctx.channels.queryFilter(f.ChannelClosed(undefined, nodeId))),
        ];
        // close started, disputed, paid by the claim and by the dispute, closed
        expect(logs).to.have.length(5);
        expect(new Set(logs.map((l) => l.args.channelId))).to.deep.equal(new Set([mine]));
      }
    });
  });

  // ================================================================ watchtower bounty
  describe("watchtower bounty", () => {
    let channelId: string;
    let beneficiary: string;
    let towerAddr: string;
    let closesAt: bigint;
    beforeEach(async () => {
      ({ channelId } = await openChannel(ctx, { deposit: 100n * USDC }));
      beneficiary = await ctx.others[5].getAddress();
      towerAddr = await ctx.watchtower.getAddress();
      await ctx.channels.connect(ctx.operator).claim(channelId, 10n * USDC, await voucher(ctx.payer, channelId, 10n * USDC));
      closesAt = await startClose(channelId);
    });
    const auth = (maxBps: number, o: { tower?: string; ben?: string; expiry?: bigint; nodeId?: bigint } = {}) => ({
      nodeId: o.nodeId ?? ctx.nodeId,
      watchtower: o.tower ?? towerAddr,
      beneficiary: o.ben ?? beneficiary,
      maxBps,
      expiry: o.expiry ?? closesAt + 30n * DAY,
    });
    const toBountyPhase = async () => time.setNextBlockTimestamp(await ctx.channels.bountyFrom(channelId));
    /** The watchtower disputes up to `amount` with auth `a` signed by `authSigner` (the node's key unless given). */
    const towerDispute = async (a: ReturnType<typeof auth>, authSigner: Signer | Wallet = ctx.nodeKey, amount = 30n * USDC) =>
      ctx.channels.connect(ctx.watchtower).dispute(channelId, amount, await voucher(ctx.payer, channelId, amount), a, await signAuth(authSigner, domain(), a));

    it("pays the authorised watchtower's beneficiary in the second half of the window, out of the operator's share", async () => {
      const a = auth(1000);
      const authSig = await signAuth(ctx.nodeKey, domain(), a);
      const vSig = await voucher(ctx.payer, channelId, 50n * USDC);
      const recovered = 40n * USDC;
      const feeInc = fee(50n * USDC) - fee(10n * USDC);
      const bounty = recovered / 10n;
      const window = await ctx.params.disputeWindow();
      expect(await ctx.channels.bountyFrom(channelId)).to.equal(closesAt - window + (window + 1n) / 2n);
      await toBountyPhase();
      const [ben, op, tr, pay] = await deltas([beneficiary, operatorAddr, treasuryAddr, payerAddr], async () => {
        await expect(ctx.channels.connect(ctx.watchtower).dispute(channelId, 50n * USDC, vSig, a, authSig))
          .to.emit(ctx.channels, "ChannelPaid")
          .withArgs(channelId, ctx.nodeId, 50n * USDC, recovered - feeInc - bounty, feeInc)
          .and.to.emit(ctx.channels, "ChannelDisputed")
          .withArgs(channelId, ctx.nodeId, towerAddr, 50n * USDC, recovered, beneficiary, bounty);
      });
      expect([ben, tr, op, pay]).to.deep.equal([bounty, feeInc, recovered - feeInc - bounty, 0n]);
    });

    it("watchtower bounty farmed by the payer: its own dispute with the node's public auth, alone or through an accomplice address, gains nothing", async () => {
      // The auth is public once a watchtower used it; the payer copies it and disputes its own close.
      const a = auth(2000);
      const authSig = await signAuth(ctx.nodeKey, domain(), a);
      await toBountyPhase();
      for (const submitter of [ctx.payer, ctx.payer2]) {
        await expect(ctx.channels.connect(submitter).dispute(channelId, 50n * USDC, await voucher(ctx.payer, channelId, 50n * USDC), a, authSig))
          .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelWatchtowerNotAuthorised")
          .withArgs(await submitter.getAddress(), towerAddr);
      }
      // Without the auth the dispute only pays the node in full: the payer's side loses all it recovers.
      const [pay, ben, op, tr] = await deltas([payerAddr, beneficiary, operatorAddr, treasuryAddr], async () => {
        await ctx.channels.connect(ctx.payer2).dispute(channelId, 50n * USDC, await voucher(ctx.payer, channelId, 50n * USDC), NO_AUTH, "0x");
        await time.increaseTo(closesAt + 1n);
        await ctx.channels.settle(channelId);
      });
      expect([pay, ben, op + tr]).to.deep.equal([50n * USDC, 0n, 40n * USDC]);
    });

    it("watchtower bounty farmed with the authorised watchtower: a dispute in the node's priority half pays no bounty", async () => {
      // The payer closes and its accomplice (the node's own watchtower) disputes at once, before the
      // node could answer: the node is paid in full, the watchtower nothing.
      const a = auth(2000);
      const [ben, op, tr] = await deltas([beneficiary, operatorAddr, treasuryAddr], async () => {
        await towerDispute(a, ctx.nodeKey, 50n * USDC);
      });
      expect(ben).to.equal(0n);
      expect(op + tr).to.equal(40n * USDC);
      expect(tr).to.equal(fee(50n * USDC) - fee(10n * USDC));
    });

    it("watchtower bounty front-running the node's claim: a stranger copying the pending voucher gains nothing", async () => {
      const a = auth(2000);
      const authSig = await signAuth(ctx.nodeKey, domain(), a);
      const vSig = await voucher(ctx.payer, channelId, 50n * USDC); // what the node's pending claim carries
      await toBountyPhase();
      const stranger = ctx.others[6];
      await expect(ctx.channels.connect(stranger).dispute(channelId, 50n * USDC, vSig, a, authSig)).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelWatchtowerNotAuthorised");
      const [sub, ben, op] = await deltas([await stranger.getAddress(), beneficiary, operatorAddr], async () => {
        await ctx.channels.connect(stranger).dispute(channelId, 50n * USDC, vSig, NO_AUTH, "0x");
      });
      expect([sub, ben]).to.deep.equal([0n, 0n]);
      expect(op).to.equal(40n * USDC - (fee(50n * USDC) - fee(10n * USDC)));
      // The node's own claim then has nothing left to take: it was paid already.
      await expect(ctx.channels.connect(ctx.operator).claim(channelId, 50n * USDC, vSig))
        .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelVoucherTooLow")
        .withArgs(50n * USDC, 50n * USDC);
    });

    it("keeps the operator's floor: fee + bounty never take more than 20 % of what a dispute recovers", async () => {
      expect(await ctx.channels.MAX_WATCHTOWER_BPS()).to.equal(2000n);
      expect(await ctx.channels.MIN_OPERATOR_SHARE_BPS()).to.equal(8000n);
      const a = auth(10_000);
      await toBountyPhase();
      const [ben, op] = await deltas([beneficiary, operatorAddr], async () => towerDispute(a, ctx.nodeKey, 60n * USDC));
      const recovered = 50n * USDC;
      expect(ben).to.equal((recovered * (2000n - FEE_BPS)) / 10_000n);
      expect(op).to.equal((recovered * 8000n) / 10_000n);
    });

    it("accepts an authorisation by the node's current key or its operator; refuses an expired one or one for another node", async () => {
      await toBountyPhase();
      const byOperator = auth(500);
      await towerDispute(byOperator, ctx.operator, 20n * USDC);
      const expired = auth(500, { expiry: BigInt(await time.latest()) });
      await expect(towerDispute(expired)).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelWatchtowerAuthExpired");
      const other = auth(500, { nodeId: 2n });
      await expect(towerDispute(other)).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelWatchtowerAuthWrongNode").withArgs(2n, ctx.nodeId);
      const forged = auth(500);
      const forger = ctx.others[7];
      await expect(towerDispute(forged, forger))
        .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelInvalidWatchtowerAuth")
        .withArgs(await forger.getAddress());
    });

    it("a bounty locked forever: refuses a beneficiary that is the PaymentChannel contract itself, or zero", async () => {
      await toBountyPhase();
      for (const ben of [ctx.address, ZERO_ADDRESS]) {
        const a = auth(1000, { ben });
        await expect(towerDispute(a)).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelInvalidBeneficiary").withArgs(ben);
      }
    });

    it("rotation leaves a leaked key its powers: after a rotation an old key's auth is refused on old channels, the new key's accepted", async () => {
      const rotated = randomWallet();
      await ctx.registry.rotateKey(ctx.nodeId, rotated.address);
      await toBountyPhase();
      const a = auth(500);
      await expect(towerDispute(a)).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelInvalidWatchtowerAuth").withArgs(nodeKeyAddr);
      const [ben] = await deltas([beneficiary], async () => towerDispute(a, rotated));
      expect(ben).to.equal((20n * USDC * 500n) / 10_000n);
    });

    it("pays no bounty on a dispute without an authorisation", async () => {
      await toBountyPhase();
      const [ben, op, tr] = await deltas([beneficiary, operatorAddr, treasuryAddr], async () =>
        ctx.channels.connect(ctx.others[6]).dispute(channelId, 20n * USDC, await voucher(ctx.payer, channelId, 20n * USDC), NO_AUTH, "0x"),
      );
      expect(ben).to.equal(0n);
      expect(op + tr).to.equal(10n * USDC);
    });
  });

  // ================================================================ blocked recipients
  describe("recipients that cannot receive (USDC blacklist)", () => {
    it("does not let a blacklisted operator block payouts or settlement", async () => {
      const { channelId } = await openChannel(ctx, { deposit: 100n * USDC });
      await ctx.usdc.connect(ctx.deployer).blacklist(operatorAddr);
      const amount = 40n * USDC;
      const opShare = amount - fee(amount);
      // the operator's share is credited to the node as always (no transfer is attempted, so none is deferred)
      await expect(ctx.channels.connect(ctx.nodeKey).closeByPayee(channelId, amount, await voucher(ctx.payer, channelId, amount))).to.not.emit(ctx.channels, "PayoutDeferred");
      expect(await ctx.channels.nodeCredit(ctx.nodeId)).to.deep.equal([operatorAddr, opShare]);
      expect(await ctx.channels.totalWithdrawable()).to.equal(opShare);
      expect(await bal(ctx.address)).to.equal(amount);
      // Frozen by the issuer, the operator cannot withdraw (nor redirect the credit elsewhere) ...
      await expect(ctx.channels.connect(ctx.operator).withdrawNodeCredit(ctx.nodeId)).to.be.revertedWith("Blacklistable: account is blacklisted");
      // ... until it is unfrozen.
      await ctx.usdc.connect(ctx.deployer).unBlacklist(operatorAddr);
      const before = await ctx.usdc.balanceOf(operatorAddr);
      await expect(ctx.channels.connect(ctx.operator).withdrawNodeCredit(ctx.nodeId))
        .to.emit(ctx.channels, "NodeCreditWithdrawn")
        .withArgs(ctx.nodeId, operatorAddr, opShare)
        .and.to.emit(ctx.channels, "Withdrawn")
        .withArgs(operatorAddr, opShare);
      expect((await ctx.usdc.balanceOf(operatorAddr)) - before).to.equal(opShare);
      expect(await ctx.channels.totalWithdrawable()).to.equal(0n);
      expect(await bal(ctx.address)).to.equal(fee(amount));
      await expect(ctx.channels.connect(ctx.operator).withdrawNodeCredit(ctx.nodeId)).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelNothingToWithdraw").withArgs(operatorAddr);
    });

    it("operator credit attack: no stranger, payer, node key or other node's operator withdraws a node's credit, and a rotated node key does not redirect it", async () => {
      const { channelId } = await openChannel(ctx, { deposit: 100n * USDC });
      const amount = 40n * USDC;
      const opShare = amount - fee(amount);
      const operatorUsdc = await ctx.usdc.balanceOf(operatorAddr);
      await ctx.channels.connect(ctx.nodeKey).claim(channelId, amount, await voucher(ctx.payer, channelId, amount));
      // credited to the node's account of its operator (fixed at the first channel), not transferred, not to the key that claimed
      expect(await ctx.usdc.balanceOf(operatorAddr)).to.equal(operatorUsdc);
      expect(await ctx.channels.nodeCredit(ctx.nodeId)).to.deep.equal([operatorAddr, opShare]);
      expect(await ctx.channels.withdrawable(nodeKeyAddr)).to.equal(0n);
      // another node with its own operator, which has earned on its own channel
      const otherOperator = ctx.others[3];
      const otherKey = randomWallet();
      const otherId = await ctx.registry.register.staticCall(otherKey.address, await otherOperator.getAddress(), 0n);
      await ctx.registry.register(otherKey.address, await otherOperator.getAddress(), 0n);
      const other = await openChannel(ctx, { nodeKey: otherKey.address });
      await ctx.channels.connect(otherOperator).claim(other.channelId, 10n * USDC, await voucher(ctx.payer, other.channelId, 10n * USDC));
      // the node key, a rotated-in key, the payer, a stranger and the other node's operator cannot withdraw the node's credit
      const rotated = ctx.others[4];
      await ctx.registry.rotateKey(ctx.nodeId, await rotated.getAddress());
      for (const who of [ctx.nodeKey, rotated, ctx.payer, ctx.others[0], otherOperator]) {
        await expect(ctx.channels.connect(who).withdrawNodeCredit(ctx.nodeId))
          .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelNotNodeOperator")
          .withArgs(ctx.nodeId, await who.getAddress());
        // and their own withdrawal holds nothing of it
        await expect(ctx.channels.connect(who).withdraw()).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelNothingToWithdraw");
      }
      // nor a node that never had a channel (no recorded operator), even for the zero address's sake
      await expect(ctx.channels.connect(ctx.others[0]).withdrawNodeCredit(999n))
        .to.be.revertedWithCustomError(ctx.channels, "PaymentChannelNotNodeOperator")
        .withArgs(999n, await ctx.others[0].getAddress());
      // later payouts claimed by the new key are credited to the same node account too
      await ctx.channels.connect(rotated).claim(channelId, 2n * amount, await voucher(ctx.payer, channelId, 2n * amount));
      expect(await ctx.channels.withdrawable(await rotated.getAddress())).to.equal(0n);
      await expect(ctx.channels.connect(ctx.operator).withdrawNodeCredit(ctx.nodeId))
        .to.emit(ctx.channels, "Withdrawn")
        .withArgs(operatorAddr, 2n * opShare);
      expect((await ctx.usdc.balanceOf(operatorAddr)) - operatorUsdc).to.equal(2n * opShare);
      // the other operator's credit is untouched, and only it collects it
      const otherShare = 10n * USDC - fee(10n * USDC);
      expect(await ctx.channels.totalWithdrawable()).to.equal(otherShare);
      await expect(ctx.channels.connect(ctx.operator).withdrawNodeCredit(otherId)).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelNotNodeOperator");
      await ctx.channels.connect(otherOperator).withdrawNodeCredit(otherId);
      expect(await ctx.channels.totalWithdrawable()).to.equal(0n);
    });

    it("a node's credit and its operator's own credit come out in one withdrawal", async () => {
      const first = await openChannel(ctx);
      await ctx.channels.connect(ctx.nodeKey).claim(first.channelId, 10n * USDC, await voucher(ctx.payer, first.channelId, 10n * USDC));
      // A second node, recorded with another operator; a channel opened after the registry reported this
      // operator for it credits the operator's own balance (`withdraw`), not that node's account.
      const otherKey = randomWallet();
      const otherId = await ctx.registry.register.staticCall(otherKey.address, await ctx.others[3].getAddress(), 0n);
      await ctx.registry.register(otherKey.address, await ctx.others[3].getAddress(), 0n);
      await openChannel(ctx, { nodeKey: otherKey.address });
      await ctx.registry.setOperator(otherId, operatorAddr);
      const own = await openChannel(ctx, { nodeKey: otherKey.address });
      await ctx.channels.connect(ctx.operator).claim(own.channelId, 20n * USDC, await voucher(ctx.payer, own.channelId, 20n * USDC));
      expect(await ctx.channels.withdrawable(operatorAddr)).to.equal(20n * USDC - fee(20n * USDC));
      expect((await ctx.channels.nodeCredit(otherId))[1]).to.equal(0n);
      // the recorded operator of the first node collects both at once
      const before = await ctx.usdc.balanceOf(operatorAddr);
      await expect(ctx.channels.connect(ctx.operator).withdrawNodeCredit(ctx.nodeId))
        .to.emit(ctx.channels, "NodeCreditWithdrawn")
        .withArgs(ctx.nodeId, operatorAddr, 10n * USDC - fee(10n * USDC))
        .and.to.emit(ctx.channels, "Withdrawn")
        .withArgs(operatorAddr, 30n * USDC - fee(10n * USDC) - fee(20n * USDC));
      expect((await ctx.usdc.balanceOf(operatorAddr)) - before).to.equal(30n * USDC - fee(10n * USDC) - fee(20n * USDC));
      expect(await ctx.channels.totalWithdrawable()).to.equal(0n);
    });

    it("does not let a blacklisted payer block a settle", async () => {
      const { channelId } = await openChannel(ctx, { deposit: 100n * USDC });
      const closesAt = await startClose(channelId);
      await ctx.usdc.connect(ctx.deployer).blacklist(payerAddr);
      await time.increaseTo(closesAt + 1n);
      await expect(ctx.channels.connect(ctx.others[0]).settle(channelId))
        .to.emit(ctx.channels, "PayoutDeferred")
        .withArgs(payerAddr, 100n * USDC);
      expect(await ctx.channels.withdrawable(payerAddr)).to.equal(100n * USDC);
      await expect(ctx.channels.connect(ctx.payer).withdraw()).to.be.revertedWith("Blacklistable: account is blacklisted");
      await ctx.usdc.connect(ctx.deployer).unBlacklist(payerAddr);
      await ctx.channels.connect(ctx.payer).withdraw();
      expect(await bal(ctx.address)).to.equal(0n);
    });

    it("does not let a blacklisted treasury block a claim: its fees stay owed until it can receive", async () => {
      const { channelId } = await openChannel(ctx, { deposit: 100n * USDC });
      await ctx.usdc.connect(ctx.deployer).blacklist(treasuryAddr);
      await ctx.channels.connect(ctx.operator).claim(channelId, 20n * USDC, await voucher(ctx.payer, channelId, 20n * USDC));
      expect((await ctx.channels.protocolFees()).owed).to.equal(fee(20n * USDC));
      await expect(ctx.channels.withdrawTreasury()).to.be.revertedWith("Blacklistable: account is blacklisted");
      expect((await ctx.channels.protocolFees()).owed).to.equal(fee(20n * USDC));
      await ctx.usdc.connect(ctx.deployer).unBlacklist(treasuryAddr);
      const before = await ctx.usdc.balanceOf(treasuryAddr);
      await expect(ctx.channels.withdrawTreasury())
        .to.emit(ctx.channels, "Withdrawn")
        .withArgs(treasuryAddr, fee(20n * USDC));
      expect((await ctx.usdc.balanceOf(treasuryAddr)) - before).to.equal(fee(20n * USDC));
    });
  });

  // ================================================================ protocol fees
  describe("protocol fees", () => {
    it("accrue for the treasury on every payout; withdrawTreasury pays what accrued since its last withdrawal, with its credits", async () => {
      const { channelId } = await openChannel(ctx, { deposit: 100n * USDC });
      await ctx.channels.connect(ctx.operator).claim(channelId, 10n * USDC, await voucher(ctx.payer, channelId, 10n * USDC));
      await ctx.channels.connect(ctx.operator).closeByPayee(channelId, 30n * USDC, await voucher(ctx.payer, channelId, 30n * USDC));
      expect(await ctx.channels.protocolFees()).to.deep.equal([fee(30n * USDC), fee(30n * USDC)]);
      // the fee and the operator's credit
      expect(await ctx.usdc.balanceOf(ctx.address)).to.equal(30n * USDC);
      const [tr] = await deltas([treasuryAddr], async () => {
        await expect(ctx.channels.connect(ctx.others[0]).withdrawTreasury())
          .to.emit(ctx.channels, "Withdrawn")
          .withArgs(treasuryAddr, fee(30n * USDC));
      });
      expect(tr).to.equal(0n); // owned before and after: now in the treasury's own balance
      expect(await ctx.channels.protocolFees()).to.deep.equal([fee(30n * USDC), 0n]);
      expect(await ctx.usdc.balanceOf(ctx.address)).to.equal(30n * USDC - fee(30n * USDC));
      await expect(ctx.channels.withdrawTreasury()).to.be.revertedWithCustomError(ctx.channels, "PaymentChannelNothingToWithdraw").withArgs(treasuryAddr);
      // later payouts accrue again, on the cumulative amount of their channel
      const second = await openChannel(ctx, { deposit: 100n * USDC });
      await ctx.channels.connect(ctx.operator).claim(second.channelId, 7n * USDC + 3n, await voucher(ctx.payer, second.channelId, 7n * USDC + 3n));
      expect(await ctx.channels.protocolFees()).to.deep.equal([fee(30n * USDC) + fee(7n * USDC + 3n), fee(7n * USDC + 3n)]);
      const before = await ctx.usdc.balanceOf(treasuryAddr);
      await ctx.channels.withdrawTreasury();
      expect((await ctx.usdc.balanceOf(treasuryAddr)) - before).to.equal(fee(7n * USDC + 3n));
    });
  });

  // ================================================================ EIP-712 agreement with TypeScript
  describe("EIP-712 agreement with agents/protocol/eip712.ts", () => {
    it("computes the same digests and type hashes as the shared TypeScript module", async () => {
      const { channelId } = await openChannel(ctx);
      const d = domain();
      expect(await ctx.channels.voucherDigest(channelId, 123n)).to.equal(TypedDataEncoder.hash(d, Voucher, { channelId, cumulativeAmount: 123n }));
      const a = { nodeId: ctx.nodeId, watchtower: nodeKeyAddr, beneficiary: payerAddr, maxBps: 1500, expiry: 1_800_000_000n };
      expect(await ctx.channels.watchtowerAuthDigest(a)).to.equal(TypedDataEncoder.hash(d, WatchtowerAuth, a));
      const sc = { blobId: id("blob"), client: payerAddr, channelId, timestamp: 1_700_000_000n, anchorBlock: 1_000n, anchorHash: id("block") };
      expect(await ctx.channels.serveCommitmentDigest(sc)).to.equal(TypedDataEncoder.hash(d, ServeCommitment, sc));
      expect(await ctx.channels.VOUCHER_TYPEHASH()).to.equal(id(TypedDataEncoder.from(Voucher).encodeType("Voucher")));
      expect(await ctx.channels.WATCHTOWER_AUTH_TYPEHASH()).to.equal(id(TypedDataEncoder.from(WatchtowerAuth).encodeType("WatchtowerAuth")));
      expect(await ctx.channels.SERVE_COMMITMENT_TYPEHASH()).to.equal(id(TypedDataEncoder.from(ServeCommitment).encodeType("ServeCommitment")));
      const onChain = await ctx.channels.eip712Domain();
      expect(onChain.name).to.equal(d.name);
      expect(onChain.version).to.equal(d.version);
      expect(onChain.chainId).to.equal(ctx.chainId);
      expect(onChain.verifyingContract).to.equal(ctx.address);
    });

    it("accepts vouchers signed with the shared types on-chain", async () => {
      const { channelId } = await openChannel(ctx);
      const sig = await signVoucher(ctx.payer, domain(), channelId, 777n);
      expect(ethers.recoverAddress(TypedDataEncoder.hash(domain(), Voucher, { channelId, cumulativeAmount: 777n }), sig)).to.equal(payerAddr);
      await ctx.channels.connect(ctx.operator).claim(channelId, 777n, sig);
      expect((await ctx.channels.getChannel(channelId)).paid).to.equal(777n);
    });
  });

  // ================================================================ gas
  describe("gas", () => {
    it("matches the committed snapshot (gas/channels.json)", async () => {
      const gas = new GasRecorder("channels");
      // Warm the contract's own USDC balance and its fee ledger (a first-ever deposit and a first-ever
      // fee pay the zero-to-nonzero cost once in the contract's life).
      const warm = await openChannel(ctx, { payer: ctx.payer2 });
      await ctx.channels.connect(ctx.operator).claim(warm.channelId, 1n * USDC, await voucher(ctx.payer2, warm.channelId, 1n * USDC));
      const opened = await openChannel(ctx);
      await gas.record("open", opened.tx);
      const { channelId } = opened;
      await gas.record("topUp", await ctx.channels.connect(ctx.payer).topUp(channelId, 10n * USDC));
      await gas.record("claim", await ctx.channels.connect(ctx.operator).claim(channelId, 10n * USDC, await voucher(ctx.payer, channelId, 10n * USDC)));
      await gas.record("closeByPayee (with voucher)", await ctx.channels.connect(ctx.operator).closeByPayee(channelId, 20n * USDC, await voucher(ctx.payer, channelId, 20n * USDC)));
      const session = randomWallet();
      const s = await openChannel(ctx, { voucherSigner: session.address, signerExpiry: BigInt(await time.latest()) + DAY });
      await gas.record("open (session key)", s.tx);
      await gas.record("claim (session key)", await ctx.channels.connect(ctx.operator).claim(s.channelId, 10n * USDC, await voucher(session, s.channelId, 10n * USDC)));

      // permit
      const fresh = ctx.others[1];
      const freshAddr = await fresh.getAddress();
      await ctx.usdc.mint(freshAddr, 100n * USDC);
      const deadline = BigInt(await time.latest()) + DAY;
      const permitSig = await signPermit(fresh, await ctx.usdc.getAddress(), { spender: ctx.address, value: 50n * USDC, deadline });
      await gas.record("openWithPermit", await ctx.channels.connect(fresh).openWithPermit(nodeKeyAddr, 50n * USDC, ZERO_ADDRESS, 0n, nextNonce(), deadline, permitSig.v, permitSig.r, permitSig.s));

      // payer close → dispute (with and without bounty) → settle
      const p = await openChannel(ctx);
      await ctx.channels.connect(ctx.operator).claim(p.channelId, 5n * USDC, await voucher(ctx.payer, p.channelId, 5n * USDC));
      await gas.record("closeByPayer", await ctx.channels.connect(ctx.payer).closeByPayer(p.channelId));
      await gas.record("dispute", await ctx.channels.connect(ctx.watchtower).dispute(p.channelId, 10n * USDC, await voucher(ctx.payer, p.channelId, 10n * USDC), NO_AUTH, "0x"));
      const a = { nodeId: ctx.nodeId, watchtower: await ctx.watchtower.getAddress(), beneficiary: await ctx.watchtower.getAddress(), maxBps: 1000, expiry: BigInt(await time.latest()) + 30n * DAY };
      await time.setNextBlockTimestamp(await ctx.channels.bountyFrom(p.channelId));
      await gas.record(
        "dispute (watchtower bounty)",
        await ctx.channels.connect(ctx.watchtower).dispute(p.channelId, 20n * USDC, await voucher(ctx.payer, p.channelId, 20n * USDC), a, await signAuth(ctx.nodeKey, domain(), a)),
      );
      await time.increase(DAY + 1n);
      await gas.record("settle", await ctx.channels.connect(ctx.others[0]).settle(p.channelId));
      // the operator collects every payout above at once
      await gas.record("withdrawNodeCredit", await ctx.channels.connect(ctx.operator).withdrawNodeCredit(ctx.nodeId));
      gas.check();

      // Gas targets (docs/channels.md, Gas; the snapshot above guards every figure).
      const targets: Record<string, bigint> = {
        open: 130_000n,
        openWithPermit: 170_000n,
        "closeByPayee (with voucher)": 80_000n,
        closeByPayer: 50_000n,
        dispute: 70_000n,
        settle: 70_000n,
      };
      const figures = JSON.parse((await import("node:fs")).readFileSync(new URL("../../gas/channels.json", import.meta.url), "utf8")) as Record<string, number>;
      for (const [label, target] of Object.entries(targets)) {
        expect(BigInt(figures[label]), label).to.be.at.most(target);
      }
    });
  });
});

const HOUR_S = 3600n;
