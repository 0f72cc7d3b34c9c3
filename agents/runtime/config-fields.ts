/** zod fields shared by every agent's configuration (file, then environment strings, then flags). */
import { parseUnits } from "ethers";
import { z } from "zod";
import { multiaddr } from "@multiformats/multiaddr";
import { peerIdFromString } from "@libp2p/peer-id";

/**
 * The fields every agent's configuration starts with: its data directory (CDN_<AGENT>_DATA_DIR or
 * --data-dir), its key file (default <dataDir>/<agent>.key), the chain's JSON-RPC URL
 * (CDN_RPC_URL) and the deployments directory (CDN_DEPLOYMENTS_DIR).
 */
export const agentFields = {
  dataDir: z.string().min(1),
  keyFile: z.string().min(1).optional(),
  rpcUrl: z.string().url().default("http://127.0.0.1:8545"),
  deploymentsDir: z.string().min(1).optional(),
};

/** An Ethereum address. */
export const addressField = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte address");

/** A whole number within [min, max]; environment strings are coerced. */
export const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** A list of strings: a JSON array, or a comma-separated environment string. */
export const list = z.union([
  z.array(z.string().min(1)),
  z.string().transform((s) =>
    s
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean),
  ),
]);

/** A list of multiaddrs, each parsed at load time (a bad one names the field and the address). */
export const multiaddrList = list.superRefine((addrs, ctx) => {
  for (const [i, a] of addrs.entries()) {
    try {
      multiaddr(a);
    } catch {
      ctx.addIssue({ code: "custom", path: [i], message: `"${a}" is not a multiaddr (e.g. /ip4/0.0.0.0/tcp/4001)` });
    }
  }
});

/** A list of libp2p peer ids (e.g. 16Uiu2…), each parsed at load time. */
export const peerIdList = list.superRefine((ids, ctx) => {
  for (const [i, id] of ids.entries()) {
    try {
      peerIdFromString(id);
    } catch {
      ctx.addIssue({ code: "custom", path: [i], message: `"${id}" is not a libp2p peer id` });
    }
  }
});

/** A non-negative integer amount as a bigint (JSON number, string or bigint). */
export const uintField = (message = "must be a non-negative integer (USDC base units)") =>
  z.union([z.string(), z.number(), z.bigint()]).transform((v, ctx) => {
    try {
      const b = BigInt(v);
      if (b < 0n) throw new Error();
      return b;
    } catch {
      ctx.addIssue({ code: "custom", message });
      return z.NEVER;
    }
  });

export const logLevel = (fallback: "info" | "warn") => z.enum(["trace", "debug", "info", "warn", "error", "silent"]).default(fallback);

export const logPretty = z.union([z.boolean(), z.enum(["true", "false", "1", "0"]).transform((s) => s === "true" || s === "1")]).optional();

/**
 * The transaction sender's settings (agents/chain/tx-sender.ts), the same in every agent that
 * sends transactions: the EIP-1559 fee cap in gwei, and how long a transaction may wait unmined
 * before it is replaced with higher fees.
 */
export const txFields = {
  maxFeePerGasGwei: z.coerce.number().positive().max(1_000_000).default(200),
  replaceAfterSeconds: int(5, 86_400).default(60),
};

/**
 * The USDC token's EIP-712 permit domain, for a token that publishes neither EIP-5267
 * `eip712Domain()` nor `name()` + `version()` (agents/chain/permit.ts); checked against the
 * token's DOMAIN_SEPARATOR() before anything is signed. Unset: read from the token.
 */
export const usdcPermitDomainField = z
  .object({ name: z.string().min(1), version: z.string().min(1) })
  .strict()
  .optional();

/** TxSender options from the agent's configuration. */
export function txSenderOptions(c: { maxFeePerGasGwei: number; replaceAfterSeconds: number }): { maxFeePerGas: bigint; replaceAfterMs: number } {
  return { maxFeePerGas: parseUnits(c.maxFeePerGasGwei.toFixed(9), "gwei"), replaceAfterMs: c.replaceAfterSeconds * 1000 };
}
