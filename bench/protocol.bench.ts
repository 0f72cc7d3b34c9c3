/**
 * Protocol-core benchmark: `npm run bench` (single thread; numbers vary ±30 % on shared VMs).
 * Prints one markdown table. BENCH_QUICK=1 runs a smaller version (smoke test).
 */
import { createHash } from "node:crypto";
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import { Wallet, getBytes, verifyTypedData } from "ethers";
import { LEAF_SIZE } from "../agents/protocol/constants.js";
import { toHex } from "../agents/protocol/bytes.js";
import { domainFor, Voucher } from "../agents/protocol/eip712.js";
import { Eip712Domain } from "../agents/protocol/eip712-fast.js";
import { buildBlobTree } from "../agents/protocol/merkle.js";
import { secpBackend, secpBackends } from "../agents/protocol/secp.js";
import { signVoucher, structs, verifyVoucher } from "../agents/protocol/signed.js";
import { StreamVerifier } from "../agents/protocol/verifier.js";
import { encodeFetchClientMessage, encodeFetchServerMessage, encodeGossipMessage, decodeFetchClientMessage, decodeFetchServerMessage, decodeGossipMessage } from "../agents/protocol/wire/messages.js";

const QUICK = process.env.BENCH_QUICK === "1";
const MiB = 1024 * 1024;
const rows: [string, string, string][] = [];
const row = (what: string, value: string, target = "") => {
  rows.push([what, value, target]);
  console.error(`  ${what}: ${value}`);
};

/** Throughput in MB/s (MiB/s): the median of several timed windows, which damps noise from other jobs. */
function mbps(bytes: number, fn: () => void, windows = QUICK ? 1 : 5, windowMs = QUICK ? 50 : 250): number {
  fn(); // warm up
  const rates: number[] = [];
  for (let w = 0; w < windows; w++) {
    let runs = 0;
    const t0 = performance.now();
    let t = t0;
    while ((t = performance.now()) - t0 < windowMs || runs < 2) {
      fn();
      runs++;
    }
    rates.push((bytes * runs) / MiB / ((t - t0) / 1000));
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)];
}

function latency(n: number, fn: (i: number) => void): { p50: number; p99: number } {
  for (let i = 0; i < Math.min(n, 200); i++) fn(i);
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    fn(i);
    xs[i] = Number(process.hrtime.bigint() - t) / 1000;
  }
  xs.sort();
  return { p50: xs[Math.floor(n / 2)], p99: xs[Math.floor(n * 0.99)] };
}

function perSecond(fn: (i: number) => void, minMs = QUICK ? 50 : 500): number {
  for (let i = 0; i < 1000; i++) fn(i);
  let runs = 0;
  const t0 = performance.now();
  let t = t0;
  while ((t = performance.now()) - t0 < minMs) {
    for (let k = 0; k < 100; k++) fn(runs++);
  }
  return runs / ((t - t0) / 1000);
}

const f0 = (x: number) => x.toLocaleString("en-US", { maximumFractionDigits: 0 });
const f1 = (x: number) => x.toLocaleString("en-US", { maximumFractionDigits: 1 });

console.error(`protocol bench — node ${process.version}, secp256k1 backend ${secpBackend}${QUICK ? " (quick)" : ""}`);

// ---- hashing ----
const blob = new Uint8Array(QUICK ? 8 * MiB : 64 * MiB);
for (let i = 0; i < blob.length; i += 4096) blob[i] = i & 0xff;
const leaves = Array.from({ length: blob.length / LEAF_SIZE }, (_, i) => blob.subarray(i * LEAF_SIZE, (i + 1) * LEAF_SIZE));

row("SHA-256 node:crypto (256 KiB leaves)", `${f0(mbps(blob.length, () => leaves.forEach((l) => createHash("sha256").update(l).digest())))} MB/s`);
const small = leaves.slice(0, QUICK ? 4 : 32);
row("SHA-256 @noble/hashes (256 KiB leaves)", `${f0(mbps(small.length * LEAF_SIZE, () => small.forEach((l) => nobleSha256(l))))} MB/s`);
row("blob-id build (buildBlobTree, in memory)", `${f0(mbps(blob.length, () => buildBlobTree(blob)))} MB/s`);

const tree = buildBlobTree(blob);
const verifyWith = (piece: number) => () => {
  const v = new StreamVerifier({ blobId: tree.blobId, size: blob.length, leafHashes: tree.leafLayer });
  for (let off = 0; off < blob.length; off += piece) v.push(blob.subarray(off, off + piece));
  v.finish();
};
row("verify, whole 256 KiB chunks (wire Chunk messages)", `${f0(mbps(blob.length, verifyWith(LEAF_SIZE)))} MB/s`, "≥ 1,000 MB/s");
row("verify, stream in 64 KiB pieces", `${f0(mbps(blob.length, verifyWith(64 * 1024)))} MB/s`, "≥ 1,000 MB/s");
row("verify, stream in 16 KiB pieces", `${f0(mbps(blob.length, verifyWith(16 * 1024)))} MB/s`);

