import { expect } from "chai";
import { network } from "hardhat";
import { decodeBytes32String, encodeBytes32String } from "ethers";
import { CHAIN_UNITS, PARAM_UNITS } from "../../tasks/lib/units.js";
import { call, deployGovernance, passProposal, proposeAndQueue, DAY, type GovernanceContext } from "../helpers/governance.js";
import { GasRecorder } from "../helpers/gas.js";

const connection = await network.create();
const { networkHelpers } = connection;

const key = (name: string) => encodeBytes32String(name);
const USDC = 1_000_000n;
const E18 = 10n ** 18n;

/** Every protocol parameter (docs/governance.md) with its default and hard bounds. */
const TABLE = [
  { name: "bondK", value: 1n * USDC, min: 10_000n, max: 1_000n * USDC },
  { name: "bondAlpha", value: E18, min: 8n * 10n ** 17n, max: E18 },
  { name: "minBond", value: 100n * USDC, min: 10n * USDC, max: 100_000n * USDC },
  { name: "unbondingPeriod", value: 14n * 86400n, min: 7n * 86400n, max: 60n * 86400n },
  { name: "disputeWindow", value: 86400n, min: 43200n, max: 7n * 86400n },
  { name: "complianceWindow", value: 86400n, min: 3600n, max: 7n * 86400n },
  { name: "evidenceMaxAge", value: 3n * 86400n, min: 86400n, max: 14n * 86400n },
  { name: "revealWindow", value: 86400n, min: 3600n, max: 3n * 86400n },
  { name: "protocolFeeBps", value: 500n, min: 0n, max: 2000n },
  { name: "minChannelDeposit", value: 1n * USDC, min: 100_000n, max: 100n * USDC },
  { name: "slashBps", value: 1000n, min: 500n, max: 5000n },
  { name: "slasherRewardBps", value: 5000n, min: 0n, max: 5000n },
];

