/**
 * The authenticated identity of a libp2p peer as an Ethereum address: its secp256k1 PeerId key
 * (checked by the noise handshake) hashed the Ethereum way, as the registry knows node keys.
 * Peers with another key type (or an unparsable id string) have no address and are treated as
 * unknown. Results are memoised (bounded).
 */
import type { PeerId } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { SigningKey, hexlify } from "ethers";
import { addressOfPublicKey } from "../protocol/secp.js";
import { fromHex } from "../protocol/bytes.js";

const MAX_MEMO = 10_000;
const cache = new Map<string, string | undefined>();

/** Lower-case address of a secp256k1 peer (PeerId or its string form), or undefined. */
export function addressOfPeer(peer: PeerId | string): string | undefined {
  const key = peer.toString();
  if (cache.has(key)) return cache.get(key);
  let address: string | undefined;
  try {
    const peerId = typeof peer === "string" ? peerIdFromString(peer) : peer;
    if (peerId.type === "secp256k1" && peerId.publicKey) {
      const uncompressed = SigningKey.computePublicKey(hexlify(peerId.publicKey.raw), false);
      address = addressOfPublicKey(fromHex(uncompressed));
    }
  } catch {
    address = undefined;
  }
  if (cache.size >= MAX_MEMO) cache.delete(cache.keys().next().value as string);
  cache.set(key, address);
  return address;
}
