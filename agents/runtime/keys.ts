/**
 * Key files: one secp256k1 key that is at once the libp2p identity (PeerId) and the Ethereum
 * address the registry knows (node key) or that signs vouchers (client key). The file is JSON,
 * created with mode 0600, and refused when its permissions let anyone else read it.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { privateKeyFromRaw } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import type { PrivateKey, PeerId } from "@libp2p/interface";
import { Wallet, SigningKey, hexlify, getBytes } from "ethers";
import { CdnError } from "../protocol/errors.js";

export class KeyFileError extends CdnError {
  readonly code = "ERR_KEY_FILE";
}

export interface Identity {
  /** libp2p private key (secp256k1). */
  privateKey: PrivateKey;
  peerId: PeerId;
  /** The same key as an ethers wallet (for transactions and typed-data signing). */
  wallet: Wallet;
  /** Ethereum address of the key. */
  address: string;
  /** 64-byte uncompressed public key without its 0x04 prefix, as NodeRegistry stores it. */
  publicKey64: string;
  /** Raw 32-byte secret, for the protocol's fast signing path. */
  secretKey: Uint8Array;
}

interface KeyFileJson {
  version: 1;
  type: "secp256k1";
  privateKey: string;
}

export function identityFromSecret(secret: Uint8Array | string): Identity {
  const secretKey = typeof secret === "string" ? getBytes(secret) : secret;
  if (secretKey.length !== 32) throw new KeyFileError("A secp256k1 secret key is 32 bytes.");
  const wallet = new Wallet(hexlify(secretKey));
  const privateKey = privateKeyFromRaw(secretKey);
  return {
    privateKey,
    peerId: peerIdFromPrivateKey(privateKey),
    wallet,
    address: wallet.address,
    publicKey64: "0x" + SigningKey.computePublicKey(wallet.signingKey.publicKey, false).slice(4),
    secretKey,
  };
}

/** Creates a new key file (refuses to overwrite one) and returns its identity. */
export function createKeyFile(file: string, secret?: string): Identity {
  if (existsSync(file)) throw new KeyFileError(`${file} already exists; refusing to overwrite a key.`);
  const secretKey = secret ? getBytes(secret) : new Uint8Array(randomBytes(32));
  const identity = identityFromSecret(secretKey);
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
  const json: KeyFileJson = { version: 1, type: "secp256k1", privateKey: hexlify(secretKey) };
  writeFileSync(file, JSON.stringify(json, null, 2) + "\n", { mode: 0o600, flag: "wx" });
  chmodSync(file, 0o600);
  return identity;
}

/** Loads a key file, refusing one that others can read. */
export function loadKeyFile(file: string): Identity {
  if (!existsSync(file)) throw new KeyFileError(`No key file at ${file} (create one with the init command).`);
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077) {
    throw new KeyFileError(`${file} is readable by others (mode ${mode.toString(8)}); run chmod 600 ${file}.`);
  }
  let json: KeyFileJson;
  try {
    json = JSON.parse(readFileSync(file, "utf8")) as KeyFileJson;
  } catch (cause) {
    throw new KeyFileError(`${file} is not a valid key file.`, { cause });
  }
  if (json.version !== 1 || json.type !== "secp256k1" || !/^0x[0-9a-fA-F]{64}$/.test(json.privateKey ?? "")) {
    throw new KeyFileError(`${file} is not a version-1 secp256k1 key file.`);
  }
  return identityFromSecret(json.privateKey);
}
