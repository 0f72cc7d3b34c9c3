/**
 * The transaction sender against a real chain (anvil): nonces in order under concurrency and after
 * another sender used the account, the pre-flight checks (no ETH, a revert, a base fee above the
 * cap) that send nothing, a stuck transaction replaced with higher fees under the same nonce, a
 * dropped one re-signed, and a receipt that a reorg removed: broadcast again, counted once.
 */
import { expect } from "chai";
import { Wallet, parseEther, parseUnits } from "ethers";
import { FeeCapError, InsufficientEthError, TxRevertedError, TxSender } from "../../../agents/chain/tx-sender.js";
import { reorgOut, startAnvil, type TestAnvil } from "../../helpers/anvil.js";

// initcode of a contract whose every call reverts (runtime: PUSH1 0 PUSH1 0 REVERT)
const ALWAYS_REVERTS = "0x6460006000fd6000526005601bf3";

describe("chain › tx-sender (anvil)", function () {
  this.timeout(60_000);
  let chain: TestAnvil;

  beforeEach(async () => {
    chain = await startAnvil();
  });
  afterEach(async () => {
    await chain.stop();
  });

  const funded = async (eth = "1") => {
    const wallet = Wallet.createRandom().connect(chain.provider);
    await chain.provider.send("anvil_setBalance", [wallet.address, "0x" + parseEther(eth).toString(16)]);
    return wallet;
  };

  it("sends concurrent transactions with consecutive nonces, and recovers after another sender used the account", async () => {
    const wallet = await funded();
    const sender = new TxSender({}, { signer: wallet });
    const to = Wallet.createRandom().address;
    const sent = await Promise.all([1, 2, 3, 4, 5].map((i) => sender.send({ to, value: BigInt(i) }, { label: `pay ${i} wei` })));
    expect(sent.map((s) => s.nonce)).to.deep.equal([0, 1, 2, 3, 4]);
    await Promise.all(sent.map((s) => s.wait()));
    expect(await chain.provider.getBalance(to)).to.equal(15n);
    // the same key used elsewhere (another process): the sender's count is behind the chain's
    await (await wallet.sendTransaction({ to, value: 100n, nonce: 5 })).wait();
    const receipt = await sender.sendAndWait({ to, value: 1000n });
    expect(receipt.status).to.equal(1);
    expect(await chain.provider.getBalance(to)).to.equal(1115n);
    expect(await chain.provider.getTransactionCount(wallet.address)).to.equal(7);
  });

  it("refuses with one sentence, sending nothing: no ETH, a call that would revert, a base fee above the cap", async () => {
    const empty = Wallet.createRandom().connect(chain.provider);
    const poor = new TxSender({}, { signer: empty });
    const error = await poor.sendAndWait({ to: Wallet.createRandom().address, value: 0n }, { label: "open a channel" }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(InsufficientEthError);
    expect((error as Error).message).to.match(/^Account 0x[0-9a-fA-F]{40} has 0\.0 ETH, but to open a channel it needs up to 0\.\d+ ETH for gas; send ETH to it and try again\.$/);
    expect((error as InsufficientEthError).code).to.equal("ERR_INSUFFICIENT_ETH");

    const wallet = await funded();
    const deployer = new TxSender({}, { signer: wallet });
    const deployed = await deployer.sendAndWait({ data: ALWAYS_REVERTS });
    const reverting = deployed.contractAddress!;
    const reverted = await deployer.sendAndWait({ to: reverting, data: "0x12345678" }, { label: "claim" }).catch((e: unknown) => e);
    expect(reverted).to.be.instanceOf(TxRevertedError);
    expect((reverted as Error).message).to.match(/^The transaction to claim would revert: /);
    expect(await chain.provider.getTransactionCount(wallet.address)).to.equal(1); // only the deployment

    const capped = new TxSender({ maxFeePerGas: 1n }, { signer: wallet });
    const tooDear = await capped.sendAndWait({ to: Wallet.createRandom().address, value: 0n }, { label: "dispute" }).catch((e: unknown) => e);
    expect(tooDear).to.be.instanceOf(FeeCapError);
    expect((tooDear as Error).message).to.match(
      /^The network's base fee is [\d.]+ gwei, above the configured cap of 0\.000000001 gwei \(maxFeePerGas\), so the transaction to dispute was not sent; wait for cheaper blocks or raise the cap\.$/,
    );
    expect(await chain.provider.getTransactionCount(wallet.address)).to.equal(1);
  });

  it("replaces a stuck transaction with higher fees under the same nonce, within the cap; it lands once", async () => {
    const wallet = await funded();
    const cap = parseUnits("50", "gwei");
    const sender = new TxSender({ replaceAfterMs: 300, pollMs: 100, maxFeePerGas: cap }, { signer: wallet });
    await chain.provider.send("evm_setAutomine", [false]);
    const to = Wallet.createRandom().address;
    const sent = await sender.send({ to, value: 7n }, { label: "pay" });
    const waiting = sent.wait();
    const deadline = Date.now() + 20_000;
    while (sent.hashes.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(sent.hashes.length).to.be.at.least(3);
    const fees = await Promise.all(sent.hashes.map(async (h) => (await chain.provider.getTransaction(h))?.maxFeePerGas ?? null));
    // anvil keeps only the newest transaction of a nonce in its pool; each signed one had higher fees
    const pool = fees.filter((f): f is bigint => f !== null);
    expect(pool.every((f) => f <= cap)).to.equal(true);
    await chain.provider.send("evm_mine", []);
    const receipt = await waiting;
    expect(sent.hashes).to.include(receipt.hash);
    expect(receipt.hash).to.equal(sent.hashes.at(-1));
    expect(await chain.provider.getBalance(to)).to.equal(7n);
    expect(await chain.provider.getTransactionCount(wallet.address)).to.equal(1);
  });

  it("re-signs a transaction the node dropped from its pool", async () => {
    const wallet = await funded();
    const sender = new TxSender({ replaceAfterMs: 300, pollMs: 100 }, { signer: wallet });
    await chain.provider.send("evm_setAutomine", [false]);
    const to = Wallet.createRandom().address;
    const sent = await sender.send({ to, value: 9n });
    await chain.provider.send("anvil_dropTransaction", [sent.hashes[0]]);
    const waiting = sent.wait();
    const deadline = Date.now() + 20_000;
    while (sent.hashes.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await chain.provider.send("evm_mine", []);
    const receipt = await waiting;
    expect(receipt.hash).to.not.equal(sent.hashes[0]);
    expect(await chain.provider.getBalance(to)).to.equal(9n);
  });

  it("waits for the configured confirmations; a receipt removed by a reorg is broadcast again and counted once", async () => {
    const wallet = await funded();
    const sender = new TxSender({ confirmations: 2, pollMs: 100 }, { signer: wallet });
    const to = Wallet.createRandom().address;
    const sent = await sender.send({ to, value: 11n }, { label: "claim" });
    let done = false;
    const waiting = sent.wait().finally(() => (done = true));
    const first = await chain.provider.waitForTransaction(sent.hashes[0]);
    expect(first!.status).to.equal(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(done).to.equal(false); // mined, but no confirmation yet
    await reorgOut(chain.provider, 1); // the including block is replaced by an empty one
    expect(await chain.provider.getTransactionReceipt(sent.hashes[0])).to.equal(null);
    // the sender notices and broadcasts the same signed transaction again (automine mines it)
    const deadline = Date.now() + 20_000;
    while (!(await chain.provider.getTransactionReceipt(sent.hashes[0])) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const again = await chain.provider.getTransactionReceipt(sent.hashes[0]);
    expect(again, "re-broadcast after the reorg").to.not.equal(null);
    expect(done).to.equal(false);
    await chain.provider.send("anvil_mine", ["0x2"]);
    const receipt = await waiting;
    expect((await chain.provider.getBlockNumber()) - receipt.blockNumber).to.be.at.least(2);
    expect(await chain.provider.getBalance(to)).to.equal(11n);
    expect(await chain.provider.getTransactionCount(wallet.address)).to.equal(1);
  });
});
