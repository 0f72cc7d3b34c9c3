import { expect } from "chai";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { JsonRpcProvider, Wallet } from "ethers";
import { readDeployment } from "../../agents/chain/deployment.js";
import { PaymentChannel__factory, TestUSDC__factory } from "../../types/ethers-contracts/index.js";
import { ROOT, hardhat, startDevnet, type Devnet } from "../helpers/processes.js";
import { tmpDir } from "../helpers/tmp.js";

/**
 * docs/deploy.md's rehearsal, run line by line against a devnet whose TestUSDC stands in for a
 * chain's existing USDC: protocol:deploy on an already-deployed token, reading tasks, devnet:fund;
 * then what it refuses, each with one sentence.
 */
describe("protocol:deploy and devnet:fund (docs/deploy.md, end to end)", function () {
  this.timeout(300_000);
  let devnet: Devnet;
  const journal = path.join(ROOT, "ignition/deployments");
  const journals = ["rehearsal", "rehearsal-treasury"];
  const doc = readFileSync(path.join(ROOT, "docs/deploy.md"), "utf8");
  const rehearsal = doc.slice(doc.indexOf("## Rehearse on a local chain"));
  const block = (lang: string) => new RegExp("```" + lang + "\\n([\\s\\S]*?)```").exec(rehearsal)![1];

  before(async () => {
    for (const id of journals) rmSync(path.join(journal, id), { recursive: true, force: true });
    devnet = await startDevnet();
  });
  after(async () => {
    await devnet?.stop();
    for (const id of journals) rmSync(path.join(journal, id), { recursive: true, force: true });
  });

  it("runs the rehearsal's commands: deploys on the existing token, reads it back, funds an address", async () => {
    const usdc = readDeployment(31337, devnet.deploymentsDir).usdc;
    const dir = tmpDir("cdn-rehearsal-");
    const parametersFile = path.join(dir, "rehearsal.json");
    writeFileSync(parametersFile, block("json").replace("<usdc of deployments/chain-31337.json>", usdc));
    const lines = block("sh")
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean);
    const env: NodeJS.ProcessEnv = { ...devnet.env };
    for (const assignment of lines[0].replace(/^export /, "").split(" ")) {
      const [k, v] = assignment.split("=");
      env[k] = v;
    }
    env.CDN_TARGET_RPC_URL = devnet.rpcUrl; // the devnet's port, not 8545
    env.CDN_DEPLOYMENTS_DIR = path.join(dir, "deployments");
    const commands = lines.slice(1);
    expect(commands).to.have.length(4);
    const outputs: string[] = [];
    for (const command of commands) {
      const args = command
        .replace(/^npx hardhat /, "")
        .replace("/tmp/rehearsal.json", parametersFile)
        .split(" ");
      const r = await hardhat(args, env, 180_000);
      expect(r.code, `${command}\n${r.stdout}${r.stderr}`).to.equal(0);
      outputs.push(r.stdout);
    }
    const deployment = readDeployment(31337, env.CDN_DEPLOYMENTS_DIR);
    expect(deployment.usdc).to.equal(usdc);
    expect(deployment.contracts).to.not.have.property("MockUSDC");
    expect(outputs[0]).to.include(`on USDC ${usdc}`);
    const provider = new JsonRpcProvider(devnet.rpcUrl, undefined, { staticNetwork: true });
    try {
      const channels = PaymentChannel__factory.connect(deployment.contracts.PaymentChannel!, provider);
      expect(await channels.TOKEN()).to.equal(usdc);
      expect(await channels.TREASURY()).to.equal(deployment.contracts.CdnTimelock);
      expect(outputs[1]).to.include("disputeWindow");
      expect(outputs[3]).to.include("0x90F79bf6EB2c4f870365E785982E1f101E93b906 now holds");
      expect(await TestUSDC__factory.connect(usdc, provider).balanceOf("0x90F79bf6EB2c4f870365E785982E1f101E93b906")).to.be.greaterThanOrEqual(100_000_000n);

      // again: nothing changes, the deployment block watchers start from is kept
      const again = await hardhat(
        commands[0]
          .replace(/^npx hardhat /, "")
          .replace("/tmp/rehearsal.json", parametersFile)
          .split(" "),
        env,
        180_000,
      );
      expect(again.code, again.stderr).to.equal(0);
      const same = readDeployment(31337, env.CDN_DEPLOYMENTS_DIR);
      expect(same.contracts).to.deep.equal(deployment.contracts);
      expect(same.deploymentBlock).to.equal(deployment.deploymentBlock);

      // a named treasury receives the fees instead of the timelock
      const treasury = Wallet.createRandom().address;
      const withTreasury = path.join(dir, "treasury.json");
      const params = JSON.parse(readFileSync(parametersFile, "utf8"));
      params.Production.treasury = treasury;
      writeFileSync(withTreasury, JSON.stringify(params));
      const t = await hardhat(
        ["protocol:deploy", "--network", "target", "--parameters", withTreasury, "--deployment-id", "rehearsal-treasury"],
        { ...env, CDN_DEPLOYMENTS_DIR: path.join(dir, "treasury") },
        180_000,
      );
      expect(t.code, t.stderr).to.equal(0);
      const second = readDeployment(31337, path.join(dir, "treasury"));
      expect(await PaymentChannel__factory.connect(second.contracts.PaymentChannel!, provider).TREASURY()).to.equal(treasury);
    } finally {
      provider.destroy();
    }
  });

  it("refuses, with one sentence and nothing deployed: no USDC on a real chain, no contract at the address, funding a real chain", async () => {
    const dir = tmpDir("cdn-deploy-refusals-");
    const env = { ...devnet.env, CDN_DEPLOYMENTS_DIR: dir };
    const noUsdc = await hardhat(["protocol:deploy", "--network", "productionLike", "--parameters", "localhost"], env);
    expect(noUsdc.code).to.equal(1);
    expect(noUsdc.stderr.trim()).to.equal("Error: Chain 424242 is not a local chain: its parameters must name the chain's USDC as Production.usdc (see docs/deploy.md).");
    const eoa = Wallet.createRandom().address;
    const file = path.join(dir, "eoa.json");
    writeFileSync(file, JSON.stringify({ Production: { usdc: eoa }, Governance: { timelockDelay: 2, votingDelay: 1, votingPeriod: 5 } }));
    const noCode = await hardhat(["protocol:deploy", "--network", "localhost", "--parameters", file], env);
    expect(noCode.code).to.equal(1);
    expect(noCode.stderr.trim()).to.equal(`Error: There is no contract at Production.usdc ${eoa} on this chain: check the token address for this network.`);
    const fund = await hardhat(["devnet:fund", "--to", eoa, "--usdc", "100", "--eth", "1", "--network", "productionLike"], env);
    expect(fund.code).to.equal(1);
    expect(fund.stderr.trim()).to.equal("Error: devnet:fund only works on a local chain (31337: Hardhat or anvil), not chain 424242: on a real chain, buy or bridge USDC and ETH.");
    const missing = await hardhat(["protocol:deploy", "--network", "localhost", "--parameters", "no-such-network"], env);
    expect(missing.stderr.trim()).to.equal('Error: No parameters file for "no-such-network": write deploy/parameters/no-such-network.json (see docs/deploy.md) or pass --parameters <file.json>.');
  });
});
