/**
 * The local HTTP gateway (`cdn-client gateway`): `GET/HEAD /blob/<blob id or CID>` serves verified
 * bytes of a blob to any HTTP program (a browser's <img> and <video>, curl, another language),
 * paying as it goes through the client library's public API (`fetch` with a range; the library
 * reuses channels across requests). One upstream download is shared by concurrent requests for
 * the same blob and range. Single Range requests get 206 (a <video> seeks with them). The
 * response is immutable (the blob id is the ETag). A spending guard (per hour, and the client's
 * price cap) answers 402/503 before paying. A download that fails after the headers went out
 * aborts the response: a byte that was not verified is never written. Decisions: docs/gateway.md.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { GIB, LEAF_SIZE } from "../../protocol/constants.js";
import { parseBlobRef } from "../../protocol/cid.js";
import { InvalidArgumentError } from "../../protocol/errors.js";
import { AgentError } from "../../runtime/errors.js";
import { silentLogger, type Logger } from "../../runtime/logger.js";
import type { FetchOptions, FetchReport } from "../client.js";
import { FetchRefusedError, NoProviderError } from "../errors.js";
import { WRITE_BUFFER_BYTES } from "../download.js";
import { GatewayMetrics } from "./metrics.js";
import { parseRange } from "./range.js";
import { SharedFetches } from "./shared-fetch.js";
import { safeContentType, sniffContentType } from "./sniff.js";
import { SpendGuard } from "./spend-guard.js";

/** What the gateway needs of the client library: its public `fetch`. */
export interface GatewayClient {
  fetch(blobId: string, options?: FetchOptions): AsyncIterable<Uint8Array> & { report: Promise<FetchReport> };
}

export interface GatewayOptions {
  /** Interface to bind (default 127.0.0.1: expose it further on purpose only). */
  host?: string;
  /** TCP port (0 = any free port). */
  port: number;
  /** USDC base units the gateway may sign for in any hour (default: no limit). */
  maxSpendPerHour?: bigint;
  /** The client's price cap (USDC base units per GiB), used for estimates and error bodies; the client library enforces it. */
  maxPricePerGiB?: bigint;
  /** Serve requests that a browser marks cross-site (another site's page embedding gateway URLs spends your money). */
  allowCrossSite?: boolean;
  /** Bytes buffered ahead of the slowest reader of a shared download (default 16 MiB). */
  sharedBufferBytes?: number;
}

export interface GatewayDeps {
  client: GatewayClient;
  logger?: Logger;
  metrics?: GatewayMetrics;
}

/** First bytes read for the Content-Type sniff (the metadata download fetches one leaf). */
const SNIFF_BYTES = 512;
const META_CACHE_ENTRIES = 10_000;

interface BlobMeta {
  size: number;
  type: string;
  /** The price the last provider asked (for estimates). */
  pricePerGiB?: bigint;
}

class HttpError extends AgentError {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly retryAfterSeconds?: number,
  ) {
    super("ERR_HTTP", message);
  }
}

class SpendLimitError extends HttpError {}

/** Pages may read blobs (e.g. draw a video frame on a canvas); cross-site requests are refused before this matters. */
const CORS = { "access-control-allow-origin": "*", "access-control-expose-headers": "content-range, content-length, etag, accept-ranges" };

const usdcText = (amount: bigint): string => `${(Number(amount) / 1e6).toFixed(6)} USDC`;

export class Gateway {
  readonly metrics: GatewayMetrics;
  readonly guard: SpendGuard;
  private readonly log: Logger;
  private readonly shared: SharedFetches;
  private readonly meta = new Map<string, BlobMeta>();
  private readonly metaInflight = new Map<string, Promise<BlobMeta>>();
  private readonly stopping = new AbortController();
  private server: Server | undefined;
  private port = 0;

  constructor(
    readonly options: GatewayOptions,
    readonly deps: GatewayDeps,
  ) {
    this.metrics = deps.metrics ?? new GatewayMetrics();
    this.guard = new SpendGuard(options.maxSpendPerHour);
    this.log = deps.logger ?? silentLogger();
    this.shared = new SharedFetches({ bufferBytes: options.sharedBufferBytes });
  }

  get url(): string {
    const host = this.options.host ?? "127.0.0.1";
    return `http://${host.includes(":") ? `[${host}]` : host}:${this.port}`;
  }

