import { expect } from "chai";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import { LEAF_SIZE } from "../../../agents/protocol/constants.js";
import { buildBlobTree } from "../../../agents/protocol/merkle.js";
import { toHex } from "../../../agents/protocol/bytes.js";
import { silentLogger } from "../../../agents/runtime/logger.js";
import { BlobCache } from "../../../agents/node/cache/index.js";
import { Fanout } from "../../../agents/node/fanout.js";
import type { Client, FetchOptions } from "../../../agents/client/client.js";
import { tmpDir } from "../../helpers/tmp.js";

/**
 * An upstream that delivers a blob's verified bytes leaf by leaf when told to (what the client
 * library hands the fan-out after its own checks: the header, the leaf layer, verified bytes).
 */
class Upstream {
  private release: (() => void)[] = [];
  private readonly released: Promise<void>[] = [];

  constructor(
    readonly data: Uint8Array,
    leaves: number,
  ) {
    for (let i = 0; i < leaves; i++) this.released.push(new Promise((r) => this.release.push(r)));
  }

  /** Lets the next `n` leaves through. */
  deliver(n: number): void {
    for (const r of this.release.splice(0, n)) r();
  }

  client(): Client {
    const { data, released } = this;
    const tree = buildBlobTree(data);
    const fetch = (_blobId: string, options: FetchOptions) => {
      const record = { value: { blobId: toHex(tree.blobId), size: BigInt(data.length), origin: 1n, epoch: 1n, timestamp: 1n }, signature: new Uint8Array(65) };
      async function* bytes(): AsyncGenerator<Uint8Array> {
        options.onHeader?.({ record, firstLeaf: 0, leafCount: released.length, pricePerGiB: 1n } as never);
        options.onLeafHashes?.(0, tree.leafLayer);
        for (let i = 0; i < released.length; i++) {
          await released[i];
          yield data.subarray(i * LEAF_SIZE, (i + 1) * LEAF_SIZE);
        }
      }
      return Object.assign(bytes(), { report: Promise.resolve({ paid: 0n, providers: [] }) });
    };
    return { fetch } as unknown as Client;
  }
}

describe("node › fan-out memory (an upstream fetch in progress)", function () {
  this.timeout(30_000);
  const LEAVES = 6;
  const data = new Uint8Array(randomBytes(LEAVES * LEAF_SIZE - 1000));
  const blobId = toHex(buildBlobTree(data).blobId);
  const leafOf = (i: number) => data.subarray(i * LEAF_SIZE, (i + 1) * LEAF_SIZE);

  function fanout(budgetBytes: number): { fanout: Fanout; upstream: Upstream; cache: BlobCache } {
    const dir = tmpDir("cdn-fanout-");
    const cache = new BlobCache({ dir, budgetBytes, durable: false }, { db: new DatabaseSync(path.join(dir, "node.db")) });
    const upstream = new Upstream(data, LEAVES);
    return { fanout: new Fanout({ self: "0x" + "00".repeat(20) }, { client: upstream.client(), cache, logger: silentLogger() }), upstream, cache };
  }

  it("holds no leaf in memory: a stream that joins late reads the arrived leaves back from the cache's partial file, then from the cache", async () => {
    const { fanout: f, upstream, cache } = fanout(64 * LEAF_SIZE);
    const blob = await f.fetch(blobId);
    const first = blob.leaf(0); // a stream waiting from the start gets the leaf as it arrives
    upstream.deliver(3);
    expect(await first).to.deep.equal(leafOf(0));
    expect(await blob.leaf(2)).to.deep.equal(leafOf(2));
    // a stream that joins now: leaves 0-2 arrived before it asked, and none is held in memory
    expect(blob.heldBytes).to.equal(0);
    expect(await blob.leaf(0)).to.deep.equal(leafOf(0));
    expect(await blob.leaf(1)).to.deep.equal(leafOf(1));
    upstream.deliver(LEAVES);
    await blob.done;
    expect(cache.has(blobId)).to.equal(true);
    // after the commit a stream still holding the fan-out's blob reads from the cache
    expect(await blob.leaf(LEAVES - 1)).to.deep.equal(data.subarray((LEAVES - 1) * LEAF_SIZE));
    expect(await blob.leaf(3)).to.deep.equal(leafOf(3));
    expect(blob.heldBytes).to.equal(0);
  });

  it("a blob the cache does not take (larger than its budget) keeps its arrived leaves in memory for late streams, until the fetch ends", async () => {
    const { fanout: f, upstream, cache } = fanout(2 * LEAF_SIZE);
    const blob = await f.fetch(blobId);
    upstream.deliver(3);
    expect(await blob.leaf(2)).to.deep.equal(leafOf(2));
    expect(blob.heldBytes).to.equal(3 * LEAF_SIZE);
    expect(await blob.leaf(0)).to.deep.equal(leafOf(0));
    upstream.deliver(LEAVES);
    await blob.done;
    expect(cache.has(blobId)).to.equal(false);
  });
});
