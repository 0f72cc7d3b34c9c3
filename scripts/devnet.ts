/**
 * `npm run devnet`: the whole protocol on one machine, until Ctrl-C. Options: --port <n> (default
 * 8545, or CDN_DEVNET_PORT); --chain hardhat|anvil (or CDN_DEVNET_CHAIN; default hardhat: Hardhat's
 * node, a block per transaction); --block-time <s> (anvil only, or CDN_DEVNET_BLOCK_TIME; default 2:
 * interval mining like an L2, 0 for a block per transaction); --chain-only (or CDN_DEVNET_MINIMAL=1): the chain, contracts and
 * funded accounts only (what task tests need). CDN_DEVNET_EXIT_AFTER_READY=1 stops it once ready.
 *
 * Ports: the chain's JSON-RPC on --port, the agents' libp2p on the next five (--port + 1 … + 5: four
 * nodes, the watchtower), so devnets whose ports are six or more apart never collide; every port is
 * checked before anything starts (one sentence when one is taken). State, agent logs included, in
 * /tmp/cdn-devnet-<port>/.
 *
 * Steps: start the chain node as a child process (scripts/chain-node.ts) while Hardhat loads and
 * compiles (skipped when no contract changed since the last build) and the agents' bundles are
 * checked (bin/agents-build.js; rebuilt after a change) → deploy through the Ignition modules → write
 * deployments/chain-31337.json → fund accounts #0-#9 with TestUSDC and accounts #1-#3 with
 * delegated CDN votes → (unless --chain-only) the network of scripts/devnet-network.ts: an origin,
 * three cache nodes in two regions, a watchtower and a slasher as real processes, a sample blob, a
 * paid fetch through a cache node, channel closes and a summary → example commands.
 */
import type { ChildProcess } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { parseArgs } from "node:util";
import { formatEther, formatUnits, parseEther, parseUnits } from "ethers";
import type { NetworkSummary } from "./devnet-network.js";
import { AGENT_PORTS } from "./devnet-ports.js";
import { CHAIN_KINDS, startChainNode, type ChainKind } from "./chain-node.js";
import { stopProcess } from "./stop-process.js";
import { ensureAgentsBuilt } from "../bin/agents-build.js";

const ROOT = path.resolve(import.meta.dirname, "..");

function fail(message: string): never {
  console.error(`devnet: ${message}`);
  process.exit(1);
}

let options;
try {
  options = parseArgs({ options: { port: { type: "string" }, "chain-only": { type: "boolean" }, chain: { type: "string" }, "block-time": { type: "string" } }, strict: true }).values;
} catch (error) {
  fail(`${(error as Error).message}. Usage: npm run devnet [-- --port 8545] [-- --chain hardhat|anvil] [-- --block-time 2] [-- --chain-only]`);
}
const chainKind = (options.chain ?? process.env.CDN_DEVNET_CHAIN ?? "hardhat") as ChainKind;
if (!CHAIN_KINDS.includes(chainKind)) fail(`--chain must be one of ${CHAIN_KINDS.join(", ")}, not "${chainKind}".`);
// anvil mines every 2 s by default (like an L2); Hardhat's node mines one block per transaction
const blockTime = Number(options["block-time"] ?? process.env.CDN_DEVNET_BLOCK_TIME ?? (chainKind === "anvil" ? 2 : 0));
if (!Number.isInteger(blockTime) || blockTime < 0) fail(`--block-time must be a whole number of seconds, not "${options["block-time"]}".`);
if (blockTime > 0 && chainKind !== "anvil") fail("--block-time needs --chain anvil (Hardhat's node here mines one block per transaction).");
const chainOnly = options["chain-only"] === true || process.env.CDN_DEVNET_MINIMAL === "1";
const port = Number(options.port ?? process.env.CDN_DEVNET_PORT ?? 8545);
if (!Number.isInteger(port) || port < 1 || port > 65535 - AGENT_PORTS)
  fail(`--port must be a TCP port number up to ${65535 - AGENT_PORTS} (the agents use the next ${AGENT_PORTS}), not "${options.port}".`);
const rpcUrl = `http://127.0.0.1:${port}`;
process.env.CDN_RPC_URL = rpcUrl; // the `localhost` network in hardhat.config.ts reads it

const children: ChildProcess[] = [];
let stopping = false;
async function stopAll(list: ChildProcess[]): Promise<void> {
  await Promise.all(list.map(stopProcess));
}
function shutdown(code = 0): void {
  if (stopping) return;
  stopping = true;
  console.log("\ndevnet: stopping…");
  // agents first (they may still talk to the chain), then the chain
  const [chain, ...agents] = children;
  void stopAll(agents)
    .then(() => stopAll(chain ? [chain] : []))
    .finally(() => process.exit(code));
}
process.on("SIGINT", () => shutdown(0));
process.on("SIGTERM", () => shutdown(0));

