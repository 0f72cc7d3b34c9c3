/**
 * Deploys the whole protocol through the Ignition modules and writes the deployment file that
 * agents and tasks read. Used by `npm run devnet` and by the end-to-end tests.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import type { NetworkConnection } from "hardhat/types/network";
import type { DeploymentParameters } from "@nomicfoundation/ignition-core";
import DevnetModule from "./modules/Devnet.js";
import { loadParameters } from "./parameters.js";
import { writeDeployment, type Deployment } from "../agents/chain/deployment.js";

export interface DeployResult {
  deployment: Deployment;
  file: string;
}

export async function deployDevnet(
  connection: NetworkConnection,
  options: { networkName: string; parameters?: string; deploymentsDir?: string },
): Promise<DeployResult> {
  const { ethers, ignition } = connection;
  const chainId = Number((await ethers.provider.getNetwork()).chainId);
  const startBlock = (await ethers.provider.getBlockNumber()) + 1;
  // A fresh journal per run: a restarted local chain reuses the chain id, not the contracts.
  const deploymentId = `devnet-${chainId}`;
  rmSync(path.resolve(import.meta.dirname, "../ignition/deployments", deploymentId), { recursive: true, force: true });
  const deployed = await ignition.deploy(DevnetModule, {
    parameters: loadParameters(options.parameters ?? "localhost") as DeploymentParameters,
    deploymentId,
    displayUi: false,
    // a local chain: one confirmation (Ignition asks 5 on a chain that does not automine, e.g. anvil --block-time)
    config: { requiredConfirmations: 1 },
  });
  const address = async (c: { getAddress(): Promise<string> }) => c.getAddress();
  const usdc = await address(deployed.usdc);
  const deployment: Deployment = {
    chainId,
    network: options.networkName,
    deploymentBlock: startBlock,
    deployedAt: new Date().toISOString(),
    usdc,
    contracts: {
      CdnToken: await address(deployed.token),
      CdnTimelock: await address(deployed.timelock),
      CdnGovernor: await address(deployed.governor),
      ProtocolParams: await address(deployed.params),
      MockUSDC: usdc,
      NodeRegistry: await address(deployed.registry),
      OriginRegistry: await address(deployed.origins),
      ContentBlacklist: await address(deployed.blacklist),
      PaymentChannel: await address(deployed.channels),
    },
  };
  const file = writeDeployment(deployment, options.deploymentsDir);
  return { deployment, file };
}
