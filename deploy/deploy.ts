/**
 * Deploys the protocol through the Ignition modules and writes the deployment file that agents and
 * tasks read. On a chain whose USDC exists (parameters `Production.usdc`) through ./modules/Production.ts
 * (its Ignition journal is kept, so an interrupted deployment resumes); on a local chain without
 * one, through ./modules/Devnet.ts with a fresh TestUSDC. Used by `npm run devnet`, the
 * `protocol:deploy` task and the end-to-end tests.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import type { NetworkConnection } from "hardhat/types/network";
import type { DeploymentParameters } from "@nomicfoundation/ignition-core";
import { isAddress } from "ethers";
import DevnetModule from "./modules/Devnet.js";
import { productionModule } from "./modules/Production.js";
import { loadParameters, type ModuleParameters } from "./parameters.js";
import { isLocalChain, readDeployment, writeDeployment, type Deployment } from "../agents/chain/deployment.js";
import { IUSDC__factory } from "../types/ethers-contracts/index.js";
import { CdnError } from "../agents/protocol/errors.js";

export interface DeployResult {
  deployment: Deployment;
  file: string;
}

export class DeployError extends CdnError {
  readonly code = "ERR_DEPLOY";
}

const ignitionDir = path.resolve(import.meta.dirname, "../ignition/deployments");

/** Checks that `usdc` is a 6-decimal ERC-20 on this chain before anything is deployed on top of it. */
async function checkToken(connection: NetworkConnection, usdc: string): Promise<void> {
  if (!isAddress(usdc)) throw new DeployError(`Production.usdc must be an address, not "${usdc}".`);
  const provider = connection.ethers.provider;
  if ((await provider.getCode(usdc)) === "0x") throw new DeployError(`There is no contract at Production.usdc ${usdc} on this chain: check the token address for this network.`);
  const token = IUSDC__factory.connect(usdc, provider);
  let decimals: bigint;
  try {
    decimals = await token.decimals();
  } catch (cause) {
    throw new DeployError(`The contract at Production.usdc ${usdc} is not an ERC-20 token (decimals() failed).`, { cause });
  }
  if (decimals !== 6n) throw new DeployError(`The token at Production.usdc ${usdc} has ${decimals} decimals; the protocol's bond curve and prices are in 6-decimal USDC.`);
}

/**
 * Deploys to the connected chain with `options.parameters` (a name under deploy/parameters/, or
 * already-loaded parameters). Refuses to deploy a test token anywhere but a local chain.
 */
export async function deployProtocol(
  connection: NetworkConnection,
  options: { networkName: string; parameters?: string | ModuleParameters; deploymentsDir?: string; deploymentId?: string },
): Promise<DeployResult> {
  const { ethers, ignition } = connection;
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const parameters =
    typeof options.parameters === "object" ? options.parameters : loadParameters(options.parameters ?? options.networkName);
  const production = parameters.Production as { usdc?: string; treasury?: string } | undefined;
  const usdcAddress = production?.usdc;
  if (usdcAddress === undefined && !isLocalChain(chainId)) {
    throw new DeployError(`Chain ${chainId} is not a local chain: its parameters must name the chain's USDC as Production.usdc (see docs/deploy.md).`);
  }
  if (usdcAddress !== undefined) await checkToken(connection, usdcAddress);
  if (production?.treasury !== undefined && !isAddress(production.treasury)) {
    throw new DeployError(`Production.treasury must be an address, not "${production.treasury}".`);
  }
  const startBlock = (await ethers.provider.getBlockNumber()) + 1;
  let deploymentId: string;
  if (usdcAddress === undefined) {
    // A fresh journal per run: a restarted local chain reuses the chain id, not the contracts. Two
    // devnets side by side (scripts/devnet.ts --port) pass their own id so neither deletes the other's.
    deploymentId = options.deploymentId ?? `devnet-${chainId}`;
    rmSync(path.join(ignitionDir, deploymentId), { recursive: true, force: true });
  } else {
    deploymentId = options.deploymentId ?? `chain-${chainId}`;
  }
  const settings = {
    parameters: parameters as DeploymentParameters,
    deploymentId,
    displayUi: false,
    // a local chain: one confirmation (Ignition asks 5 on a chain that does not automine, e.g. anvil
    // --block-time), and a receipt check every 100 ms instead of every second (a devnet deploys in ~2 s, not ~10 s)
    ...(isLocalChain(chainId) ? { config: { requiredConfirmations: 1, blockPollingInterval: 100 } } : {}),
  };
  const deployed =
    usdcAddress === undefined
      ? await ignition.deploy(DevnetModule, settings)
      : await ignition.deploy(productionModule(production?.treasury !== undefined), settings);
  const address = async (c: { getAddress(): Promise<string> }) => c.getAddress();
  const deployment: Deployment = {
    chainId: Number(chainId),
    network: options.networkName,
    deploymentBlock: startBlock,
    deployedAt: new Date().toISOString(),
    usdc: await address(deployed.usdc),
    contracts: {
      CdnToken: await address(deployed.token),
      CdnTimelock: await address(deployed.timelock),
      CdnGovernor: await address(deployed.governor),
      ProtocolParams: await address(deployed.params),
      NodeRegistry: await address(deployed.registry),
      OriginRegistry: await address(deployed.origins),
      ContentBlacklist: await address(deployed.blacklist),
      PaymentChannel: await address(deployed.channels),
    },
  };
  // Re-running a finished deployment changes nothing on chain: keep the block watchers start from.
  const previous = previousDeployment(chainId, options.deploymentsDir);
  if (previous && previous.contracts.PaymentChannel === deployment.contracts.PaymentChannel) {
    deployment.deploymentBlock = previous.deploymentBlock;
    deployment.deployedAt = previous.deployedAt;
  }
  const file = writeDeployment(deployment, options.deploymentsDir);
  return { deployment, file };
}

function previousDeployment(chainId: bigint, dir?: string): Deployment | undefined {
  try {
    return readDeployment(chainId, dir);
  } catch {
    return undefined;
  }
}

/** The local devnet: deploy/parameters/localhost.json (or `parameters`) with a fresh TestUSDC. */
export async function deployDevnet(
  connection: NetworkConnection,
  options: { networkName: string; parameters?: string; deploymentsDir?: string; deploymentId?: string },
): Promise<DeployResult> {
  return deployProtocol(connection, { ...options, parameters: options.parameters ?? "localhost" });
}