describe("ProtocolParams (through Governor → Timelock)", function () {
  const fixture = () => deployGovernance(connection);
  let ctx: GovernanceContext;
  beforeEach(async () => {
    ctx = await networkHelpers.loadFixture(fixture);
  });
  const setParam = (name: string, value: bigint) => call(ctx.params, "setParameter", [key(name), value]);

  describe("defaults and bounds", () => {
    it("holds every default of the design table, with its bounds, in one view", async () => {
      const all = await ctx.params.allParameters();
      expect(all.length).to.equal(TABLE.length);
      for (const row of TABLE) {
        const info = all.find((p) => p.key === key(row.name));
        expect(info, row.name).to.not.equal(undefined);
        expect(info!.value, row.name).to.equal(row.value);
        expect(info!.min, row.name).to.equal(row.min);
        expect(info!.max, row.name).to.equal(row.max);
        expect(info!.lastChangedAt, row.name).to.equal(0n);
        expect(await ctx.params.get(key(row.name))).to.equal(row.value);
      }
      expect(await ctx.params.operatorShareBps()).to.equal(9500n);
    });

    it("gives every parameter's unit in its row: params:show prints in it, and gov:propose parses in the same unit", async () => {
      const all = await ctx.params.allParameters();
      for (const p of all) {
        const name = decodeBytes32String(p.key);
        expect(CHAIN_UNITS[Number(p.unit)], name).to.equal(PARAM_UNITS[name]);
      }
      expect(Object.keys(PARAM_UNITS).length).to.equal(all.length);
    });

    it("rejects an unknown key", async () => {
      await expect(ctx.params.get(key("nope"))).to.be.revertedWithCustomError(ctx.params, "ProtocolParamsUnknownKey");
    });
  });

  describe("changes through governance", () => {
    it("applies a change inside bounds and emits ParameterUpdated", async () => {
      const tx = await passProposal(ctx, [setParam("disputeWindow", 36n * 3600n)]);
      await expect(tx)
        .to.emit(ctx.params, "ParameterUpdated")
        .withArgs(key("disputeWindow"), 86400n, 36n * 3600n);
      expect(await ctx.params.disputeWindow()).to.equal(36n * 3600n);
    });

    it("reverts an out-of-bounds value with the value and the bound", async () => {
      // 12 h is the floor; a 50 % step from 24 h lands exactly on it, one second below is out of bounds.
      const { execute } = await proposeAndQueue(ctx, [setParam("disputeWindow", 43199n)]);
      await expect(execute()).to.be.revertedWithCustomError(ctx.params, "ProtocolParamsBelowMinimum").withArgs(key("disputeWindow"), 43199n, 43200n);
      const { execute: tooHigh } = await proposeAndQueue(ctx, [setParam("protocolFeeBps", 2001n)]);
      await expect(tooHigh()).to.be.revertedWithCustomError(ctx.params, "ProtocolParamsAboveMaximum").withArgs(key("protocolFeeBps"), 2001n, 2000n);
    });

    it("limits one change to ±50 % of the current value", async () => {
      const { execute } = await proposeAndQueue(ctx, [setParam("minChannelDeposit", 1_500_001n)]);
      await expect(execute()).to.be.revertedWithCustomError(ctx.params, "ProtocolParamsStepTooLarge").withArgs(key("minChannelDeposit"), 1_000_000n, 1_500_001n, 500_000n);
      await passProposal(ctx, [setParam("minChannelDeposit", 1_500_000n)]);
      expect(await ctx.params.minChannelDeposit()).to.equal(1_500_000n);
    });

    it("lets a zero-valued parameter move by its hard minimum step", async () => {
      // 5 % → 2.5 % → 1.25 % → 0.25 % (Δ 100 bps: the hard step beats half of 125) → 0.
      for (const bps of [250n, 125n, 25n, 0n]) {
        await passProposal(ctx, [setParam("protocolFeeBps", bps)]);
        await networkHelpers.time.increase(7 * DAY);
      }
      expect(await ctx.params.protocolFeeBps()).to.equal(0n);
      const { execute } = await proposeAndQueue(ctx, [setParam("protocolFeeBps", 101n)]);
      await expect(execute())
        .to.be.revertedWithCustomError(ctx.params, "ProtocolParamsStepTooLarge")
        .withArgs(key("protocolFeeBps"), 0n, 101n, await ctx.params.PROTOCOL_FEE_MIN_STEP_BPS());
      await passProposal(ctx, [setParam("protocolFeeBps", 100n)]);
      expect(await ctx.params.protocolFeeBps()).to.equal(100n);
      // the named hard steps are what allParameters reports for values too small for ±50 %
      const rows = await ctx.params.allParameters();
      expect(rows.find((r) => r.key === key("slasherRewardBps"))!.maxStep).to.equal(2_500n);
      expect(await ctx.params.SLASHER_REWARD_MIN_STEP_BPS()).to.equal(500n);
      expect(await ctx.params.PROTOCOL_FEE_MIN_STEP_BPS()).to.equal(100n);
      expect(rows.find((r) => r.key === key("protocolFeeBps"))!.maxStep).to.equal(100n);
    });

    it("allows one change per parameter per 7-day cooldown", async () => {
      await passProposal(ctx, [setParam("complianceWindow", 30n * 3600n)]);
      const changedAt = BigInt(await networkHelpers.time.latest());
      const { execute } = await proposeAndQueue(ctx, [setParam("complianceWindow", 36n * 3600n)]);
      const next = (await ctx.params.allParameters()).find((p) => p.key === key("complianceWindow"))!.nextChangeAt;
      expect(next).to.equal(changedAt + 7n * 86400n);
      await expect(execute()).to.be.revertedWithCustomError(ctx.params, "ProtocolParamsCooldown").withArgs(key("complianceWindow"), next);
      // Another parameter is not affected by this one's cooldown.
      await passProposal(ctx, [setParam("disputeWindow", 30n * 3600n)]);
      await networkHelpers.time.increaseTo(next);
      await passProposal(ctx, [setParam("complianceWindow", 36n * 3600n)]);
      expect(await ctx.params.complianceWindow()).to.equal(36n * 3600n);
    });

    it("moves alpha by at most 0.05 per change, on a 0.01 grid, never above 1", async () => {
      const { execute } = await proposeAndQueue(ctx, [setParam("bondAlpha", 94n * 10n ** 16n)]);
      await expect(execute())
        .to.be.revertedWithCustomError(ctx.params, "ProtocolParamsStepTooLarge")
        .withArgs(key("bondAlpha"), E18, 94n * 10n ** 16n, 5n * 10n ** 16n);
      const { execute: offGrid } = await proposeAndQueue(ctx, [setParam("bondAlpha", 955n * 10n ** 15n)]);
      await expect(offGrid())
        .to.be.revertedWithCustomError(ctx.params, "ProtocolParamsOffGrid")
        .withArgs(key("bondAlpha"), 955n * 10n ** 15n, 10n ** 16n);
      // −0.05 moves the power term at 1,000,000 Mbps by 1,000,000^−0.05 ≈ −49.9 %: inside the curve limit.
      await passProposal(ctx, [setParam("bondAlpha", 95n * 10n ** 16n)]);
      expect(await ctx.params.bondAlpha()).to.equal(95n * 10n ** 16n);
    });

    it("reverts a single proposal that lowers k and alpha together beyond the curve limit", async () => {
      // k −30 % alone is allowed, alpha −0.03 alone is allowed;
      // together they move the bond at 1,000,000 Mbps by 0.7 × 1,000,000^−0.03 ≈ −54 %.
      const soon = BigInt(await networkHelpers.time.latest()) + 100n;
      await ctx.params.validateChange(key("bondK"), 700_000n, soon);
      await ctx.params.validateChange(key("bondAlpha"), 97n * 10n ** 16n, soon);
      const { execute } = await proposeAndQueue(ctx, [setParam("bondK", 700_000n), setParam("bondAlpha", 97n * 10n ** 16n)]);
      await expect(execute()).to.be.revertedWithCustomError(ctx.params, "ProtocolParamsCurveStepTooLarge");
      const { execute: viaCurve } = await proposeAndQueue(ctx, [call(ctx.params, "setBondCurve", [700_000n, 97n * 10n ** 16n, 100n * USDC])]);
      await expect(viaCurve()).to.be.revertedWithCustomError(ctx.params, "ProtocolParamsCurveStepTooLarge");
      expect(await ctx.params.bondK()).to.equal(USDC);
    });

    it("sybil split: no curve governance can set lets 22 nodes of 46 Mbps bond less than one node of 1,000 Mbps", async () => {
      // The attack at the old defaults (alpha 1.2): 22 × 100 USDC = 2,200 USDC against 3,981 USDC.
      // Today: 22 × 100 = 2,200 USDC against 1,000 USDC, and alpha above 1 (where splits pay) is refused.
      const whole = await ctx.params.requiredBond(1_000n);
      const split = 22n * (await ctx.params.requiredBond(46n));
      expect(whole).to.equal(1_000n * USDC);
      expect(split).to.equal(2_200n * USDC);
      expect(await ctx.params.MAX_BOND_ALPHA()).to.equal(E18);
      const { execute } = await proposeAndQueue(ctx, [setParam("bondAlpha", 101n * 10n ** 16n)]);
      await expect(execute())
        .to.be.revertedWithCustomError(ctx.params, "ProtocolParamsAboveMaximum")
        .withArgs(key("bondAlpha"), 101n * 10n ** 16n, E18);
      const { execute: viaCurve } = await proposeAndQueue(ctx, [call(ctx.params, "setBondCurve", [USDC, 105n * 10n ** 16n, 100n * USDC])]);
      await expect(viaCurve()).to.be.revertedWithCustomError(ctx.params, "ProtocolParamsAboveMaximum");
      // The property over every curve and split: test/contracts/BondCurve.test.ts.
    });

    it("curve limit between the check points: a change that moves the bond +68 % at 1,000,000 Mbps is refused", async () => {
      await passProposal(ctx, [setParam("bondAlpha", 95n * 10n ** 16n)]);
      await networkHelpers.time.increase(15 * DAY);
      // From (k 1 USDC, alpha 0.95) to (k 0.84 USDC, alpha 1): within ±50 % at 10, 1,000 and 100,000 Mbps
      // (the old check points: +0 %, +19 %, +49 %) but +68 % at 1,000,000 Mbps.
      const next = (mbps: bigint) => (840_000n * mbps > 100n * USDC ? 840_000n * mbps : 100n * USDC);
      for (const mbps of [10n, 1_000n, 100_000n]) {
        const before = await ctx.params.requiredBond(mbps);
        expect(next(mbps) * 2n <= before * 3n && next(mbps) * 2n >= before, `${mbps} Mbps`).to.equal(true);
      }
      const before = await ctx.params.requiredBond(1_000_000n);
      expect((next(1_000_000n) * 100n) / before).to.equal(167n);
      const { execute } = await proposeAndQueue(ctx, [call(ctx.params, "setBondCurve", [840_000n, E18, 100n * USDC])]);
      await expect(execute())
        .to.be.revertedWithCustomError(ctx.params, "ProtocolParamsCurveStepTooLarge")
        .withArgs(1_000_000n, before, 840_000n * 1_000_000n);
      expect(await ctx.params.bondK()).to.equal(USDC);
    });

    it("binds a raised curve to already-registered nodes only after the grace period", async () => {
      const before = await ctx.params.requiredBond(1000n);
      const registeredAt = BigInt(await networkHelpers.time.latest());
      await passProposal(ctx, [setParam("bondK", 1_400_000n)]);
      const raised = await ctx.params.requiredBond(1000n);
      expect(raised).to.be.greaterThan(before);
      expect(await ctx.params.requiredBondFor(1000n, registeredAt)).to.equal(before);
      const [, changedAt, bindsAt] = await ctx.params.previousBondCurve();
      expect(bindsAt).to.equal(changedAt + 14n * 86400n);
      // A node registered after the change is bound at once; one registered in its block is not.
      expect(await ctx.params.requiredBondFor(1000n, changedAt + 1n)).to.equal(raised);
      expect(await ctx.params.requiredBondFor(1000n, changedAt)).to.equal(before);
      await networkHelpers.time.increaseTo(bindsAt - 1n);
      expect(await ctx.params.requiredBondFor(1000n, registeredAt)).to.equal(before);
      await networkHelpers.time.increaseTo(bindsAt);
      expect(await ctx.params.requiredBondFor(1000n, registeredAt)).to.equal(raised);
    });

    it("rate-limits the curve as a whole: no second curve change inside the grace period", async () => {
      await passProposal(ctx, [setParam("bondK", 1_200_000n)]);
      const [, changedAt] = await ctx.params.previousBondCurve();
      await networkHelpers.time.increase(8 * DAY); // past k's own cooldown, inside the curve's
      const { execute } = await proposeAndQueue(ctx, [setParam("minBond", 120n * USDC)]);
      await expect(execute())
        .to.be.revertedWithCustomError(ctx.params, "ProtocolParamsCurveCooldown")
        .withArgs(changedAt + 14n * 86400n);
    });

    it("reverts the second of two proposals that together break unbonding ≥ evidence age + reveal window", async () => {
      // Set up (each step valid): unbonding 14 d → 7 d, evidence age 3 d → 4.5 d.
      await passProposal(ctx, [setParam("unbondingPeriod", 7n * 86400n)]);
      await passProposal(ctx, [setParam("evidenceMaxAge", 4n * 86400n + 43200n)]);
      await networkHelpers.time.increase(7 * DAY);
      // Two proposals, each valid against today's state: 6 d + 1 d ≤ 7 d, and 4.5 d + 1.5 d ≤ 7 d.
      const first = await proposeAndQueue(ctx, [setParam("evidenceMaxAge", 6n * 86400n)], "evidence age to 6 days");
      const second = await proposeAndQueue(ctx, [setParam("revealWindow", 36n * 3600n)], "reveal window to 36 hours");
      await first.execute();
      await expect(second.execute())
        .to.be.revertedWithCustomError(ctx.params, "ProtocolParamsUnbondingTooShort")
        .withArgs(7n * 86400n, 6n * 86400n, 36n * 3600n);
    });

    it("never lets the protocol fee pass its cap or the operator share its floor", async () => {
      for (const target of [750n, 1125n, 1687n, 2000n]) {
        await passProposal(ctx, [setParam("protocolFeeBps", target)]);
        await networkHelpers.time.increase(7 * DAY);
      }
      expect(await ctx.params.protocolFeeBps()).to.equal(2000n);
      expect(await ctx.params.operatorShareBps()).to.equal(8000n);
      expect(await ctx.params.OPERATOR_SHARE_FLOOR_BPS()).to.equal(8000n);
      const { execute } = await proposeAndQueue(ctx, [setParam("protocolFeeBps", 2001n)]);
      await expect(execute()).to.be.revertedWithCustomError(ctx.params, "ProtocolParamsAboveMaximum");
    });
  });

  describe("validateChange (what gov:propose checks first)", () => {
    it("predicts the revert of a change at a future time", async () => {
      const now = BigInt(await networkHelpers.time.latest());
      await ctx.params.validateChange(key("disputeWindow"), 36n * 3600n, now + 100n);
      await expect(ctx.params.validateChange(key("disputeWindow"), 8n * 86400n, now)).to.be.revertedWithCustomError(ctx.params, "ProtocolParamsAboveMaximum");
      await expect(ctx.params.validateChange(key("unbondingPeriod"), 7n * 86400n, now)).to.not.be.revert(connection.ethers);
      await expect(ctx.params.validateChange(key("bondAlpha"), 9n * 10n ** 17n, now)).to.be.revertedWithCustomError(ctx.params, "ProtocolParamsStepTooLarge");
    });
  });

  describe("access", () => {
    it("lets nobody but the timelock write", async () => {
      for (const signer of [ctx.deployer, ...ctx.voters]) {
        await expect(ctx.params.connect(signer).setParameter(key("disputeWindow"), 36n * 3600n))
          .to.be.revertedWithCustomError(ctx.params, "ProtocolParamsUnauthorized")
          .withArgs(await signer.getAddress());
        await expect(ctx.params.connect(signer).setBondCurve(USDC, 12n * 10n ** 17n, 100n * USDC)).to.be.revertedWithCustomError(ctx.params, "ProtocolParamsUnauthorized");
      }
      expect(await ctx.params.TIMELOCK()).to.equal(await ctx.timelock.getAddress());
    });
  });

  describe("gas", () => {
    it("matches the committed snapshot for governed setters and a full proposal", async () => {
      const gas = new GasRecorder("governance");
      const { ethers } = connection;
      // Setters called by the timelock itself (impersonated) measure the setter alone.
      const timelockAddress = await ctx.timelock.getAddress();
      await networkHelpers.impersonateAccount(timelockAddress);
      await networkHelpers.setBalance(timelockAddress, 10n ** 18n);
      const asTimelock = ctx.params.connect(await ethers.getSigner(timelockAddress));
      await gas.record("params.setParameter(disputeWindow)", await asTimelock.setParameter(key("disputeWindow"), 36n * 3600n));
      await gas.record("params.setParameter(protocolFeeBps)", await asTimelock.setParameter(key("protocolFeeBps"), 600n));
      await gas.record("params.setBondCurve(k, alpha, minBond)", await asTimelock.setBondCurve(1_100_000n, 99n * 10n ** 16n, 110n * USDC));
      await networkHelpers.stopImpersonatingAccount(timelockAddress);
      const { governor, voters } = ctx;
      const action = setParam("evidenceMaxAge", 4n * 86400n);
      const target = await action.target.getAddress();
      const description = "gas: evidence age";
      await gas.record("governor.propose", await governor.connect(voters[0]).propose([target], [0n], [action.data], description));
      const proposalId = await governor.hashProposal([target], [0n], [action.data], ethers.id(description));
      await networkHelpers.mineUpTo((await governor.proposalSnapshot(proposalId)) + 1n);
      await gas.record("governor.castVote", await governor.connect(voters[0]).castVote(proposalId, 1));
      await governor.connect(voters[1]).castVote(proposalId, 1);
      await networkHelpers.mineUpTo((await governor.proposalDeadline(proposalId)) + 1n);
      await gas.record("governor.queue", await governor.queue([target], [0n], [action.data], ethers.id(description)));
      await networkHelpers.time.increaseTo(await governor.proposalEta(proposalId));
      await gas.record("governor.execute(setParameter)", await governor.execute([target], [0n], [action.data], ethers.id(description)));
      gas.check();
    });
  });
});
