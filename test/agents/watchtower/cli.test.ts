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
import { WatchtowerStore } from "../../../agents/watchtower/store.js";
import { tmpDir } from "../../helpers/tmp.js";

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
  // a few CLI processes a test, each loading the agent through tsx: near a minute on a loaded machine
  this.timeout(180_000);

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

  it("status counts as bounties only what its own beneficiary received, and names the bounties that went to someone else", async () => {
    const dir = path.join(tmpDir("cdn-tower-cli-"), "tower");
    expect((await run(["--data-dir", dir, "init"])).code).to.equal(0);
    const own = /^address\s+(0x[0-9a-fA-F]{40})/m.exec((await run(["--data-dir", dir, "init"])).stdout)![1].toLowerCase();
    const other = "0x" + "ab".repeat(20);
    const store = new WatchtowerStore(path.join(dir, "watchtower.db"));
    const dispute = (n: number, beneficiary: string, bounty: bigint) =>
      store.recordDispute({ channelId: "0x" + n.toString(16).padStart(64, "0"), amount: 10_000_000n, outcome: "disputed", recovered: 5_000_000n, bounty, beneficiary });
    dispute(1, own, 200_000n);
    dispute(2, other, 300_000n);
    store.close();
    let r = await run(["--data-dir", dir, "status", "--json"]);
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout)).to.deep.include({ beneficiary: own, bounties: "200000", bountiesToOthers: { [other]: "300000" }, recovered: "10000000" });
    r = await run(["--data-dir", dir, "status"]);
    expect(r.stdout).to.include(`bounties   0.2 USDC received by ${own} (this watchtower's key; set requiredBeneficiary to name another)`);
    expect(r.stdout).to.include(`not yours: 0.3 USDC to ${other} (the beneficiary the node signed is someone else`);
    // with requiredBeneficiary set to the other address, that one is this watchtower's
    writeFileSync(path.join(dir, "config.json"), JSON.stringify({ requiredBeneficiary: other }));
    r = await run(["--data-dir", dir, "status", "--json"]);
    expect(JSON.parse(r.stdout)).to.deep.include({ beneficiary: other, bounties: "300000", bountiesToOthers: { [own]: "200000" } });
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