/** Resolves when `p` can be bound on 127.0.0.1 (and frees it again); false when something holds it. */
function portFree(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(p, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** Newest modification time in `dir` (its entries and sub-directories included: a deleted file changes its directory). */
function newest(file: string): number {
  const stat = statSync(file, { throwIfNoEntry: false });
  if (!stat) return Infinity;
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(file).map((entry) => newest(path.join(file, entry))));
}

/**
 * True when the last Hardhat build ran after every change to the contracts, the config and the
 * installed packages: the build task (3 s of CPU even with nothing to compile) is skipped. Hardhat's
 * build rewrites the contract bindings every time it runs, successful builds only, so their index
 * tells when it last ran.
 */
function contractsBuilt(): boolean {
  if (process.env.CDN_BUILD_DIR) return false; // artifacts elsewhere: let Hardhat decide
  const lastBuild = statSync(path.join(ROOT, "types/ethers-contracts/index.ts"), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const sources = ["contracts", "hardhat.config.ts", "node_modules/.package-lock.json"].map((f) => newest(path.join(ROOT, f)));
  return existsSync(path.join(ROOT, "artifacts/build-info")) && Math.max(...sources) < lastBuild;
}

/** Seconds since this process started: the one clock of every figure the devnet prints. */
const elapsed = (): string => `${process.uptime().toFixed(1)} s`;

async function main() {
  const wanted = chainOnly ? [port] : Array.from({ length: AGENT_PORTS + 1 }, (_, i) => port + i);
  const taken = [];
  for (const p of wanted) if (!(await portFree(p))) taken.push(p);
  if (taken.length > 0) {
    const which = taken.includes(port)
      ? `port ${port} (the chain's JSON-RPC) is`
      : `port${taken.length > 1 ? "s" : ""} ${taken.join(", ")} (the agents' libp2p, derived from --port) ${taken.length > 1 ? "are" : "is"}`;
    fail(`${which} already in use on 127.0.0.1 (another devnet, or a chain node?): stop it, or start this one elsewhere with npm run devnet -- --port ${port + 10}.`);
  }
  // the chain node starts while Hardhat loads and checks the build (a compile only after a change)
  const nodeStarting = startChainNode({ kind: chainKind, port, blockTime });
  nodeStarting.catch(() => undefined);
  const hardhat = await import("hardhat");
  if (!contractsBuilt()) await hardhat.tasks.getTask("build").run({ quiet: true });
  // the agents' bundles (bin/agents-build.js: after a change only), built while the chain starts and the contracts deploy
  const agentsBuilt = chainOnly ? Promise.resolve() : ensureAgentsBuilt((line) => console.log(`agents     ${line}`));
  agentsBuilt.catch(() => undefined);
  let node;
  try {
    node = await nodeStarting;
  } catch (error) {
    fail((error as Error).message);
  }
  const chain = node.child;
  children.push(chain);
  chain.on("exit", (code) => {
    if (!stopping) {
      console.error(`devnet: the chain stopped unexpectedly (code ${code}). ${node.errors().trim()}`);
      shutdown(1);
    }
  });
  const mining = blockTime > 0 ? `a block every ${blockTime} s` : "a block per transaction";
  console.log(`chain      ${chainKind === "anvil" ? "anvil" : "Hardhat"} JSON-RPC on ${rpcUrl} (chain id 31337, ${mining}) (${elapsed()})`);

  const connection = await hardhat.network.getOrCreate({ network: "localhost" });
  const { deployDevnet } = await import("../deploy/deploy.js");
  const { deployment, file } = await deployDevnet(connection, { networkName: "localhost", deploymentId: `devnet-31337-${port}` });
  console.log(`deployed   ${path.relative(ROOT, file)} (${elapsed()})`);
  for (const [name, address] of Object.entries(deployment.contracts)) console.log(`  ${name.padEnd(16)} ${address}`);

  const { ethers } = connection;
  const signers = await ethers.getSigners();
  const [deployer] = signers;
  const usdc = await ethers.getContractAt("TestUSDC", deployment.usdc);
  const token = await ethers.getContractAt("CdnToken", deployment.contracts.CdnToken!);
  const funded = signers.slice(0, 10);
  // send everything, then wait: on an interval-mined chain (anvil) the node queues them by nonce
  // and they land in one or two blocks instead of one block each
  const sent = [];
  for (const signer of funded) sent.push(await usdc.mint(signer.address, parseUnits("100000", 6)));
  const voters = signers.slice(1, 4);
  for (const voter of voters) {
    sent.push(await token.connect(deployer).transfer(voter.address, parseEther("10000000")));
    sent.push(await token.connect(voter).delegate(voter.address));
  }
  sent.push(await token.connect(deployer).delegate(deployer.address));
  for (const tx of sent) {
    const receipt = await tx.wait();
    if (receipt?.status !== 1) fail(`setup transaction ${tx.hash} failed`);
  }

  console.log(`accounts   (Hardhat's well-known development keys; never use them on a real network) (${elapsed()})`);
  const rows = await Promise.all(
    funded.map(async (signer, i) => {
      const [usdcBalance, votes, eth] = await Promise.all([usdc.balanceOf(signer.address), token.getVotes(signer.address), ethers.provider.getBalance(signer.address)]);
      return `  #${i} ${signer.address}  ${Number(formatEther(eth)).toFixed(0)} ETH  ${formatUnits(usdcBalance, 6)} USDC  ${formatEther(votes)} votes`;
    }),
  );
  for (const row of rows) console.log(row);
  const net = "--network localhost";
  let net_: NetworkSummary | undefined;
  if (!chainOnly) {
    await agentsBuilt;
    const { JsonRpcProvider } = await import("ethers");
    const { startNetwork } = await import("./devnet-network.js");
    const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, pollingInterval: 200 });
    net_ = await startNetwork({
      port,
      rpcUrl,
      provider,
      deployment,
      funder: await provider.getSigner(0),
      track: (child, name) => {
        children.push(child);
        child.on("exit", (code, signal) => {
          if (!stopping) console.error(`devnet: ${name} stopped unexpectedly (${signal ?? `code ${code}`})`);
        });
      },
      log: (line) => console.log(line),
      elapsed,
    });
  }
  const port_ = port === 8545 ? "" : ` CDN_RPC_URL=${rpcUrl}`;
  const envPrefix = process.env.CDN_DEPLOYMENTS_DIR ? `CDN_DEPLOYMENTS_DIR=${process.env.CDN_DEPLOYMENTS_DIR}${port_} ` : port_ ? `${port_.trim()} ` : "";
  const hh = `${envPrefix}npx hardhat`;
  const n = net_;
  const logs = n
    ? `\nAgent logs: ${n.logsDir}/<name>.log (${n.agents
        .filter((a) => a.logFile)
        .map((a) => a.name)
        .join(", ")}).`
    : "";
  const agentExamples = n
    ? `
  ${envPrefix}npm run cdn-client -- --data-dir ${n.clientDir} fetch ${n.blobId} -o /tmp/sample.bin
  ${envPrefix}npm run cdn-client -- --data-dir ${n.clientDir} fetch ${n.blobId} -o /tmp/sample2.bin --via ${n.cacheNodeKey.toLowerCase()}
  ${envPrefix}npm run cdn-client -- --data-dir ${n.clientDir} channels list
  ${envPrefix}npm run cdn-node -- --data-dir ${n.dir}/origin status
  ${envPrefix}npm run cdn-node -- --data-dir ${n.dir}/cache-2 channels list
  ${envPrefix}npm run cdn-watchtower -- --data-dir ${n.dir}/watchtower status
  ${envPrefix}npm run cdn-slasher -- --data-dir ${n.slasherDir} notice add ${n.blobId}
  ${hh} gov:propose --action blacklist-add --blob ${n.blobId} --description "Takedown" --from 1 ${net}    (then vote, queue, execute as below)
  ${hh} chain:advance --seconds 86401 ${net}    (past the compliance window: the slasher probes every node; honest ones refuse)
  ${envPrefix}npm run cdn-slasher -- --data-dir ${n.slasherDir} status
  ${hh} node:list ${net}
  ${hh} channel:list --node ${n.cacheNodeKey} ${net}
  ${hh} blacklist:check ${n.blobId} ${net}`
    : "";
  console.log(`
ready in ${elapsed()}.${logs} Try, in another terminal:${agentExamples}
  ${hh} devnet:fund --to <your address> --usdc 100 --eth 1 ${net}
  ${hh} params:show ${net}
  ${hh} gov:propose --action param --key disputeWindow --value 36h --description "Longer disputes" --from 1 ${net}
  ${hh} chain:advance --blocks 2 ${net}
  ${hh} gov:vote --id <id> --support for --from 1 ${net}    (and --from 2)
  ${hh} chain:advance --blocks 6 ${net}
  ${hh} gov:queue --id <id> ${net}
  ${hh} chain:advance --seconds 3 ${net}
  ${hh} gov:execute --id <id> ${net}
  ${hh} gov:status --id <id> ${net}
New here? docs/first-hour.md walks through these commands; every guide: docs/README.md.
Ctrl-C stops the devnet.`);
  if (process.env.CDN_DEVNET_EXIT_AFTER_READY === "1") shutdown(0);
}

main().catch((error) => {
  console.error(`devnet: ${(error as Error).message}`);
  shutdown(1);
});
