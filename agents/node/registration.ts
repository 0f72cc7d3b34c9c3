/**
 * Registration, bonding and exit, as the operator's transactions: `registerWithPermit` (node-key
 * EIP-712 signature over the operator, metadata and nonce, plus a USDC permit: one transaction),
 * `deregister`, then `withdraw` once the unbonding period is over. Each is sent by the operator
 * account's TxSender (agents/chain/tx-sender.ts): pre-flight, fee cap, ETH check, confirmations.
 */
import { formatUnits, type Wallet } from "ethers";
import type { Contracts } from "../chain/contracts.js";
import { chainError } from "../chain/errors.js";
import { checkFunds } from "../chain/funds.js";
import { permitDeadline, signUsdcPermit } from "../chain/permit.js";
import { metadataHash } from "../chain/registry.js";
import { TxSender } from "../chain/tx-sender.js";
import { domainFor, NodeRegistration } from "../protocol/eip712.js";
import { AgentError } from "../runtime/errors.js";
import type { Identity } from "../runtime/keys.js";

export class RegistrationError extends AgentError {}

export interface RegisterParams {
  capacityMbps: number;
  region: number;
  pricePerGiB: bigint;
  multiaddrs: string[];
  /** Default: requiredBond(capacityMbps). */
  bond?: bigint;
}

/** Gas of registerWithPermit, rounded up (gas/registry.json: "register with bond via permit"): for the ETH check. */
const REGISTER_GAS = 300_000n;

/** The operator's sender when the caller has none (a one-shot command or a test): default options. */
const senderOf = (operator: Wallet): TxSender => new TxSender({}, { signer: operator as Wallet & { provider: NonNullable<Wallet["provider"]> } });

/**
 * Registers and bonds in one transaction; returns the node id. `operator` pays and receives;
 * `sender` is the operator account's one transaction sender (default: a fresh one).
 */
export async function registerNode(contracts: Contracts, node: Identity, operator: Wallet, p: RegisterParams, sender: TxSender = senderOf(operator)): Promise<bigint> {
  const { registry, chainId } = contracts;
  const registryAddress = await registry.getAddress();
  const existing = await registry.nodeIdOf(node.address);
  if (existing !== 0n) throw new RegistrationError("ERR_ALREADY_REGISTERED", `This node key is already registered as node ${existing}.`);
  const bond = p.bond ?? (await registry.requiredBond(p.capacityMbps));
  await checkFunds(contracts, operator.address, { usdc: bond, gas: REGISTER_GAS, purpose: `a bond of ${formatUnits(bond, 6)} USDC` });
  const deadline = await permitDeadline(contracts);
  const signature = await node.wallet.signTypedData(domainFor("nodeRegistry", chainId, registryAddress), NodeRegistration, {
    operator: operator.address,
    nodeKey: node.address,
    metadataHash: metadataHash({ publicKey: node.publicKey64, multiaddrs: p.multiaddrs }),
    nonce: await registry.keyNonce(node.address),
    deadline,
  });
  const permit = await signUsdcPermit(contracts, operator, registryAddress, bond, deadline);
  const reg = { nodeKey: node.address, capacityMbps: p.capacityMbps, region: p.region, pricePerGiB: p.pricePerGiB, bond, deadline, publicKey: node.publicKey64, multiaddrs: p.multiaddrs };
  try {
    await sender.sendAndWait(registry.registerWithPermit.populateTransaction(reg, signature, permit), { label: "register the node" });
  } catch (error) {
    throw chainError(error, "register the node");
  }
  return registry.nodeIdOf(node.address);
}

/** Exit: deregister (starts unbonding), then withdraw when due. Returns what happened. */
export async function exitNode(contracts: Contracts, nodeId: bigint, operator: Wallet, sender: TxSender = senderOf(operator)): Promise<string> {
  const { registry } = contracts;
  const node = await registry.getNode(nodeId);
  const status = Number(node.status);
  const block = await contracts.provider.getBlock("latest");
  const now = BigInt(block!.timestamp);
  try {
    if (node.unbondingEndsAt === 0n && status === 1) {
      await sender.sendAndWait(registry.deregister.populateTransaction(nodeId), { label: `deregister node ${nodeId}` });
      const after = await registry.getNode(nodeId);
      return `Node ${nodeId} deregistered; its bond can be withdrawn after ${new Date(Number(after.unbondingEndsAt) * 1000).toISOString()} (run exit again then).`;
    }
    if (node.unbondingEndsAt > now) return `Node ${nodeId} is unbonding until ${new Date(Number(node.unbondingEndsAt) * 1000).toISOString()}; run exit again then.`;
    await sender.sendAndWait(registry.withdraw.populateTransaction(nodeId), { label: `withdraw the bond of node ${nodeId}` });
    return `Node ${nodeId}: bond withdrawn to ${operator.address}.`;
  } catch (cause) {
    throw chainError(cause, "exit");
  }
}
