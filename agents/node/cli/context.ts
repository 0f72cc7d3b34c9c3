/** What most cdn-node commands need: config, keys, the chain and the store. */
import path from "node:path";
import { Wallet } from "ethers";
import { connectContracts, connectRpc, type Contracts } from "../../chain/contracts.js";
import { loadKeyFile, type Identity } from "../../runtime/keys.js";
import { createLogger, type Logger } from "../../runtime/logger.js";
import { loadNodeConfig, type NodeConfig } from "../config.js";
import { NodeStore } from "../store.js";

export interface GlobalFlags {
  config?: string;
  dataDir?: string;
  rpcUrl?: string;
}

export interface NodeContext {
  config: NodeConfig;
  identity: Identity;
  /** Contracts connected to the node key's wallet. */
  contracts: Contracts;
  operator: Wallet;
  store: NodeStore;
  logger: Logger;
  close(): void;
}

export async function nodeContext(flags: GlobalFlags & Record<string, unknown>): Promise<NodeContext> {
  const config = loadNodeConfig(flags);
  const identity = loadKeyFile(config.keyFile);
  const { provider, deployment } = await connectRpc(config.rpcUrl, config.deploymentsDir);
  const contracts = connectContracts(deployment, new Wallet(identity.wallet.privateKey, provider));
  const operator = config.operatorKeyFile ? new Wallet(loadKeyFile(config.operatorKeyFile).wallet.privateKey, provider) : new Wallet(identity.wallet.privateKey, provider);
  const store = new NodeStore(path.join(config.dataDir, "node.db"));
  const logger = createLogger({ name: "cdn-node", level: config.logLevel, pretty: config.logPretty ?? Boolean(process.stderr.isTTY) });
  return {
    config,
    identity,
    contracts,
    operator,
    store,
    logger,
    close() {
      store.close();
      provider.destroy();
    },
  };
}

/** Global flags of the parent program. */
export function globals(command: { optsWithGlobals(): Record<string, unknown> }): GlobalFlags & Record<string, unknown> {
  const o = command.optsWithGlobals();
  return { config: o.config as string | undefined, dataDir: o.dataDir as string | undefined, rpcUrl: o.rpcUrl as string | undefined };
}
