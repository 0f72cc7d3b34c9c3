/**
 * Governance reaches the running agents, end to end with real processes: the devnet chain, a
 * cdn-node process started before the vote, the DAO's gov:* tasks (propose, vote, queue, execute)
 * raising the protocol fee (5 % → 7 %) and the minimum channel deposit (1 → 1.25 USDC), then a
 * cdn-client fetch: its new channel has the new minimum deposit and snapshots the new fee, the
 * still-running node serves it, and its close pays the treasury 7 %.
 * Origin recognition uses the timelock impersonated over RPC (a test-only shortcut; the
 * origin-recognize proposal itself is covered by test/tasks/gov.e2e.test.ts and docs/dao-guide.md).
 */
import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";
import { JsonRpcProvider, Wallet } from "ethers";
import { hardhat, useDevnet } from "../helpers/processes.js";
import { connectContracts, readChannel } from "../../agents/chain/contracts.js";
import { readDeployment } from "../../agents/chain/deployment.js";
import { freePort, randomFile } from "./delivery-fixture.js";
import { CLIENT_CLI, NODE_CLI, devKey, recognizeOrigin, runCli, startNodeProcess, writeNodeConfig } from "./delivery-processes.js";
import { tmpDir } from "../helpers/tmp.js";

describe("e2e › governance changes reach the running agents", function () {
  // a dozen hardhat task processes (compile check, RPC, signing) each take seconds on a loaded 2-core machine
  this.timeout(420_000);
  const devnet = useDevnet();
  const { children } = devnet;
  const task = async (...args: string[]) => {
    const r = await hardhat([...args, "--network", "localhost"], devnet.env);
    expect(r.code, `${args.join(" ")}\n${r.stdout}${r.stderr}`).to.equal(0);
    return r.stdout;
  };

  it("gov:* raises protocolFeeBps and minChannelDeposit; a running node and a new client fetch use the new values", async () => {
    const env = { ...devnet.env };
    const provider = new JsonRpcProvider(devnet.rpcUrl);
    const deployment = readDeployment(31337, devnet.deploymentsDir);
    const contracts = connectContracts(deployment, provider);

    // a node, running before the vote
    const nodeDir = tmpDir("cdn-gov-node-");
    writeNodeConfig(nodeDir, await freePort(), { logLevel: "info" });
    const nodeArgs = ["--data-dir", nodeDir];
    const nodeSecret = devKey(6);
    let r = await runCli(NODE_CLI, [...nodeArgs, "init", "--import", nodeSecret], env);
    expect(r.code, r.stderr).to.equal(0);
    r = await runCli(NODE_CLI, [...nodeArgs, "register"], env);
    expect(r.code, r.stderr).to.equal(0);
    const nodeId = BigInt(/registered node (\d+)/.exec(r.stdout)![1]);
    await recognizeOrigin(provider, deployment, nodeId, new Wallet(nodeSecret).address);
    const { file, data } = randomFile(tmpDir(), 600_000);
    r = await runCli(NODE_CLI, [...nodeArgs, "publish", file], env);
    expect(r.code, r.stderr).to.equal(0);
    const blobId = /^(0x[0-9a-f]{64})/m.exec(r.stdout)![1];
    const node = await startNodeProcess(nodeArgs, env);
    children.push(node.child);

    // the DAO: two proposals through the whole cycle
    expect(await contracts.params.protocolFeeBps()).to.equal(500n);
    expect(await contracts.params.minChannelDeposit()).to.equal(1_000_000n);
    const fee = /Proposed (\d+)/.exec(await task("gov:propose", "--action", "param", "--key", "protocolFeeBps", "--value", "7%", "--description", "Fee to 7 %", "--from", "1"))![1];
    const dep = /Proposed (\d+)/.exec(await task("gov:propose", "--action", "param", "--key", "minChannelDeposit", "--value", "1.25 USDC", "--description", "Deposit floor 1.25", "--from", "2"))![1];
    await task("chain:advance", "--blocks", "2");
    // one voter each reaches the devnet's quorum (10 M of 100 M votes); the 5-block voting period is short
    await Promise.all([task("gov:vote", "--id", fee, "--support", "for", "--from", "1"), task("gov:vote", "--id", dep, "--support", "for", "--from", "2")]);
    await task("chain:advance", "--blocks", "6");
    await task("gov:queue", "--id", fee);
    await task("gov:queue", "--id", dep);
    await task("chain:advance", "--seconds", "3");
    expect(await task("gov:execute", "--id", fee)).to.include("Executed");
    expect(await task("gov:execute", "--id", dep)).to.include("Executed");
    expect(await task("gov:status", "--id", fee)).to.match(/state\s+Executed/);
    expect(await contracts.params.protocolFeeBps()).to.equal(700n);
    expect(await contracts.params.minChannelDeposit()).to.equal(1_250_000n);

    // a client (real process) fetches from the node that kept running
    const clientDir = tmpDir("cdn-gov-client-");
    r = await runCli(CLIENT_CLI, ["--data-dir", clientDir, "init", "--import", devKey(5)], env);
    expect(r.code, r.stderr).to.equal(0);
    const out = path.join(clientDir, "blob.bin");
    r = await runCli(CLIENT_CLI, ["--data-dir", clientDir, "fetch", blobId, "-o", out], env);
    expect(r.code, r.stderr).to.equal(0);
    expect(readFileSync(out).equals(data)).to.equal(true);
    r = await runCli(CLIENT_CLI, ["--data-dir", clientDir, "channels", "list"], env);
    const channelId = /(0x[0-9a-f]{64})/.exec(r.stdout)![1];
    const opened = await readChannel(contracts.channels, channelId);
    expect(opened.deposit).to.equal(1_250_000n); // the new minimum (the blob costs far less)
    expect(opened.feeBps).to.equal(700); // the new fee, snapshotted at open

    // the running node closes with its best voucher: the treasury gets 7 % of the payout
    const treasury = deployment.contracts.CdnTimelock!;
    // the fee accrues in PaymentChannel for the treasury (withdrawTreasury pays it out)
    const holds = async () => (await contracts.usdc.balanceOf(treasury)) + (await contracts.channels.protocolFees()).owed;
    const before = await holds();
    r = await runCli(NODE_CLI, [...nodeArgs, "channels", "close", channelId], env);
    expect(r.code, r.stderr).to.equal(0);
    const closed = await readChannel(contracts.channels, channelId);
    expect(closed.paid > 0n).to.equal(true);
    expect((await holds()) - before).to.equal((closed.paid * 700n) / 10_000n);
    provider.destroy();
  });
});
