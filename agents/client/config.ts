/**
 * cdn-client configuration: `<dataDir>/config.json` (or --config), then CDN_CLIENT_<FIELD>
 * environment variables, CDN_RPC_URL and CDN_DEPLOYMENTS_DIR, then flags; validated with zod.
 */
import { z } from "zod";
import { loadAgentConfig, type GlobalFlags } from "../runtime/cli.js";
import { agentFields, int, logLevel, txFields, usdcPermitDomainField, uintField } from "../runtime/config-fields.js";

const uint = uintField();

export const ClientConfigSchema = z.object({
  ...agentFields,
  /** Highest price accepted, USDC base units per GiB. */
  maxPricePerGiB: uint.optional(),
  /** Deposit of new channels, USDC base units (default: max(minimum deposit, 2 × the download's price)). */
  deposit: uint.optional(),
  maxProbes: z.coerce.number().int().min(1).max(256).default(16),
  /** The client's region: its gossip topic (announcements also arrive on the global topic). */
  region: z.coerce.number().int().min(0).max(65535).default(0),
  /** Blocks on top of a channel open or top-up before the client uses it (unset: 2, or 0 on a chain that mines on demand). */
  confirmations: int(0, 64).optional(),
  ...txFields,
  /** The token's permit domain when it publishes neither EIP-5267 nor name() + version() (docs/deploy.md). */
  usdcPermitDomain: usdcPermitDomainField,
  logLevel: logLevel("warn"),
});

export type ClientConfig = z.infer<typeof ClientConfigSchema> & { keyFile: string; configFile: string };

export function loadClientConfig(flags: GlobalFlags & Record<string, unknown>): ClientConfig {
  return loadAgentConfig("client", ClientConfigSchema, flags);
}
