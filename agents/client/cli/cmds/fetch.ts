import { existsSync, statSync, renameSync, createWriteStream, unlinkSync } from "node:fs";
import path from "node:path";
import { once } from "node:events";
import type { Command } from "commander";
import { action, bytesText, usdc } from "../../../runtime/cli.js";
import { clientContext, globals } from "../context.js";
import { ProgressBar } from "../progress.js";

export function fetchCommand(program: Command): void {
  program
    .command("fetch")
    .description("download a blob by id, verifying every byte and paying as verified bytes arrive")
    .argument("<blobId>", "the blob id (0x + 64 hex)")
    .requiredOption("-o, --output <file>", "where to write the blob")
    .option("--offset <bytes>", "first byte of a range", "0")
    .option("--length <bytes>", "length of a range (default: to the end)")
    .option("--provider <nodeKey...>", "only use these node keys")
    .option("--via <nodeKey...>", "fetch through these cache nodes even if they do not hold the blob yet (they fetch it upstream)")
    .option("--no-progress", "no progress bar")
    .addHelpText("after", "\nAn interrupted download resumes from <file>.part (verified bytes only).\n\nExample:\n  cdn-client fetch 0x5c17…abd6 -o video.mp4\n")
    .action(
      action("cdn-client", async function (this: Command, blobId: string, opts: { output: string; offset: string; length?: string; provider?: string[]; via?: string[]; progress: boolean }) {
        // every argument is checked before the client starts (a bad one is one sentence and exit code 1)
        if (!/^0x[0-9a-fA-F]{64}$/.test(blobId)) throw new Error(`"${blobId}" is not a blob id (0x followed by 64 hex digits).`);
        const start = byteCount("--offset", opts.offset);
        const requested = opts.length === undefined ? undefined : byteCount("--length", opts.length);
        for (const key of [...(opts.provider ?? []), ...(opts.via ?? [])]) {
          if (!/^0x[0-9a-fA-F]{40}$/.test(key)) throw new Error(`"${key}" is not a node key (0x followed by 40 hex digits).`);
        }
        const dir = path.dirname(path.resolve(opts.output));
        if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`The directory ${dir} does not exist; create it first.`);
        const part = `${opts.output}.part`;
        const resumeFrom = existsSync(part) ? statSync(part).size : 0;
        const length = requested === undefined ? undefined : requested - resumeFrom;
        const ctx = await clientContext(globals(this));
        const bar = opts.progress && process.stderr.isTTY ? new ProgressBar(process.stderr) : undefined;
        const out = createWriteStream(part, { flags: "a" });
        const controller = new AbortController();
        process.once("SIGINT", () => controller.abort(new Error("interrupted")));
        try {
          const it = ctx.client.fetch(blobId.toLowerCase(), { signal: controller.signal, range: { offset: start + resumeFrom, length }, providers: opts.provider?.map((p) => p.toLowerCase()), via: opts.via?.map((p) => p.toLowerCase()), onProgress: (p) => bar?.update(p.bytes + resumeFrom, p.total + resumeFrom, p.paid) });
          for await (const bytes of it) if (!out.write(bytes)) await once(out, "drain");
          out.end();
          await once(out, "close");
          const report = await it.report;
          bar?.done();
          renameSync(part, opts.output);
          console.log(`${opts.output}: ${bytesText(report.bytes + resumeFrom)} verified from ${report.providers.filter((p) => p.bytes > 0).map((p) => p.nodeKey).join(", ")}; paid ${usdc(report.paid)}`);
        } catch (error) {
          bar?.done();
          out.end();
          if (!out.closed) await once(out, "close");
          // nothing verified (e.g. refused before a channel was opened): leave no empty .part behind
          if (resumeFrom === 0 && existsSync(part) && statSync(part).size === 0) unlinkSync(part);
          throw error;
        } finally {
          await ctx.close();
        }
      }),
    );
}

/** A non-negative whole number of bytes from a flag, or one sentence saying what is wrong. */
function byteCount(flag: string, value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(n)) throw new Error(`${flag} must be a non-negative whole number of bytes, not "${value}".`);
  return n;
}
