import { expect } from "chai";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { LEAF_SIZE } from "../../../../agents/protocol/constants.js";
import { Eip712Domain } from "../../../../agents/protocol/eip712-fast.js";
import { signVoucher } from "../../../../agents/protocol/signed.js";
import type { ChannelState } from "../../../../agents/chain/contracts.js";
import { identityFromSecret } from "../../../../agents/runtime/keys.js";
import { silentLogger } from "../../../../agents/runtime/logger.js";
import { FreshnessGuard } from "../../../../agents/mesh/freshness.js";
import { CapacityLimiter } from "../../../../agents/node/limiter.js";
import { NodeStore } from "../../../../agents/node/store.js";
import type { NodeChainView } from "../../../../agents/node/chain.js";
import { admitDownload, admitOnChain, admitPending, admitRequest, readChain } from "../../../../agents/node/fetch/admit.js";
import { checkChannel, checkDeposit, paidSoFar } from "../../../../agents/node/fetch/channel.js";
import { FETCH_LIMITS } from "../../../../agents/node/fetch/constants.js";
import { Refusal } from "../../../../agents/node/fetch/refusal.js";
import { acceptVoucher, readVouchers, VoucherBook, type VoucherContext } from "../../../../agents/node/fetch/vouchers.js";
import { encodeFetchClientMessage } from "../../../../agents/protocol/wire/messages.js";
import type { FramedStream } from "../../../../agents/runtime/framed.js";
import { rejection } from "../../../helpers/errors.js";
import { DatabaseSync } from "node:sqlite";
import { BlobCache, CacheMissError } from "../../../../agents/node/cache/index.js";
import { encodeRecordMeta } from "../../../../agents/node/fanout.js";
import { localSource } from "../../../../agents/node/fetch/source.js";
import { computeBlobId } from "../../../../agents/protocol/merkle.js";
import { toHex } from "../../../../agents/protocol/bytes.js";
import { tmpDir } from "../../../helpers/tmp.js";

const blobId = "0x" + "ab".repeat(32);
const channelId = "0x" + "cd".repeat(32);
const request = { blobId, channelId, offset: 0, length: 0 };
const payer = identityFromSecret(new Uint8Array(randomBytes(32)));
const self = { nodeKey: "0x" + "11".repeat(20), nodeId: 7n };

function channel(overrides: Partial<ChannelState> = {}): ChannelState {
  return {
    channelId,
    payer: payer.address.toLowerCase(),
    status: "Open",
    nodeKey: self.nodeKey,
    nodeId: self.nodeId,
    operator: self.nodeKey,
    voucherSigner: "0x" + "00".repeat(20),
    signerExpiry: 0n,
    openedAt: 1n,
    closesAt: 0n,
    feeBps: 0,
    deposit: 1000n,
    paid: 0n,
    ...overrides,
  };
}

/** The typed refusal `fn` throws (fails the test if it throws anything else, or nothing). */
function refusalOf(fn: () => unknown): Refusal {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(Refusal);
    return error as Refusal;
  }
  throw new Error("expected a refusal");
}

async function refusalOfAsync(p: Promise<unknown>): Promise<Refusal> {
  const error = await p.then(...rejection);
  expect(error).to.be.instanceOf(Refusal);
  return error as Refusal;
}

