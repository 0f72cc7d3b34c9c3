/**
 * `npm run soak` (not part of `npm test`): a node under hostile peers and crashes, in bounded time.
 *
 * A devnet chain, one origin node (`cdn-node start`, its own process) holding a SOAK_MIB blob
 * (default 4 MiB), and an honest client (in this process) that fetches it: first unloaded
 * (the baseline), then while each attack runs from plain js-libp2p peers in a separate attacker
 * process (TCP + noise + yamux + kad-dht; nothing of the project on the attacker side beyond the
 * wire encoding of a fetch request):
 *   idle-fetch       8 connections × 8 /cdn/fetch streams that send nothing, reopened as they close
 *   refused-requests well-formed requests naming a channel that does not exist, 32 at a time
 *   dht-provider     ADD_PROVIDER for random CIDs from an unbonded DHT server, as fast as it goes
 *   conn-flood       new identities connecting as fast as they can (64 at a time)
 *   stream-flood     streams for an unsupported protocol, 32 at a time on 4 connections
 *   slow-reader      a paying peer (it owns a funded channel) that requests the blob on 8 streams
 *                    and never reads the answer (its streams paused), reopened as they are cut
 * then watchtower outages (SOAK_OUTAGES, default 5): while the honest client fetches, the node's
 * watchtower (`cdn-watchtower start`, its own process) is frozen with SIGSTOP for 1–5 s (an outage
 * of exactly that length: no restart time in it) and resumed with SIGCONT, and the node is
 * SIGKILLed 0–3 s later: the watchtower must then hold every voucher the node acknowledged 5 s or
 * more before it died;
 * then a crash loop (SOAK_ITERATIONS, default 10): a `cdn-client fetch` process, and the node or
 * the client SIGKILLed at a random point, interleaved so that a share SOAK_NODE_KILL_SHARE (default
 * 0.5) of the iterations are node kills (200 iterations, or 134 at 0.75, make 100 node kills); the
 * node is restarted if it was killed, and the client
 * runs again until the file is complete. A lockout is a rerun that does not finish; value lost is
 * an acknowledged voucher (logged "voucher stored", after the fsync) missing from the node's store
 * after a kill; paid twice is what a client-kill rerun paid beyond what the node had sent before
 * the kill plus the bytes its file still lacked.
 *
 * Prints one table (markdown): honest fetch time under each attack vs unloaded, node RSS growth,
 * and the outage and crash loop figures. Env: SOAK_MIB, SOAK_ATTACK_SECONDS (default 15),
 * SOAK_OUTAGES, SOAK_ITERATIONS, SOAK_NODE_KILL_SHARE.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { JsonRpcProvider, Wallet } from "ethers";
import { createLibp2p, type Libp2p } from "libp2p";
import { tcp } from "@libp2p/tcp";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { identify } from "@libp2p/identify";
import { ping } from "@libp2p/ping";
import { kadDHT, passthroughMapper } from "@libp2p/kad-dht";
import { generateKeyPair, privateKeyFromRaw } from "@libp2p/crypto/keys";
import { multiaddr } from "@multiformats/multiaddr";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { agentCli, startAgentProcess, startDevnet, stopProcess, ROOT } from "../test/helpers/processes.js";
import { freePort, randomFile } from "../test/e2e/delivery-fixture.js";
import { CLIENT_CLI, NODE_CLI, devKey, recognizeOrigin, runCli, startNodeProcess, writeNodeConfig, type RunningNode } from "../test/e2e/delivery-processes.js";
import { connectContracts } from "../agents/chain/contracts.js";
import { readDeployment } from "../agents/chain/deployment.js";
import { createHost } from "../agents/runtime/host.js";
import { identityFromSecret } from "../agents/runtime/keys.js";
import { ClientStore } from "../agents/client/store.js";
import { createClient } from "../agents/client/client.js";
import { clientChainView } from "../agents/client/chain.js";
import { NodeStore } from "../agents/node/store.js";
import { WatchtowerStore } from "../agents/watchtower/store.js";
import { amountOwed } from "../agents/protocol/pricing.js";
import { encodeFrame } from "../agents/protocol/wire/framing.js";
import { encodeFetchClientMessage } from "../agents/protocol/wire/messages.js";
import { LEAF_SIZE, PROTOCOL_FETCH } from "../agents/protocol/constants.js";
import { tmpDir } from "../test/helpers/tmp.js";

const ATTACKS = ["idle-fetch", "refused-requests", "dht-provider", "conn-flood", "stream-flood", "slow-reader"] as const;
type Attack = (typeof ATTACKS)[number];

// ---------------------------------------------------------------- the attacker process (plain libp2p)

async function plainPeer(options: { dht?: boolean; secret?: string } = {}): Promise<Libp2p> {
  return createLibp2p({
    privateKey: options.secret ? privateKeyFromRaw(Buffer.from(options.secret.slice(2), "hex")) : await generateKeyPair("secp256k1"),
    addresses: { listen: options.dht ? ["/ip4/127.0.0.1/tcp/0"] : [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { maxConnections: 10_000 },
    services: {
      identify: identify(),
      ping: ping(),
      ...(options.dht ? { dht: kadDHT({ protocol: "/cdn/kad/1.0.0", clientMode: false, peerInfoMapper: passthroughMapper }) } : {}),
    },
  }) as unknown as Promise<Libp2p>;
}

/** Resolves when the stream closes or at `until` (ms since the epoch). */
const closedOrUntil = (s: { addEventListener(type: "close", f: () => void, o: { once: boolean }): void }, until: number) =>
  new Promise<void>((resolve) => {
    s.addEventListener("close", () => resolve(), { once: true });
    setTimeout(resolve, Math.max(0, until - Date.now())).unref();
  });

