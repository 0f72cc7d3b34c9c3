import type { Contracts } from "../../agents/chain/contracts.js";

/** The credit PaymentChannel holds for the node whose key is `nodeKey`: its operator's payouts (`withdrawNodeCredit`). */
export async function nodeCreditOf(contracts: Pick<Contracts, "channels" | "registry">, nodeKey: string): Promise<bigint> {
  const nodeId = await contracts.registry.nodeIdOf(nodeKey);
  return (await contracts.channels.nodeCredit(nodeId)).credit;
}
