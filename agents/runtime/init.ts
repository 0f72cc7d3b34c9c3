/**
 * `<agent> init`, the same for every agent: load the key file, or create (or `--import`) it with
 * mode 0600; create the data directory (0700) and, if there is none, a starter config file (0600);
 * then print where everything is and the next step. Running it again changes nothing.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { action, globals, type GlobalFlags } from "./cli.js";
import { createKeyFile, loadKeyFile, type Identity } from "./keys.js";

export interface InitPaths {
  dataDir: string;
  keyFile: string;
  configFile: string;
}

export interface InitCommandSpec<C extends InitPaths> {
  /** The program's name, e.g. "cdn-node". */
  program: string;
  /** What the key is for (the command's description). */
  description: string;
  /** `--help` examples (one command a line). */
  examples: string[];
  loadConfig(flags: GlobalFlags & Record<string, unknown>): C;
  /** The fields a new config file starts with (omit for none). */
  starter?(config: C): Record<string, unknown>;
  /** What the key's address is called in the output (e.g. "node key"). */
  addressLabel?: string;
  /** Print the libp2p peer id (agents that listen). */
  showPeerId?: boolean;
  /** The next step for the user, e.g. what to fund the address with. */
  next(identity: Identity): string;
}

/** Loads or creates the key and the data directory, and writes the starter config if missing. */
export function initAgentFiles(paths: InitPaths, options: { importSecret?: string; starter?: Record<string, unknown> } = {}): Identity {
  const identity = existsSync(paths.keyFile) && !options.importSecret ? loadKeyFile(paths.keyFile) : createKeyFile(paths.keyFile, options.importSecret);
  mkdirSync(paths.dataDir, { recursive: true, mode: 0o700 });
  if (options.starter && !existsSync(paths.configFile)) {
    const json = JSON.stringify(options.starter, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);
    writeFileSync(paths.configFile, json + "\n", { mode: 0o600 });
  }
  return identity;
}

export function addInitCommand<C extends InitPaths>(program: Command, spec: InitCommandSpec<C>): void {
  program
    .command("init")
    .description(spec.description)
    .option("--import <secret>", "import an existing 32-byte secp256k1 secret (0x hex) instead of generating one")
    .addHelpText("after", `\nExamples:\n${spec.examples.map((e) => `  ${e}\n`).join("")}`)
    .action(
      action(spec.program, async function (this: Command, opts: { import?: string }) {
        const config = spec.loadConfig(globals(this));
        const starter = spec.starter?.(config);
        const identity = initAgentFiles(config, { importSecret: opts.import, starter });
        const rows: [string, string][] = [[spec.addressLabel ?? "address", identity.address]];
        if (spec.showPeerId) rows.push(["peer id", identity.peerId.toString()]);
        rows.push(["key file", `${path.resolve(config.keyFile)} (mode 0600)`]);
        if (starter) rows.push(["config", path.resolve(config.configFile)]);
        rows.push(["next", spec.next(identity)]);
        const width = Math.max(...rows.map(([k]) => k.length)) + 3;
        for (const [k, v] of rows) console.log(`${k.padEnd(width)}${v}`);
      }),
    );
}
