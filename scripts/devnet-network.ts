/**
 * The devnet's network (scripts/devnet.ts without --chain-only): one origin, three cache nodes in
 * two regions, a watchtower and a slasher, each a real process (process.execPath + the project's
 * CLI launchers in bin/); then a sample blob published by the origin, a paid client fetch
 * through a cache node (`cdn-client fetch --via`, with a progress bar on a terminal), the nodes
 * closing their channels (`cdn-node channels close`), and a summary of who was paid what, the
 * protocol fees and the gas used.
 *
 * Shortcuts of a local chain, said plainly: keys are created and registered in this process with
 * the agents' own functions (createKeyFile, registerNode: what `init` and `register` run), and the
 * origin is recognized by impersonating the timelock (hardhat_impersonateAccount) instead of a
 * governance proposal (the gov:* flow is shown by test/tasks/gov.e2e.test.ts and
 * test/e2e/governance.test.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { formatUnits, JsonRpcSigner, Wallet, type JsonRpcProvider, type Signer } from "ethers";
import { connectContracts } from "../agents/chain/contracts.js";
import { operatorWithdrawable } from "../agents/chain/credits.js";
import { TestUSDC__factory } from "../types/ethers-contracts/index.js";
import type { Deployment } from "../agents/chain/deployment.js";
import { createKeyFile, type Identity } from "../agents/runtime/keys.js";
import { registerNode } from "../agents/node/registration.js";
import { NodeStore } from "../agents/node/store.js";
import { AGENT_PORTS, devnetStateDir } from "./devnet-ports.js";

export const ROOT = path.resolve(import.meta.dirname, "..");
// the CLIs' launchers (bin/): each runs its bundle, which scripts/devnet.ts has built before anything starts
const bin = (name: string) => ["--disable-warning=ExperimentalWarning", path.join(ROOT, "bin", `${name}.js`)];
export const CLI = { node: bin("cdn-node"), client: bin("cdn-client"), watchtower: bin("cdn-watchtower"), slasher: bin("cdn-slasher") };
const USDC = 1_000_000n;
const usdc = (v: bigint): string => `${formatUnits(v, 6)} USDC`;

export interface NetworkContext {
  port: number;
  rpcUrl: string;
  provider: JsonRpcProvider;
  deployment: Deployment;
  /** Funds new accounts (account #0 on the devnet). */
  funder: Signer;
  /** Registers a long-running child so that shutdown stops it. */
  track(child: ChildProcess, name: string): void;
  log(line: string): void;
  /** The devnet's clock (seconds since it started), for the progress lines. */
  elapsed(): string;
}

interface Agent {
  name: string;
  role: string;
  dir: string;
  identity: Identity;
  region?: number;
  pricePerGiB?: bigint;
  nodeId?: bigint;
  /** Where a long-running agent's output goes. */
  logFile?: string;
}

export interface NetworkSummary {
  dir: string;
  blobId: string;
  sampleFile: string;
  cacheNodeKey: string;
  clientDir: string;
  slasherDir: string;
  logsDir: string;
  agents: Agent[];
}

