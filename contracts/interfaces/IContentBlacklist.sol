// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BlobId} from "../types/Ids.sol";

/// @title IContentBlacklist
/// @notice Blacklist entries keyed by keccak256(blobId). Each add creates a fresh entry id (so a
/// slash is limited to one per (node, entry) even if a blob is removed and listed again) and stamps
/// `effectiveAt = addedAt + complianceWindow` (the window in force at add time).
/// @dev Writers pass the key (`keccak256(blobId)`), never the blob id, so the id does not appear
/// in calldata or events; views take the blob id (or the key). Writers: the timelock, and holders
/// of the compliance role, which only the timelock grants and revokes.
interface IContentBlacklist {
    struct Entry {
        uint64 entryId; // 0: never listed
        uint64 addedAt;
        uint64 effectiveAt;
        bool listed; // false once removed
        bool byTimelock; // listed or confirmed by the DAO: only the timelock removes it
    }

    /// @notice Key `blobKey` was listed as entry `entryId` by `by`, binding from `effectiveAt`.
    event BlobBlacklisted(bytes32 indexed blobKey, uint64 indexed entryId, uint64 effectiveAt, address indexed by);
    /// @notice The timelock listed `blobKey` while compliance entry `entryId` already listed it: the
    /// entry (and its effective time) stays, and it is now the DAO's.
    event BlobListingConfirmed(bytes32 indexed blobKey, uint64 indexed entryId);
    /// @notice Entry `entryId` (key `blobKey`) was removed by `by`.
    event BlobUnblacklisted(bytes32 indexed blobKey, uint64 indexed entryId, address indexed by);
    /// @notice The timelock granted the compliance role to `account`.
    event ComplianceRoleGranted(address indexed account);
    /// @notice The timelock revoked the compliance role of `account`.
    event ComplianceRoleRevoked(address indexed account);

    /// @notice `caller` is neither the timelock nor a compliance-role holder.
    error ContentBlacklistUnauthorized(address caller);
    /// @notice `caller` is not the timelock.
    error ContentBlacklistNotTimelock(address caller);
    /// @notice Entry `entryId` of `blobKey` was listed or confirmed by the DAO; only the timelock removes it.
    error ContentBlacklistDaoEntry(bytes32 blobKey, uint64 entryId);
    /// @notice `blobKey` is not listed.
    error ContentBlacklistNotListed(bytes32 blobKey);
    /// @notice `account` already has (grant) or lacks (revoke) the compliance role.
    error ContentBlacklistRoleUnchanged(address account, bool hasRole);
    /// @notice An address argument must not be zero.
    error ContentBlacklistZeroAddress();

    /// @notice Lists `blobKey` (= keccak256(blobId)) as a new entry effective after the compliance
    /// window. If it is already listed, returns that entry and keeps its effective time (when the
    /// timelock calls, the entry becomes the DAO's).
    function add(bytes32 blobKey) external returns (uint64 entryId);

    /// @notice Unlists `blobKey`; the entry record stays (listed = false). A compliance-role holder
    /// cannot remove an entry the DAO listed or confirmed.
    function remove(bytes32 blobKey) external;

    /// @notice Timelock only: lets `account` add and remove entries.
    function grantComplianceRole(address account) external;

    /// @notice Timelock only: takes the compliance role from `account`.
    function revokeComplianceRole(address account) external;

    /// @notice Whether `account` holds the compliance role.
    function hasComplianceRole(address account) external view returns (bool);

    /// @notice The latest entry for `blobId` (listed or removed).
    function entryOf(BlobId blobId) external view returns (Entry memory);

    /// @notice The latest entry for key `blobKey` = keccak256(blobId).
    function entryOfKey(bytes32 blobKey) external view returns (Entry memory);

    /// @notice Whether `blobId` is currently listed (whatever its effectiveAt).
    function isBlacklisted(BlobId blobId) external view returns (bool);

    /// @notice Whether `blobId` is listed and its compliance window is over (`block.timestamp >= effectiveAt`).
    function isEffective(BlobId blobId) external view returns (bool);

    /// @notice Entry `entryId` as it stands (a superseded entry keeps its own record).
    function entryById(uint64 entryId) external view returns (Entry memory);

    /// @notice The key of entry `entryId` (entries are numbered 1 … entryCount, never reused).
    function keyOfEntry(uint64 entryId) external view returns (bytes32);

    /// @notice Number of entries ever created.
    function entryCount() external view returns (uint64);

    /// @notice Entries `startId` … `startId + maxCount - 1` (from 1) with their keys, listed or not,
    /// for nodes enumerating the deny-set; `nextId` is 0 at the end.
    function entries(uint64 startId, uint64 maxCount)
        external
        view
        returns (bytes32[] memory keys, Entry[] memory list, uint64 nextId);

    /// @notice keccak256(blobId).
    function blobKeyOf(BlobId blobId) external pure returns (bytes32);
}