describe("node › fetch › admit", () => {
  it("refuses a peer's stream beyond its pending places at once, and a download beyond the slots or the capacity, with BUSY and a retry-after", () => {
    expect(() => admitPending(FETCH_LIMITS.maxPendingPerPeer - 1, FETCH_LIMITS)).to.not.throw();
    const pending = refusalOf(() => admitPending(FETCH_LIMITS.maxPendingPerPeer, FETCH_LIMITS));
    expect([pending.refusal, pending.retryAfterMs]).to.deep.equal(["BUSY", FETCH_LIMITS.retryAfterMs]);
    expect(admitDownload(FETCH_LIMITS.maxActiveFetches - 1, FETCH_LIMITS)).to.equal(0);
    const slots = refusalOf(() => admitDownload(FETCH_LIMITS.maxActiveFetches, FETCH_LIMITS));
    expect([slots.refusal, slots.retryAfterMs]).to.deep.equal(["BUSY", FETCH_LIMITS.retryAfterMs]);
    let now = 0;
    const limiter = new CapacityLimiter({ capacityMbps: 100 }, { now: () => now });
    expect(admitDownload(0, FETCH_LIMITS, limiter)).to.equal(LEAF_SIZE);
    expect(limiter.tryAcquire(limiter.available()).ok).to.equal(true); // every other stream took the capacity
    const busy = refusalOf(() => admitDownload(0, FETCH_LIMITS, limiter));
    expect(busy.refusal).to.equal("BUSY");
    expect(busy.retryAfterMs).to.be.greaterThan(0);
    now = 10_000; // the bucket refilled
    expect(admitDownload(0, FETCH_LIMITS, limiter)).to.equal(LEAF_SIZE);
  });

  it("checks, in order: a stale chain view (BUSY stale_chain_view), the deny-set, then the peer's identity; it takes no capacity", async () => {
    const now = 0;
    const freshness = new FreshnessGuard({ maxAgeMs: 1000 }, { now: () => now });
    const peer = payer.peerId;
    const stale = refusalOf(() => admitRequest(request, peer, { freshness }, FETCH_LIMITS));
    expect([stale.refusal, stale.reason]).to.deep.equal(["BUSY", "stale_chain_view"]);
    freshness.markFresh(0);
    const denied = refusalOf(() => admitRequest(request, peer, { freshness, isBlacklisted: () => true }, FETCH_LIMITS));
    expect(denied.refusal).to.equal("BLACKLISTED");
    const limiter = new CapacityLimiter({ capacityMbps: 100 }, { now: () => now });
    const ed25519 = peerIdFromPrivateKey(await generateKeyPair("Ed25519"));
    const anonymous = refusalOf(() => admitRequest(request, ed25519, { freshness }, FETCH_LIMITS));
    expect(anonymous.refusal).to.equal("NOT_CHANNEL_OWNER");
    expect(admitRequest(request, peer, { freshness, limiter }, FETCH_LIMITS)).to.deep.equal({ client: payer.address.toLowerCase() });
    expect(limiter.available()).to.equal(Math.floor(limiter.burstBytes));
  });

  it("a failed chain read refuses BUSY; a good one marks the view fresh and may refuse BLACKLISTED", async () => {
    const freshness = new FreshnessGuard({ maxAgeMs: 1000 });
    const view = (blacklisted: boolean | Error) =>
      ({
        isBlacklisted: async () => {
          if (blacklisted instanceof Error) throw blacklisted;
          return blacklisted;
        },
        channel: async () => channel(),
        chainTime: async () => 100n,
        head: async () => ({ number: 7n, hash: "0x" + "ab".repeat(32), timestamp: 100n }),
      }) as unknown as NodeChainView;
    const down = await refusalOfAsync(admitOnChain(readChain(view(new Error("rpc down")), request, { freshness, logger: silentLogger() }, FETCH_LIMITS)));
    expect(down.refusal).to.equal("BUSY");
    expect(freshness.isFresh()).to.equal(false);
    const listed = await refusalOfAsync(admitOnChain(readChain(view(true), request, { freshness, logger: silentLogger() }, FETCH_LIMITS)));
    expect(listed.refusal).to.equal("BLACKLISTED");
    expect(freshness.isFresh()).to.equal(true);
    const reads = readChain(view(false), request, { freshness, logger: silentLogger() }, FETCH_LIMITS);
    await admitOnChain(reads);
    expect((await reads).now).to.equal(100n);
    expect((await reads).head).to.deep.equal({ number: 7n, hash: "0x" + "ab".repeat(32), timestamp: 100n }); // the serve commitment's anchor
  });
});

