import { expect } from "chai";
import { network } from "hardhat";
import { Wallet, getBytes, hexlify, randomBytes } from "ethers";
import { ActiveSet, registryActiveSetSource } from "../../../agents/mesh/active-set.js";
import { GRAYLIST_THRESHOLD, TOPIC_GLOBAL, topicForRegion } from "../../../agents/mesh/constants.js";
import { MeshGossip, originRegistryChecker, type AnnouncementEvent, type ContentRecordEvent, type ValidationOutcome } from "../../../agents/mesh/gossip.js";
import { domainFor } from "../../../agents/protocol/eip712.js";
import { Eip712Domain } from "../../../agents/protocol/eip712-fast.js";
import { signContentRecord, signNodeAnnouncement as signNodeAnnouncementFast } from "../../../agents/protocol/signed.js";
import { encodeGossipMessage } from "../../../agents/protocol/wire/messages.js";
import type { Identity } from "../../../agents/runtime/keys.js";
import { deployRegistryFixture, nodeIdentity, registerNode, type RegistryContext } from "../../helpers/registry-fixture.js";
import { connect, newIdentity, sleep, startHost, stopAll, waitFor, type MeshHost } from "./helpers.js";

const { networkHelpers, ethers } = await network.create();

describe("mesh › gossip (real registry, real hosts on 127.0.0.1)", function () {
  this.timeout(60_000);
  let ctx: RegistryContext;
  let hosts: MeshHost[] = [];
  let services: MeshGossip[] = [];
  const fixture = () => deployRegistryFixture(ethers);
  beforeEach(async () => {
    ctx = await networkHelpers.loadFixture(fixture);
  });
  afterEach(async () => {
    for (const s of services) await s.stop();
    await stopAll(hosts);
    hosts = [];
    services = [];
  });

  async function setup(timing: { announceIntervalMs?: number; minRepublishMs?: number } = {}) {
    const price = { value: 10_000n };
    const chainId = ctx.chainId;
    const nodeRegistryDomain = Eip712Domain.from(domainFor("nodeRegistry", chainId, await ctx.registry.getAddress()));
    const originRegistryDomain = Eip712Domain.from(domainFor("originRegistry", chainId, await ctx.origins.getAddress()));
    const [a, b, u, c] = [newIdentity(), newIdentity(), newIdentity(), newIdentity()];
    const regA = await registerNode(ctx, { node: nodeIdentity(a.wallet), region: 1 });
    await registerNode(ctx, { node: nodeIdentity(b.wallet), region: 1 });
    const activeSet = new ActiveSet({}, { source: registryActiveSetSource(ctx.registry) });
    await activeSet.refresh();
    const origins = originRegistryChecker(ctx.origins);
    const [A, B, U, C] = await Promise.all([a, b, u, c].map((identity, i) => startHost({ identity, role: i === 3 ? "client" : "node", activeSet })));
    hosts.push(A, B, U, C);
    const outcomes = new Map<string, ValidationOutcome[]>();
    const received = new Map<string, AnnouncementEvent[]>();
    const records = new Map<string, ContentRecordEvent[]>();
    const make = (host: MeshHost, identity: Identity, role: "node" | "client", name: string) => {
      outcomes.set(name, []);
      received.set(name, []);
      records.set(name, []);
      const g = new MeshGossip(
        { role, regions: [1], nodeRegistryDomain, originRegistryDomain, announceIntervalMs: timing.announceIntervalMs ?? 3_600_000, minRepublishMs: timing.minRepublishMs },
        {
          pubsub: host.services.pubsub,
          activeSet,
          origins,
          signer:
            role === "node"
              ? { secretKey: identity.secretKey, nodeKey: identity.address, region: 1, offer: () => ({ multiaddrs: host.getMultiaddrs().map(String), pricePerGiB: price.value, load: 100 }) }
              : undefined,
          onValidation: (o) => outcomes.get(name)!.push(o),
        },
      );
      g.onAnnouncement((e) => received.get(name)!.push(e));
      g.onContentRecord((e) => records.get(name)!.push(e));
      services.push(g);
      return g;
    };
    const gA = make(A, a, "node", "A");
    const gB = make(B, b, "node", "B");
    const gU = make(U, u, "node", "U");
    const gC = make(C, c, "client", "C");
    // A and B are mesh peers; the unbonded U and the client C are connected to both
    await connect(A, B);
    for (const x of [U, C]) {
      await connect(x, A);
      await connect(x, B);
    }
    // start without the initial announcement racing the subscriptions: U and A publish explicitly below
    for (const g of [gB, gC]) await g.start();
    await waitFor(() => A.services.pubsub.getSubscribers(TOPIC_GLOBAL).length >= 2 && U.services.pubsub.getSubscribers(TOPIC_GLOBAL).length >= 1, 10_000, "subscriptions");
    return { A, B, U, C, a, b, u, gA, gB, gU, gC, outcomes, received, records, regA, nodeRegistryDomain, originRegistryDomain, price };
  }

  it("delivers a valid announcement to nodes and to the subscribing client", async () => {
    const { A, a, gA, received, outcomes } = await setup();
    await gA.start(); // publishes its first announcement at once
    await waitFor(() => received.get("B")!.length > 0 && received.get("C")!.length > 0, 10_000, "delivery to B and C");
    const got = received.get("C")![0].announcement.value;
    expect(got.nodeKey).to.equal(a.address.toLowerCase());
    expect(got.region).to.equal(1);
    expect(got.multiaddrs).to.deep.equal(A.getMultiaddrs().map(String));
    expect(outcomes.get("B")!.map((o) => o.reason)).to.include("ok");
    // published on the global and on the region topic
    await waitFor(() => new Set(received.get("B")!.map((e) => e.topic)).size === 2, 10_000, "both topics");
    expect(new Set(received.get("B")!.map((e) => e.topic))).to.deep.equal(new Set([TOPIC_GLOBAL, topicForRegion(1)]));
    expect(gA.announcements()).to.deep.equal([]); // a node does not receive its own messages
  });

  it("re-announces on its period and when its offer changes, with increasing sequences", async () => {
    const { a, gA, received, price } = await setup({ announceIntervalMs: 400, minRepublishMs: 300 });
    const fromA = () => received.get("B")!.filter((e) => e.topic === TOPIC_GLOBAL && e.announcement.value.nodeKey === a.address.toLowerCase());
    await gA.start();
    await waitFor(() => fromA().length >= 3, 10_000, "periodic announcements");
    const seqs = fromA().map((e) => e.announcement.value.sequence);
    expect(seqs.every((x, i) => i === 0 || x > seqs[i - 1])).to.equal(true);
    gA.offerChanged(); // nothing changed: no extra message is scheduled
    price.value = 12_345n;
    gA.offerChanged();
    gA.offerChanged(); // coalesced with the previous call
    await waitFor(() => fromA().some((e) => e.announcement.value.pricePerGiB === 12_345n), 10_000, "announcement of the new price");
    expect(latestOf(received.get("B")!, a.address).value.pricePerGiB).to.equal(12_345n);
  });

  it("rejects an announcement from an unregistered key and penalises the peer that sent it", async () => {
    const { U, A, B, u, gU, received, outcomes } = await setup();
    await gU.start(); // U announces itself: correctly signed, but not active on chain
    await gU.announce(); // and a second (higher sequence) one
    await waitFor(() => outcomes.get("B")!.filter((o) => o.reason === "not_active").length >= 2, 10_000, "B rejects both");
    expect(outcomes.get("B")!.every((o) => o.verdict === "reject")).to.equal(true);
    await sleep(300);
    for (const name of ["A", "B", "C"])
      expect(
        received.get(name)!.filter((e) => e.announcement.value.nodeKey === u.address.toLowerCase()),
        name,
      ).to.deep.equal([]);
    // two invalid messages (P4, weight −100, squared) plus the non-node score: below the graylist
    await waitFor(() => B.services.pubsub.getScore(U.peerId.toString()) < GRAYLIST_THRESHOLD, 5000, "U graylisted by B");
    // A (not subscribed: its gossip service is not started) neither validated nor penalised anything
    expect(A.services.pubsub.getScore(U.peerId.toString())).to.be.at.least(GRAYLIST_THRESHOLD);
  });

  it("rejects a replayed (older) announcement, and expired, future, forged and misplaced ones", async () => {
    const { U, gA, gB, received, outcomes, a, nodeRegistryDomain } = await setup();
    const older = gA.signAnnouncement();
    const newer = gA.signAnnouncement();
    const bytes = (x: typeof older) => encodeGossipMessage({ kind: "announcement", announcement: x });
    // the validator, called directly on B's service
    expect((await gB.validate(TOPIC_GLOBAL, bytes(newer))).reason).to.equal("ok");
    expect((await gB.validate(TOPIC_GLOBAL, bytes(newer))).reason).to.equal("replay");
    expect((await gB.validate(TOPIC_GLOBAL, bytes(older))).reason).to.equal("replay");
    // over the network: U (a peer of B) replays A's older announcement
    const newest = gA.signAnnouncement();
    await gA.start();
    await waitFor(() => received.get("B")!.length > 0, 10_000, "A's announcement");
    const seq = received.get("B")![0].announcement.value.sequence;
    expect(seq > newest.value.sequence).to.equal(true);
    await U.services.pubsub.publish(TOPIC_GLOBAL, bytes(newest));
    await waitFor(() => outcomes.get("B")!.some((o) => o.reason === "replay" && o.verdict === "reject"), 10_000, "B rejects the replay");
    expect(received.get("B")!.filter((e) => e.topic === TOPIC_GLOBAL).length).to.equal(1);

    // expired / future / forged / wrong region topic
    const sign = (over: Partial<typeof older.value>, key = a.secretKey) => {
      const value = { ...older.value, sequence: BigInt(Date.now()) * 10n, ...over };
      return bytes({ value, signature: signNodeAnnouncementFast(nodeRegistryDomain, value, key) });
    };
    const now = BigInt(Math.floor(Date.now() / 1000));
    expect((await gB.validate(TOPIC_GLOBAL, sign({ timestamp: now - 120n }))).reason).to.equal("expired");
    expect((await gB.validate(TOPIC_GLOBAL, sign({ timestamp: now + 120n }))).reason).to.equal("future");
    expect((await gB.validate(TOPIC_GLOBAL, sign({ timestamp: now }, getBytes(Wallet.createRandom().privateKey)))).reason).to.equal("bad_signature");
    expect((await gB.validate(topicForRegion(2), sign({ timestamp: now }))).reason).to.equal("wrong_topic");
    expect((await gB.validate(TOPIC_GLOBAL, new Uint8Array([1, 2, 3]))).reason).to.equal("malformed");
  });

  it("accepts content records signed by a recognized origin's content key, rejects others; clients never publish", async () => {
    const { A, gA, gB, gC, records, outcomes, regA, originRegistryDomain } = await setup();
    const contentKey = Wallet.createRandom();
    await ctx.origins.connect(ctx.timelock).recognize(regA.nodeId, contentKey.address);
    const record = (key: string, epoch = 1n) => {
      const value = { blobId: hexlify(randomBytes(32)), size: 1000n, origin: regA.nodeId, epoch, timestamp: BigInt(Math.floor(Date.now() / 1000)) };
      return { value, signature: signContentRecord(originRegistryDomain, value, getBytes(key)) };
    };
    await gA.start();
    const good = record(contentKey.privateKey);
    await gA.publishContentRecord(good);
    await waitFor(() => records.get("B")!.length > 0 && records.get("C")!.length > 0, 10_000, "record delivered");
    expect(records.get("C")![0].record.value.blobId).to.equal(good.value.blobId);
    expect((await gB.validate(TOPIC_GLOBAL, encodeGossipMessage({ kind: "contentRecord", record: record(Wallet.createRandom().privateKey) }))).reason).to.equal("not_origin");
    expect((await gB.validate(TOPIC_GLOBAL, encodeGossipMessage({ kind: "contentRecord", record: record(contentKey.privateKey, 2n) }))).reason).to.equal("not_origin");
    await gA.publishContentRecord(record(Wallet.createRandom().privateKey));
    await waitFor(() => outcomes.get("B")!.some((o) => o.reason === "not_origin" && o.verdict === "reject"), 10_000, "forged record rejected");
    expect(records.get("B")!.length).to.equal(1);
    expect(A.services.pubsub.getTopics()).to.include(TOPIC_GLOBAL);
    expect(() => gC.signAnnouncement()).to.throw(/clients never publish/);
    let err: unknown;
    await gC.publishContentRecord(good).catch((e: unknown) => (err = e));
    expect(String(err)).to.match(/clients never publish/);
  });

  it("a content record stamped with chain time days ahead of the local clock is accepted against chain time, not the local clock", async () => {
    const { B, regA, originRegistryDomain, nodeRegistryDomain } = await setup();
    const contentKey = Wallet.createRandom();
    await ctx.origins.connect(ctx.timelock).recognize(regA.nodeId, contentKey.address);
    await networkHelpers.time.increase(3 * 86_400);
    const stamped = BigInt(await networkHelpers.time.latest()); // what an origin signs after `chain:advance`
    const value = { blobId: hexlify(randomBytes(32)), size: 1000n, origin: regA.nodeId, epoch: 1n, timestamp: stamped };
    const message = encodeGossipMessage({ kind: "contentRecord", record: { value, signature: signContentRecord(originRegistryDomain, value, getBytes(contentKey.privateKey)) } });
    const activeSet = new ActiveSet({}, { source: registryActiveSetSource(ctx.registry) });
    const validator = (chainTime?: () => Promise<bigint>) =>
      new MeshGossip({ role: "client", regions: [1], nodeRegistryDomain, originRegistryDomain }, { pubsub: B.services.pubsub, activeSet, origins: originRegistryChecker(ctx.origins), chainTime });
    const chainClock = validator(async () => BigInt((await ethers.provider.getBlock("latest"))!.timestamp));
    expect(await chainClock.validate(TOPIC_GLOBAL, message)).to.include({ verdict: "accept", reason: "ok" });
    // the local clock alone would call it "future"
    expect(await validator().validate(TOPIC_GLOBAL, message)).to.include({ verdict: "reject", reason: "future" });
    // a record beyond the bound of chain time is still refused
    const ahead = { ...value, timestamp: stamped + 3_600n };
    const later = encodeGossipMessage({ kind: "contentRecord", record: { value: ahead, signature: signContentRecord(originRegistryDomain, ahead, getBytes(contentKey.privateKey)) } });
    expect(await chainClock.validate(TOPIC_GLOBAL, later)).to.include({ verdict: "reject", reason: "future" });
  });
});

/** The highest-sequence announcement of `nodeKey` among the events. */
function latestOf(events: AnnouncementEvent[], nodeKey: string) {
  const mine = events.filter((e) => e.announcement.value.nodeKey === nodeKey.toLowerCase());
  return mine.reduce((x, y) => (y.announcement.value.sequence > x.announcement.value.sequence ? y : x)).announcement;
}
