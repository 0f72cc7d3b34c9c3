/** What the cdn-watchtower commands share: config, key, chain and store. */
import type { Contracts } from "../../chain/contracts.js";
import type { Identity } from "../../runtime/keys.js";
import type { Logger } from "../../runtime/logger.js";
import { loadWatchtowerConfig, type WatchtowerConfig } from "../config.js";
import { WatchtowerStore } from "../store.js";
import type { GlobalFlags } from "../../runtime/cli.js";
import { connectAgent } from "../../runtime/context.js";

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

/** `logs`: where JSON log lines go (stderr for one-shot commands; a running `start` logs on stdout). */
export async function watchtowerContext(flags: GlobalFlags & Record<string, unknown>, options: { logs?: "stdout" | "stderr" } = {}): Promise<WatchtowerContext> {
  const config = loadWatchtowerConfig(flags);
  const { identity, provider, contracts, logger } = await connectAgent("cdn-watchtower", config, options);
  const store = new WatchtowerStore(config.dbFile);
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
