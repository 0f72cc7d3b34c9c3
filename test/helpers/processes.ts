/**
 * Real processes for end-to-end tests: the devnet (`scripts/devnet.ts`, which starts its own
 * chain node) and Hardhat tasks, each run on the project's Node 22 (process.execPath).
 *
 * CDN_TEST_CHAIN=anvil runs every devnet of the tests on anvil with interval mining
 * (CDN_TEST_BLOCK_TIME seconds, default 2) instead of Hardhat's node: `.ci/run` runs the
 * end-to-end delivery, watchtower and slasher suites that way after `npm test`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { stopProcess } from "../../scripts/stop-process.js";
import { devnetStateDir } from "../../scripts/devnet-ports.js";
import { removeAtExit, tmpDir } from "./tmp.js";

const require = createRequire(import.meta.url);
export const ROOT = path.resolve(import.meta.dirname, "../..");
const HARDHAT_CLI = path.join(path.dirname(require.resolve("hardhat/package.json")), "dist/src/cli.js");

/** `node <args>` that runs an agent's CLI as users do (bin/: its bundle, built on first use and after a change). */
export function agentCli(name: "cdn-node" | "cdn-client" | "cdn-watchtower" | "cdn-slasher"): string[] {
  return ["--disable-warning=ExperimentalWarning", path.join(ROOT, "bin", `${name}.js`)];
}

/** The chain node behind `startDevnet` (CDN_TEST_CHAIN: hardhat, the default, or anvil). */
export const TEST_CHAIN = process.env.CDN_TEST_CHAIN ?? "hardhat";

export interface Devnet {
  port: number;
  /** The devnet script's process (the chain node is its child). */
  pid: number | undefined;
  rpcUrl: string;
  deploymentsDir: string;
  output: () => string;
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/**
 * Starts `npm run devnet`'s script on a free-ish port with its own deployments dir; resolves when
 * ready. By default the chain only (`--chain-only`: contracts and funded accounts, what task tests
 * need); `{ full: true }` also starts the agents' network (test/e2e/devnet.test.ts).
 */
export interface StartDevnetOptions {
  full?: boolean;
  env?: NodeJS.ProcessEnv;
  chain?: "hardhat" | "anvil";
  blockTime?: number;
}

/**
 * A devnet's --port: it takes that port and the next ones (the agents' libp2p, a test's gateway), so
 * it is drawn below the kernel's ephemeral range (32768 and up on Linux), where any outgoing
 * connection of a concurrent process may hold one of them.
 */
const DEVNET_PORTS = { first: 12_000, last: 32_000 } as const;
/** Starts on another port after a devnet refused its ports as in use (a race with another process). */
const PORT_ATTEMPTS = 3;

export async function startDevnet(timeoutMs = 120_000, options: StartDevnetOptions = {}): Promise<Devnet> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDevnetOn(DEVNET_PORTS.first + Math.floor(Math.random() * (DEVNET_PORTS.last - DEVNET_PORTS.first)), timeoutMs, options);
    } catch (err) {
      if (attempt >= PORT_ATTEMPTS || !(err instanceof PortsInUse)) throw err;
    }
  }
}

class PortsInUse extends Error {}

