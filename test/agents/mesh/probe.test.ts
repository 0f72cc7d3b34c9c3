import { expect } from "chai";
import { ActiveSet } from "../../../agents/mesh/active-set.js";
import { FreshnessGuard } from "../../../agents/mesh/freshness.js";
import { ProbeFailedError } from "../../../agents/mesh/errors.js";
import type { ProbeAnswer } from "../../../agents/mesh/probe.js";
import { Reputation } from "../../../agents/mesh/reputation.js";
import { connect, newIdentity, startHost, stopAll, StaticSource, type MeshHost } from "./helpers.js";

describe("mesh › probe protocol (/cdn/probe/1.0.0, real hosts on 127.0.0.1)", function () {
  this.timeout(30_000);
  const BLOB = "0x" + "11".repeat(32);
  const OTHER = "0x" + "22".repeat(32);
  let hosts: MeshHost[] = [];
  afterEach(async () => {
    await stopAll(hosts);
    hosts = [];
  });

  async function setup(holders: boolean[], opts: { stale?: boolean } = {}) {
    const source = new StaticSource();
    const activeSet = new ActiveSet({}, { source });
    const nodes: MeshHost[] = [];
    const freshness = new FreshnessGuard({ maxAgeMs: 60_000 });
    if (!opts.stale) freshness.markFresh();
    for (const has of holders) {
      const id = newIdentity();
      source.add(id.address);
      nodes.push(
        await startHost({ identity: id, role: "node", activeSet, probe: { hasBlob: (b) => has && b === BLOB, sizeOf: () => 1234, offer: () => ({ pricePerGiB: 7n, load: 250 }), freshness } }),
      );
    }
    const results: (ProbeAnswer | Error)[] = [];
    const client = await startHost({ identity: newIdentity(), role: "client", activeSet, probe: { onResult: (_p, r) => results.push(r) } });
    hosts.push(...nodes, client);
    for (const n of nodes) await connect(client, n);
    return { nodes, client, results };
  }

  it("answers HAVE with size, price and load, and MISS for a blob it does not hold", async () => {
    const { nodes, client } = await setup([true]);
    const have = await client.services.probe.probe(nodes[0].peerId, BLOB);
    expect(have).to.include({ status: "HAVE", size: 1234, pricePerGiB: 7n, load: 250, cached: false });
    expect(have.rttMs).to.be.greaterThan(0);
    const miss = await client.services.probe.probe(nodes[0].peerId, OTHER);
    expect(miss.status).to.equal("MISS");
  });

  it("discover() returns the holders, stops after 3, and caches positive and negative answers", async () => {
    const { nodes, client, results } = await setup([true, false, true, true, true]);
    const holders = await client.services.probe.discover(
      nodes.map((n) => n.peerId),
      BLOB,
      { concurrency: 1, collectMs: 10_000 },
    );
    expect(holders.map((h) => h.status)).to.deep.equal(["HAVE", "HAVE", "HAVE"]);
    // probed in order, one at a time: the fifth node was never asked
    expect(results.length).to.equal(4);
    expect(client.services.probe.cached(nodes[4].peerId, BLOB)).to.equal(undefined);
    expect(client.services.probe.cached(nodes[1].peerId, BLOB)?.status).to.equal("MISS");
    const again = await client.services.probe.discover(
      nodes.map((n) => n.peerId),
      BLOB,
      { concurrency: 1, collectMs: 10_000 },
    );
    expect(again.every((h) => h.cached)).to.equal(true);
    expect(results.length).to.equal(4); // all from the cache
  });

  it("a node with a stale chain view answers BUSY (it will not serve)", async () => {
    const { nodes, client } = await setup([true], { stale: true });
    expect((await client.services.probe.probe(nodes[0].peerId, BLOB)).status).to.equal("BUSY");
  });

  it("rate-limits inbound probes per peer; failures are reported and lower reputation", async () => {
    const source = new StaticSource();
    const activeSet = new ActiveSet({}, { source });
    const node = await startHost({ identity: newIdentity(), role: "node", activeSet, probe: { hasBlob: () => true, ratePerPeer: 1, now: () => 0 } }); // frozen clock: no refill
    const rep = new Reputation();
    const client = await startHost({
      identity: newIdentity(),
      role: "client",
      activeSet,
      probe: { onResult: (p, r) => rep.record(p.toString(), r instanceof Error ? { kind: "unreachable" } : { kind: "probe", rttMs: r.rttMs }) },
    });
    hosts.push(node, client);
    await connect(client, node);
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () =>
        client.services.probe.probe(node.peerId, BLOB).then(
          (a) => a.status,
          (e: unknown) => e,
        ),
      ),
    );
    expect(outcomes.filter((o) => o === "HAVE").length).to.equal(2); // burst of 2 × 1/s
    expect(outcomes.filter((o) => o instanceof ProbeFailedError).length).to.equal(3);
    expect(rep.score(node.peerId.toString())).to.be.lessThan(0.5);
  });
});
