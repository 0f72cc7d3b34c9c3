import { expect } from "chai";
import { network } from "hardhat";
import { Wallet, encodeBytes32String } from "ethers";
import { chainError, decodeRevert, describeRevert, ChainRevertError, NoEthError } from "../../../agents/chain/errors.js";
import { checkFunds, InsufficientUsdcError, UsdcBlacklistedError, UsdcPausedError } from "../../../agents/chain/funds.js";
import { InsufficientEthError } from "../../../agents/chain/tx-sender.js";
import { deployGovernance } from "../../helpers/governance.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const USDC = 1_000_000n;

/** The one chain-error decoder: every revert a user can meet becomes one sentence with the way forward. */
describe("chain/errors › one sentence per chain error", function () {
  this.timeout(60_000);
  const fixture = () => deployGovernance(connection);
  let gov: Awaited<ReturnType<typeof fixture>>;
  beforeEach(async () => {
    gov = await networkHelpers.loadFixture(fixture);
  });
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => expect.fail("did not fail"),
      (e: unknown) => e,
    );

  it("USDC's revert strings: balance, allowance, blacklist, pause", async () => {
    const [admin, alice, bob] = (await ethers.getSigners()).slice(0, 1).concat((await ethers.getSigners()).slice(10, 12));
    const token = gov.usdc;
    expect(describeRevert(await failure(token.connect(alice).transfer(bob.address, 1n)))).to.equal("The USDC transfer failed: the account holds less USDC than it needs; add USDC and try again.");
    expect(describeRevert(await failure(token.connect(bob).transferFrom(alice.address, bob.address, 1n)))).to.match(/^The USDC transfer failed: the contract may not spend that much/);
    await token.mint(alice.address, 10n * USDC);
    await token.connect(admin).blacklist(bob.address);
    const listed = decodeRevert(await failure(token.connect(alice).transfer(bob.address, 1n)));
    expect(listed).to.be.instanceOf(ChainRevertError);
    expect(listed!.reason).to.equal("Blacklistable: account is blacklisted");
    expect(listed!.message).to.equal(
      "USDC refused: an account in this transfer is blacklisted by the token's issuer, so it can neither send nor receive USDC; a payout owed to it stays in PaymentChannel as withdrawable credit.",
    );
    await token.connect(admin).pause();
    expect(describeRevert(await failure(token.connect(alice).transfer(admin.address, 1n)))).to.equal(
      "USDC is paused by its issuer: no transfer, approval or permit works until it is unpaused; nothing was spent, try again later.",
    );
  });

  it("custom errors of the project's contracts, with values and units", async () => {
    const who = (await ethers.getSigners())[12];
    expect(describeRevert(await failure(gov.channels.connect(who).withdraw()))).to.equal(`${who.address} has no withdrawable credit in PaymentChannel: there is nothing to withdraw.`);
    expect(describeRevert(await failure(gov.channels.connect(who).withdrawNodeCredit(7n)))).to.equal(
      `${who.address} is not the operator recorded for node 7: only that operator may withdraw the node's credit.`,
    );
    const tooMuch = await failure(gov.params.connect(who).setParameter(encodeBytes32String("disputeWindow"), 1n));
    expect(describeRevert(tooMuch)).to.equal(`${who.address} may not change protocol parameters: only the DAO's timelock can (propose it with gov:propose).`);
    const error = await failure(gov.registry.connect(who).deregister(99n));
    expect(describeRevert(error)).to.equal("There is no node 99: check the node id (npx hardhat node:list).");
    // a task's formatter gives units
    const decoded = decodeRevert(await failure(gov.params.validateChange(encodeBytes32String("protocolFeeBps"), 5000n, 2n ** 40n)), {
      formatParam: (_k, v) => `${Number(v) / 100} %`,
    });
    expect(decoded!.message).to.equal("protocolFeeBps = 50 % is above its hard maximum 20 %.");
  });

  it("no ETH: the node's refusal becomes NoEthError; an unreachable RPC says so", async () => {
    const poor = Wallet.createRandom().connect(ethers.provider);
    const noEth = chainError(await failure(poor.sendTransaction({ to: poor.address, value: 0n })), "send a test transaction");
    expect(noEth).to.be.instanceOf(NoEthError);
    expect(noEth.message).to.equal("Could not send a test transaction: the account has too little ETH to pay for gas; send it ETH and try again.");
    const { JsonRpcProvider } = await import("ethers");
    const down = new JsonRpcProvider("http://127.0.0.1:9", 31337, { staticNetwork: true });
    try {
      const unreachable = chainError(await failure(down.getBlockNumber()), "read the chain");
      expect(unreachable.message).to.match(/^Could not read the chain: the chain's RPC endpoint did not answer .*; check rpcUrl and that the node is running\.$/);
    } finally {
      down.destroy();
    }
  });

  describe("checkFunds: refused before anything is signed", () => {
    const contracts = () => ({ usdc: gov.usdc as never, provider: ethers.provider as never });
    const need = { usdc: 1_760_000n, gas: 250_000n, purpose: "a deposit of 1.76 USDC" };

    it("too little USDC: how much it has and how much is needed", async () => {
      const account = Wallet.createRandom().address;
      await networkHelpers.setBalance(account, 10n ** 18n);
      await gov.usdc.mint(account, 1n * USDC);
      const error = await failure(checkFunds(contracts(), account, need));
      expect(error).to.be.instanceOf(InsufficientUsdcError);
      expect((error as Error).message).to.equal(`Account ${account} holds 1.0 USDC, too little for a deposit of 1.76 USDC: send it at least 0.76 USDC more and try again.`);
    });

    it("no ETH for gas", async () => {
      const account = Wallet.createRandom().address;
      await gov.usdc.mint(account, 5n * USDC);
      const error = await failure(checkFunds(contracts(), account, need));
      expect(error).to.be.instanceOf(InsufficientEthError);
      expect((error as Error).message).to.match(
        new RegExp(`^Account ${account} has 0\\.0 ETH, but to pay a deposit of 1\\.76 USDC it needs up to [0-9.]+ ETH for gas; send ETH to it and try again\\.$`),
      );
    });

    it("paused token and blacklisted account", async () => {
      const account = Wallet.createRandom().address;
      await networkHelpers.setBalance(account, 10n ** 18n);
      await gov.usdc.mint(account, 5n * USDC);
      await gov.usdc.connect(gov.deployer).blacklist(account);
      const listed = await failure(checkFunds(contracts(), account, need));
      expect(listed).to.be.instanceOf(UsdcBlacklistedError);
      expect((listed as Error).message).to.equal(
        `Account ${account} is blacklisted by USDC's issuer: it can neither send nor receive USDC, so a deposit of 1.76 USDC cannot be paid from it; use another account.`,
      );
      await gov.usdc.connect(gov.deployer).pause();
      const paused = await failure(checkFunds(contracts(), account, need));
      expect(paused).to.be.instanceOf(UsdcPausedError);
      expect((paused as Error).message).to.equal(
        "USDC is paused by its issuer, so a deposit of 1.76 USDC cannot be paid now (no transfer, approval or permit works); nothing was sent: try again once it is unpaused.",
      );
    });
  });
});
