import { expect } from "chai";
import { network } from "hardhat";
import { collect, deliveryWorld, randomFile, startClient, startNode, tmpDir, USDC, type TestClient, type TestNode } from "./delivery-fixture.js";
import { readChannel } from "../../agents/chain/contracts.js";
import type { TestToken } from "../../deploy/modules/Devnet.js";

/**
 * The agents against USDC-shaped tokens, on a chain whose clock is days ahead of the local one:
 * registration (cdn-node register's path), a paid fetch (channel open with permit) and a top-up
 * sign permits over the domain read from the token, with deadlines from chain time.
 */
for (const token of ["TestUSDC", "TestUSDCWithDomain"] as TestToken[]) {
  describe(`e2e › agents on ${token} (${token === "TestUSDC" ? "no EIP-5267, like USDC" : "with EIP-5267"}), chain time days ahead`, function () {
    this.timeout(120_000);
    const nodes: TestNode[] = [];
    const clients: TestClient[] = [];
    after(async () => {
      for (const c of clients) await c.stop();
      for (const n of nodes) {
        await n.agent.stop();
        n.store.close();
      }
    });

    it("after 3 days + 1 s of chain time: registers, opens with permit, fetches, tops up with permit", async () => {
      const connection = await network.create();
      const world = await deliveryWorld(connection, { token });
      await connection.networkHelpers.time.increase(3 * 86_400 + 1);
      const node = await startNode(world);
      nodes.push(node);
      expect(await world.gov.registry.isActive(node.identity.address)).to.equal(true);
      const { file, data } = randomFile(tmpDir(), 2 * 262_144 + 7);
      const [blob] = await node.agent.publish([file]);
      const c = await startClient(world);
      clients.push(c);
      const got = await collect(c.client.fetch(blob.blobId));
      expect(got.equals(data)).to.equal(true);
      const [channel] = c.store.channels();
      const before = (await readChannel(world.gov.channels, channel.channelId)).deposit;
      await c.client.topUp(channel.channelId, 3n * USDC);
      expect((await readChannel(world.gov.channels, channel.channelId)).deposit).to.equal(before + 3n * USDC);
    });
  });
}
