// The agents' CLIs run from one esbuild bundle each in .build-agents/ (git-ignored): a process then
// parses one file instead of resolving and transforming ~2,000 TypeScript and JavaScript modules
// through tsx's loader (about a quarter of the CPU per start, and ~40 MiB less memory; figures in
// docs/first-hour.md). The bundles are built on first use and again whenever a source they were
// built from changed (a newer file with other bytes), or the installed packages or this file did; concurrent starts wait
// for one build (a lock directory) instead of each building.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";

const SELF = fileURLToPath(import.meta.url);
export const ROOT = path.resolve(path.dirname(SELF), "..");
export const BUILD_DIR = path.join(ROOT, ".build-agents");
const MANIFEST = path.join(BUILD_DIR, "manifest.json");
const LOCK = path.join(BUILD_DIR, "building.lock");
/** npm rewrites this file on every install: installed packages changed since the build. */
const INSTALLED = path.join(ROOT, "node_modules", ".package-lock.json");

/** Each CLI's TypeScript entry point. */
export const AGENT_ENTRIES = {
  "cdn-node": "agents/node/cli/index.ts",
  "cdn-client": "agents/client/cli/index.ts",
  "cdn-watchtower": "agents/watchtower/cli/index.ts",
  "cdn-slasher": "agents/slasher/cli/index.ts",
};

/** The bundle a CLI runs from. */
export function bundlePath(name) {
  return path.join(BUILD_DIR, `${name}.js`);
}

const mtime = (file) => {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return Infinity; // gone: rebuild
  }
};

/** Why the bundles must be (re)built, or undefined when they are up to date. */
export function staleReason() {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(MANIFEST, "utf8"));
  } catch {
    return "not built yet";
  }
  if (Object.keys(AGENT_ENTRIES).some((name) => !existsSync(bundlePath(name)))) return "a bundle is missing";
  if (mtime(SELF) > manifest.startedAt || mtime(INSTALLED) > manifest.startedAt) return "the build or the installed packages changed";
  // a newer file may hold the same text (Hardhat's build rewrites the contract bindings every time)
  const checkedAt = Date.now();
  const newer = Object.entries(manifest.inputs).filter(([input]) => mtime(path.join(ROOT, input)) > manifest.startedAt);
  const changed = newer.find(([input, hash]) => contentHash(input) !== hash);
  if (changed) return `${changed[0]} changed`;
  if (newer.length > 0) writeManifest({ ...manifest, startedAt: checkedAt }); // the same text: the next start skips hashing it
  return undefined;
}

function writeManifest(manifest) {
  const tmp = `${MANIFEST}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(manifest));
  renameSync(tmp, MANIFEST);
}

function contentHash(input) {
  try {
    const text = readFileSync(path.join(ROOT, input), "utf8");
    // the generated contract bindings come in a varying order of exports: compare their sorted lines
    const canonical = input.startsWith("types/") ? text.split("\n").sort().join("\n") : text;
    return createHash("sha256").update(canonical).digest("hex");
  } catch {
    return "gone";
  }
}

/** Replaces import.meta.{url,dirname,filename} in the project's own files by their source location, so paths computed from them mean what they mean under tsx. */
const sourceLocations = {
  name: "source-locations",
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const source = (await readFile(args.path, "utf8"))
        .replaceAll("import.meta.dirname", JSON.stringify(path.dirname(args.path)))
        .replaceAll("import.meta.filename", JSON.stringify(args.path))
        .replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href));
      return { contents: source, loader: "ts" };
    });
  },
};

async function build() {
  const { build: esbuild } = await import("esbuild");
  const startedAt = Date.now();
  const out = path.join(BUILD_DIR, `tmp-${process.pid}`);
  rmSync(out, { recursive: true, force: true });
  try {
    const result = await esbuild({
      absWorkingDir: ROOT,
      entryPoints: Object.fromEntries(Object.entries(AGENT_ENTRIES).map(([name, entry]) => [name, path.join(ROOT, entry)])),
      outdir: out,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node22",
      // whitespace and syntax only (names stay readable in stack traces): smaller source held in every process's memory
      minifyWhitespace: true,
      minifySyntax: true,
      // an error's `name` is its class's (agents/protocol/errors.ts): without this, a class that shares its name with one in a package gets a suffix
      keepNames: true,
      // a native addon, loaded at run time with a fallback (agents/protocol/secp.ts)
      external: ["secp256k1"],
      // CommonJS packages inside an ES module bundle call require()
      banner: { js: 'import { createRequire as __cdnCreateRequire } from "node:module"; const require = __cdnCreateRequire(import.meta.url);' },
      plugins: [sourceLocations],
      metafile: true,
      logLevel: "silent",
    });
    for (const name of Object.keys(AGENT_ENTRIES)) renameSync(path.join(out, `${name}.js`), bundlePath(name));
    const own = Object.keys(result.metafile.inputs).filter((input) => !input.startsWith("node_modules/"));
    const inputs = Object.fromEntries(own.map((input) => [input, contentHash(input)]));
    writeManifest({ startedAt, inputs });
  } catch (error) {
    const first = error.errors?.[0];
    const where = first?.location ? ` (${first.location.file}:${first.location.line})` : "";
    const text = first ? `${first.text}${where}` : error.message;
    const hint = /types\/ethers-contracts|wire\/cdn\.js/.test(text) ? "the contract bindings or the wire code are missing: run `npm run compile` first" : text;
    throw new Error(`cannot build the agents' bundles in ${path.relative(ROOT, BUILD_DIR)}/: ${hint}.`, { cause: error });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** False when the process that holds the lock has exited (true while it is still writing its pid). */
function builderAlive() {
  let pid;
  try {
    pid = Number(readFileSync(path.join(LOCK, "pid"), "utf8"));
  } catch {
    return true;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

/**
 * Builds the bundles unless they are up to date (a few milliseconds of stat calls). `log` hears one
 * line when a build starts. One process builds at a time; the others wait for it and re-check.
 */
export async function ensureAgentsBuilt(log = () => {}) {
  if (!staleReason()) return;
  mkdirSync(BUILD_DIR, { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(path.join(LOCK, "pid"), String(process.pid));
      break;
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
      // the lock of a build that was killed (its process is gone), or one older than 3 minutes
      if (!builderAlive() || Date.now() - mtime(LOCK) > 180_000 || Date.now() > deadline) rmSync(LOCK, { recursive: true, force: true });
      else await sleep(100);
    }
  }
  try {
    const reason = staleReason();
    if (!reason) return;
    log(`building the agents' bundles in ${path.relative(ROOT, BUILD_DIR)}/ (${reason})…`);
    await build();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

// `node bin/agents-build.js`: build now if needed
if (process.argv[1] && path.resolve(process.argv[1]) === SELF) {
  ensureAgentsBuilt((line) => console.error(line)).catch((error) => {
    console.error(error.message);
    process.exit(1);
  });
}
