import { expect } from "chai";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { randomBytes } from "node:crypto";
import { BlobCache, CacheMissError, CacheTooLargeError, CacheVerificationError } from "../../../agents/node/cache/index.js";
import { computeBlobId } from "../../../agents/protocol/merkle.js";
import { toHex } from "../../../agents/protocol/bytes.js";
import { LEAF_SIZE } from "../../../agents/protocol/constants.js";
import { rejection } from "../../helpers/errors.js";
import { tmpDir } from "../../helpers/tmp.js";

describe("node › blob cache", () => {
  const tmp = () => tmpDir("cdn-cache-");
  const blob = (n: number) => {
    const data = new Uint8Array(randomBytes(n));
    return { data, id: toHex(computeBlobId(data)) };
  };
  function open(dir: string, budgetBytes: number, evicted: string[] = [], now?: () => number) {
    const db = new DatabaseSync(path.join(dir, "state.db"));
    db.exec("PRAGMA journal_mode=WAL");
    const cache = new BlobCache({ dir: path.join(dir, "cache"), budgetBytes }, { db, now, onEvict: (id) => evicted.push(id) });
    return { db, cache };
  }

  it("stores a blob only if it hashes to its id, and reads it back with its leaf layer and metadata", async () => {
    const { db, cache } = open(tmp(), 10 * LEAF_SIZE);
    const a = blob(LEAF_SIZE + 100);
    const meta = new Uint8Array([1, 2, 3]);
    const entry = await cache.put(a.id, a.data, { meta });
    expect(entry.size).to.equal(a.data.length);
    expect(entry.leafLayer.length).to.equal(64);
    expect(cache.has(a.id)).to.equal(true);
    expect(Buffer.from(cache.read(a.id)).equals(Buffer.from(a.data))).to.equal(true);
    expect(Buffer.from(cache.read(a.id, LEAF_SIZE, 50)).equals(Buffer.from(a.data.subarray(LEAF_SIZE, LEAF_SIZE + 50)))).to.equal(true);
    expect([...cache.get(a.id)!.meta!]).to.deep.equal([1, 2, 3]);
    expect(cache.usedBytes).to.equal(a.data.length);

    const b = blob(1000);
    const tampered = b.data.slice();
    tampered[10] ^= 1;
    const err = await cache.put(b.id, tampered).then(...rejection);
    expect(err).to.be.instanceOf(CacheVerificationError);
    expect(cache.has(b.id)).to.equal(false);
    expect(() => cache.read(b.id)).to.throw(CacheMissError);
    expect(readdirSync(path.join(cache.dir, "tmp"))).to.deep.equal([]);
    expect(cache.usedBytes).to.equal(a.data.length);
    db.close();
  });

  it("writes streamed pieces and verifies the announced size", async () => {
    const { db, cache } = open(tmp(), 10 * LEAF_SIZE);
    const a = blob(3 * LEAF_SIZE);
    async function* pieces() {
      for (let o = 0; o < a.data.length; o += 100_000) yield a.data.subarray(o, o + 100_000);
    }
    await cache.put(a.id, pieces(), { expectedSize: a.data.length });
    expect(cache.has(a.id)).to.equal(true);
    const b = blob(2000);
    expect(await cache.put(b.id, b.data, { expectedSize: 1999 }).then(...rejection)).to.be.instanceOf(CacheTooLargeError);
    expect(() => cache.openWriter(b.id, 11 * LEAF_SIZE)).to.throw(CacheTooLargeError);
    db.close();
  });

  it("keeps within the byte budget by evicting the least recently used blobs", async () => {
    let t = 0;
    const evicted: string[] = [];
    const { db, cache } = open(tmp(), 3000, evicted, () => ++t);
    const [a, b, c, d] = [blob(1000), blob(1000), blob(1000), blob(1500)];
    await cache.put(a.id, a.data);
    await cache.put(b.id, b.data);
    await cache.put(c.id, c.data);
    cache.read(a.id); // a is now more recent than b and c
    await cache.put(d.id, d.data); // needs 1,500: evicts b then c
    expect(evicted).to.deep.equal([b.id, c.id]);
    expect(cache.has(a.id) && cache.has(d.id)).to.equal(true);
    expect(cache.usedBytes).to.equal(2500);
    expect(cache.usedBytes).to.be.at.most(cache.budgetBytes);
    expect(cache.list().map((x) => x.blobId)).to.deep.equal([d.id, a.id]);
    db.close();
  });

  it("evicts a blacklisted blob at once", async () => {
    const evicted: string[] = [];
    const { db, cache } = open(tmp(), 5000, evicted);
    const a = blob(100);
    await cache.put(a.id, a.data);
    const file = cache.pathOf(a.id);
    expect(cache.evict(a.id, "blacklist")).to.equal(true);
    expect(existsSync(file)).to.equal(false);
    expect(cache.has(a.id)).to.equal(false);
    expect(cache.evict(a.id, "blacklist")).to.equal(false);
    expect(evicted).to.deep.equal([a.id]);
    db.close();
  });

  it("recovers after a crash: drops temp files, files without a row and rows without a complete file", async () => {
    const dir = tmp();
    const first = open(dir, 100_000);
    const a = blob(500);
    const b = blob(600);
    await first.cache.put(a.id, a.data);
    await first.cache.put(b.id, b.data);
    // a crash mid-write leaves a temp file; one between rename and index leaves an orphan file;
    // a torn disk leaves a truncated file under a committed row
    const w = first.cache.openWriter(blob(10).id);
    w.write(new Uint8Array(5));
    writeFileSync(path.join(first.cache.dir, "blobs", "ab".repeat(32)), "orphan");
    writeFileSync(first.cache.pathOf(b.id), b.data.subarray(0, 10));
    first.db.close();

    const second = open(dir, 100_000);
    expect(second.cache.has(a.id)).to.equal(true);
    expect(second.cache.has(b.id)).to.equal(false);
    expect(readdirSync(path.join(second.cache.dir, "tmp"))).to.deep.equal([]);
    expect(readdirSync(path.join(second.cache.dir, "blobs"))).to.deep.equal([a.id.slice(2)]);
    expect(second.cache.usedBytes).to.equal(500);
    second.db.close();
  });
});
