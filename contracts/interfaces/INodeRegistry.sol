// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title INodeRegistry
/// @notice Node identity and capacity bond (USDC). A node has a stable `nodeId` (never reused,
/// records never deleted) and a current node key (its libp2p secp256k1 identity); the operator
/// (transaction sender at registration) receives payouts and may rotate the key.
/// @dev Contract written by the registry issue; this interface is the contract between the
/// registry and its users (PaymentChannel, Slashing, agents). Extend it, don't break it.
interface INodeRegistry {
    enum NodeStatus {
        None,
        Registered,
        Exiting,
        Withdrawn
    }

    struct Node {
        address nodeKey; // current key
        address operator;
        uint64 registeredAt;
        uint64 unbondingEndsAt; // 0 unless exiting or capacity lowered
        uint32 capacityMbps;
        uint16 region;
        NodeStatus status;
        uint256 pricePerGiB; // USDC base units per GiB delivered
        uint256 bond; // active bond (USDC base units)
        uint256 unbonding; // bond waiting for withdrawal, still slashable
        bytes32 metadataHash; // keccak256(abi.encode(publicKey64, multiaddrs))
    }

    /// @notice Whether `nodeKey` is the current key of a registered, non-exiting node whose bond
    /// covers the curve that binds it.
    function isActive(address nodeKey) external view returns (bool);

    /// @notice The node a key belongs or belonged to (0 if never registered). Rotated-out keys keep
    /// their mapping so that evidence signed by them can be attributed.
    function nodeIdOf(address nodeKey) external view returns (uint256);

    /// @notice The full record of `nodeId`.
    function getNode(uint256 nodeId) external view returns (Node memory);

    /// @notice Takes `bps` of the node's bond (active + unbonding) and transfers it to the caller.
    /// Callable only by the slashing contract fixed at deployment.
    function slash(uint256 nodeId, uint256 bps) external returns (uint256 amount);
}
