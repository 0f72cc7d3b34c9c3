/** What the cdn-watchtower commands share: config, key, chain and store. */
import { loadWatchtowerConfig, type WatchtowerConfig } from "../config.js";
import { WatchtowerStore } from "../store.js";
import type { GlobalFlags } from "../../runtime/cli.js";
import { openAgent, type AgentContext } from "../../runtime/context.js";

export { globals, type GlobalFlags } from "../../runtime/cli.js";

/** Its contracts are connected to the watchtower key's wallet (it pays the dispute gas). */
export type WatchtowerContext = AgentContext<WatchtowerConfig, WatchtowerStore>;

/** `logs`: where JSON log lines go (stderr for one-shot commands; a running `start` logs on stdout). */
export function watchtowerContext(flags: GlobalFlags & Record<string, unknown>, options: { logs?: "stdout" | "stderr" } = {}): Promise<WatchtowerContext> {
  return openAgent("cdn-watchtower", loadWatchtowerConfig(flags), (config) => new WatchtowerStore(config.dbFile), options);
}
