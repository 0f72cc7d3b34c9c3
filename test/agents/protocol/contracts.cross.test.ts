import { expect } from "chai";
import { network } from "hardhat";
import { AbiCoder, Wallet, getBytes, hexlify, keccak256, parseUnits, randomBytes } from "ethers";
import { domainFor } from "../../../agents/protocol/eip712.js";
import { Eip712Domain } from "../../../agents/protocol/eip712-fast.js";
import { digestOf, signTyped } from "../../../agents/protocol/signed.js";
import { deployGovernance, type GovernanceContext } from "../../helpers/governance.js";

/**
 * The protocol core must produce bit for bit what the contracts verify: digests computed in
 * TypeScript equal the contracts' own, and signatures made on the fast path (direct digest +
 * secp256k1) are accepted on-chain, against the real deployment of the devnet module.
 */
const connection = await network.create();
const { networkHelpers, ethers } = connection;

describe("protocol › cross-tests against the deployed contracts", function () {
  const fixture = () => deployGovernance(connection);
  let ctx: GovernanceContext;
  let chainId: bigint;
  beforeEach(async () => {
    ctx = await networkHelpers.loadFixture(fixture);
    chainId = (await ethers.provider.getNetwork()).chainId;
  });
  const secret = (w: { privateKey: string }) => getBytes(w.privateKey);
  const fastDomain = async (name: Parameters<typeof domainFor>[0], contract: { getAddress(): Promise<string> }) => Eip712Domain.from(domainFor(name, chainId, await contract.getAddress()));

  /** Registers a node whose registration signature comes from the fast path. */
  async function registerFast(operatorIndex = 4) {
    const operator = (await ethers.getSigners())[operatorIndex];
    const nodeKey = Wallet.createRandom();
    const publicKey = "0x" + nodeKey.signingKey.publicKey.slice(4);
    const multiaddrs = ["/ip4/127.0.0.1/tcp/4001"];
    const metadataHash = keccak256(AbiCoder.defaultAbiCoder().encode(["bytes", "string[]"], [publicKey, multiaddrs]));
    const deadline = BigInt((await networkHelpers.time.latest()) + 3600);
    const value = { operator: operator.address, nodeKey: nodeKey.address, metadataHash, nonce: await ctx.registry.keyNonce(nodeKey.address), deadline };
    const signature = signTyped("nodeRegistration", await fastDomain("nodeRegistry", ctx.registry), value, secret(nodeKey));
    const bond = parseUnits("200", 6);
    await ctx.usdc.mint(operator.address, bond);
    await ctx.usdc.connect(operator).approve(await ctx.registry.getAddress(), bond);
    await ctx.registry
      .connect(operator)
      .register({ nodeKey: nodeKey.address, capacityMbps: 10, region: 1, pricePerGiB: parseUnits("0.01", 6), bond, deadline, publicKey, multiaddrs }, hexlify(signature));
    return { operator, nodeKey, nodeId: await ctx.registry.nodeIdOf(nodeKey.address) };
  }

  it("NodeRegistry accepts a registration signed on the fast path", async () => {
    const { nodeKey, nodeId } = await registerFast();
    expect(nodeId).to.equal(1n);
    expect(await ctx.registry.isActive(nodeKey.address)).to.equal(true);
  });

  it("NodeRegistry accepts a key rotation signed on the fast path", async () => {
    const { operator, nodeKey, nodeId } = await registerFast();
    const next = Wallet.createRandom();
    const publicKey = "0x" + next.signingKey.publicKey.slice(4);
    const multiaddrs = ["/ip4/127.0.0.1/tcp/4002"];
    const metadataHash = keccak256(AbiCoder.defaultAbiCoder().encode(["bytes", "string[]"], [publicKey, multiaddrs]));
    const deadline = BigInt((await networkHelpers.time.latest()) + 3600);
    const value = { nodeId, operator: operator.address, newNodeKey: next.address, metadataHash, nonce: await ctx.registry.keyNonce(next.address), deadline };
    const signature = signTyped("keyRotation", await fastDomain("nodeRegistry", ctx.registry), value, secret(next));
    await ctx.registry.connect(operator).rotateNodeKey(nodeId, next.address, publicKey, multiaddrs, deadline, hexlify(signature));
    expect(await ctx.registry.isActive(next.address)).to.equal(true);
    expect(await ctx.registry.isActive(nodeKey.address)).to.equal(false);
  });

  it("OriginRegistry recovers the content key from a content record signed on the fast path", async () => {
    const contentKey = Wallet.createRandom();
    const record = { blobId: hexlify(randomBytes(32)), size: 1234567n, origin: 7n, epoch: 3n, timestamp: 1_790_000_000n };
    const signature = signTyped("contentRecord", await fastDomain("originRegistry", ctx.origins), record, secret(contentKey));
    expect(await ctx.origins.contentRecordSigner(record, hexlify(signature))).to.equal(contentKey.address);
  });

  describe("PaymentChannel", () => {
    it("computes the same voucher, serve-commitment and watchtower-auth digests", async () => {
      const domain = await fastDomain("paymentChannel", ctx.channels);
      for (let i = 0; i < 5; i++) {
        const voucher = { channelId: hexlify(randomBytes(32)), cumulativeAmount: BigInt(hexlify(randomBytes(12))) };
        expect(hexlify(digestOf("voucher", domain, voucher))).to.equal(await ctx.channels.voucherDigest(voucher.channelId, voucher.cumulativeAmount));
        const commitment = {
          blobId: hexlify(randomBytes(32)),
          client: Wallet.createRandom().address,
          channelId: hexlify(randomBytes(32)),
          timestamp: BigInt(1_790_000_000 + i),
          anchorBlock: BigInt(1000 + i),
          anchorHash: hexlify(randomBytes(32)),
        };
        expect(hexlify(digestOf("serveCommitment", domain, commitment))).to.equal(await ctx.channels.serveCommitmentDigest(commitment));
        const auth = { nodeId: BigInt(i + 1), watchtower: Wallet.createRandom().address, beneficiary: Wallet.createRandom().address, maxBps: 100 * i, expiry: BigInt(1_790_000_000 + i) };
        expect(hexlify(digestOf("watchtowerAuth", domain, auth))).to.equal(await ctx.channels.watchtowerAuthDigest(auth));
      }
    });

    it("pays a node on a voucher signed on the fast path", async () => {
      const { nodeKey, operator, nodeId } = await registerFast();
      const [, , , , , payer] = await ethers.getSigners();
      const deposit = parseUnits("10", 6);
      await ctx.usdc.mint(payer.address, deposit);
      await ctx.usdc.connect(payer).approve(await ctx.channels.getAddress(), deposit);
      const client = Wallet.createRandom(); // a session key named at open
      const nonce = hexlify(randomBytes(32));
      const expiry = BigInt((await networkHelpers.time.latest()) + 86400);
      await ctx.channels.connect(payer).open(nodeKey.address, deposit, client.address, expiry, nonce);
      const channelId = await ctx.channels.channelIdFor(payer.address, nodeKey.address, nonce);
      const amount = parseUnits("2.5", 6);
      const signature = signTyped("voucher", await fastDomain("paymentChannel", ctx.channels), { channelId, cumulativeAmount: amount }, secret(client));
      const before = (await ctx.channels.nodeCredit(nodeId)).credit;
      await ctx.channels.connect(operator).claim(channelId, amount, hexlify(signature));
      const fee = (amount * (await ctx.params.protocolFeeBps())) / 10_000n;
      // credited to the node's operator in the channel contract (collected with withdrawNodeCredit)
      expect((await ctx.channels.nodeCredit(nodeId)).credit - before).to.equal(amount - fee);
    });
  });
});
