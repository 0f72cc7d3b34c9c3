/**
 * Reading nodes from the registry: records from views, dial data (64-byte public key and
 * multiaddrs) from the event of the block the registry points at (`metadataBlockOf`), since the
 * record stores only its hash.
 */
import { keccak256, AbiCoder } from "ethers";
import type { NodeRegistry } from "../../types/ethers-contracts/index.js";

export interface NodeMetadata {
  publicKey: string;
  multiaddrs: string[];
}

/** The node's current public key and multiaddrs, checked against the record's metadata hash. */
export async function nodeMetadata(registry: NodeRegistry, nodeId: bigint): Promise<NodeMetadata | undefined> {
  const block = Number(await registry.metadataBlockOf(nodeId));
  if (block === 0) return undefined;
  const expected = (await registry.getNode(nodeId)).metadataHash;
  const filters = [
    registry.filters.NodeRegistered(nodeId),
    registry.filters.NodeKeyRotated(nodeId),
    registry.filters.NodeMetadataUpdated(nodeId),
  ];
  for (const filter of filters) {
    const events = await registry.queryFilter(filter, block, block);
    for (const event of events.reverse()) {
      const args = event.args as unknown as { publicKey: string; multiaddrs: string[] };
      const metadata = { publicKey: args.publicKey, multiaddrs: [...args.multiaddrs] };
      if (metadataHash(metadata) === expected) return metadata;
    }
  }
  return undefined;
}

/** keccak256(abi.encode(bytes publicKey, string[] multiaddrs)), as NodeRegistry computes it. */
export function metadataHash({ publicKey, multiaddrs }: NodeMetadata): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["bytes", "string[]"], [publicKey, multiaddrs]));
}
