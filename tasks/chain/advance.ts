import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { UserError, runTask } from "../lib/errors.js";

/** Local chains only: mines blocks and moves time forward so a proposal cycle takes seconds. */
export default async function advance(args: { blocks: number; seconds: number }, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const { provider, ethers } = await hre.network.getOrCreate();
    const chainId = (await ethers.provider.getNetwork()).chainId;
    if (chainId !== 31337n) throw new UserError(`chain:advance only works on a local chain (31337), not chain ${chainId}.`);
    if (args.blocks < 0 || args.seconds < 0) throw new UserError("--blocks and --seconds must not be negative.");
    if (args.seconds > 0) await provider.request({ method: "evm_increaseTime", params: [args.seconds] });
    if (args.blocks > 0) {
      await provider.request({ method: "hardhat_mine", params: [`0x${args.blocks.toString(16)}`] });
    } else if (args.seconds > 0) {
      await provider.request({ method: "evm_mine", params: [] });
    }
    const block = await ethers.provider.getBlock("latest");
    console.log(`Now at block ${block!.number}, time ${new Date(block!.timestamp * 1000).toISOString()}.`);
  });
}
