import { expect } from "chai";
import { readDeployment } from "../../agents/chain/deployment.js";
import { hardhat, startDevnet, type Devnet } from "../helpers/processes.js";

/**
 * Drives the DAO tasks as a member would, as real processes against the real devnet:
 * propose → vote → queue → execute → params:show shows the new value.
 */
describe("gov:* tasks against the devnet (end to end)", function () {
  this.timeout(300_000);
  let devnet: Devnet;
  const run = async (...args: string[]) => {
    const result = await hardhat([...args, "--network", "localhost"], devnet.env);
    return { ...result, all: result.stdout + result.stderr };
  };
  const ok = async (...args: string[]) => {
    const r = await run(...args);
    expect(r.code, `${args.join(" ")}\n${r.all}`).to.equal(0);
    return r.stdout;
  };

  before(async () => {
    devnet = await startDevnet();
  });
  after(async () => {
    await devnet?.stop();
  });

  it("the devnet wrote a deployment file that agents can read", () => {
    const deployment = readDeployment(31337, devnet.deploymentsDir);
    for (const name of ["CdnToken", "CdnTimelock", "CdnGovernor", "ProtocolParams", "NodeRegistry", "OriginRegistry", "ContentBlacklist", "PaymentChannel"] as const) {
      expect(deployment.contracts[name], name).to.match(/^0x[0-9a-fA-F]{40}$/);
    }
    expect(devnet.output()).to.include("100000.0 USDC");
  });

  it("runs a full proposal cycle and params:show shows the new value", async () => {
    const before = JSON.parse(await ok("params:show", "--json")) as { name: string; raw: string }[];
    expect(before.find((p) => p.name === "disputeWindow")!.raw).to.equal("86400");

    const proposed = await ok("gov:propose", "--action", "param", "--key", "disputeWindow", "--value", "36h", "--description", "Longer disputes", "--from", "1");
    const id = /Proposed (\d+)/.exec(proposed)![1];
    expect(proposed).to.include("ProtocolParams.setParameter(disputeWindow, 36h)");

    // Too early to vote: a readable refusal with the way forward.
    const early = await run("gov:vote", "--id", id, "--from", "1");
    expect(early.code).to.equal(1);
    expect(early.stderr).to.match(/is Pending, not open for votes/);

    await ok("chain:advance", "--blocks", "2");
    await ok("gov:vote", "--id", id, "--support", "for", "--from", "1");
    await ok("gov:vote", "--id", id, "--support", "for", "--from", "2", "--reason", "sensible");
    const status = await ok("gov:status", "--id", id);
    expect(status).to.match(/state\s+Active/);
    expect(status).to.match(/for 20000000\.0/);
    expect(status).to.include("1. ProtocolParams.setParameter(disputeWindow, 36h)");

    await ok("chain:advance", "--blocks", "6");
    await ok("gov:queue", "--id", id);
    const tooSoon = await run("gov:execute", "--id", id);
    expect(tooSoon.code).to.equal(1);
    expect(tooSoon.stderr).to.match(/is executable in \d+ s/);
    await ok("chain:advance", "--seconds", "3");
    expect(await ok("gov:execute", "--id", id)).to.include("Executed");

    const after = JSON.parse(await ok("params:show", "--json")) as { name: string; unit: string; value: string; raw: string; lastChange: string }[];
    const dispute = after.find((p) => p.name === "disputeWindow")!;
    expect(dispute.raw).to.equal("129600");
    // printed in the unit the chain gives for the parameter
    expect([dispute.unit, dispute.value]).to.deep.equal(["duration", "36h"]);
    expect(after.find((p) => p.name === "protocolFeeBps")!.unit).to.equal("bps");
    expect(dispute.lastChange).to.not.equal("-");
    expect(await ok("gov:list")).to.match(/Executed\s+\d+\s+Longer disputes/);
  });

  it("gov:propose refuses an out-of-bounds value with one clear sentence and creates nothing", async () => {
    const listBefore = await ok("gov:list");
    const r = await run("gov:propose", "--action", "param", "--key", "protocolFeeBps", "--value", "25%", "--description", "Greedy", "--from", "1");
    expect(r.code).to.equal(1);
    expect(r.stderr.trim()).to.equal("Error: Refusing to propose: protocolFeeBps = 25.0 % is above its hard maximum 20.0 %.");
    expect(await ok("gov:list")).to.equal(listBefore);
  });

  it("gov:propose checks the DAO's own settings against the governor's bounds (quorum 1-20 %)", async () => {
    const tooHigh = await run("gov:propose", "--action", "governance", "--key", "quorumPercent", "--value", "21", "--description", "q21", "--from", "1");
    expect(tooHigh.code).to.equal(1);
    expect(tooHigh.stderr.trim()).to.equal("Error: Refusing to propose: quorumPercent = 21 is outside its hard bounds [1, 20].");
    const ok5 = await ok("gov:propose", "--action", "governance", "--key", "quorumPercent", "--value", "5", "--description", "Quorum 5 %", "--from", "1");
    expect(ok5).to.include("CdnGovernor.updateQuorumNumerator(5)");
    const delay = await run("gov:propose", "--action", "governance", "--key", "timelockDelay", "--value", "0", "--description", "no delay", "--from", "1");
    expect(delay.code).to.equal(1);
    expect(delay.stderr).to.include("A timelock delay of 0 s is outside its hard bounds");
  });

  it("gov:propose refuses malformed input without touching the chain", async () => {
    const unknown = await run("gov:propose", "--action", "param", "--key", "bogus", "--value", "1", "--description", "x");
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.match(/Unknown parameter "bogus"/);
    const badUnit = await run("gov:propose", "--action", "param", "--key", "disputeWindow", "--value", "tomorrow", "--description", "x");
    expect(badUnit.code).to.equal(1);
    expect(badUnit.stderr).to.match(/Cannot read "tomorrow" as a value for disputeWindow/);
    const noAction = await run("gov:propose", "--action", "nuke", "--description", "x");
    expect(noAction.code).to.equal(1);
    expect(noAction.stderr).to.match(/Unknown --action "nuke"/);
  });
});
