/**
 * The Ethereum address of a libp2p peer: its secp256k1 PeerId key (authenticated by the noise
 * handshake) hashed the Ethereum way, as the registry knows node keys. Peers with another key
 * type have no address (never active nodes). Results are memoised (bounded).
 */
import type { PeerId } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { computeAddress, hexlify } from "ethers";

const MAX_MEMO = 10_000;
const memo = new Map<string, string | undefined>();

/** Lower-case address of a secp256k1 peer, or undefined. */
export function peerAddress(peer: PeerId | string): string | undefined {
  const key = typeof peer === "string" ? peer : peer.toString();
  if (memo.has(key)) return memo.get(key);
  let address: string | undefined;
  try {
    const id = typeof peer === "string" ? peerIdFromString(peer) : peer;
    if (id.type === "secp256k1" && id.publicKey) address = computeAddress(hexlify(id.publicKey.raw)).toLowerCase();
  } catch {
    address = undefined;
  }
  if (memo.size >= MAX_MEMO) memo.delete(memo.keys().next().value as string);
  memo.set(key, address);
  return address;
}
