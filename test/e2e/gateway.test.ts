/**
 * The HTTP gateway end to end: real node agents on libp2p (127.0.0.1), the real contracts on an
 * in-process Hardhat chain, the client library paying per byte, and the gateway on a real HTTP
 * port, exercised with node:http like any HTTP program would.
 */
import { expect } from "chai";
import { request } from "node:http";
import { randomBytes } from "node:crypto";
import { keccak256 } from "ethers";
import { network } from "hardhat";
import { deliveryWorld, randomFile, startClient, startNode, USDC, type DeliveryWorld, type TestClient, type TestNode } from "./delivery-fixture.js";
import { createGateway, type Gateway } from "../../agents/client/gateway/gateway.js";
import { blobIdAsCid, blobIdToCid } from "../../agents/protocol/cid.js";
import { fromHex } from "../../agents/protocol/bytes.js";
import { tmpDir } from "../helpers/tmp.js";

const LEAF = 262_144;

interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The response ended before its Content-Length (the server cut it). */
  aborted: boolean;
}

export function httpGet(url: string, headers: Record<string, string> = {}, method = "GET"): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const parts: Buffer[] = [];
      let aborted = false;
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("aborted", () => (aborted = true));
      res.on("error", () => (aborted = true));
      res.on("close", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts), aborted: aborted || !res.complete }));
    });
    req.on("error", reject);
    req.end();
  });
}

const json = (a: HttpAnswer) => JSON.parse(a.body.toString()) as Record<string, string>;