async function startDevnetOn(port: number, timeoutMs: number, options: StartDevnetOptions): Promise<Devnet> {
  const deploymentsDir = tmpDir("cdn-deployments-");
  // the whole network's state dir, which `npm run devnet` keeps for its user: a test's goes at exit
  if (options.full) removeAtExit(devnetStateDir(port));
  const env = { ...process.env, ...(options.env ?? {}), CDN_DEPLOYMENTS_DIR: deploymentsDir, CDN_RPC_URL: `http://127.0.0.1:${port}` };
  const kind = options.chain ?? TEST_CHAIN;
  const chain = kind === "anvil" ? ["--chain", "anvil", "--block-time", String(options.blockTime ?? process.env.CDN_TEST_BLOCK_TIME ?? 2)] : [];
  const child = spawn(
    process.execPath,
    ["--disable-warning=ExperimentalWarning", "--import", "tsx", "scripts/devnet.ts", "--port", String(port), ...chain, ...(options.full ? [] : ["--chain-only"])],
    { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  await new Promise<void>((resolve, reject) => {
    // not ready in time: stop it (and, through its SIGTERM handler, its chain and agents) so the test run can end
    const timer = setTimeout(() => void stopProcess(child).then(() => reject(new Error(`devnet not ready after ${timeoutMs} ms:\n${out}`))), timeoutMs);
    const check = () => {
      if (out.includes("Ctrl-C stops the devnet")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      const Failure = /already in use on 127\.0\.0\.1/.test(out) ? PortsInUse : Error;
      reject(new Failure(`devnet exited with code ${code}:\n${out}`));
    });
  });
  return {
    port,
    pid: child.pid,
    rpcUrl: env.CDN_RPC_URL,
    deploymentsDir,
    env,
    output: () => out,
    stop: () => stopProcess(child),
  };
}

/**
 * A suite's own devnet: registers mocha hooks that start it before the suite's tests and, after
 * them, stop every process pushed to `children` and then the devnet. Read its fields in hooks and
 * tests only (it starts in the before hook).
 */
export function useDevnet(options: StartDevnetOptions & { timeoutMs?: number } = {}): Devnet & { children: ChildProcess[] } {
  let started: Devnet | undefined;
  const children: ChildProcess[] = [];
  before(async () => {
    started = await startDevnet(options.timeoutMs, options);
  });
  after(async () => {
    for (const c of children.splice(0)) await stopProcess(c);
    await started?.stop();
  });
  const get = (): Devnet => {
    if (!started) throw new Error("the devnet starts in the suite's before hook");
    return started;
  };
  return {
    children,
    get port() {
      return get().port;
    },
    get pid() {
      return get().pid;
    },
    get rpcUrl() {
      return get().rpcUrl;
    },
    get deploymentsDir() {
      return get().deploymentsDir;
    },
    get env() {
      return get().env;
    },
    output: () => get().output(),
    stop: () => get().stop(),
  };
}

export { stopProcess };

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node <argv>` as a real process to its end and collects its output (killed after `timeoutMs`). */
export function runProcess(argv: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${argv.slice(-3).join(" ")} timed out:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs `npx hardhat <args>` as a real process and collects its output. */
export function hardhat(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<RunResult> {
  return runProcess([HARDHAT_CLI, ...args], env, timeoutMs);
}

export interface AgentProcess<Ready = Record<string, unknown>> {
  child: ChildProcess;
  /** The agent's ready line (JSON). */
  ready: Ready;
  /** Everything it printed so far (the last ~100 kB). */
  output(): string;
}

/**
 * `node <argv>` for a long-running agent (`… start`), resolved at its `"ready":true` log line;
 * `onLine` sees every stdout line (JSON logs) before and after.
 */
export function startAgentProcess<Ready = Record<string, unknown>>(
  argv: string[],
  env: NodeJS.ProcessEnv,
  options: { name: string; onLine?: (line: string) => void; timeoutMs?: number },
): Promise<AgentProcess<Ready>> {
  const child = spawn(process.execPath, argv, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let buffer = "";
  return new Promise((resolve, reject) => {
    // not ready in time: end it (the caller never gets its handle to stop it)
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${options.name} not ready:\n${out}`));
    }, options.timeoutMs ?? 60_000);
    child.stderr!.on("data", (d) => (out += d));
    child.stdout!.on("data", (d: Buffer) => {
      out += d;
      buffer += d.toString();
      const lines = buffer.split("\n");
      buffer = lines.pop()!;
      for (const line of lines) {
        options.onLine?.(line);
        if (line.includes('"ready":true')) {
          clearTimeout(timer);
          resolve({ child, ready: JSON.parse(line) as Ready, output: () => out });
        }
      }
      if (out.length > 1_000_000) out = out.slice(-100_000);
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${options.name} exited with ${code}:\n${out}`));
    });
  });
}
