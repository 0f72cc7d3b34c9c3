/** A small terminal progress bar: bytes, rate, ETA, paid. Redraws at most 10 times a second. */
import { bytesText, usdc } from "../../runtime/cli.js";

export class ProgressBar {
  private readonly started = performance.now();
  private last = 0;
  constructor(private readonly out: NodeJS.WriteStream) {}

  update(bytes: number, total: number, paid: bigint): void {
    const now = performance.now();
    if (now - this.last < 100 && bytes < total) return;
    this.last = now;
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? bytes / seconds : 0;
    const eta = rate > 0 ? Math.max(0, (total - bytes) / rate) : 0;
    const width = 24;
    const filled = total > 0 ? Math.round((bytes / total) * width) : width;
    const bar = "#".repeat(filled) + "-".repeat(width - filled);
    const pct = total > 0 ? ((bytes / total) * 100).toFixed(0).padStart(3) : "100";
    const etaText = `${Math.floor(eta / 60)}:${String(Math.floor(eta % 60)).padStart(2, "0")}`;
    this.out.write(`\r[${bar}] ${pct}% ${bytesText(bytes)} / ${bytesText(total)}  ${bytesText(rate)}/s  ETA ${etaText}  paid ${usdc(paid)}   `);
  }

  done(): void {
    this.out.write("\n");
  }
}
