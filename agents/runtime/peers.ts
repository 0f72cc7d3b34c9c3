/**
 * The authenticated identity of a libp2p peer as an Ethereum address: its secp256k1 PeerId key
 * (checked by the noise handshake) hashed the Ethereum way. Peers with another key type have no
 * address and are treated as unknown.
 */
import type { PeerId } from "@libp2p/interface";
import { SigningKey, hexlify } from "ethers";
import { addressOfPublicKey } from "../protocol/secp.js";
import { fromHex } from "../protocol/bytes.js";

const cache = new Map<string, string | undefined>();

/** Lower-case address of a secp256k1 peer, or undefined. */
export function addressOfPeer(peerId: PeerId): string | undefined {
  const key = peerId.toString();
  if (cache.has(key)) return cache.get(key);
  let address: string | undefined;
  if (peerId.type === "secp256k1" && peerId.publicKey) {
    const uncompressed = SigningKey.computePublicKey(hexlify(peerId.publicKey.raw), false);
    address = addressOfPublicKey(fromHex(uncompressed));
  }
  if (cache.size > 10_000) cache.clear();
  cache.set(key, address);
  return address;
}
