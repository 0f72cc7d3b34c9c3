import { expect } from "chai";
import { network } from "hardhat";
import { ActiveSet, registryActiveSetSource } from "../../../agents/mesh/active-set.js";
import { meshConnectionGater, syncRoutingTable } from "../../../agents/mesh/gating.js";
import { FreshnessGuard } from "../../../agents/mesh/freshness.js";
import { TOPIC_GLOBAL } from "../../../agents/mesh/constants.js";
import { selectCandidates, type Candidate } from "../../../agents/mesh/reputation.js";
import { addressOfPeer } from "../../../agents/runtime/peers.js";
import { deployRegistryFixture, nodeIdentity, registerNode, type RegistryContext } from "../../helpers/registry-fixture.js";
import { connect, inRoutingTable, newIdentity, sleep, startHost, stopAll, waitFor, type MeshHost } from "./helpers.js";

const { networkHelpers, ethers } = await network.create();

/**
 * Gating against the real NodeRegistry on an in-process chain: nodes are registered with the same
 * secp256k1 key that is their libp2p identity; the unbonded peer is not registered.
 */
describe("mesh › gating (real registry, real hosts on 127.0.0.1)", function () {
  this.timeout(60_000);
  let ctx: RegistryContext;
  let hosts: MeshHost[] = [];
  const fixture = () => deployRegistryFixture(ethers);
  beforeEach(async () => {
    ctx = await networkHelpers.loadFixture(fixture);
  });
  afterEach(async () => {
    await stopAll(hosts);
    hosts = [];
  });

  async function setup() {
    const [a, b, u, c] = [newIdentity(), newIdentity(), newIdentity(), newIdentity()];
    const regA = await registerNode(ctx, { node: nodeIdentity(a.wallet), capacityMbps: 100 });
    const regB = await registerNode(ctx, { node: nodeIdentity(b.wallet), capacityMbps: 100 });
    const freshness = new FreshnessGuard();
    const activeSet = new ActiveSet({ keyTtlMs: 0 }, { source: registryActiveSetSource(ctx.registry), freshness });
    await activeSet.refresh();
    const [A, B, U, C] = await Promise.all([
      startHost({ identity: a, role: "node", activeSet }),
      startHost({ identity: b, role: "node", activeSet }),
      startHost({ identity: u, role: "node", activeSet }), // unbonded, but runs as a DHT server and joins the topics
      startHost({ identity: c, role: "client", activeSet }),
    ]);
    hosts.push(A, B, U, C);
    for (const h of [A, B, U, C]) h.services.pubsub.subscribe(TOPIC_GLOBAL);
    await connect(A, B);
    for (const x of [U, C]) {
      await connect(x, A);
      await connect(x, B);
    }
    return { A, B, U, C, a, b, regA, regB, activeSet, freshness };
  }

  it("an unbonded peer connects but enters neither a DHT routing table nor a gossip mesh; clients subscribe", async () => {
    const { A, B, U, C, activeSet, freshness } = await setup();
    expect(freshness.isFresh()).to.equal(true);
    expect(activeSet.size).to.equal(2);
    expect(activeSet.hasPeer(A.peerId) && activeSet.hasPeer(B.peerId)).to.equal(true);
    expect(activeSet.hasPeer(U.peerId)).to.equal(false);
    await waitFor(async () => (await inRoutingTable(A, B.peerId)) && (await inRoutingTable(B, A.peerId)), 10_000, "A and B in each other's routing tables");
    await waitFor(() => A.services.pubsub.getMeshPeers(TOPIC_GLOBAL).includes(B.peerId.toString()), 10_000, "A–B mesh");
    await sleep(1000); // several heartbeats (200 ms) in which U and C try to graft
    for (const [node, other] of [
      [A, B],
      [B, A],
    ] as const) {
      expect(await inRoutingTable(node, U.peerId), "U in a routing table").to.equal(false);
      expect(await inRoutingTable(node, C.peerId), "C in a routing table").to.equal(false);
      expect(node.services.pubsub.getMeshPeers(TOPIC_GLOBAL)).to.deep.equal([other.peerId.toString()]);
      // both are connected and known as topic subscribers (gossip reaches them), just never mesh peers
      const subscribers = node.services.pubsub.getSubscribers(TOPIC_GLOBAL).map(String);
      expect(subscribers).to.include(U.peerId.toString());
      expect(subscribers).to.include(C.peerId.toString());
      expect(node.services.pubsub.getScore(U.peerId.toString())).to.be.lessThan(0);
      expect(node.services.pubsub.getScore(other.peerId.toString())).to.be.at.least(0);
    }
  });

  it("a node whose bond falls below the curve leaves routing tables and meshes and stops being selected", async () => {
    const { A, B, regB, activeSet } = await setup();
    const unsync = syncRoutingTable(A.services.dht as never, activeSet, () => A.getPeers());
    await waitFor(async () => inRoutingTable(A, B.peerId), 10_000, "B in A's routing table");
    await waitFor(() => A.services.pubsub.getMeshPeers(TOPIC_GLOBAL).includes(B.peerId.toString()), 10_000, "A–B mesh");
    const candidates: Candidate[] = [A, B].map((h) => ({ peer: h.peerId.toString(), pricePerGiB: 10_000n, rttMs: 5, reputation: 0.5 }));
    const selectable = () => selectCandidates(candidates, (c) => activeSet.hasPeer(c.peer)).map((c) => c.peer);
    expect(selectable()).to.have.members([A.peerId.toString(), B.peerId.toString()]);

    // half the bond is slashed: B is below requiredBond(100 Mbps) and no longer active on chain
    await ctx.registry.connect(ctx.slasher).slash(regB.nodeId, 5000);
    expect(await ctx.registry.isActive(addressOfPeer(B.peerId)!)).to.equal(false);
    await activeSet.refresh();
    expect(selectable()).to.deep.equal([A.peerId.toString()]);
    await waitFor(async () => !(await inRoutingTable(A, B.peerId)), 10_000, "B removed from A's routing table");
    await waitFor(() => !A.services.pubsub.getMeshPeers(TOPIC_GLOBAL).includes(B.peerId.toString()), 10_000, "B pruned from A's mesh");
    unsync();
  });

  it("the connection gater refuses denied peers, and non-nodes in nodes-only mode", async () => {
    const { activeSet, A, U } = await setup();
    const gater = meshConnectionGater(activeSet, { nodesOnly: true, deny: new Set([A.peerId.toString()]) });
    expect(await gater.denyInboundEncryptedConnection!(U.peerId, {} as never)).to.equal(true);
    expect(await gater.denyInboundEncryptedConnection!(A.peerId, {} as never)).to.equal(true); // denied locally
    const open = meshConnectionGater(activeSet);
    expect(await open.denyInboundEncryptedConnection!(U.peerId, {} as never)).to.equal(false); // clients welcome
    expect(await open.denyDialPeer!(A.peerId)).to.equal(false);
  });
});
