/**
 * The watchtower end to end, as a real process (the `cdn-watchtower` npm script's command line,
 * spawned with process.execPath) against the devnet (a real Hardhat node with the whole protocol deployed):
 *
 *   cdn-watchtower init → start → the node pushes its best voucher → the watchtower is restarted
 *   (it must still hold it) → the node goes offline → the payer closes with nothing claimed (stale)
 *   → the watchtower disputes inside the window → settle → exact balances for operator, treasury,
 *   beneficiary and payer → cdn-watchtower status.
 *
 * These are the commands of docs/watchtower-guide.md. The node side is the node key's libp2p host
 * with the watchtower client library's pusher (what the node agent calls after each stored voucher).
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { HDNodeWallet, JsonRpcProvider, Mnemonic, Wallet } from "ethers";
import { agentCli, runProcess, startAgentProcess, stopProcess, TEST_CHAIN, useDevnet } from "../helpers/processes.js";
import { chainTime, connectContracts, readChannel } from "../../agents/chain/contracts.js";
import { readDeployment } from "../../agents/chain/deployment.js";
import { identityFromSecret } from "../../agents/runtime/keys.js";
import { createHost } from "../../agents/runtime/host.js";
import { registerNode } from "../../agents/node/registration.js";
import { createWatchtowerPusher } from "../../agents/mesh/watchtower-push.js";
import { openChannel, voucher, USDC } from "../agents/watchtower/fixture.js";
import { tmpDir } from "../helpers/tmp.js";

/** Exactly what `npm run cdn-watchtower -- <args>` runs (package.json), as docs/watchtower-guide.md shows it. */
const CLI = agentCli("cdn-watchtower");
const devKey = (i: number) => HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase("test test test test test test test test test test test junk"), `m/44'/60'/0'/0/${i}`).privateKey;
const runCli = (args: string[], env: NodeJS.ProcessEnv) => runProcess([...CLI, ...args], env, 120_000);
const startTower = (args: string[], env: NodeJS.ProcessEnv) =>
  startAgentProcess<{ address: string; peerId: string; addrs: string[]; metrics?: string }>([...CLI, ...args, "start"], env, { name: "watchtower" });

