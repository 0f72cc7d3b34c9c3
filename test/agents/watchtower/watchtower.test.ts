/**
 * The watchtower on real libp2p hosts (127.0.0.1) against the real contracts on an in-process
 * Hardhat chain (the devnet Ignition module): authentication and refusals of the
 * /cdn/watchtower/1.0.0 service, durable acknowledgement, the pusher with several watchtowers,
 * and the monitor's disputes and missed windows.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import path from "node:path";
import { network } from "hardhat";
import type { Libp2p } from "@libp2p/interface";
import { deliveryWorld, freePort, type DeliveryWorld } from "../../e2e/delivery-fixture.js";
import { chainTime, readChannel, type Contracts } from "../../../agents/chain/contracts.js";
import { watchtowerChainView, type WatchtowerChainView } from "../../../agents/watchtower/chain.js";
import { identityFromSecret, type Identity } from "../../../agents/runtime/keys.js";
import { signTyped } from "../../../agents/protocol/signed.js";
import { createWatchtowerPusher, pushToWatchtower, pushVoucher, signWatchtowerAuth } from "../../../agents/mesh/watchtower-push.js";
import { WatchtowerRejectedError, WatchtowerStaleError } from "../../../agents/mesh/watchtower-errors.js";
import { WatchtowerStore } from "../../../agents/watchtower/store.js";
import { PROTOCOL_WATCHTOWER } from "../../../agents/watchtower/constants.js";
import { FramedStream } from "../../../agents/runtime/framed.js";
import { decodeWatchtowerResponse, encodeWatchtowerRequest, FRAME_CAPS } from "../../../agents/protocol/wire/messages.js";
import { multiaddr } from "@multiformats/multiaddr";
import { dialOnlyHost, openChannel, registeredNode, startWatchtower, voucher, waitFor, USDC, type NodeKeys } from "./fixture.js";
import { rejection } from "../../helpers/errors.js";
import { tmpDir } from "../../helpers/tmp.js";

/** Asserts `error` is an instance of `cls` (and its message matches `re`). */
function expectRejection(error: unknown, cls: new (...args: never[]) => Error, re?: RegExp): void {
  expect(error, String((error as Error)?.message)).to.be.instanceOf(cls);
  if (re) expect((error as Error).message).to.match(re);
}

