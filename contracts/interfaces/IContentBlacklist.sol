// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IContentBlacklist
/// @notice Blacklist entries keyed by keccak256(blobId). Each add creates a fresh entry id (so a
/// slash is limited to one per (node, entry) even if a blob is removed and listed again) and stamps
/// `effectiveAt = addedAt + complianceWindow` (the window in force at add time).
interface IContentBlacklist {
    struct Entry {
        uint64 entryId; // 0: never listed
        uint64 addedAt;
        uint64 effectiveAt;
        bool listed; // false once removed
    }

    /// @notice The latest entry for `blobId` (listed or removed).
    function entryOf(bytes32 blobId) external view returns (Entry memory);

    /// @notice Whether `blobId` is currently listed (whatever its effectiveAt).
    function isBlacklisted(bytes32 blobId) external view returns (bool);
}
