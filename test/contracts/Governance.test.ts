import { expect } from "chai";
import { network } from "hardhat";
import { ZeroAddress, id, keccak256 } from "ethers";
import { call, deployGovernance, passProposal, proposeAndQueue, ROLES, type GovernanceContext } from "../helpers/governance.js";

const connection = await network.create();
const { networkHelpers, ethers } = connection;

describe("Governance (CdnToken, CdnGovernor, CdnTimelock)", function () {
  const fixture = () => deployGovernance(connection);
  let ctx: GovernanceContext;
  beforeEach(async () => {
    ctx = await networkHelpers.loadFixture(fixture);
  });

  describe("bounded settings", () => {
    it("reverts out-of-bounds governor settings proposed through governance", async () => {
      const cases: [string, unknown[], string, bigint, bigint, bigint][] = [
        ["setVotingDelay", [0n], "votingDelay", 0n, 1n, 302_400n],
        ["setVotingPeriod", [1n], "votingPeriod", 1n, 2n, 1_296_000n],
        ["setProposalThreshold", [ethers.parseEther("1000001")], "proposalThreshold", ethers.parseEther("1000001"), 0n, ethers.parseEther("1000000")],
        ["updateQuorumNumerator", [21n], "quorumNumerator", 21n, 1n, 20n],
        ["updateQuorumNumerator", [0n], "quorumNumerator", 0n, 1n, 20n],
      ];
      for (const [method, args, setting, value, min, max] of cases) {
        const { execute } = await proposeAndQueue(ctx, [call(ctx.governor, method, args)]);
        await expect(execute(), method).to.be.revertedWithCustomError(ctx.governor, "CdnGovernorSettingOutOfBounds").withArgs(ethers.encodeBytes32String(setting), value, min, max);
      }
    });

    it("publishes each setting's bounds for tools (devnet floors on chain 31337)", async () => {
      const b = async (name: string) => ctx.governor.settingBounds(ethers.encodeBytes32String(name));
      expect(await b("votingDelay")).to.deep.equal([1n, 302_400n]);
      expect(await b("votingPeriod")).to.deep.equal([2n, 1_296_000n]);
      expect(await b("proposalThreshold")).to.deep.equal([0n, ethers.parseEther("1000000")]);
      expect(await b("quorumNumerator")).to.deep.equal([1n, 20n]);
      await expect(b("nope")).to.be.revertedWithCustomError(ctx.governor, "CdnGovernorUnknownSetting");
    });

    it("applies governor settings inside bounds", async () => {
      await passProposal(ctx, [call(ctx.governor, "updateQuorumNumerator", [10n]), call(ctx.governor, "setVotingPeriod", [7n])]);
      expect(await ctx.governor["quorumNumerator()"]()).to.equal(10n);
      expect(await ctx.governor.votingPeriod()).to.equal(7n);
    });

    it("bounds the timelock delay on every update", async () => {
      for (const delay of [0n, 30n * 86400n + 1n]) {
        const { execute } = await proposeAndQueue(ctx, [call(ctx.timelock, "updateDelay", [delay])]);
        await expect(execute())
          .to.be.revertedWithCustomError(ctx.timelock, "CdnTimelockDelayOutOfBounds")
          .withArgs(delay, 1n, 30n * 86400n);
      }
      await passProposal(ctx, [call(ctx.timelock, "updateDelay", [3n])]);
      expect(await ctx.timelock.getMinDelay()).to.equal(3n);
    });

    it("lets no account change governor or timelock settings directly", async () => {
      await expect(ctx.governor.connect(ctx.deployer).setVotingPeriod(10n)).to.be.revertedWithCustomError(ctx.governor, "GovernorOnlyExecutor");
      await expect(ctx.timelock.connect(ctx.deployer).updateDelay(10n)).to.be.revertedWithCustomError(ctx.timelock, "TimelockUnauthorizedCaller");
    });

    it("applies production floors on any chain but the local devnet", async () => {
      const prod = await network.create("productionLike");
      expect((await prod.ethers.provider.getNetwork()).chainId).to.not.equal(31337n);
      const [deployer] = await prod.ethers.getSigners();
      const token = await prod.ethers.deployContract("CdnToken", [deployer.address]);
      await expect(prod.ethers.deployContract("CdnTimelock", [2n, [], [ZeroAddress], deployer.address]))
        .to.be.revertedWithCustomError(ctx.timelock, "CdnTimelockDelayOutOfBounds")
        .withArgs(2n, 3600n, 30n * 86400n);
      const timelock = await prod.ethers.deployContract("CdnTimelock", [3600n, [], [ZeroAddress], deployer.address]);
      await expect(prod.ethers.deployContract("CdnGovernor", [token, timelock, 1n, 5n, 0n, 4n]))
        .to.be.revertedWithCustomError(ctx.governor, "CdnGovernorSettingOutOfBounds")
        .withArgs(ethers.encodeBytes32String("votingPeriod"), 5n, 1800n, 1_296_000n);
      await prod.ethers.deployContract("CdnGovernor", [token, timelock, 1n, 1800n, 0n, 4n]);
      await prod.close();
    });
  });

  describe("attacks on the DAO's wiring and batches", () => {
    it("governor swaps its timelock: a proposal installing a 1-second timelock its proposer controls reverts; the wiring stays", async () => {
      const [proposer] = ctx.voters;
      const rogue = await ethers.deployContract("CdnTimelock", [1n, [await proposer.getAddress()], [ZeroAddress], ZeroAddress]);
      const target = await rogue.getAddress();
      const { execute } = await proposeAndQueue(ctx, [call(ctx.governor, "updateTimelock", [target])]);
      await expect(execute()).to.be.revertedWithCustomError(ctx.governor, "CdnGovernorTimelockImmutable");
      expect(await ctx.governor.timelock()).to.equal(await ctx.timelock.getAddress());
      await expect(ctx.governor.connect(ctx.deployer).updateTimelock(target)).to.be.revertedWithCustomError(ctx.governor, "CdnGovernorTimelockImmutable");
    });

    it("compliance role games: listing one of a queued DAO batch's blobs first does not make the batch revert", async () => {
      const [holder] = ctx.voters;
      await passProposal(ctx, [call(ctx.blacklist, "grantComplianceRole", [await holder.getAddress()])]);
      const [a, b] = [id("blob a"), id("blob b")].map((blobId) => ({ blobId, key: keccak256(blobId) }));
      const { execute } = await proposeAndQueue(ctx, [call(ctx.blacklist, "add", [a.key]), call(ctx.blacklist, "add", [b.key])]);
      await ctx.blacklist.connect(holder).add(a.key); // front-runs the execution
      const early = await ctx.blacklist.entryOf(a.blobId);
      await execute();
      const after = await ctx.blacklist.entryOf(a.blobId);
      expect(after.entryId).to.equal(early.entryId);
      expect(after.effectiveAt).to.equal(early.effectiveAt);
      expect(after.byTimelock).to.equal(true);
      expect((await ctx.blacklist.entryOf(b.blobId)).listed).to.equal(true);
      await expect(ctx.blacklist.connect(holder).remove(a.key)).to.be.revertedWithCustomError(ctx.blacklist, "ContentBlacklistDaoEntry");
    });
  });

  describe("no externally owned account holds a role", () => {
    it("leaves roles only to the governor (proposer, canceller), the timelock itself (admin) and everyone (executor)", async () => {
      const governor = await ctx.governor.getAddress();
      const timelock = await ctx.timelock.getAddress();
      const signers = await ethers.getSigners();
      for (const signer of signers) {
        for (const role of Object.values(ROLES)) {
          expect(await ctx.timelock.hasRole(role, signer.address), `${signer.address} ${role}`).to.equal(false);
        }
      }
      expect(await ctx.timelock.hasRole(ROLES.PROPOSER, governor)).to.equal(true);
      expect(await ctx.timelock.hasRole(ROLES.CANCELLER, governor)).to.equal(true);
      expect(await ctx.timelock.hasRole(ROLES.EXECUTOR, ZeroAddress)).to.equal(true);
      expect(await ctx.timelock.hasRole(ROLES.DEFAULT_ADMIN, timelock)).to.equal(true);
      expect(await ctx.governor.timelock()).to.equal(timelock);
      expect(await ctx.params.TIMELOCK()).to.equal(timelock);
      // The token has no owner or minter: its supply is fixed.
      expect(ctx.token.interface.hasFunction("owner")).to.equal(false);
      expect(ctx.token.interface.hasFunction("mint")).to.equal(false);
      expect(await ctx.token.totalSupply()).to.equal(ethers.parseEther("100000000"));
    });

    it("leaves no account any power over the protocol contracts' wiring or writes", async () => {
      const channels = await ctx.channels.getAddress();
      expect(await ctx.registry.slasher()).to.equal(channels);
      // The one-shot wiring is spent: not even the deployer can point the slasher elsewhere.
      await expect(ctx.registry.connect(ctx.deployer).initializeSlasher(ctx.deployer)).to.be.revertedWithCustomError(ctx.registry, "NodeRegistrySlasherLocked");
      for (const signer of await ethers.getSigners()) {
        expect(await ctx.blacklist.hasComplianceRole(signer.address)).to.equal(false);
      }
      await expect(ctx.blacklist.connect(ctx.deployer).add(ethers.ZeroHash)).to.be.revert(ethers);
      await expect(ctx.origins.connect(ctx.deployer).recognize(1n, ctx.deployer)).to.be.revert(ethers);
      for (const contract of [ctx.registry, ctx.origins, ctx.blacklist, ctx.channels, ctx.params]) {
        expect(contract.interface.hasFunction("owner"), await contract.getAddress()).to.equal(false);
        expect(contract.interface.hasFunction("transferOwnership")).to.equal(false);
      }
    });

    it("refuses proposals from anyone but the governor at the timelock", async () => {
      await expect(ctx.timelock.connect(ctx.deployer).schedule(ZeroAddress, 0n, "0x", ethers.ZeroHash, ethers.ZeroHash, 10n)).to.be.revertedWithCustomError(
        ctx.timelock,
        "AccessControlUnauthorizedAccount",
      );
    });
  });
});