describe("watchtower › service and monitor (real hosts, real contracts)", function () {
  this.timeout(120_000);
  let world: DeliveryWorld;
  let node: NodeKeys;
  let other: NodeKeys;
  let payer: Identity;
  let nodeHost: Libp2p;
  let otherHost: Libp2p;
  const beneficiary = identityFromSecret(randomBytes(32)).address.toLowerCase();
  const stops: Array<() => Promise<void>> = [];
  const domain = () => world.contractsFor(payer).domains.paymentChannel;
  const channel = () => openChannel(world.contractsFor(payer), payer.address, node.identity.address, 10n * USDC);

  before(async () => {
    world = await deliveryWorld(await network.create());
    const fund = (a: string) => world.fund(a);
    node = await registeredNode(world.contractsFor, world.provider, fund);
    other = await registeredNode(world.contractsFor, world.provider, fund);
    payer = identityFromSecret(randomBytes(32));
    await world.fund(payer.address);
    nodeHost = await dialOnlyHost(node.identity);
    otherHost = await dialOnlyHost(other.identity);
  });

  after(async () => {
    for (const s of stops.reverse()) await s();
    await nodeHost?.stop();
    await otherHost?.stop();
  });

  /** A watchtower; pass the identity of a stopped one to restart it (a fresh identity otherwise: a running peer id would be reused by the dialler). */
  async function tower(dir = tmpDir("cdn-tower-"), identity?: Identity, options: Parameters<typeof startWatchtower>[3] = {}, chain?: (c: Contracts) => WatchtowerChainView) {
    if (!identity) {
      identity = identityFromSecret(randomBytes(32));
      await world.fund(identity.address, 0n);
    }
    const contracts = world.contractsFor(identity);
    const t = await startWatchtower(identity, contracts, dir, options, chain?.(contracts));
    stops.push(t.stop);
    return { ...t, dir, identity };
  }
  /** A watchtower on a fixed port of its own, so that once stopped it can come `back()` at the same address with the same store. */
  async function towerAtFixedAddress() {
    const dir = tmpDir("cdn-tower-");
    const listen = [`/ip4/127.0.0.1/tcp/${await freePort()}`];
    const first = await tower(dir, undefined, { listen });
    return { first, addr: first.addr, back: () => tower(dir, first.identity, { listen }) };
  }
  const authValue = (n: NodeKeys, t: { identity: Identity }, maxBps = 1000) => ({
    nodeId: n.nodeId,
    watchtower: t.identity.address.toLowerCase(),
    beneficiary,
    maxBps,
    expiry: 2_000_000_000n,
  });
  const authOf = (n: NodeKeys, t: { identity: Identity }, maxBps = 1000) => signWatchtowerAuth(domain(), authValue(n, t, maxBps), n.identity.secretKey);
  /** Moves chain time to the second half of the dispute window (a watchtower with an auth waits for it). */
  const toBountyPhase = async (channelId: string) => world.connection.networkHelpers.time.increaseTo(await world.gov.channels.bountyFrom(channelId));
  const pusherDeps = (n: NodeKeys, host: Libp2p) => ({ host, secretKey: n.identity.secretKey, nodeId: n.nodeId, chainTime: () => chainTime(world.provider), domain: domain() });

  it("acknowledges an update only once it is stored: another connection sees it at once, and a restarted watchtower still holds it", async () => {
    const t = await tower();
    const channelId = await channel();
    const v = voucher(domain(), channelId, 3n * USDC, payer.secretKey);
    await pushVoucher(nodeHost, t.addr, authOf(node, t), v);
    // the OK was sent after the commit: a separate connection to the file sees the row now
    const db = new DatabaseSync(path.join(t.dir, "watchtower.db"), { readOnly: true });
    const row = db.prepare("SELECT amount FROM vouchers WHERE channel_id = ?").get(channelId) as { amount: string } | undefined;
    db.close();
    expect(BigInt("0x" + row!.amount)).to.equal(3n * USDC);
    await t.stop();
    stops.pop();
    const again = await tower(t.dir, t.identity);
    const held = again.store.voucher(channelId)!;
    expect(held.amount).to.equal(3n * USDC);
    expect(held.nodeKey).to.equal(node.identity.address.toLowerCase());
    expect(held.auth.value).to.deep.equal(authValue(node, t));
    // the restarted service answers from what it held: the same voucher is stale
    expectRejection(await pushVoucher(nodeHost, again.addr, authOf(node, again), v).then(...rejection), WatchtowerStaleError);
  });

  it("refuses updates that are not strictly better (STALE) and keeps the best", async () => {
    const t = await tower();
    const channelId = await channel();
    const answers = await pushToWatchtower(nodeHost, t.addr, authOf(node, t), [
      voucher(domain(), channelId, 5n * USDC, payer.secretKey),
      voucher(domain(), channelId, 5n * USDC, payer.secretKey),
      voucher(domain(), channelId, 4n * USDC, payer.secretKey),
      voucher(domain(), channelId, 6n * USDC, payer.secretKey),
    ]);
    expect(answers.map((a) => a.status)).to.deep.equal(["OK", "STALE", "STALE", "OK"]);
    expect(t.store.voucher(channelId)!.amount).to.equal(6n * USDC);
    expectRejection(await pushVoucher(nodeHost, t.addr, authOf(node, t), voucher(domain(), channelId, 6n * USDC, payer.secretKey)).then(...rejection), WatchtowerStaleError);
  });

  it("rejects an update from a peer that is not the channel's node, even a registered node with a valid auth", async () => {
    const t = await tower();
    const channelId = await channel();
    const error = await pushVoucher(otherHost, t.addr, authOf(other, t), voucher(domain(), channelId, USDC, payer.secretKey)).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(WatchtowerRejectedError);
    expect((error as Error).message).to.match(/not the current node key of channel/);
    expect(t.store.voucher(channelId)).to.equal(undefined);
  });

  it("rejects a voucher by the wrong signer, above the deposit, or for an unknown channel", async () => {
    const t = await tower();
    const channelId = await channel();
    const stranger = identityFromSecret(randomBytes(32));
    const answers = await pushToWatchtower(nodeHost, t.addr, authOf(node, t), [
      voucher(domain(), channelId, USDC, stranger.secretKey),
      voucher(domain(), channelId, USDC, node.identity.secretKey),
      voucher(domain(), channelId, 11n * USDC, payer.secretKey),
      voucher(domain(), "0x" + "ab".repeat(32), USDC, payer.secretKey),
    ]);
    expect(answers.map((a) => a.status)).to.deep.equal(["REJECTED", "REJECTED", "REJECTED", "REJECTED"]);
    expect(answers[0].message).to.match(/not by the channel's payer/);
    expect(answers[2].message).to.match(/exceeds the channel's deposit/);
    expect(answers[3].message).to.match(/unknown channel/);
    expect(t.store.voucher(channelId)).to.equal(undefined);
  });

  it("rejects an authorisation not signed by the peer's own key, and updates without one", async () => {
    const t = await tower();
    const channelId = await channel();
    const value = authValue(node, t, 2000);
    const forged = { value, signature: signTyped("watchtowerAuth", domain(), value, other.identity.secretKey) };
    expectRejection(await pushVoucher(nodeHost, t.addr, forged, voucher(domain(), channelId, USDC, payer.secretKey)).then(...rejection), WatchtowerRejectedError, /signed by/);
    // someone else's (valid) authorisation, replayed by another peer
    expectRejection(
      await pushVoucher(otherHost, t.addr, authOf(node, t), voucher(domain(), channelId, USDC, payer.secretKey)).then(...rejection),
      WatchtowerRejectedError,
      /not by the peer's own key/,
    );
    // an authorisation for another watchtower, an expired one, one paying the PaymentChannel contract itself
    const elsewhere = { ...value, watchtower: other.identity.address.toLowerCase() };
    expectRejection(
      await pushVoucher(nodeHost, t.addr, signWatchtowerAuth(domain(), elsewhere, node.identity.secretKey), voucher(domain(), channelId, USDC, payer.secretKey)).then(...rejection),
      WatchtowerRejectedError,
      /not this one/,
    );
    const expired = { ...value, expiry: await chainTime(world.provider) };
    expectRejection(
      await pushVoucher(nodeHost, t.addr, signWatchtowerAuth(domain(), expired, node.identity.secretKey), voucher(domain(), channelId, USDC, payer.secretKey)).then(...rejection),
      WatchtowerRejectedError,
      /expired/,
    );
    const locked = { ...value, beneficiary: (await world.gov.channels.getAddress()).toLowerCase() };
    expectRejection(
      await pushVoucher(nodeHost, t.addr, signWatchtowerAuth(domain(), locked, node.identity.secretKey), voucher(domain(), channelId, USDC, payer.secretKey)).then(...rejection),
      WatchtowerRejectedError,
      /cannot be paid/,
    );
    expect(t.store.voucher(channelId)).to.equal(undefined);
  });

  it("the pusher keeps one or more watchtowers up to date with the latest voucher of each channel", async () => {
    const [a, b] = [await tower(), await tower()];
    const channelId = await channel();
    const pusher = createWatchtowerPusher({ watchtowers: [a.addr, b.addr], beneficiary, maxBps: 500 }, pusherDeps(node, nodeHost));
    stops.push(() => pusher.stop());
    for (let i = 1n; i <= 5n; i++) {
      const v = voucher(domain(), channelId, i * USDC, payer.secretKey);
      pusher.onVoucherStored(v.channelId, v.cumulativeAmount, v.signature);
    }
    await pusher.flush({ signal: AbortSignal.timeout(15_000) });
    for (const t of [a, b]) {
      expect(t.store.voucher(channelId)!.amount).to.equal(5n * USDC);
      expect(t.store.voucher(channelId)!.auth.value.maxBps).to.equal(500);
    }
    expect(pusher.status().map((s) => s.acknowledged[channelId])).to.deep.equal([(5n * USDC).toString(), (5n * USDC).toString()]);
  });

  it("disputes a stale payer close inside the window: the operator gets paid − fee − bounty, the beneficiary min(maxBps, 20 %) of it", async () => {
    const t = await tower();
    const payerContracts = world.contractsFor(payer);
    const channelId = await channel();
    const amount = 7n * USDC + 333n;
    // fee + bounty are capped at 20 % by the contract (the operator keeps 80 %)
    const auth = authOf(node, t, 2000);
    await pushVoucher(nodeHost, t.addr, auth, voucher(domain(), channelId, amount, payer.secretKey));
    const { usdc } = world.gov;
    // the fee accrues in PaymentChannel for the treasury (withdrawTreasury pays it out)
    const treasuryHolds = async () => (await usdc.balanceOf(world.treasury)) + (await world.gov.channels.protocolFees()).owed;
    const before = {
      operator: await usdc.balanceOf(node.operator.address),
      credit: (await world.gov.channels.nodeCredit(node.nodeId)).credit,
      treasury: await treasuryHolds(),
      beneficiary: await usdc.balanceOf(beneficiary),
    };
    await (await payerContracts.channels.closeByPayer(channelId)).wait();
    // the first half of the window is the node's: the watchtower waits for the second
    await waitFor(() => t.tower.monitor.queued.includes(channelId), "the queued dispute");
    await toBountyPhase(channelId);
    const record = await waitFor(() => t.store.disputes(channelId).find((d) => d.outcome === "disputed"), "the dispute");
    const state = await readChannel(world.gov.channels, channelId);
    expect(state.status).to.equal("Closing");
    expect(state.paid).to.equal(amount);
    const fee = (amount * BigInt(state.feeBps)) / 10_000n;
    const bounty = (amount * (2000n - BigInt(state.feeBps))) / 10_000n;
    expect(record.recovered).to.equal(amount);
    expect(record.bounty).to.equal(bounty);
    expect(await usdc.balanceOf(beneficiary)).to.equal(before.beneficiary + bounty);
    expect(await treasuryHolds()).to.equal(before.treasury + fee);
    // the operator's share is credited in PaymentChannel, not transferred; the operator withdraws it
    expect(await usdc.balanceOf(node.operator.address)).to.equal(before.operator);
    expect((await world.gov.channels.nodeCredit(node.nodeId)).credit).to.equal(before.credit + amount - fee - bounty);
    await (await world.gov.channels.connect(node.operator).withdrawNodeCredit(node.nodeId)).wait();
    expect(await usdc.balanceOf(node.operator.address)).to.equal(before.operator + before.credit + amount - fee - bounty);
  });

  it("never disputes after the window: a watchtower that was down past closesAt records the close as missed", async () => {
    const dir = tmpDir("cdn-tower-");
    const t = await tower(dir);
    const payerContracts = world.contractsFor(payer);
    const channelId = await channel();
    await pushVoucher(nodeHost, t.addr, authOf(node, t), voucher(domain(), channelId, 2n * USDC, payer.secretKey));
    await t.stop();
    stops.pop();
    await (await payerContracts.channels.closeByPayer(channelId)).wait();
    const { closesAt } = await readChannel(world.gov.channels, channelId);
    await world.connection.networkHelpers.time.increaseTo(closesAt + 1n);
    const again = await tower(dir, t.identity);
    const record = await waitFor(() => again.store.disputes(channelId)[0], "an outcome");
    expect(record.outcome).to.equal("missed");
    expect((await readChannel(world.gov.channels, channelId)).paid).to.equal(0n);
    expect(again.tower.monitor.stats.disputesSubmitted).to.equal(0);
  });

  /** A channel the watchtower `t` holds a voucher of, closed by its payer while `t` was stopped, with `t`'s cursor already past the close (only the startup rescan can find it). */
  async function closedWhileDown(t: Awaited<ReturnType<typeof tower>>, dir: string, amount: bigint): Promise<string> {
    const channelId = await channel();
    await pushVoucher(nodeHost, t.addr, authOf(node, t), voucher(domain(), channelId, amount, payer.secretKey));
    await t.stop();
    stops.pop();
    await (await world.contractsFor(payer).channels.closeByPayer(channelId)).wait();
    const store = new WatchtowerStore(path.join(dir, "watchtower.db"));
    store.saveCursor("channels", { block: await world.provider.getBlockNumber(), recent: [] });
    store.close();
    return channelId;
  }

  it("rescans held channels on start: a close that happened while it was down is disputed after the restart", async () => {
    const dir = tmpDir("cdn-tower-");
    const t = await tower(dir);
    const channelId = await closedWhileDown(t, dir, 2n * USDC);
    const again = await tower(dir, t.identity);
    expect(again.tower.monitor.queued.concat(again.store.disputes(channelId).map((d) => d.channelId))).to.include(channelId);
    await toBountyPhase(channelId);
    await waitFor(() => again.store.disputes(channelId).find((d) => d.outcome === "disputed"), "the dispute");
    expect((await readChannel(world.gov.channels, channelId)).paid).to.equal(2n * USDC);
  });

  it("validates at the edge: an undecodable frame and an update without an authorisation are REJECTED; an oversized frame ends the stream", async () => {
    const t = await tower();
    const channelId = await channel();
    const stream = await otherHost.dialProtocol(multiaddr(t.addr), PROTOCOL_WATCHTOWER);
    const framed = new FramedStream(stream, { readCap: FRAME_CAPS.WatchtowerResponse, idleTimeoutMs: 5000 });
    await framed.write(Uint8Array.from([0x0a, 0xff, 0xff, 0xff]));
    const garbage = decodeWatchtowerResponse((await framed.read())!);
    expect(garbage.status).to.equal("REJECTED");
    const v = voucher(domain(), channelId, USDC, payer.secretKey);
    await framed.write(encodeWatchtowerRequest({ kind: "update", voucher: { value: { channelId, cumulativeAmount: v.cumulativeAmount }, signature: v.signature } }));
    const noAuth = decodeWatchtowerResponse((await framed.read())!);
    expect(noAuth).to.deep.equal({ status: "REJECTED", message: "no authorisation from this node key: send a WatchtowerAuth first" });
    await framed.write(new Uint8Array(FRAME_CAPS.WatchtowerRequest + 1));
    const after = await framed.read().then(
      (b) => b,
      () => undefined,
    );
    expect(after, "no answer to an oversized frame").to.equal(undefined);
    framed.abort(new Error("done"));
    expect(t.store.voucher(channelId)).to.equal(undefined);
  });

  it("the pusher retries a watchtower that is down and delivers once it is back", async () => {
    const { first, addr, back: restart } = await towerAtFixedAddress();
    await first.stop();
    stops.pop();
    const channelId = await channel();
    const pusher = createWatchtowerPusher({ watchtowers: [addr], beneficiary, maxBps: 100, retryBaseMs: 100, retryMaxMs: 300, timeoutMs: 2000 }, pusherDeps(node, nodeHost));
    stops.push(() => pusher.stop());
    const v = voucher(domain(), channelId, 2n * USDC, payer.secretKey);
    pusher.onVoucherStored(channelId, v.cumulativeAmount, v.signature);
    await waitFor(() => pusher.status()[0].lastError, "a failed push");
    expect(pusher.status()[0].pending).to.equal(1);
    const back = await restart();
    await pusher.flush({ signal: AbortSignal.timeout(15_000) });
    expect(back.store.voucher(channelId)!.amount).to.equal(2n * USDC);
    expect(pusher.status()[0]).to.include({ pending: 0, lastError: undefined });
  });

  it("a watchtower outage of a few seconds: the newest voucher is pushed as soon as it is back, retries stay capped, status shows what was acknowledged", async () => {
    const { first, addr, back: restart } = await towerAtFixedAddress();
    const channelId = await channel();
    // default retry settings (the node's)
    const pusher = createWatchtowerPusher({ watchtowers: [addr], beneficiary, maxBps: 100, timeoutMs: 2000 }, pusherDeps(node, nodeHost));
    stops.push(() => pusher.stop());
    const v1 = voucher(domain(), channelId, 1n * USDC, payer.secretKey);
    pusher.onVoucherStored(channelId, v1.cumulativeAmount, v1.signature);
    await pusher.flush({ signal: AbortSignal.timeout(15_000) });
    expect(pusher.status()[0]).to.include({ acknowledgedTotal: 1n * USDC, latestTotal: 1n * USDC });
    await first.stop();
    stops.pop();
    // vouchers keep coming while the watchtower is down: many failed pushes
    for (let i = 2n; i <= 6n; i++) {
      const v = voucher(domain(), channelId, i * USDC, payer.secretKey);
      pusher.onVoucherStored(channelId, v.cumulativeAmount, v.signature);
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(pusher.status()[0].lastError).to.be.a("string");
    expect(pusher.status()[0]).to.include({ acknowledgedTotal: 1n * USDC, latestTotal: 6n * USDC, pending: 1 });
    const back = await restart();
    // no new voucher: the capped retry delivers the newest one (an uncapped backoff would wait far longer)
    await waitFor(() => back.store.voucher(channelId)?.amount === 6n * USDC, "the newest voucher at the watchtower", 10_000);
    await waitFor(() => pusher.status()[0].pending === 0, "the acknowledgement", 10_000);
    expect(pusher.status()[0]).to.include({ acknowledgedTotal: 6n * USDC, latestTotal: 6n * USDC });
  });

  it("idle streams do not fill the watchtower: a peer may hold only a few, and a stream that sends nothing is dropped", async () => {
    const t = await tower();
    const idle = await Promise.all(Array.from({ length: 4 }, () => otherHost.dialProtocol(multiaddr(t.addr), PROTOCOL_WATCHTOWER)));
    // a fifth stream of the same peer is refused (reset), the first four are closed for sending nothing
    const fifth = await otherHost.dialProtocol(multiaddr(t.addr), PROTOCOL_WATCHTOWER);
    const framed = new FramedStream(fifth, { readCap: FRAME_CAPS.WatchtowerResponse, idleTimeoutMs: 5000 });
    await framed.write(encodeWatchtowerRequest({ kind: "auth", auth: authOf(other, t) })).catch(() => undefined);
    const answer = await framed.read().then(
      (b) => b,
      () => undefined,
    );
    expect(answer, "no answer beyond the per-peer cap").to.equal(undefined);
    await waitFor(() => idle.every((s) => s.status !== "open"), "idle streams closed", 10_000);
    // the node can push again
    const channelId = await channel();
    const v = voucher(domain(), channelId, USDC, payer.secretKey);
    await pushVoucher(nodeHost, t.addr, authOf(node, t), { channelId, cumulativeAmount: v.cumulativeAmount, signature: v.signature });
    expect(t.store.voucher(channelId)!.amount).to.equal(USDC);
  });

  it("with a dispute delay, a node that answers itself keeps the bounty: the watchtower records not_needed and pays nothing", async () => {
    const t = await tower(undefined, undefined, { disputeDelaySeconds: 3600, disputeMarginSeconds: 600 });
    const channelId = await channel();
    const v = voucher(domain(), channelId, 3n * USDC, payer.secretKey);
    await pushVoucher(nodeHost, t.addr, authOf(node, t, 2000), v);
    await (await world.contractsFor(payer).channels.closeByPayer(channelId)).wait();
    await waitFor(() => t.tower.monitor.queued.includes(channelId), "the queued dispute");
    // the node is online and claims by itself within the window
    await (await world.contractsFor(node.identity).channels.claim(channelId, v.cumulativeAmount, v.signature)).wait();
    const beneficiaryBefore = await world.gov.usdc.balanceOf(beneficiary);
    await world.connection.networkHelpers.time.increase(3601);
    const record = await waitFor(() => t.store.disputes(channelId)[0], "an outcome");
    expect(record.outcome).to.equal("not_needed");
    expect(t.tower.monitor.stats.disputesSubmitted).to.equal(0);
    expect(await world.gov.usdc.balanceOf(beneficiary)).to.equal(beneficiaryBefore);
  });

  it("an update that arrives while the channel is already closing is disputed at once", async () => {
    const t = await tower();
    const channelId = await channel();
    await (await world.contractsFor(payer).channels.closeByPayer(channelId)).wait();
    await pushVoucher(nodeHost, t.addr, authOf(node, t), voucher(domain(), channelId, 4n * USDC, payer.secretKey));
    await toBountyPhase(channelId);
    await waitFor(() => t.store.disputes(channelId).find((d) => d.outcome === "disputed"), "the dispute");
    expect((await readChannel(world.gov.channels, channelId)).paid).to.equal(4n * USDC);
  });

  it("an RPC outage during the startup rescan does not stop the watchtower: the rescan is retried and the close disputed", async () => {
    const dir = tmpDir("cdn-tower-");
    const t = await tower(dir);
    const channelId = await closedWhileDown(t, dir, 3n * USDC);
    let failures = 3;
    const flaky = (c: Contracts): WatchtowerChainView => {
      const real = watchtowerChainView(c);
      return { ...real, channels: (ids) => (failures-- > 0 ? Promise.reject(new Error("RPC down")) : real.channels(ids)) };
    };
    const again = await tower(dir, t.identity, {}, flaky);
    await toBountyPhase(channelId);
    await waitFor(() => again.store.disputes(channelId).find((d) => d.outcome === "disputed"), "the dispute");
    expect(failures).to.be.below(0);
    expect(again.tower.monitor.stats.rpcErrors).to.be.at.least(3);
  });

  it("retries a dispute with backoff while chain reads fail, inside the window", async () => {
    let failures = 0;
    const flaky = (c: Contracts): WatchtowerChainView => {
      const real = watchtowerChainView(c);
      return { ...real, channel: (id) => (failures-- > 0 ? Promise.reject(new Error("RPC down")) : real.channel(id)) };
    };
    const t = await tower(undefined, undefined, { retryBaseMs: 50, retryMaxMs: 200 }, flaky);
    const channelId = await channel();
    await pushVoucher(nodeHost, t.addr, authOf(node, t), voucher(domain(), channelId, 3n * USDC, payer.secretKey));
    failures = 3;
    await (await world.contractsFor(payer).channels.closeByPayer(channelId)).wait();
    await toBountyPhase(channelId);
    await waitFor(() => t.store.disputes(channelId).find((d) => d.outcome === "disputed"), "the dispute");
    expect(failures).to.be.below(0);
    expect(t.tower.monitor.stats.rpcErrors).to.be.at.least(3);
    expect((await readChannel(world.gov.channels, channelId)).paid).to.equal(3n * USDC);
  });
});
