/**
 * cdn-watchtower as a process (bin/cdn-watchtower.js): help, init, status on an empty database,
 * and readable one-sentence errors for a bad configuration and an unreachable chain. The full run
 * (start, disputes, restart) is test/e2e/watchtower.test.ts.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "../../helpers/processes.js";
import { tmpDir } from "../../e2e/delivery-fixture.js";

const CLI = ["--disable-warning=ExperimentalWarning", path.join(ROOT, "bin/cdn-watchtower.js")];

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...CLI, ...args], { cwd: ROOT, env: { ...process.env, CDN_DEBUG: "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("cdn-watchtower › command line", function () {
  this.timeout(60_000);

  it("--help lists init, start and status with the configuration sources", async () => {
    const r = await run(["--help"]);
    expect(r.code).to.equal(0);
    for (const word of ["init", "start", "status", "CDN_WATCHTOWER_", "docs/watchtower-guide.md"]) expect(r.stdout).to.include(word);
  });

  it("init creates a 0600 key file and a starter config; status on a fresh database shows nothing held", async () => {
    const dir = path.join(tmpDir("cdn-tower-cli-"), "tower");
    let r = await run(["--data-dir", dir, "init"]);
    expect(r.code, r.stderr).to.equal(0);
    const address = /^address\s+(0x[0-9a-fA-F]{40})/m.exec(r.stdout)![1];
    expect(statSync(path.join(dir, "watchtower.key")).mode & 0o777).to.equal(0o600);
    expect(JSON.parse(readFileSync(path.join(dir, "config.json"), "utf8"))).to.have.property("listen");
    // init again keeps the key
    r = await run(["--data-dir", dir, "init"]);
    expect(r.stdout).to.include(address);
    r = await run(["--data-dir", dir, "status", "--json"]);
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout)).to.include({ address, channels: 0, disputes: 0, bounties: "0" });
  });

  it("a bad configuration or an unreachable chain is one readable sentence and exit code 1", async () => {
    const dir = tmpDir("cdn-tower-cli-");
    expect((await run(["--data-dir", dir, "init"])).code).to.equal(0);
    let r = await run(["--data-dir", dir, "start"], { CDN_WATCHTOWER_CONFIRMATIONS: "-1" });
    expect(r.code).to.equal(1);
    expect(r.stderr.trim()).to.match(/^cdn-watchtower: Invalid configuration .*confirmations: .*\.$/);
    expect(r.stderr).not.to.include("    at ");
    writeFileSync(path.join(dir, "config.json"), JSON.stringify({ requiredBeneficiary: "0x1234" }));
    r = await run(["--data-dir", dir, "start"]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/requiredBeneficiary: must be a 0x-prefixed 20-byte address/);
    writeFileSync(path.join(dir, "config.json"), JSON.stringify({ rpcUrl: "http://127.0.0.1:9" }));
    r = await run(["--data-dir", dir, "start"]);
    expect(r.code).to.equal(1);
    expect(r.stderr.trim()).to.equal("cdn-watchtower: Cannot reach the chain at http://127.0.0.1:9.");
    expect(existsSync(path.join(dir, "watchtower.db"))).to.equal(false);
  });
});
