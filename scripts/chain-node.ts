/**
 * Local EVM nodes as child processes, for the devnet and the tests: Hardhat's node (mines a block
 * per transaction) or anvil, Foundry's node from the npm package `@foundry-rs/anvil-linux-amd64`
 * (a second, independent implementation; `blockTime` mines every N seconds like an L2, and it
 * answers `anvil_reorg`). Both listen on 127.0.0.1, use chain id 31337 and fund the same
 * well-known development accounts, so deployment files and keys are interchangeable.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { stopProcess } from "./stop-process.js";

const require = createRequire(import.meta.url);
const ROOT = path.resolve(import.meta.dirname, "..");

export type ChainKind = "hardhat" | "anvil";
export const CHAIN_KINDS: readonly ChainKind[] = ["hardhat", "anvil"];

export interface ChainNodeOptions {
  kind: ChainKind;
  port: number;
  /** anvil only: seconds between blocks (interval mining); 0 mines one block per transaction. */
  blockTime?: number;
}

export interface ChainNode {
  kind: ChainKind;
  rpcUrl: string;
  child: ChildProcess;
  /** What the node wrote to stderr (for error messages). */
  errors(): string;
  stop(): Promise<void>;
}

/** The anvil binary shipped by the npm package (nothing is downloaded at run time). */
export function anvilBinary(): string {
  return path.join(path.dirname(require.resolve("@foundry-rs/anvil-linux-amd64/package.json")), "bin", "anvil");
}

function command(options: ChainNodeOptions): [string, string[]] {
  const port = String(options.port);
  if (options.kind === "anvil") {
    // 20 accounts like Hardhat's node (benchmarks use keys #10+); the default mnemonic is Hardhat's
    const args = ["--host", "127.0.0.1", "--port", port, "--accounts", "20", "--chain-id", "31337", "--silent"];
    if (options.blockTime) args.push("--block-time", String(options.blockTime));
    return [anvilBinary(), args];
  }
  const hardhatCli = path.join(path.dirname(require.resolve("hardhat/package.json")), "dist/src/cli.js");
  return [process.execPath, [hardhatCli, "node", "--hostname", "127.0.0.1", "--port", port]];
}

/** Starts the node and resolves once it answers `eth_chainId`; rejects if it exits first (port in use). */
export async function startChainNode(options: ChainNodeOptions, timeoutMs = 60_000): Promise<ChainNode> {
  const [bin, args] = command(options);
  const child = spawn(bin, args, { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
  let errors = "";
  child.stderr!.on("data", (d) => (errors = (errors + d).slice(-10_000)));
  const rpcUrl = `http://127.0.0.1:${options.port}`;
  const node: ChainNode = { kind: options.kind, rpcUrl, child, errors: () => errors, stop: () => stopProcess(child) };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the ${options.kind} node exited with code ${child.exitCode} (is port ${options.port} already in use?) ${errors.trim()}`);
    }
    try {
      const response = await fetch(rpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      if (response.ok) return node;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await node.stop();
  throw new Error(`the ${options.kind} node did not answer on ${rpcUrl} within ${timeoutMs / 1000} s`);
}
