import { expect } from "chai";
import { network } from "hardhat";
import { MaxUint256, TypedDataEncoder, id } from "ethers";
import { signPermit } from "../../agents/chain/permit.js";
import type { TestUSDC } from "../../types/ethers-contracts/index.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;
const USDC = 1_000_000n;

/** The devnet's token behaves like Circle's FiatTokenV2_2 wherever the protocol touches it. */
describe("TestUSDC (USDC-shaped)", () => {
  async function fixture() {
    const [admin, alice, bob, carol] = await ethers.getSigners();
    const usdc = (await ethers.deployContract("TestUSDC", [admin.address])) as unknown as TestUSDC;
    await usdc.mint(alice.address, 100n * USDC);
    return { usdc, admin, alice, bob, carol };
  }
  let c: Awaited<ReturnType<typeof fixture>>;
  beforeEach(async () => {
    c = await networkHelpers.loadFixture(fixture);
  });

  it("is USD Coin, 6 decimals, EIP-712 version 2, and has no eip712Domain() (EIP-5267)", async () => {
    expect(await c.usdc.name()).to.equal("USD Coin");
    expect(await c.usdc.symbol()).to.equal("USDC");
    expect(await c.usdc.decimals()).to.equal(6n);
    expect(await c.usdc.version()).to.equal("2");
    const { chainId } = await ethers.provider.getNetwork();
    const domain = { name: "USD Coin", version: "2", chainId, verifyingContract: await c.usdc.getAddress() };
    expect(await c.usdc.DOMAIN_SEPARATOR()).to.equal(TypedDataEncoder.hashDomain(domain));
    const selector = id("eip712Domain()").slice(0, 10);
    expect(c.usdc.interface.hasFunction("eip712Domain()")).to.equal(false);
    const answer = await ethers.provider.call({ to: await c.usdc.getAddress(), data: selector }).then(
      () => "answered",
      (error: Error) => error.message,
    );
    expect(answer).to.include("function selector was not recognized");
  });

  it("the variant with EIP-5267 publishes the same domain", async () => {
    const token = await ethers.deployContract("TestUSDCWithDomain", [c.admin.address]);
    const d = await token.eip712Domain();
    expect([d[0], d[1], d[2], d[4]]).to.deep.equal(["0x0f", "USD Coin", "2", await token.getAddress()]);
  });

  it("transfers over the balance revert with USDC's message; a self-transfer succeeds", async () => {
    await expect(c.usdc.connect(c.alice).transfer(c.bob.address, 101n * USDC)).to.be.revertedWith("ERC20: transfer amount exceeds balance");
    await expect(c.usdc.connect(c.alice).transfer(c.alice.address, 100n * USDC)).to.emit(c.usdc, "Transfer");
    expect(await c.usdc.balanceOf(c.alice.address)).to.equal(100n * USDC);
  });

  it("a maximum allowance still decreases on transferFrom", async () => {
    await c.usdc.connect(c.alice).approve(c.bob.address, MaxUint256);
    await c.usdc.connect(c.bob).transferFrom(c.alice.address, c.carol.address, 5n * USDC);
    expect(await c.usdc.allowance(c.alice.address, c.bob.address)).to.equal(MaxUint256 - 5n * USDC);
    await c.usdc.connect(c.alice).approve(c.bob.address, 1n);
    await expect(c.usdc.connect(c.bob).transferFrom(c.alice.address, c.carol.address, 2n)).to.be.revertedWith("ERC20: transfer amount exceeds allowance");
  });

  it("a blacklisted address can neither send, receive, approve nor permit", async () => {
    await c.usdc.connect(c.admin).blacklist(c.bob.address);
    expect(await c.usdc.isBlacklisted(c.bob.address)).to.equal(true);
    const listed = "Blacklistable: account is blacklisted";
    await expect(c.usdc.connect(c.alice).transfer(c.bob.address, 1n)).to.be.revertedWith(listed);
    await expect(c.usdc.connect(c.bob).transfer(c.alice.address, 0n)).to.be.revertedWith(listed);
    await expect(c.usdc.connect(c.alice).approve(c.bob.address, 1n)).to.be.revertedWith(listed);
    await c.usdc.connect(c.alice).approve(c.carol.address, 10n);
    await expect(c.usdc.connect(c.carol).transferFrom(c.alice.address, c.bob.address, 1n)).to.be.revertedWith(listed);
    const deadline = BigInt(await time.latest()) + 3600n;
    const p = await signPermit(c.alice, await c.usdc.getAddress(), { spender: c.bob.address, value: 1n, deadline });
    await expect(c.usdc.permit(c.alice.address, c.bob.address, 1n, deadline, p.v, p.r, p.s)).to.be.revertedWith(listed);
    await expect(c.usdc.connect(c.alice).blacklist(c.carol.address)).to.be.revertedWith("UsdcShapedToken: caller is not the admin");
    await c.usdc.connect(c.admin).unBlacklist(c.bob.address);
    await expect(c.usdc.connect(c.alice).transfer(c.bob.address, 1n)).to.emit(c.usdc, "Transfer");
  });

  it("while paused, transfer, transferFrom, approve and permit revert", async () => {
    await c.usdc.connect(c.alice).approve(c.bob.address, 10n);
    const deadline = BigInt(await time.latest()) + 3600n;
    const p = await signPermit(c.alice, await c.usdc.getAddress(), { spender: c.carol.address, value: 1n, deadline });
    await c.usdc.connect(c.admin).pause();
    const paused = "Pausable: paused";
    await expect(c.usdc.connect(c.alice).transfer(c.bob.address, 1n)).to.be.revertedWith(paused);
    await expect(c.usdc.connect(c.bob).transferFrom(c.alice.address, c.bob.address, 1n)).to.be.revertedWith(paused);
    await expect(c.usdc.connect(c.alice).approve(c.bob.address, 1n)).to.be.revertedWith(paused);
    await expect(c.usdc.permit(c.alice.address, c.carol.address, 1n, deadline, p.v, p.r, p.s)).to.be.revertedWith(paused);
    await c.usdc.connect(c.admin).unpause();
    await c.usdc.permit(c.alice.address, c.carol.address, 1n, deadline, p.v, p.r, p.s);
    expect(await c.usdc.allowance(c.alice.address, c.carol.address)).to.equal(1n);
  });

  it("permit: sets the allowance once; an expired, replayed or foreign signature reverts", async () => {
    const token = await c.usdc.getAddress();
    const now = BigInt(await time.latest());
    const p = await signPermit(c.alice, token, { spender: c.bob.address, value: 7n, deadline: now + 100n });
    await c.usdc.permit(c.alice.address, c.bob.address, 7n, now + 100n, p.v, p.r, p.s);
    expect(await c.usdc.allowance(c.alice.address, c.bob.address)).to.equal(7n);
    expect(await c.usdc.nonces(c.alice.address)).to.equal(1n);
    await expect(c.usdc.permit(c.alice.address, c.bob.address, 7n, now + 100n, p.v, p.r, p.s)).to.be.revertedWith("EIP2612: invalid signature");
    const old = await signPermit(c.alice, token, { spender: c.bob.address, value: 1n, deadline: now });
    await time.increase(10);
    await expect(c.usdc.permit(c.alice.address, c.bob.address, 1n, now, old.v, old.r, old.s)).to.be.revertedWith("FiatTokenV2: permit is expired");
  });
});
