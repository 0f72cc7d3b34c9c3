import { expect } from "chai";
import { ProgressBar } from "../../../agents/client/cli/progress.js";

function bar(startBytes = 0) {
  let t = 0;
  const lines: string[] = [];
  const b = new ProgressBar({ write: (s: string) => (lines.push(s), true) }, { startBytes, now: () => t });
  return { b, lines, at: (ms: number) => (t = ms) };
}

describe("client › cli › ProgressBar", () => {
  it("after a resume the rate counts only this run's bytes", () => {
    const { b, lines, at } = bar(10 * 1024 * 1024);
    at(2000);
    b.update(10 * 1024 * 1024 + 2048, 20 * 1024 * 1024, 5n);
    expect(lines.at(-1)).to.include(" 1.00 KiB/s ");
  });
  it("the last draw shows the final amount paid (signed after the last byte), even inside the redraw interval", () => {
    const { b, lines, at } = bar();
    at(1000);
    b.update(900, 1000, 90n);
    at(1010);
    b.finish(1000, 1000, 1234n);
    expect(lines.at(-2)).to.include("paid 0.001234 USDC");
    expect(lines.at(-2)).to.include("100%");
    expect(lines.at(-1)).to.equal("\n");
  });
});
