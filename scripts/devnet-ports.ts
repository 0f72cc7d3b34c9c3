/**
 * What the devnet derives from the chain's --port: the libp2p ports its agents take after it (four
 * nodes, then the watchtower) and its state directory. Its own module: scripts/devnet.ts checks the
 * ports before anything is compiled, and scripts/devnet-network.ts imports the contract bindings
 * that the first compile generates.
 */
import os from "node:os";
import path from "node:path";

export const AGENT_PORTS = 5;

/** The agents' data dirs and logs; kept after the devnet stops (to look at), replaced by the next devnet on this port. */
export function devnetStateDir(port: number): string {
  return path.join(os.tmpdir(), `cdn-devnet-${port}`);
}
