import { expect } from "chai";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { keccak256, Wallet } from "ethers";
import { network } from "hardhat";
import { collect, deliveryWorld, randomFile, startClient, startNode, USDC, type TestClient, type TestNode } from "./delivery-fixture.js";
import { connectContracts, readChannel, type Contracts } from "../../agents/chain/contracts.js";
import { forgetPermitDomains, PermitDomainError } from "../../agents/chain/permit.js";
import { registerNode } from "../../agents/node/registration.js";
import { nodeChainView, type NodeChainView } from "../../agents/node/chain.js";
import { loadNodeConfig } from "../../agents/node/config.js";
import { loadClientConfig } from "../../agents/client/config.js";
import { loadSlasherConfig } from "../../agents/slasher/config.js";
import { Slasher } from "../../agents/slasher/slasher.js";
import { SlasherStore } from "../../agents/slasher/store.js";
import { identityFromSecret } from "../../agents/runtime/keys.js";
import type { TestToken } from "../../deploy/modules/Devnet.js";
import { tmpDir } from "../helpers/tmp.js";

const LEAF = 262_144;

/** Test-only misbehaviour: a node whose chain view never sees the blacklist (it serves blacklisted blobs). */
const misbehavingChain = (contracts: Contracts): NodeChainView => ({ ...nodeChainView(contracts), isBlacklisted: async () => false });

/** `usdcPermitDomain` as each permit-signing agent reads it from its configuration file. */
function configuredPermitDomain(domain: { name: string; version: string }): { name: string; version: string } {
  const loaded = [loadNodeConfig, loadClientConfig, loadSlasherConfig].map((load) => {
    const dataDir = tmpDir("cdn-permit-cfg-");
    writeFileSync(path.join(dataDir, "config.json"), JSON.stringify({ usdcPermitDomain: domain }));
    return load({ dataDir }).usdcPermitDomain;
  });
  for (const d of loaded) expect(d).to.deep.equal(domain);
  return loaded[0]!;
}

const TOKENS: { token: TestToken; title: string; configured?: { name: string; version: string } }[] = [
  { token: "TestUSDC", title: "no EIP-5267, like USDC: name() + version()" },
  { token: "TestUSDCWithDomain", title: "with EIP-5267" },
  { token: "TestUSDCWithoutVersion", title: "neither EIP-5267 nor version(): usdcPermitDomain from the agents' configuration", configured: { name: "USD Coin", version: "2" } },
];

/**
 * The agents against USDC-shaped tokens, on a chain whose clock is days ahead of the local one:
 * every agent path that signs a permit, over the domain read from the token (or configured), with
 * deadlines from chain time: registration (cdn-node register's path), a client's channel open and
 * top-up, a cache node's paid upstream fetch (fan-out), and the slasher's probe channels followed
 * by a slash (the reveal moves the bond's shares in the token).
 */
