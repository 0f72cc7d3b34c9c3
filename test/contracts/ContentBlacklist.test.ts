import { expect } from "chai";
import { network } from "hardhat";
import { ZeroAddress, encodeBytes32String, keccak256, randomBytes, hexlify } from "ethers";
import { as, deployRegistryFixture, DAY, type RegistryContext } from "../helpers/registry-fixture.js";
import type { ContentBlacklist } from "../../types/ethers-contracts/index.js";
import { expectRejectsZeroAddresses } from "../helpers/wiring.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;

const blob = () => hexlify(randomBytes(32));
const keyOf = (blobId: string) => keccak256(blobId);

describe("ContentBlacklist", function () {
  const fixture = () => deployRegistryFixture(ethers);
  let ctx: RegistryContext;
  let bl: ContentBlacklist;
  beforeEach(async () => {
    ctx = await networkHelpers.loadFixture(fixture);
    bl = ctx.blacklist;
  });

  it("is wired to the params and the timelock, and rejects zero addresses", async () => {
    expect(await bl.TIMELOCK()).to.equal(ctx.timelock.address);
    expect(await bl.PARAMS()).to.equal(await ctx.params.getAddress());
    await expectRejectsZeroAddresses(ethers, "ContentBlacklist", [ctx.params, ctx.timelock.address]);
  });

  it("keys entries by keccak256(blobId)", async () => {
    const id = blob();
    expect(await bl.blobKeyOf(id)).to.equal(keyOf(id));
  });

  describe("add", () => {
    it("the timelock adds: effectiveAt = now + complianceWindow, views by blob id and key", async () => {
      const id = blob();
      const window = await ctx.params.complianceWindow();
      const tx = await as(bl, ctx.timelock).add(keyOf(id));
      const ts = BigInt((await tx.getBlock())!.timestamp);
      await expect(tx)
        .to.emit(bl, "BlobBlacklisted")
        .withArgs(keyOf(id), 1n, ts + window, ctx.timelock.address);
      const e = await bl.entryOf(id);
      expect(e.entryId).to.equal(1n);
      expect(e.addedAt).to.equal(ts);
      expect(e.effectiveAt).to.equal(ts + window);
      expect(e.listed).to.equal(true);
      expect(await bl.entryOfKey(keyOf(id))).to.deep.equal(e);
      expect(await bl.entryById(1n)).to.deep.equal(e);
      expect(await bl.isBlacklisted(id)).to.equal(true);
      expect(await bl.keyOfEntry(1n)).to.equal(keyOf(id));
      expect(await bl.entryCount()).to.equal(1n);
      // the blob id itself never appears in the transaction
      expect(tx.data.toLowerCase().includes(id.slice(2).toLowerCase())).to.equal(false);
    });

    it("is effective exactly at effectiveAt, not a second before", async () => {
      const id = blob();
      const tx = await as(bl, ctx.timelock).add(keyOf(id));
      const effectiveAt = BigInt((await tx.getBlock())!.timestamp) + (await ctx.params.complianceWindow());
      await time.increaseTo(effectiveAt - 1n);
      expect(await bl.isEffective(id)).to.equal(false);
      await time.increaseTo(effectiveAt);
      expect(await bl.isEffective(id)).to.equal(true);
    });

    it("stamps the window in force at add time (a later change does not move it)", async () => {
      const first = blob();
      await as(bl, ctx.timelock).add(keyOf(first));
      const before = (await bl.entryOf(first)).effectiveAt;
      const complianceKey = encodeBytes32String("complianceWindow");
      await as(ctx.params, ctx.timelock).setParameter(complianceKey, ((2n * DAY) / 3n) * 2n); // 32 h
      expect((await bl.entryOf(first)).effectiveAt).to.equal(before);
      const second = blob();
      const tx = await as(bl, ctx.timelock).add(keyOf(second));
      expect((await bl.entryOf(second)).effectiveAt).to.equal(BigInt((await tx.getBlock())!.timestamp) + ((2n * DAY) / 3n) * 2n);
    });

    it("adding a listed key changes nothing (same entry, same effective time); strangers are refused", async () => {
      const id = blob();
      await as(bl, ctx.timelock).add(keyOf(id));
      const first = await bl.entryOf(id);
      await time.increase(3600);
      expect(await as(bl, ctx.timelock).add.staticCall(keyOf(id))).to.equal(1n);
      await expect(as(bl, ctx.timelock).add(keyOf(id))).to.not.emit(bl, "BlobBlacklisted");
      expect(await bl.entryOf(id)).to.deep.equal(first);
      expect(await bl.entryCount()).to.equal(1n);
      await expect(as(bl, ctx.other).add(keyOf(blob())))
        .to.be.revertedWithCustomError(bl, "ContentBlacklistUnauthorized")
        .withArgs(ctx.other.address);
      await expect(as(bl, ctx.other).remove(keyOf(id)))
        .to.be.revertedWithCustomError(bl, "ContentBlacklistUnauthorized")
        .withArgs(ctx.other.address);
    });
  });

  describe("remove and re-add", () => {
    it("removes (record kept, listed = false); a re-add is a fresh entry with a fresh window", async () => {
      const id = blob();
      await as(bl, ctx.timelock).add(keyOf(id));
      const first = await bl.entryOf(id);
      await expect(as(bl, ctx.timelock).remove(keyOf(id)))
        .to.emit(bl, "BlobUnblacklisted")
        .withArgs(keyOf(id), 1n, ctx.timelock.address);
      const removed = await bl.entryOf(id);
      expect(removed.listed).to.equal(false);
      expect(removed.entryId).to.equal(1n);
      expect(removed.effectiveAt).to.equal(first.effectiveAt);
      expect(await bl.isBlacklisted(id)).to.equal(false);
      expect(await bl.isEffective(id)).to.equal(false);
      await expect(as(bl, ctx.timelock).remove(keyOf(id)))
        .to.be.revertedWithCustomError(bl, "ContentBlacklistNotListed")
        .withArgs(keyOf(id));
      await time.increase(3600);
      const tx = await as(bl, ctx.timelock).add(keyOf(id));
      const again = await bl.entryOf(id);
      expect(again.entryId).to.equal(2n);
      expect(again.addedAt).to.equal(BigInt((await tx.getBlock())!.timestamp));
      expect(again.effectiveAt > first.effectiveAt).to.equal(true);
      // the first entry keeps its own record
      const old = await bl.entryById(1n);
      expect(old.listed).to.equal(false);
      expect(old.addedAt).to.equal(first.addedAt);
    });

    it("refuses to remove a key never listed", async () => {
      const id = blob();
      await expect(as(bl, ctx.timelock).remove(keyOf(id)))
        .to.be.revertedWithCustomError(bl, "ContentBlacklistNotListed")
        .withArgs(keyOf(id));
    });
  });

  describe("compliance role", () => {
    it("only the timelock grants and revokes; holders add and remove, named in events", async () => {
      await expect(as(bl, ctx.compliance).grantComplianceRole(ctx.compliance.address)).to.be.revertedWithCustomError(bl, "ContentBlacklistNotTimelock").withArgs(ctx.compliance.address);
      await expect(as(bl, ctx.timelock).grantComplianceRole(ctx.compliance.address)).to.emit(bl, "ComplianceRoleGranted").withArgs(ctx.compliance.address);
      expect(await bl.hasComplianceRole(ctx.compliance.address)).to.equal(true);
      await expect(as(bl, ctx.timelock).grantComplianceRole(ctx.compliance.address)).to.be.revertedWithCustomError(bl, "ContentBlacklistRoleUnchanged").withArgs(ctx.compliance.address, true);
      await expect(as(bl, ctx.timelock).grantComplianceRole(ZeroAddress)).to.be.revertedWithCustomError(bl, "ContentBlacklistZeroAddress");
      // a holder cannot appoint others
      await expect(as(bl, ctx.compliance).grantComplianceRole(ctx.other.address)).to.be.revertedWithCustomError(bl, "ContentBlacklistNotTimelock");
      const id = blob();
      await expect(as(bl, ctx.compliance).add(keyOf(id)))
        .to.emit(bl, "BlobBlacklisted")
        .withArgs(keyOf(id), 1n, (v: bigint) => v > 0n, ctx.compliance.address);
      await expect(as(bl, ctx.compliance).remove(keyOf(id)))
        .to.emit(bl, "BlobUnblacklisted")
        .withArgs(keyOf(id), 1n, ctx.compliance.address);
      await expect(as(bl, ctx.compliance).revokeComplianceRole(ctx.compliance.address)).to.be.revertedWithCustomError(bl, "ContentBlacklistNotTimelock");
      await expect(as(bl, ctx.timelock).revokeComplianceRole(ctx.compliance.address)).to.emit(bl, "ComplianceRoleRevoked").withArgs(ctx.compliance.address);
      expect(await bl.hasComplianceRole(ctx.compliance.address)).to.equal(false);
      await expect(as(bl, ctx.compliance).add(keyOf(blob())))
        .to.be.revertedWithCustomError(bl, "ContentBlacklistUnauthorized")
        .withArgs(ctx.compliance.address);
      await expect(as(bl, ctx.timelock).revokeComplianceRole(ctx.compliance.address)).to.be.revertedWithCustomError(bl, "ContentBlacklistRoleUnchanged").withArgs(ctx.compliance.address, false);
    });
  });

  describe("compliance role games", () => {
    beforeEach(async () => {
      await as(bl, ctx.timelock).grantComplianceRole(ctx.compliance.address);
    });

    it("compliance role games: a holder cannot remove (to re-add with a later effective time) an entry the DAO listed", async () => {
      const id = blob();
      await as(bl, ctx.timelock).add(keyOf(id));
      const daoEntry = await bl.entryOf(id);
      expect(daoEntry.byTimelock).to.equal(true);
      await expect(as(bl, ctx.compliance).remove(keyOf(id)))
        .to.be.revertedWithCustomError(bl, "ContentBlacklistDaoEntry")
        .withArgs(keyOf(id), daoEntry.entryId);
      // a re-add by the holder is a no-op: the DAO's entry and its effective time stay
      await as(bl, ctx.compliance).add(keyOf(id));
      expect(await bl.entryOf(id)).to.deep.equal(daoEntry);
      // the DAO itself still removes its entry
      await expect(as(bl, ctx.timelock).remove(keyOf(id))).to.emit(bl, "BlobUnblacklisted");
    });

    it("compliance role games: a DAO listing of a blob the role listed first keeps the earlier effective time and makes it the DAO's", async () => {
      const id = blob();
      await as(bl, ctx.compliance).add(keyOf(id));
      const early = await bl.entryOf(id);
      expect(early.byTimelock).to.equal(false);
      await time.increase(3600);
      await expect(as(bl, ctx.timelock).add(keyOf(id)))
        .to.emit(bl, "BlobListingConfirmed")
        .withArgs(keyOf(id), early.entryId);
      const confirmed = await bl.entryOf(id);
      expect(confirmed.entryId).to.equal(early.entryId);
      expect(confirmed.effectiveAt).to.equal(early.effectiveAt);
      expect(confirmed.byTimelock).to.equal(true);
      await expect(as(bl, ctx.compliance).remove(keyOf(id))).to.be.revertedWithCustomError(bl, "ContentBlacklistDaoEntry");
      // the role keeps full control of its own entries
      const own = blob();
      await as(bl, ctx.compliance).add(keyOf(own));
      await as(bl, ctx.compliance).remove(keyOf(own));
      expect(await bl.isBlacklisted(own)).to.equal(false);
    });
  });

  describe("enumeration", () => {
    it("pages through every entry with its key", async () => {
      const ids = [blob(), blob(), blob()];
      for (const id of ids) await as(bl, ctx.timelock).add(keyOf(id));
      await as(bl, ctx.timelock).remove(keyOf(ids[1]));
      await as(bl, ctx.timelock).add(keyOf(ids[1])); // entry 4
      let [keys, list, next] = await bl.entries(0n, 3n);
      expect(keys).to.deep.equal(ids.map(keyOf));
      expect(list.map((e) => e.listed)).to.deep.equal([true, false, true]);
      expect(list.map((e) => e.entryId)).to.deep.equal([1n, 2n, 3n]);
      expect(next).to.equal(4n);
      [keys, list, next] = await bl.entries(next, 3n);
      expect(keys).to.deep.equal([keyOf(ids[1])]);
      expect(list[0].entryId).to.equal(4n);
      expect(list[0].listed).to.equal(true);
      expect(next).to.equal(0n);
      [keys, , next] = await bl.entries(9n, 3n);
      expect(keys).to.deep.equal([]);
      expect(next).to.equal(0n);
    });
  });
});
