/**
 * Checked doc lines of the guides: a configuration table names each field once, and every data
 * directory a guide's commands create (keys live there) is outside the repository or ignored by git.
 */
import { expect } from "chai";
import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { ROOT } from "../helpers/processes.js";

const GUIDES = [
  "README.md",
  ...readdirSync(path.join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

describe("docs › guides", () => {
  it("no table row of a guide names the same configuration field twice", () => {
    for (const guide of GUIDES) {
      const tables = readFileSync(path.join(ROOT, guide), "utf8").split(/\n(?!\|)/); // runs of table lines
      for (const table of tables) {
        const fields = table
          .split("\n")
          .filter((l) => l.startsWith("| `"))
          .flatMap((l) => [...l.split("|")[1].matchAll(/`([A-Za-z.]+)`/g)].map((m) => m[1]));
        const twice = fields.filter((f, i) => fields.indexOf(f) !== i);
        expect(twice, `${guide}: ${twice.join(", ")} listed twice in one table`).to.deep.equal([]);
      }
    }
  });

  it("every --data-dir a guide uses is outside the repository or ignored by git", () => {
    for (const guide of GUIDES) {
      const text = readFileSync(path.join(ROOT, guide), "utf8");
      for (const m of text.matchAll(/--data-dir (\S+)/g)) {
        const dir = m[1];
        if (dir.startsWith("<") || dir.startsWith("$") || dir.startsWith("/") || dir.startsWith("~")) continue; // placeholders, absolute paths
        let ignored = true;
        try {
          execFileSync("git", ["check-ignore", "-q", path.join(dir, "client.key")], { cwd: ROOT });
        } catch {
          ignored = false;
        }
        expect(ignored, `${guide}: --data-dir ${dir} would put keys in the repository`).to.equal(true);
      }
    }
  });

  it("the README names the Node.js that package.json requires, and npm ci on the project's Node 22 prints no engine warning", function () {
    this.timeout(120_000);
    const required = /^>=(\d+\.\d+)$/.exec(JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).engines.node)![1];
    expect(readFileSync(path.join(ROOT, "README.md"), "utf8")).to.include(`Node.js ${required}+`);
    expect(Number(process.versions.node.split(".")[0])).to.equal(22);
    // the npm on PATH, run by this Node 22 (its engine checks compare against the Node running npm); nothing is installed
    const npmCli = realpathSync(execFileSync("sh", ["-c", "command -v npm"], { encoding: "utf8" }).trim());
    const r = spawnSync(process.execPath, [npmCli, "ci", "--dry-run", "--no-audit", "--no-fund"], { cwd: ROOT, encoding: "utf8" });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stderr + r.stdout).not.to.include("EBADENGINE");
  });
});
