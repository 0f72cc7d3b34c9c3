import { expect } from "chai";
import { network } from "hardhat";
import { utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import { BlacklistView, blobKeyOf, contentBlacklistSource, enforceBlacklist } from "../../../agents/mesh/blacklist.js";
import { ChainReadError } from "../../../agents/mesh/errors.js";
import { FreshnessGuard } from "../../../agents/mesh/freshness.js";
import { BlobCache } from "../../../agents/node/cache/index.js";
import { computeBlobId } from "../../../agents/protocol/merkle.js";
import { toHex } from "../../../agents/protocol/bytes.js";
import { deployRegistryFixture, type RegistryContext } from "../../helpers/registry-fixture.js";
import { tmpDir } from "../../helpers/tmp.js";

const { networkHelpers, ethers } = await network.create();

describe("mesh › blacklist view and duties", () => {
  let ctx: RegistryContext;
  const fixture = () => deployRegistryFixture(ethers);
  beforeEach(async () => {
    ctx = await networkHelpers.loadFixture(fixture);
  });
  const id = () => toHex(new Uint8Array(randomBytes(32)));

  it("enumerates every ContentBlacklist entry (removals and re-listings included) and reports new ones", async () => {
    const [x, y, z] = [id(), id(), id()];
    const bl = ctx.blacklist.connect(ctx.timelock);
    await bl.add(blobKeyOf(x));
    await bl.add(blobKeyOf(y));
    await bl.remove(blobKeyOf(y));
    const listed: string[] = [];
    const freshness = new FreshnessGuard();
    const view = new BlacklistView({ pageSize: 1 }, { source: contentBlacklistSource(ctx.blacklist), freshness, onListed: (k) => listed.push(k) });
    await view.refresh();
    expect(freshness.isFresh()).to.equal(true);
    expect(view.isBlacklisted(x)).to.equal(true);
    expect(view.isBlacklisted(y)).to.equal(false);
    expect(view.isBlacklisted(z)).to.equal(false);
    expect(listed).to.deep.equal([blobKeyOf(x)]);
    await bl.add(blobKeyOf(y)); // listed again: a new entry supersedes the removed one
    await bl.add(blobKeyOf(z));
    await view.refresh();
    expect(view.isBlacklisted(y) && view.isBlacklisted(z)).to.equal(true);
    expect(listed).to.deep.equal([blobKeyOf(x), blobKeyOf(y), blobKeyOf(z)]);
    expect(view.size).to.equal(3);
    expect(blobKeyOf(x)).to.equal((await ctx.blacklist.blobKeyOf(x)).toLowerCase());
  });

  it("reloads a local deny-list file without a restart, also when the chain is unreachable", async () => {
    const dir = tmpDir("cdn-deny-");
    const file = path.join(dir, "deny.txt");
    const [a, b] = [id(), id()];
    writeFileSync(file, `# local policy\n${a}\nnot-an-id\n`);
    const errors: Error[] = [];
    let fail = false;
    const source = contentBlacklistSource(ctx.blacklist);
    const view = new BlacklistView({ denyListFile: file }, { source: { entries: (s, m) => (fail ? Promise.reject(new Error("rpc down")) : source.entries(s, m)) }, onError: (e) => errors.push(e) });
    await view.refresh();
    expect(view.isBlacklisted(a)).to.equal(true);
    expect(errors.map((e) => e.message).join()).to.match(/not-an-id/);
    writeFileSync(file, `${b}\n`);
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    fail = true;
    let err: unknown;
    await view.refresh().catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(ChainReadError);
    expect(view.isBlacklisted(a)).to.equal(false);
    expect(view.isBlacklisted(b)).to.equal(true);
  });

  it("enforces the duties in order: stop providing, then evict (the view already refuses)", async () => {
    const dir = tmpDir("cdn-bl-");
    const steps: string[] = [];
    const db = new DatabaseSync(":memory:");
    const cache = new BlobCache({ dir, budgetBytes: 1 << 20, durable: false }, { db, onEvict: (blob, reason) => steps.push(`evict ${blob} ${reason}`) });
    const data = new Uint8Array(randomBytes(1000));
    const blob = toHex(computeBlobId(data));
    await cache.put(blob, data);
    const dht = { stopProviding: async (b: string) => void steps.push(`stop ${b}`) };
    const view = new BlacklistView({}, { source: contentBlacklistSource(ctx.blacklist), onListed: () => steps.push("listed") });
    await ctx.blacklist.connect(ctx.timelock).add(blobKeyOf(blob));
    await view.refresh();
    expect(view.isBlacklisted(blob)).to.equal(true);
    for (const held of cache.list().map((e) => e.blobId)) if (view.isBlacklisted(held)) await enforceBlacklist(held, { dht, cache });
    expect(steps).to.deep.equal(["listed", `stop ${blob}`, `evict ${blob} blacklist`]);
    expect(cache.has(blob)).to.equal(false);
    db.close();
  });
});
