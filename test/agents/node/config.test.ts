import { expect } from "chai";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { loadNodeConfig } from "../../../agents/node/config.js";
import { loadClientConfig } from "../../../agents/client/config.js";
import { ConfigError } from "../../../agents/runtime/errors.js";
import { tmpDir } from "../../helpers/tmp.js";

describe("node › config", () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  });

  it("merges file, environment (CDN_NODE_*, CDN_RPC_URL) and flags, in that order, with defaults", () => {
    const dataDir = tmpDir("cdn-cfg-");
    writeFileSync(path.join(dataDir, "config.json"), JSON.stringify({ pricePerGiB: "7", region: 3, listen: ["/ip4/127.0.0.1/tcp/1"] }));
    process.env.CDN_NODE_PRICE_PER_GIB = "9";
    process.env.CDN_RPC_URL = "http://127.0.0.1:9999";
    const cfg = loadNodeConfig({ dataDir, capacityMbps: "250" });
    expect(cfg.pricePerGiB).to.equal(9n);
    expect(cfg.region).to.equal(3);
    expect(cfg.capacityMbps).to.equal(250);
    expect(cfg.rpcUrl).to.equal("http://127.0.0.1:9999");
    expect(cfg.keyFile).to.equal(path.join(dataDir, "node.key"));
    expect(cfg.credit.openGas).to.equal(160_000n);
    // unset: the node resolves it against the chain at start (2, or 0 on a chain that mines on demand)
    expect(cfg.confirmations).to.equal(undefined);
    expect(cfg.maxFeePerGasGwei).to.equal(200);
  });

  it("names every bad field in one sentence", () => {
    const dataDir = tmpDir("cdn-cfg-");
    writeFileSync(path.join(dataDir, "config.json"), JSON.stringify({ region: 70000, pricePerGiB: "-1" }));
    expect(() => loadNodeConfig({ dataDir })).to.throw(ConfigError, /region: Too big.*|pricePerGiB: pricePerGiB must be a non-negative integer/);
    process.env.CDN_CLIENT_MAX_PRICE_PER_GIB = "lots";
    expect(() => loadClientConfig({ dataDir })).to.throw(ConfigError, /maxPricePerGiB: must be a non-negative integer/);
  });

  it("usdcPermitDomain: unset by default; a name and a version, nothing else", () => {
    const dataDir = tmpDir("cdn-cfg-");
    expect(loadNodeConfig({ dataDir }).usdcPermitDomain).to.equal(undefined);
    writeFileSync(path.join(dataDir, "config.json"), JSON.stringify({ usdcPermitDomain: { name: "USD Coin", version: "2" } }));
    expect(loadNodeConfig({ dataDir }).usdcPermitDomain).to.deep.equal({ name: "USD Coin", version: "2" });
    writeFileSync(path.join(dataDir, "config.json"), JSON.stringify({ usdcPermitDomain: { name: "USD Coin" } }));
    expect(() => loadNodeConfig({ dataDir })).to.throw(ConfigError, /usdcPermitDomain\.version: /);
    writeFileSync(path.join(dataDir, "config.json"), JSON.stringify({ usdcPermitDomain: { name: "USD Coin", version: "2", chainId: 1 } }));
    expect(() => loadClientConfig({ dataDir })).to.throw(ConfigError, /usdcPermitDomain: Unrecognized key/);
  });
});
