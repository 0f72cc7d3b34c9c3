/**
 * Loads deploy/parameters/<name>.json (or the file at `name` when it ends in .json), turning "123n"
 * strings into bigints (Ignition's JSON convention).
 */
import { readFileSync } from "node:fs";
import path from "node:path";

export type ModuleParameters = Record<string, Record<string, unknown>>;

function revive(value: unknown): unknown {
  if (typeof value === "string" && /^\d+n$/.test(value)) return BigInt(value.slice(0, -1));
  if (Array.isArray(value)) return value.map(revive);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revive(v)]));
  }
  return value;
}

export function loadParameters(name: string): ModuleParameters {
  const file = name.endsWith(".json") ? path.resolve(name) : path.resolve(import.meta.dirname, "parameters", `${name}.json`);
  return revive(JSON.parse(readFileSync(file, "utf8"))) as ModuleParameters;
}
