import type { Command } from "commander";
import { action } from "../../../runtime/cli.js";
import { loadSlasherConfig } from "../../config.js";
import { parseBlobId, readNoticeFile } from "../../notices.js";
import { SlasherStore } from "../../store.js";
import { globals } from "../context.js";

export function noticeCommand(program: Command): void {
  const notice = program.command("notice").description("compliance notices: the blob ids the slasher watches (the blacklist holds only their keccak256)");
  notice
    .command("add")
    .description('watch blob ids (arguments) and/or the ids of notice files (--file: JSON list, {"blobIds": [...]}, or one id a line)')
    .argument("[blobIds...]", "blob ids (0x + 64 hex)")
    .option("--file <file...>", "compliance notice files")
    .addHelpText("after", "\nExamples:\n  cdn-slasher notice add 0x5c17…abd6\n  cdn-slasher notice add --file notices.json\n")
    .action(
      action("cdn-slasher", async function (this: Command, blobIds: string[], opts: { file?: string[] }) {
        const ids = blobIds.map(parseBlobId);
        for (const f of opts.file ?? []) ids.push(...readNoticeFile(f));
        if (ids.length === 0) throw new Error("Give at least one blob id or --file.");
        const store = new SlasherStore(loadSlasherConfig(globals(this)).dbFile);
        try {
          const added = store.addNotices(ids, opts.file?.length ? opts.file.join(",") : "cli");
          console.log(`${added} new blob id${added === 1 ? "" : "s"} watched (${store.notices().length} in all).`);
        } finally {
          store.close();
        }
      }),
    );
  notice
    .command("list")
    .description("list the watched blob ids (local database; use `status` for their blacklist state)")
    .option("--json", "machine-readable output")
    .action(
      action("cdn-slasher", async function (this: Command, opts: { json?: boolean }) {
        const store = new SlasherStore(loadSlasherConfig(globals(this)).dbFile);
        try {
          const notices = store.notices();
          if (opts.json) return console.log(JSON.stringify(notices, null, 2));
          if (notices.length === 0) return console.log("No blob ids watched (cdn-slasher notice add <blobId>).");
          for (const n of notices) console.log(`${n.blobId}  from ${n.source}  ${new Date(n.addedAt).toISOString()}`);
        } finally {
          store.close();
        }
      }),
    );
}
