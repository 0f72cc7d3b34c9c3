// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice A payment channel's id, `IPaymentChannel.channelIdFor(payer, nodeKey, nonce)`. Encoded as
/// bytes32 in the ABI, EIP-712 messages and events.
type ChannelId is bytes32;

/// @notice A blob's id: the root of its hash tree (docs/protocol.md). Encoded as bytes32 in the ABI,
/// EIP-712 messages and events; the blacklist keys an entry by `keccak256(abi.encode(blobId))`.
type BlobId is bytes32;
