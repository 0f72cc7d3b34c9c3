/**
 * WatchtowerStore: the held voucher of a channel only ever rises, whatever the order of saves
 * (fast-check), it survives reopening the file, and the startup rescan lists only channels not
 * known to be closed.
 */
import { expect } from "chai";
import fc from "fast-check";
import path from "node:path";
import { WatchtowerStore } from "../../../agents/watchtower/store.js";
import { tmpDir } from "../../helpers/tmp.js";

const channel = (i: number) => "0x" + i.toString(16).padStart(64, "0");
const auth = {
  nodeKey: "0x" + "11".repeat(20),
  value: { nodeId: 3n, watchtower: "0x" + "44".repeat(20), beneficiary: "0x" + "22".repeat(20), maxBps: 1000, expiry: 1_790_000_000n },
  signature: new Uint8Array(65).fill(7),
};
const save = (store: WatchtowerStore, id: string, amount: bigint) =>
  store.saveVoucher({
    channelId: id,
    nodeKey: auth.nodeKey,
    payer: "0x" + "33".repeat(20),
    amount,
    signature: new Uint8Array(65).fill(Number(amount % 256n)),
    auth,
    status: "Open",
    closesAt: 0n,
    paid: 0n,
  });

describe("watchtower › store", () => {
  it("keeps the highest voucher per channel whatever the order of saves, and says which saves raised it", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.bigInt({ min: 1n, max: 2n ** 96n })), { maxLength: 40 }), (ops) => {
        const store = new WatchtowerStore(":memory:");
        const best = new Map<string, bigint>();
        for (const [c, amount] of ops) {
          const id = channel(c);
          const raised = amount > (best.get(id) ?? 0n);
          expect(save(store, id, amount)).to.equal(raised);
          if (raised) best.set(id, amount);
          expect(store.voucher(id)!.amount).to.equal(best.get(id));
        }
        expect(store.counts().channels).to.equal(best.size);
        store.close();
      }),
      { numRuns: 100 },
    );
  });

  it("survives reopening; the rescan lists channels not known to be closed; disputes and the cursor persist", () => {
    const file = path.join(tmpDir("cdn-tower-store-"), "watchtower.db");
    let store = new WatchtowerStore(file);
    save(store, channel(1), 5n);
    save(store, channel(2), 7n);
    store.saveChainState(channel(2), { status: "Closed", closesAt: 100n, paid: 7n });
    store.saveAuth(auth);
    store.recordDispute({ channelId: channel(1), amount: 5n, outcome: "disputed", recovered: 5n, bounty: 1n, txHash: "0xabc", beneficiary: auth.value.beneficiary });
    store.saveCursor("channels", { block: 42, recent: [[42, "0x" + "ab".repeat(32)]] });
    store.close();
    store = new WatchtowerStore(file);
    expect(store.voucher(channel(1))!.amount).to.equal(5n);
    expect(store.unsettled().map((v) => v.channelId)).to.deep.equal([channel(1)]);
    expect(store.auth(auth.nodeKey)).to.deep.equal(auth);
    expect(store.disputes()[0]).to.include({ outcome: "disputed", recovered: 5n, bounty: 1n, txHash: "0xabc" });
    expect(store.cursor("channels")).to.deep.equal({ block: 42, recent: [[42, "0x" + "ab".repeat(32)]] });
    expect(store.counts()).to.deep.equal({ channels: 2, byStatus: { Open: 1, Closed: 1 } });
    store.close();
  });

  it("follows the nodes that authorised it or whose vouchers it holds, each once", () => {
    const store = new WatchtowerStore(":memory:");
    expect(store.nodeIds()).to.deep.equal([]);
    save(store, channel(1), 5n); // a voucher held under node 3's auth
    expect(store.nodeIds()).to.deep.equal([3n]);
    store.saveAuth(auth);
    store.saveAuth({ ...auth, nodeKey: "0x" + "55".repeat(20), value: { ...auth.value, nodeId: 9n } });
    expect(store.nodeIds().sort()).to.deep.equal([3n, 9n]);
    store.close();
  });
});
