/**
 * cdn-client and cdn-node as processes: every bad argument or configuration is one readable
 * sentence on stderr and exit code 1, before anything is started (no chain is needed to see it).
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "../../helpers/processes.js";
import { tmpDir } from "../../helpers/tmp.js";

function run(bin: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", path.join(ROOT, "bin", bin), ...args], {
      cwd: ROOT,
      // an RPC address where nothing listens: these commands must fail before they need the chain
      env: { ...process.env, CDN_DEBUG: "", CDN_RPC_URL: "http://127.0.0.1:9", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Exactly one line on stderr, no stack trace, exit code 1. */
function expectOneSentence(r: { code: number | null; stderr: string }, re: RegExp): void {
  expect(r.code, r.stderr).to.equal(1);
  const lines = r.stderr.trim().split("\n");
  expect(lines, r.stderr).to.have.length(1);
  expect(lines[0]).to.match(re);
  expect(r.stderr).not.to.include("    at ");
}

const BLOB = "0x" + "ab".repeat(32);

describe("cdn-client and cdn-node › bad input is one sentence and a non-zero exit", function () {
  this.timeout(120_000);

  it("fetch --offset -5 and --length abc", async () => {
    const dir = tmpDir("cdn-cli-");
    expectOneSentence(
      await run("cdn-client.js", ["--data-dir", dir, "fetch", BLOB, "-o", path.join(dir, "x"), "--offset", "-5"]),
      /^cdn-client: --offset must be a non-negative whole number of bytes, not "-5"\.$/,
    );
    expectOneSentence(
      await run("cdn-client.js", ["--data-dir", dir, "fetch", BLOB, "-o", path.join(dir, "x"), "--length", "abc"]),
      /^cdn-client: --length must be a non-negative whole number of bytes, not "abc"\.$/,
    );
  });

  it("fetch -o into a missing directory", async () => {
    const dir = tmpDir("cdn-cli-");
    expectOneSentence(
      await run("cdn-client.js", ["--data-dir", dir, "fetch", BLOB, "-o", path.join(dir, "missing/dir/x")]),
      /^cdn-client: The directory .*missing\/dir does not exist; create it first\.$/,
    );
  });

  it("fetch --provider nope is refused at once", async () => {
    const dir = tmpDir("cdn-cli-");
    expectOneSentence(
      await run("cdn-client.js", ["--data-dir", dir, "fetch", BLOB, "-o", path.join(dir, "x"), "--provider", "nope"]),
      /^cdn-client: "nope" is not a node key \(0x followed by 40 hex digits\)\.$/,
    );
  });

  it("a --config file that does not exist is an error (client and node)", async () => {
    const dir = tmpDir("cdn-cli-");
    const missing = path.join(dir, "nope.json");
    expectOneSentence(await run("cdn-client.js", ["--data-dir", dir, "--config", missing, "channels", "list"]), /^cdn-client: The config file .*nope\.json does not exist\.$/);
    expectOneSentence(await run("cdn-node.js", ["--data-dir", dir, "--config", missing, "status"]), /^cdn-node: The config file .*nope\.json does not exist\.$/);
  });

  it("publish <dir> is one sentence and publishes nothing", async () => {
    const dir = tmpDir("cdn-cli-");
    const folder = path.join(dir, "folder");
    mkdirSync(folder);
    expectOneSentence(await run("cdn-node.js", ["--data-dir", dir, "publish", folder]), /^cdn-node: .*folder is not a regular file; publish files one by one\.$/);
  });

  it('listen: ["not-a-multiaddr"] fails at config load and names the field', async () => {
    const dir = tmpDir("cdn-cli-");
    writeFileSync(path.join(dir, "config.json"), JSON.stringify({ listen: ["not-a-multiaddr"] }));
    expectOneSentence(await run("cdn-node.js", ["--data-dir", dir, "start"]), /^cdn-node: Invalid configuration .*listen\.0: "not-a-multiaddr" is not a multiaddr/);
  });
});
