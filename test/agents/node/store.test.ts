import { expect } from "chai";
import path from "node:path";
import { NodeStore } from "../../../agents/node/store.js";
import { ClientStore } from "../../../agents/client/store.js";
import { tmpDir } from "../../helpers/tmp.js";

const dir = () => tmpDir("cdn-store-");
const CH = "0x" + "ab".repeat(32);
const sig = (b: number) => new Uint8Array(65).fill(b);

describe("node › store", () => {
  it("only ever raises a channel's voucher, and keeps it across a reopen", () => {
    const file = path.join(dir(), "node.db");
    const store = new NodeStore(file);
    expect(store.saveVoucher({ channelId: CH, payer: "0x" + "11".repeat(20), amount: 500n, signature: sig(1) })).to.equal(true);
    expect(store.saveVoucher({ channelId: CH, payer: "0x" + "11".repeat(20), amount: 400n, signature: sig(2) })).to.equal(false);
    expect(store.saveVoucher({ channelId: CH, payer: "0x" + "11".repeat(20), amount: 2n ** 200n, signature: sig(3) })).to.equal(true);
    store.close();
    const reopened = new NodeStore(file);
    const v = reopened.voucher(CH)!;
    expect(v.amount).to.equal(2n ** 200n);
    expect(v.signature[0]).to.equal(3);
    expect(reopened.paidBy("0x" + "11".repeat(20))).to.equal(2n ** 200n);
    expect(reopened.db.prepare("PRAGMA synchronous").get()).to.deep.equal({ synchronous: 2 }); // FULL
    expect(reopened.db.prepare("PRAGMA journal_mode").get()).to.deep.equal({ journal_mode: "wal" });
    reopened.close();
  });

  it("writes a channel's state only when it changed (a repeat request costs no write)", () => {
    const store = new NodeStore(path.join(dir(), "node.db"));
    const writes = () => (store.db.prepare("SELECT total_changes() AS n").get() as { n: number }).n;
    const c = { channelId: CH, payer: "0x" + "11".repeat(20), deposit: 1000n, paid: 0n, status: "Open", closesAt: 0 };
    store.saveChannel(c);
    const after = writes();
    store.saveChannel({ ...c, channelId: CH.toUpperCase().replace("0X", "0x"), payer: c.payer.toUpperCase().replace("0X", "0x") });
    expect(writes()).to.equal(after);
    store.saveChannel({ ...c, deposit: 1500n });
    expect(writes()).to.equal(after + 1);
    expect(store.channel(CH)!.deposit).to.equal(1500n);
    store.close();
  });

  it("client store records the highest amount signed, monotonic", () => {
    const store = new ClientStore(path.join(dir(), "client.db"));
    store.upsertChannel({ channelId: CH, nodeKey: "0x" + "22".repeat(20), nodeId: 3n, deposit: 1000n, status: "Open" });
    store.recordSigned(CH, 10n, sig(1));
    store.recordSigned(CH, 5n, sig(2));
    expect(store.channel(CH)!.signed).to.equal(10n);
    store.upsertChannel({ channelId: CH, nodeKey: "0x" + "22".repeat(20), nodeId: 3n, deposit: 2000n, status: "Open" });
    expect(store.channel(CH)!.signed).to.equal(10n);
    expect(store.channel(CH)!.deposit).to.equal(2000n);
    store.close();
  });
});
