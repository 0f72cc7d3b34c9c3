import { expect } from "chai";
import fc from "fast-check";
import { Signature, TypedDataEncoder, Wallet, getBytes, hexlify, type TypedDataField } from "ethers";
import { fromHex, toHex } from "../../../agents/protocol/bytes.js";
import * as eip712 from "../../../agents/protocol/eip712.js";
import { Eip712Domain } from "../../../agents/protocol/eip712-fast.js";
import { AnchorMismatchError, CommitmentMismatchError, InvalidArgumentError, InvalidSignatureError, TimestampSkewError, WrongSignerError } from "../../../agents/protocol/errors.js";
import { DEFAULT_MAX_ANCHOR_AGE_BLOCKS } from "../../../agents/protocol/constants.js";
import { addressOfSecretKey, recoverDigest, secpBackend, signDigest } from "../../../agents/protocol/secp.js";
import {
  checkServeCommitment,
  digestOf,
  recoverTyped,
  signContentRecord,
  signNodeAnnouncement,
  signTyped,
  signVoucher,
  structs,
  type SignedKind,
  verifyContentRecord,
  verifyNodeAnnouncement,
  verifyVoucher,
} from "../../../agents/protocol/signed.js";

const CHAIN_ID = 31337n;
const CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const domains = {
  nodeRegistry: eip712.domainFor("nodeRegistry", CHAIN_ID, CONTRACT),
  originRegistry: eip712.domainFor("originRegistry", CHAIN_ID, CONTRACT),
  paymentChannel: eip712.domainFor("paymentChannel", CHAIN_ID, CONTRACT),
};

const hex = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => toHex(b));
const uint = (bits: number) => fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n });
const u16 = fc.integer({ min: 0, max: 0xffff });

/** For each signed kind: its shared type definition, the domain the contracts use, and random values. */
const cases: { kind: SignedKind; types: Record<string, TypedDataField[]>; domain: keyof typeof domains; arb: fc.Arbitrary<Record<string, unknown>> }[] = [
  { kind: "voucher", types: eip712.Voucher, domain: "paymentChannel", arb: fc.record({ channelId: hex(32), cumulativeAmount: uint(256) }) },
  {
    kind: "serveCommitment",
    types: eip712.ServeCommitment,
    domain: "paymentChannel",
    arb: fc.record({ blobId: hex(32), client: hex(20), channelId: hex(32), timestamp: uint(64), anchorBlock: uint(64), anchorHash: hex(32) }),
  },
  {
    kind: "nodeRegistration",
    types: eip712.NodeRegistration,
    domain: "nodeRegistry",
    arb: fc.record({ operator: hex(20), nodeKey: hex(20), metadataHash: hex(32), nonce: uint(256), deadline: uint(256) }),
  },
  {
    kind: "keyRotation",
    types: eip712.KeyRotation,
    domain: "nodeRegistry",
    arb: fc.record({ nodeId: uint(256), operator: hex(20), newNodeKey: hex(20), metadataHash: hex(32), nonce: uint(256), deadline: uint(256) }),
  },
  { kind: "watchtowerAuth", types: eip712.WatchtowerAuth, domain: "paymentChannel", arb: fc.record({ nodeId: uint(256), watchtower: hex(20), beneficiary: hex(20), maxBps: u16, expiry: uint(64) }) },
  { kind: "contentRecord", types: eip712.ContentRecord, domain: "originRegistry", arb: fc.record({ blobId: hex(32), size: uint(64), origin: uint(256), epoch: uint(64), timestamp: uint(64) }) },
  {
    kind: "nodeAnnouncement",
    types: eip712.NodeAnnouncement,
    domain: "nodeRegistry",
    arb: fc.record({ nodeKey: hex(20), region: u16, pricePerGiB: uint(256), load: u16, sequence: uint(64), timestamp: uint(64), multiaddrs: fc.array(fc.string({ maxLength: 40 }), { maxLength: 4 }) }),
  },
];

const wallet = Wallet.createRandom();
const secretKey = getBytes(wallet.privateKey);

