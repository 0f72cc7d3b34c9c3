import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { formatEther, formatUnits, isAddress, parseEther, parseUnits, toBeHex } from "ethers";
import { isLocalChain, readDeployment } from "../../agents/chain/deployment.js";
import { TestUSDC__factory } from "../../types/ethers-contracts/index.js";
import { UserError, runTask } from "../lib/errors.js";

/**
 * Local chain only: gives `--to` test USDC (TestUSDC's faucet mint) and ETH (the dev node's
 * setBalance, which Hardhat and anvil both answer as `hardhat_setBalance`).
 */
export default async function fund(args: { to: string; usdc: string; eth: string }, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const { provider, ethers } = await hre.network.getOrCreate();
    const chainId = (await ethers.provider.getNetwork()).chainId;
    if (!isLocalChain(chainId)) throw new UserError(`devnet:fund only works on a local chain (31337: Hardhat or anvil), not chain ${chainId}: on a real chain, buy or bridge USDC and ETH.`);
    const to = args.to.trim();
    if (!isAddress(to)) throw new UserError(`--to must be an address, not "${args.to}".`);
    let usdc: bigint;
    let eth: bigint;
    try {
      usdc = parseUnits(args.usdc.trim() || "0", 6);
      eth = parseEther(args.eth.trim() || "0");
    } catch {
      throw new UserError(`--usdc and --eth must be amounts such as 100 or 0.5 (USDC to 6 decimals, ETH to 18), not "${args.usdc}" and "${args.eth}".`);
    }
    if (usdc < 0n || eth < 0n) throw new UserError("--usdc and --eth must not be negative.");
    if (usdc === 0n && eth === 0n) throw new UserError("Nothing to fund: give --usdc and/or --eth.");
    const deployment = readDeployment(chainId);
    const token = TestUSDC__factory.connect(deployment.usdc, (await ethers.getSigners())[0]);
    if (usdc > 0n) await (await token.mint(to, usdc)).wait();
    if (eth > 0n) {
      const balance = await ethers.provider.getBalance(to);
      await provider.request({ method: "hardhat_setBalance", params: [to, toBeHex(balance + eth)] });
    }
    const [usdcNow, ethNow] = await Promise.all([token.balanceOf(to), ethers.provider.getBalance(to)]);
    console.log(`${to} now holds ${formatUnits(usdcNow, 6)} USDC and ${formatEther(ethNow)} ETH.`);
  });
}
