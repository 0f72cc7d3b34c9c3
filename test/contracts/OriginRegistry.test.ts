import { expect } from "chai";
import { network } from "hardhat";
import { TypedDataEncoder, Wallet, ZeroAddress, hexlify, keccak256, randomBytes, toUtf8Bytes } from "ethers";
import { ContentRecord, DOMAIN_NAMES, domainFor, type ContentRecordValue } from "../../agents/protocol/eip712.js";
import { as, deployRegistryFixture, registerNode, type RegistryContext } from "../helpers/registry-fixture.js";
import type { OriginRegistry } from "../../types/ethers-contracts/index.js";
import { expectRejectsZeroAddresses } from "../helpers/wiring.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;

describe("OriginRegistry", function () {
  const fixture = () => deployRegistryFixture(ethers);
  let ctx: RegistryContext;
  let origins: OriginRegistry;
  let nodeId: bigint;
  beforeEach(async () => {
    ctx = await networkHelpers.loadFixture(fixture);
    origins = ctx.origins;
    nodeId = (await registerNode(ctx)).nodeId;
  });

  const key = () => Wallet.createRandom();
  async function record(contentKey: { signTypedData: Wallet["signTypedData"] }, epoch: bigint, origin = nodeId) {
    const value: ContentRecordValue = {
      blobId: hexlify(randomBytes(32)),
      size: 1_048_576n,
      origin,
      epoch,
      timestamp: BigInt(await time.latest()),
    };
    const domain = domainFor("originRegistry", ctx.chainId, await origins.getAddress());
    const signature = await contentKey.signTypedData(domain, ContentRecord, value);
    return { value, signature };
  }

  it("uses the shared domain and ContentRecord type; rejects zero wiring", async () => {
    const d = await origins.eip712Domain();
    expect(d.name).to.equal(DOMAIN_NAMES.originRegistry);
    expect(d.version).to.equal("1");
    expect(await origins.CONTENT_RECORD_TYPEHASH()).to.equal(keccak256(toUtf8Bytes(TypedDataEncoder.from(ContentRecord).encodeType("ContentRecord"))));
    expect(await origins.REGISTRY()).to.equal(await ctx.registry.getAddress());
    expect(await origins.TIMELOCK()).to.equal(ctx.timelock.address);
    await expectRejectsZeroAddresses(ethers, "OriginRegistry", [ctx.registry, ctx.timelock.address]);
  });

  describe("recognize / revoke (timelock only)", () => {
    it("recognizes a registered node with epoch 1 and its content key", async () => {
      const k = key();
      await expect(as(origins, ctx.other).recognize(nodeId, k.address)).to.be.revertedWithCustomError(origins, "OriginRegistryNotTimelock").withArgs(ctx.other.address);
      await expect(as(origins, ctx.timelock).recognize(nodeId, k.address)).to.emit(origins, "OriginRecognized").withArgs(nodeId, 1n, k.address);
      expect(await origins.isRecognized(nodeId)).to.equal(true);
      const o = await origins.originOf(nodeId);
      expect([o.recognized, o.currentEpoch, o.firstValidEpoch]).to.deep.equal([true, 1n, 1n]);
      expect(await origins.contentKeyOf(nodeId, 1n)).to.deep.equal([k.address, false]);
      expect(await origins.isValidContentSigner(nodeId, 1n, k.address)).to.equal(true);
      expect(await origins.isValidContentSigner(nodeId, 1n, ctx.other.address)).to.equal(false);
      expect(await origins.isValidContentSigner(nodeId, 2n, k.address)).to.equal(false);
      expect(await origins.isValidContentSigner(nodeId + 1n, 1n, k.address)).to.equal(false);
      await expect(as(origins, ctx.timelock).recognize(nodeId, key().address)).to.be.revertedWithCustomError(origins, "OriginRegistryAlreadyRecognized").withArgs(nodeId);
    });

    it("refuses unregistered, exiting nodes and a zero content key", async () => {
      await expect(as(origins, ctx.timelock).recognize(99n, key().address)).to.be.revertedWithCustomError(origins, "OriginRegistryNodeNotRegistered").withArgs(99n);
      await expect(as(origins, ctx.timelock).recognize(nodeId, ZeroAddress)).to.be.revertedWithCustomError(origins, "OriginRegistryZeroAddress");
      await as(ctx.registry, ctx.operator).deregister(nodeId);
      await expect(as(origins, ctx.timelock).recognize(nodeId, key().address)).to.be.revertedWithCustomError(origins, "OriginRegistryNodeNotRegistered").withArgs(nodeId);
    });

    it("revocation voids every epoch; re-recognition starts a new epoch and old ones stay void", async () => {
      const k1 = key();
      await as(origins, ctx.timelock).recognize(nodeId, k1.address);
      await expect(as(origins, ctx.other).revoke(nodeId)).to.be.revertedWithCustomError(origins, "OriginRegistryNotTimelock");
      await expect(as(origins, ctx.timelock).revoke(nodeId)).to.emit(origins, "OriginRevoked").withArgs(nodeId, 1n);
      expect(await origins.isRecognized(nodeId)).to.equal(false);
      expect(await origins.isValidContentSigner(nodeId, 1n, k1.address)).to.equal(false);
      await expect(as(origins, ctx.timelock).revoke(nodeId)).to.be.revertedWithCustomError(origins, "OriginRegistryNotRecognized").withArgs(nodeId);
      const k2 = key();
      await expect(as(origins, ctx.timelock).recognize(nodeId, k2.address)).to.emit(origins, "OriginRecognized").withArgs(nodeId, 2n, k2.address);
      expect(await origins.isValidContentSigner(nodeId, 2n, k2.address)).to.equal(true);
      expect(await origins.isValidContentSigner(nodeId, 1n, k1.address)).to.equal(false);
      // the old key cannot come back under a new epoch
      await expect(as(origins, ctx.timelock).revoke(nodeId)).to.emit(origins, "OriginRevoked");
      await expect(as(origins, ctx.timelock).recognize(nodeId, k1.address)).to.be.revertedWithCustomError(origins, "OriginRegistryKeyReused").withArgs(nodeId, k1.address);
    });
  });

  describe("withdrawn origin", () => {
    it("withdrawn origin: deregistering ends origin status and voids its content signatures", async () => {
      const k = key();
      await as(origins, ctx.timelock).recognize(nodeId, k.address);
      const { value, signature } = await record(k, 1n);
      expect(await origins.isRecognized(nodeId)).to.equal(true);
      expect(await origins.isValidContentRecord(value, signature)).to.equal(true);
      await as(ctx.registry, ctx.operator).deregister(nodeId); // exiting
      expect(await origins.isRecognized(nodeId)).to.equal(false);
      expect(await origins.isValidContentSigner(nodeId, 1n, k.address)).to.equal(false);
      expect(await origins.isValidContentRecord(value, signature)).to.equal(false);
      await time.increase(14 * 86_400);
      await as(ctx.registry, ctx.operator).withdraw(nodeId); // withdrawn
      expect(await origins.isRecognized(nodeId)).to.equal(false);
      expect(await origins.isValidContentRecord(value, signature)).to.equal(false);
      // the DAO's record stays as it was voted
      expect((await origins.originOf(nodeId)).recognized).to.equal(true);
    });
  });

  describe("content key rotation (origin operator)", () => {
    it("starts a new epoch; older unrevoked epochs stay valid", async () => {
      const k1 = key();
      const k2 = key();
      await expect(as(origins, ctx.operator).rotateContentKey(nodeId, k2.address)).to.be.revertedWithCustomError(origins, "OriginRegistryNotRecognized").withArgs(nodeId);
      await as(origins, ctx.timelock).recognize(nodeId, k1.address);
      await expect(as(origins, ctx.other).rotateContentKey(nodeId, k2.address)).to.be.revertedWithCustomError(origins, "OriginRegistryNotOperator").withArgs(nodeId, ctx.other.address);
      await expect(as(origins, ctx.timelock).rotateContentKey(nodeId, k2.address)).to.be.revertedWithCustomError(origins, "OriginRegistryNotOperator");
      await expect(as(origins, ctx.operator).rotateContentKey(nodeId, k2.address)).to.emit(origins, "ContentKeyRotated").withArgs(nodeId, 2n, k2.address);
      expect((await origins.originOf(nodeId)).currentEpoch).to.equal(2n);
      expect(await origins.isValidContentSigner(nodeId, 2n, k2.address)).to.equal(true);
      expect(await origins.isValidContentSigner(nodeId, 1n, k1.address)).to.equal(true);
      expect(await origins.isValidContentSigner(nodeId, 2n, k1.address)).to.equal(false);
      await expect(as(origins, ctx.operator).rotateContentKey(nodeId, k1.address)).to.be.revertedWithCustomError(origins, "OriginRegistryKeyReused").withArgs(nodeId, k1.address);
      await expect(as(origins, ctx.operator).rotateContentKey(nodeId, ZeroAddress)).to.be.revertedWithCustomError(origins, "OriginRegistryZeroAddress");
    });
  });

  describe("epoch revocation (timelock)", () => {
    it("voids one epoch (a leaked key); others stay valid; bad epochs are refused", async () => {
      const k1 = key();
      const k2 = key();
      await as(origins, ctx.timelock).recognize(nodeId, k1.address);
      await as(origins, ctx.operator).rotateContentKey(nodeId, k2.address);
      await expect(as(origins, ctx.operator).revokeEpoch(nodeId, 1n)).to.be.revertedWithCustomError(origins, "OriginRegistryNotTimelock");
      await expect(as(origins, ctx.timelock).revokeEpoch(nodeId, 1n)).to.emit(origins, "ContentEpochRevoked").withArgs(nodeId, 1n);
      expect(await origins.isValidContentSigner(nodeId, 1n, k1.address)).to.equal(false);
      expect(await origins.contentKeyOf(nodeId, 1n)).to.deep.equal([k1.address, true]);
      expect(await origins.isValidContentSigner(nodeId, 2n, k2.address)).to.equal(true);
      for (const epoch of [0n, 3n, 1n]) {
        await expect(as(origins, ctx.timelock).revokeEpoch(nodeId, epoch)).to.be.revertedWithCustomError(origins, "OriginRegistryBadEpoch").withArgs(nodeId, epoch, 2n);
      }
      // revoking the current epoch leaves the origin without a valid key until it rotates
      await as(origins, ctx.timelock).revokeEpoch(nodeId, 2n);
      expect(await origins.isValidContentSigner(nodeId, 2n, k2.address)).to.equal(false);
      const k3 = key();
      await as(origins, ctx.operator).rotateContentKey(nodeId, k3.address);
      expect(await origins.isValidContentSigner(nodeId, 3n, k3.address)).to.equal(true);
    });
  });

  describe("content record views", () => {
    it("recovers the signer and checks origin, epoch and revocation", async () => {
      const k1 = key();
      await as(origins, ctx.timelock).recognize(nodeId, k1.address);
      const good = await record(k1, 1n);
      expect(await origins.contentRecordSigner(good.value, good.signature)).to.equal(k1.address);
      expect(await origins.isValidContentRecord(good.value, good.signature)).to.equal(true);
      // wrong epoch, wrong origin, wrong key, tampered field, malformed signature
      const wrongEpoch = await record(k1, 2n);
      expect(await origins.isValidContentRecord(wrongEpoch.value, wrongEpoch.signature)).to.equal(false);
      const otherOrigin = await record(k1, 1n, nodeId + 1n);
      expect(await origins.isValidContentRecord(otherOrigin.value, otherOrigin.signature)).to.equal(false);
      const stranger = await record(key(), 1n);
      expect(await origins.isValidContentRecord(stranger.value, stranger.signature)).to.equal(false);
      expect(await origins.isValidContentRecord({ ...good.value, size: good.value.size + 1n }, good.signature)).to.equal(false);
      expect(await origins.contentRecordSigner(good.value, "0x1234")).to.equal(ZeroAddress);
      expect(await origins.isValidContentRecord(good.value, "0x1234")).to.equal(false);
      // signed for another chain's domain
      const domain = domainFor("originRegistry", ctx.chainId + 1n, await origins.getAddress());
      const otherChain = await k1.signTypedData(domain, ContentRecord, good.value);
      expect(await origins.isValidContentRecord(good.value, otherChain)).to.equal(false);
      await as(origins, ctx.timelock).revokeEpoch(nodeId, 1n);
      expect(await origins.isValidContentRecord(good.value, good.signature)).to.equal(false);
    });
  });
});
