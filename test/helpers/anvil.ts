/**
 * anvil (scripts/chain-node.ts) for tests: a fresh chain on a free port, a provider, and the RPC
 * calls tests use to shape the chain (interval or manual mining, dropping a pending transaction,
 * `anvil_reorg`).
 */
import { createServer } from "node:net";
import { JsonRpcProvider } from "ethers";
import { startChainNode, type ChainNode } from "../../scripts/chain-node.js";

export interface TestAnvil {
  node: ChainNode;
  rpcUrl: string;
  provider: JsonRpcProvider;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** Starts anvil (a block per transaction, or every `blockTime` s); stop() ends it. */
export async function startAnvil(options: { blockTime?: number } = {}): Promise<TestAnvil> {
  const node = await startChainNode({ kind: "anvil", port: await freePort(), blockTime: options.blockTime });
  const provider = new JsonRpcProvider(node.rpcUrl, undefined, { staticNetwork: true, pollingInterval: 100, cacheTimeout: -1 });
  return {
    node,
    rpcUrl: node.rpcUrl,
    provider,
    stop: async () => {
      provider.destroy();
      await node.stop();
    },
  };
}

/** Replaces the last `depth` blocks with as many empty ones: their transactions leave the chain. */
export async function reorgOut(provider: JsonRpcProvider, depth: number): Promise<void> {
  await provider.send("anvil_reorg", [depth, []]);
}
