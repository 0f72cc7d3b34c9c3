/**
 * cdn-node configuration: a JSON file (`<dataDir>/config.json` or --config), then environment
 * variables (CDN_NODE_<FIELD>, plus CDN_RPC_URL and CDN_DEPLOYMENTS_DIR), then command-line
 * flags; validated with zod. Amounts are strings of USDC base units (bigint-safe).
 */
import path from "node:path";
import { z } from "zod";
import { loadAgentConfig, type GlobalFlags } from "../runtime/cli.js";
import { addressField, agentFields, int, logLevel, logPretty, multiaddrList, peerIdList, txFields, usdcPermitDomainField, uintField } from "../runtime/config-fields.js";
import { DEFAULT_CREDIT } from "../protocol/credit.js";
import { DEFAULT_EARNINGS } from "./earnings.js";

const uint = (name: string) => uintField(`${name} must be a non-negative integer`);

export const NodeConfigSchema = z.object({
  ...agentFields,
  /** The operator's key (pays the bond, receives earnings); default: the node key itself. */
  operatorKeyFile: z.string().min(1).optional(),
  /** The origin's content key, when it is not the node key. */
  contentKeyFile: z.string().min(1).optional(),
  listen: multiaddrList.default(["/ip4/0.0.0.0/tcp/4001"]),
  announce: multiaddrList.default([]),
  /** Peer ids this node never dials nor accepts (an operator's block list). */
  denyPeers: peerIdList.default([]),
  /** Accept inbound connections only from active nodes (a backbone node that serves no clients). */
  nodesOnly: z.union([z.boolean(), z.enum(["true", "false"]).transform((s) => s === "true")]).default(false),
  region: int(0, 65535).default(0),
  capacityMbps: int(1, 1_000_000).default(100),
  pricePerGiB: uint("pricePerGiB").default(10_000n),
  backendDir: z.string().min(1).optional(),
  /** Blocks on top of a payer's close and of the node's own claims and closes (unset: 2, or 0 on a chain that mines on demand). */
  confirmations: int(0, 64).optional(),
  ...txFields,
  /** The token's permit domain when it publishes neither EIP-5267 nor name() + version() (docs/deploy.md). */
  usdcPermitDomain: usdcPermitDomainField,
  /** The closes follower's poll (ms): a payer's close is answered within the dispute window (12 h at least). */
  pollMs: int(100, 600_000).default(60_000),
  sweepMs: int(0, 86_400_000).default(60_000),
  credit: z
    .object({
      // at most the protocol's windows: clients settle at most one (agents/protocol/credit.ts settleWindow)
      initialWindow: int(262_144, DEFAULT_CREDIT.initialWindow).default(DEFAULT_CREDIT.initialWindow),
      maxWindow: int(262_144, DEFAULT_CREDIT.maxWindow).default(DEFAULT_CREDIT.maxWindow),
      openGas: uint("credit.openGas").default(DEFAULT_CREDIT.openGas),
      gasPriceWei: uint("credit.gasPriceWei").default(DEFAULT_CREDIT.gasPriceWei),
      usdcPerEth: uint("credit.usdcPerEth").default(DEFAULT_CREDIT.usdcPerEth),
    })
    .prefault({}),
  claimThreshold: uint("claimThreshold").default(DEFAULT_EARNINGS.claimThreshold),
  /** Watchtowers that receive every stored voucher: multiaddrs ending with /p2p/<peer id>. */
  watchtowers: multiaddrList.default([]),
  /** Who receives a watchtower's bounty (default: the node's operator). */
  watchtowerBeneficiary: addressField.optional(),
  /** Bounty in basis points of what a watchtower's dispute recovers (the contract caps it at 2000). */
  watchtowerMaxBps: int(0, 2000).default(1000),
  /** Cache node: keep blobs fetched from other holders in `dir` (default <dataDir>/cache) within `budgetBytes`; fetch misses upstream unless `fanout` is false. */
  cache: z.object({ dir: z.string().min(1).optional(), budgetBytes: int(1 << 20, Number.MAX_SAFE_INTEGER).default(1 << 30), fanout: z.boolean().default(true) }).optional(),
  /** Prometheus endpoint on 127.0.0.1 (0 = any free port; `cdn-node status` finds it through <dataDir>/metrics.url); -1 = none. */
  metricsPort: int(-1, 65535).default(0),
  /** Refuse to serve while the chain view is older than this (ms; default 30 min, below the 1 h minimum compliance window). */
  maxChainViewAgeMs: int(10_000, 3_600_000).default(30 * 60_000),
  /** A local deny-list (one blob id a line, # comments), on top of ContentBlacklist; re-read when it changes. */
  denyListFile: z.string().min(1).optional(),
  logLevel: logLevel("info"),
  logPretty: logPretty,
});

export type NodeConfig = z.infer<typeof NodeConfigSchema> & { keyFile: string; backendDir: string; configFile: string };

export function loadNodeConfig(flags: GlobalFlags & Record<string, unknown>): NodeConfig {
  const cfg = loadAgentConfig("node", NodeConfigSchema, flags);
  return { ...cfg, backendDir: cfg.backendDir ?? path.join(cfg.dataDir, "backend") };
}