describe("node › fetch › channel checks", () => {
  it("accepts an open channel to this node (by key or id) from its payer or live session key", () => {
    expect(() => checkChannel(channel(), self, payer.address.toLowerCase(), 10n, channelId)).to.not.throw();
    expect(() => checkChannel(channel({ nodeKey: "0x" + "22".repeat(20) }), self, payer.address.toLowerCase(), 10n, channelId)).to.not.throw(); // rotated key, same node id
    const session = "0x" + "33".repeat(20);
    expect(() => checkChannel(channel({ voucherSigner: session, signerExpiry: 10n }), self, session, 10n, channelId)).to.not.throw();
  });

  it("refuses a channel that is not open to this node, a stranger, an expired session key and a used-up deposit", () => {
    const client = payer.address.toLowerCase();
    expect(refusalOf(() => checkChannel(channel({ status: "Closing" }), self, client, 10n, channelId)).refusal).to.equal("CHANNEL_INSUFFICIENT");
    expect(refusalOf(() => checkChannel(channel({ nodeKey: "0x" + "22".repeat(20), nodeId: 8n }), self, client, 10n, channelId)).refusal).to.equal("CHANNEL_INSUFFICIENT");
    expect(refusalOf(() => checkChannel(channel(), self, "0x" + "44".repeat(20), 10n, channelId)).refusal).to.equal("NOT_CHANNEL_OWNER");
    const session = "0x" + "33".repeat(20);
    expect(refusalOf(() => checkChannel(channel({ voucherSigner: session, signerExpiry: 10n }), self, session, 11n, channelId)).refusal).to.equal("NOT_CHANNEL_OWNER");
    expect(paidSoFar(channel({ paid: 600n }), 500n)).to.equal(600n);
    expect(paidSoFar(channel({ paid: 600n }), 700n)).to.equal(700n);
    expect(() => checkDeposit(channel(), 999n)).to.not.throw();
    expect(refusalOf(() => checkDeposit(channel(), 1000n)).refusal).to.equal("CHANNEL_INSUFFICIENT");
  });
});

