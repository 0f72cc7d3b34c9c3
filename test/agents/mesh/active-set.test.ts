import { expect } from "chai";
import { network } from "hardhat";
import { ActiveSet, registryActiveSetSource, type ActiveSetChange } from "../../../agents/mesh/active-set.js";
import { ChainReadError, StaleChainViewError } from "../../../agents/mesh/errors.js";
import { FreshnessGuard } from "../../../agents/mesh/freshness.js";
import { deployRegistryFixture, nodeIdentity, registerNode, type RegistryContext } from "../../helpers/registry-fixture.js";
import { newIdentity, StaticSource } from "./helpers.js";

const { networkHelpers, ethers } = await network.create();

describe("mesh › active set", () => {
  let ctx: RegistryContext;
  const fixture = () => deployRegistryFixture(ethers);
  beforeEach(async () => {
    ctx = await networkHelpers.loadFixture(fixture);
  });

  it("pages through the registry's active nodes and reports who joined and left", async () => {
    const ids = [newIdentity(), newIdentity(), newIdentity()];
    const regs = [];
    for (const [i, id] of ids.entries()) regs.push(await registerNode(ctx, { node: nodeIdentity(id.wallet), region: i + 1, capacityMbps: 10 }));
    const changes: ActiveSetChange[] = [];
    const set = new ActiveSet({ pageSize: 1 }, { source: registryActiveSetSource(ctx.registry) });
    set.onChange((c) => changes.push(c));
    await set.refresh();
    expect(set.size).to.equal(3);
    expect(
      set
        .nodes()
        .map((n) => n.region)
        .sort(),
    ).to.deep.equal([1, 2, 3]);
    expect(set.get(ids[1].address)).to.include({ nodeId: regs[1].nodeId, nodeKey: ids[1].address.toLowerCase(), capacityMbps: 10 });
    expect(set.has(ids[0].address.toUpperCase().replace("0X", "0x"))).to.equal(true);
    expect(changes).to.have.length(1);
    expect(changes[0].added).to.have.length(3);

    await ctx.registry.connect(ctx.slasher).slash(regs[2].nodeId, 10_000); // no bond left
    await set.refresh();
    expect(set.size).to.equal(2);
    expect(set.has(ids[2].address)).to.equal(false);
    expect(changes[1].removed.map((n) => n.nodeKey)).to.deep.equal([ids[2].address.toLowerCase()]);
  });

  it("answers keys outside the snapshot with one chain read, cached for the TTL", async () => {
    let t = 0;
    const source = new StaticSource();
    const set = new ActiveSet({ keyTtlMs: 1000 }, { source, now: () => t });
    await set.refresh();
    const late = newIdentity();
    source.add(late.address); // registered after the snapshot
    expect(set.has(late.address)).to.equal(false);
    const reads = source.reads;
    expect(await set.isActive(late.address)).to.equal(true);
    expect(await set.isActive(late.address)).to.equal(true);
    expect(source.reads).to.equal(reads + 1);
    expect(set.has(late.address)).to.equal(true); // recently confirmed
    t += 1001;
    expect(await set.isActive(late.address)).to.equal(true);
    expect(source.reads).to.equal(reads + 2);
    expect(await set.isActivePeer(late.peerId)).to.equal(true);
  });

  it("trusts the snapshot for the keys it holds for twice the refresh period, then asks again", async () => {
    let t = 0;
    const member = newIdentity();
    const source = new StaticSource().add(member.address);
    const set = new ActiveSet({ refreshIntervalMs: 60_000, keyTtlMs: 1000 }, { source, now: () => t });
    await set.refresh();
    const reads = source.reads;
    t += 119_000;
    expect(await set.isActive(member.address)).to.equal(true);
    expect(source.reads).to.equal(reads); // validation of a known node costs no chain read
    source.keys.clear(); // it left the set meanwhile
    t += 2000;
    expect(await set.isActive(member.address)).to.equal(false);
    expect(source.reads).to.equal(reads + 1);
    expect(set.has(member.address)).to.equal(false); // the fresher per-key answer wins over the snapshot
  });

  it("chain failures surface as ChainReadError and let the view go stale, so the node refuses", async () => {
    let t = 0;
    const source = new StaticSource().add(newIdentity().address);
    const freshness = new FreshnessGuard({ maxAgeMs: 30 * 60_000 }, { now: () => t });
    const set = new ActiveSet({}, { source, freshness, now: () => t });
    await set.refresh();
    freshness.assertFresh();
    source.fail = true;
    t += 20 * 60_000;
    let err: unknown;
    await set.refresh().catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(ChainReadError);
    expect((err as ChainReadError).code).to.equal("ERR_CHAIN_READ");
    freshness.assertFresh(); // 20 min: still within the bound
    t += 11 * 60_000;
    expect(() => freshness.assertFresh()).to.throw(StaleChainViewError);
    source.fail = false;
    await set.refresh();
    freshness.assertFresh();
  });
});
