/**
 * Gas snapshots: tests record the gas of named operations; the figures are compared with the
 * committed snapshot in gas/<area>.json (tolerance 2 %, since random keys change calldata
 * slightly). `UPDATE_GAS=1 npm test` rewrites the snapshots; commit them with the change.
 */
import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";

const GAS_DIR = path.resolve(import.meta.dirname, "../../gas");
const TOLERANCE = 0.02;

export class GasRecorder {
  private readonly figures = new Map<string, bigint>();
  constructor(readonly area: string) {}

  /** Records the gas of a mined transaction (pass the response or receipt). */
  async record(label: string, tx: { wait?: () => Promise<unknown>; gasUsed?: bigint }): Promise<bigint> {
    const receipt = (tx.gasUsed !== undefined ? tx : await tx.wait!()) as { gasUsed: bigint };
    this.figures.set(label, receipt.gasUsed);
    return receipt.gasUsed;
  }

  set(label: string, gas: bigint): void {
    this.figures.set(label, gas);
  }

  /** Writes (UPDATE_GAS=1) or compares against the committed snapshot. */
  check(): void {
    const file = path.join(GAS_DIR, `${this.area}.json`);
    const current = Object.fromEntries([...this.figures].sort().map(([k, v]) => [k, Number(v)]));
    if (process.env.UPDATE_GAS === "1" || !existsSync(file)) {
      mkdirSync(GAS_DIR, { recursive: true });
      writeFileSync(file, JSON.stringify(current, null, 2) + "\n");
      return;
    }
    const committed = JSON.parse(readFileSync(file, "utf8")) as Record<string, number>;
    for (const [label, gas] of Object.entries(current)) {
      const expected = committed[label];
      expect(expected, `gas/${this.area}.json has no figure for "${label}" (run UPDATE_GAS=1 npm test)`).to.not.equal(undefined);
      const drift = Math.abs(gas - expected) / expected;
      expect(drift, `gas for "${label}": ${gas} vs snapshot ${expected} (run UPDATE_GAS=1 npm test if intended)`).to.be.at.most(TOLERANCE);
    }
  }
}
