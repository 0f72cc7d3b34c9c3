/**
 * cdn-slasher configuration: a JSON file (`<dataDir>/config.json` or --config), then environment
 * variables (CDN_SLASHER_<FIELD>, plus CDN_RPC_URL and CDN_DEPLOYMENTS_DIR), then flags; validated
 * with zod (one readable sentence per problem).
 */
import path from "node:path";
import { z } from "zod";
import { loadAgentConfig, type GlobalFlags } from "../runtime/cli.js";
import { agentFields, int, list, logLevel, logPretty, txFields, usdcPermitDomainField, uintField } from "../runtime/config-fields.js";

const uint = uintField();

export const SlasherConfigSchema = z.object({
  ...agentFields,
  /** Compliance notice files (JSON or text, see agents/slasher/notices.ts), re-read every round. */
  notices: list.default([]),
  /** Milliseconds between rounds of `start`. */
  intervalMs: int(100, 3_600_000).default(10_000),
  /** Deposit of a probe channel, USDC base units (default: the on-chain minimum deposit). */
  deposit: uint.optional(),
  probeTimeoutMs: int(1000, 600_000).default(15_000),
  /** Blocks on top of the evidence commit before the reveal (unset: 2, or 0 on a chain that mines on demand). */
  confirmations: int(0, 64).optional(),
  ...txFields,
  /** The token's permit domain when it publishes neither EIP-5267 nor name() + version() (docs/deploy.md). */
  usdcPermitDomain: usdcPermitDomainField,
  logLevel: logLevel("info"),
  logPretty: logPretty,
});

export type SlasherConfig = z.infer<typeof SlasherConfigSchema> & { keyFile: string; configFile: string; dbFile: string; clientDbFile: string };

export function loadSlasherConfig(flags: GlobalFlags & Record<string, unknown>): SlasherConfig {
  const cfg = loadAgentConfig("slasher", SlasherConfigSchema, flags);
  return {
    ...cfg,
    dbFile: path.join(cfg.dataDir, "slasher.db"),
    clientDbFile: path.join(cfg.dataDir, "channels.db"),
  };
}
