import { expect } from "chai";
import { chmodSync, writeFileSync, statSync } from "node:fs";
import path from "node:path";
import { Wallet } from "ethers";
import { createKeyFile, loadKeyFile, KeyFileError } from "../../../agents/runtime/keys.js";
import { createHost } from "../../../agents/runtime/host.js";
import { tmpDir } from "../../helpers/tmp.js";

describe("runtime › key files and host", () => {
  const dir = () => tmpDir("cdn-keys-");

  it("creates a 0600 key file whose libp2p identity and Ethereum address are the same key", async () => {
    const file = path.join(dir(), "node.key");
    const created = createKeyFile(file);
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    const loaded = loadKeyFile(file);
    expect(loaded.address).to.equal(created.address);
    expect(loaded.peerId.toString()).to.equal(created.peerId.toString());
    expect(new Wallet(loaded.wallet.privateKey).address).to.equal(loaded.address);
    // The peer's public key (what remote peers learn in the handshake) maps to the same address.
    const host = await createHost({ privateKey: loaded.privateKey, listen: ["/ip4/127.0.0.1/tcp/0"] });
    try {
      expect(host.peerId.toString()).to.equal(loaded.peerId.toString());
      const raw = loaded.peerId.publicKey!.raw; // 33-byte compressed secp256k1
      expect(new Wallet(loaded.wallet.privateKey).signingKey.compressedPublicKey).to.equal("0x" + Buffer.from(raw).toString("hex"));
    } finally {
      await host.stop();
    }
  });

  it("imports a given secret and refuses to overwrite an existing file", () => {
    const file = path.join(dir(), "client.key");
    const wallet = Wallet.createRandom();
    expect(createKeyFile(file, wallet.privateKey).address).to.equal(wallet.address);
    expect(() => createKeyFile(file)).to.throw(KeyFileError, /already exists/);
  });

  it("refuses a key file that others can read, and malformed files", () => {
    const d = dir();
    const file = path.join(d, "node.key");
    createKeyFile(file);
    chmodSync(file, 0o644);
    expect(() => loadKeyFile(file)).to.throw(KeyFileError, /readable by others/);
    const bad = path.join(d, "bad.key");
    writeFileSync(bad, "{not json", { mode: 0o600 });
    expect(() => loadKeyFile(bad)).to.throw(KeyFileError, /not a valid key file/);
    expect(() => loadKeyFile(path.join(d, "missing.key"))).to.throw(KeyFileError, /No key file/);
  });
});
