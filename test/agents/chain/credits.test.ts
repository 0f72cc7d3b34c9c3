import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { network } from "hardhat";
import { Wallet, hexlify } from "ethers";
import { NothingToWithdrawError, operatorWithdrawable, withdrawNodeCredit } from "../../../agents/chain/credits.js";
import { TxSender } from "../../../agents/chain/tx-sender.js";
import { registerNode } from "../../../agents/node/registration.js";
import { identityFromSecret } from "../../../agents/runtime/keys.js";
import { domainFor } from "../../../agents/protocol/eip712.js";
import { deliveryWorld, USDC } from "../../e2e/delivery-fixture.js";
import { signVoucher } from "../../helpers/channels.js";

/**
 * `withdrawNodeCredit` (what `cdn-node withdraw` sends): the node's recorded operator collects the
 * node's credit; any other account falls back to its own credit and, having none, gets one sentence
 * and sends nothing, while the node's credit stays.
 */
describe("chain/credits › a node's credit is collected by its recorded operator only", function () {
  this.timeout(120_000);

  it("a stranger's withdrawal for the node sends nothing and leaves the credit; the operator collects it once", async () => {
    const world = await deliveryWorld(await network.create());
    const node = identityFromSecret(new Uint8Array(randomBytes(32)));
    const contracts = world.contractsFor(node);
    // the node key is its own operator here, and one sender sends all its transactions (one nonce sequence)
    const operator = contracts.channels.runner as Wallet;
    const operatorSender = new TxSender({}, { signer: operator as never });
    await world.fund(node.address);
    const multiaddrs = [`/ip4/127.0.0.1/tcp/1/p2p/${node.peerId.toString()}`];
    const nodeId = await registerNode(contracts, node, operator, { capacityMbps: 100, region: 1, pricePerGiB: USDC, multiaddrs }, operatorSender);

    // a payer opens a channel to the node; the node claims 10 USDC with the payer's voucher
    const payer = Wallet.createRandom().connect(world.provider);
    await world.fund(payer.address);
    const payerContracts = world.contractsFor(identityFromSecret(new Uint8Array(Buffer.from(payer.privateKey.slice(2), "hex"))));
    await (await payerContracts.usdc.approve(await payerContracts.channels.getAddress(), 50n * USDC)).wait();
    const nonce = hexlify(randomBytes(32));
    await (await payerContracts.channels.open(node.address, 50n * USDC, payer.address, 0n, nonce)).wait();
    const channelId = await contracts.channels.channelIdFor(payer.address, node.address, nonce);
    const domain = domainFor("paymentChannel", world.deployment.chainId, await contracts.channels.getAddress());
    const signature = await signVoucher(payer, domain, channelId, 10n * USDC);
    await operatorSender.sendAndWait(contracts.channels.claim.populateTransaction(channelId, 10n * USDC, signature));
    const { credit } = await contracts.channels.nodeCredit(nodeId);
    expect(credit > 0n).to.equal(true);
    expect(await operatorWithdrawable(contracts, nodeId, operator.address)).to.equal(credit);

    // a stranger: not the recorded operator, so nothing of the node's credit is its to withdraw
    const stranger = identityFromSecret(new Uint8Array(randomBytes(32)));
    await world.fund(stranger.address, 0n);
    const strangerSender = new TxSender({}, { signer: new Wallet(stranger.wallet.privateKey, world.provider) as never });
    expect(await operatorWithdrawable(contracts, nodeId, stranger.address)).to.equal(0n);
    const refused = await withdrawNodeCredit(world.contractsFor(stranger), strangerSender, nodeId).catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(NothingToWithdrawError);
    expect((refused as Error).message).to.equal(`${stranger.address} has no withdrawable credit in PaymentChannel: there is nothing to withdraw.`);
    expect(await world.provider.getTransactionCount(stranger.address)).to.equal(0);
    expect((await contracts.channels.nodeCredit(nodeId)).credit).to.equal(credit);

    // the operator collects it, once
    const before = await contracts.usdc.balanceOf(operator.address);
    const { amount } = await withdrawNodeCredit(contracts, operatorSender, nodeId);
    expect(amount).to.equal(credit);
    expect((await contracts.usdc.balanceOf(operator.address)) - before).to.equal(credit);
    const again = await withdrawNodeCredit(contracts, operatorSender, nodeId).catch((e: unknown) => e);
    expect(again).to.be.instanceOf(NothingToWithdrawError);
  });
});
