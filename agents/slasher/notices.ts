/**
 * Compliance notices: the blob ids a slasher watches. The blacklist stores only keccak256(blobId),
 * so the ids come from the notices a compliance body publishes. Accepted file formats:
 *  - JSON: `["0x…", …]`, `{ "blobIds": ["0x…", …] }` or `{ "notices": [{ "blobId": "0x…" }, …] }`;
 *  - text: one blob id a line; `#` starts a comment; any other text on a line is ignored.
 */
import { readFileSync } from "node:fs";
import { NoticeError } from "./errors.js";

const BLOB_ID = /^0x[0-9a-f]{64}$/;

/** A lower-case 0x-prefixed 32-byte blob id, or a NoticeError. */
export function parseBlobId(text: string): string {
  const id = text.trim().toLowerCase();
  if (!BLOB_ID.test(id)) throw new NoticeError(`"${text.trim()}" is not a blob id (0x and 64 hex digits).`);
  return id;
}

/** The blob ids of a notice document (deduplicated, in order). */
export function parseNotices(text: string): string[] {
  const trimmed = text.trim();
  let ids: string[];
  if (trimmed.startsWith("[") || trimmed.startsWith("{")) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch (cause) {
      throw new NoticeError("The notice file looks like JSON but does not parse.", { cause });
    }
    const list = Array.isArray(json)
      ? json
      : Array.isArray((json as { blobIds?: unknown }).blobIds)
        ? (json as { blobIds: unknown[] }).blobIds
        : Array.isArray((json as { notices?: unknown }).notices)
          ? (json as { notices: { blobId?: unknown }[] }).notices.map((n) => n?.blobId)
          : undefined;
    if (!list) throw new NoticeError('A JSON notice file is a list of blob ids, {"blobIds": [...]} or {"notices": [{"blobId": ...}]}.');
    ids = list.map((v) => {
      if (typeof v !== "string") throw new NoticeError("Every blob id in a notice file is a string.");
      return parseBlobId(v);
    });
  } else {
    ids = [];
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.replace(/#.*/, "").trim();
      if (!line) continue;
      const match = /0x[0-9a-fA-F]{64}/.exec(line);
      if (match) ids.push(parseBlobId(match[0]));
    }
  }
  return [...new Set(ids)];
}

export function readNoticeFile(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    throw new NoticeError(`Cannot read the notice file ${file}.`, { cause });
  }
  return parseNotices(text);
}
