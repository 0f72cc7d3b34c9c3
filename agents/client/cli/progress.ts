/**
 * A small terminal progress bar: bytes, rate, ETA, paid. Redraws at most 10 times a second; the
 * last draw (`finish`) shows the final figures. After a resume, the rate counts only the bytes of
 * this run (`startBytes` were already on disk).
 */
import { bytesText, usdc } from "../../runtime/cli.js";

export class ProgressBar {
  private readonly started: number;
  private last = -Infinity;
  private readonly startBytes: number;
  private readonly now: () => number;

  constructor(
    private readonly out: Pick<NodeJS.WritableStream, "write">,
    options: { startBytes?: number; now?: () => number } = {},
  ) {
    this.startBytes = options.startBytes ?? 0;
    this.now = options.now ?? (() => performance.now());
    this.started = this.now();
  }

  update(bytes: number, total: number, paid: bigint, force = false): void {
    const now = this.now();
    if (!force && now - this.last < 100 && bytes < total) return;
    this.last = now;
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? Math.max(0, bytes - this.startBytes) / seconds : 0;
    const eta = rate > 0 ? Math.max(0, (total - bytes) / rate) : 0;
    const width = 24;
    const filled = total > 0 ? Math.round((bytes / total) * width) : width;
    const bar = "#".repeat(filled) + "-".repeat(width - filled);
    const pct = total > 0 ? ((bytes / total) * 100).toFixed(0).padStart(3) : "100";
    const etaText = `${Math.floor(eta / 60)}:${String(Math.floor(eta % 60)).padStart(2, "0")}`;
    this.out.write(`\r[${bar}] ${pct}% ${bytesText(bytes)} / ${bytesText(total)}  ${bytesText(rate)}/s  ETA ${etaText}  paid ${usdc(paid)}   `);
  }

  /** The last draw with the final figures (the last voucher is signed after the last byte), then a new line. */
  finish(bytes: number, total: number, paid: bigint): void {
    this.update(bytes, total, paid, true);
    this.done();
  }

  done(): void {
    this.out.write("\n");
  }
}
