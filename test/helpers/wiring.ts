/** Checks shared by the contracts' deployment tests. */
import { expect } from "chai";
import { ZeroAddress } from "ethers";
import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";

/**
 * Deploying contract `name` with any one of `required` (its constructor's wiring addresses, in order)
 * replaced by the zero address reverts `<name>ZeroAddress`. `optional` follows them unchanged (a
 * constructor argument that may be zero).
 */
export async function expectRejectsZeroAddresses(ethers: HardhatEthers, name: string, required: unknown[], optional: unknown[] = []) {
  const factory = await ethers.getContractFactory(name);
  for (let i = 0; i < required.length; i++) {
    const args = [...required.map((a, j) => (j === i ? ZeroAddress : a)), ...optional];
    await expect(factory.deploy(...args), `${name} with argument ${i} zero`).to.be.revertedWithCustomError(factory, `${name}ZeroAddress`);
  }
}
