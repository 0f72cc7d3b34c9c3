/**
 * The HTTP gateway in a real browser: headless Chromium (the Debian package, driven with
 * puppeteer-core, which never downloads a browser) loads a page served by this test whose <img>
 * and <video> sources are gateway URLs; real node agents on libp2p and the contracts on an
 * in-process Hardhat chain serve and are paid. The video (test/e2e/media/clip.webm, VP8, 6 s,
 * each second a solid colour: red = 40 × second) plays, then seeks; the test checks the Range
 * requests the gateway answered (its JSON request logs), the position after the seek and the colour
 * of the frame the browser decoded there; the image (a PNG made here) shows at its natural size.
 * Chromium missing is a failure, not a skip: `.ci/run` installs it. The page's link is throttled
 * (DevTools network emulation) so the seek lands where the browser has not read yet.
 *
 * The clip was made with: ffmpeg -f lavfi -i "color=c=black:s=320x240:r=25:d=6" -vf
 * "format=rgb24,geq=r='40*floor(T)+20':g='64':b='200-30*floor(T)',noise=alls=30:allf=t" -c:v libvpx
 * -b:v 1300k -minrate 1300k -maxrate 1300k -bufsize 600k -g 25 -keyint_min 25 -an clip.webm
 * (noise keeps it near 1 MB, so it is read in several Range requests).
 */
import { expect } from "chai";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { Writable } from "node:stream";
import { deflateSync, crc32 } from "node:zlib";
import { network } from "hardhat";
import puppeteer, { type Browser } from "puppeteer-core";
import { deliveryWorld, startClient, startNode, USDC, type DeliveryWorld, type TestClient, type TestNode } from "./delivery-fixture.js";
import { createGateway, type Gateway } from "../../agents/client/gateway/gateway.js";
import { createLogger } from "../../agents/runtime/logger.js";
import { tmpDir } from "../helpers/tmp.js";

export const CHROMIUM = process.env.CDN_CHROMIUM ?? "/usr/bin/chromium";
const CLIP = path.join(import.meta.dirname, "media/clip.webm");

/** A PNG of `width` × `height` pixels, one colour (RGB). */
function png(width: number, height: number, rgb: [number, number, number]): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => rgb).flat())]);
  const pixels = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", header), chunk("IDAT", deflateSync(pixels)), chunk("IEND", Buffer.alloc(0))]);
}

/** The page's side, called with tab.evaluate: the image's natural size, play, seek and the decoded frame's colour. */
const PAGE_SCRIPT = `
function within(ms, what, promise) {
  return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(what + " did not happen within " + ms + " ms")), ms))]);
}
async function image() {
  const el = document.getElementById("img");
  if (!el.complete) await within(30000, "image load", new Promise((r) => { el.onload = r; el.onerror = r; }));
  return { width: el.naturalWidth, height: el.naturalHeight };
}
async function metadata() {
  const v = document.getElementById("video");
  if (v.readyState < 1) await within(30000, "loadedmetadata", new Promise((r) => v.addEventListener("loadedmetadata", r, { once: true })));
  return { duration: v.duration };
}
async function play(until) {
  const v = document.getElementById("video");
  await within(30000, "play", v.play());
  const started = Date.now();
  while (v.currentTime < until && !v.ended && Date.now() - started < 30000) await new Promise((r) => setTimeout(r, 50));
  const out = { currentTime: v.currentTime, playing: !v.paused };
  v.pause();
  return out;
}
async function seek(target) {
  const v = document.getElementById("video");
  v.pause();
  const seeked = new Promise((r) => v.addEventListener("seeked", r, { once: true }));
  v.currentTime = target;
  await within(30000, "seeked", seeked);
  // the frame decoded at the new position: its colour encodes its second
  const ctx = document.getElementById("canvas").getContext("2d");
  ctx.drawImage(v, 0, 0, 32, 32);
  const px = ctx.getImageData(0, 0, 32, 32).data;
  let r = 0;
  for (let i = 0; i < px.length; i += 4) r += px[i];
  return { currentTime: v.currentTime, r: r / (px.length / 4) };
}`;

interface RequestLog {
  method: string;
  url: string;
  range?: string;
  status: string;
}

