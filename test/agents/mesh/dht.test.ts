import { expect } from "chai";
import type { IdentifyResult, PeerId } from "@libp2p/interface";
import { network } from "hardhat";
import { randomBytes } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import { BlacklistView, blobKeyOf, contentBlacklistSource, enforceBlacklist } from "../../../agents/mesh/blacklist.js";
import { BlobCache } from "../../../agents/node/cache/index.js";
import { computeBlobId } from "../../../agents/protocol/merkle.js";
import { fromHex, toHex } from "../../../agents/protocol/bytes.js";
import { ActiveSet } from "../../../agents/mesh/active-set.js";
import { kadIdOf, kadIdOfPeer, MeshDht, ProviderRecordGate, type RoutingTableView } from "../../../agents/mesh/dht.js";
import { blobIdToCid } from "../../../agents/protocol/cid.js";
import { deployRegistryFixture, type RegistryContext } from "../../helpers/registry-fixture.js";
import { PROTOCOL_KAD } from "../../../agents/mesh/services.js";
import { connect, connectUntilIdentified, identified, inRoutingTable, newIdentity, startHost, stopAll, StaticSource, waitFor, type MeshHost } from "./helpers.js";
import { tmpDir } from "../../helpers/tmp.js";

const { networkHelpers, ethers } = await network.create();

