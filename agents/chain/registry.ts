/**
 * Reading nodes from the registry: records from views, dial data (64-byte public key and
 * multiaddrs) from the event of the block the registry points at (`metadataBlockOf`), since the
 * record stores only its hash.
 */
import { keccak256, AbiCoder } from "ethers";
import type { NodeRegistry } from "../../types/ethers-contracts/index.js";

/** An active node as the registry lists it (addresses lower-cased). */
export interface ActiveNode {
  nodeId: bigint;
  /** Lower-case address. */
  nodeKey: string;
  operator: string;
  region: number;
  pricePerGiB: bigint;
  /** Declared capacity (reputation penalises sustained delivery well above it). */
  capacityMbps: number;
}

/** An active node with the multiaddrs of its current metadata (to dial it). */
export interface DialableNode extends ActiveNode {
  multiaddrs: string[];
}

type ActiveNodesPage = Awaited<ReturnType<NodeRegistry["activeNodes"]>>;

/** One page of `NodeRegistry.activeNodes` as ActiveNodes, and the id to continue from (0 at the end). */
export function activeNodesPage([ids, nodes, nextId]: ActiveNodesPage): { nodes: ActiveNode[]; nextId: bigint } {
  return {
    nodes: ids.map((id, i) => ({
      nodeId: id,
      nodeKey: nodes[i].nodeKey.toLowerCase(),
      operator: nodes[i].operator.toLowerCase(),
      region: Number(nodes[i].region),
      pricePerGiB: nodes[i].pricePerGiB,
      capacityMbps: Number(nodes[i].capacityMbps),
    })),
    nextId,
  };
}

/** The one active-node pager: every page of `readPage` from id 1 until the registry says the end (at most `maxPages`). */
export async function allActiveNodes(
  readPage: (startId: bigint) => Promise<{ nodes: ActiveNode[]; nextId: bigint }>,
  options: { maxPages?: number; signal?: AbortSignal } = {},
): Promise<ActiveNode[]> {
  const out: ActiveNode[] = [];
  let start = 1n;
  for (let page = 0; page < (options.maxPages ?? Number.MAX_SAFE_INTEGER); page++) {
    options.signal?.throwIfAborted();
    const { nodes, nextId } = await readPage(start);
    out.push(...nodes);
    if (nextId === 0n) break;
    start = nextId;
  }
  return out;
}

/** The active nodes with their registered multiaddrs (nodes whose metadata cannot be read are left out). */
export async function dialableNodes(registry: NodeRegistry, options: { pageSize?: bigint; signal?: AbortSignal } = {}): Promise<DialableNode[]> {
  const active = await allActiveNodes(async (start) => activeNodesPage(await registry.activeNodes(start, options.pageSize ?? 200n)), { maxPages: 100, signal: options.signal });
  const out: DialableNode[] = [];
  for (const node of active) {
    const meta = await nodeMetadata(registry, node.nodeId);
    if (meta) out.push({ ...node, multiaddrs: meta.multiaddrs });
  }
  return out;
}

export interface NodeMetadata {
  publicKey: string;
  multiaddrs: string[];
}

/** The node's current public key and multiaddrs, checked against the record's metadata hash. */
export async function nodeMetadata(registry: NodeRegistry, nodeId: bigint): Promise<NodeMetadata | undefined> {
  const block = Number(await registry.metadataBlockOf(nodeId));
  if (block === 0) return undefined;
  const expected = (await registry.getNode(nodeId)).metadataHash;
  const filters = [registry.filters.NodeRegistered(nodeId), registry.filters.NodeKeyRotated(nodeId), registry.filters.NodeMetadataUpdated(nodeId)];
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
