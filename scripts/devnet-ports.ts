/**
 * libp2p ports the devnet's agents take after the chain's --port: four nodes, then the watchtower.
 * Its own module: scripts/devnet.ts checks the ports before anything is compiled, and
 * scripts/devnet-network.ts imports the contract bindings that the first compile generates.
 */
export const AGENT_PORTS = 5;
