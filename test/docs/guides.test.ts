/**
 * Checked doc lines of the guides: a configuration table names each field once, and every data
 * directory a guide's commands create (keys live there) is outside the repository or ignored by git.
 */
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "../helpers/processes.js";

const GUIDES = ["README.md", ...readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

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
});
