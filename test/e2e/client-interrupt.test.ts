/**
 * Real processes: Ctrl-C (SIGINT) on a `cdn-client fetch` in the middle of a paid download. The
 * client stops with one sentence saying where the verified bytes are and that rerunning the same
 * command resumes there; it exits non-zero and keeps the `.part`; the rerun resumes from it.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { JsonRpcProvider, NonceManager, Wallet } from "ethers";
import { ROOT, TEST_CHAIN, useDevnet } from "../helpers/processes.js";
import { readDeployment } from "../../agents/chain/deployment.js";
import { USDC } from "./delivery-fixture.js";
import { CLIENT_CLI, devKey, fundedClientDir, runCli, startOriginProcess } from "./delivery-processes.js";

describe("e2e › Ctrl-C on cdn-client fetch", function () {
  this.timeout(TEST_CHAIN === "anvil" ? 3 * 240_000 : 240_000);
  const devnet = useDevnet();
  const children = devnet.children;

  it("says in one sentence that rerunning the same command resumes, exits non-zero, keeps the .part; the rerun resumes from it", async () => {
    const provider = new JsonRpcProvider(devnet.rpcUrl);
    const deployment = readDeployment(31337, devnet.deploymentsDir);
    // 16 MiB from a node declaring 100 Mbps: the download takes over a second, long enough to interrupt
    const origin = await startOriginProcess(devnet.env, provider, deployment, 6, 16 * 1024 * 1024);
    children.push(origin.node.child);
    const client = await fundedClientDir(devnet.env, new NonceManager(new Wallet(devKey(1), provider)), deployment.usdc, 10n ** 18n, 10n * USDC);
    provider.destroy();
    const out = path.join(client.dir, "blob.bin");
    const part = `${out}.part`;
    const args = ["--data-dir", client.dir, "fetch", origin.blobId, "-o", out, "--no-progress"];

    const first = spawn(process.execPath, [...CLIENT_CLI, ...args], { cwd: ROOT, env: devnet.env, stdio: ["ignore", "pipe", "pipe"] });
    children.push(first);
    let stderr = "";
    first.stderr!.on("data", (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve, reject) => {
      const poll = setInterval(() => {
        if (existsSync(part) && statSync(part).size >= 1024 * 1024) {
          clearInterval(poll);
          first.kill("SIGINT"); // what Ctrl-C sends
        }
      }, 20);
      first.once("exit", (c) => {
        clearInterval(poll);
        if (c === 0) reject(new Error(`the download finished before it could be interrupted: ${stderr}`));
        resolve(c);
      });
    });
    expect(code, stderr).to.not.equal(0);
    expect(code, "it exits by itself, not killed by the signal").to.not.equal(null);
    const lines = stderr.trim().split("\n");
    expect(lines, stderr).to.have.length(1);
    expect(lines[0]).to.match(new RegExp(`^cdn-client: Interrupted: [\\d.]+ [KM]iB of verified bytes are kept in ${part.replace(/[.]/g, "\\.")}; run the same command again to resume from there\\.$`));
    expect(existsSync(out), "no output file before the download is complete").to.equal(false);
    const kept = statSync(part).size;
    expect(kept).to.be.greaterThan(0);

    const rerun = await runCli(CLIENT_CLI, args, devnet.env, 180_000);
    expect(rerun.code, rerun.stderr).to.equal(0);
    expect(rerun.stderr).to.include(`resuming at byte ${kept}`);
    expect(readFileSync(out).equals(readFileSync(path.join(origin.args[1], "blob.bin")))).to.equal(true);
    expect(existsSync(part)).to.equal(false);
  });
});