  async start(): Promise<string> {
    // a verified leaf comes as the five to ten pieces it arrived in: a response buffers a few leaves
    // before it asks for 'drain' (at the default 16 KiB it waited after every piece: ~15 % more CPU per MB)
    const server = createServer({ highWaterMark: WRITE_BUFFER_BYTES }, (req, res) => void this.handle(req, res));
    const host = this.options.host ?? "127.0.0.1";
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    this.log.info({ url: this.url }, "gateway listening");
    return this.url;
  }

  async stop(): Promise<void> {
    this.stopping.abort(new Error("the gateway is stopping"));
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrived = performance.now();
    const method = req.method ?? "GET";
    const controller = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) controller.abort(new Error("the HTTP client went away"));
      const status = res.writableFinished ? String(res.statusCode) : "aborted";
      this.metrics.requests.inc({ method, status });
      this.log.info({ method, url: req.url, range: req.headers.range, status, ms: Math.round(performance.now() - arrived) }, "request");
    });
    try {
      this.checkCaller(req);
      const url = new URL(req.url ?? "/", "http://gateway");
      if (url.pathname === "/metrics" && method === "GET") {
        res.writeHead(200, { "content-type": this.metrics.registry.contentType }).end(await this.metrics.registry.metrics());
        return;
      }
      const m = /^\/blob\/([^/]+)$/.exec(url.pathname);
      if (!m) throw new HttpError(404, "no_route", "Only /blob/<blob id or CID> and /metrics are served here.");
      if (method === "OPTIONS") {
        // CORS preflight: blobs are public, content-addressed bytes (what a same-site page may read)
        res.writeHead(204, { ...CORS, "access-control-allow-methods": "GET, HEAD", "access-control-allow-headers": "range, if-none-match, if-range", "access-control-max-age": "86400" }).end();
        return;
      }
      if (method !== "GET" && method !== "HEAD") {
        res.setHeader("allow", "GET, HEAD, OPTIONS");
        throw new HttpError(405, "method_not_allowed", `${method} is not served; use GET or HEAD.`);
      }
      let blobId: string;
      try {
        blobId = parseBlobRef(decodeURIComponent(m[1]));
      } catch (error) {
        throw new HttpError(400, "bad_blob_id", error instanceof Error ? error.message : String(error));
      }
      await this.serveBlob(blobId, url, req, res, controller.signal, arrived);
    } catch (error) {
      this.fail(res, error);
    }
  }

  /** DNS rebinding (a foreign name resolving to 127.0.0.1) and cross-site embedding spend the user's money: refused. */
  private checkCaller(req: IncomingMessage): void {
    const host = (req.headers.host ?? "").toLowerCase();
    const bound = this.options.host ?? "127.0.0.1";
    const loopback = ["127.0.0.1", "localhost", "[::1]"].map((h) => `${h}:${this.port}`);
    if (bound !== "0.0.0.0" && bound !== "::" && ![...loopback, `${bound}:${this.port}`].includes(host)) {
      throw new HttpError(421, "wrong_host", `This gateway answers to ${loopback[0]}, not "${host.slice(0, 80)}".`);
    }
    const site = req.headers["sec-fetch-site"];
    const userNavigation = req.headers["sec-fetch-mode"] === "navigate" && req.headers["sec-fetch-user"] === "?1";
    if (site === "cross-site" && !userNavigation && !this.options.allowCrossSite) {
      throw new HttpError(403, "cross_site", "A page of another site asked for this blob; the gateway serves other sites only with --allow-cross-site.");
    }
  }

  private async serveBlob(blobId: string, url: URL, req: IncomingMessage, res: ServerResponse, signal: AbortSignal, arrived: number): Promise<void> {
    const etag = `"${blobId}"`;
    const headers: Record<string, string> = {
      ...CORS,
      etag,
      "cache-control": "public, max-age=31536000, immutable",
      "accept-ranges": "bytes",
      "x-content-type-options": "nosniff",
      "content-security-policy": "sandbox",
    };
    const filename = url.searchParams.get("filename");
    if (filename) headers["content-disposition"] = `inline; filename*=UTF-8''${encodeURIComponent(filename.slice(0, 255))}`;
    // content-addressed: the id names the bytes for ever, no fetch needed to answer
    const inm = req.headers["if-none-match"];
    if (inm && (inm.trim() === "*" || inm.split(",").some((t) => t.trim().replace(/^W\//, "") === etag))) {
      res.writeHead(304, headers).end();
      return;
    }
    if (this.guard.exceeds()) throw this.spendLimit(0n);
    const meta = await this.metaFor(blobId);
    headers["content-type"] = safeContentType(url.searchParams.get("type")) ?? meta.type;
    const ifRange = req.headers["if-range"] as string | undefined;
    const range = ifRange && ifRange.trim() !== etag ? ({ kind: "whole" } as const) : parseRange(req.headers.range, meta.size);
    if (range.kind === "unsatisfiable") {
      res.writeHead(416, { ...headers, "content-range": `bytes */${meta.size}`, "content-type": "application/json" });
      res.end(JSON.stringify({ error: "range_not_satisfiable", message: `The range ${req.headers.range} is outside the ${meta.size}-byte blob.`, size: meta.size }));
      return;
    }
    const start = range.kind === "range" ? range.start : 0;
    const end = range.kind === "range" ? range.end : meta.size - 1;
    const length = end - start + 1;
    const status = range.kind === "range" ? 206 : 200;
    headers["content-length"] = String(Math.max(0, length));
    if (range.kind === "range") headers["content-range"] = `bytes ${start}-${end}/${meta.size}`;
    if (req.method === "HEAD" || length <= 0) {
      res.writeHead(status, headers).end();
      return;
    }
    const estimate = this.estimate(length, meta);
    if (this.guard.exceeds(estimate)) throw this.spendLimit(estimate);

    const { joined, bytes } = this.shared.open(`${blobId}:${start}:${length}`, (upstreamSignal) => this.download(blobId, start, length, upstreamSignal), signal);
    if (joined) this.metrics.sharedRequests.inc();
    try {
      for await (const chunk of bytes) {
        if (!res.headersSent) {
          res.writeHead(status, headers);
          this.metrics.timeToFirstByte.observe((performance.now() - arrived) / 1000);
        }
        this.metrics.bytesServed.inc(chunk.length);
        if (!res.write(chunk)) await drainedOrClosed(res);
        if (signal.aborted) return;
      }
    } catch (error) {
      if (signal.aborted) return;
      if (!res.headersSent) throw error;
      // after the headers: cut the response (the client sees a short body), never an unverified byte
      this.log.warn({ blobId, err: (error as Error).message }, "download failed mid-response; response aborted");
      res.destroy(error as Error);
      return;
    }
    res.end();
  }

  /** The blob's verified size and first bytes (sniffed type): a download of its first leaf, shared, cached. */
  private async metaFor(blobId: string): Promise<BlobMeta> {
    const cached = this.meta.get(blobId);
    if (cached) return cached;
    let pending = this.metaInflight.get(blobId);
    if (!pending) {
      pending = this.readMeta(blobId).finally(() => this.metaInflight.delete(blobId));
      this.metaInflight.set(blobId, pending);
    }
    return pending;
  }

  private async readMeta(blobId: string): Promise<BlobMeta> {
    this.metrics.upstreamFetches.inc({ kind: "metadata" });
    let pricePerGiB: bigint | undefined;
    const it = this.deps.client.fetch(blobId, { range: { offset: 0, length: SNIFF_BYTES }, signal: this.stopping.signal, onHeader: (h) => (pricePerGiB = h.pricePerGiB) });
    const parts: Uint8Array[] = [];
    let report: FetchReport;
    try {
      for await (const b of it) parts.push(b);
    } finally {
      report = await it.report.catch(() => ({ paid: 0n }) as FetchReport);
      this.paid(report.paid);
    }
    const head = Buffer.concat(parts);
    const meta = { size: report.size, type: sniffContentType(head), pricePerGiB };
    if (this.meta.size >= META_CACHE_ENTRIES) this.meta.delete(this.meta.keys().next().value!);
    this.meta.set(blobId, meta);
    return meta;
  }

  /** One paid download of a range; stops (aborts) when the hourly limit is reached. */
  private async *download(blobId: string, offset: number, length: number, signal: AbortSignal): AsyncGenerator<Uint8Array> {
    this.metrics.upstreamFetches.inc({ kind: "body" });
    const overBudget = new AbortController();
    let counted = 0n;
    const count = (paid: bigint) => {
      if (paid > counted) this.paid(paid - counted);
      counted = paid > counted ? paid : counted;
      if (this.guard.exceeds()) overBudget.abort(this.spendLimit(0n));
    };
    const it = this.deps.client.fetch(blobId, {
      range: { offset, length },
      signal: AbortSignal.any([signal, overBudget.signal, this.stopping.signal]),
      onProgress: (p) => count(p.paid),
    });
    try {
      yield* it;
    } catch (error) {
      if (overBudget.signal.aborted) throw overBudget.signal.reason;
      throw error;
    } finally {
      const report = await it.report.catch(() => undefined);
      if (report) count(report.paid);
    }
  }

  private paid(amount: bigint): void {
    if (amount <= 0n) return;
    this.guard.record(amount);
    this.metrics.spend.inc(Number(amount));
  }

  /** A download's price at the provider's last asked price (or the cap), in whole leaves. */
  private estimate(length: number, meta: BlobMeta): bigint {
    const price = meta.pricePerGiB ?? this.options.maxPricePerGiB ?? 0n;
    const leaves = BigInt(Math.ceil(length / LEAF_SIZE) + 1);
    return (leaves * BigInt(LEAF_SIZE) * price + GIB - 1n) / GIB;
  }

  private spendLimit(more: bigint): SpendLimitError {
    const max = this.guard.maxPerHour ?? 0n;
    const spent = this.guard.lastHour();
    const retry = this.guard.retryAfterSeconds(more);
    return new SpendLimitError(
      402,
      "spend_limit",
      `This download (about ${usdcText(more)}) would take the gateway past its limit of ${usdcText(max)} per hour (${usdcText(spent)} spent in the last hour).`,
      { spentLastHour: spent.toString(), maxSpendPerHour: max.toString(), estimate: more.toString() },
      retry,
    );
  }

  private fail(res: ServerResponse, error: unknown): void {
    const e = this.toHttp(error);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const headers: Record<string, string> = { "content-type": "application/json", "cache-control": "no-store" };
    if (e.retryAfterSeconds !== undefined) headers["retry-after"] = String(e.retryAfterSeconds);
    if (e.status >= 500) this.log.warn({ status: e.status, err: e.message }, "request failed");
    res.writeHead(e.status, headers).end(JSON.stringify({ error: e.error, message: e.message, ...e.extra }) + "\n");
  }

  /** Typed HTTP errors for the client library's errors. */
  private toHttp(error: unknown): HttpError {
    if (error instanceof HttpError) return error;
    const retry = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
    if (error instanceof FetchRefusedError) {
      if (error.refusal === "BLACKLISTED") return new HttpError(451, "blacklisted", "This blob is on the on-chain blacklist; no node serves it.");
      if (error.refusal === "NOT_FOUND") return new HttpError(404, "not_found", error.message);
      if (error.refusal === "BUSY") return new HttpError(503, "busy", error.message, {}, retry(error.retryAfterMs));
      return new HttpError(502, "refused", error.message);
    }
    if (error instanceof NoProviderError) {
      const cause = error.cause;
      if (cause instanceof FetchRefusedError && cause.refusal === "BLACKLISTED") return this.toHttp(cause);
      switch (error.reason) {
        case "not_found":
          return new HttpError(404, "not_found", error.message);
        case "price_cap":
          return new HttpError(503, "price_cap", error.message, { maxPricePerGiB: this.options.maxPricePerGiB?.toString() }, 60);
        case "busy":
          return new HttpError(503, "busy", error.message, {}, retry(error.retryAfterMs));
        default:
          if (cause instanceof FetchRefusedError && cause.refusal === "BUSY") return new HttpError(503, "busy", error.message, {}, retry(cause.retryAfterMs));
          return new HttpError(503, "no_provider", error.message, {}, 5);
      }
    }
    if (error instanceof InvalidArgumentError) return new HttpError(400, "bad_request", error.message);
    return new HttpError(502, "upstream_failed", error instanceof Error ? error.message : String(error));
  }
}

export function createGateway(options: GatewayOptions, deps: GatewayDeps): Gateway {
  return new Gateway(options, deps);
}

/** Resolves when the response can take more (drain) or is gone (close); the other listener is removed, so a long response does not pile them up. */
function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.once("drain", done);
    res.once("close", done);
  });
}