describe(`protocol › signed objects (secp256k1 backend: ${secpBackend})`, () => {
  for (const c of cases) {
    describe(c.kind, () => {
      const domain = Eip712Domain.from(domains[c.domain]);

      it("digest equals ethers TypedDataEncoder.hash over the shared type definition", () => {
        fc.assert(
          fc.property(c.arb, (value) => {
            const want = TypedDataEncoder.hash(domains[c.domain], c.types, value);
            expect(toHex(digestOf(c.kind, domain, value as never))).to.equal(want);
          }),
          { numRuns: 25 },
        );
      });

      it("signature is bit-for-bit ethers' signTypedData and recovers the signer", async () => {
        const value = fc.sample(c.arb, { numRuns: 1, seed: 42 })[0];
        const want = await wallet.signTypedData(domains[c.domain], c.types, value);
        const sig = signTyped(c.kind, domain, value as never, secretKey);
        expect(hexlify(sig)).to.equal(want);
        expect(recoverTyped(c.kind, domain, value as never, sig)).to.equal(wallet.address.toLowerCase());
      });
    });
  }

  it("uses the shared type strings", () => {
    expect(structs.voucher.typeString).to.equal("Voucher(bytes32 channelId,uint256 cumulativeAmount)");
    expect(structs.serveCommitment.typeString).to.equal("ServeCommitment(bytes32 blobId,address client,bytes32 channelId,uint64 timestamp,uint64 anchorBlock,bytes32 anchorHash)");
  });

  it("a signature for one kind or domain never verifies as another", () => {
    const pc = Eip712Domain.from(domains.paymentChannel);
    const other = Eip712Domain.from(eip712.domainFor("paymentChannel", CHAIN_ID + 1n, CONTRACT));
    const v = { channelId: toHex(new Uint8Array(32).fill(7)), cumulativeAmount: 1000n };
    const sig = signVoucher(pc, v, secretKey);
    verifyVoucher(pc, v, sig, wallet.address);
    expect(() => verifyVoucher(other, v, sig, wallet.address)).to.throw(WrongSignerError);
    expect(() => verifyVoucher(pc, { ...v, cumulativeAmount: 1001n }, sig, wallet.address)).to.throw(WrongSignerError);
  });

  it("rejects what OpenZeppelin ECDSA rejects: high s, v not 27/28, wrong length, r or s zero", () => {
    const digest = new Uint8Array(32).fill(9);
    const sig = signDigest(digest, secretKey);
    expect(recoverDigest(digest, sig)).to.equal(wallet.address.toLowerCase());
    // the malleable twin (n - s, flipped v) recovers the same key in ecrecover, but OZ rejects it
    const s = Signature.from(hexlify(sig));
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const high = new Uint8Array(sig);
    high.set(getBytes("0x" + (n - BigInt(s.s)).toString(16).padStart(64, "0")), 32);
    high[64] = sig[64] === 27 ? 28 : 27;
    expect(() => recoverDigest(digest, high)).to.throw(InvalidSignatureError);
    for (const v of [0, 1, 29]) {
      const bad = new Uint8Array(sig);
      bad[64] = v;
      expect(() => recoverDigest(digest, bad)).to.throw(InvalidSignatureError);
    }
    expect(() => recoverDigest(digest, sig.subarray(0, 64))).to.throw(InvalidSignatureError);
    const zeroR = new Uint8Array(sig);
    zeroR.fill(0, 0, 32);
    expect(() => recoverDigest(digest, zeroR)).to.throw(InvalidSignatureError);
  });

  it("random signature bytes recover some key or throw InvalidSignatureError, nothing else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 65, maxLength: 65 }), (digest, sig) => {
        try {
          expect(recoverDigest(digest, sig)).to.match(/^0x[0-9a-f]{40}$/);
        } catch (e) {
          expect(e).to.be.instanceOf(InvalidSignatureError);
        }
      }),
      { numRuns: 100 },
    );
  });

  it("checks gossip announcements against the key they name, and content records against the origin's key", () => {
    const nr = Eip712Domain.from(domains.nodeRegistry);
    const a = { nodeKey: wallet.address, region: 1, pricePerGiB: 20_000n, load: 5, sequence: 3n, timestamp: 1_700_000_000n, multiaddrs: ["/ip4/127.0.0.1/tcp/4001"] };
    const sigA = signNodeAnnouncement(nr, a, secretKey);
    verifyNodeAnnouncement(nr, a, sigA);
    expect(() => verifyNodeAnnouncement(nr, { ...a, nodeKey: "0x" + "33".repeat(20) }, sigA)).to.throw(WrongSignerError);
    expect(() => verifyNodeAnnouncement(nr, { ...a, multiaddrs: ["/ip4/10.0.0.1/tcp/4001"] }, sigA)).to.throw(WrongSignerError);
    const or = Eip712Domain.from(domains.originRegistry);
    const r = { blobId: "0x" + "44".repeat(32), size: 10n, origin: 1n, epoch: 2n, timestamp: 1_700_000_000n };
    const sigR = signContentRecord(or, r, secretKey);
    verifyContentRecord(or, r, sigR, wallet.address);
    expect(() => verifyContentRecord(or, { ...r, epoch: 3n }, sigR, wallet.address)).to.throw(WrongSignerError);
    // the same bytes under the NodeRegistry domain are another message
    expect(() => verifyContentRecord(nr, r, sigR, wallet.address)).to.throw(WrongSignerError);
  });

  it("rejects malformed values and domains with InvalidArgumentError", () => {
    const pc = Eip712Domain.from(domains.paymentChannel);
    expect(() => digestOf("voucher", pc, { channelId: "0x1234", cumulativeAmount: 1n })).to.throw(InvalidArgumentError);
    expect(() => digestOf("voucher", pc, { channelId: "0x" + "00".repeat(32), cumulativeAmount: -1n })).to.throw(InvalidArgumentError);
    expect(() => digestOf("watchtowerAuth", pc, { nodeId: 1n, watchtower: wallet.address, beneficiary: wallet.address, maxBps: 70000, expiry: 0n })).to.throw(InvalidArgumentError);
    expect(() => Eip712Domain.from({ name: "x", version: "1", verifyingContract: CONTRACT })).to.throw(InvalidArgumentError);
  });

  it("derives the same address as ethers", () => {
    expect(addressOfSecretKey(secretKey)).to.equal(wallet.address.toLowerCase());
  });

  describe("serve commitment check", () => {
    const domain = Eip712Domain.from(domains.paymentChannel);
    const node = Wallet.createRandom();
    const nodeSk = getBytes(node.privateKey);
    const request = { blobId: toHex(new Uint8Array(32).fill(1)), channelId: toHex(new Uint8Array(32).fill(2)), client: wallet.address };
    const anchor = { number: 1000n, hash: toHex(new Uint8Array(32).fill(9)), timestamp: 1_700_000_000n };
    const commitment = { blobId: request.blobId, client: wallet.address.toLowerCase(), channelId: request.channelId, timestamp: anchor.timestamp, anchorBlock: anchor.number, anchorHash: anchor.hash };
    const signature = signTyped("serveCommitment", domain, commitment, nodeSk);
    const headAt = (timestamp: bigint, number = 1005n) => ({ number, hash: toHex(new Uint8Array(32).fill(8)), timestamp });
    const base = { domain, commitment, signature, request, nodeKey: node.address, head: headAt(1_700_000_100n), anchor };

    it("accepts a commitment that matches the request, is fresh and is signed by the node key", () => {
      checkServeCommitment(base);
    });
    it("rejects a commitment for another blob, channel or client", () => {
      for (const field of ["blobId", "channelId"] as const) {
        const other = { ...request, [field]: toHex(new Uint8Array(32).fill(3)) };
        expect(() => checkServeCommitment({ ...base, request: other }))
          .to.throw(CommitmentMismatchError)
          .with.property("field", field);
      }
      expect(() => checkServeCommitment({ ...base, request: { ...request, client: node.address } })).to.throw(CommitmentMismatchError);
    });
    it("rejects a timestamp outside the skew of chain time, either way", () => {
      expect(() => checkServeCommitment({ ...base, head: headAt(1_700_000_121n) })).to.throw(TimestampSkewError);
      expect(() => checkServeCommitment({ ...base, head: headAt(1_699_999_879n) })).to.throw(TimestampSkewError);
      checkServeCommitment({ ...base, head: headAt(1_700_000_120n) });
      checkServeCommitment({ ...base, head: headAt(1_700_000_300n), maxSkewSeconds: 300n });
    });
    it("accepts a commitment older than the skew only if its anchor was the head within the skew (a chain idle for minutes)", () => {
      // the chain was idle 228 s after the anchor; the block that ended the pause is the client's head
      const head = headAt(anchor.timestamp + 228n, anchor.number + 1n);
      expect(() => checkServeCommitment({ ...base, head })).to.throw(TimestampSkewError);
      checkServeCommitment({ ...base, head, next: head });
      // a later head: the anchor's successor came within the skew of it
      const later = headAt(anchor.timestamp + 300n, anchor.number + 3n);
      checkServeCommitment({ ...base, head: later, next: headAt(anchor.timestamp + 228n, anchor.number + 1n) });
      // a node anchoring to a block that stopped being the head more than the skew ago is refused
      expect(() => checkServeCommitment({ ...base, head: later, next: headAt(anchor.timestamp + 179n, anchor.number + 1n) })).to.throw(TimestampSkewError);
      // the successor must be the anchor's and on the client's chain below its head
      expect(() => checkServeCommitment({ ...base, head: later, next: headAt(anchor.timestamp + 228n, anchor.number + 2n) })).to.throw(TimestampSkewError);
      expect(() => checkServeCommitment({ ...base, head: headAt(anchor.timestamp + 228n, anchor.number), next: head })).to.throw(TimestampSkewError);
      // a commitment ahead of the head is never helped by it
      expect(() => checkServeCommitment({ ...base, head: headAt(anchor.timestamp - 121n, anchor.number + 1n), next: head })).to.throw(TimestampSkewError);
    });
    it("rejects an anchor that is not a recent block of the client's chain, or a timestamp other than the anchor's", () => {
      // a block the chain does not have, another hash, a block ahead of the head or too far behind it
      expect(() => checkServeCommitment({ ...base, anchor: undefined })).to.throw(AnchorMismatchError);
      expect(() => checkServeCommitment({ ...base, anchor: { ...anchor, hash: toHex(new Uint8Array(32).fill(7)) } })).to.throw(AnchorMismatchError);
      expect(() => checkServeCommitment({ ...base, head: headAt(1_700_000_100n, 999n) })).to.throw(AnchorMismatchError);
      expect(() => checkServeCommitment({ ...base, head: headAt(1_700_000_100n, 1000n + DEFAULT_MAX_ANCHOR_AGE_BLOCKS + 1n) })).to.throw(AnchorMismatchError);
      checkServeCommitment({ ...base, head: headAt(1_700_000_100n, 1000n + DEFAULT_MAX_ANCHOR_AGE_BLOCKS) });
      // back-dated: the anchor is real, the timestamp is not its block's
      const backDated = { ...commitment, timestamp: anchor.timestamp - 60n };
      expect(() => checkServeCommitment({ ...base, commitment: backDated, signature: signTyped("serveCommitment", domain, backDated, nodeSk) })).to.throw(TimestampSkewError);
    });
    it("rejects a commitment signed by another key", () => {
      expect(() => checkServeCommitment({ ...base, nodeKey: wallet.address })).to.throw(WrongSignerError);
      const forged = signTyped("serveCommitment", domain, commitment, secretKey);
      expect(() => checkServeCommitment({ ...base, signature: forged })).to.throw(WrongSignerError);
    });
  });

  it("uses the N-API fast path where the package ships a prebuilt binary (else, or when asked, the pure-JS backend)", () => {
    const prebuilt = ["linux-x64", "darwin-arm64", "win32-x64"].includes(`${process.platform}-${process.arch}`);
    expect(secpBackend).to.equal(prebuilt && process.env.CDN_SECP256K1_BACKEND !== "noble" ? "napi" : "noble");
  });

  it("agrees with the pure-JS backend", async () => {
    const { secp256k1 } = await import("@noble/curves/secp256k1.js");
    const digest = fromHex("0x" + "ab".repeat(32));
    const sig = signDigest(digest, secretKey);
    const noble = secp256k1.sign(digest, secretKey, { prehash: false, format: "recovered" });
    expect(toHex(sig.subarray(0, 64))).to.equal(toHex(noble.subarray(1)));
    expect(sig[64] - 27).to.equal(noble[0]);
  });
});