describe("mesh › DHT (kad-dht, real hosts on 127.0.0.1)", function () {
  this.timeout(60_000);
  const BLOB = "0x" + "ab".repeat(32);
  let hosts: MeshHost[] = [];
  afterEach(async () => {
    await stopAll(hosts);
    hosts = [];
  });

  /** n active nodes, one unbonded node in server mode, one client; all connected in a ring plus the outsiders. */
  async function mesh(n: number, isBlacklisted: (id: string) => boolean = () => false) {
    const source = new StaticSource();
    const activeSet = new ActiveSet({}, { source });
    const ids = Array.from({ length: n }, newIdentity);
    source.add(...ids.map((i) => i.address));
    await activeSet.refresh();
    const gates = ids.map((identity) => new ProviderRecordGate((peer) => peer === identity.peerId.toString() || activeSet.hasPeer(peer)));
    const nodes = await Promise.all(ids.map((identity, i) => startHost({ identity, role: "node", activeSet, datastore: gates[i] })));
    const unbonded = await startHost({ identity: newIdentity(), role: "node", activeSet });
    const client = await startHost({ identity: newIdentity(), role: "client", activeSet });
    hosts.push(...nodes, unbonded, client);
    // what each node learns of the two outsiders when it identifies them (the unbonded peer's own
    // DHT may dial a node before the test does)
    const identifies = nodes.map((node) => [identified(node, unbonded.peerId), identified(node, client.peerId)] as const);
    for (let i = 0; i < n; i++) await connect(nodes[i], nodes[(i + 1) % n]);
    const outsidersSeen: [IdentifyResult, IdentifyResult][] = [];
    for (const [i, node] of nodes.entries()) {
      outsidersSeen.push([await connectUntilIdentified(unbonded, node, identifies[i][0]), await connectUntilIdentified(client, node, identifies[i][1])]);
    }
    // on a loaded machine the first routing-table updates can take well over 10 s: the test's timeout bounds the wait
    await waitFor(async () => (await Promise.all(nodes.map((x) => inRoutingTable(x, nodes[(nodes.indexOf(x) + 1) % n].peerId)))).every(Boolean), 50_000, "routing tables");
    const dht = (h: MeshHost, denied: (id: string) => boolean = isBlacklisted) => new MeshDht({ lookupTimeoutMs: 15_000 }, { dht: h.services.dht, self: h.peerId, activeSet, isBlacklisted: denied });
    return { nodes, unbonded, client, activeSet, source, dht, gates, outsidersSeen };
  }

  it("an unbonded peer in server mode never enters a routing table, and its provider records are never returned", async () => {
    const { nodes, unbonded, client, dht, outsidersSeen } = await mesh(4);
    // each node was connected to both and identified them (the unbonded one as a DHT server), and
    // kept them out of its routing table; whether those connections are still up later does not matter
    const notRouted = async () => {
      for (const node of nodes) {
        expect(await inRoutingTable(node, unbonded.peerId)).to.equal(false);
        expect(await inRoutingTable(node, client.peerId)).to.equal(false);
      }
    };
    for (const [seenUnbonded] of outsidersSeen) expect(seenUnbonded.protocols).to.include(PROTOCOL_KAD);
    await notRouted();
    // the unbonded peer and one node both provide the blob
    await dht(unbonded).provide(BLOB);
    await dht(nodes[1]).provide(BLOB);
    const found = await dht(client).findProviders(BLOB);
    expect(found.map((p) => p.peer.toString())).to.deep.equal([nodes[1].peerId.toString()]);
    // a raw kad-dht lookup by the client (all answers come from node servers) does not return it
    // either: servers hide non-nodes from GET_PROVIDERS answers
    const raw: string[] = [];
    for await (const e of client.services.dht.findProviders(blobIdToCid(fromHex(BLOB)), { signal: AbortSignal.timeout(15_000) })) {
      if (e.name === "PROVIDER") raw.push(...e.providers.map((p) => p.id.toString()));
    }
    expect(raw).to.not.include(unbonded.peerId.toString());
    expect(raw).to.include(nodes[1].peerId.toString());
    await notRouted(); // nor after it provided to them
  });

  it("nodes store provider records only from active nodes: an unbonded peer's ADD_PROVIDER flood is dropped", async () => {
    const { nodes, unbonded, dht, gates } = await mesh(3);
    const blobs = Array.from({ length: 5 }, () => toHex(new Uint8Array(randomBytes(32))));
    for (const b of blobs) await dht(unbonded).provide(b);
    await dht(nodes[0]).provide(BLOB);
    const stored = async (gate: ProviderRecordGate) => {
      const keys: string[] = [];
      for await (const k of gate.queryKeys({ prefix: "/dht/provider/" })) keys.push(k.toString());
      return keys;
    };
    const all = (await Promise.all(gates.map(stored))).flat();
    expect(all.some((k) => k.endsWith(unbonded.peerId.toString()))).to.equal(false);
    expect(all.some((k) => k.endsWith(nodes[0].peerId.toString()))).to.equal(true);
    expect(gates.reduce((n, g) => n + g.dropped, 0)).to.be.greaterThan(0);
  });

  it("the provider-record store is capped in total", async () => {
    const gate = new ProviderRecordGate(() => true, 2);
    const { Key } = await import("interface-datastore");
    for (let i = 0; i < 5; i++) await gate.put(new Key(`/dht/provider/cid${i}/peer`), new Uint8Array([1]));
    await gate.put(new Key("/peers/other"), new Uint8Array([1]));
    expect(gate.providerRecords()).to.equal(2);
    expect(gate.dropped).to.equal(3);
    expect(await gate.has(new Key("/peers/other"))).to.equal(true);
    await gate.delete(new Key("/dht/provider/cid0/peer"));
    await gate.put(new Key("/dht/provider/cid9/peer"), new Uint8Array([1]));
    expect(gate.providerRecords()).to.equal(2);
  });

  it("nodes provide and clients find the holders; re-provides are scheduled 30–50 min apart", async () => {
    const { nodes, client, dht } = await mesh(5);
    const d0 = dht(nodes[0]);
    const d2 = dht(nodes[2]);
    const before = Date.now();
    await d0.provide(BLOB);
    await d2.provide(BLOB);
    const at = d0.nextReprovideAt(BLOB)!;
    expect(at - before >= 30 * 60_000 && at - before <= 50 * 60_000 + 5000, `${at - before} ms`).to.equal(true);
    const found = (await dht(client).findProviders(BLOB)).map((p) => p.peer.toString()).sort();
    expect(found).to.deep.equal([nodes[0].peerId.toString(), nodes[2].peerId.toString()].sort());
    // nothing is due now; with the clock past the schedule, the blob is re-provided
    expect(await d0.reprovideDue()).to.deep.equal([]);
    let t = Date.now();
    const later = new MeshDht({}, { dht: nodes[0].services.dht, self: nodes[0].peerId, activeSet: new ActiveSet({}, { source: new StaticSource() }), isBlacklisted: () => false, now: () => t });
    await later.provide(BLOB);
    t += 51 * 60_000;
    expect(await later.reprovideDue()).to.deep.equal([BLOB]);
    const gap = later.nextReprovideAt(BLOB)! - t;
    expect(gap >= 30 * 60_000 && gap <= 50 * 60_000, `${gap} ms`).to.equal(true);
  });

  describe("blacklist (ContentBlacklist on an in-process chain)", () => {
    let ctx: RegistryContext;
    const fixture = () => deployRegistryFixture(ethers);
    beforeEach(async () => {
      ctx = await networkHelpers.loadFixture(fixture);
    });

    it("after an entry no node provides the blob, none holds it, re-provides stop, and lookups filter remote records", async () => {
      const { nodes, client, dht } = await mesh(4);
      const data = new Uint8Array(randomBytes(5000));
      const blob = toHex(computeBlobId(data));
      // every peer runs its own deny-set view; the two holders cache the blob and provide it
      const listedOn: number[] = [];
      const agents = [...nodes, client].map((host, i) => {
        const view = new BlacklistView({}, { source: contentBlacklistSource(ctx.blacklist), onListed: () => listedOn.push(i) });
        const cache = i < 2 ? new BlobCache({ dir: tmpDir("cdn-dht-bl-"), budgetBytes: 1 << 20, durable: false }, { db: new DatabaseSync(":memory:") }) : undefined;
        return { host, view, cache, dht: dht(host, view.isBlacklisted) };
      });
      for (const a of agents) await a.view.refresh();
      for (const a of agents.slice(0, 2)) {
        await a.cache!.put(blob, data);
        await a.dht.provide(blob);
      }
      expect((await agents[4].dht.findProviders(blob)).length).to.equal(2);

      // the DAO's compliance path writes the entry; each peer's next refresh picks it up and the
      // holders run the duties: stop providing, refuse (the view), evict
      await ctx.blacklist.connect(ctx.timelock).add(blobKeyOf(blob));
      for (const a of agents) {
        await a.view.refresh();
        const held = new Set([...(a.cache?.list().map((e) => e.blobId) ?? []), ...a.dht.providing()]);
        for (const id of held) if (a.view.isBlacklisted(id)) await enforceBlacklist(id, { dht: a.dht, cache: a.cache });
      }
      expect(listedOn).to.deep.equal([0, 1, 2, 3, 4]);
      for (const a of agents) {
        expect(a.view.isBlacklisted(blob)).to.equal(true);
        expect(a.dht.providing()).to.deep.equal([]);
        expect(a.cache?.has(blob) ?? false).to.equal(false);
      }
      // no self-record is left for kad-dht's own reprovider, and nothing is re-provided later
      for (const a of agents.slice(0, 2)) {
        const local = await (a.host.services.dht as unknown as { providers: { getProviders(c: unknown): Promise<{ equals(p: unknown): boolean }[]> } }).providers.getProviders(
          blobIdToCid(fromHex(blob)),
        );
        expect(local.some((p) => p.equals(a.host.peerId))).to.equal(false);
        expect(await a.dht.reprovideDue()).to.deep.equal([]);
      }
      // remote peers still hold the old records, but nodes and clients filter the id out
      expect(await agents[4].dht.findProviders(blob)).to.deep.equal([]);
      expect(await agents[3].dht.findProviders(blob)).to.deep.equal([]);
      let err: unknown;
      await agents[0].dht.provide(blob).catch((e: unknown) => (err = e));
      expect(String(err)).to.match(/blacklisted/);
      // the records are still out there: a raw kad-dht lookup that ignores the deny-set finds them
      const raw: string[] = [];
      for await (const e of client.services.dht.findProviders(blobIdToCid(fromHex(blob)), { signal: AbortSignal.timeout(15_000) })) {
        if (e.name === "PROVIDER") raw.push(...e.providers.map((p) => p.id.toString()));
      }
      expect(raw.length).to.be.greaterThan(0);
    });
  });

  it("a node that joins after a blob was provided gets its provider record: its own records name the holder (no lookup); a provider that ignores joins leaves it none", async () => {
    const { nodes, source, activeSet } = await mesh(3);
    const table = (nodes[0].services.dht as unknown as { routingTable: RoutingTableView }).routingTable;
    const followsJoins = new MeshDht({ joinReprovideDelayMs: 100 }, { dht: nodes[0].services.dht, self: nodes[0].peerId, activeSet, routingTable: table, isBlacklisted: () => false });
    const ignoresJoins = new MeshDht({}, { dht: nodes[0].services.dht, self: nodes[0].peerId, activeSet, isBlacklisted: () => false });
    const OTHER = "0x" + "cd".repeat(32);
    followsJoins.start();
    ignoresJoins.start();
    try {
      await followsJoins.provide(BLOB);
      await ignoresJoins.provide(OTHER);
      // a cache node registers and starts later: it joins node 0's routing table
      const identity = newIdentity();
      source.add(identity.address);
      await activeSet.refresh();
      const late = await startHost({ identity, role: "node", activeSet, datastore: new ProviderRecordGate((peer) => activeSet.hasPeer(peer)) });
      hosts.push(late);
      await connect(late, nodes[0]);
      await waitFor(() => inRoutingTable(nodes[0], late.peerId), 10_000, "the newcomer in node 0's routing table");
      const lateDht = new MeshDht({}, { dht: late.services.dht, self: late.peerId, activeSet, isBlacklisted: () => false });
      const local = async (blob: string) => (await lateDht.findProviders(blob, { localOnly: true })).map((p) => p.peer.toString());
      await waitFor(async () => (await local(BLOB)).length > 0, 20_000, "the re-provided record at the newcomer");
      expect(await local(BLOB)).to.deep.equal([nodes[0].peerId.toString()]);
      expect(followsJoins.stats.joinReprovides).to.be.greaterThan(0);
      expect(await local(OTHER)).to.deep.equal([]);
    } finally {
      followsJoins.stop();
      ignoresJoins.stop();
    }
  });

  /** A DHT that records the CIDs it is asked to provide, and a routing table ordered by XOR distance (kad-dht's metric) that counts the lookups asked of it. */
  function joinWorld(k = 20) {
    const provided: string[] = [];
    /** Peers that miss this many more records (a lookup that does not find them, a send that fails). */
    const misses = new Map<string, number>();
    const dht = {
      // kad-dht answers each peer that took the record with a PEER_RESPONSE event; here every peer in the table takes it
      async *provide(cid: { toString(): string }) {
        provided.push(cid.toString());
        for (const peer of peers) {
          const left = misses.get(peer.toString()) ?? 0;
          if (left > 0) misses.set(peer.toString(), left - 1);
          else yield { name: "PEER_RESPONSE", from: peer };
        }
      },
      async cancelReprovide() {},
    };
    const peers: PeerId[] = [];
    const distance = (peer: PeerId, key: Uint8Array) => Buffer.from(kadIdOfPeer(peer).map((byte, i) => byte ^ key[i]));
    const table = Object.assign(new EventTarget(), {
      asked: 0,
      closestPeers(key: Uint8Array, options?: { count?: number }) {
        table.asked++;
        return [...peers].sort((a, b) => Buffer.compare(distance(a, key), distance(b, key))).slice(0, options?.count ?? k);
      },
    });
    const clock = { t: 1_000_000 };
    const meshDht = new MeshDht(
      { joinReprovideDelayMs: 0, joinReprovideRetryMs: 50 },
      {
        dht: dht as never,
        self: newIdentity().peerId,
        activeSet: new ActiveSet({}, { source: new StaticSource() }),
        routingTable: table as unknown as RoutingTableView,
        k,
        isBlacklisted: () => false,
        now: () => clock.t,
      },
    );
    const settle = () => new Promise((r) => setTimeout(r, 100)); // the re-provide follows the join at once (a delay of 0 on the injected clock)
    return {
      provided,
      table,
      meshDht,
      clock,
      misses,
      /** The peer enters the routing table (or only announces it again, when it is there). */
      async join(peer: PeerId) {
        if (!peers.some((p) => p.equals(peer))) peers.push(peer);
        table.dispatchEvent(new CustomEvent("peer:add", { detail: peer }));
        await settle();
      },
      async leave(peer: PeerId) {
        peers.splice(
          peers.findIndex((p) => p.equals(peer)),
          1,
        );
        table.dispatchEvent(new CustomEvent("peer:remove", { detail: peer }));
        await settle();
      },
      /** Fresh peers, closest to `blobId` first. */
      peersByDistance(n: number, blobId: string) {
        const key = kadIdOf(blobId);
        return Array.from({ length: n }, () => newIdentity().peerId).sort((a, b) => Buffer.compare(distance(a, key), distance(b, key)));
      },
    };
  }

  it("a node churning its connection (leaving and rejoining the routing table) makes a provider re-provide once per 10 min, not at every join", async () => {
    const { provided, meshDht: d, clock, join } = joinWorld();
    const churner = newIdentity();
    const other = newIdentity();
    d.start();
    try {
      await d.provide(BLOB);
      expect(provided.length).to.equal(1);
      await join(churner.peerId);
      expect(provided.length).to.equal(2);
      for (let i = 0; i < 5; i++) {
        clock.t += 60_000;
        await join(churner.peerId); // rejoins every minute: ignored for 10 min
      }
      expect(provided.length).to.equal(2);
      await join(other.peerId); // another newcomer close to the blob still gets its record
      expect(provided.length).to.equal(3);
      clock.t += 10 * 60_000;
      await join(churner.peerId);
      expect(provided.length).to.equal(4);
      expect(d.stats.joinReprovides).to.equal(3);
    } finally {
      d.stop();
    }
  });

  it("a join asks the routing table only about blobs the newcomer may be among the k closest peers of, and a departure from among them is not forgotten", async () => {
    const { provided, table, meshDht: d, join, leave, peersByDistance } = joinWorld(2);
    const p = peersByDistance(8, BLOB);
    for (const peer of [p[1], p[4], p[5]]) await join(peer); // before the blob is provided
    d.start();
    try {
      await d.provide(BLOB);
      const asked = table.asked;
      await join(p[6]); // the blob's bound is not known yet: the table is asked, and p6 is not among the 2 closest
      expect(table.asked).to.equal(asked + 1);
      await join(p[7]); // farther than the 2nd closest (p4): ruled out without asking
      expect(table.asked).to.equal(asked + 1);
      expect(provided.length).to.equal(1);
      await join(p[0]); // among the 2 closest: re-provided
      expect(table.asked).to.equal(asked + 2);
      expect(provided.length).to.equal(2);
      await leave(p[0]); // the 2 closest are now p1 and whoever joins closer than p4
      await join(p[2]);
      expect(provided.length).to.equal(3);
      expect(d.stats.joinReprovides).to.equal(2);
    } finally {
      d.stop();
    }
  });

  it("a join's re-provide that missed the newcomer is tried again (after 50, 100 ms here) until it reaches it, and at most three times", async () => {
    const { provided, meshDht: d, join, misses } = joinWorld();
    const late = newIdentity().peerId;
    const never = newIdentity().peerId;
    d.start();
    try {
      await d.provide(BLOB);
      misses.set(late.toString(), 2); // the join's re-provide and the first retry miss it
      await join(late);
      await new Promise((r) => setTimeout(r, 400));
      expect(provided.length).to.equal(4); // provide, the join's re-provide, two retries
      misses.set(never.toString(), 100);
      await join(never);
      await new Promise((r) => setTimeout(r, 800)); // retries after 50, 100, 200 ms, then it gives up
      expect(provided.length).to.equal(8);
    } finally {
      d.stop();
    }
  });

  it("a blob no longer provided is not re-provided when a peer joins", async () => {
    const { provided, meshDht: d, join } = joinWorld();
    const OTHER = "0x" + "cd".repeat(32);
    d.start();
    try {
      await d.provide(BLOB);
      await d.provide(OTHER);
      await d.stopProviding(OTHER);
      provided.length = 0;
      await join(newIdentity().peerId);
      expect(provided).to.deep.equal([blobIdToCid(fromHex(BLOB, 32)).toString()]);
      expect(d.stats.joinReprovides).to.equal(1);
    } finally {
      d.stop();
    }
  });

  it("a join pass over more blobs than one batch reaches every blob the newcomer is close to", async () => {
    const { provided, meshDht: d, join } = joinWorld();
    const blobs = Array.from({ length: 600 }, () => toHex(randomBytes(32)));
    d.start();
    try {
      for (const blob of blobs) await d.provide(blob);
      provided.length = 0;
      await join(newIdentity().peerId); // a table of fewer than k peers: every blob gains the newcomer
      expect(d.stats.joinReprovides).to.equal(blobs.length);
      expect(new Set(provided).size).to.equal(blobs.length);
    } finally {
      d.stop();
    }
  });

  it("keeps only providers that are active: a node removed from the active set stops being returned", async () => {
    const { nodes, client, source, activeSet, dht } = await mesh(4);
    await dht(nodes[0]).provide(BLOB);
    await dht(nodes[1]).provide(BLOB);
    expect((await dht(client).findProviders(BLOB)).length).to.equal(2);
    source.keys.delete([...source.keys][1]); // nodes[1] leaves the active set (e.g. its bond fell below the curve)
    await activeSet.refresh();
    const found = await dht(client).findProviders(BLOB);
    expect(found.map((p) => p.peer.toString())).to.deep.equal([nodes[0].peerId.toString()]);
  });
});
