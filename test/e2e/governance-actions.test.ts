/**
 * Every gov:* action of docs/dao-guide.md through the whole cycle, as real processes against the
 * devnet chain: a DAO setting, compliance grant and revoke, blacklist add and remove, an origin's
 * epoch revocation; origin revocation proposed and decoded; gov:delegate and gov:list. (The param
 * action and its effect on running agents: governance.test.ts; origin-recognize:
 * test/tasks/registry.e2e.test.ts.) Node 1 is registered and recognized first (timelock
 * impersonated: a local-chain shortcut) so that the origin actions have a target.
 */
import { expect } from "chai";
import { JsonRpcProvider, Wallet } from "ethers";
import { hardhat, startDevnet, type Devnet } from "../helpers/processes.js";
import { connectContracts } from "../../agents/chain/contracts.js";
import { readDeployment } from "../../agents/chain/deployment.js";
import { freePort } from "./delivery-fixture.js";
import { NODE_CLI, devKey, recognizeOrigin, runCli, writeNodeConfig } from "./delivery-processes.js";
import { tmpDir } from "../helpers/tmp.js";

describe("e2e › every gov:* action (docs/dao-guide.md)", function () {
  this.timeout(180_000);
  let devnet: Devnet;
  const task = async (...args: string[]) => {
    const r = await hardhat([...args, "--network", "localhost"], devnet.env);
    expect(r.code, `${args.join(" ")}\n${r.stdout}${r.stderr}`).to.equal(0);
    return r.stdout;
  };

  before(async () => {
    devnet = await startDevnet();
    const provider = new JsonRpcProvider(devnet.rpcUrl);
    const nodeDir = tmpDir("cdn-gov-actions-node-");
    writeNodeConfig(nodeDir, await freePort());
    expect((await runCli(NODE_CLI, ["--data-dir", nodeDir, "init", "--import", devKey(6)], devnet.env)).code).to.equal(0);
    const reg = await runCli(NODE_CLI, ["--data-dir", nodeDir, "register"], devnet.env);
    expect(reg.code, reg.stderr).to.equal(0);
    await recognizeOrigin(provider, readDeployment(31337, devnet.deploymentsDir), 1n, new Wallet(devKey(6)).address);
    provider.destroy();
  });

  after(async () => {
    await devnet?.stop();
  });

  it("governance setting, compliance grant/revoke, blacklist add/remove, origin epoch revoke; origin revoke is proposed; gov:delegate, gov:list", async () => {
    const provider = new JsonRpcProvider(devnet.rpcUrl);
    const deployment = readDeployment(31337, devnet.deploymentsDir);
    const contracts = connectContracts(deployment, provider);
    const desk = new Wallet(devKey(7)).address;
    const blob = "0x" + "5e".repeat(32);
    expect(await task("gov:delegate", "--from", "4")).to.match(/[Dd]elegat/);

    /** Proposes up to three actions from accounts 1-3, votes, then queues and executes them in parallel (any account may queue and execute). */
    const cycle = async (actions: string[][]) => {
      // one at a time: with a 5-block voting period, every vote must land before its proposal's deadline
      const ids: string[] = [];
      for (const [i, a] of actions.entries()) ids.push(/Proposed (\d+)/.exec(await task("gov:propose", ...a, "--from", String(i + 1)))![1]);
      await task("chain:advance", "--blocks", "2");
      for (const [i, id] of ids.entries()) await task("gov:vote", "--id", id, "--support", "for", "--from", String(i + 1));
      await task("chain:advance", "--blocks", "6");
      await Promise.all(ids.map((id, i) => task("gov:queue", "--id", id, "--from", String(i + 1))));
      await task("chain:advance", "--seconds", "5");
      for (const out of await Promise.all(ids.map((id, i) => task("gov:execute", "--id", id, "--from", String(i + 1))))) expect(out).to.include("Executed");
      return ids;
    };
    await cycle([
      ["--action", "governance", "--key", "timelockDelay", "--value", "3", "--description", "Timelock 3 s"],
      ["--action", "compliance-grant", "--account", desk, "--description", "Compliance desk"],
      ["--action", "blacklist-add", "--blob", blob, "--description", "Court order 17"],
    ]);
    expect(await contracts.blacklist.hasComplianceRole(desk)).to.equal(true);
    expect(await contracts.blacklist.isBlacklisted(blob)).to.equal(true);
    await cycle([
      ["--action", "compliance-revoke", "--account", desk, "--description", "Rotate desk"],
      ["--action", "blacklist-remove", "--blob", blob, "--description", "Order lifted"],
      ["--action", "origin-revoke-epoch", "--node", "1", "--value", "1", "--description", "Key of epoch 1 leaked"],
    ]);
    expect(await contracts.blacklist.hasComplianceRole(desk)).to.equal(false);
    expect(await contracts.blacklist.isBlacklisted(blob)).to.equal(false);
    expect((await contracts.origins.contentKeyOf(1n, 1n))[1]).to.equal(true); // epoch 1 revoked
    const revoke = /Proposed (\d+)/.exec(await task("gov:propose", "--action", "origin-revoke", "--node", "1", "--description", "Origin 1 misbehaved", "--from", "1"))![1];
    expect(await task("gov:status", "--id", revoke)).to.match(/OriginRegistry\.revoke/);
    expect(await task("gov:list")).to.match(/Executed\s+\d+\s+Timelock 3 s/);
    provider.destroy();
  });
});