/** Runs a CLI to completion; rejects with its output on a non-zero exit. */
function run(cli: string[], args: string[], env: NodeJS.ProcessEnv, options: { stderr?: "inherit"; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...cli, ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", options.stderr ?? "pipe"] });
    let out = "";
    let err = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr?.on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${path.basename(cli.at(-1)!, ".js")} ${args.filter((a) => !a.startsWith("/")).join(" ")} failed (code ${code}): ${(err || out).trim().split("\n").slice(-3).join(" ")}`));
    });
  });
}

/** Starts a long-running agent, its output (stdout and stderr) appended to `logFile`; resolves with its JSON ready line. */
function startAgent(ctx: NetworkContext, name: string, cli: string[], args: string[], env: NodeJS.ProcessEnv, logFile: string): Promise<Record<string, unknown>> {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...cli, ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  ctx.track(child, name);
  const log = createWriteStream(logFile, { flags: "a" });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  child.on("exit", () => log.end());
  let out = "";
  let buffer = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} was not ready within 180 s: ${out.slice(-500)}`)), 180_000); // minutes only on a loaded machine
    child.stderr!.on("data", (d) => (out = (out + d).slice(-20_000)));
    child.stdout!.on("data", (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split("\n");
      buffer = lines.pop()!;
      for (const line of lines) {
        out = (out + line + "\n").slice(-20_000);
        if (line.startsWith('{"ready":true')) {
          clearTimeout(timer);
          resolve({ ...(JSON.parse(line) as Record<string, unknown>), startSeconds: (performance.now() - spawnedAt) / 1000 });
        } else if (name === "slasher" && /^(probe|slash|settled)/.test(line)) {
          ctx.log(`  [slasher] ${line}`);
        }
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with code ${code}: ${out.trim().split("\n").slice(-3).join(" ")}`));
    });
  });
}

export async function startNetwork(ctx: NetworkContext): Promise<NetworkSummary> {
  const step = (what: string) => ctx.log(`${what.padEnd(10)} (${ctx.elapsed()})`);
  const dir = devnetStateDir(ctx.port);
  rmSync(dir, { recursive: true, force: true });
  const logsDir = path.join(dir, "logs");
  mkdirSync(logsDir, { recursive: true });
  // V8's code cache for the agents' modules (a dozen processes load the same ~2,000 files): less CPU per start
  const env: NodeJS.ProcessEnv = { NODE_COMPILE_CACHE: path.join(os.tmpdir(), "cdn-devnet-compile-cache"), ...process.env, CDN_RPC_URL: ctx.rpcUrl };
  const { provider, deployment } = ctx;
  const contracts = connectContracts(deployment, provider);

  // keys and configs
  const agent = (name: string, role: string, extra: Partial<Agent> = {}): Agent => {
    const d = path.join(dir, name);
    const keyFile = path.join(d, role === "client" ? "client.key" : role === "watchtower" ? "watchtower.key" : role === "slasher" ? "slasher.key" : "node.key");
    const logFile = ["client"].includes(role) ? undefined : path.join(logsDir, `${name}.log`);
    return { name, role, dir: d, identity: createKeyFile(keyFile), logFile, ...extra };
  };
  const origin = agent("origin", "origin", { region: 1, pricePerGiB: 1n * USDC });
  const caches = [
    agent("cache-1", "cache", { region: 1, pricePerGiB: 2n * USDC }),
    agent("cache-2", "cache", { region: 2, pricePerGiB: 2n * USDC }),
    agent("cache-3", "cache", { region: 2, pricePerGiB: 3n * USDC }),
  ];
  const nodes = [origin, ...caches];
  const tower = agent("watchtower", "watchtower");
  const slasher = agent("slasher", "slasher");
  const client = agent("client", "client");
  const all = [...nodes, tower, slasher, client];
  // derived from the chain's port (scripts/devnet.ts checked they are free): two devnets never collide
  const ports = Array.from({ length: AGENT_PORTS }, (_, i) => ctx.port + 1 + i);

  // fund: 10 ETH each; USDC: nodes 1,000 (bond), client 100, slasher 20 (probe deposits)
  const usdcAmount = (a: Agent) => (a.role === "client" ? 100n * USDC : a.role === "slasher" ? 20n * USDC : a.role === "watchtower" ? 0n : 1000n * USDC);
  // the funder is the node's own account (it assigns nonces): send everything, then wait, so an
  // interval-mined chain (anvil) takes one or two blocks instead of one block per transaction
  const usdcToken = TestUSDC__factory.connect(deployment.usdc, ctx.funder);
  const sent = [];
  for (const a of all) {
    sent.push(await ctx.funder.sendTransaction({ to: a.identity.address, value: 10n ** 19n }));
    if (usdcAmount(a) > 0n) sent.push(await usdcToken.mint(a.identity.address, usdcAmount(a)));
  }
  for (const tx of sent) await tx.wait();

  // register the four nodes (node key = operator), recognize the origin (timelock impersonated)
  await Promise.all(
    nodes.map(async (n, i) => {
      const wallet = new Wallet(n.identity.wallet.privateKey, provider);
      n.nodeId = await registerNode(connectContracts(deployment, wallet), n.identity, wallet, {
        capacityMbps: 100,
        region: n.region!,
        pricePerGiB: n.pricePerGiB!,
        multiaddrs: [`/ip4/127.0.0.1/tcp/${ports[i]}/p2p/${n.identity.peerId.toString()}`],
      });
    }),
  );
  const timelock = deployment.contracts.CdnTimelock!;
  await provider.send("hardhat_impersonateAccount", [timelock]);
  await provider.send("hardhat_setBalance", [timelock, "0x56BC75E2D63100000"]);
  await (await connectContracts(deployment, new JsonRpcSigner(provider, timelock)).origins.recognize(origin.nodeId!, origin.identity.address)).wait();
  await provider.send("hardhat_stopImpersonatingAccount", [timelock]);
  step("registered");
  for (const n of nodes)
    ctx.log(`  node ${n.nodeId} ${n.name.padEnd(8)} region ${n.region}  ${usdc(n.pricePerGiB!)}/GiB  key ${n.identity.address}${n === origin ? "  (recognized origin)" : "  (cache)"}`);

  // everything starts at once: the watchtower's address is known (its key and derived port), the
  // origin starts once the sample blob is published (its store holds it); process starts are CPU-bound
  const towerAddr = `/ip4/127.0.0.1/tcp/${ports[nodes.length]}/p2p/${tower.identity.peerId.toString()}`;
  writeFileSync(path.join(tower.dir, "config.json"), JSON.stringify({ listen: [`/ip4/127.0.0.1/tcp/${ports[nodes.length]}`], confirmations: 0, pollMs: 500, logLevel: "warn", logPretty: false }));
  const sampleFile = path.join(dir, "sample.bin");
  writeFileSync(sampleFile, randomBytes(3 * 1024 * 1024 + 12_345));
  const nodeConfig = (n: Agent, i: number, extra: Record<string, unknown>) =>
    writeFileSync(
      path.join(n.dir, "config.json"),
      JSON.stringify(
        {
          listen: [`/ip4/127.0.0.1/tcp/${ports[i]}`],
          region: n.region,
          pricePerGiB: n.pricePerGiB!.toString(),
          confirmations: 0,
          pollMs: 500,
          sweepMs: 0,
          logLevel: "warn",
          logPretty: false,
          ...extra,
        },
        null,
        2,
      ),
    );
  nodeConfig(origin, 0, { watchtowers: [towerAddr] });
  caches.forEach((c, i) => nodeConfig(c, i + 1, { watchtowers: [towerAddr], cache: { budgetBytes: 256 * 1024 * 1024 } }));
  const noticeFile = path.join(slasher.dir, "notices.txt");
  writeFileSync(noticeFile, "# compliance notices: one blob id a line (cdn-slasher notice add <blobId> works too)\n");
  writeFileSync(path.join(slasher.dir, "config.json"), JSON.stringify({ notices: [noticeFile], intervalMs: 3000, logLevel: "warn", logPretty: false }, null, 2));
  const start = (a: Agent, cli: string[]) => startAgent(ctx, a.name, cli, ["--data-dir", a.dir, "start"], env, a.logFile!);
  const others = [start(tower, CLI.watchtower), ...caches.map((c) => start(c, CLI.node)), start(slasher, CLI.slasher)];
  others.forEach((p) => p.catch(() => undefined)); // awaited below
  const published = await run(CLI.node, ["--data-dir", origin.dir, "publish", sampleFile], env);
  const blobId = /0x[0-9a-f]{64}/.exec(published)![0];
  step("published");
  ctx.log(`  sample blob ${blobId} (${(3 * 1024 * 1024 + 12_345).toLocaleString("en")} bytes) on the origin`);
  const ready = await Promise.all([start(origin, CLI.node), ...others]);
  step("started");
  const startSeconds = ready.map((r) => r.startSeconds as number);
  ctx.log(
    `  4 nodes, a watchtower (${tower.identity.address}) and a slasher (${slasher.identity.address}) running (up ${Math.min(...startSeconds).toFixed(1)}–${Math.max(...startSeconds).toFixed(1)} s after each process started)`,
  );

  // the paid fetch through a cache node
  // an operator's payouts are credited to its node in PaymentChannel until it withdraws them (cdn-node withdraw),
  // other credits (failed refunds, bounties, slash rewards) to the account, and the treasury's protocol fees
  // accrue there until a DAO member runs treasury:withdraw: count them all as their owner's
  const holds = async (a: string, nodeId?: bigint) =>
    (await contracts.usdc.balanceOf(a)) + (await operatorWithdrawable(contracts, nodeId ?? 0n, a)) + (a === timelock ? (await contracts.channels.protocolFees()).owed : 0n);
  const balances = async () =>
    new Map(await Promise.all([...all.map((a) => [a.identity.address, a.nodeId] as const), [timelock, undefined] as const].map(async ([a, nodeId]) => [a, await holds(a, nodeId)] as const)));
  const before = await balances();
  const startBlock = await provider.getBlockNumber();
  const via = caches[1]; // region 2: it fetches from the origin in region 1
  const output = path.join(client.dir, "sample.out");
  ctx.log(`fetching   the sample blob through ${via.name} (node ${via.nodeId}, region ${via.region}), which fetches it from the origin and pays it:`);
  const fetchArgs = ["--data-dir", client.dir, "fetch", blobId, "-o", output, "--via", via.identity.address];
  let fetched: string | undefined;
  // a transient refusal (a probe unanswered on a busy machine, a node busy) says "try again": the devnet does, twice (a rerun resumes)
  for (let attempt = 1; fetched === undefined; attempt++) {
    try {
      fetched = await run(CLI.client, fetchArgs, env, { stderr: process.stderr.isTTY ? "inherit" : undefined });
    } catch (error) {
      if (attempt === 3 || !/try again/.test((error as Error).message)) throw error;
      ctx.log(`  ${(error as Error).message.replace(/^.*?: cdn-client: /, "")} Trying again.`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  ctx.log(`  ${fetched.trim()}`);
  const same = createHash("sha256").update(readFileSync(output)).digest("hex") === createHash("sha256").update(readFileSync(sampleFile)).digest("hex");
  if (!same) throw new Error("the fetched file differs from the sample blob");
  ctx.log("  the fetched bytes equal the sample blob");
  step("fetched");

  // the nodes that hold vouchers close their channels with their best ones (immediate payout)
  const payees = nodes.filter((n) => {
    const store = new NodeStore(path.join(n.dir, "node.db"));
    try {
      return store.vouchers().length > 0;
    } finally {
      store.close();
    }
  });
  const closes = await Promise.all(payees.map((n) => run(CLI.node, ["--data-dir", n.dir, "channels", "close"], env)));
  payees.forEach((n, i) => {
    for (const line of closes[i]
      .trim()
      .split("\n")
      .filter((l) => l.includes("closed")))
      ctx.log(`  ${n.name} closed channel ${line.replace(/^(0x[0-9a-f]{8})[0-9a-f]+: closed, /, "$1… with its best voucher: ")}`);
  });
  step("closed");

  // summary
  const after = await balances();
  const gas = new Map<string, bigint>();
  const latest = await provider.getBlockNumber();
  const blocks = await Promise.all(Array.from({ length: latest - startBlock }, (_, i) => provider.getBlock(startBlock + 1 + i, true)));
  const txs = blocks.flatMap((block) => block?.prefetchedTransactions ?? []);
  const receipts = await Promise.all(txs.map((tx) => provider.getTransactionReceipt(tx.hash)));
  txs.forEach((tx, i) => gas.set(tx.from.toLowerCase(), (gas.get(tx.from.toLowerCase()) ?? 0n) + (receipts[i]?.gasUsed ?? 0n)));
  const delta = (a: string) => after.get(a)! - before.get(a)!;
  const sign = (v: bigint) => (v > 0n ? `+${usdc(v)}` : v < 0n ? `-${usdc(-v)}` : usdc(0n));
  ctx.log("\nsummary of the paid fetch (USDC balance changes, credit in PaymentChannel included; gas used by each account's transactions)");
  for (const a of [client, ...nodes, tower, slasher]) {
    const g = gas.get(a.identity.address.toLowerCase()) ?? 0n;
    ctx.log(`  ${a.name.padEnd(10)} ${a.identity.address}  ${sign(delta(a.identity.address)).padStart(18)}   gas ${g.toLocaleString("en")}`);
  }
  ctx.log(
    `  ${"treasury".padEnd(10)} ${timelock}  ${sign(delta(timelock)).padStart(18)}   (protocol fee: ${Number(await contracts.params.protocolFeeBps()) / 100} % of every payout, held in PaymentChannel until a DAO member runs npx hardhat treasury:withdraw)`,
  );
  ctx.log(
    `  the client paid ${via.name} for the bytes; ${via.name} paid the origin for the same bytes upstream (fan-out); each payee kept its share after the fee, credited in PaymentChannel (cdn-node withdraw collects it)`,
  );
  return { dir, blobId, sampleFile, cacheNodeKey: caches[0].identity.address, clientDir: client.dir, slasherDir: slasher.dir, logsDir, agents: all };
}
