import { expect } from "chai";
import { MAX_BUFFERED_BYTES, verifiedStream, type FetchReport } from "../../../agents/client/download.js";
import { rejection } from "../../helpers/errors.js";

const report = (bytes: number): FetchReport => ({ bytes, size: bytes, paid: 0n, providers: [], unconfirmed: [], discovery: "probe" });

describe("client › verified stream", () => {
  it("yields what the download pushes, in order, and pauses the download while the consumer lags", async () => {
    const chunk = MAX_BUFFERED_BYTES / 4;
    let pushed = 0;
    const stream = verifiedStream(undefined, async (_signal, push) => {
      for (let i = 0; i < 8; i++) {
        await push(new Uint8Array(chunk).fill(i));
        pushed++;
      }
      return report(8 * chunk);
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(pushed).to.equal(4); // the fifth push waits: more than the buffer is unread
    const seen: number[] = [];
    for await (const bytes of stream) seen.push(bytes[0]);
    expect(seen).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7]);
    expect((await stream.report).bytes).to.equal(8 * chunk);
  });

  it("stopping the iteration aborts the download; a failed download throws to the consumer", async () => {
    let aborted = false;
    const stream = verifiedStream(undefined, async (signal, push) => {
      signal.addEventListener("abort", () => (aborted = true));
      for (;;) {
        await push(new Uint8Array(1024));
        if (signal.aborted) throw signal.reason;
      }
    });
    for await (const _ of stream) break;
    expect(aborted).to.equal(true);
    const failing = verifiedStream(undefined, async () => {
      throw new Error("no provider left");
    });
    const error = await (async () => {
      for await (const _ of failing) void _;
    })().then(...rejection);
    expect((error as Error).message).to.equal("no provider left");
  });
});
