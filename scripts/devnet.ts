/**
 * `npm run devnet`: the whole protocol on one machine, until Ctrl-C. Options: --port <n> (default
 * 8545, or CDN_DEVNET_PORT); --chain hardhat|anvil (or CDN_DEVNET_CHAIN; default hardhat: Hardhat's
 * node, a block per transaction); --block-time <s> (anvil only, or CDN_DEVNET_BLOCK_TIME; default 2:
 * interval mining like an L2, 0 for a block per transaction); --chain-only (or CDN_DEVNET_MINIMAL=1): the chain, contracts and
 * funded accounts only (what task tests need). CDN_DEVNET_EXIT_AFTER_READY=1 stops it once ready.
 *
 * Steps: start the chain node as a child process (scripts/chain-node.ts) → deploy through the Ignition modules → write
 * deployments/chain-31337.json → fund accounts #0-#9 with TestUSDC and accounts #1-#3 with
 * delegated CDN votes → (unless --chain-only) the network of scripts/devnet-network.ts: an origin,
 * three cache nodes in two regions, a watchtower and a slasher as real processes, a sample blob, a
 * paid fetch through a cache node, channel closes and a summary → example commands.
 */
import type { ChildProcess } from "node:child_process";
import path from "node:path";
import { parseArgs } from "node:util";
import { formatEther, formatUnits, parseEther, parseUnits } from "ethers";
import type { NetworkSummary } from "./devnet-network.js";
import { CHAIN_KINDS, startChainNode, type ChainKind } from "./chain-node.js";

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
if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`--port must be a TCP port number, not "${options.port}".`);
const rpcUrl = `http://127.0.0.1:${port}`;
process.env.CDN_RPC_URL = rpcUrl; // the `localhost` network in hardhat.config.ts reads it

const children: ChildProcess[] = [];
let stopping = false;
const running = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;
async function stopAll(list: ChildProcess[]): Promise<void> {
  await Promise.all(
    list.filter(running).map(
      (child) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
          child.once("exit", () => (clearTimeout(timer), resolve()));
          child.kill("SIGTERM");
        }),
    ),
  );
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

async function main() {
  const started = Date.now();
  let node;
  try {
    node = await startChainNode({ kind: chainKind, port, blockTime });
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
  console.log(`chain      ${chainKind === "anvil" ? "anvil" : "Hardhat"} JSON-RPC on ${rpcUrl} (chain id 31337, ${mining})`);

  const { network } = await import("hardhat");
  const connection = await network.getOrCreate({ network: "localhost" });
  const { deployDevnet } = await import("../deploy/deploy.js");
  const { deployment, file } = await deployDevnet(connection, { networkName: "localhost" });
  console.log(`deployed   ${path.relative(ROOT, file)}`);
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

  console.log("accounts   (Hardhat's well-known development keys; never use them on a real network)");
  for (const [i, signer] of funded.entries()) {
    const usdcBalance = formatUnits(await usdc.balanceOf(signer.address), 6);
    const votes = formatEther(await token.getVotes(signer.address));
    console.log(`  #${i} ${signer.address}  ${Number(formatEther(await ethers.provider.getBalance(signer.address))).toFixed(0)} ETH  ${usdcBalance} USDC  ${votes} votes`);
  }
  const net = "--network localhost";
  let net_: NetworkSummary | undefined;
  if (!chainOnly) {
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
    });
  }
  const port_ = port === 8545 ? "" : ` CDN_RPC_URL=${rpcUrl}`;
  const envPrefix = process.env.CDN_DEPLOYMENTS_DIR ? `CDN_DEPLOYMENTS_DIR=${process.env.CDN_DEPLOYMENTS_DIR}${port_} ` : port_ ? `${port_.trim()} ` : "";
  const hh = `${envPrefix}npx hardhat`;
  const n = net_;
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
ready in ${((Date.now() - started) / 1000).toFixed(1)} s. Try, in another terminal:${agentExamples}
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
