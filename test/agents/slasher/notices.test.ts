import { expect } from "chai";
import path from "node:path";
import fc from "fast-check";
import { parseBlobId, parseNotices, readNoticeFile } from "../../../agents/slasher/notices.js";
import { NoticeError } from "../../../agents/slasher/errors.js";
import { SlasherStore } from "../../../agents/slasher/store.js";
import { loadSlasherConfig } from "../../../agents/slasher/config.js";
import { ConfigError } from "../../../agents/runtime/errors.js";
import { tmpDir } from "../../helpers/tmp.js";

const A = "0x" + "ab".repeat(32);
const B = "0x" + "CD".repeat(32);

describe("slasher › compliance notices", () => {
  it("reads JSON lists, {blobIds}, {notices: [{blobId}]} and text with comments; lower-cases and deduplicates", () => {
    expect(parseNotices(JSON.stringify([A, B, A]))).to.deep.equal([A, B.toLowerCase()]);
    expect(parseNotices(JSON.stringify({ blobIds: [B] }))).to.deep.equal([B.toLowerCase()]);
    expect(parseNotices(JSON.stringify({ notices: [{ blobId: A, court: "x" }] }))).to.deep.equal([A]);
    expect(parseNotices(`# notice 17\n${A}  court order 17\n\n  ${B} # second\n# ${"0x" + "ee".repeat(32)}\n`)).to.deep.equal([A, B.toLowerCase()]);
  });

  it("refuses malformed ids and documents with a NoticeError (one sentence)", () => {
    expect(() => parseBlobId("0x1234")).to.throw(NoticeError, '"0x1234" is not a blob id');
    expect(() => parseNotices("[1, 2]")).to.throw(NoticeError, "Every blob id");
    expect(() => parseNotices('{"ids": []}')).to.throw(NoticeError, "A JSON notice file");
    expect(() => parseNotices("[not json")).to.throw(NoticeError, "does not parse");
    expect(() => readNoticeFile("/nonexistent/notices.json")).to.throw(NoticeError, "Cannot read");
  });

  it("property: any text parses to valid ids or throws only a NoticeError", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          for (const id of parseNotices(text)) expect(id).to.match(/^0x[0-9a-f]{64}$/);
        } catch (error) {
          expect(error).to.be.instanceOf(NoticeError);
        }
      }),
    );
  });
});

describe("slasher › store and config", () => {
  it("keeps notices, probes, slashes and channels across a reopen; a notice is added once", () => {
    const file = path.join(tmpDir("cdn-slasher-store-"), "slasher.db");
    let store = new SlasherStore(file);
    expect(store.addNotices([A, A], "cli")).to.equal(1);
    expect(store.addNotices([A, B.toLowerCase()], "file")).to.equal(1);
    store.saveProbe({ blobId: A, entryId: 1, nodeKey: "0x01", nodeId: 3n, channelId: "0xc", outcome: "refused", detail: "BLACKLISTED", at: 1 });
    store.saveSlash({
      blobId: A,
      entryId: 1,
      nodeId: 4n,
      nodeKey: "0x02",
      channelId: "0xd",
      evidence: "{}",
      commitHash: "0xh",
      status: "slashed",
      slashed: 10n ** 20n,
      reward: 5n,
      treasury: 7n,
      at: 2,
    });
    store.saveChannel("0xc", "Closing", 123n);
    store.close();
    store = new SlasherStore(file);
    expect(store.notices().map((n) => n.blobId)).to.deep.equal([A, B.toLowerCase()]);
    expect(store.probe(A, 1, "0x01")).to.include({ outcome: "refused", detail: "BLACKLISTED", nodeId: 3n });
    expect(store.probe(A, 2, "0x01")).to.equal(undefined);
    expect(store.slash(A, 1, 4n)).to.include({ status: "slashed", slashed: 10n ** 20n, reward: 5n, treasury: 7n });
    expect(store.channels()).to.deep.equal([{ channelId: "0xc", status: "Closing", closesAt: 123 }]);
    store.close();
  });

  it("config: defaults, CDN_SLASHER_* environment, and one sentence naming a bad field", () => {
    const dataDir = tmpDir("cdn-slasher-config-");
    const saved = { ...process.env };
    try {
      process.env.CDN_SLASHER_NOTICES = "a.json, b.txt";
      process.env.CDN_SLASHER_INTERVAL_MS = "2500";
      const c = loadSlasherConfig({ dataDir });
      expect(c.notices).to.deep.equal(["a.json", "b.txt"]);
      expect(c.intervalMs).to.equal(2500);
      expect(c.keyFile).to.equal(path.join(dataDir, "slasher.key"));
      process.env.CDN_SLASHER_INTERVAL_MS = "5";
      expect(() => loadSlasherConfig({ dataDir })).to.throw(ConfigError, /intervalMs/);
    } finally {
      process.env = saved;
    }
  });
});
