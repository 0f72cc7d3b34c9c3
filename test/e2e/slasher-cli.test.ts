/**
 * The cdn-slasher CLI as a real process against the devnet chain with an honest cdn-node process:
 * init → notice add (argument and file) → start --once before effectiveAt (waits) → after the
 * compliance window, start --once probes the node, which refuses → status reports it. The
 * blacklist entry is added by the timelock impersonated over RPC (a test-only shortcut for the
 * blacklist-add proposal; docs/dao-guide.md). The misbehaving-node scenario is test/e2e/slasher.test.ts.
 */
import { expect } from "chai";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { JsonRpcProvider, JsonRpcSigner, Wallet, keccak256 } from "ethers";
import { agentCli, hardhat, useDevnet, TEST_CHAIN } from "../helpers/processes.js";
import { connectContracts } from "../../agents/chain/contracts.js";
import { readDeployment } from "../../agents/chain/deployment.js";
import { devKey, runCli, startOriginProcess } from "./delivery-processes.js";
import { tmpDir } from "../helpers/tmp.js";

const SLASHER_CLI = agentCli("cdn-slasher");

describe("e2e › cdn-slasher CLI (real processes)", function () {
  // a block every 2 s on anvil adds wall time to every transaction
  this.timeout(TEST_CHAIN === "anvil" ? 3 * 150_000 : 150_000);
  const devnet = useDevnet();
  const { children } = devnet;

  it("init, notice add, start --once (waiting, then an honest refusal), status", async () => {
    const env = { ...devnet.env };
    const provider = new JsonRpcProvider(devnet.rpcUrl);
    const deployment = readDeployment(31337, devnet.deploymentsDir);

    // an honest origin node with a blob
    const origin = await startOriginProcess(env, provider, deployment, 4, 100_000, { config: { logLevel: "info" } });
    const { node, blobId } = origin;
    children.push(node.child);

    // the slasher: a devnet-funded key, a notice by argument and one by file
    const dir = tmpDir("cdn-slasher-cli-");
    const slasher = (...args: string[]) => runCli(SLASHER_CLI, ["--data-dir", dir, ...args], env);
    let r = await slasher("init", "--import", devKey(9));
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include(new Wallet(devKey(9)).address);
    r = await slasher("notice", "add", blobId);
    expect(r.stdout).to.include("1 new blob id watched (1 in all)");
    const noticeFile = path.join(dir, "notices.json");
    writeFileSync(noticeFile, JSON.stringify({ blobIds: [blobId, "0x" + "cd".repeat(32)] }));
    r = await slasher("notice", "add", "--file", noticeFile);
    expect(r.stdout).to.include("1 new blob id watched (2 in all)");
    r = await slasher("notice", "add", "0x1234");
    expect(r.code).to.equal(1);
    expect(r.stderr.trim()).to.equal('cdn-slasher: "0x1234" is not a blob id (0x and 64 hex digits).');

    // listed by the timelock (impersonated): the slasher waits for effectiveAt
    const timelock = deployment.contracts.CdnTimelock!;
    await provider.send("hardhat_impersonateAccount", [timelock]);
    await provider.send("hardhat_setBalance", [timelock, "0x56BC75E2D63100000"]);
    await (await connectContracts(deployment, new JsonRpcSigner(provider, timelock)).blacklist.add(keccak256(blobId))).wait();
    await provider.send("hardhat_stopImpersonatingAccount", [timelock]);
    r = await slasher("start", "--once");
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/blacklisted \(entry 1\), effective at .*: waiting/);
    expect(r.stdout).to.match(/0xcdcdcdcd…cdcd not blacklisted/);
    expect(r.stdout).to.not.include("probe");
    expect(r.stdout, "logs belong on stderr").to.not.include('"level"');

    // after the compliance window: the honest node refuses, nothing is slashed
    const window = await connectContracts(deployment, provider).params.complianceWindow();
    const adv = await hardhat(["chain:advance", "--seconds", String(window + 1n), "--network", "localhost"], env);
    expect(adv.code, adv.stderr).to.equal(0);
    r = await slasher("start", "--once");
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout, r.stderr).to.match(/blacklisted \(entry 1\) and effective/);
    expect(r.stdout).to.match(/probe +blob 0x[0-9a-f]{8}….{4} node 1 .* refused \(BLACKLISTED\): honest/);
    r = await slasher("status");
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/watching 2 blob id\(s\)/);
    expect(r.stdout).to.match(/probes +1 \(1 refused, 0 serve commitments, 0 other\)/);
    expect(r.stdout).to.match(/slashes +0/);
    const json = JSON.parse((await slasher("report", "--json")).stdout) as { probes: { outcome: string; channelId: string }[] };
    expect(json.probes[0].outcome).to.equal("refused");
    // the probe channel was closed at once (payer close; refunded at settle)
    const state = await connectContracts(deployment, provider).channels.getChannel(json.probes[0].channelId);
    expect(state.status).to.equal(2n); // Closing
    expect(state.paid).to.equal(0n);
    provider.destroy();
  });
});
