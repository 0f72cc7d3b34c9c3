/**
 * Real processes: the devnet, a `cdn-node start` process and a `cdn-client fetch` process that is
 * SIGKILLed in the middle of a paid download. The client writes verified bytes straight to its
 * `.part` file, syncs it before each voucher and records the file's position with the voucher, so
 * every byte it paid for is in the file when it dies; the rerun resumes from the file on the same
 * node, settles what the node sent and it never paid (the header's `owed`), and never pays for the
 * bytes of the file again.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { JsonRpcProvider } from "ethers";
import { ROOT, TEST_CHAIN, useDevnet } from "../helpers/processes.js";
import { readDeployment } from "../../agents/chain/deployment.js";
import { ClientStore } from "../../agents/client/store.js";
import { NodeStore } from "../../agents/node/store.js";
import { LEAF_SIZE } from "../../agents/protocol/constants.js";
import { amountOwed } from "../../agents/protocol/pricing.js";
import { CLIENT_CLI, devKey, runCli, startOriginProcess } from "./delivery-processes.js";
import { tmpDir } from "../helpers/tmp.js";

const PRICE = 1_000_000n; // per GiB, as writeNodeConfig sets it

describe("e2e › a killed client resumes", function () {
  this.timeout(TEST_CHAIN === "anvil" ? 3 * 240_000 : 240_000);
  const devnet = useDevnet();
  const children = devnet.children;

  it("a cdn-client fetch SIGKILLed mid-download reruns on the same node from its file: every paid byte was in the file, none is paid twice", async () => {
    const env = { ...devnet.env };
    const provider = new JsonRpcProvider(devnet.rpcUrl);
    // 100 Mbps declared (writeNodeConfig): the download takes a few seconds
    const origin = await startOriginProcess(env, provider, readDeployment(31337, devnet.deploymentsDir), 7, 40 * 1024 * 1024 + 777, { publishTimeoutMs: 300_000 });
    provider.destroy();
    children.push(origin.node.child);
    const { dataDir, data, blobId } = origin;
    const nodeKey = origin.address.toLowerCase();

    const clientDir = tmpDir("cdn-client-resume-");
    const r = await runCli(CLIENT_CLI, ["--data-dir", clientDir, "init", "--import", devKey(9)], env);
    expect(r.code, r.stderr).to.equal(0);
    const out = path.join(clientDir, "blob.bin");
    const part = `${out}.part`;

    // the first run, killed once its file holds a few MiB
    const first = spawn(process.execPath, [...CLIENT_CLI, "--data-dir", clientDir, "fetch", blobId, "-o", out, "--no-progress"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    children.push(first);
    let firstErr = "";
    first.stderr!.on("data", (d) => (firstErr += d));
    await new Promise<void>((resolve, reject) => {
      const poll = setInterval(() => {
        if (existsSync(part) && statSync(part).size >= 6 * 1024 * 1024) {
          clearInterval(poll);
          first.kill("SIGKILL");
          resolve();
        }
      }, 20);
      first.once("exit", (code) => {
        clearInterval(poll);
        if (code !== null) reject(new Error(`the first run ended by itself (${code}) before it could be killed: ${firstErr}`));
      });
    });
    await new Promise((resolve) => (first.signalCode !== null ? resolve(null) : first.once("exit", resolve)));
    expect(first.signalCode).to.equal("SIGKILL");

    // what the killed client paid is all in its file (synced before each voucher, recorded with it)
    const inFile = statSync(part).size;
    expect(inFile).to.be.lessThan(data.length);
    expect(readFileSync(part).equals(data.subarray(0, inFile)), "the .part holds verified bytes only").to.equal(true);
    const store = new ClientStore(path.join(clientDir, "client.db"));
    const [channel] = store.channels();
    const checkpoint = store.download(path.resolve(part));
    store.close();
    expect(channel.signed > 0n, "the killed client paid some vouchers").to.equal(true);
    expect(checkpoint, "the file's position is recorded with the voucher").to.not.equal(undefined);
    expect(checkpoint!.signed).to.equal(channel.signed);
    expect(checkpoint!.durableTo).to.be.at.most(inFile);
    expect(channel.signed <= amountOwed(BigInt(Math.ceil(inFile / LEAF_SIZE) * LEAF_SIZE), PRICE), "no byte was paid that is not in the file").to.equal(true);

    // what the node sent before the kill (it stops once it sees the connection die)
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const nodeStore = new NodeStore(path.join(dataDir, "node.db"));
    const sentBefore = nodeStore.sent(channel.channelId);
    nodeStore.close();
    expect(sentBefore >= channel.signed).to.equal(true);

    // the rerun, on the same node: from the file, settling what the node sent and was not paid
    const rerun = await runCli(CLIENT_CLI, ["--data-dir", clientDir, "fetch", blobId, "-o", out, "--no-progress", "--provider", nodeKey], env, 180_000);
    expect(rerun.code, rerun.stderr).to.equal(0);
    expect(rerun.stderr).to.include(`resuming at byte ${inFile}`);
    expect(readFileSync(out).equals(data)).to.equal(true);
    const after = new ClientStore(path.join(clientDir, "client.db"));
    const final = after.channel(channel.channelId)!;
    expect(after.download(path.resolve(part)), "a finished download forgets its checkpoint").to.equal(undefined);
    after.close();
    // everything after the settlement pays only for the bytes the file did not hold (whole leaves)
    const rest = Math.ceil(data.length / LEAF_SIZE) * LEAF_SIZE - Math.floor(inFile / LEAF_SIZE) * LEAF_SIZE;
    expect(final.signed <= sentBefore + amountOwed(BigInt(rest), PRICE), `paid ${final.signed}: more than what was sent before the kill plus the rest of the file`).to.equal(true);
    expect(final.signed >= amountOwed(BigInt(data.length), PRICE)).to.equal(true);
  });
});
