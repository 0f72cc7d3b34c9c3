/**
 * Credits, as processes on a devnet: the operator's share is always credited in PaymentChannel
 * (also while the operator is blacklisted by the token's issuer), and a refund whose USDC transfer
 * fails (blacklisted payer) is credited too. The node's earnings log says what was credited;
 * `cdn-node status` and `cdn-client channels list` show the credit; `withdraw` refuses with one sentence while the account is still
 * blacklisted and collects the credit once it is not.
 */
import { expect } from "chai";
import type { ChildProcess } from "node:child_process";
import path from "node:path";
import { JsonRpcProvider, NonceManager, Wallet, formatUnits } from "ethers";
import { startDevnet, stopProcess, type Devnet, TEST_CHAIN } from "../helpers/processes.js";
import { readDeployment, type Deployment } from "../../agents/chain/deployment.js";
import { connectContracts, type Contracts } from "../../agents/chain/contracts.js";
import { TestUSDC__factory } from "../../types/ethers-contracts/index.js";
import { USDC } from "./delivery-fixture.js";
import { CLIENT_CLI, NODE_CLI, devKey, fundedClientDir, runCli, startOriginProcess, type OriginProcess } from "./delivery-processes.js";
import { nodeCreditOf } from "../helpers/credits.js";

/** JSON log lines of a CLI run (pino on stdout). */
const logLines = (output: string): { msg: string; [k: string]: unknown }[] =>
  output
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as { msg: string });

describe("e2e › credits: payouts to a blacklisted account are credited, shown and withdrawn", function () {
  this.timeout(TEST_CHAIN === "anvil" ? 3 * 300_000 : 300_000);
  let devnet: Devnet;
  let provider: JsonRpcProvider;
  let deployment: Deployment;
  let contracts: Contracts;
  let origin: OriginProcess;
  const children: ChildProcess[] = [];

  before(async () => {
    devnet = await startDevnet();
    provider = new JsonRpcProvider(devnet.rpcUrl);
    deployment = readDeployment(31337, devnet.deploymentsDir);
    contracts = connectContracts(deployment, provider as never);
    origin = await startOriginProcess(devnet.env, provider, deployment, 7, 600_000);
    children.push(origin.node.child);
  });

  after(async () => {
    for (const c of children) await stopProcess(c);
    provider?.destroy();
    await devnet?.stop();
  });

  it("claim and close with the operator and the payer blacklisted: credited, logged as credited, shown by status and channels list, withdrawn after un-blacklisting", async () => {
    const env = devnet.env;
    const admin = TestUSDC__factory.connect(deployment.usdc, new NonceManager(new Wallet(devKey(0), provider)));
    const client = await fundedClientDir(env, new NonceManager(new Wallet(devKey(1), provider)), deployment.usdc, 10n ** 18n, 10n * USDC);
    let r = await runCli(CLIENT_CLI, ["--data-dir", client.dir, "fetch", origin.blobId, "-o", path.join(client.dir, "blob.bin"), "--no-progress"], env, 120_000);
    expect(r.code, r.stderr).to.equal(0);
    r = await runCli(CLIENT_CLI, ["--data-dir", client.dir, "channels", "list"], env);
    const channelId = /^(0x[0-9a-f]{64})\s+Open/m.exec(r.stdout)![1];

    await (await admin.blacklist(origin.address)).wait();
    await (await admin.blacklist(client.address)).wait();

    // the claim: the operator's share is credited (as always: a blacklisted operator blocks nothing), and the log says so
    const creditBefore = await nodeCreditOf(contracts, origin.address);
    r = await runCli(NODE_CLI, [...origin.args, "channels", "claim", channelId], env);
    expect(r.code, r.stderr).to.equal(0);
    const operatorCredit = await nodeCreditOf(contracts, origin.address);
    expect(operatorCredit > creditBefore).to.equal(true);
    const claimLog = logLines(r.stderr).find((l) => l.channelId === channelId);
    expect(claimLog?.msg).to.equal("channel claimed: the operator's share is credited in PaymentChannel; cdn-node withdraw collects it");
    expect(claimLog).to.include({ operator: origin.address, credited: (operatorCredit - creditBefore).toString(), withdrawable: operatorCredit.toString() });

    // the close: nothing more for the operator (logged closed); the payer's refund is credited to it
    r = await runCli(NODE_CLI, [...origin.args, "channels", "close", channelId], env);
    expect(r.code, r.stderr).to.equal(0);
    expect(logLines(r.stderr).find((l) => l.channelId === channelId)?.msg).to.equal("channel closed");
    const refund = await contracts.channels.withdrawable(client.address);
    const channel = await contracts.channels.getChannel(channelId);
    expect(refund).to.equal(channel.deposit - channel.paid);
    expect(await nodeCreditOf(contracts, origin.address)).to.equal(operatorCredit);

    // shown: cdn-node status (text and --json) and cdn-client channels list
    r = await runCli(NODE_CLI, [...origin.args, "status", "--json"], env);
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout).withdrawable).to.equal(operatorCredit.toString());
    r = await runCli(NODE_CLI, [...origin.args, "status"], env);
    expect(r.stdout).to.include(
      `withdrawable credit ${formatUnits(operatorCredit, 6)} USDC for ${origin.address} (the operator's payouts, credited by PaymentChannel): collect it with cdn-node withdraw`,
    );
    r = await runCli(CLIENT_CLI, ["--data-dir", client.dir, "channels", "list"], env);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include(`withdrawable credit ${formatUnits(refund, 6)} USDC (refunds whose transfer failed): collect it with cdn-client withdraw`);

    // still blacklisted: withdraw is one sentence, nothing sent, the credit stays
    const nonce = await provider.getTransactionCount(origin.address);
    r = await runCli(NODE_CLI, [...origin.args, "withdraw"], env);
    expect(r.code).to.equal(1);
    expect(r.stderr.trim().split("\n")).to.have.length(1);
    expect(r.stderr.trim()).to.match(/^cdn-node: The transaction to withdraw [0-9.]+ USDC of credit would revert: USDC refused: an account in this transfer is blacklisted by the token's issuer/);
    expect(await provider.getTransactionCount(origin.address)).to.equal(nonce);
    expect(await nodeCreditOf(contracts, origin.address)).to.equal(operatorCredit);

    // un-blacklisted: both collect their credit, once
    await (await admin.unBlacklist(origin.address)).wait();
    await (await admin.unBlacklist(client.address)).wait();
    const usdc = TestUSDC__factory.connect(deployment.usdc, provider);
    for (const [cli, args, who, credit] of [
      [NODE_CLI, origin.args, origin.address, operatorCredit],
      [CLIENT_CLI, ["--data-dir", client.dir], client.address, refund],
    ] as const) {
      const before = await usdc.balanceOf(who);
      r = await runCli(cli, [...args, "withdraw"], env);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(new RegExp(`^Withdrew ${formatUnits(credit, 6).replace(".", "\\.")} USDC of credit to ${who} \\(transaction 0x[0-9a-f]{64}\\)\\.$`, "mi"));
      expect(await usdc.balanceOf(who)).to.equal(before + credit);
      expect(who === origin.address ? await nodeCreditOf(contracts, who) : await contracts.channels.withdrawable(who)).to.equal(0n);
      r = await runCli(cli, [...args, "withdraw"], env);
      expect(r.code).to.equal(1);
      expect(r.stderr.trim()).to.match(new RegExp(`^cdn-(node|client): ${who} has no withdrawable credit in PaymentChannel: there is nothing to withdraw\\.$`, "i"));
    }
  });
});