async function attack(kind: Attack, target: string, blobId: string, seconds: number, payer?: { secret: string; channelId: string }): Promise<void> {
  const addr = multiaddr(target);
  const until = Date.now() + seconds * 1000;
  const live = () => Date.now() < until;
  const peers: Libp2p[] = [];
  let ops = 0;
  let errors = 0;
  let firstError: string | undefined;
  const loop = async (n: number, body: () => Promise<void>) =>
    Promise.all(
      Array.from({ length: n }, async () => {
        while (live())
          await body().catch((e: unknown) => {
            errors++;
            firstError ??= (e as Error).message;
            return new Promise((r) => setTimeout(r, 20));
          });
      }),
    );
  if (kind === "idle-fetch") {
    for (let i = 0; i < 8; i++) peers.push(await plainPeer());
    await Promise.all(
      peers.map((p) =>
        loop(8, async () => {
          const s = await p.dialProtocol(addr, PROTOCOL_FETCH, { signal: AbortSignal.timeout(5000) });
          ops++;
          // send nothing; wait until the node drops it (or the attack ends)
          await closedOrUntil(s, until);
          s.abort(new Error("done"));
        }),
      ),
    );
  } else if (kind === "refused-requests") {
    const p = await plainPeer();
    peers.push(p);
    await loop(32, async () => {
      const s = await p.dialProtocol(addr, PROTOCOL_FETCH, { signal: AbortSignal.timeout(5000) });
      const request = encodeFetchClientMessage({ kind: "request", request: { blobId, channelId: "0x" + randomBytes(32).toString("hex"), offset: 0, length: 0 } });
      s.send(encodeFrame(request));
      ops++;
      for await (const _ of s) break; // the refusal: then go again at once
      s.abort(new Error("next"));
    });
  } else if (kind === "dht-provider") {
    const p = await plainPeer({ dht: true });
    peers.push(p);
    await p.dial(addr);
    const dht = (p.services as unknown as { dht: { provide(cid: CID, o: { signal: AbortSignal }): AsyncIterable<unknown> } }).dht;
    await loop(8, async () => {
      const cid = CID.createV1(0x55, await sha256.digest(randomBytes(32)));
      for await (const _ of dht.provide(cid, { signal: AbortSignal.timeout(5000) }));
      ops++;
    });
  } else if (kind === "conn-flood") {
    await loop(64, async () => {
      const p = await plainPeer();
      try {
        ops++;
        await p.dial(addr, { signal: AbortSignal.timeout(5000) });
      } finally {
        await p.stop();
      }
    });
  } else if (kind === "stream-flood") {
    for (let i = 0; i < 4; i++) peers.push(await plainPeer());
    await Promise.all(
      peers.map((p) =>
        loop(8, async () => {
          ops++; // each attempt costs the node a stream and a protocol negotiation, which fails
          const s = await p.dialProtocol(addr, "/junk/1.0.0", { signal: AbortSignal.timeout(5000) });
          s.abort(new Error("unexpected"));
        }),
      ),
    );
  } else if (kind === "slow-reader") {
    // a paying peer: its request names its funded channel, then it reads nothing (the node's writes stall)
    const p = await plainPeer({ secret: payer!.secret });
    peers.push(p);
    await loop(8, async () => {
      const s = await p.dialProtocol(addr, PROTOCOL_FETCH, { signal: AbortSignal.timeout(5000) });
      s.pause();
      s.send(encodeFrame(encodeFetchClientMessage({ kind: "request", request: { blobId, channelId: payer!.channelId, offset: 0, length: 0 } })));
      ops++;
      await closedOrUntil(s, until);
      s.abort(new Error("done"));
    });
  }
  await Promise.allSettled(peers.map((p) => p.stop()));
  console.log(JSON.stringify({ done: true, ops, errors, firstError }));
}

