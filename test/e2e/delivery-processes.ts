/**
 * Real-process helpers for delivery tests and the delivery benchmark: the cdn-node CLI run as a
 * child (process.execPath + its launcher in bin/), a long-running `cdn-node start` whose JSON logs are parsed,
 * the devnet's well-known keys, and origin recognition by impersonating the timelock over RPC
 * (hardhat_impersonateAccount: a test-only shortcut for a governance proposal).
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { HDNodeWallet, JsonRpcProvider, JsonRpcSigner, Mnemonic, Wallet, type Signer } from "ethers";
import { agentCli, runProcess, startAgentProcess } from "../helpers/processes.js";
import { freePort } from "./delivery-fixture.js";
import { TestUSDC__factory } from "../../types/ethers-contracts/index.js";
import { connectContracts } from "../../agents/chain/contracts.js";
import type { Deployment } from "../../agents/chain/deployment.js";
import { tmpDir } from "../helpers/tmp.js";

export const NODE_CLI = agentCli("cdn-node");
export const CLIENT_CLI = agentCli("cdn-client");

/** Hardhat's well-known development key #i (the devnet funds #0-#9 with ETH and USDC). */
export const devKey = (i: number): string => HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase("test test test test test test test test test test test junk"), `m/44'/60'/0'/0/${i}`).privateKey;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(cli: string[], args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<CliResult> {
  return runProcess([...cli, ...args], env, timeoutMs);
}

export interface RunningNode {
  child: ChildProcess;
  /** Highest amount logged as "voucher stored" (logged after the fsync). */
  acknowledged(): bigint;
  output(): string;
}

/** `cdn-node <args> start`, resolved when it prints its ready line. */
export async function startNodeProcess(args: string[], env: NodeJS.ProcessEnv, nodeFlags: string[] = [], timeoutMs?: number): Promise<RunningNode> {
  let acknowledged = 0n;
  const onLine = (line: string) => {
    if (line.includes('"voucher stored"')) acknowledged = BigInt(JSON.parse(line).amount);
  };
  const { child, output } = await startAgentProcess([...nodeFlags, ...NODE_CLI, ...args, "start"], env, { name: "node", onLine, timeoutMs });
  return { child, acknowledged: () => acknowledged, output };
}

/** Writes a node config for loopback. */
export function writeNodeConfig(dataDir: string, port: number, extra: Record<string, unknown> = {}): void {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(
    path.join(dataDir, "config.json"),
    JSON.stringify({
      listen: [`/ip4/127.0.0.1/tcp/${port}`],
      pricePerGiB: "1000000",
      region: 1,
      capacityMbps: 100,
      confirmations: 0,
      pollMs: 200,
      sweepMs: 0,
      logLevel: "debug",
      logPretty: false,
      ...extra,
    }),
  );
}

/** Recognizes node `nodeId` as an origin with `contentKey`, as the timelock (impersonated). */
export async function recognizeOrigin(provider: JsonRpcProvider, deployment: Deployment, nodeId: bigint, contentKey: string): Promise<void> {
  const timelock = deployment.contracts.CdnTimelock!;
  await provider.send("hardhat_impersonateAccount", [timelock]);
  await provider.send("hardhat_setBalance", [timelock, "0x56BC75E2D63100000"]);
  const admin = connectContracts(deployment, new JsonRpcSigner(provider, timelock));
  await (await admin.origins.recognize(nodeId, contentKey)).wait();
  await provider.send("hardhat_stopImpersonatingAccount", [timelock]);
}

export interface OriginProcess {
  node: RunningNode;
  /** `--data-dir <dir>` of the node's CLI. */
  args: string[];
  dataDir: string;
  nodeId: bigint;
  /** The node key, which is also its operator (no operatorKeyFile). */
  address: string;
  blobId: string;
  /** The published blob's bytes. */
  data: Buffer;
  /** What `cdn-node publish` printed. */
  published: CliResult;
}

export interface OriginOptions {
  /** More `cdn-node` configuration (writeNodeConfig's `extra`). */
  config?: Record<string, unknown>;
  /** For `cdn-node publish` (large blobs on a loaded machine). */
  publishTimeoutMs?: number;
}

/**
 * An origin run as processes on a devnet: `cdn-node init` (development key #`keyIndex`), `register`,
 * recognition as an origin, `publish` of a random file of `size` bytes, then `cdn-node start`.
 */
export async function startOriginProcess(
  env: NodeJS.ProcessEnv,
  provider: JsonRpcProvider,
  deployment: Deployment,
  keyIndex: number,
  size: number,
  options: OriginOptions = {},
): Promise<OriginProcess> {
  const dataDir = tmpDir("cdn-node-proc-");
  writeNodeConfig(dataDir, await freePort(), options.config);
  const args = ["--data-dir", dataDir];
  const secret = devKey(keyIndex);
  const ok = async (more: string[], timeoutMs?: number) => {
    const r = await runCli(NODE_CLI, [...args, ...more], env, timeoutMs);
    if (r.code !== 0) throw new Error(`cdn-node ${more.join(" ")} failed:\n${r.stderr}`);
    return r;
  };
  await ok(["init", "--import", secret]);
  const nodeId = BigInt(/registered node (\d+)/.exec((await ok(["register"])).stdout)![1]);
  const address = new Wallet(secret).address;
  await recognizeOrigin(provider, deployment, nodeId, address);
  const file = path.join(dataDir, "blob.bin");
  const data = randomBytes(size);
  writeFileSync(file, data);
  const published = await ok(["publish", file], options.publishTimeoutMs);
  const blobId = /^(0x[0-9a-f]{64})/m.exec(published.stdout)![1];
  return { node: await startNodeProcess(args, env), args, dataDir, nodeId, address, blobId, data, published };
}

/** A fresh client account with `eth` wei and `usdc` base units (sent by `funder`), initialised as a cdn-client data dir. */
export async function fundedClientDir(env: NodeJS.ProcessEnv, funder: Signer, usdcAddress: string, eth: bigint, usdc: bigint): Promise<{ dir: string; address: string }> {
  const secret = "0x" + randomBytes(32).toString("hex");
  const address = new Wallet(secret).address;
  if (eth > 0n) await (await funder.sendTransaction({ to: address, value: eth })).wait();
  if (usdc > 0n) await (await TestUSDC__factory.connect(usdcAddress, funder).mint(address, usdc)).wait();
  const dir = tmpDir("cdn-client-proc-");
  const r = await runCli(CLIENT_CLI, ["--data-dir", dir, "init", "--import", secret], env);
  if (r.code !== 0) throw new Error(`cdn-client init failed:\n${r.stderr}`);
  return { dir, address };
}
