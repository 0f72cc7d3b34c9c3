/**
 * Shared CLI plumbing for the agents: config files + environment validated with zod (one readable
 * sentence per problem), the action wrapper that turns any error into one line on stderr and
 * exit code 1 (never a stack trace, unless CDN_DEBUG=1), and USDC formatting.
 */
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { formatUnits } from "ethers";
import type { z } from "zod";
import { ConfigError, describeError } from "./errors.js";

/** Reads a JSON config file (missing → {}), merges `overrides` on top, validates with `schema`. */
export function loadConfig<S extends z.ZodType>(schema: S, file: string | undefined, overrides: Record<string, unknown>, options: { required?: boolean } = {}): z.infer<S> {
  let fromFile: Record<string, unknown> = {};
  // a file named on the command line must exist; the default location is optional
  if (file && options.required && !existsSync(file)) throw new ConfigError(`The config file ${file} does not exist.`);
  if (file && existsSync(file)) {
    try {
      fromFile = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    } catch (cause) {
      throw new ConfigError(`The config file ${file} is not valid JSON.`, { cause });
    }
  }
  const merged: Record<string, unknown> = { ...fromFile };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) merged[k] = v;
  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new ConfigError(`Invalid configuration${file ? ` (${file} and environment)` : ""}: ${issues}.`);
  }
  return parsed.data;
}

/** The flags every agent command takes from its parent program. */
export interface GlobalFlags {
  config?: string;
  dataDir?: string;
  /** Only the agents that offer it (cdn-node). */
  rpcUrl?: string;
}

/** The global flags of a command's parent program (commander's optsWithGlobals). */
export function globals(command: { optsWithGlobals(): Record<string, unknown> }): GlobalFlags & Record<string, unknown> {
  const o = command.optsWithGlobals();
  return { config: o.config as string | undefined, dataDir: o.dataDir as string | undefined, rpcUrl: o.rpcUrl as string | undefined };
}

/** Where agent `agent` (node, client, watchtower, slasher) keeps its state unless told: CDN_<AGENT>_DATA_DIR, else ~/.cdn-<agent>. */
export function agentDataDir(agent: string): string {
  return process.env[`CDN_${agent.toUpperCase()}_DATA_DIR`] ?? path.join(os.homedir(), `.cdn-${agent}`);
}

/**
 * An agent's configuration, layered the same way for every agent: the JSON file
 * (`<dataDir>/config.json`, or `--config`, which must then exist), then the environment
 * (CDN_<AGENT>_<FIELD> for every field of `schema` but the objects, which only the file sets;
 * CDN_RPC_URL, CDN_DEPLOYMENTS_DIR), then the flags that were given; validated by `schema` (one
 * sentence per problem). The key file defaults to `<dataDir>/<agent>.key`.
 */
export function loadAgentConfig<S extends z.ZodObject>(agent: string, schema: S, flags: GlobalFlags & Record<string, unknown>): z.infer<S> & { configFile: string; keyFile: string } {
  const dataDir = flags.dataDir ?? agentDataDir(agent);
  const configFile = flags.config ?? path.join(dataDir, "config.json");
  const { config: _file, ...flagged } = flags;
  const given = Object.fromEntries(Object.entries(flagged).filter(([, v]) => v !== undefined));
  const env = { ...envOverrides(`CDN_${agent.toUpperCase()}_`, envKeys(schema)), rpcUrl: process.env.CDN_RPC_URL, deploymentsDir: process.env.CDN_DEPLOYMENTS_DIR };
  const cfg = loadConfig(schema, configFile, { ...env, ...given, dataDir }, { required: flags.config !== undefined }) as z.infer<S> & { keyFile?: string };
  return { ...cfg, configFile, keyFile: cfg.keyFile ?? path.join(dataDir, `${agent}.key`) };
}

/** The fields CDN_<AGENT>_<FIELD> sets: all but the objects and the three with their own variables (agentFields). */
function envKeys(schema: z.ZodObject): string[] {
  const own = ["dataDir", "rpcUrl", "deploymentsDir"];
  return Object.entries(schema.shape)
    .filter(([key, field]) => !own.includes(key) && !isObject(field as z.ZodType))
    .map(([key]) => key);
}

/** Whether a field is an object once its optional/default wrappers are taken off. */
function isObject(field: z.ZodType): boolean {
  const def = field._zod.def as { type: string; innerType?: z.ZodType };
  return def.type === "object" || (def.innerType !== undefined && isObject(def.innerType));
}

/** Environment variables with a prefix, as an object of camelCase keys: CDN_NODE_PRICE_PER_GIB → pricePerGiB. */
export function envOverrides(prefix: string, keys: string[]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const key of keys) {
    const name =
      prefix +
      key
        .replace(/GiB/g, "Gib")
        .replace(/[A-Z]/g, (c) => "_" + c)
        .toUpperCase();
    if (process.env[name] !== undefined) out[key] = process.env[name];
  }
  return out;
}

/** Wraps a command action: errors print one sentence and set exit code 1. */
export function action<A extends unknown[], T>(program: string, fn: (this: T, ...args: A) => Promise<void>): (this: T, ...args: A) => Promise<void> {
  return async function (this: T, ...args: A) {
    try {
      await fn.apply(this, args);
    } catch (error) {
      if (process.env.CDN_DEBUG) console.error(error);
      console.error(`${program}: ${describeError(error)}`);
      process.exitCode = 1;
    }
  };
}

export const usdc = (amount: bigint): string => `${formatUnits(amount, 6)} USDC`;

/** Parses "1.5" (USDC) into base units. */
export function parseUsdc(text: string): bigint {
  if (!/^\d+(\.\d{1,6})?$/.test(text)) throw new ConfigError(`"${text}" is not a USDC amount (up to 6 decimals).`);
  const [whole, frac = ""] = text.split(".");
  return BigInt(whole) * 1_000_000n + BigInt(frac.padEnd(6, "0"));
}

export function bytesText(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}
