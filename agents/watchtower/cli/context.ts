/** What the cdn-watchtower commands share: config, key, chain and store. */
import { Wallet } from "ethers";
import { connectContracts, connectRpc, type Contracts } from "../../chain/contracts.js";
import { loadKeyFile, type Identity } from "../../runtime/keys.js";
import { createLogger, type Logger } from "../../runtime/logger.js";
import { loadWatchtowerConfig, type WatchtowerConfig } from "../config.js";
import { WatchtowerStore } from "../store.js";
import type { GlobalFlags } from "../../runtime/cli.js";

export { globals, type GlobalFlags } from "../../runtime/cli.js";

export interface WatchtowerContext {
  config: WatchtowerConfig;
  identity: Identity;
  /** Contracts connected to the watchtower key's wallet (it pays the dispute gas). */
  contracts: Contracts;
  store: WatchtowerStore;
  logger: Logger;
  close(): void;
}

export async function watchtowerContext(flags: GlobalFlags & Record<string, unknown>): Promise<WatchtowerContext> {
  const config = loadWatchtowerConfig(flags);
  const identity = loadKeyFile(config.keyFile);
  const { provider, deployment } = await connectRpc(config.rpcUrl, config.deploymentsDir);
  const contracts = connectContracts(deployment, new Wallet(identity.wallet.privateKey, provider));
  const store = new WatchtowerStore(config.dbFile);
  const logger = createLogger({ name: "cdn-watchtower", level: config.logLevel, pretty: config.logPretty ?? Boolean(process.stderr.isTTY) });
  return {
    config,
    identity,
    contracts,
    store,
    logger,
    close() {
      store.close();
      provider.destroy();
    },
  };
}

