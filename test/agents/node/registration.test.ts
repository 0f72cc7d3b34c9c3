import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { network } from "hardhat";
import { Wallet } from "ethers";
import { exitNode, registerNode } from "../../../agents/node/registration.js";
import { FeeCapError, TxSender } from "../../../agents/chain/tx-sender.js";
import { identityFromSecret } from "../../../agents/runtime/keys.js";
import { deliveryWorld } from "../../e2e/delivery-fixture.js";

describe("node › registration and exit go through the operator's TxSender", function () {
  this.timeout(120_000);

  it("register, deregister and withdraw are sent by the given sender (its fee cap refuses; within the cap they land)", async () => {
    const world = await deliveryWorld(await network.create());
    const node = identityFromSecret(new Uint8Array(randomBytes(32)));
    await world.fund(node.address);
    const contracts = world.contractsFor(node);
    const operator = new Wallet(node.wallet.privateKey, world.provider);
    const params = { capacityMbps: 100, region: 1, pricePerGiB: 1_000_000n, multiaddrs: [`/ip4/127.0.0.1/tcp/1/p2p/${node.peerId.toString()}`] };
    const sent: string[] = [];
    const logger = { info: (o: object, msg: string) => sent.push(`${msg}: ${(o as { label?: string }).label}`), warn: () => undefined };

    // a cap of 1 wei is below any base fee: the sender refuses before signing, nothing registered
    const capped = new TxSender({ maxFeePerGas: 1n }, { signer: operator as never });
    const refused = await registerNode(contracts, node, operator, params, capped).catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(FeeCapError);
    expect((refused as Error).message).to.match(
      /^The network's base fee is .* gwei, above the configured cap of 0\.000000001 gwei \(maxFeePerGas\), so the transaction to register the node was not sent/,
    );
    expect(await contracts.registry.nodeIdOf(node.address)).to.equal(0n);

    const sender = new TxSender({}, { signer: operator as never, logger });
    const nodeId = await registerNode(contracts, node, operator, params, sender);
    expect(await contracts.registry.isActive(node.address)).to.equal(true);
    expect(await exitNode(contracts, nodeId, operator, sender)).to.match(new RegExp(`^Node ${nodeId} deregistered; its bond can be withdrawn after `));
    const unbondingEndsAt = (await contracts.registry.getNode(nodeId)).unbondingEndsAt;
    await world.connection.networkHelpers.time.increaseTo(unbondingEndsAt + 1n);
    const before = await contracts.usdc.balanceOf(operator.address);
    expect(await exitNode(contracts, nodeId, operator, sender)).to.equal(`Node ${nodeId}: bond withdrawn to ${operator.address}.`);
    expect(await contracts.usdc.balanceOf(operator.address)).to.be.greaterThan(before);
    expect(sent).to.deep.equal(["transaction sent: register the node", `transaction sent: deregister node ${nodeId}`, `transaction sent: withdraw the bond of node ${nodeId}`]);
  });
});
