/**
 * Confirmation depths. Each role waits this many blocks on top of the block of an event (its chain
 * follower) or of its own transaction (its TxSender) before acting on it, so that a reorg of that
 * depth cannot make it act on something that did not happen (docs/chain.md lists the depths).
 *
 * A local development chain that mines a block only when a transaction arrives (Hardhat's node,
 * anvil without --block-time) never reaches a depth above 0 while it is idle: a role whose depth
 * is not configured uses 0 there, and its default everywhere else.
 */
import type { Provider } from "ethers";

/** Whether the chain mines only when a transaction arrives (automine of Hardhat's node or anvil). */
export async function minesOnDemand(provider: Provider): Promise<boolean> {
  const send = (provider as { send?: (method: string, params: unknown[]) => Promise<unknown> }).send?.bind(provider);
  if (!send) return false;
  for (const method of ["hardhat_getAutomine", "anvil_getAutomine"]) {
    try {
      return (await send(method, [])) === true;
    } catch {
      // not this node's method (a public chain answers neither)
    }
  }
  return false;
}

/** The configured depth, else 0 on a chain that mines on demand, else `fallback`. */
export async function resolveConfirmations(provider: Provider, configured: number | undefined, fallback: number): Promise<number> {
  if (configured !== undefined) return configured;
  return (await minesOnDemand(provider)) ? 0 : fallback;
}
