/**
 * The one home of every EIP-712 type in the protocol. Contracts' tests and every agent import
 * these definitions, so the encoders can never drift apart from what the contracts verify.
 *
 * Each contract that verifies signatures has its own domain (name, version "1", chain id,
 * verifying contract), so a signature for one deployment, chain or contract never passes on
 * another. Off-chain-only objects (content records, node announcements) use the domain of the
 * contract that anchors their signer (OriginRegistry, NodeRegistry) for the same reason.
 */
import type { TypedDataDomain, TypedDataField } from "ethers";

export const DOMAIN_VERSION = "1";

/** Domain names, one per verifying contract. */
export const DOMAIN_NAMES = {
  nodeRegistry: "CdnNodeRegistry",
  originRegistry: "CdnOriginRegistry",
  paymentChannel: "CdnPaymentChannel",
} as const;

export type DomainName = keyof typeof DOMAIN_NAMES;

export function domainFor(name: DomainName, chainId: bigint | number, verifyingContract: string): TypedDataDomain {
  return { name: DOMAIN_NAMES[name], version: DOMAIN_VERSION, chainId: BigInt(chainId), verifyingContract };
}

/**
 * Registration: the node key proves that it consents to be operated by `operator`.
 * `nonce` is per node key (NodeRegistry.keyNonce), `deadline` a unix time; the metadata hash
 * binds the published public key and multiaddrs. Verified by NodeRegistry.
 */
export const NodeRegistration: Record<string, TypedDataField[]> = {
  NodeRegistration: [
    { name: "operator", type: "address" },
    { name: "nodeKey", type: "address" },
    { name: "metadataHash", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** Key rotation: the *new* key consents to become node `nodeId`'s key. Verified by NodeRegistry. */
export const KeyRotation: Record<string, TypedDataField[]> = {
  KeyRotation: [
    { name: "nodeId", type: "uint256" },
    { name: "operator", type: "address" },
    { name: "newNodeKey", type: "address" },
    { name: "metadataHash", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/**
 * EIP-2612 permit of the USDC token (its own domain, read from the token: see agents/chain/permit.ts).
 * Verified by the token when NodeRegistry or PaymentChannel spends the bond or deposit.
 */
export const Permit: Record<string, TypedDataField[]> = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** Cumulative payment on a channel, signed by its voucher signer. Verified by PaymentChannel. */
export const Voucher: Record<string, TypedDataField[]> = {
  Voucher: [
    { name: "channelId", type: "bytes32" },
    { name: "cumulativeAmount", type: "uint256" },
  ],
};

/**
 * A node's commitment, before any byte, to serve `blobId` on `channelId` to `client`.
 * `client` is the authenticated requester: the Ethereum address of the libp2p peer that opened
 * the fetch stream (its secp256k1 identity), which the node checks equals the channel's voucher
 * signer or payer. The commitment is anchored to a recent block the node saw: `anchorBlock`, its
 * hash `anchorHash` (so it was signed after that block existed) and `timestamp`, that block's
 * timestamp (clients accept no other value, and only a block within a few of their head). Slashing
 * judges the anchored time against the blacklist entry's `effectiveAt`, on any channel. Verified by
 * the slashing logic in PaymentChannel.
 */
export const ServeCommitment: Record<string, TypedDataField[]> = {
  ServeCommitment: [
    { name: "blobId", type: "bytes32" },
    { name: "client", type: "address" },
    { name: "channelId", type: "bytes32" },
    { name: "timestamp", type: "uint64" },
    { name: "anchorBlock", type: "uint64" },
    { name: "anchorHash", type: "bytes32" },
  ],
};

/**
 * Node `nodeId` (signed by its current key or its operator) authorises one watchtower: disputes it
 * submits itself until `expiry` (unix seconds, inclusive) pay `beneficiary` up to `maxBps` of what
 * they recover, in the second half of the dispute window. Verified by PaymentChannel.dispute.
 */
export const WatchtowerAuth: Record<string, TypedDataField[]> = {
  WatchtowerAuth: [
    { name: "nodeId", type: "uint256" },
    { name: "watchtower", type: "address" },
    { name: "beneficiary", type: "address" },
    { name: "maxBps", type: "uint16" },
    { name: "expiry", type: "uint64" },
  ],
};

/** Off-chain: an origin's content key vouches for a blob. Domain: OriginRegistry. */
export const ContentRecord: Record<string, TypedDataField[]> = {
  ContentRecord: [
    { name: "blobId", type: "bytes32" },
    { name: "size", type: "uint64" },
    { name: "origin", type: "uint256" },
    { name: "epoch", type: "uint64" },
    { name: "timestamp", type: "uint64" },
  ],
};

/** Off-chain: a node's signed gossip offer. Domain: NodeRegistry. */
export const NodeAnnouncement: Record<string, TypedDataField[]> = {
  NodeAnnouncement: [
    { name: "nodeKey", type: "address" },
    { name: "region", type: "uint16" },
    { name: "pricePerGiB", type: "uint256" },
    { name: "load", type: "uint16" },
    { name: "sequence", type: "uint64" },
    { name: "timestamp", type: "uint64" },
    { name: "multiaddrs", type: "string[]" },
  ],
};

export interface NodeRegistrationValue {
  operator: string;
  nodeKey: string;
  metadataHash: string;
  nonce: bigint;
  deadline: bigint;
}
export interface KeyRotationValue {
  nodeId: bigint;
  operator: string;
  newNodeKey: string;
  metadataHash: string;
  nonce: bigint;
  deadline: bigint;
}
export interface VoucherValue {
  channelId: string;
  cumulativeAmount: bigint;
}
export interface ServeCommitmentValue {
  blobId: string;
  client: string;
  channelId: string;
  timestamp: bigint;
  anchorBlock: bigint;
  anchorHash: string;
}
export interface WatchtowerAuthValue {
  nodeId: bigint;
  watchtower: string;
  beneficiary: string;
  maxBps: number;
  expiry: bigint;
}
export interface ContentRecordValue {
  blobId: string;
  size: bigint;
  origin: bigint;
  epoch: bigint;
  timestamp: bigint;
}
export interface NodeAnnouncementValue {
  nodeKey: string;
  region: number;
  pricePerGiB: bigint;
  load: number;
  sequence: bigint;
  timestamp: bigint;
  multiaddrs: string[];
}
