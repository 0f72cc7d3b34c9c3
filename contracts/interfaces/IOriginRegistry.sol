// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IOriginRegistry
/// @notice DAO-recognized origins: registered nodes whose content records are trusted. Each origin
/// has a content-signing key per epoch; the timelock recognizes and revokes origins and can revoke
/// an epoch (a leaked key); the origin's operator rotates the content key (a new epoch).
interface IOriginRegistry {
    /// @notice Whether a content record by origin `nodeId`, epoch `epoch`, signed by `signer`, is
    /// acceptable now: the origin is recognized, the epoch is its current one or an unrevoked older
    /// one, and `signer` is that epoch's content key.
    function isValidContentSigner(uint256 nodeId, uint64 epoch, address signer) external view returns (bool);

    /// @notice Whether `nodeId` is a recognized origin.
    function isRecognized(uint256 nodeId) external view returns (bool);
}
