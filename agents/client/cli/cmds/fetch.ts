import { existsSync, statSync, renameSync, unlinkSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { action, bytesText, usdc } from "../../../runtime/cli.js";
import { clientContext, globals } from "../context.js";
import { PieceWriter } from "../piece-writer.js";
import { ProgressBar } from "../progress.js";
import type { ClientStore } from "../../store.js";
import type { FetchReport, Progress } from "../../download.js";

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
    .addHelpText("after", "\nAn interrupted download resumes from <file>.part (verified bytes only; every byte paid for is in it).\n\nExample:\n  cdn-client fetch 0x5c17…abd6 -o video.mp4\n")
    .action(
      action("cdn-client", async function (this: Command, blobId: string, opts: { output: string; offset: string; length?: string; provider?: string[]; via?: string[]; progress: boolean }) {
        const { start, requested, part } = checkFetchArguments(blobId, opts);
        const ctx = await clientContext(globals(this));
        const controller = new AbortController();
        let [resumeFrom, total] = [0, 0]; // bytes already in the .part file; the range's total
        let writer: PieceWriter | undefined; // the .part file; verified bytes in it now: writer.written
        process.once("SIGINT", () =>
          controller.abort(new Error(`Interrupted: ${bytesText(writer?.written ?? resumeFrom)} of verified bytes are kept in ${part}; run the same command again to resume from there.`)),
        );
        let bar: ProgressBar | undefined;
        try {
          resumeFrom = resumePoint(ctx.store, part, blobId.toLowerCase(), start);
          // after a resume the rate counts only this run's bytes
          bar = opts.progress && process.stderr.isTTY ? new ProgressBar(process.stderr, { startBytes: resumeFrom }) : undefined;
          const length = requested === undefined ? undefined : requested - resumeFrom;
          // verified bytes go straight to the file; it is synced before each voucher, whose record notes how far it reaches
          const pieces = (writer = await PieceWriter.open(part, resumeFrom));
          const durable = { file: part, sync: () => pieces.sync() };
          const range = { offset: start + resumeFrom, length };
          const onProgress = (p: Progress) => bar?.update(p.bytes + resumeFrom, (total = p.total + resumeFrom), p.paid);
          const report = await ctx.client.fetchInto(blobId.toLowerCase(), (bytes) => pieces.append(bytes), {
            signal: controller.signal,
            range,
            providers: opts.provider?.map((p) => p.toLowerCase()),
            via: opts.via?.map((p) => p.toLowerCase()),
            durable,
            onProgress,
          });
          await pieces.close();
          writer = undefined;
          // the last draw shows the final amount (the last voucher is signed after the last byte)
          bar?.finish(report.bytes + resumeFrom, total || report.bytes + resumeFrom, report.paid);
          renameSync(part, opts.output);
          ctx.store.forgetDownload(part);
          printReport(opts.output, report, resumeFrom);
        } catch (error) {
          bar?.done();
          await writer?.close().catch(() => undefined); // verified bytes still gathered are kept: a rerun resumes after them
          // nothing verified (e.g. refused before a channel was opened): leave no empty .part behind
          if (resumeFrom === 0 && existsSync(part) && statSync(part).size === 0) {
            unlinkSync(part);
            ctx.store.forgetDownload(part);
          }
          throw controller.signal.aborted ? controller.signal.reason : error;
        } finally {
          await ctx.close();
        }
      }),
    );
}

/** The download's line, and a line for each last voucher the node did not confirm. */
function printReport(output: string, report: FetchReport, resumeFrom: number): void {
  const from = report.providers.filter((p) => p.bytes > 0).map((p) => p.nodeKey);
  console.log(`${output}: ${bytesText(report.bytes + resumeFrom)} verified from ${from.join(", ")}; paid ${usdc(report.paid)}`);
  for (const u of report.unconfirmed) {
    console.error(
      `cdn-client: node ${u.nodeKey} did not confirm the last voucher on channel ${u.channelId} (${usdc(u.amount)} in all): its stream did not end cleanly; the voucher is kept and sent again on the next fetch from that node.`,
    );
  }
}

/**
 * Where a download into `part` continues: after the verified bytes the file holds. Every byte paid
 * for is among them (the file is synced before each voucher and its reach recorded with it); bytes
 * past the last voucher are verified too, and the node's next header asks for them to be settled.
 */
function resumePoint(store: ClientStore, part: string, blobId: string, start: number): number {
  const checkpoint = store.download(part);
  if (!existsSync(part)) {
    store.forgetDownload(part); // a fresh download
    return 0;
  }
  if (checkpoint && checkpoint.blobId !== blobId) throw new Error(`${part} holds part of another blob (${checkpoint.blobId}); remove it or write elsewhere.`);
  const inFile = statSync(part).size;
  if (checkpoint && start + inFile < checkpoint.durableTo) {
    console.error(`cdn-client: ${part} lacks ${checkpoint.durableTo - start - inFile} bytes that were paid for (the file was changed); they are fetched and paid again.`);
  }
  if (inFile > 0) console.error(`cdn-client: resuming at byte ${start + inFile} (${part} holds ${inFile} verified bytes)`);
  return inFile;
}

/** A non-negative whole number of bytes from a flag, or one sentence saying what is wrong. */
function byteCount(flag: string, value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(n)) throw new Error(`${flag} must be a non-negative whole number of bytes, not "${value}".`);
  return n;
}

/** Every argument is checked before the client starts: a bad one is one sentence and exit code 1. */
function checkFetchArguments(blobId: string, opts: { output: string; offset: string; length?: string; provider?: string[]; via?: string[] }) {
  if (!/^0x[0-9a-fA-F]{64}$/.test(blobId)) throw new Error(`"${blobId}" is not a blob id (0x followed by 64 hex digits).`);
  const start = byteCount("--offset", opts.offset);
  const requested = opts.length === undefined ? undefined : byteCount("--length", opts.length);
  for (const key of [...(opts.provider ?? []), ...(opts.via ?? [])]) {
    if (!/^0x[0-9a-fA-F]{40}$/.test(key)) throw new Error(`"${key}" is not a node key (0x followed by 40 hex digits).`);
  }
  const dir = path.dirname(path.resolve(opts.output));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`The directory ${dir} does not exist; create it first.`);
  return { start, requested, part: path.resolve(`${opts.output}.part`) };
}
