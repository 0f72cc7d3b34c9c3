import { expect } from "chai";
import { network } from "hardhat";
import { collect, deliveryWorld, randomFile, startClient, startNode, type TestClient, type TestNode } from "../../e2e/delivery-fixture.js";
import { Earnings, DEFAULT_EARNINGS } from "../../../agents/node/earnings.js";
import { withdrawNodeCredit } from "../../../agents/chain/credits.js";
import { TxRevertedError, TxSender } from "../../../agents/chain/tx-sender.js";
import { createLogger } from "../../../agents/runtime/logger.js";
import { nodeCreditOf } from "../../helpers/credits.js";
import { tmpDir } from "../../helpers/tmp.js";

/**
 * Every payout is credited to the operator in PaymentChannel (never transferred): a claim leaves
 * the operator's USDC untouched, even during a USDC pause; the earnings log says what was credited;
 * withdrawing refuses while USDC is paused and collects the whole credit after.
 */
describe("node › earnings: a payout is credited to the operator, logged as credited, withdrawn with cdn-node withdraw", function () {
  this.timeout(120_000);
  let node: TestNode;
  let client: TestClient;
  after(async () => {
    await client?.stop();
    await node?.agent.stop();
    node?.store.close();
  });

  it("claim (also while paused) → credited, USDC untouched; withdraw refused while paused; collected once unpaused", async () => {
    const world = await deliveryWorld(await network.create());
    node = await startNode(world);
    const { file } = randomFile(tmpDir(), 3 * 262_144);
    const [blob] = await node.agent.publish([file]);
    client = await startClient(world);
    await collect(client.client.fetch(blob.blobId));
    const [channel] = client.store.channels();

    const lines: { msg: string; [k: string]: unknown }[] = [];
    const logger = createLogger({ name: "earnings", destination: { write: (l: string) => void lines.push(JSON.parse(l) as { msg: string }) } });
    const contracts = world.contractsFor(node.identity);
    const sender = new TxSender({}, { signer: contracts.channels.runner as never });
    const earnings = new Earnings(DEFAULT_EARNINGS, { contracts, store: node.store, logger, sender });

    const nodeId = await world.gov.registry.nodeIdOf(node.identity.address);
    await world.gov.usdc.pause();
    const operatorBefore = await world.gov.usdc.balanceOf(node.identity.address);
    const creditBefore = await nodeCreditOf(world.gov, node.identity.address);
    const claimed = await earnings.claim(channel.channelId);
    expect(claimed > 0n).to.equal(true);
    const credit = await nodeCreditOf(world.gov, node.identity.address);
    const fee = (claimed * (await world.gov.params.protocolFeeBps())) / 10_000n;
    expect(credit - creditBefore).to.equal(claimed - fee);
    expect(await world.gov.usdc.balanceOf(node.identity.address)).to.equal(operatorBefore);
    const logged = lines.find((l) => l.channelId === channel.channelId);
    expect(logged?.msg).to.equal("channel claimed: the operator's share is credited in PaymentChannel; cdn-node withdraw collects it");
    expect(logged).to.include({ operator: node.identity.address, credited: (claimed - fee).toString(), withdrawable: credit.toString() });

    const refused = await withdrawNodeCredit(contracts, sender, nodeId).catch((e: unknown) => e);
    expect(refused, String(refused)).to.be.instanceOf(TxRevertedError);
    expect((refused as Error).message).to.match(
      /^The transaction to withdraw [0-9.]+ USDC of credit would revert: USDC is paused by its issuer: no transfer, approval or permit works until it is unpaused; nothing was spent, try again later\.$/,
    );
    expect(await nodeCreditOf(world.gov, node.identity.address)).to.equal(credit);

    await world.gov.usdc.unpause();
    const { amount } = await withdrawNodeCredit(contracts, sender, nodeId);
    expect(amount).to.equal(credit);
    expect(await world.gov.usdc.balanceOf(node.identity.address)).to.equal(operatorBefore + credit);
    expect(await nodeCreditOf(world.gov, node.identity.address)).to.equal(0n);
  });
});
