/**
 * Content-Type from the first bytes of a blob, for media a browser shows. Never text/html or
 * SVG: a sniffed document could run script in the gateway's origin; `?type=` is the caller's choice.
 */
const startsWith = (b: Uint8Array, sig: number[], at = 0): boolean => b.length >= at + sig.length && sig.every((v, i) => b[at + i] === v);
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

const SIGNATURES: [string, (b: Uint8Array) => boolean][] = [
  ["image/png", (b) => startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
  ["image/jpeg", (b) => startsWith(b, [0xff, 0xd8, 0xff])],
  ["image/gif", (b) => startsWith(b, ascii("GIF87a")) || startsWith(b, ascii("GIF89a"))],
  ["image/webp", (b) => startsWith(b, ascii("RIFF")) && startsWith(b, ascii("WEBP"), 8)],
  ["audio/wav", (b) => startsWith(b, ascii("RIFF")) && startsWith(b, ascii("WAVE"), 8)],
  ["video/webm", (b) => startsWith(b, [0x1a, 0x45, 0xdf, 0xa3])], // EBML (WebM / Matroska)
  ["video/mp4", (b) => startsWith(b, ascii("ftyp"), 4)],
  ["audio/ogg", (b) => startsWith(b, ascii("OggS"))],
  ["audio/mpeg", (b) => startsWith(b, ascii("ID3")) || (b.length >= 2 && b[0] === 0xff && (b[1] & 0xe0) === 0xe0)],
  ["audio/flac", (b) => startsWith(b, ascii("fLaC"))],
  ["application/pdf", (b) => startsWith(b, ascii("%PDF-"))],
  ["application/zip", (b) => startsWith(b, [0x50, 0x4b, 0x03, 0x04])],
  ["application/gzip", (b) => startsWith(b, [0x1f, 0x8b])],
];

export function sniffContentType(head: Uint8Array): string {
  for (const [type, match] of SIGNATURES) if (match(head)) return type;
  if (head.length > 0 && isText(head)) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

function isText(b: Uint8Array): boolean {
  for (const c of b) if (c < 0x09 || (c > 0x0d && c < 0x20 && c !== 0x1b)) return false;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(b.subarray(0, Math.max(0, b.length - 4))); // a cut multi-byte character at the end is fine
    return true;
  } catch {
    return false;
  }
}

/** A `?type=` value: a plain media type (type/subtype, optional parameters); else undefined. */
export function safeContentType(value: string | null): string | undefined {
  if (!value) return undefined;
  return /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+(\s*;\s*[a-z0-9!#$&^_.+-]+=[a-z0-9!#$&^_.+-]+)*$/i.test(value) ? value : undefined;
}
