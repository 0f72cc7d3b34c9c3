/**
 * Reorgs on a real second chain implementation: anvil (the devnet with `--chain anvil`, a block per
 * transaction so the test decides when blocks come), with `anvil_reorg` replacing the newest block
 * by an empty one. Three transactions are reorged out after they were mined:
 *
 * - a client's channel open (its ChannelManager over a TxSender waiting for 2 confirmations): the
 *   same signed transaction is broadcast again; one channel, one deposit taken, used only once deep;
 * - a node's voucher claim: the node's Earnings (through its TxSender) re-broadcasts it; paid once,
 *   and the claim returns only once the payment is confirmed;
 * - a payer's close, already seen by a watchtower following with depth 0: its chain follower finds
 *   the replaced block, rewinds its cursor, re-reads the channel (open again: no dispute), then sees
 *   the close come back and disputes exactly once; its cursor ends on canonical blocks.
 *
 * And two events a node's followed view (agents/node/chain-view.ts, at the head) had applied: a
 * blacklist removal and a stranger's registration, each undone at the view's next poll.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { JsonRpcProvider, JsonRpcSigner, Wallet, ZeroAddress, hexlify, keccak256 } from "ethers";
import { chainTime, connectContracts, readChannel, type Contracts } from "../../agents/chain/contracts.js";
import { readDeployment, type Deployment } from "../../agents/chain/deployment.js";
import { TxSender } from "../../agents/chain/tx-sender.js";
import { ChannelManager, type TransactionSender } from "../../agents/client/channels.js";
import { ClientStore } from "../../agents/client/store.js";
import { identityFromSecret } from "../../agents/runtime/keys.js";
import { registerNode } from "../../agents/node/registration.js";
import { Earnings, DEFAULT_EARNINGS } from "../../agents/node/earnings.js";
import { followChain } from "../../agents/node/agent.js";
import { NodeMesh } from "../../agents/node/mesh.js";
import { NodeStore } from "../../agents/node/store.js";
import { signWatchtowerAuth } from "../../agents/mesh/watchtower-push.js";
import { silentLogger } from "../../agents/runtime/logger.js";
import { startDevnet, type Devnet } from "../helpers/processes.js";
import { reorgOut } from "../helpers/anvil.js";
import { devKey } from "./delivery-processes.js";
import { startWatchtower, voucher, waitFor, USDC } from "../agents/watchtower/fixture.js";
import path from "node:path";
import { nodeCreditOf } from "../helpers/credits.js";
import { tmpDir } from "../helpers/tmp.js";

describe("e2e › reorgs on anvil (anvil_reorg)", function () {
  this.timeout(240_000);
  let devnet: Devnet;
  let provider: JsonRpcProvider;
  let deployment: Deployment;
  const node = identityFromSecret(randomBytes(32));
  let nodeContracts: Contracts;
  let nodeId: bigint;

  before(async () => {
    devnet = await startDevnet(180_000, { chain: "anvil", blockTime: 0 });
    provider = new JsonRpcProvider(devnet.rpcUrl, undefined, { staticNetwork: true, pollingInterval: 100, cacheTimeout: -1 });
    deployment = readDeployment(31337, devnet.deploymentsDir);
    // the node key is its own operator: ETH and USDC from the devnet's account #7
    const funder = connectContracts(deployment, new Wallet(devKey(7), provider));
    await (await new Wallet(devKey(7), provider).sendTransaction({ to: node.address, value: 10n ** 19n })).wait();
    await (await funder.usdc.transfer(node.address, 1000n * USDC)).wait();
    const nodeWallet = new Wallet(node.wallet.privateKey, provider);
    nodeContracts = connectContracts(deployment, nodeWallet);
    nodeId = await registerNode(nodeContracts, node, nodeWallet, { capacityMbps: 100, region: 1, pricePerGiB: USDC, multiaddrs: [`/ip4/127.0.0.1/tcp/1/p2p/${node.peerId}`] });
  });

  after(async () => {
    provider?.destroy();
    await devnet?.stop();
  });

  /** A payer (devnet account `i`) whose transactions go through a TxSender with `confirmations`. */
  const payerOf = (i: number, confirmations: number) => {
    const wallet = new Wallet(devKey(i), provider);
    const contracts = connectContracts(deployment, wallet);
    return { wallet, contracts, sender: new TxSender({ confirmations, pollMs: 100 }, { signer: wallet, logger: silentLogger() }) };
  };

  /** The payer's USDC approval, counted once mined (the chain mines only when a transaction arrives). */
  async function approve(p: ReturnType<typeof payerOf>, amount: bigint): Promise<void> {
    await (await p.sender.send(p.contracts.usdc.approve.populateTransaction(await p.contracts.channels.getAddress(), amount))).wait({ confirmations: 0 });
  }

  /** Opens a channel through the payer's sender; returns its id. */
  async function open(p: ReturnType<typeof payerOf>, deposit: bigint): Promise<string> {
    const nonce = hexlify(randomBytes(32));
    await approve(p, deposit);
    await (await p.sender.send(p.contracts.channels.open.populateTransaction(node.address, deposit, ZeroAddress, 0, nonce))).wait({ confirmations: 0 });
    return (await p.contracts.channels.channelIdFor(p.wallet.address, node.address, nonce)).toLowerCase();
  }

  /** Waits until `hash` is mined, then replaces its block by an empty one. */
  async function reorgOutOnceMined(hash: () => string | undefined): Promise<number> {
    const h = await waitFor(hash, "the transaction to be sent");
    const receipt = await waitFor(() => provider.getTransactionReceipt(h).then((r) => r ?? undefined), "the transaction to be mined");
    // replace the blocks from the one that holds it to the head by empty ones
    await reorgOut(provider, (await provider.getBlockNumber()) - receipt.blockNumber + 1);
    expect(await provider.getTransactionReceipt(h)).to.equal(null);
    return receipt.blockNumber;
  }

  it("a channel open reorged out is broadcast again by the client's sender: one channel, one deposit", async () => {
    const p = payerOf(3, 2);
    const identity = identityFromSecret(Buffer.from(devKey(3).slice(2), "hex"));
    const store = new ClientStore(path.join(tmpDir("cdn-reorg-client-"), "client.db"));
    try {
      // the client's ChannelManager, its one send path over the payer's TxSender (depth 2)
      let openHash: string | undefined;
      const sender: TransactionSender = async (tx, o) => {
        const sent = await p.sender.send(tx, { signal: o.signal, label: "open a channel" });
        openHash = sent.hashes[0];
        return sent.wait({ signal: o.signal });
      };
      const manager = new ChannelManager({}, { identity, contracts: p.contracts, store, sender });
      const deposit = 5n * USDC;
      const before = await p.contracts.usdc.balanceOf(p.wallet.address);
      let opened: Awaited<ReturnType<ChannelManager["open"]>> | undefined;
      const opening = manager.open(node.address, deposit).then((c) => (opened = c));
      const reorgedAt = await reorgOutOnceMined(() => openHash);
      // the sender sees the receipt gone and broadcasts the same signed transaction: mined again
      const again = await waitFor(() => provider.getTransactionReceipt(openHash!).then((r) => r ?? undefined), "the open to be mined again");
      expect(again.blockNumber).to.be.greaterThan(reorgedAt);
      expect(opened, "the client does not use the channel before its depth").to.equal(undefined);
      await provider.send("anvil_mine", ["0x2"]);
      const channel = await opening;
      expect(channel.status).to.equal("Open");
      expect((await readChannel(p.contracts.channels, channel.channelId)).deposit).to.equal(deposit);
      expect(await p.contracts.usdc.balanceOf(p.wallet.address)).to.equal(before - deposit);
      expect(await p.contracts.channels.queryFilter(p.contracts.channels.filters.ChannelOpened(channel.channelId))).to.have.length(1);
      expect(store.channelsFor(node.address.toLowerCase()).map((c) => c.channelId)).to.deep.equal([channel.channelId]);
    } finally {
      store.close();
    }
  });

  it("a voucher claim reorged out is broadcast again by the node: paid once, reported once confirmed", async () => {
    const p = payerOf(4, 0);
    const channelId = await open(p, 10n * USDC);
    const store = new NodeStore(path.join(tmpDir("cdn-reorg-node-"), "node.db"));
    try {
      const v = voucher(nodeContracts.domains.paymentChannel, channelId, 3n * USDC, identityFromSecret(Buffer.from(devKey(4).slice(2), "hex")).secretKey);
      store.saveVoucher({ channelId, payer: p.wallet.address.toLowerCase(), amount: v.cumulativeAmount, signature: v.signature });
      const sender = new TxSender({ confirmations: 1, pollMs: 100 }, { signer: nodeContracts.channels.runner as Wallet, logger: silentLogger() });
      const earnings = new Earnings(DEFAULT_EARNINGS, { contracts: nodeContracts, store, logger: silentLogger(), sender });
      const operatorBefore = await nodeCreditOf(nodeContracts, node.address);
      // the claim's hash, as the node's sender signs it
      let claimHash: string | undefined;
      const send = sender.send.bind(sender);
      sender.send = (request, options) => send(request, options).then((s) => ((claimHash = s.hashes[0]), s));
      const claimed = earnings.claim(channelId);
      const reorgedAt = await reorgOutOnceMined(() => claimHash);
      expect((await readChannel(nodeContracts.channels, channelId)).paid).to.equal(0n);
      await waitFor(() => provider.getTransactionReceipt(claimHash!).then((r) => (r && r.blockNumber > reorgedAt ? r : undefined)), "the claim to be mined again");
      await provider.send("anvil_mine", ["0x1"]);
      expect(await claimed).to.equal(3n * USDC);
      const state = await readChannel(nodeContracts.channels, channelId);
      expect(state.paid).to.equal(3n * USDC);
      const fee = (3n * USDC * BigInt(state.feeBps)) / 10_000n;
      // credited once to the operator (here the node's own address) in PaymentChannel
      expect(await nodeCreditOf(nodeContracts, node.address)).to.equal(operatorBefore + 3n * USDC - fee);
      // a second claim finds nothing to do (the node does not act twice)
      expect(await earnings.claim(channelId)).to.equal(0n);
      expect(await nodeContracts.channels.queryFilter(nodeContracts.channels.filters.ChannelPaid(channelId))).to.have.length(1);
    } finally {
      store.close();
    }
  });

  it("a payer's close reorged out: the watchtower's follower rewinds, does not dispute an open channel, disputes once when the close returns", async () => {
    const p = payerOf(5, 0);
    const channelId = await open(p, 10n * USDC);
    // the payer's close: a sender that re-signs an unmined transaction after half a second
    const closer = new TxSender({ confirmations: 0, pollMs: 100, replaceAfterMs: 500 }, { signer: p.wallet, logger: silentLogger() });
    const towerIdentity = identityFromSecret(randomBytes(32));
    await (await new Wallet(devKey(7), provider).sendTransaction({ to: towerIdentity.address, value: 10n ** 19n })).wait();
    const towerContracts = connectContracts(deployment, new Wallet(towerIdentity.wallet.privateKey, provider));
    // depth 0 on purpose: the close is acted on at once, so the reorg hits handled blocks; the
    // dispute waits an hour of chain time so the test can reorg the close out first
    const t = await startWatchtower(towerIdentity, towerContracts, tmpDir("cdn-reorg-tower-"), { confirmations: 0, pollMs: 100, disputeDelaySeconds: 3600, disputeMarginSeconds: 600 });
    try {
      const domain = towerContracts.domains.paymentChannel;
      const best = 4n * USDC;
      const v = voucher(domain, channelId, best, identityFromSecret(Buffer.from(devKey(5).slice(2), "hex")).secretKey);
      // the node authorises this watchtower by name, for a day of chain time
      const authValue = { nodeId, watchtower: towerIdentity.address.toLowerCase(), beneficiary: node.address, maxBps: 1000, expiry: (await chainTime(provider)) + 86_400n };
      const auth = { ...signWatchtowerAuth(domain, authValue, node.secretKey), nodeKey: node.address.toLowerCase() };
      t.store.saveVoucher({
        channelId,
        nodeKey: node.address.toLowerCase(),
        payer: p.wallet.address.toLowerCase(),
        amount: best,
        signature: v.signature,
        auth,
        status: "Open",
        closesAt: 0n,
        paid: 0n,
      });

      const sent = await closer.send(p.contracts.channels.closeByPayer.populateTransaction(channelId), { label: "close" });
      await waitFor(() => provider.getTransactionReceipt(sent.hashes[0]).then((r) => r ?? undefined), "the close to be mined");
      await waitFor(() => t.tower.monitor.queued.includes(channelId) || undefined, "the watchtower to queue a dispute");
      // the payer's sender is not waiting yet: the close stays out until it looks again
      await reorgOut(provider, 1);
      expect(await provider.getTransactionReceipt(sent.hashes[0])).to.equal(null);
      expect((await readChannel(p.contracts.channels, channelId)).status).to.equal("Open");
      await waitFor(() => (!t.tower.monitor.queued.includes(channelId) ? true : undefined), "the watchtower to drop the dispute after the reorg");
      expect(t.store.voucher(channelId)!.status).to.equal("Open");

      // the payer's sender finds the close unmined and signs it again (same nonce, higher fees)
      const receipt = await sent.wait();
      expect(sent.hashes).to.include(receipt.hash);
      await waitFor(() => t.tower.monitor.queued.includes(channelId) || undefined, "the watchtower to see the close again");
      // past the hour's delay and into the window's second half, where a dispute earns the bounty
      const bountyFrom = await p.contracts.channels.bountyFrom(channelId);
      const now = await chainTime(provider);
      await provider.send("evm_increaseTime", [Number(bountyFrom > now + 3601n ? bountyFrom - now : 3601n)]);
      await provider.send("evm_mine", []);
      const state = await waitFor(async () => {
        const s = await readChannel(p.contracts.channels, channelId);
        return s.paid === best ? s : undefined;
      }, "the dispute");
      expect(state.status).to.equal("Closing");
      await waitFor(() => (t.store.disputes(channelId).length > 0 ? true : undefined), "the dispute to be recorded");
      expect(t.store.disputes(channelId).map((d) => d.outcome)).to.deep.equal(["disputed"]);
      expect(await p.contracts.channels.queryFilter(p.contracts.channels.filters.ChannelDisputed(channelId))).to.have.length(1);
      // the cursor recovered: every remembered block hash is canonical
      const cursor = await waitFor(() => t.store.cursor("channels"), "a cursor");
      for (const [block, hash] of cursor.recent.slice(-5)) expect((await provider.getBlock(block))!.hash).to.equal(hash);
    } finally {
      await t.stop();
    }
  });

  describe("the node's followed view (at the head) when a reorg drops an event it applied", () => {
    /** A node's mesh views (active set, deny-set) driven by a followed view that polls only when told. */
    async function followedView() {
      const contracts = connectContracts(deployment, provider);
      const mesh = new NodeMesh({ region: 1, loopback: true }, { contracts, identity: node, logger: silentLogger() });
      await mesh.prepare();
      const view = await followChain({ pollMs: 600_000 }, { contracts, mesh });
      return { mesh, view, stop: () => Promise.all([view.stop(), mesh.stop()]) };
    }

    /** ContentBlacklist as the timelock (impersonated on anvil). */
    async function asTimelock<T>(fn: (blacklist: Contracts["blacklist"]) => Promise<T>): Promise<T> {
      const timelock = deployment.contracts.CdnTimelock!;
      await provider.send("anvil_impersonateAccount", [timelock]);
      await provider.send("anvil_setBalance", [timelock, "0x56BC75E2D63100000"]);
      try {
        return await fn(connectContracts(deployment, new JsonRpcSigner(provider, timelock)).blacklist);
      } finally {
        await provider.send("anvil_stopImpersonatingAccount", [timelock]);
      }
    }

    it("a blacklist removal reorged out: the blob is denied again at the next poll", async () => {
      const { mesh, view, stop } = await followedView();
      try {
        const blobId = hexlify(randomBytes(32));
        await asTimelock(async (b) => (await b.add(keccak256(blobId))).wait());
        await view.poll();
        expect(await view.isBlacklisted(blobId)).to.equal(true);
        await asTimelock(async (b) => (await b.remove(keccak256(blobId))).wait());
        await view.poll();
        expect(await view.isBlacklisted(blobId)).to.equal(false); // the removal's event reached the view
        await reorgOut(provider, 1); // the removal's block replaced by an empty one, at the same height
        expect(mesh.isBlacklisted(blobId)).to.equal(false); // not polled yet
        await view.poll();
        expect(view.stats.reorgs).to.equal(1);
        expect(await view.isBlacklisted(blobId)).to.equal(true);
      } finally {
        await stop();
      }
    });

    it("a stranger's registration reorged out: it leaves the active set at the next poll", async () => {
      const { mesh, view, stop } = await followedView();
      try {
        const stranger = identityFromSecret(randomBytes(32));
        const funder = new Wallet(devKey(8), provider);
        await (await funder.sendTransaction({ to: stranger.address, value: 10n ** 19n })).wait();
        await (await connectContracts(deployment, funder).usdc.transfer(stranger.address, 1000n * USDC)).wait();
        await view.poll();
        const wallet = new Wallet(stranger.wallet.privateKey, provider);
        await registerNode(connectContracts(deployment, wallet), stranger, wallet, { capacityMbps: 100, region: 1, pricePerGiB: USDC, multiaddrs: [`/ip4/127.0.0.1/tcp/1/p2p/${stranger.peerId}`] });
        await view.poll();
        expect(mesh.activeSet.has(stranger.address)).to.equal(true); // its NodeRegistered event re-read the active set
        const registeredAt = await provider.getBlockNumber();
        await reorgOut(provider, 1);
        await provider.send("anvil_mine", ["0x1"]); // the new head's parent is not the block the view processed
        expect(await connectContracts(deployment, provider).registry.nodeIdOf(stranger.address)).to.equal(0n);
        await view.poll();
        expect(view.stats.reorgs).to.equal(1);
        expect(view.blockNumber).to.equal(registeredAt + 1);
        expect(mesh.activeSet.has(stranger.address)).to.equal(false);
      } finally {
        await stop();
      }
    });
  });
});