describe("node › fetch › vouchers", () => {
  const domain = new Eip712Domain({ name: "PaymentChannel", version: "1", chainId: 31337n, verifyingContract: "0x" + "55".repeat(20) });

  function context() {
    const store = new NodeStore(path.join(tmpDir("cdn-fetch-"), "node.db"));
    const book = new VoucherBook(store);
    const stored: bigint[] = [];
    const ctx: VoucherContext = { domain, store, book, channel: channel(), now: 10n, onStored: (_amount, increase) => stored.push(increase) };
    return { store, book, ctx, stored };
  }

  it("stores a good voucher before it counts, ignores a lower one, and wakes a waiting stream", async () => {
    const { store, book, ctx, stored } = context();
    const waiting = book.waitForVoucher(channelId, 60_000, new AbortController().signal);
    await acceptVoucher(ctx, channelId, 300n, signVoucher(domain, { channelId, cumulativeAmount: 300n }, payer.secretKey));
    await waiting;
    expect(store.voucher(channelId)?.amount).to.equal(300n);
    expect(book.bestVoucher(channelId)).to.equal(300n);
    await acceptVoucher(ctx, channelId, 200n, signVoucher(domain, { channelId, cumulativeAmount: 200n }, payer.secretKey));
    expect(stored).to.deep.equal([300n]);
    expect(new VoucherBook(store).bestVoucher(channelId)).to.equal(300n); // durable
  });

  it("what was sent is raised in memory chunk by chunk and written to the store only by recordSent (every SENT_RECORD_BYTES, before a voucher wait, at the stream's end): a restart reads the last recorded value, never more than was sent", () => {
    const { store, book } = context();
    let writes = 0;
    const saveSent = store.saveSent.bind(store);
    store.saveSent = (id, owed) => (writes++, saveSent(id, owed));
    for (let owed = 1n; owed <= 8n; owed++) book.setOwed(channelId, owed * 100n);
    expect(book.owed(channelId)).to.equal(800n);
    expect(writes).to.equal(0);
    expect(new VoucherBook(store).owed(channelId)).to.equal(0n); // killed now: the node forgets, it never claims more
    book.recordSent(channelId);
    book.recordSent(channelId); // unchanged: no second write
    expect(writes).to.equal(1);
    expect(new VoucherBook(store).owed(channelId)).to.equal(800n);
  });

  it("counts a voucher as credit only once the store's log is fsync'd (committed at once, synced off the event loop)", async () => {
    const { store, book, ctx, stored } = context();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const syncLog = store.syncLog.bind(store);
    store.syncLog = async () => {
      await gate;
      await syncLog();
    };
    const accepted = acceptVoucher(ctx, channelId, 300n, signVoucher(domain, { channelId, cumulativeAmount: 300n }, payer.secretKey));
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.voucher(channelId)?.amount).to.equal(300n); // committed
    expect(book.bestVoucher(channelId)).to.equal(0n); // not credit yet
    expect(stored).to.deep.equal([]);
    release();
    await accepted;
    expect(book.bestVoucher(channelId)).to.equal(300n);
    expect(stored).to.deep.equal([300n]);
  });

  it("the stream's reader goes on reading while a voucher is fsync'd: those that arrive meanwhile are stored at once and share the next fsync; it ends only once the last one counts", async () => {
    const { store, book, ctx, stored } = context();
    const gates: (() => void)[] = [];
    const fsyncLog = (store as unknown as { fsyncLog(): Promise<void> }).fsyncLog.bind(store);
    (store as unknown as { fsyncLog(): Promise<void> }).fsyncLog = async () => {
      await new Promise<void>((resolve) => gates.push(resolve));
      await fsyncLog();
    };
    // the client's side of the stream, message by message
    const bodies: (Uint8Array | undefined)[] = [];
    let wake: (() => void) | undefined;
    const framed = {
      async read() {
        while (bodies.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        return bodies.shift();
      },
    } as unknown as FramedStream;
    const send = (amount?: bigint) => {
      bodies.push(
        amount === undefined
          ? undefined
          : encodeFetchClientMessage({
              kind: "voucher",
              voucher: { value: { channelId, cumulativeAmount: amount }, signature: signVoucher(domain, { channelId, cumulativeAmount: amount }, payer.secretKey) },
            }),
      );
      wake?.();
    };
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    // the real fsync behind a gate takes a few turns of the event loop
    const until = async (done: () => boolean) => {
      for (let i = 0; i < 10_000 && !done(); i++) await tick();
    };
    const reader = readVouchers(framed, ctx);
    send(100n);
    await tick();
    expect(gates).to.have.length(1); // the first fsync runs (held)
    send(200n);
    send(300n);
    await tick();
    expect(store.voucher(channelId)?.amount).to.equal(300n); // read and committed while the first fsync runs
    expect(book.bestVoucher(channelId)).to.equal(0n); // none counts yet
    gates.shift()!();
    await until(() => gates.length > 0);
    expect(book.bestVoucher(channelId)).to.equal(100n);
    expect(gates).to.have.length(1); // one more fsync for both
    gates.shift()!();
    await until(() => book.bestVoucher(channelId) === 300n);
    expect(gates).to.have.length(0);
    expect(stored).to.deep.equal([100n, 100n, 100n]);
    send(400n);
    send(); // the client ends its side right after its last voucher
    await until(() => gates.length > 0);
    await tick();
    expect(reader.ended).to.equal(false); // not before the last voucher counts (the stream's final wait sees it)
    gates.shift()!();
    await reader.done;
    expect(reader.ended).to.equal(true);
    expect(reader.error).to.equal(undefined);
    expect(book.bestVoucher(channelId)).to.equal(400n);
  });

  it("refuses BAD_VOUCHER for another channel, a stranger's signature, garbage and an amount above the deposit; nothing is stored", async () => {
    const { store, ctx } = context();
    const stranger = identityFromSecret(new Uint8Array(randomBytes(32)));
    const other = "0x" + "ef".repeat(32);
    const cases = [
      () => acceptVoucher(ctx, other, 10n, signVoucher(domain, { channelId: other, cumulativeAmount: 10n }, payer.secretKey)),
      () => acceptVoucher(ctx, channelId, 10n, signVoucher(domain, { channelId, cumulativeAmount: 10n }, stranger.secretKey)),
      () => acceptVoucher(ctx, channelId, 10n, new Uint8Array(65)),
      () => acceptVoucher(ctx, channelId, 1001n, signVoucher(domain, { channelId, cumulativeAmount: 1001n }, payer.secretKey)),
    ];
    for (const c of cases) expect((await refusalOfAsync(c())).refusal).to.equal("BAD_VOUCHER");
    expect(store.voucher(channelId)).to.equal(undefined);
  });

  it("an expired session key: its voucher re-sent at or below what the node holds changes nothing; above it is refused (a leaked expired key cannot raise the amount)", async () => {
    const { store, ctx, stored } = context();
    const session = identityFromSecret(new Uint8Array(randomBytes(32)));
    ctx.channel = channel({ voucherSigner: session.address.toLowerCase(), signerExpiry: 10n });
    const sign = (amount: bigint, key = session.secretKey) => signVoucher(domain, { channelId, cumulativeAmount: amount }, key);
    await acceptVoucher(ctx, channelId, 300n, sign(300n)); // while the key is live
    ctx.now = 11n; // expired
    await acceptVoucher(ctx, channelId, 300n, sign(300n)); // a new session re-sends the last stored voucher
    await acceptVoucher(ctx, channelId, 200n, sign(200n));
    for (const amount of [301n, 1000n]) {
      const refusal = await refusalOfAsync(acceptVoucher(ctx, channelId, amount, sign(amount)));
      expect(refusal.refusal).to.equal("BAD_VOUCHER");
      expect(refusal.message).to.match(/expiry/);
    }
    // the payer signs more, as always
    await acceptVoucher(ctx, channelId, 400n, sign(400n, payer.secretKey));
    expect(stored).to.deep.equal([300n, 100n]);
    expect(store.voucher(channelId)?.amount).to.equal(400n);
    // a stranger's voucher is refused even at an amount the node already holds
    const stranger = identityFromSecret(new Uint8Array(randomBytes(32)));
    expect((await refusalOfAsync(acceptVoucher(ctx, channelId, 100n, sign(100n, stranger.secretKey)))).refusal).to.equal("BAD_VOUCHER");
  });

  it("carries a channel's unpaid debt across streams", () => {
    const { book } = context();
    expect(book.owed(channelId)).to.equal(0n);
    book.setOwed(channelId, 42n);
    expect(book.owed(channelId)).to.equal(42n);
  });
});

