/**
 * The machine-readable deployment file: one per chain, `deployments/chain-<chainId>.json`.
 * Written by the deployer (devnet or a production deploy), read by every agent and task.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { CdnError } from "../protocol/errors.js";

/** Where deployment files live; CDN_DEPLOYMENTS_DIR overrides it (tests, several local chains). */
export const DEPLOYMENTS_DIR = process.env.CDN_DEPLOYMENTS_DIR ? path.resolve(process.env.CDN_DEPLOYMENTS_DIR) : path.resolve(import.meta.dirname, "../../deployments");

/** Contract names as they appear in the deployment file (and as artifact names). */
export const CONTRACT_NAMES = ["CdnToken", "CdnTimelock", "CdnGovernor", "ProtocolParams", "NodeRegistry", "OriginRegistry", "ContentBlacklist", "PaymentChannel"] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];

/** Chain ids of local development chains (Hardhat and anvil both default to 31337). */
export const LOCAL_CHAIN_IDS: readonly bigint[] = [31337n];
export const isLocalChain = (chainId: bigint): boolean => LOCAL_CHAIN_IDS.includes(chainId);

export interface Deployment {
  chainId: number;
  network: string;
  /** Block of the first deployment transaction: watchers start their logs here. */
  deploymentBlock: number;
  deployedAt: string;
  /** The USDC token the protocol uses (TestUSDC, a USDC-shaped token, on a devnet). */
  usdc: string;
  /** The token's EIP-712 permit domain, only for a token that publishes neither EIP-5267 nor name()/version(). */
  usdcPermitDomain?: { name: string; version: string };
  contracts: Partial<Record<ContractName, string>>;
}

export class DeploymentError extends CdnError {
  readonly code = "ERR_DEPLOYMENT";
}

export function deploymentPath(chainId: number | bigint, dir = DEPLOYMENTS_DIR): string {
  return path.join(dir, `chain-${chainId}.json`);
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** Reads and validates the deployment file of `chainId`; throws a DeploymentError with one readable sentence. */
export function readDeployment(chainId: number | bigint, dir = DEPLOYMENTS_DIR): Deployment {
  const file = deploymentPath(chainId, dir);
  if (!existsSync(file)) {
    throw new DeploymentError(`No deployment for chain ${chainId}: ${path.relative(process.cwd(), file)} does not exist (on a local chain, start it with \`npm run devnet\`).`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (cause) {
    throw new DeploymentError(`The deployment file ${file} is not valid JSON.`, { cause });
  }
  const d = parsed as Deployment;
  if (typeof d !== "object" || d === null || Number(d.chainId) !== Number(chainId)) {
    throw new DeploymentError(`The deployment file ${file} is for chain ${String(d?.chainId)}, not ${chainId}.`);
  }
  if (!Number.isInteger(d.deploymentBlock) || d.deploymentBlock < 0) {
    throw new DeploymentError(`The deployment file ${file} has no valid deploymentBlock.`);
  }
  for (const [name, address] of Object.entries(d.contracts ?? {})) {
    if (!(CONTRACT_NAMES as readonly string[]).includes(name) || !ADDRESS.test(String(address))) {
      throw new DeploymentError(`The deployment file ${file} has an invalid entry ${name}: ${String(address)}.`);
    }
  }
  return d;
}

export function writeDeployment(deployment: Deployment, dir = DEPLOYMENTS_DIR): string {
  mkdirSync(dir, { recursive: true });
  const file = deploymentPath(deployment.chainId, dir);
  writeFileSync(file, JSON.stringify(deployment, null, 2) + "\n");
  return file;
}

/** The address of `name`, or a DeploymentError naming what is missing. */
export function addressOf(deployment: Deployment, name: ContractName): string {
  const address = deployment.contracts[name];
  if (!address) throw new DeploymentError(`${name} is not deployed on chain ${deployment.chainId}.`);
  return address;
}
