import { expect } from "chai";
import { network } from "hardhat";
import { permitDomain, signPermit, PermitDomainError } from "../../../agents/chain/permit.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;

/** Wallets read a token's permit domain from EIP-5267 when it has it, else from name() + version(). */
describe("chain/permit › the token's permit domain", () => {
  async function fixture() {
    const [admin, owner, spender] = await ethers.getSigners();
    const usdc = await ethers.deployContract("TestUSDC", [admin.address]);
    const withDomain = await ethers.deployContract("TestUSDCWithDomain", [admin.address]);
    const noDomain = await ethers.deployContract("ProtocolParams", [admin.address]); // a contract with neither
    return { admin, owner, spender, usdc, withDomain, noDomain };
  }
  let c: Awaited<ReturnType<typeof fixture>>;
  beforeEach(async () => {
    c = await networkHelpers.loadFixture(fixture);
  });

  for (const which of ["usdc", "withDomain"] as const) {
    it(`${which === "usdc" ? "without EIP-5267 (like USDC): name() + version()" : "with EIP-5267: eip712Domain()"}; the token accepts the signed permit`, async () => {
      const token = c[which];
      const address = await token.getAddress();
      const domain = await permitDomain(address, ethers.provider);
      expect(domain).to.deep.include({ name: "USD Coin", version: "2", verifyingContract: address });
      const deadline = BigInt(await time.latest()) + 3600n;
      const p = await signPermit(c.owner, address, { spender: c.spender.address, value: 42n, deadline });
      await token.permit(c.owner.address, c.spender.address, 42n, deadline, p.v, p.r, p.s);
      expect(await token.allowance(c.owner.address, c.spender.address)).to.equal(42n);
    });
  }

  it("is cached per token", async () => {
    const address = await c.usdc.getAddress();
    expect(await permitDomain(address, ethers.provider)).to.equal(await permitDomain(address, ethers.provider));
  });

  it("a token with neither needs the configured domain, and then uses it", async () => {
    const address = await c.noDomain.getAddress();
    const error = await permitDomain(address, ethers.provider).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(PermitDomainError);
    expect((error as Error).message).to.equal(
      `The token at ${address} publishes neither eip712Domain() nor name() and version(), so its permit domain is unknown: set usdcPermitDomain { "name", "version" } in the configuration.`,
    );
    const domain = await permitDomain(address, ethers.provider, { override: { name: "Some Coin", version: "7" } });
    expect(domain).to.deep.include({ name: "Some Coin", version: "7", verifyingContract: address });
  });

  it("a configured domain that contradicts the token's DOMAIN_SEPARATOR() is refused before anything is signed", async () => {
    const address = await c.usdc.getAddress();
    const error = await permitDomain(address, ethers.provider, { override: { name: "USD Coin", version: "1" } }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(PermitDomainError);
    expect((error as Error).message).to.equal(
      `The permit domain {"name":"USD Coin","version":"1"} does not match the token's DOMAIN_SEPARATOR() at ${address}: fix usdcPermitDomain in the configuration.`,
    );
  });
});
