import { expect } from "chai";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { network } from "hardhat";
import { collect, deliveryWorld, randomFile, startNode, type DeliveryWorld, type TestNode } from "../../e2e/delivery-fixture.js";
import { LEAF_SIZE } from "../../../agents/protocol/constants.js";
import { createHost } from "../../../agents/runtime/host.js";
import { identityFromSecret } from "../../../agents/runtime/keys.js";
import { ClientStore } from "../../../agents/client/store.js";
import { createClient, type Client } from "../../../agents/client/client.js";
import { clientChainView, type ClientChainView, type ClientChainViewOptions } from "../../../agents/client/chain.js";
import { connectContracts } from "../../../agents/chain/contracts.js";
import { BrowserProvider, Wallet } from "ethers";
import { tmpDir } from "../../helpers/tmp.js";

describe("client › warm path (a known holder, an open channel)", function () {
  this.timeout(120_000);
  let world: DeliveryWorld;
  const nodes: TestNode[] = [];
  const stops: (() => Promise<void>)[] = [];

  /**
   * A client whose chain view counts its reads by method, on a provider that counts every JSON-RPC
   * request it sends to the chain (by method), and whose host counts its dials.
   */
  async function countingClient(
    viewOptions: ClientChainViewOptions = {},
  ): Promise<{ client: Client; reads: Map<string, number>; rpc: Map<string, number>; order: string[]; dials: { count: number } }> {
    const identity = identityFromSecret(randomBytes(32));
    await world.fund(identity.address);
    const rpc = new Map<string, number>();
    /** The JSON-RPC methods in the order they were sent (a test adds its own events between them). */
    const order: string[] = [];
    const chainProvider = world.connection.provider;
    const provider = new BrowserProvider(
      {
        request(args: { method: string; params?: unknown[] | Record<string, unknown> }) {
          rpc.set(args.method, (rpc.get(args.method) ?? 0) + 1);
          order.push(args.method);
          return chainProvider.request(args);
        },
      },
      world.deployment.chainId,
      { cacheTimeout: -1, staticNetwork: true }, // every request reaches the chain; ethers' own network check is not the client's read
    );
    const contracts = connectContracts(world.deployment, new Wallet(identity.wallet.privateKey, provider));
    const reads = new Map<string, number>();
    const real = clientChainView(contracts, viewOptions);
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
    const dials = { count: 0 };
    const dial = host.dial.bind(host);
    host.dial = (...args) => {
      dials.count++;
      return dial(...args);
    };
    const store = new ClientStore(path.join(tmpDir("cdn-client-"), "client.db"));
    stops.push(async () => {
      await host.stop();
      store.close();
    });
    return { client: createClient({ probeTimeoutMs: 5000 }, { host, identity, chain, contracts, store }), reads, rpc, order, dials };
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

  it("the second fetch of a blob goes straight to the node that delivered it over the open connection: one round trip (the request) before the first verified byte, no dial, no chain request at all", async () => {
    const n = await startNode(world);
    nodes.push(n);
    const { file, data } = randomFile(tmpDir(), 3 * LEAF_SIZE);
    const [blob] = await n.agent.publish([file]);
    // a head read reused for a minute: what is counted is the warm path, not how fast this machine runs the test
    const { client, reads, rpc, dials } = await countingClient({ headMaxAgeMs: 60_000 });
    const cold = client.fetch(blob.blobId);
    expect((await collect(cold)).equals(data)).to.equal(true);
    const coldReport = await cold.report;
    expect(coldReport.discovery).to.equal("probe");
    expect(coldReport.firstByte!.steps).to.include.members(["chain: active nodes", "probe", "chain: open transaction", "request"]);
    expect(rpc.get("eth_sendRawTransaction")).to.be.greaterThan(0);

    reads.clear();
    rpc.clear();
    dials.count = 0;
    const warm = client.fetch(blob.blobId);
    expect((await collect(warm)).equals(data)).to.equal(true);
    const report = await warm.report;
    expect(report.discovery).to.equal("known");
    expect(report.firstByte!.steps).to.deep.equal(["request"]);
    expect(report.firstByte!.roundTrips).to.equal(1);
    expect(dials.count).to.equal(0);
    // the blacklist, the head and the origin's content key answer from memory; no active-node, channel or probe reads
    expect([...reads.keys()].filter((k) => k !== "block").sort()).to.deep.equal(["contentKey", "head", "isBlacklisted"]);
    expect(Object.fromEntries(rpc)).to.deep.equal({});
  });

  it("a serve commitment anchored to a block the client saw as its head earlier costs no chain request (the node's view a block behind)", async () => {
    const n = await startNode(world, { options: { chainView: { pollMs: 600_000 } } }); // the view moves only when the test says
    nodes.push(n);
    const { file, data } = randomFile(tmpDir(), LEAF_SIZE);
    const [blob] = await n.agent.publish([file]);
    const { client, rpc } = await countingClient({ headMaxAgeMs: 0, headStaleMs: 0 });
    await collect(client.fetch(blob.blobId));
    await n.agent.syncChainView();
    const seen = await client.deps.chain.head(); // the block the node's view anchors to
    await world.connection.networkHelpers.mine(1); // the client's chain moves on, the node's view does not (no poll)
    rpc.clear();
    let anchor: bigint | undefined;
    const warm = client.fetch(blob.blobId, { onHeader: (h) => void (anchor = h.commitment.value.anchorBlock) });
    expect((await collect(warm)).equals(data)).to.equal(true);
    expect(anchor).to.equal(seen.number);
    expect((await warm.report).firstByte!.steps).to.deep.equal(["request"]);
    // the head is read again (a zero reuse here), the anchor block is not
    expect(Object.fromEntries(rpc)).to.deep.equal({ eth_getBlockByNumber: 1 });
  });

  it("a serve commitment anchored past the client's remembered head makes it read the head once, and the fetch completes", async () => {
    const n = await startNode(world, { options: { chainView: { pollMs: 600_000 } } });
    nodes.push(n);
    const { file, data } = randomFile(tmpDir(), LEAF_SIZE);
    const [blob] = await n.agent.publish([file]);
    const { client, rpc } = await countingClient({ headMaxAgeMs: 60_000, headStaleMs: 60_000 });
    await collect(client.fetch(blob.blobId));
    const remembered = await client.deps.chain.head();
    await world.connection.networkHelpers.mine(1);
    await n.agent.syncChainView(); // the node anchors to a block the client has not seen
    rpc.clear();
    let anchor: bigint | undefined;
    const warm = client.fetch(blob.blobId, { onHeader: (h) => void (anchor = h.commitment.value.anchorBlock) });
    expect((await collect(warm)).equals(data)).to.equal(true);
    expect(anchor).to.equal(remembered.number + 1n);
    expect(Object.fromEntries(rpc)).to.deep.equal({ eth_getBlockByNumber: 1 });
    expect((await client.deps.chain.head()).number).to.equal(anchor);
  });

  it("a commitment anchored past the remembered head waits for the head read the request started (a head past its reuse): no read after the node's answer", async () => {
    const n = await startNode(world, { options: { chainView: { pollMs: 600_000 } } });
    nodes.push(n);
    const [first, second] = [randomFile(tmpDir(), LEAF_SIZE), randomFile(tmpDir(), LEAF_SIZE)];
    const [a, b] = await n.agent.publish([first.file, second.file]);
    // the head is answered from memory and read again in the background at every use (reuse 0, staleness a minute)
    const { client, rpc, order } = await countingClient({ headMaxAgeMs: 0, headStaleMs: 60_000 });
    await collect(client.fetch(a.blobId));
    const remembered = await client.deps.chain.head({ fresh: true }); // read now and awaited: no background read left to see the next block
    await world.connection.networkHelpers.mine(1);
    await n.agent.syncChainView(); // the node anchors to a block the client has not seen
    rpc.clear();
    order.length = 0;
    let anchor: bigint | undefined;
    const cold = client.fetch(b.blobId, {
      onHeader: (h) => {
        anchor = h.commitment.value.anchorBlock;
        order.push("header");
      },
    });
    expect((await collect(cold)).equals(second.data)).to.equal(true);
    expect(anchor).to.equal(remembered.number + 1n);
    // the head read left with the request, before the node's answer; nothing was read after the answer
    expect(order.indexOf("eth_getBlockByNumber")).to.be.within(0, order.indexOf("header"));
    expect(order.slice(order.indexOf("header"))).to.deep.equal(["header"]);
    expect(rpc.get("eth_call")).to.equal(1); // the new blob's blacklist read
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
