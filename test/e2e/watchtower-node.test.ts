/**
 * The node agent with a watchtower configured (`watchtowers` option): a real paid fetch on
 * 127.0.0.1 stores vouchers on the node, which pushes each to the watchtower; the node stops; the
 * client closes with nothing claimed on chain; the watchtower disputes with the node's best voucher.
 * In-process chain and hosts (test/e2e/delivery-fixture.ts); the process-level run is
 * watchtower.test.ts.
 *
 * Skipped while the node agent does not wire the pusher (it then has no `pusher` after start):
 * the wiring lives in agents/node (createWatchtowerPusher, onVoucherStored).
 */
import { expect } from "chai";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { network } from "hardhat";
import { deliveryWorld, randomFile, startClient, startNode, type DeliveryWorld } from "./delivery-fixture.js";
import { chainTime, readChannel } from "../../agents/chain/contracts.js";
import { identityFromSecret } from "../../agents/runtime/keys.js";
import { LEAF_SIZE } from "../../agents/protocol/constants.js";
import { startWatchtower, waitFor } from "../agents/watchtower/fixture.js";
import { tmpDir } from "../helpers/tmp.js";

describe("e2e › node agent with a watchtower", function () {
  this.timeout(120_000);
  let world: DeliveryWorld;
  const stops: Array<() => Promise<void>> = [];

  before(async () => {
    world = await deliveryWorld(await network.create());
  });

  after(async () => {
    for (const s of stops.reverse()) await s();
  });

  it("the node pushes every stored voucher; offline, its stale close is disputed with the best one", async function () {
    const towerIdentity = identityFromSecret(randomBytes(32));
    await world.fund(towerIdentity.address, 0n);
    const tower = await startWatchtower(towerIdentity, world.contractsFor(towerIdentity), tmpDir("cdn-tower-"));
    stops.push(tower.stop);
    const beneficiary = identityFromSecret(randomBytes(32)).address.toLowerCase();
    const node = await startNode(world, { options: { watchtowers: [tower.addr], watchtowerBeneficiary: beneficiary, watchtowerMaxBps: 1000 } });
    let nodeRunning = true;
    stops.push(async () => {
      if (nodeRunning) await node.agent.stop();
      node.store.close();
    });
    expect((node.agent as unknown as { pusher?: unknown }).pusher, "the node runs a watchtower pusher").to.not.equal(undefined);
    const { file } = randomFile(tmpDir(), 6 * LEAF_SIZE + 17);
    const [blob] = await node.agent.publish([file]);
    const c = await startClient(world);
    stops.push(() => c.stop());
    const report = await c.client.fetchToFile(blob.blobId, path.join(tmpDir(), "out"), { providers: [node.identity.address.toLowerCase()] });
    const channelId = report.providers[0].channelId;
    const best = node.agent.fetch!.bestFor(channelId);
    expect(best > 0n).to.equal(true);
    const held = await waitFor(() => (tower.store.voucher(channelId)?.amount === best ? tower.store.voucher(channelId) : undefined), "the node's best voucher at the watchtower");
    expect(held.auth.value).to.deep.include({ nodeId: node.agent.nodeId, watchtower: towerIdentity.address.toLowerCase(), beneficiary, maxBps: 1000 });
    expect(held.auth.value.expiry > (await chainTime(world.provider))).to.equal(true);

    await node.agent.stop();
    nodeRunning = false;
    const beneficiaryBefore = await world.gov.usdc.balanceOf(beneficiary);
    await c.client.closeChannel(channelId);
    // the watchtower earns its bounty in the second half of the window (the first is the node's)
    await waitFor(() => tower.tower.monitor.queued.includes(channelId), "the queued dispute");
    await world.connection.networkHelpers.time.increaseTo(await world.gov.channels.bountyFrom(channelId));
    await waitFor(() => tower.store.disputes(channelId).find((d) => d.outcome === "disputed"), "the dispute");
    const state = await readChannel(world.gov.channels, channelId);
    expect(state.paid).to.equal(best);
    expect(await world.gov.usdc.balanceOf(beneficiary)).to.equal(beneficiaryBefore + (best * 1000n) / 10_000n);
  });
});
