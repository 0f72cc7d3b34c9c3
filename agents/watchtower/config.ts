/**
 * cdn-watchtower configuration: a JSON file (`<dataDir>/config.json` or --config), then
 * environment variables (CDN_WATCHTOWER_<FIELD>, plus CDN_RPC_URL and CDN_DEPLOYMENTS_DIR), then
 * command-line flags; validated with zod (one readable sentence per problem).
 */
import path from "node:path";
import { z } from "zod";
import { loadAgentConfig, type GlobalFlags } from "../runtime/cli.js";
import { addressField, agentFields, int, logLevel, logPretty, multiaddrList, txFields } from "../runtime/config-fields.js";
import { MAX_WATCHTOWER_BPS, MONITOR_DEFAULTS } from "./constants.js";

export const WatchtowerConfigSchema = z.object({
  ...agentFields,
  listen: multiaddrList.default(["/ip4/0.0.0.0/tcp/4010"]),
  announce: multiaddrList.default([]),
  /** Accept only authorisations whose beneficiary is this address (unset: any beneficiary). */
  requiredBeneficiary: addressField.optional(),
  /** Refuse authorisations below this bounty (basis points of what a dispute recovers). */
  minBountyBps: int(0, MAX_WATCHTOWER_BPS).default(0),
  /** Blocks on top of a close event and of a dispute's receipt (unset: 2, or 0 on a chain that mines on demand). */
  confirmations: int(0, 64).optional(),
  pollMs: int(100, 600_000).default(MONITOR_DEFAULTS.pollMs),
  maxLogRange: int(1, 100_000).default(MONITOR_DEFAULTS.maxLogRange),
  disputeDelaySeconds: int(0, 7 * 86_400).default(MONITOR_DEFAULTS.disputeDelaySeconds),
  disputeMarginSeconds: int(0, 7 * 86_400).default(MONITOR_DEFAULTS.disputeMarginSeconds),
  /** Serve Prometheus metrics on 127.0.0.1:<port>/metrics (unset: no endpoint). */
  metricsPort: int(0, 65535).optional(),
  ...txFields,
  logLevel: logLevel("info"),
  logPretty: logPretty,
});

export type WatchtowerConfig = z.infer<typeof WatchtowerConfigSchema> & { keyFile: string; configFile: string; dbFile: string };

export function loadWatchtowerConfig(flags: GlobalFlags & Record<string, unknown>): WatchtowerConfig {
  const cfg = loadAgentConfig("watchtower", WatchtowerConfigSchema, flags);
  return { ...cfg, dbFile: path.join(cfg.dataDir, "watchtower.db") };
}