describe("e2e › watchtower as a real process", function () {
  // a block every 2 s on anvil adds wall time to every transaction
  this.timeout(TEST_CHAIN === "anvil" ? 3 * 180_000 : 180_000);
  const devnet = useDevnet();
  const { children } = devnet;

  it("a stale payer close while the node is offline is disputed inside the window; exact payouts; survives a restart", async () => {
    const env = { ...devnet.env };
    const provider = new JsonRpcProvider(devnet.rpcUrl, undefined, { cacheTimeout: -1 });
    const deployment = readDeployment(31337, devnet.deploymentsDir);
    const node = identityFromSecret(devKey(4));
    const operator = new Wallet(devKey(6), provider);
    const payer = identityFromSecret(devKey(3));
    const payer2 = identityFromSecret(devKey(2));
    const beneficiary = identityFromSecret(randomBytes(32)).address.toLowerCase();
    const payerContracts = connectContracts(deployment, new Wallet(payer.wallet.privateKey, provider));
    const { usdc, channels } = payerContracts;
    const domain = payerContracts.domains.paymentChannel;
    let nodeHost: Awaited<ReturnType<typeof createHost>> | undefined;
    try {
      // 1. the watchtower: init (imports a funded devnet key: it pays dispute gas), config, start
      const dataDir = tmpDir("cdn-tower-proc-");
      const args = ["--data-dir", dataDir];
      let r = await runCli([...args, "init", "--import", devKey(5)], env);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.include(new Wallet(devKey(5)).address);
      writeFileSync(
        path.join(dataDir, "config.json"),
        JSON.stringify({ listen: ["/ip4/127.0.0.1/tcp/0"], confirmations: 1, pollMs: 200, disputeMarginSeconds: 600, metricsPort: 0, logLevel: "debug", logPretty: false }),
      );
      let tower = await startTower(args, env);
      children.push(tower.child);
      const towerAddr = tower.ready.addrs.find((a) => a.startsWith("/ip4/127.0.0.1/"))!;
      expect(towerAddr).to.include(`/p2p/${tower.ready.peerId}`);

      // 2. a registered node (separate operator) and a payer's channel to it
      const nodeId = await registerNode(connectContracts(deployment, new Wallet(node.wallet.privateKey, provider)), node, operator, {
        capacityMbps: 100,
        region: 1,
        pricePerGiB: 1_000_000n,
        multiaddrs: [`/ip4/127.0.0.1/tcp/1/p2p/${node.peerId}`],
      });
      expect(nodeId > 0n).to.equal(true);
      const deposit = 20n * USDC;
      const payerBefore = await usdc.balanceOf(payer.address);
      const channelId = await openChannel(payerContracts, payer.address, node.address, deposit);
      // a second channel, from another payer, closed in the same block range (two disputes in a row)
      const payer2Contracts = connectContracts(deployment, new Wallet(payer2.wallet.privateKey, provider));
      const channel2 = await openChannel(payer2Contracts, payer2.address, node.address, deposit);

      // 3. the node stores vouchers as bytes are paid and pushes each to its watchtower
      nodeHost = await createHost({ privateKey: node.privateKey, listen: [], allow: ["/ip4/127.0.0.1"] });
      const maxBps = 1500;
      const pusher = createWatchtowerPusher({ watchtowers: [towerAddr], beneficiary, maxBps }, { host: nodeHost, secretKey: node.secretKey, nodeId, chainTime: () => chainTime(provider), domain });
      const best = 12n * USDC + 345_678n;
      for (const amount of [3n * USDC, 9n * USDC, best]) {
        const v = voucher(domain, channelId, amount, payer.secretKey);
        pusher.onVoucherStored(channelId, v.cumulativeAmount, v.signature);
      }
      const best2 = 4n * USDC + 1n;
      const v2 = voucher(domain, channel2, best2, payer2.secretKey);
      pusher.onVoucherStored(channel2, v2.cumulativeAmount, v2.signature);
      await pusher.flush({ signal: AbortSignal.timeout(20_000) });
      expect(pusher.status()[0].acknowledged[channelId]).to.equal(best.toString());

      // 4. the watchtower restarts: it still holds the voucher
      await stopProcess(tower.child);
      r = await runCli([...args, "status", "--json"], env);
      expect(r.code, r.stderr).to.equal(0);
      expect(JSON.parse(r.stdout)).to.include({ channels: 2, disputes: 0 });
      tower = await startTower(args, env);
      children.push(tower.child);

      // 5. the node goes offline; the payer closes with nothing claimed on chain (stale)
      await pusher.stop();
      await nodeHost.stop();
      nodeHost = undefined;
      expect((await readChannel(channels, channelId)).paid).to.equal(0n);
      const treasury = await channels.TREASURY();
      // the fee accrues in PaymentChannel for the treasury (withdrawTreasury pays it out)
      const treasuryHolds = async () => (await usdc.balanceOf(treasury)) + (await channels.protocolFees()).owed;
      // the operator's share is credited to the node in PaymentChannel (collected with withdrawNodeCredit)
      const operatorHolds = async () => (await usdc.balanceOf(operator.address)) + (await channels.nodeCredit(nodeId)).credit;
      const before = { operator: await operatorHolds(), treasury: await treasuryHolds(), beneficiary: await usdc.balanceOf(beneficiary) };
      await (await channels.closeByPayer(channelId)).wait();
      await (await payer2Contracts.channels.closeByPayer(channel2)).wait();
      const { closesAt } = await readChannel(channels, channelId);
      await provider.send("evm_mine", []); // one confirmation

      // 6. the watchtower disputes inside the window, in its second half (the first is the node's:
      // only then does a dispute earn the bounty)
      const bountyFrom = await channels.bountyFrom(channel2);
      await provider.send("evm_increaseTime", [Number(bountyFrom - BigInt((await provider.getBlock("latest"))!.timestamp))]);
      await provider.send("evm_mine", []);
      const deadline = Date.now() + 30_000;
      let state = await readChannel(channels, channelId);
      let state2 = await readChannel(channels, channel2);
      while ((state.paid === 0n || state2.paid === 0n) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        state = await readChannel(channels, channelId);
        state2 = await readChannel(channels, channel2);
      }
      expect(state2.paid, tower.output()).to.equal(best2);
      expect(state.paid, tower.output()).to.equal(best);
      expect(state.status).to.equal("Closing");
      const [disputed] = await channels.queryFilter(channels.filters.ChannelDisputed(channelId));
      expect(disputed.args.submitter.toLowerCase()).to.equal(tower.ready.address.toLowerCase());
      expect(disputed.args.recovered).to.equal(best);
      // early in the window: before closesAt − disputeMarginSeconds
      expect(BigInt((await disputed.getBlock()).timestamp) <= closesAt - 600n).to.equal(true);

      // 7. after the window anyone settles; the payer gets the rest of the deposit back
      // past both windows: the second channel was closed a block later (2 s on anvil), so its window ends later
      const lastClose = [closesAt, (await readChannel(channels, channel2)).closesAt].reduce((a, b) => (a > b ? a : b));
      await provider.send("evm_increaseTime", [Number(lastClose - BigInt((await provider.getBlock("latest"))!.timestamp)) + 1]);
      await provider.send("evm_mine", []);
      await (await channels.settle(channelId)).wait();
      await (await channels.settle(channel2)).wait();
      expect((await readChannel(channels, channelId)).status).to.equal("Closed");

      // fee and bounty per channel (each rounds down on its own amount)
      const feeOf = (x: bigint) => (x * BigInt(state.feeBps)) / 10_000n;
      // fee + bounty ≤ 20 %: the operator keeps at least 80 %
      const bountyOf = (x: bigint) => (x * BigInt(Math.min(maxBps, 2000 - Number(state.feeBps)))) / 10_000n;
      const fee = feeOf(best) + feeOf(best2);
      const bounty = bountyOf(best) + bountyOf(best2);
      expect(await usdc.balanceOf(beneficiary)).to.equal(before.beneficiary + bounty);
      expect(await treasuryHolds()).to.equal(before.treasury + fee);
      expect(await operatorHolds()).to.equal(before.operator + best + best2 - fee - bounty);
      // only the operator collects it, with one withdrawal for both channels
      const { credit } = await channels.nodeCredit(nodeId);
      const operatorUsdc = await usdc.balanceOf(operator.address);
      await (await connectContracts(deployment, operator).channels.withdrawNodeCredit(nodeId)).wait();
      expect(await usdc.balanceOf(operator.address)).to.equal(operatorUsdc + credit);
      expect((await channels.nodeCredit(nodeId)).credit).to.equal(0n);
      expect(await usdc.balanceOf(payer.address)).to.equal(payerBefore - best);

      // 8. status reports the dispute and the bounty
      r = await runCli([...args, "status", "--json"], env);
      expect(r.code, r.stderr).to.equal(0);
      const status = JSON.parse(r.stdout);
      // the node named another beneficiary: nothing is this watchtower's own, and status says whose it is
      expect(status).to.deep.include({ channels: 2, disputes: 2, bounties: "0", bountiesToOthers: { [beneficiary]: bounty.toString() }, recovered: (best + best2).toString() });
      expect(status.byOutcome).to.deep.equal({ disputed: 2 });
      r = await runCli([...args, "status"], env);
      expect(r.stdout).to.match(/2 disputed/);
      const metrics = await (await fetch(tower.ready.metrics!)).text();
      expect(metrics).to.include('cdn_watchtower_disputes_total{outcome="disputed"} 2');
      expect(metrics).to.include(`cdn_watchtower_bounties_total ${bounty}`);
      expect(metrics).to.match(/cdn_watchtower_channels_held\{status="(closing|closed)"\} /);
    } finally {
      await nodeHost?.stop();
      provider.destroy();
    }
  });
});