// ---- vouchers ----
const wallet = Wallet.createRandom();
const sk = getBytes(wallet.privateKey);
const ethDomain = domainFor("paymentChannel", 31337n, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
const domain = Eip712Domain.from(ethDomain);
const N = QUICK ? 300 : 3000;
const vouchers = Array.from({ length: N }, (_, i) => ({ channelId: toHex(new Uint8Array(32).fill(i & 0xff)), cumulativeAmount: BigInt(i + 1) * 1_000_000n }));
const sigs = vouchers.map((v) => signVoucher(domain, v, sk));

const s = latency(N, (i) => signVoucher(domain, vouchers[i], sk));
row(`voucher sign, digest + ${secpBackend} (p50 / p99)`, `${f1(s.p50)} / ${f1(s.p99)} µs`, "p50 ≤ 100 µs");
const v = latency(N, (i) => verifyVoucher(domain, vouchers[i], sigs[i], wallet.address));
row(`voucher verify, digest + ${secpBackend} recover (p50 / p99)`, `${f1(v.p50)} / ${f1(v.p99)} µs`, "p50 ≤ 150 µs");
const dg = latency(N, (i) => structs.voucher.digest(domain, vouchers[i]));
row("voucher EIP-712 digest alone (p50 / p99)", `${f1(dg.p50)} / ${f1(dg.p99)} µs`);

for (const [name, b] of Object.entries(secpBackends)) {
  if (!b || name === secpBackend) continue;
  const M = QUICK ? 50 : 300;
  const digests = vouchers.slice(0, M).map((x) => getBytes(x.channelId));
  const raw = digests.map((dd) => b.sign(dd, sk));
  const bs = latency(M, (i) => b.sign(digests[i], sk));
  const br = latency(M, (i) => b.recover(digests[i], raw[i].signature, raw[i].recid));
  row(`secp256k1 ${name} sign / recover p50 (fallback)`, `${f1(bs.p50)} / ${f1(br.p50)} µs`);
}
const M2 = QUICK ? 20 : 200;
const ev = latency(M2, (i) => verifyTypedData(ethDomain, Voucher, vouchers[i], toHex(sigs[i])));
row("ethers verifyTypedData, for comparison (p50)", `${f1(ev.p50)} µs`);

// ---- wire ----
const sig = sigs[0];
const voucherMsg = encodeFetchClientMessage({ kind: "voucher", voucher: { value: vouchers[0], signature: sig } });
row("wire decode FetchClientMessage(voucher)", `${f0(perSecond(() => decodeFetchClientMessage(voucherMsg)))} msg/s`);
const header = encodeFetchServerMessage({
  kind: "header",
  header: {
    commitment: {
      value: { blobId: toHex(tree.blobId), client: wallet.address.toLowerCase(), channelId: vouchers[0].channelId, timestamp: 1n, anchorBlock: 1n, anchorHash: vouchers[0].channelId },
      signature: sig,
    },
    record: { value: { blobId: toHex(tree.blobId), size: BigInt(blob.length), origin: 1n, epoch: 1n, timestamp: 1n }, signature: sig },
    firstLeaf: 0,
    leafCount: leaves.length,
    pricePerGiB: 20_000n,
  },
});
row("wire decode FetchServerMessage(header)", `${f0(perSecond(() => decodeFetchServerMessage(header)))} msg/s`);
const gossip = encodeGossipMessage({
  kind: "announcement",
  announcement: { value: { nodeKey: wallet.address.toLowerCase(), region: 1, pricePerGiB: 20_000n, load: 10, sequence: 1n, timestamp: 1n, multiaddrs: ["/ip4/127.0.0.1/tcp/4001"] }, signature: sig },
});
row("wire decode GossipMessage(announcement)", `${f0(perSecond(() => decodeGossipMessage(gossip)))} msg/s`);
const chunk = encodeFetchServerMessage({ kind: "chunk", chunk: { leafIndex: 1, data: leaves[1] } });
row("wire decode FetchServerMessage(chunk, 256 KiB)", `${f0(perSecond(() => decodeFetchServerMessage(chunk)))} msg/s`);

console.log(`\nProtocol core benchmark (node ${process.version}, secp256k1 backend: ${secpBackend}, ${new Date().toISOString().slice(0, 10)})\n`);
console.log("| measure | result | target |");
console.log("|---|---|---|");
for (const [a, b, c] of rows) console.log(`| ${a} | ${b} | ${c} |`);