async function metric(gateway: Gateway, name: string, labels = ""): Promise<number> {
  const text = await gateway.metrics.registry.metrics();
  const line = text.split("\n").find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ""} `));
  return line ? Number(line.split(" ")[1]) : 0;
}

describe("e2e › the HTTP gateway (GET/HEAD /blob/<id>) on a real node and chain", function () {
  this.timeout(120_000);
  let world: DeliveryWorld;
  let origin: TestNode;
  /** A node that corrupts leaf 2 of what it serves (started first: the client caches the active set). */
  let liar: TestNode;
  let c: TestClient;
  let gateway: Gateway;
  let blob: { blobId: string; data: Buffer };
  const stops: (() => Promise<void>)[] = [];

  const publish = async (node: TestNode, size: number) => {
    const { file, data } = randomFile(tmpDir(), size);
    const [b] = await node.agent.publish([file]);
    return { blobId: b.blobId, data };
  };

  before(async () => {
    world = await deliveryWorld(await network.create());
    origin = await startNode(world, { pricePerGiB: 1n * USDC });
    liar = await startNode(world, { pricePerGiB: 1n * USDC, tamper: (leaf, data) => (leaf === 2 ? Uint8Array.from(data, (x) => x ^ 1) : data) });
    c = await startClient(world);
    gateway = createGateway({ port: 0 }, { client: c.client });
    await gateway.start();
    blob = await publish(origin, 3 * LEAF + 12_345);
  });

  after(async () => {
    await gateway?.stop();
    for (const s of stops) await s();
    await c?.stop();
    for (const n of [origin, liar]) {
      await n?.agent.stop();
      n?.store.close();
    }
  });

  it("GET serves the verified bytes with ETag = blob id, immutable caching, Accept-Ranges and a sniffed type; ?type= and ?filename= set the headers", async () => {
    const r = await httpGet(`${gateway.url}/blob/${blob.blobId}`);
    expect(r.status).to.equal(200);
    expect(r.body.equals(blob.data)).to.equal(true);
    expect(r.headers["content-length"]).to.equal(String(blob.data.length));
    expect(r.headers.etag).to.equal(`"${blob.blobId}"`);
    expect(r.headers["cache-control"]).to.include("immutable");
    expect(r.headers["accept-ranges"]).to.equal("bytes");
    expect(r.headers["content-type"]).to.equal("application/octet-stream");
    expect(r.headers["access-control-allow-origin"]).to.equal("*");
    const named = await httpGet(`${gateway.url}/blob/${blob.blobId}?type=video/webm&filename=my%20clip.webm`, {}, "HEAD");
    expect(named.headers["content-type"]).to.equal("video/webm");
    expect(named.headers["content-disposition"]).to.equal("inline; filename*=UTF-8''my%20clip.webm");
  });

  it("Range: 206 with Content-Range for a middle range, an open range and a suffix; 416 past the end", async () => {
    const size = blob.data.length;
    const mid = await httpGet(`${gateway.url}/blob/${blob.blobId}`, { range: "bytes=300000-600000" });
    expect(mid.status).to.equal(206);
    expect(mid.headers["content-range"]).to.equal(`bytes 300000-600000/${size}`);
    expect(mid.body.equals(blob.data.subarray(300000, 600001))).to.equal(true);
    const open = await httpGet(`${gateway.url}/blob/${blob.blobId}`, { range: `bytes=${size - 5000}-` });
    expect(open.status).to.equal(206);
    expect(open.body.equals(blob.data.subarray(size - 5000))).to.equal(true);
    const suffix = await httpGet(`${gateway.url}/blob/${blob.blobId}`, { range: "bytes=-100" });
    expect(suffix.headers["content-range"]).to.equal(`bytes ${size - 100}-${size - 1}/${size}`);
    expect(suffix.body.equals(blob.data.subarray(size - 100))).to.equal(true);
    const past = await httpGet(`${gateway.url}/blob/${blob.blobId}`, { range: `bytes=${size}-` });
    expect(past.status).to.equal(416);
    expect(past.headers["content-range"]).to.equal(`bytes */${size}`);
  });

  it("HEAD gives the size without a body; If-None-Match with the ETag is 304 without any download", async () => {
    const head = await httpGet(`${gateway.url}/blob/${blob.blobId}`, {}, "HEAD");
    expect(head.status).to.equal(200);
    expect(head.headers["content-length"]).to.equal(String(blob.data.length));
    expect(head.body.length).to.equal(0);
    const fresh = await publish(origin, 1000);
    const before = (await metric(gateway, "cdn_gateway_upstream_fetches_total", 'kind="metadata"')) + (await metric(gateway, "cdn_gateway_upstream_fetches_total", 'kind="body"'));
    const cached = await httpGet(`${gateway.url}/blob/${fresh.blobId}`, { "if-none-match": `"${fresh.blobId}"` });
    expect(cached.status).to.equal(304);
    expect(cached.headers.etag).to.equal(`"${fresh.blobId}"`);
    const after = (await metric(gateway, "cdn_gateway_upstream_fetches_total", 'kind="metadata"')) + (await metric(gateway, "cdn_gateway_upstream_fetches_total", 'kind="body"'));
    expect(after).to.equal(before);
  });

  it("the blob's identity CID serves the same bytes; a bad id or the (one-way) DHT key is 400 with one sentence", async () => {
    const cid = blobIdAsCid(fromHex(blob.blobId, 32)).toString();
    const r = await httpGet(`${gateway.url}/blob/${cid}`, { range: "bytes=0-99" });
    expect(r.status).to.equal(206);
    expect(r.body.equals(blob.data.subarray(0, 100))).to.equal(true);
    const bad = await httpGet(`${gateway.url}/blob/0x1234`);
    expect(bad.status).to.equal(400);
    expect(json(bad).error).to.equal("bad_blob_id");
    const dht = await httpGet(`${gateway.url}/blob/${blobIdToCid(fromHex(blob.blobId, 32)).toString()}`);
    expect(dht.status).to.equal(400);
    expect(json(dht).message).to.match(/DHT key/);
  });

  it("typed errors: an unknown blob is 404, a blacklisted one 451 (JSON bodies)", async () => {
    const unknown = await httpGet(`${gateway.url}/blob/0x${randomBytes(32).toString("hex")}`);
    expect(unknown.status).to.equal(404);
    expect(json(unknown).error).to.equal("not_found");
    const listed = await publish(origin, 2000);
    await world.asTimelock((tl) =>
      world.gov.blacklist
        .connect(tl)
        .add(keccak256(listed.blobId))
        .then((tx) => tx.wait()),
    );
    const r = await httpGet(`${gateway.url}/blob/${listed.blobId}`);
    expect(r.status).to.equal(451);
    expect(json(r).error).to.equal("blacklisted");
  });

  it("concurrent requests for the same blob and range share one paid download", async () => {
    const b = await publish(origin, 2 * LEAF + 7);
    await httpGet(`${gateway.url}/blob/${b.blobId}`, {}, "HEAD"); // metadata first, so the three GETs race on the body only
    const bodiesBefore = await metric(gateway, "cdn_gateway_upstream_fetches_total", 'kind="body"');
    const sharedBefore = await metric(gateway, "cdn_gateway_shared_requests_total");
    const answers = await Promise.all([1, 2, 3].map(() => httpGet(`${gateway.url}/blob/${b.blobId}`)));
    for (const a of answers) expect(a.body.equals(b.data)).to.equal(true);
    expect((await metric(gateway, "cdn_gateway_upstream_fetches_total", 'kind="body"')) - bodiesBefore).to.equal(1);
    expect((await metric(gateway, "cdn_gateway_shared_requests_total")) - sharedBefore).to.equal(2);
  });

  it("drive-by spending: a cross-site page's request is 403 and a foreign Host name (DNS rebinding) is 421, before any download", async () => {
    const b = await publish(origin, 1000);
    const crossSite = await httpGet(`${gateway.url}/blob/${b.blobId}`, { "sec-fetch-site": "cross-site", "sec-fetch-mode": "no-cors", "sec-fetch-dest": "image" });
    expect(crossSite.status).to.equal(403);
    expect(json(crossSite).error).to.equal("cross_site");
    const port = new URL(gateway.url).port;
    const rebound = await httpGet(`${gateway.url}/blob/${b.blobId}`, { host: `attacker.example:${port}` });
    expect(rebound.status).to.equal(421);
    // a same-site page (the browser test's case) and a user's own navigation are served
    expect((await httpGet(`${gateway.url}/blob/${b.blobId}`, { "sec-fetch-site": "same-site" })).status).to.equal(200);
    expect((await httpGet(`${gateway.url}/blob/${b.blobId}`, { "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate", "sec-fetch-user": "?1" })).status).to.equal(200);
  });

  it("exposes Prometheus metrics: requests by status, bytes, spend and time to first byte", async () => {
    const text = await (await httpGet(`${gateway.url}/metrics`)).body.toString();
    expect(text).to.match(/cdn_gateway_requests_total\{method="GET",status="206"\} [1-9]/);
    expect(text).to.match(/cdn_gateway_bytes_served_total [1-9]/);
    expect(text).to.match(/cdn_gateway_spend_total [1-9]/);
    expect(text).to.match(/cdn_gateway_time_to_first_byte_seconds_count [1-9]/);
    expect(text).to.not.match(/process_process_/);
  });

  it("the spending guard: a download that would pass the hourly limit is 402 with a JSON body and Retry-After; nothing more is paid", async () => {
    // 1 USDC/GiB: the metadata leaf costs ~245 base units, the whole 3-leaf blob ~1,000 more
    const guarded = createGateway({ port: 0, maxSpendPerHour: 600n }, { client: c.client });
    await guarded.start();
    stops.push(() => guarded.stop());
    const b = await publish(origin, 3 * LEAF);
    const r = await httpGet(`${guarded.url}/blob/${b.blobId}`);
    expect(r.status).to.equal(402);
    expect(json(r).error).to.equal("spend_limit");
    expect(json(r).maxSpendPerHour).to.equal("600");
    expect(Number(r.headers["retry-after"])).to.be.greaterThan(0);
    const spent = guarded.guard.lastHour();
    expect(spent).to.be.lessThanOrEqual(600n);
    expect((await httpGet(`${guarded.url}/blob/${b.blobId}`)).status).to.equal(402);
    expect(guarded.guard.lastHour()).to.equal(spent);
  });

  it("a chunk that fails verification mid-stream aborts the HTTP response: the client gets only a verified prefix", async () => {
    // the liar alone holds this blob
    const b = await publish(liar, 4 * LEAF);
    const r = await httpGet(`${gateway.url}/blob/${b.blobId}`);
    expect(r.status).to.equal(200);
    expect(r.aborted).to.equal(true);
    expect(r.body.length).to.be.lessThanOrEqual(2 * LEAF);
    expect(r.body.equals(b.data.subarray(0, r.body.length))).to.equal(true);
  });
});
