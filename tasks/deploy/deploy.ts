import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import path from "node:path";
import { deployProtocol } from "../../deploy/deploy.js";
import { UserError, runTask } from "../lib/errors.js";

/**
 * Deploys the DAO core and the protocol to the connected network on top of the chain's USDC
 * (deploy/parameters/<network>.json, or --parameters), then writes deployments/chain-<id>.json.
 */
export default async function deploy(args: { parameters: string; deploymentId: string }, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const connection = await hre.network.getOrCreate();
    const name = args.parameters.trim() || connection.networkName;
    let result;
    try {
      result = await deployProtocol(connection, { networkName: connection.networkName, parameters: name, deploymentId: args.deploymentId.trim() || undefined });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        throw new UserError(`No parameters file for "${name}": write deploy/parameters/${name}.json (see docs/deploy.md) or pass --parameters <file.json>.`, { cause: error });
      }
      throw error;
    }
    const { deployment, file } = result;
    console.log(`Deployed to chain ${deployment.chainId} (${deployment.network}) on USDC ${deployment.usdc}; wrote ${path.relative(process.cwd(), file)}:`);
    for (const [contract, address] of Object.entries(deployment.contracts)) console.log(`  ${contract.padEnd(16)} ${address}`);
  });
}
