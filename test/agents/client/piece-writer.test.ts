import { expect } from "chai";
import { readFileSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { PieceWriter } from "../../../agents/client/cli/piece-writer.js";
import { tmpDir } from "../../helpers/tmp.js";

/** A file handle that counts its writes and, if told, writes only part of a writev (a short write). */
function counting(file: FileHandle, shortBy = 0) {
  const calls = { writev: 0, appendFile: 0, datasync: 0 };
  const handle = {
    writev: async (pieces: Uint8Array[]) => {
      calls.writev++;
      if (shortBy === 0) return file.writev(pieces);
      const all = Buffer.concat(pieces);
      const { bytesWritten } = await file.write(all.subarray(0, all.length - shortBy));
      return { bytesWritten, buffers: pieces };
    },
    appendFile: (data: Uint8Array) => (calls.appendFile++, file.appendFile(data)),
    datasync: () => (calls.datasync++, file.datasync()),
  };
  return { handle: handle as unknown as FileHandle, calls };
}

const pieceOf = (i: number, n: number) => Uint8Array.from({ length: n }, (_, k) => (i * 31 + k) % 256);

describe("client › cli › PieceWriter (a download's .part file)", () => {
  it("writes a leaf's worth of pieces with one writev, in order, also while a voucher's sync runs between them", async () => {
    const file = path.join(tmpDir("cdn-pieces-"), "x.part");
    const fh = await open(file, "a");
    const { handle, calls } = counting(fh);
    const writer = new PieceWriter(handle, 0, 1000);
    const pieces = Array.from({ length: 30 }, (_, i) => pieceOf(i, 100 + (i % 7) * 10));
    const syncs: Promise<void>[] = [];
    for (const [i, p] of pieces.entries()) {
      await writer.append(p);
      if (i % 9 === 4) syncs.push(writer.sync()); // a voucher's sync, not awaited by the stream
    }
    await Promise.all(syncs);
    await writer.flush();
    await fh.close();
    expect(readFileSync(file).equals(Buffer.concat(pieces))).to.equal(true);
    expect(writer.written).to.equal(Buffer.concat(pieces).length);
    // one write per 1,000 bytes gathered, and the syncs' own: far fewer than one per piece
    expect(calls.writev).to.be.within(4, 9);
    expect(calls.datasync).to.equal(syncs.length);
  });

  it("a short write: the rest is appended, nothing is lost or doubled, and `written` counts on from the resumed size", async () => {
    const file = path.join(tmpDir("cdn-pieces-"), "x.part");
    const fh = await open(file, "a");
    await fh.appendFile(pieceOf(99, 50)); // what an earlier run left
    const { handle, calls } = counting(fh, 7);
    const writer = new PieceWriter(handle, 50, 300);
    const pieces = Array.from({ length: 6 }, (_, i) => pieceOf(i, 120));
    for (const p of pieces) await writer.append(p);
    await writer.sync();
    await fh.close();
    expect(readFileSync(file).equals(Buffer.concat([pieceOf(99, 50), ...pieces]))).to.equal(true);
    expect(writer.written).to.equal(50 + 6 * 120);
    expect(calls.appendFile).to.equal(calls.writev);
  });
});
