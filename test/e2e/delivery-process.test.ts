/**
 * Real processes: the devnet (Hardhat node + deployment) and the cdn-node CLI (init, register,
 * publish, start, channels close) spawned with process.execPath. The node agent is killed with
 * SIGKILL in the middle of a paid stream, restarted, and must still collect every voucher it had
 * acknowledged (logged "voucher stored" after the fsync), and the client resumes the download
 * from its last verified byte. Origin recognition uses hardhat_impersonateAccount on the timelock
 * over RPC (a test-only shortcut for a governance proposal).
 */
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { HDNodeWallet, JsonRpcProvider, JsonRpcSigner, Mnemonic, Wallet } from "ethers";
import { startDevnet, stopProcess, ROOT, type Devnet } from "../helpers/processes.js";
import { connectContracts, readChannel, type Contracts } from "../../agents/chain/contracts.js";
import { readDeployment } from "../../agents/chain/deployment.js";
import { identityFromSecret } from "../../agents/runtime/keys.js";
import { createHost } from "../../agents/runtime/host.js";
import { ClientStore } from "../../agents/client/store.js";
import { createClient } from "../../agents/client/client.js";
import { clientChainView } from "../../agents/client/chain.js";
import { freePort, randomFile, tmpDir } from "./delivery-fixture.js";

const CLI = ["--disable-warning=ExperimentalWarning", "--import", "tsx", path.join(ROOT, "agents/node/cli/index.ts")];
const devKey = (i: number) => HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase("test test test test test test test test test test test junk"), `m/44'/60'/0'/0/${i}`).privateKey;

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...CLI, ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

interface Running {
  child: ChildProcess;
  acknowledged: () => bigint;
  output: () => string;
}

function startNodeProcess(args: string[], env: NodeJS.ProcessEnv): Promise<Running> {
  const child = spawn(process.execPath, [...CLI, ...args, "start"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let acknowledged = 0n;
  let buffer = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node not ready:\n${out}`)), 60_000);
    child.stderr!.on("data", (d) => (out += d));
    child.stdout!.on("data", (d: Buffer) => {
      out += d;
      buffer += d.toString();
      const lines = buffer.split("\n");
      buffer = lines.pop()!;
      for (const line of lines) {
        if (line.includes('"voucher stored"')) acknowledged = BigInt(JSON.parse(line).amount);
        if (line.includes('"ready":true')) {
          clearTimeout(timer);
          resolve({ child, acknowledged: () => acknowledged, output: () => out });
        }
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`node exited with ${code}:\n${out}`));
    });
  });
}

describe("e2e › node agent as a real process", function () {
  this.timeout(180_000);
  let devnet: Devnet;
  const children: ChildProcess[] = [];

  before(async () => {
    devnet = await startDevnet();
  });

  after(async () => {
    for (const c of children) await stopProcess(c);
    await devnet?.stop();
  });

  it("SIGKILL mid-stream: after a restart the node still collects every voucher it acknowledged; the client resumes", async () => {
    const dataDir = tmpDir("cdn-node-proc-");
    const port = await freePort();
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(
      path.join(dataDir, "config.json"),
      JSON.stringify({ listen: [`/ip4/127.0.0.1/tcp/${port}`], pricePerGiB: "1000000", region: 1, capacityMbps: 100, confirmations: 0, pollMs: 200, sweepMs: 0, logLevel: "debug", logPretty: false }),
    );
    const env = { ...devnet.env };
    const args = ["--data-dir", dataDir];
    const nodeSecret = devKey(7);
    let r = await runCli([...args, "init", "--import", nodeSecret], env);
    expect(r.code, r.stderr).to.equal(0);
    r = await runCli([...args, "register"], env);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/registered node \d+/);
    const nodeId = BigInt(/registered node (\d+)/.exec(r.stdout)![1]);

    // recognize the node as an origin: impersonate the timelock over RPC (test-only)
    const provider = new JsonRpcProvider(devnet.rpcUrl);
    const deployment = readDeployment(31337, devnet.deploymentsDir);
    const timelock = deployment.contracts.CdnTimelock!;
    await provider.send("hardhat_impersonateAccount", [timelock]);
    await provider.send("hardhat_setBalance", [timelock, "0x56BC75E2D63100000"]);
    const admin: Contracts = connectContracts(deployment, new JsonRpcSigner(provider, timelock));
    const nodeAddress = new Wallet(nodeSecret).address;
    await (await admin.origins.recognize(nodeId, nodeAddress)).wait();

    const { file, data } = randomFile(tmpDir(), 8 * 1024 * 1024 + 4321);
    r = await runCli([...args, "publish", file], env);
    expect(r.code, r.stderr).to.equal(0);
    const blobId = /^(0x[0-9a-f]{64})/m.exec(r.stdout)![1];

    let node = await startNodeProcess(args, env);
    children.push(node.child);

    // the client, in-process, with a funded devnet account
    const identity = identityFromSecret(devKey(8));
    const contracts = connectContracts(deployment, new Wallet(identity.wallet.privateKey, provider));
    const host = await createHost({ privateKey: identity.privateKey, listen: [], allow: ["/ip4/127.0.0.1"] });
    const store = new ClientStore(path.join(tmpDir("cdn-client-"), "client.db"));
    const client = createClient({ maxAttempts: 1 }, { host, identity, chain: clientChainView(contracts), contracts, store });
    const received: Buffer[] = [];
    let got = 0;
    try {
      const it = client.fetch(blobId, {
        onProgress: (p) => {
          if (p.bytes >= 3 * 1024 * 1024 && node.child.exitCode === null && node.child.signalCode === null) node.child.kill("SIGKILL");
        },
      });
      const error = await (async () => {
        try {
          for await (const b of it) {
            received.push(Buffer.from(b));
            got += b.length;
          }
        } catch (e) {
          return e;
        }
      })();
      expect(error, "the stream should break when the node dies").to.be.instanceOf(Error);
      await new Promise((resolve) => (node.child.exitCode !== null || node.child.signalCode !== null ? resolve(null) : node.child.once("exit", resolve)));
      expect(node.child.signalCode).to.equal("SIGKILL");
      const acknowledged = node.acknowledged();
      expect(acknowledged > 0n, "the node acknowledged vouchers before it died").to.equal(true);
      expect(got).to.be.greaterThan(0).and.lessThan(data.length);
      const channelId = store.channels()[0].channelId;

      // restart: the stored vouchers are still there; close and collect
      node = await startNodeProcess(args, env);
      children.push(node.child);
      // the client resumes from its last verified byte
      const rest = await (async () => {
        const parts: Buffer[] = [];
        for await (const b of client.fetch(blobId, { range: { offset: got } })) parts.push(Buffer.from(b));
        return Buffer.concat(parts);
      })();
      expect(Buffer.concat([...received, rest]).equals(data)).to.equal(true);
      const signed = store.channel(channelId)!.signed;

      r = await runCli([...args, "channels", "close", channelId], env);
      expect(r.code, r.stderr).to.equal(0);
      const state = await readChannel(contracts.channels, channelId);
      expect(state.status).to.equal("Closed");
      expect(state.paid >= acknowledged).to.equal(true);
      expect(state.paid).to.equal(signed);
    } finally {
      await host.stop();
      store.close();
      provider.destroy();
    }
  });
});
