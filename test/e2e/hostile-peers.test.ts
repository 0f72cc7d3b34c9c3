/**
 * Short versions of the hostile-peer attacks (`npm run soak` runs them at scale): a real node
 * agent on 127.0.0.1 with a real chain, attackers as plain libp2p hosts that speak the wire format
 * and nothing else. Functional checks only: who is served, what is refused, what is taken.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { readFileSync } from "node:fs";
import type { Libp2p, Stream } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { directSession, randomFile, startNode, useDeliveryWorld, type DeliveryWorldHandle, type TestNode } from "./delivery-fixture.js";
import { createHost } from "../../agents/runtime/host.js";
import { identityFromSecret } from "../../agents/runtime/keys.js";
import { LEAF_SIZE, PROTOCOL_FETCH } from "../../agents/protocol/constants.js";
import { encodeFrame, FrameDecoder } from "../../agents/protocol/wire/framing.js";
import { decodeFetchServerMessage, encodeFetchClientMessage, FRAME_CAPS } from "../../agents/protocol/wire/messages.js";
import { runSession } from "../../agents/client/session.js";
import { amountOwed } from "../../agents/protocol/pricing.js";
import { recoverVoucherSigner, signVoucher } from "../../agents/protocol/signed.js";
import { readChannel } from "../../agents/chain/contracts.js";
import { FetchRefusedError } from "../../agents/client/errors.js";
import { rejection } from "../helpers/errors.js";
import { tmpDir } from "../helpers/tmp.js";

describe("e2e › hostile peers against a node", function () {
  this.timeout(120_000);
  const d = useDeliveryWorld();
  const attackers: Libp2p[] = [];
  const attacker = async () => {
    const h = (await createHost({ privateKey: identityFromSecret(randomBytes(32)).privateKey, listen: [], allow: ["/ip4/127.0.0.1"] })) as unknown as Libp2p;
    attackers.push(h);
    return h;
  };
  const target = (n: TestNode) => multiaddr(`${n.multiaddr}/p2p/${n.identity.peerId}`);

  after(() => Promise.allSettled(attackers.map((a) => a.stop())));

  /** A node of the world that holds one random blob of `size` bytes. */
  async function nodeWithBlob(size: number, options?: Parameters<DeliveryWorldHandle["node"]>[0]) {
    const n = await d.node(options);
    const { file, data } = randomFile(tmpDir(), size);
    const [blob] = await n.agent.publish([file]);
    return { n, blob, data };
  }

  /** The first server message on a stream (a refusal here), or undefined if the stream ends without one. */
  async function firstMessage(stream: Stream) {
    const decoder = new FrameDecoder(FRAME_CAPS.FetchServerMessage);
    for await (const chunk of stream as unknown as AsyncIterable<Uint8Array | { subarray(): Uint8Array }>) {
      const frames = decoder.push(chunk instanceof Uint8Array ? chunk : chunk.subarray());
      if (frames.length > 0) return decodeFetchServerMessage(frames[0]);
    }
    return undefined;
  }

  it("idle fetch streams hold no download slot: with more idle streams open than slots, a paying client is served", async () => {
    const { n, blob, data } = await nodeWithBlob(3 * LEAF_SIZE + 17, { options: { fetchLimits: { maxActiveFetches: 4 } } });
    const idle: Stream[] = [];
    for (let i = 0; i < 4; i++) {
      const a = await attacker();
      for (let j = 0; j < 3; j++) idle.push(await a.dialProtocol(target(n), PROTOCOL_FETCH));
    }
    const c = await d.client();
    const out = path.join(tmpDir(), "out.bin");
    await c.client.fetchToFile(blob.blobId, out, { providers: [n.identity.address.toLowerCase()] });
    expect(readFileSync(out).equals(data)).to.equal(true);
    for (const s of idle) s.abort(new Error("done"));
  });

  it("a peer with more streams awaiting their request than the per-peer limit is refused BUSY at once", async () => {
    const n = await d.node();
    const a = await attacker();
    const idle = await Promise.all(Array.from({ length: 4 }, () => a.dialProtocol(target(n), PROTOCOL_FETCH)));
    const fifth = await a.dialProtocol(target(n), PROTOCOL_FETCH);
    const answer = await firstMessage(fifth);
    expect(answer?.kind).to.equal("refusal");
    expect(answer?.kind === "refusal" && answer.refusal.code).to.equal("BUSY");
    for (const s of idle) s.abort(new Error("done"));
  });

  it("requests from an identity that owns no channel take no capacity and no download slot", async () => {
    const { n, blob } = await nodeWithBlob(LEAF_SIZE);
    const limiter = n.agent.limiter!;
    let taken = 0;
    const tryAcquire = limiter.tryAcquire.bind(limiter);
    limiter.tryAcquire = (bytes: number) => {
      taken += bytes;
      return tryAcquire(bytes);
    };
    const a = await attacker();
    const codes: string[] = [];
    for (let i = 0; i < 20; i++) {
      const s = await a.dialProtocol(target(n), PROTOCOL_FETCH);
      s.send(encodeFrame(encodeFetchClientMessage({ kind: "request", request: { blobId: blob.blobId, channelId: "0x" + randomBytes(32).toString("hex"), offset: 0, length: 0 } })));
      const answer = await firstMessage(s);
      if (answer?.kind === "refusal") codes.push(answer.refusal.code);
      await s.close().catch(() => undefined);
    }
    expect(codes).to.have.length(20);
    expect(new Set(codes)).to.deep.equal(new Set(["CHANNEL_INSUFFICIENT"]));
    expect(taken).to.equal(0);
    expect(n.agent.fetch!.offer().load).to.equal(0);
  });

  it("a client that resets its stream during the voucher loop is not counted as BAD_VOUCHER", async () => {
    const { n, blob } = await nodeWithBlob(12 * LEAF_SIZE);
    const c = await d.client();
    const channel = await c.client.openChannel(n.identity.address.toLowerCase(), 1_000_000n);
    const stop = new AbortController();
    let bytes = 0;
    await directSession(c, n, channel.channelId, blob.blobId, {
      signal: stop.signal,
      onData: (b) => {
        bytes += b.length;
        if (bytes >= 2 * LEAF_SIZE) stop.abort(new Error("client gone"));
      },
    }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500));
    expect(bytes).to.be.at.least(2 * LEAF_SIZE);
    expect(n.agent.fetch!.stats.refusalsByReason.bad_voucher ?? 0).to.equal(0);
  });

  it("interrupted streams cannot lock a paying client out: the node says what it is owed, the client settles it, and it survives a node restart", async () => {
    let n = await startNode(d.world); // stopped and restarted below
    const { identity, dir } = n;
    const { file, data } = randomFile(tmpDir(), 16 * LEAF_SIZE);
    const [blob] = await n.agent.publish([file]);
    const c = await d.client();
    const nodeKey = identity.address.toLowerCase();
    const channel = await c.client.openChannel(nodeKey, 10_000_000n);
    const window = amountOwed(BigInt(8 * 1024 * 1024), n.agent.pricePerGiB);
    // three streams that take chunks and vanish without paying for them
    for (let i = 0; i < 3; i++) {
      const stop = new AbortController();
      let bytes = 0;
      await directSession(c, n, channel.channelId, blob.blobId, {
        signal: stop.signal,
        payEvery: 1 << 30,
        stallMs: 60_000,
        onData: (b) => {
          bytes += b.length;
          if (bytes >= 2 * LEAF_SIZE) stop.abort(new Error("client gone"));
        },
      }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 300));
      const sent = n.store.sent(channel.channelId);
      const best = n.agent.fetch!.bestFor(channel.channelId);
      expect(sent > best, "the node sent bytes that were never paid").to.equal(true);
      expect(sent - best <= window, "never more than one window unpaid").to.equal(true);
    }
    // the node restarts: what it is owed is still known (read once its last stream has noticed the reset)
    while (n.agent.fetch!.load > 0) await new Promise((r) => setTimeout(r, 50));
    const owedBefore = n.store.sent(channel.channelId);
    await n.agent.stop();
    n.store.close();
    n = await d.node({ identity, dir, options: { listen: [n.multiaddr] } }); // the registered address
    expect(n.store.sent(channel.channelId)).to.equal(owedBefore);
    // the client fetches the whole blob from the same node: it settles first, then is served
    const out = path.join(tmpDir(), "out.bin");
    await c.client.fetchToFile(blob.blobId, out, { providers: [nodeKey] });
    expect(readFileSync(out).equals(data)).to.equal(true);
    const best = n.agent.fetch!.bestFor(channel.channelId);
    expect(best >= owedBefore).to.equal(true);
    expect(c.store.channel(channel.channelId)!.signed).to.equal(best);
  });

  it("a voucher the node never received (the connection died after it was signed) is sent again at the start of the next session", async () => {
    const { n, blob } = await nodeWithBlob(8 * LEAF_SIZE, { options: { fetchLimits: { finalVoucherWaitMs: 200 } } });
    const c = await d.client();
    const nodeKey = n.identity.address.toLowerCase();
    const channel = await c.client.openChannel(nodeKey, 10_000_000n);
    const req = { peer: target(n), nodeKey, maxPricePerGiB: n.agent.pricePerGiB, channelId: channel.channelId, blobId: blob.blobId, offset: 0, length: 2 * LEAF_SIZE };
    const deps = { host: c.client.deps.host, chain: c.client.deps.chain, store: c.store, address: c.client.address, secretKey: c.identity.secretKey };
    // the client signs and records its vouchers, and none reaches the node
    await runSession(req, deps, { withholdVouchers: true, onData: () => undefined }).catch(() => undefined);
    const signed = c.store.channel(channel.channelId)!.signed;
    expect(signed > 0n).to.equal(true);
    expect(n.agent.fetch!.bestFor(channel.channelId) < signed).to.equal(true);
    // the next session sends it first, before any chunk it pays for (here it stops at the first chunk)
    const stop = new AbortController();
    await runSession({ ...req, offset: 4 * LEAF_SIZE, length: 0 }, deps, { signal: stop.signal, payEvery: 1 << 30, stallMs: 60_000, onData: () => stop.abort(new Error("enough")) }).catch(
      () => undefined,
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(n.agent.fetch!.bestFor(channel.channelId)).to.equal(signed);
  });

  it("a voucher signed by a session key that has expired since is signed again by the payer when re-sent; the expired key cannot raise the amount", async () => {
    const { n, blob } = await nodeWithBlob(8 * LEAF_SIZE);
    const c = await d.client();
    const nodeKey = n.identity.address.toLowerCase();
    // the payer opens a channel naming a session key that expires in 10 minutes of chain time
    const sessionKey = identityFromSecret(randomBytes(32));
    const { channels, domains } = c.contracts;
    const expiry = BigInt((await d.world.provider.getBlock("latest"))!.timestamp + 600);
    const nonce = "0x" + randomBytes(32).toString("hex");
    const p = await c.client.channels.permit(await channels.getAddress(), 10_000_000n);
    await c.client.channels.send(channels.openWithPermit.populateTransaction(nodeKey, 10_000_000n, sessionKey.address, expiry, nonce, p.deadline, p.v, p.r, p.s), "open");
    const channelId = (await channels.channelIdFor(c.client.address, nodeKey, nonce)).toLowerCase();
    const state = await readChannel(channels, channelId);
    expect(state.voucherSigner).to.equal(sessionKey.address.toLowerCase());
    c.store.upsertChannel({ channelId, nodeKey, nodeId: state.nodeId, deposit: state.deposit, status: state.status });
    // the session key's last voucher, stored by the client, never reached the node; then the key expires
    const amount = 1_000n;
    c.store.recordSigned(channelId, amount, signVoucher(domains.paymentChannel, { channelId, cumulativeAmount: amount }, sessionKey.secretKey));
    await d.world.connection.networkHelpers.time.increase(601);
    await n.agent.syncChainView();
    const req = { peer: target(n), nodeKey, maxPricePerGiB: n.agent.pricePerGiB, channelId, blobId: blob.blobId, offset: 0, length: 0 };
    const deps = { host: c.client.deps.host, chain: c.client.deps.chain, store: c.store, address: c.client.address, secretKey: c.identity.secretKey };
    // the payer's session re-sends it signed by the payer (the expired key's signature is worth nothing on chain) and is served
    await runSession(req, deps, { onData: () => undefined });
    // the session's last voucher may still be on its way to the node when the session returns: wait until it holds the client's last amount
    const best = c.store.channel(channelId)!.signed;
    for (let tries = 0; n.agent.fetch!.bestFor(channelId) < best && tries < 100; tries++) await new Promise((r) => setTimeout(r, 50));
    expect(n.agent.fetch!.bestFor(channelId)).to.equal(best);
    expect(best > amount).to.equal(true);
    const held = n.store.voucher(channelId)!;
    expect(recoverVoucherSigner(domains.paymentChannel, { channelId, cumulativeAmount: held.amount }, held.signature).toLowerCase()).to.equal(c.client.address.toLowerCase());
    // whoever holds the expired key (leaked) cannot sign more: the node refuses its vouchers above what it holds
    const leaked = await runSession(req, { ...deps, secretKey: sessionKey.secretKey }, { onData: () => undefined }).then(...rejection);
    expect(leaked).to.be.instanceOf(FetchRefusedError);
    expect((leaked as FetchRefusedError).refusal).to.equal("BAD_VOUCHER");
    expect(n.agent.fetch!.bestFor(channelId)).to.equal(best);
  });

  it("a client honours BUSY: it tries the other providers first, and waits for retryAfterMs when the busy one is all that is left", async () => {
    const full = await d.node({ options: { fetchLimits: { maxActiveFetches: 0, retryAfterMs: 200 } } });
    const free = await d.node();
    const { file, data } = randomFile(tmpDir(), 2 * LEAF_SIZE);
    const [blob] = await full.agent.publish([file]);
    await free.agent.publish([file]);
    const c = await d.client();
    const out = path.join(tmpDir(), "out.bin");
    const keys = [full, free].map((n) => n.identity.address.toLowerCase());
    await c.client.fetchToFile(blob.blobId, out, { providers: keys });
    expect(readFileSync(out).equals(data)).to.equal(true);
    // (whether the busy node was asked at all above depends on the client's ranking of the two)
    const busyBefore = full.agent.fetch!.stats.refusalsByReason.busy;
    // alone, the busy node is asked again after its retry-after (3 times), then given up
    const error = await c.client.fetchToFile(blob.blobId, path.join(tmpDir(), "out2.bin"), { providers: [keys[0]] }).then(...rejection);
    expect(error).to.be.instanceOf(Error);
    expect(full.agent.fetch!.stats.refusalsByReason.busy - busyBefore).to.be.at.least(1 + 3);
  });

  it("slow readers are cut off: a paying peer that stops reading loses its streams and slots, and an honest client is served", async () => {
    const { n, blob, data } = await nodeWithBlob(24 * LEAF_SIZE, { options: { fetchLimits: { maxActiveFetches: 3, idleTimeoutMs: 1500 } } });
    // the slow reader owns a funded channel (admitted), then reads nothing: the node's writes stall
    const payer = identityFromSecret(randomBytes(32));
    const funded = await d.client({}, payer);
    const channel = await funded.client.openChannel(n.identity.address.toLowerCase(), 1_000_000n);
    const slow = (await createHost({ privateKey: payer.privateKey, listen: [], allow: ["/ip4/127.0.0.1"] })) as unknown as Libp2p;
    attackers.push(slow);
    const streams: Stream[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await slow.dialProtocol(target(n), PROTOCOL_FETCH);
      s.pause();
      s.send(encodeFrame(encodeFetchClientMessage({ kind: "request", request: { blobId: blob.blobId, channelId: channel.channelId, offset: 0, length: 0 } })));
      streams.push(s);
    }
    // every slot is held by the slow reader until the node's own write timer cuts its streams
    const closed = streams.map((s) => new Promise<void>((resolve) => (s.status !== "open" ? resolve() : s.addEventListener("close", () => resolve(), { once: true }))));
    await Promise.all(closed);
    const c = await d.client();
    const out = path.join(tmpDir(), "out.bin");
    await c.client.fetchToFile(blob.blobId, out, { providers: [n.identity.address.toLowerCase()] });
    expect(readFileSync(out).equals(data)).to.equal(true);
    // each stream, cut or served, gave its slot back once (twice would take the count below zero)
    while (n.agent.fetch!.load > 0) await new Promise((r) => setTimeout(r, 50));
    expect(n.agent.fetch!.load).to.equal(0);
  });

  it("a stream flood for an unsupported protocol is refused stream by stream and leaves the node serving", async () => {
    const { n, blob, data } = await nodeWithBlob(3 * LEAF_SIZE);
    const a = await attacker();
    const refused = await Promise.all(
      Array.from({ length: 64 }, () =>
        a.dialProtocol(target(n), "/junk/1.0.0").then(
          (s) => (s.abort(new Error("unexpected")), false),
          () => true,
        ),
      ),
    );
    expect(refused.every(Boolean), "no stream for an unsupported protocol is accepted").to.equal(true);
    const c = await d.client();
    const out = path.join(tmpDir(), "out.bin");
    await c.client.fetchToFile(blob.blobId, out, { providers: [n.identity.address.toLowerCase()] });
    expect(readFileSync(out).equals(data)).to.equal(true);
  });
});