for (const { token, title, configured } of TOKENS) {
  describe(`e2e › agents on ${token} (${title}), chain time days ahead`, function () {
    this.timeout(180_000);
    const nodes: TestNode[] = [];
    const clients: TestClient[] = [];
    const stores: SlasherStore[] = [];
    after(async () => {
      for (const c of clients) await c.stop();
      for (const s of stores) s.close();
      for (const n of nodes) {
        await n.agent.stop();
        n.store.close();
      }
    });

    it("after 3 days + 1 s of chain time: registers, opens with permit, fetches through a cache node (upstream open with permit), tops up, and a slasher's probes slash a rogue node", async () => {
      const connection = await network.create();
      // in-process chains share chain id and addresses: the previous token's domain must not be reused
      forgetPermitDomains();
      const world = await deliveryWorld(connection, { token, usdcPermitDomain: configured && configuredPermitDomain(configured) });
      await connection.networkHelpers.time.increase(3 * 86_400 + 1);

      if (configured) {
        // without the configured domain nothing is signed: one sentence naming the setting
        const node = identityFromSecret(randomBytes(32));
        await world.fund(node.address);
        const bare = connectContracts(world.deployment, new Wallet(node.wallet.privateKey, world.provider));
        const refused = await registerNode(bare, node, new Wallet(node.wallet.privateKey, world.provider), {
          capacityMbps: 100,
          region: 1,
          pricePerGiB: USDC,
          multiaddrs: [`/ip4/127.0.0.1/tcp/1/p2p/${node.peerId}`],
        }).catch((e: unknown) => e);
        expect(refused).to.be.instanceOf(PermitDomainError);
        expect((refused as Error).message).to.equal(
          `The token at ${world.deployment.usdc} publishes neither eip712Domain() nor name() and version(), so its permit domain is unknown: set usdcPermitDomain { "name", "version" } in the configuration.`,
        );
        expect(await world.gov.registry.nodeIdOf(node.address)).to.equal(0n);
      }

      // registration with a bond permit
      const origin = await startNode(world);
      nodes.push(origin);
      expect(await world.gov.registry.isActive(origin.identity.address)).to.equal(true);
      const { file, data } = randomFile(tmpDir(), 2 * LEAF + 7);
      const [blob] = await origin.agent.publish([file]);

      // a client's channel open with permit, then a top-up with permit
      const c = await startClient(world);
      clients.push(c);
      expect((await collect(c.client.fetch(blob.blobId, { via: [origin.identity.address.toLowerCase()] }))).equals(data)).to.equal(true);
      const [channel] = c.store.channels();
      const before = (await readChannel(world.gov.channels, channel.channelId)).deposit;
      await c.client.topUp(channel.channelId, 3n * USDC);
      expect((await readChannel(world.gov.channels, channel.channelId)).deposit).to.equal(before + 3n * USDC);

      // fan-out: a cache node opens its upstream channel to the origin with a permit and pays it
      const dir = tmpDir("cdn-cache-node-");
      const cache = await startNode(world, { origin: false, pricePerGiB: 2n * USDC, dir, options: { cache: { dir: path.join(dir, "cache"), budgetBytes: 64 << 20 } } });
      nodes.push(cache);
      const c2 = await startClient(world);
      clients.push(c2);
      expect((await collect(c2.client.fetch(blob.blobId, { via: [cache.identity.address.toLowerCase()] }))).equals(data)).to.equal(true);
      expect(cache.agent.fanout!.stats.upstreamFetches).to.equal(1);
      const [upstream] = cache.agent.fanout!["deps"].client.deps.store.channels();
      expect(upstream.nodeKey).to.equal(origin.identity.address.toLowerCase());
      expect((await readChannel(world.gov.channels, upstream.channelId)).payer.toLowerCase()).to.equal(cache.identity.address.toLowerCase());
      expect(origin.agent.fetch!.bestFor(upstream.channelId)).to.equal(upstream.signed);

      // the slasher: probe channels opened with permits; the rogue node's commitment is revealed and slashed
      const rogue = await startNode(world, { chain: misbehavingChain, options: { chainView: { pollMs: 600_000 } } });
      nodes.push(rogue);
      await rogue.agent.publish([file]);
      await world.asTimelock((tl) =>
        world.gov.blacklist
          .connect(tl)
          .add(keccak256(blob.blobId))
          .then((tx) => tx.wait()),
      );
      const entry = await world.gov.blacklist.entryOf(blob.blobId);
      await connection.networkHelpers.time.increaseTo(entry.effectiveAt + 1n);
      for (const honest of [origin, cache]) await honest.agent.syncChainView();
      const reporter = await startClient(world);
      clients.push(reporter);
      const store = new SlasherStore(path.join(tmpDir("cdn-slasher-"), "slasher.db"));
      stores.push(store);
      const slasher = new Slasher({ probeTimeoutMs: 10_000 }, { client: reporter.client, contracts: reporter.contracts, store });
      store.addNotices([blob.blobId], "test");
      const reporterBefore = await world.gov.usdc.balanceOf(reporter.identity.address);
      const report = await slasher.runOnce();
      const slashed = report.slashes.filter((s) => s.status === "slashed");
      expect(slashed.map((s) => s.nodeId)).to.deep.equal([rogue.nodeId]);
      expect(report.probes.length).to.be.greaterThanOrEqual(1);
      const probeDeposits = report.probes.reduce((sum, p) => sum + (p.channelId ? reporter.store.channel(p.channelId)!.deposit : 0n), 0n);
      // the probe deposits are in closing channels; the reward waits until no earlier commit can be revealed (test/e2e/slasher.test.ts collects it)
      expect(slashed[0].reward! > 0n).to.equal(true);
      expect(await world.gov.usdc.balanceOf(reporter.identity.address)).to.equal(reporterBefore - probeDeposits);
    });
  });
}
