// Shared launcher of the agents' CLIs on Node 22: runs the CLI's bundle (bin/agents-build.js builds
// it from the TypeScript sources on first use and after a change). If started by an older Node
// (e.g. `npx --prefix` from elsewhere, where PATH has the system's Node 20), it re-runs itself with
// the project's own Node 22 (node_modules/.bin/node).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import * as nodeModule from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export async function launch(name, self) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  if (Number(process.versions.node.split(".")[0]) < 22) {
    const node22 = path.join(root, "node_modules", ".bin", "node");
    if (!existsSync(node22)) {
      console.error(`${name}: Node.js 22 or later is required (this is ${process.version}); run it through npm run / npx in the project.`);
      process.exit(1);
    }
    const r = spawnSync(node22, ["--disable-warning=ExperimentalWarning", fileURLToPath(self), ...process.argv.slice(2)], { stdio: "inherit" });
    process.exit(r.status ?? 1);
  }
  const { bundlePath, ensureAgentsBuilt } = await import("./agents-build.js");
  try {
    await ensureAgentsBuilt((line) => console.error(`${name}: ${line}`));
  } catch (error) {
    console.error(`${name}: ${error.message}`);
    process.exit(1);
  }
  // V8's code cache for the bundle (in the OS's temporary directory): a later start compiles less
  nodeModule.enableCompileCache?.();
  await import(pathToFileURL(bundlePath(name)).href);
}
