/**
 * HTTP Range (RFC 9110 §14): one `bytes=` range is served as 206; several ranges are ignored
 * (the whole blob, 200: allowed by the RFC, and what a media element never asks for); a range
 * that starts past the end is 416.
 */
export type RangeAnswer = { kind: "whole" } | { kind: "range"; start: number; end: number } | { kind: "unsatisfiable" };

/** `header` against a blob of `size` bytes; `end` is inclusive, as in Content-Range. */
export function parseRange(header: string | undefined, size: number): RangeAnswer {
  if (!header) return { kind: "whole" };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return { kind: "whole" }; // several ranges or another unit: ignored
  const [, a, b] = m;
  if (a === "" && b === "") return { kind: "whole" };
  if (a === "") {
    // the last b bytes
    const n = Number(b);
    if (!Number.isSafeInteger(n) || n === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "range", start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  if (!Number.isSafeInteger(start) || start >= size) return { kind: "unsatisfiable" };
  const last = b === "" ? size - 1 : Number(b);
  if (!Number.isSafeInteger(last) || last < start) return { kind: "whole" }; // invalid: ignored
  return { kind: "range", start, end: Math.min(last, size - 1) };
}
