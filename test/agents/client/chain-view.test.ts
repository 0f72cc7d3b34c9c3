import { expect } from "chai";
import { clientChainView } from "../../../agents/client/chain.js";
import type { Contracts } from "../../../agents/chain/contracts.js";

/** A client chain view over contracts that count their reads (no chain): what its caches do. */
describe("client › chain view (content keys)", () => {
  const KEY = "0x" + "ab".repeat(20);
  const realNow = Date.now;
  let now = 1_000_000;
  beforeEach(() => {
    now = 1_000_000;
    Date.now = () => now;
  });
  afterEach(() => {
    Date.now = realNow;
  });

  function view() {
    const reads = { recognized: 0, key: 0 };
    let revoked = false;
    const contracts = {
      provider: {},
      domains: {},
      origins: {
        isRecognized: async () => (reads.recognized++, true),
        contentKeyOf: async () => (reads.key++, [KEY, revoked] as const),
      },
    } as unknown as Contracts;
    return { chain: clientChainView(contracts), reads, revoke: () => (revoked = true) };
  }

  it("an origin epoch's content key in use is read again in the background past half its minute: no caller waits for it, and no answer is older than the minute", async () => {
    const { chain, reads, revoke } = view();
    expect(await chain.contentKey(1n, 1n)).to.equal(KEY);
    expect(reads).to.deep.equal({ recognized: 1, key: 1 }); // both reads at once
    now += 20_000;
    expect(await chain.contentKey(1n, 1n)).to.equal(KEY);
    expect(reads).to.deep.equal({ recognized: 1, key: 1 }); // fresh: from memory
    revoke();
    now += 20_000; // 40 s: answered from memory, read again behind it
    expect(await chain.contentKey(1n, 1n)).to.equal(KEY);
    await new Promise((r) => setImmediate(r));
    expect(reads).to.deep.equal({ recognized: 2, key: 2 });
    expect(await chain.contentKey(1n, 1n)).to.equal(undefined); // the revocation, from the background read
    now += 61_000; // past the minute: the caller waits for a read
    expect(chain.hasContentKey!(1n, 1n)).to.equal(false);
    expect(await chain.contentKey(1n, 1n)).to.equal(undefined);
    expect(reads).to.deep.equal({ recognized: 3, key: 3 });
  });
});
