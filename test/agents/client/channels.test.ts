import { expect } from "chai";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { network } from "hardhat";
import { Wallet, type ContractTransaction } from "ethers";
import { readChannel } from "../../../agents/chain/contracts.js";
import { identityFromSecret, type Identity } from "../../../agents/runtime/keys.js";
import { registerNode } from "../../../agents/node/registration.js";
import { ChannelManager, viaTxSender } from "../../../agents/client/channels.js";
import { TxSender } from "../../../agents/chain/tx-sender.js";
import { ChannelError } from "../../../agents/client/errors.js";
import { ClientStore } from "../../../agents/client/store.js";
import { deliveryWorld, type DeliveryWorld } from "../../e2e/delivery-fixture.js";
import { rejection } from "../../helpers/errors.js";
import { tmpDir } from "../../helpers/tmp.js";

describe("client › ChannelManager (real contracts, in-process chain)", function () {
  this.timeout(120_000);
  let world: DeliveryWorld;
  let nodeKey: string;

  before(async () => {
    world = await deliveryWorld(await network.create());
    const node = identityFromSecret(new Uint8Array(randomBytes(32)));
    await world.fund(node.address);
    const contracts = world.contractsFor(node);
    await registerNode(contracts, node, new Wallet(node.wallet.privateKey, world.provider), {
      capacityMbps: 100,
      region: 1,
      pricePerGiB: 1_000_000n,
      multiaddrs: [`/ip4/127.0.0.1/tcp/1/p2p/${node.peerId.toString()}`],
    });
    nodeKey = node.address.toLowerCase();
  });

  /** A manager whose every transaction is recorded on its way through the one `send` path. */
  async function manager(options: { deposit?: bigint } = {}) {
    const identity: Identity = identityFromSecret(new Uint8Array(randomBytes(32)));
    await world.fund(identity.address);
    const contracts = world.contractsFor(identity);
    const store = new ClientStore(path.join(tmpDir("cdn-channels-"), "client.db"));
    const sent: ContractTransaction[] = [];
    const wallet = viaTxSender(new TxSender({}, { signer: new Wallet(identity.wallet.privateKey, world.provider) }));
    const sender = (tx: ContractTransaction, o: { signal?: AbortSignal }) => {
      sent.push(tx);
      return wallet(tx, o);
    };
    return { m: new ChannelManager(options, { identity, contracts, store, sender }), store, sent, identity };
  }

  it("opens with a permit in one transaction, reuses, tops up, closes and settles, each through send()", async () => {
    const { m, sent } = await manager();
    const opened = await m.channelFor(nodeKey, 1_000n);
    expect(opened.deposit).to.equal(1_000_000n); // the minimum deposit
    expect(sent).to.have.length(1);
    expect((await m.channelFor(nodeKey, 500_000n)).channelId).to.equal(opened.channelId);
    expect(sent).to.have.length(1);
    const topped = await m.channelFor(nodeKey, 3_000_000n);
    expect(topped.channelId).to.equal(opened.channelId);
    expect(topped.deposit >= 3_000_000n).to.equal(true);
    expect((await readChannel(world.gov.channels, opened.channelId)).deposit).to.equal(topped.deposit);
    expect((await m.close(opened.channelId)).status).to.equal("Closing");
    await world.connection.networkHelpers.time.increase(Number(await world.gov.params.disputeWindow()) + 1);
    expect((await m.settle(opened.channelId)).status).to.equal("Closed");
    expect(sent).to.have.length(4);
    const channels = await world.gov.channels.getAddress();
    expect(sent.every((tx) => tx.to.toLowerCase() === channels.toLowerCase())).to.equal(true);
  });

  it("a failed transaction is one readable ChannelError sentence with the cause kept", async () => {
    const { m } = await manager();
    const missing = "0x" + "77".repeat(32);
    const error = await m.close(missing).then(...rejection);
    expect(error).to.be.instanceOf(ChannelError);
    expect((error as ChannelError).message).to.match(new RegExp(`^Closing channel ${missing} failed: `));
    expect((error as ChannelError).message).to.not.include("\n");
    expect((error as ChannelError).cause).to.be.instanceOf(Error);
    const refresh = await m.refresh(missing).then(...rejection);
    expect((refresh as Error).message).to.equal(`No channel ${missing} on chain.`);
  });

  it("serialises sessions on one channel (withLock)", async () => {
    const { m } = await manager();
    const order: string[] = [];
    const first = m.withLock("c", async () => {
      order.push("a+");
      await new Promise((r) => setTimeout(r, 20));
      order.push("a-");
    });
    const second = m.withLock("c", async () => void order.push("b"));
    await Promise.all([first, second]);
    expect(order).to.deep.equal(["a+", "a-", "b"]);
  });
});
