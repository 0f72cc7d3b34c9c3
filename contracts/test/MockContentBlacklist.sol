// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IContentBlacklist} from "../interfaces/IContentBlacklist.sol";
import {BlobId} from "../types/Ids.sol";

/// @title MockContentBlacklist
/// @notice Tests only: an IContentBlacklist written directly. Each add makes a fresh global entry id
/// and stamps `effectiveAt = now + complianceWindow`. Implements only the views PaymentChannel calls.
contract MockContentBlacklist {
    uint64 public entryCount;
    mapping(bytes32 key => IContentBlacklist.Entry) private _entries;

    function add(BlobId blobId, uint64 complianceWindow) external returns (uint64 entryId) {
        entryId = ++entryCount;
        _entries[keccak256(abi.encode(blobId))] = IContentBlacklist.Entry({
            entryId: entryId,
            addedAt: uint64(block.timestamp),
            effectiveAt: uint64(block.timestamp) + complianceWindow,
            listed: true,
            byTimelock: true
        });
    }

    function remove(BlobId blobId) external {
        _entries[keccak256(abi.encode(blobId))].listed = false;
    }

    function entryOf(BlobId blobId) external view returns (IContentBlacklist.Entry memory) {
        return _entries[keccak256(abi.encode(blobId))];
    }

    function isBlacklisted(BlobId blobId) external view returns (bool) {
        return _entries[keccak256(abi.encode(blobId))].listed;
    }
}
