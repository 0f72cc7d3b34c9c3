/**
 * Real processes: the devnet, a `cdn-node start` origin, and `cdn-client fetch` from accounts that
 * cannot pay for a channel: too little USDC, no ETH, a paused token, a blacklisted account. Each is
 * one sentence on stderr saying what the account has and what the deposit needs, exit code 1, no
 * transaction sent (the account's nonce stays 0), no channel, no output and no `.part` file.
 */
import { expect } from "chai";
import type { ChildProcess } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { JsonRpcProvider, NonceManager, Wallet } from "ethers";
import { startDevnet, stopProcess, type Devnet, TEST_CHAIN } from "../helpers/processes.js";
import { readDeployment, type Deployment } from "../../agents/chain/deployment.js";
import { TestUSDC__factory } from "../../types/ethers-contracts/index.js";
import { USDC } from "./delivery-fixture.js";
import { CLIENT_CLI, devKey, fundedClientDir, runCli, startOriginProcess } from "./delivery-processes.js";

describe("e2e › cdn-client fetch from an account that cannot pay: one sentence, nothing sent", function () {
  this.timeout(TEST_CHAIN === "anvil" ? 3 * 240_000 : 240_000);
  let devnet: Devnet;
  let provider: JsonRpcProvider;
  let deployment: Deployment;
  let blobId: string;
  /** Development account #1 funds the test accounts (one nonce sequence: the provider caches counts briefly). */
  let funder: NonceManager;
  const children: ChildProcess[] = [];

  before(async () => {
    devnet = await startDevnet();
    provider = new JsonRpcProvider(devnet.rpcUrl);
    deployment = readDeployment(31337, devnet.deploymentsDir);
    funder = new NonceManager(new Wallet(devKey(1), provider));
    const origin = await startOriginProcess(devnet.env, provider, deployment, 7, 300_000);
    children.push(origin.node.child);
    blobId = origin.blobId;
  });

  after(async () => {
    for (const c of children) await stopProcess(c);
    provider?.destroy();
    await devnet?.stop();
  });

  /** The devnet's USDC as its admin (the deployer, development account #0), who pauses and blacklists. */
  const usdcAdmin = () => TestUSDC__factory.connect(deployment.usdc, new Wallet(devKey(0), provider));

  const account = (eth: bigint, usdc: bigint) => fundedClientDir(devnet.env, funder, deployment.usdc, eth, usdc);

  /** `cdn-client fetch` exits 1 with exactly `sentence` on stderr, sends nothing, leaves no file. */
  async function refused(who: { dir: string; address: string }, sentence: RegExp): Promise<void> {
    const usdcBefore = await TestUSDC__factory.connect(deployment.usdc, provider).balanceOf(who.address);
    const out = path.join(who.dir, "blob.bin");
    const r = await runCli(CLIENT_CLI, ["--data-dir", who.dir, "fetch", blobId, "-o", out, "--no-progress"], devnet.env, 120_000);
    expect(r.code, r.stderr).to.equal(1);
    const lines = r.stderr.trim().split("\n");
    expect(lines, r.stderr).to.have.length(1);
    expect(lines[0]).to.match(sentence);
    expect(r.stderr).not.to.include("    at ");
    expect(r.stdout).to.equal("");
    expect(existsSync(out)).to.equal(false);
    expect(existsSync(`${out}.part`)).to.equal(false);
    expect(readdirSync(who.dir).filter((f) => f.startsWith("blob.bin"))).to.deep.equal([]);
    // nothing sent: no transaction from the account, no USDC moved, no channel
    expect(await provider.getTransactionCount(who.address)).to.equal(0);
    expect(await TestUSDC__factory.connect(deployment.usdc, provider).balanceOf(who.address)).to.equal(usdcBefore);
    const list = await runCli(CLIENT_CLI, ["--data-dir", who.dir, "channels", "list"], devnet.env);
    expect(list.code, list.stderr).to.equal(0);
    expect(list.stdout.trim()).to.equal("no channels");
  }

  it("too little USDC: says what it holds and what the deposit needs", async () => {
    const who = await account(10n ** 18n, USDC / 4n);
    await refused(who, new RegExp(`^cdn-client: Account ${who.address} holds 0\\.25 USDC, too little for a channel deposit of 1\\.0 USDC: send it at least 0\\.75 USDC more and try again\\.$`, "i"));
  });

  it("no ETH: says it needs ETH for gas", async () => {
    const who = await account(0n, 10n * USDC);
    await refused(
      who,
      new RegExp(`^cdn-client: Account ${who.address} has 0\\.0 ETH, but to pay a channel deposit of 1\\.0 USDC it needs up to [0-9.]+ ETH for gas; send ETH to it and try again\\.$`, "i"),
    );
  });

  it("a blacklisted account", async () => {
    const who = await account(10n ** 18n, 10n * USDC);
    await (await usdcAdmin().blacklist(who.address)).wait();
    await refused(
      who,
      new RegExp(
        `^cdn-client: Account ${who.address} is blacklisted by USDC's issuer: it can neither send nor receive USDC, so a channel deposit of 1\\.0 USDC cannot be paid from it; use another account\\.$`,
        "i",
      ),
    );
  });

  it("a paused token", async () => {
    const who = await account(10n ** 18n, 10n * USDC);
    await (await usdcAdmin().pause()).wait();
    try {
      await refused(
        who,
        /^cdn-client: USDC is paused by its issuer, so a channel deposit of 1\.0 USDC cannot be paid now \(no transfer, approval or permit works\); nothing was sent: try again once it is unpaused\.$/,
      );
    } finally {
      await (await usdcAdmin().unpause()).wait();
    }
  });
});
