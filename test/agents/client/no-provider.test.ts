/**
 * "No provider" says why: the price cap left the holders out, or every holder is busy, whether it
 * answered BUSY to the probe or to the request (the gateway answers 503 with Retry-After for both). Real nodes and a real chain (delivery fixture).
 */
import { expect } from "chai";
import { request } from "node:http";
import { collect, randomFile, useDeliveryWorld, type DeliveryWorldHandle, type TestClient } from "../../e2e/delivery-fixture.js";
import type { ClientOptions } from "../../../agents/client/client.js";
import { LEAF_SIZE } from "../../../agents/protocol/constants.js";
import { NoProviderError } from "../../../agents/client/errors.js";
import { createGateway } from "../../../agents/client/gateway/gateway.js";
import { rejection } from "../../helpers/errors.js";
import { tmpDir } from "../../helpers/tmp.js";

function httpGet(url: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("client › no provider: the reason", function () {
  this.timeout(180_000);
  const delivery = useDeliveryWorld();

  /** One holder started with `nodeOptions`, one blob it published, and a client's fetch of it (asking only that holder): the error. */
  async function fetchFromOnlyHolder(nodeOptions: Parameters<DeliveryWorldHandle["node"]>[0], clientOptions: ClientOptions) {
    const n = await delivery.node(nodeOptions);
    const [blob] = await n.agent.publish([randomFile(tmpDir(), LEAF_SIZE).file]);
    const c = await delivery.client(clientOptions);
    const error = await collect(c.client.fetch(blob.blobId, { providers: [n.identity.address.toLowerCase()] })).then(...rejection);
    return { blob, c, error };
  }

  /** What a gateway over client `c` answers for the blob: status, Retry-After and the JSON error code. */
  async function gatewayAnswer(c: TestClient, blobId: string, options: { maxPricePerGiB?: bigint } = {}) {
    const gateway = createGateway({ port: 0, ...options }, { client: c.client });
    await gateway.start();
    try {
      const r = await httpGet(`${gateway.url}/blob/${blobId}`);
      return [r.status, r.headers["retry-after"], JSON.parse(r.body.toString()).error] as unknown[];
    } finally {
      await gateway.stop();
    }
  }

  it("every holder above the price cap: one sentence naming the cap and the cheapest price; the gateway answers 503 price_cap with Retry-After", async () => {
    const { blob, c, error } = await fetchFromOnlyHolder({ pricePerGiB: 2_000_000n }, { maxPricePerGiB: 500_000n });
    expect(error).to.be.instanceOf(NoProviderError);
    expect((error as NoProviderError).reason).to.equal("price_cap");
    expect((error as Error).message).to.equal(
      `No active node within the price cap of 0.5 USDC/GiB offers blob ${blob.blobId}; 1 node charges more (from 2.0 USDC/GiB) and was not asked: raise maxPricePerGiB in the client's config to use them.`,
    );
    expect(await gatewayAnswer(c, blob.blobId, { maxPricePerGiB: 500_000n })).to.deep.equal([503, "60", "price_cap"]);
  });

  it("the only holder answers its probe BUSY (its chain view is stale): one sentence saying it is busy and when to retry; the gateway answers 503 busy with that Retry-After", async () => {
    // a node whose chain view is always older than its bound answers every probe BUSY (it never serves on a stale view)
    const { blob, c, error } = await fetchFromOnlyHolder({ options: { mesh: { maxChainViewAgeMs: 1 } } }, { maxAttempts: 1 });
    expect(error).to.be.instanceOf(NoProviderError);
    expect([(error as NoProviderError).reason, (error as NoProviderError).retryAfterMs]).to.deep.equal(["busy", 5000]);
    expect((error as Error).message).to.equal(`No node can serve blob ${blob.blobId} now: 1 node answered busy (at capacity, or catching up with the chain); try again in 5 s.`);
    expect(await gatewayAnswer(c, blob.blobId)).to.deep.equal([503, "5", "busy"]);
  });

  it("every holder busy: the download says so and when to come back; the gateway answers 503 busy with the node's Retry-After", async () => {
    const { blob, c, error } = await fetchFromOnlyHolder({ options: { fetchLimits: { maxActiveFetches: 0, retryAfterMs: 1500 } } }, { maxAttempts: 1 });
    expect(error).to.be.instanceOf(NoProviderError);
    expect([(error as NoProviderError).reason, (error as NoProviderError).retryAfterMs]).to.deep.equal(["busy", 1500]);
    expect((error as Error).message).to.match(/^The download stopped at byte 0 of \d+: every node that holds it is busy; try again in 2 s\. Last error: /);
    expect(await gatewayAnswer(c, blob.blobId)).to.deep.equal([503, "2", "busy"]);
  });
});
