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
  /** Leaves handed to the fan-out so far, and whether the fan-out aborted the fetch. */
  yielded = 0;
  aborted = false;

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
    const self = this; // eslint-disable-line @typescript-eslint/no-this-alias -- the generator counts on this upstream
    const fetch = (_blobId: string, options: FetchOptions) => {
      const record = { value: { blobId: toHex(tree.blobId), size: BigInt(data.length), origin: 1n, epoch: 1n, timestamp: 1n }, signature: new Uint8Array(65) };
      // as the client library's fetch: its signal ends the stream, whatever it waits for
      const aborted = new Promise<never>((_, reject) => options.signal?.addEventListener("abort", () => ((self.aborted = true), reject(options.signal!.reason as Error)), { once: true }));
      aborted.catch(() => undefined);
      async function* bytes(): AsyncGenerator<Uint8Array> {
        options.onHeader?.({ record, firstLeaf: 0, leafCount: released.length, pricePerGiB: 1n } as never);
        options.onLeafHashes?.(0, tree.leafLayer);
        for (let i = 0; i < released.length; i++) {
          await Promise.race([released[i], aborted]);
          options.signal?.throwIfAborted();
          self.yielded++;
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

  function fanout(budgetBytes: number, aheadBytes?: number): { fanout: Fanout; upstream: Upstream; cache: BlobCache } {
    const dir = tmpDir("cdn-fanout-");
    const cache = new BlobCache({ dir, budgetBytes, durable: false }, { db: new DatabaseSync(path.join(dir, "node.db")) });
    const upstream = new Upstream(data, LEAVES);
    return { fanout: new Fanout({ self: "0x" + "00".repeat(20), aheadBytes }, { client: upstream.client(), cache, logger: silentLogger() }), upstream, cache };
  }
  /** Lets the fan-out's pump run until it waits again. */
  const settle = () => new Promise((r) => setTimeout(r, 30));

  it("holds no leaf in memory: a stream that joins late reads the arrived leaves back from the cache's partial file, then from the cache", async () => {
    const { fanout: f, upstream, cache } = fanout(64 * LEAF_SIZE);
    const blob = await f.fetch(blobId);
    const stream = blob.open();
    const first = stream.leaf(0); // a stream waiting from the start gets the leaf as it arrives
    upstream.deliver(3);
    expect(await first).to.deep.equal(leafOf(0));
    expect(await stream.leaf(1)).to.deep.equal(leafOf(1));
    expect(await stream.leaf(2)).to.deep.equal(leafOf(2));
    // a stream that joins now: leaves 0-2 arrived before it asked, and none is held in memory
    expect(blob.heldBytes).to.equal(0);
    const late = blob.open();
    expect(await late.leaf(0)).to.deep.equal(leafOf(0));
    expect(await late.leaf(1)).to.deep.equal(leafOf(1));
    stream.close();
    late.close(); // the cache takes the blob: the fetch goes on without streams
    upstream.deliver(LEAVES);
    await blob.done;
    expect(cache.has(blobId)).to.equal(true);
    expect(f.stats.stopped).to.equal(0);
    // after the commit a stream still holding the fan-out's blob reads from the cache
    const after = blob.open();
    expect(await after.leaf(LEAVES - 1)).to.deep.equal(data.subarray((LEAVES - 1) * LEAF_SIZE));
    expect(await after.leaf(3)).to.deep.equal(leafOf(3));
    expect(blob.heldBytes).to.equal(0);
  });

  it("a blob the cache does not take: held only until its streams passed it, fetched at most `aheadBytes` ahead of the slowest, a stream joining after a dropped leaf is refused", async () => {
    const { fanout: f, upstream, cache } = fanout(2 * LEAF_SIZE, 2 * LEAF_SIZE);
    const blob = await f.fetch(blobId);
    upstream.deliver(LEAVES); // the origin could send it all at once
    await settle();
    expect(upstream.yielded).to.equal(2); // before any stream asked: two leaves ahead of leaf 0
    expect(blob.heldBytes).to.equal(2 * LEAF_SIZE);
    const fast = blob.open();
    expect(await fast.leaf(0)).to.deep.equal(leafOf(0)); // leaf 0 passed by every stream: dropped
    const slow = blob.open();
    expect(await slow.leaf(1)).to.deep.equal(leafOf(1));
    const tooLate = blob.open();
    const refused = await tooLate.leaf(0).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(refused?.message).to.match(/no longer held/);
    for (let i = 1; i <= 3; i++) expect(await fast.leaf(i)).to.deep.equal(leafOf(i));
    const fifth = fast.leaf(4); // the pump waits for the slow stream: leaf 4 would be two leaves past its next (2)
    await settle();
    expect(upstream.yielded).to.equal(4);
    expect(blob.heldBytes).to.equal(2 * LEAF_SIZE); // leaves 2 and 3, which the slow stream has not passed
    expect(await slow.leaf(2)).to.deep.equal(leafOf(2));
    expect(await fifth).to.deep.equal(leafOf(4));
    for (let i = 3; i < LEAVES; i++) expect(await slow.leaf(i)).to.deep.equal(data.subarray(i * LEAF_SIZE, (i + 1) * LEAF_SIZE));
    expect(await fast.leaf(5)).to.deep.equal(data.subarray(5 * LEAF_SIZE));
    fast.close();
    slow.close();
    tooLate.close();
    await blob.done;
    expect(upstream.aborted).to.equal(false);
    expect(cache.has(blobId)).to.equal(false);
    expect(blob.heldBytes).to.equal(0);
  });

  it("a cacheable blob: fetched at most `aheadBytes` ahead of its fastest stream; once its streams have left, finished and cached if at most that much is left, else stopped with nothing cached", async () => {
    const early = fanout(64 * LEAF_SIZE, 2 * LEAF_SIZE);
    let blob = await early.fanout.fetch(blobId);
    early.upstream.deliver(LEAVES);
    await settle();
    expect(early.upstream.yielded).to.equal(2); // before any stream asked: two leaves ahead of leaf 0
    const reader = blob.open();
    expect(await reader.leaf(0)).to.deep.equal(leafOf(0));
    await settle();
    expect(early.upstream.yielded).to.equal(3); // two ahead of the stream's next leaf (1)
    const slow = blob.open(); // a slower stream reads back from the partial file and does not hold the fetch back
    expect(await slow.leaf(0)).to.deep.equal(leafOf(0));
    reader.close();
    slow.close(); // almost three leaves left, more than two: stopped
    await blob.done;
    expect(early.upstream.aborted).to.equal(true);
    expect(early.fanout.stats.stopped).to.equal(1);
    expect(early.cache.has(blobId)).to.equal(false);

    const late = fanout(64 * LEAF_SIZE, 2 * LEAF_SIZE);
    blob = await late.fanout.fetch(blobId);
    late.upstream.deliver(LEAVES);
    const stream = blob.open();
    for (let i = 0; i < 3; i++) expect(await stream.leaf(i)).to.deep.equal(leafOf(i));
    await settle();
    expect(late.upstream.yielded).to.equal(5);
    stream.close(); // less than two leaves left: finished and cached
    await blob.done;
    expect(late.upstream.aborted).to.equal(false);
    expect(late.fanout.stats.stopped).to.equal(0);
    expect(late.cache.has(blobId)).to.equal(true);
  });

  it("stops the upstream fetch of a blob the cache does not take once its last stream has ended: the node pays for nothing nobody receives", async () => {
    const { fanout: f, upstream } = fanout(2 * LEAF_SIZE, 2 * LEAF_SIZE);
    const blob = await f.fetch(blobId);
    upstream.deliver(LEAVES);
    const a = blob.open();
    const b = blob.open();
    expect(await a.leaf(0)).to.deep.equal(leafOf(0));
    expect(await b.leaf(0)).to.deep.equal(leafOf(0));
    a.close();
    await settle();
    expect(upstream.aborted).to.equal(false); // one stream still reads
    b.close(); // a client that leaves after its first leaf
    await blob.done;
    expect(upstream.aborted).to.equal(true);
    expect(upstream.yielded).to.be.below(LEAVES);
    expect(f.stats.stopped).to.equal(1);
    expect(f.stats.failed).to.equal(0);
    expect(blob.heldBytes).to.equal(0);
  });
});
