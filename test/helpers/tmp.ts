/**
 * Temporary directories for tests and benchmarks: made under the system's temporary directory and
 * removed when the process exits (after mocha's last hook, so after the suites stopped the agent
 * processes that use them). CDN_KEEP_TMP=1 keeps them, to look at what a failed run left.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const toRemove = new Set<string>();

function removeAll(): void {
  if (process.env.CDN_KEEP_TMP === "1") {
    console.error(`CDN_KEEP_TMP: kept this run's ${toRemove.size} temporary directories (${os.tmpdir()}/cdn-*)`);
    return;
  }
  for (const dir of toRemove) rmSync(dir, { recursive: true, force: true });
}

/** Removes `dir` (and everything in it) when this process exits. */
export function removeAtExit(dir: string): void {
  if (toRemove.size === 0) process.once("exit", removeAll);
  toRemove.add(dir);
}

/** A new empty directory `<tmp>/<prefix>XXXXXX`, removed when this process exits. */
export function tmpDir(prefix = "cdn-delivery-"): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  removeAtExit(dir);
  return dir;
}
