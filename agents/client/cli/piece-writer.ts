/**
 * Appends verified bytes to a download's `.part` file a leaf's worth at a time. A leaf reaches the
 * client as the pieces it arrived in (five to ten, agents/protocol/wire/chunk-frame.ts); writing
 * each with its own `appendFile` cost ~1.3 ms of CPU per MB against ~0.4 for one write per leaf, so
 * pieces are gathered and written with one `writev` (no copy), in order, one write at a time.
 */
import { open, type FileHandle } from "node:fs/promises";
import { LEAF_SIZE } from "../../protocol/constants.js";

export class PieceWriter {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  /** The writes so far, in order; the first failure fails every later flush. */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: FileHandle,
    /** Bytes the file holds (what an earlier run left). */
    public written: number,
    private readonly batchBytes = LEAF_SIZE,
  ) {}

  /** Opens `file` to append to it; `written`: what it holds. */
  static async open(file: string, written: number): Promise<PieceWriter> {
    return new PieceWriter(await open(file, "a"), written);
  }

  /** Takes one piece; writes the gathered pieces once they make a leaf's worth. */
  async append(piece: Uint8Array): Promise<void> {
    this.pending.push(piece);
    this.pendingBytes += piece.length;
    if (this.pendingBytes >= this.batchBytes) await this.flush();
  }

  /** Writes whatever is gathered, after the writes before it. */
  flush(): Promise<void> {
    if (this.pending.length > 0) {
      const pieces = this.pending;
      const bytes = this.pendingBytes;
      this.pending = [];
      this.pendingBytes = 0;
      this.writing = this.writing.then(async () => {
        const { bytesWritten } = await this.file.writev(pieces);
        // a short write (a full disk, a signal): the rest in one go, or its error
        if (bytesWritten < bytes) await this.file.appendFile(Buffer.concat(pieces).subarray(bytesWritten));
        this.written += bytes;
      });
    }
    return this.writing;
  }

  /** Every piece taken so far written and on disk (before a voucher pays for them). */
  async sync(): Promise<void> {
    await this.flush();
    await this.file.datasync();
  }

  /** Writes what is gathered and closes the file (closed even if the write fails). */
  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.file.close();
    }
  }
}