describe("e2e › the HTTP gateway in headless Chromium: <img> and a <video> that plays and seeks", function () {
  this.timeout(180_000);
  let world: DeliveryWorld;
  let origin: TestNode;
  let c: TestClient;
  let gateway: Gateway;
  let page: Server;
  let browser: Browser | undefined;
  const requests: RequestLog[] = [];
  // a response that waits for 'drain' again and again must not pile up listeners (a seek-heavy video makes many such waits)
  const listenerWarnings: string[] = [];
  const onWarning = (w: Error) => void (w.name === "MaxListenersExceededWarning" && listenerWarnings.push(w.message));

  before(async () => {
    process.on("warning", onWarning);
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}: apt-get install -y chromium (.ci/run does).`);
    world = await deliveryWorld(await network.create());
    origin = await startNode(world, { pricePerGiB: 1n * USDC });
    c = await startClient(world);
    // the gateway's structured request logs, collected (what it saw and answered)
    const sink = new Writable({
      write(line: Buffer, _enc, done) {
        for (const l of line.toString().split("\n").filter(Boolean)) {
          const entry = JSON.parse(l) as RequestLog & { msg: string };
          if (entry.msg === "request") requests.push(entry);
          else if (process.env.CDN_TEST_LOG) console.log(l);
        }
        done();
      },
    });
    gateway = createGateway({ port: 0 }, { client: c.client, logger: createLogger({ name: "cdn-gateway", level: "info", destination: sink }) });
    await gateway.start();
  });

  after(async () => {
    process.off("warning", onWarning);
    await browser?.close();
    await new Promise<void>((r) => (page ? page.close(() => r()) : r()));
    await gateway?.stop();
    await c?.stop();
    await origin?.agent.stop();
    origin?.store.close();
  });

  it("shows the image at its natural size, plays the video, and seeks with Range requests to the right decoded frame", async () => {
    const dir = tmpDir();
    writeFileSync(path.join(dir, "image.png"), png(37, 23, [0, 128, 255]));
    writeFileSync(path.join(dir, "clip.webm"), readFileSync(CLIP));
    const [image, clip] = await origin.agent.publish([path.join(dir, "image.png"), path.join(dir, "clip.webm")]);
    const videoUrl = `${gateway.url}/blob/${clip.blobId}`;
    // the page: another port on the same host (same-site for the gateway)
    page = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" }).end(`<!doctype html><html><body>
        <img id="img" src="${gateway.url}/blob/${image.blobId}">
        <video id="video" crossorigin="anonymous" muted playsinline preload="metadata" src="${videoUrl}"></video>
        <canvas id="canvas" width="32" height="32"></canvas>
        <script>${PAGE_SCRIPT}</script></body></html>`);
    });
    await new Promise<void>((r) => page.listen(0, "127.0.0.1", () => r()));
    const pageUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}/`;

    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--headless=new", "--mute-audio", "--autoplay-policy=no-user-gesture-required"] });
    const tab = await browser.newPage();
    // a slow link (2 Mbit/s) so the seek lands in a part of the video the browser has not loaded yet
    await tab.emulateNetworkConditions({ download: 250_000, upload: 250_000, latency: 0 });
    tab.setDefaultTimeout(60_000);
    await tab.goto(pageUrl, { waitUntil: "load" });

    const img = (await tab.evaluate("image()")) as { width: number; height: number };
    expect(img, JSON.stringify(requests)).to.deep.equal({ width: 37, height: 23 });

    // metadata only (preload="metadata"): the start of the file and its index (cues) at the end
    const { duration } = (await tab.evaluate("metadata()")) as { duration: number };
    expect(Math.abs(duration - 6), `duration ${duration}`).to.be.lessThan(0.2);
    const beforeSeek = requests.length;

    // seek into the part not loaded yet: the browser asks for it with a Range request
    const seek = (await tab.evaluate("seek(4.5)")) as { currentTime: number; r: number };
    expect(Math.abs(seek.currentTime - 4.5), `currentTime ${seek.currentTime}`).to.be.lessThan(0.05);
    expect(Math.round((seek.r - 20) / 40), JSON.stringify(seek)).to.equal(4); // the frame of second 4 (red = 40 × second + 20)
    const size = readFileSync(CLIP).length;
    const seekRequests = requests.slice(beforeSeek).filter((r) => r.url.includes(clip.blobId));
    const starts = seekRequests.map((r) => Number(/^bytes=(\d+)-/.exec(r.range ?? "")?.[1] ?? -1));
    expect(
      starts.some((start) => start > 0 && start < size - 65_536),
      JSON.stringify(requests),
    ).to.equal(true);

    // and it plays on from there
    const played = (await tab.evaluate("play(5)")) as { currentTime: number; playing: boolean };
    expect(played.playing).to.equal(true);
    expect(played.currentTime).to.be.greaterThanOrEqual(5);

    // what the gateway saw: the video was read with Range requests only, answered 206
    const video = requests.filter((r) => r.url.includes(clip.blobId));
    expect(video.length).to.be.greaterThan(0);
    for (const r of video) {
      expect(r.range, `request ${r.url} without Range`).to.match(/^bytes=\d+-\d*$/);
      expect(r.status).to.be.oneOf(["206", "aborted"]);
    }
    expect(video.some((r) => r.status === "206")).to.equal(true);
    // process warnings are emitted on the next tick
    await new Promise((r) => setImmediate(r));
    expect(listenerWarnings, listenerWarnings.join("\n")).to.deep.equal([]);
  });
});