describe("protocol › signed objects › spec test vectors (docs/protocol.md)", () => {
  const sk = fromHex("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
  const domain = Eip712Domain.from(eip712.domainFor("paymentChannel", 31337n, "0x5FbDB2315678afecb367f032d93F642f64180aa3"));
  const voucher = { channelId: "0x" + "11".repeat(32), cumulativeAmount: 1234567n };
  const commitment = {
    blobId: "0x7a7d960bc3d8a8ff0d3c8ba05893114a3ebdbddbc327dc01d3cd797a67c28792",
    client: "0x" + "22".repeat(20),
    channelId: "0x" + "11".repeat(32),
    timestamp: 1_700_000_000n,
    anchorBlock: 1_000n,
    anchorHash: "0x" + "33".repeat(32),
  };

  it("pins the key, domain separator, voucher and serve commitment", () => {
    expect(addressOfSecretKey(sk)).to.equal("0x2c7536e3605d9c16a7a3d7b1898e529396a65c23");
    expect(toHex(domain.separator)).to.equal("0x1d712966a3c80c6e804640356900b621bdcad92d22e03b7b35ac338723695d8e");
    expect(toHex(structs.voucher.typeHash)).to.equal("0x5e172d4a19b08b5b7f0354399a080f05a28476f34f987f7cd87e69a4065d4ec0");
    expect(toHex(digestOf("voucher", domain, voucher))).to.equal("0x32b47ff2c21be31bb6b221b62b4ce072e970b4b21cfea2465e6fdd8a2b90b948");
    expect(toHex(signTyped("voucher", domain, voucher, sk))).to.equal(
      "0x483388fe37be78bbd78d890ff0ec1751ac1ee73791cc31bfea21a79405b00cac3299842bb73dab16f6b661b06b66d92fae480b6efe784a985801d3e12011bfc61b",
    );
    expect(toHex(digestOf("serveCommitment", domain, commitment))).to.equal("0xb21a1e2f5f64180a2bfe40635e525fd600f32ff9d0aba79654081a0865c1e7fe");
    expect(toHex(signTyped("serveCommitment", domain, commitment, sk))).to.equal(
      "0xb467fa357026f01acca5b28ce94dcf3dc32823849a1392635958b23aedf743717a4642d64feab88abcfc7495e6915b9c14a602b24a41000de7a14de7284131801c",
    );
  });
});
