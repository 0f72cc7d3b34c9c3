import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { formatUnits } from "ethers";
import { runTask } from "../lib/errors.js";
import { signerFor, taskContext } from "../lib/context.js";

const usdc = (v: bigint) => `${formatUnits(v, 6)} USDC`;

/**
 * `treasury:withdraw`: PaymentChannel keeps the protocol fees (and the treasury's share of slashes)
 * until someone calls `withdrawTreasury`, which always pays the fixed treasury address; any account
 * may send it. Shows what is owed first and sends nothing when that is zero.
 */
export default async function withdrawTreasury(args: { from: string }, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const ctx = await taskContext(hre);
    const treasury = await ctx.channels.TREASURY();
    const [{ accrued, owed: fees }, credit] = await Promise.all([ctx.channels.protocolFees(), ctx.channels.withdrawable(treasury)]);
    const owed = fees + credit;
    console.log(`Treasury ${treasury}: protocol fees owed ${usdc(fees)} (${usdc(accrued)} accrued in all), slash shares ${usdc(credit)}.`);
    if (owed === 0n) {
      console.log("Nothing to withdraw: no transaction sent.");
      return;
    }
    const signer = await signerFor(ctx, args.from);
    const receipt = await (await ctx.channels.connect(signer).withdrawTreasury()).wait();
    console.log(`Paid ${usdc(owed)} to the treasury ${treasury} (transaction ${receipt!.hash}, sent by ${await signer.getAddress()}).`);
  });
}