function spawnAttacker(kind: Attack, target: string, blobId: string, seconds: number, payer: { secret: string; channelId: string }): { child: ChildProcess; done: Promise<number> } {
  const argv = ["--attack", kind, target, blobId, String(seconds), payer.secret, payer.channelId];
  const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", "--import", "tsx", path.join(ROOT, "bench/soak.ts"), ...argv], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  const done = new Promise<number>((resolve) =>
    child.on("exit", () => {
      const line = /\{"done":true.*\}/.exec(out)?.[0];
      const result = line ? (JSON.parse(line) as { ops: number; errors: number; firstError?: string }) : { ops: 0, errors: 0 };
      if (result.errors > 0) console.log(`  (${kind}: ${result.errors} of the attacker's operations were refused or failed, first: ${result.firstError})`);
      resolve(result.ops);
    }),
  );
  return { child, done };
}

// ---------------------------------------------------------------- the harness

const median = (xs: number[]) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const rssMb = (pid: number): number => {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const exited = (c: ChildProcess) => new Promise<number | null>((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve(c.exitCode) : c.once("exit", (code) => resolve(code))));

const WATCHTOWER_CLI = agentCli("cdn-watchtower");

/** Value a channel's payer owes or paid the node for what it sent: the node's persisted `sent`, at least the client's signed amount. */
function sentOrSigned(nodeDb: string, channels: { channelId: string; signed: bigint }[]): bigint {
  const st = new NodeStore(nodeDb);
  try {
    return channels.reduce((sum, c) => {
      const sent = st.sent(c.channelId);
      return sum + (sent > c.signed ? sent : c.signed);
    }, 0n);
  } finally {
    st.close();
  }
}

function clientChannels(clientDir: string): { channelId: string; signed: bigint }[] {
  if (!existsSync(path.join(clientDir, "client.db"))) return [];
  const st = new ClientStore(path.join(clientDir, "client.db"));
  try {
    return st.channels().map((c) => ({ channelId: c.channelId, signed: c.signed }));
  } finally {
    st.close();
  }
}

async function main(): Promise<void> {
  const mib = Number(process.env.SOAK_MIB ?? 4);
  const attackSeconds = Number(process.env.SOAK_ATTACK_SECONDS ?? 15);
  const iterations = Number(process.env.SOAK_ITERATIONS ?? 10);
  const nodeKillShare = Number(process.env.SOAK_NODE_KILL_SHARE ?? 0.5);
  if (!(nodeKillShare >= 0 && nodeKillShare <= 1)) throw new Error("SOAK_NODE_KILL_SHARE must be a number from 0 to 1.");
  const started = new Date();
  console.log(`soak: ${mib} MiB blob, ${attackSeconds} s per attack, ${iterations} crash-loop iterations (${started.toISOString()})`);
  const devnet = await startDevnet();
  const provider = new JsonRpcProvider(devnet.rpcUrl);
  const children: ChildProcess[] = [];
  let node: RunningNode | undefined;
  let host: Awaited<ReturnType<typeof createHost>> | undefined;
  try {
    const env = { ...devnet.env };
    const dir = tmpDir("cdn-soak-");
    const { file } = randomFile(dir, mib * 1024 * 1024);
    const size = statSync(file).size;
    const digest = createHash("sha256").update(readFileSync(file)).digest("hex");
    // the node's watchtower, its own process on a fixed port (restarted in the outage trials)
    const towerDir = path.join(dir, "watchtower");
    const towerArgs = ["--data-dir", towerDir];
    const towerInit = await runCli(WATCHTOWER_CLI, [...towerArgs, "init", "--import", devKey(5)], env);
    if (towerInit.code !== 0) throw new Error(towerInit.stderr);
    const towerPort = await freePort();
    writeFileSync(
      path.join(towerDir, "config.json"),
      JSON.stringify({ listen: [`/ip4/127.0.0.1/tcp/${towerPort}`], confirmations: 1, pollMs: 200, disputeMarginSeconds: 600, logLevel: "info", logPretty: false }),
    );
    const tower = await startAgentProcess<{ peerId: string }>([...WATCHTOWER_CLI, ...towerArgs, "start"], env, { name: "watchtower" });
    children.push(tower.child);
    const dataDir = path.join(dir, "node");
    const watchtowers = [`/ip4/127.0.0.1/tcp/${towerPort}/p2p/${tower.ready.peerId}`];
    writeNodeConfig(dataDir, await freePort(), { pricePerGiB: "10000", capacityMbps: 400, logLevel: "debug", watchtowers, watchtowerMaxBps: 1000 });
    const args = ["--data-dir", dataDir];
    const nodeSecret = devKey(7);
    for (const a of [["init", "--import", nodeSecret], ["register"]]) {
      const r = await runCli(NODE_CLI, [...args, ...a], env);
      if (r.code !== 0) throw new Error(r.stderr);
    }
    const deployment = readDeployment(31337, devnet.deploymentsDir);
    const nodeAddress = new Wallet(nodeSecret).address.toLowerCase();
    const nodeId = await connectContracts(deployment, provider).registry.nodeIdOf(nodeAddress);
    await recognizeOrigin(provider, deployment, nodeId, nodeAddress);
    const published = await runCli(NODE_CLI, [...args, "publish", file], env, 600_000);
    if (published.code !== 0) throw new Error(published.stderr);
    const blobId = /^(0x[0-9a-f]{64})/m.exec(published.stdout)![1];
    node = await startNodeProcess(args, env);
    children.push(node.child);
    const target = `${JSON.parse(/\{"ready":true.*\}/.exec(node.output())![0]).addrs[0]}`;

    // the honest client, in this process
    const identity = identityFromSecret(devKey(8));
    const contracts = connectContracts(deployment, new Wallet(identity.wallet.privateKey, provider));
    host = await createHost({ privateKey: identity.privateKey, listen: [], allow: ["/ip4/127.0.0.1"] });
    const store = new ClientStore(path.join(dir, "client.db"));
    const client = createClient({}, { host, identity, chain: clientChainView(contracts), contracts, store });
    const honest = async (): Promise<number | undefined> => {
      const t0 = performance.now();
      try {
        let n = 0;
        for await (const piece of client.fetch(blobId, { signal: AbortSignal.timeout(120_000) })) n += piece.byteLength;
        if (n !== size) return undefined;
        return performance.now() - t0;
      } catch (error) {
        console.log(`  honest fetch failed: ${(error as Error).message}`);
        return undefined;
      }
    };
    await honest(); // warm-up: opens the channel
    // the slow reader's funded channel (opened with the project's client; the attacker itself is plain libp2p)
    const slowSecret = devKey(3);
    const slowIdentity = identityFromSecret(slowSecret);
    const slowStore = new ClientStore(path.join(dir, "slow-reader.db"));
    const slowClient = createClient(
      {},
      { host, identity: slowIdentity, chain: clientChainView(contracts), contracts: connectContracts(deployment, new Wallet(slowIdentity.wallet.privateKey, provider)), store: slowStore },
    );
    const slowChannel = await slowClient.openChannel(nodeAddress, 1_000_000n);
    slowStore.close();
    const payer = { secret: slowSecret, channelId: slowChannel.channelId };
    const rows: { name: string; times: number[]; failures: number; rssBefore: number; rssAfter: number; ops: number }[] = [];
    const measure = async (name: string, during?: () => { done: Promise<number> }) => {
      const rssBefore = rssMb(node!.child.pid!);
      const times: number[] = [];
      let failures = 0;
      const running = during?.();
      const end = Date.now() + (running ? attackSeconds * 1000 : 0);
      await sleep(running ? 1000 : 0); // let the attack ramp up
      do {
        const t = await honest();
        if (t === undefined) failures++;
        else times.push(t);
      } while (Date.now() < end || times.length + failures < 3);
      const ops = running ? await running.done : 0;
      rows.push({ name, times, failures, rssBefore, rssAfter: rssMb(node!.child.pid!), ops });
      console.log(`  ${name}: median ${median(times).toFixed(0)} ms over ${times.length} fetches, ${failures} failed; node RSS ${rssBefore.toFixed(0)} → ${rssMb(node!.child.pid!).toFixed(0)} MB`);
    };
    await measure("unloaded");
    for (const kind of ATTACKS) {
      await measure(kind, () => {
        const a = spawnAttacker(kind, target, blobId, attackSeconds, payer);
        children.push(a.child);
        return a;
      });
    }

    // watchtower outages of at most 5 s while the honest client pays, then the node dies
    const outages = Number(process.env.SOAK_OUTAGES ?? 5);
    const outage = { trials: 0, checked: 0, missed: 0, valueAtRisk: 0n, downMs: [] as number[] };
    const towerDb = path.join(towerDir, "watchtower.db");
    for (let i = 0; i < outages; i++) {
      const acks: { at: number; amount: bigint }[] = [];
      const watch = setInterval(() => acks.push({ at: Date.now(), amount: node!.acknowledged() }), 50);
      let fetching = true;
      const background = (async () => {
        while (fetching) await honest();
      })();
      // paying for 5.5 s before the outage: some voucher is always 5 s old when the node dies (else the check is empty)
      await sleep(5500);
      // an outage of a known length: the watchtower frozen (its connections stay open, nothing answers)
      const down = 1000 + Math.random() * 4000;
      tower.child.kill("SIGSTOP");
      const stoppedAt = performance.now();
      await sleep(down);
      tower.child.kill("SIGCONT");
      outage.downMs.push(performance.now() - stoppedAt);
      await sleep(Math.random() * 3000);
      const killedAt = Date.now();
      node.child.kill("SIGKILL");
      await exited(node.child);
      clearInterval(watch);
      fetching = false;
      await background;
      await sleep(500); // what reached the watchtower before the node died is stored by now
      // every voucher the node acknowledged 5 s or more before it died must be at the watchtower
      const old = acks.filter((a) => a.at <= killedAt - 5000);
      const required = old.reduce((m, a) => (a.amount > m ? a.amount : m), 0n);
      if (old.length > 0) outage.checked++;
      const ts = new WatchtowerStore(towerDb);
      const held = ts.held().reduce((m, v) => (v.amount > m ? v.amount : m), 0n);
      ts.close();
      outage.trials++;
      if (held < required) {
        outage.missed++;
        outage.valueAtRisk += required - held;
      }
      console.log(`  outage ${i + 1}/${outages}: watchtower stopped ${outage.downMs.at(-1)!.toFixed(0)} ms; node acknowledged ${required} ≥ 5 s before it died, the watchtower holds ${held}`);
      node = await startNodeProcess(args, env);
      children.push(node.child);
    }

    // the crash loop: cdn-client fetch processes, node or client SIGKILLed at random points
    const clientDir = path.join(dir, "cli-client");
    const r = await runCli(CLIENT_CLI, ["--data-dir", clientDir, "init", "--import", devKey(6)], env);
    if (r.code !== 0) throw new Error(r.stderr);
    const crash = { iterations: 0, nodeKills: 0, clientKills: 0, lockouts: 0, valueLost: 0n, corrupt: 0, paidTwice: 0n, paidTwiceRuns: 0 };
    const out = path.join(dir, "out.bin");
    const fetchProcess = () => spawn(process.execPath, [...CLIENT_CLI, "--data-dir", clientDir, "fetch", blobId, "-o", out, "--no-progress"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    for (let i = 0; i < iterations; i++) {
      rmSync(out, { force: true });
      rmSync(`${out}.part`, { force: true });
      const c = fetchProcess();
      children.push(c);
      // the client process needs a few seconds to start: kill within its start-up and its download
      await sleep(1500 + Math.random() * 4500);
      const killNode = Math.floor((i + 1) * nodeKillShare) > Math.floor(i * nodeKillShare);
      if (killNode) {
        const acknowledged = node.acknowledged();
        node.child.kill("SIGKILL");
        await exited(node.child);
        crash.nodeKills++;
        // every acknowledged voucher must be in the node's store
        const st = new NodeStore(path.join(dataDir, "node.db"));
        const best = st.vouchers().reduce((m, v) => (v.amount > m ? v.amount : m), 0n);
        st.close();
        if (best < acknowledged) crash.valueLost += acknowledged - best;
        c.kill("SIGKILL"); // the client of a killed node dies with it here: its rerun resumes
        await exited(c);
        node = await startNodeProcess(args, env);
        children.push(node.child);
      } else {
        c.kill("SIGKILL");
        await exited(c);
        crash.clientKills++;
      }
      // what the node had sent (or was paid) before the rerun, and what the file still lacks
      await sleep(500);
      const before = sentOrSigned(path.join(dataDir, "node.db"), clientChannels(clientDir));
      const inFile = existsSync(`${out}.part`) ? statSync(`${out}.part`).size : 0;
      const lacking = Math.ceil(size / LEAF_SIZE) * LEAF_SIZE - Math.floor(inFile / LEAF_SIZE) * LEAF_SIZE;
      // the rerun must finish (resume from the .part) on the same node
      const rerun = await runCli(CLIENT_CLI, ["--data-dir", clientDir, "fetch", blobId, "-o", out, "--no-progress", "--provider", nodeAddress], env, 120_000).catch((e: Error) => ({
        code: -1,
        stdout: "",
        stderr: e.message,
      }));
      if (rerun.code !== 0 || !existsSync(out)) {
        crash.lockouts++;
        console.log(`  iteration ${i + 1}: rerun failed: ${rerun.stderr.trim().split("\n").at(-1)}`);
      } else if (createHash("sha256").update(readFileSync(out)).digest("hex") !== digest) crash.corrupt++;
      else {
        const paid = clientChannels(clientDir).reduce((sum, c) => sum + c.signed, 0n);
        const beyond = paid - before - amountOwed(BigInt(lacking), 10_000n);
        if (beyond > 0n) {
          crash.paidTwice += beyond;
          crash.paidTwiceRuns++;
        }
      }
      crash.iterations++;
      process.stdout.write(`  crash iteration ${i + 1}/${iterations}: ${killNode ? "node" : "client"} killed, rerun ${rerun.code === 0 ? "ok" : "FAILED"}\n`);
    }

    const base = median(rows[0].times);
    console.log("");
    console.log(
      `soak ${started.toISOString().slice(0, 10)}: ${mib} MiB blob, node capacity 400 Mbps, ${attackSeconds} s per attack (command: SOAK_ITERATIONS=${iterations} SOAK_NODE_KILL_SHARE=${nodeKillShare} SOAK_ATTACK_SECONDS=${attackSeconds} SOAK_OUTAGES=${outages} SOAK_MIB=${mib} npm run soak)`,
    );
    console.log("");
    console.log("| attack | attacker operations | honest fetches ok / failed | honest fetch median | vs unloaded | node RSS before → after |");
    console.log("|---|---|---|---|---|---|");
    for (const row of rows) {
      const m = median(row.times);
      console.log(
        `| ${row.name} | ${row.name === "unloaded" ? "" : row.ops} | ${row.times.length} / ${row.failures} | ${Number.isNaN(m) ? "n/a" : `${m.toFixed(0)} ms`} | ${Number.isNaN(m) ? "n/a" : `${(m / base).toFixed(2)}×`} | ${row.rssBefore.toFixed(0)} → ${row.rssAfter.toFixed(0)} MB (${(row.rssAfter - row.rssBefore >= 0 ? "+" : "") + (row.rssAfter - row.rssBefore).toFixed(0)}) |`,
      );
    }
    console.log("");
    console.log("| crash loop | value |");
    console.log("|---|---|");
    console.log(`| iterations | ${crash.iterations} (node killed ${crash.nodeKills}, client killed ${crash.clientKills}) |`);
    console.log(`| lockouts (rerun on the same node did not finish) | ${crash.lockouts} |`);
    console.log(`| acknowledged value lost (token base units) | ${crash.valueLost} |`);
    console.log(`| files not byte-identical | ${crash.corrupt} |`);
    console.log(`| paid twice (reruns that paid beyond what the node had sent plus the bytes the file lacked; base units) | ${crash.paidTwiceRuns} (${crash.paidTwice}) |`);
    console.log("");
    console.log("| watchtower outage (SIGSTOP for the time shown, SIGCONT, then the node SIGKILLed 0–3 s later) | value |");
    console.log("|---|---|");
    console.log(`| trials | ${outage.trials} (down ${outage.downMs.map((d) => (d / 1000).toFixed(1)).join(", ")} s); ${outage.checked} with a voucher ≥ 5 s old when the node died |`);
    console.log(`| trials where the watchtower lacked a voucher acknowledged ≥ 5 s before the node died | ${outage.missed} |`);
    console.log(`| value of those vouchers (base units) | ${outage.valueAtRisk} |`);
  } finally {
    await Promise.resolve(host?.stop()).catch(() => undefined);
    await Promise.all(children.map((c) => stopProcess(c)));
    await devnet.stop();
    provider.destroy();
  }
}

if (process.argv[2] === "--attack") {
  await attack(process.argv[3] as Attack, process.argv[4], process.argv[5], Number(process.argv[6]), { secret: process.argv[7], channelId: process.argv[8] });
  process.exit(0);
} else {
  await main();
  process.exit(0);
}