describe("node › fetch › blob source (cache)", () => {
  it("a stream reads a cached blob through one open file and marks it used once; a blob evicted mid-stream (a blacklist entry) is read no further", async () => {
    const dir = tmpDir("cdn-source-");
    const db = new DatabaseSync(path.join(dir, "state.db"));
    db.exec("PRAGMA journal_mode=WAL");
    const cache = new BlobCache({ dir: path.join(dir, "cache"), budgetBytes: 10 * LEAF_SIZE }, { db });
    const data = new Uint8Array(randomBytes(2 * LEAF_SIZE + 100));
    const blobId = toHex(computeBlobId(data));
    const record = { value: { blobId, size: BigInt(data.length), origin: 1n, epoch: 0n, timestamp: 1n }, signature: new Uint8Array(65) };
    await cache.put(blobId, data, { meta: encodeRecordMeta(record) });
    const deps = { backend: {} as never, isOrigin: () => false, cache };
    const source = localSource(deps, blobId)!;
    expect(source.kind).to.equal("cache");
    const stamped = cache.get(blobId, { touch: false })!.lastUsed;
    expect(Buffer.from(await source.readLeaf(0)).equals(Buffer.from(data.subarray(0, LEAF_SIZE)))).to.equal(true);
    const used = cache.get(blobId, { touch: false })!.lastUsed;
    expect(used).to.be.greaterThan(stamped); // marked used at the first read
    expect(Buffer.from(await source.readLeaf(2)).equals(Buffer.from(data.subarray(2 * LEAF_SIZE)))).to.equal(true);
    expect(cache.get(blobId, { touch: false })!.lastUsed).to.equal(used); // once per stream, not per leaf
    cache.evict(blobId, "blacklist");
    expect(localSource(deps, blobId)).to.equal(undefined); // no new stream gets it
    expect(await source.readLeaf(1).then(...rejection)).to.be.instanceOf(CacheMissError);
    await source.close?.();
    db.close();
  });
});
