import { expect } from "chai";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { network } from "hardhat";
import { collect, deliveryWorld, randomFile, startNode, tmpDir, type DeliveryWorld, type TestNode } from "../../e2e/delivery-fixture.js";
import { LEAF_SIZE } from "../../../agents/protocol/constants.js";
import { createHost } from "../../../agents/runtime/host.js";
import { identityFromSecret } from "../../../agents/runtime/keys.js";
import { ClientStore } from "../../../agents/client/store.js";
import { createClient, type Client } from "../../../agents/client/client.js";
import { clientChainView, type ClientChainView } from "../../../agents/client/chain.js";

describe("client › warm path (a known holder, an open channel)", function () {
  this.timeout(120_000);
  let world: DeliveryWorld;
  const nodes: TestNode[] = [];
  const stops: (() => Promise<void>)[] = [];

  /** A client whose chain view counts its reads by method. */
  async function countingClient(): Promise<{ client: Client; reads: Map<string, number> }> {
    const identity = identityFromSecret(randomBytes(32));
    await world.fund(identity.address);
    const contracts = world.contractsFor(identity);
    const reads = new Map<string, number>();
    const real = clientChainView(contracts);
    const chain = new Proxy(real, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== "function" || prop === "hasContentKey") return value;
        return (...args: unknown[]) => {
          reads.set(String(prop), (reads.get(String(prop)) ?? 0) + 1);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    }) as ClientChainView;
    const host = await createHost({ privateKey: identity.privateKey, listen: [], allow: ["/ip4/127.0.0.1"] });
    const store = new ClientStore(path.join(tmpDir("cdn-client-"), "client.db"));
    stops.push(async () => {
      await host.stop();
      store.close();
    });
    return { client: createClient({ probeTimeoutMs: 5000 }, { host, identity, chain, contracts, store }), reads };
  }

  before(async () => {
    world = await deliveryWorld(await network.create());
  });

  after(async () => {
    for (const stop of stops) await stop();
    for (const n of nodes) {
      await n.agent.stop();
      n.store.close();
    }
  });

  it("the second fetch of a blob goes straight to the node that delivered it: one round trip (the request) before the first verified byte, no chain read on its path", async () => {
    const n = await startNode(world);
    nodes.push(n);
    const { file, data } = randomFile(tmpDir(), 3 * LEAF_SIZE);
    const [blob] = await n.agent.publish([file]);
    const { client, reads } = await countingClient();
    const cold = client.fetch(blob.blobId);
    expect((await collect(cold)).equals(data)).to.equal(true);
    const coldReport = await cold.report;
    expect(coldReport.discovery).to.equal("probe");
    expect(coldReport.firstByte!.steps).to.include.members(["chain: active nodes", "probe", "chain: open transaction", "request"]);

    reads.clear();
    const warm = client.fetch(blob.blobId);
    expect((await collect(warm)).equals(data)).to.equal(true);
    const report = await warm.report;
    expect(report.discovery).to.equal("known");
    expect(report.firstByte!.steps).to.deep.equal(["request"]);
    expect(report.firstByte!.roundTrips).to.equal(1);
    // no active-node, channel or probe reads: only the blacklist and the head block, which run alongside the request,
    // the origin's content key, answered from its cache (no "chain: content key" step above), and the
    // commitment's anchor block when the node's view is a block behind ours (it anchors to the head it read)
    expect([...reads.keys()].filter((k) => k !== "block").sort()).to.deep.equal(["contentKey", "head", "isBlacklisted"]);
  });

  it("when the remembered node fails, the next fetch falls back to full discovery and finishes from another holder", async () => {
    const a = await startNode(world);
    const b = await startNode(world);
    nodes.push(a, b);
    const { file, data } = randomFile(tmpDir(), 2 * LEAF_SIZE);
    const [blob] = await a.agent.publish([file]);
    await b.agent.publish([file]);
    const { client } = await countingClient();
    const keys = [a, b].map((n) => n.identity.address.toLowerCase());
    const first = client.fetch(blob.blobId, { providers: keys });
    await collect(first);
    const used = (await first.report).providers[0].nodeKey;
    const gone = [a, b].find((n) => n.identity.address.toLowerCase() === used)!;
    await gone.agent.stop();
    const again = client.fetch(blob.blobId, { providers: keys });
    expect((await collect(again)).equals(data)).to.equal(true);
    const report = await again.report;
    expect(report.discovery).to.equal("known");
    expect(report.providers.map((p) => p.nodeKey)).to.deep.equal([used, keys.find((k) => k !== used)]);
    expect(report.providers[0].outcome).to.not.equal("ok");
  });
});
