// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IContentBlacklist} from "./interfaces/IContentBlacklist.sol";
import {IProtocolParams} from "./interfaces/IProtocolParams.sol";
import {BlobId} from "./types/Ids.sol";

/// @title ContentBlacklist
/// @notice Blob takedowns with a compliance window. Written by the timelock (a full vote) and by
/// compliance-role holders that only the timelock appoints (fast takedowns, still accountable:
/// every write names its author in the event and the DAO can revoke the role). An entry the DAO
/// listed (or confirmed) is the DAO's: only the timelock removes it. Listing a listed blob changes
/// nothing but the owner, so nobody can move an entry's effective time or make a DAO batch revert.
contract ContentBlacklist is IContentBlacklist {
    /// @notice Source of the compliance window.
    IProtocolParams public immutable PARAMS;
    /// @notice The DAO's timelock: writes, and grants and revokes the compliance role.
    address public immutable TIMELOCK;

    /// @dev Every entry ever created, by id (1 … _entryCount).
    mapping(uint64 entryId => Entry) private _entries;
    mapping(uint64 entryId => bytes32 blobKey) private _keyOfEntry;
    /// @dev The latest entry of a key (0: never listed).
    mapping(bytes32 blobKey => uint64 entryId) private _latest;
    mapping(address account => bool) private _compliance;
    uint64 private _entryCount;

    modifier onlyTimelock() {
        if (msg.sender != TIMELOCK) revert ContentBlacklistNotTimelock(msg.sender);
        _;
    }

    modifier onlyWriter() {
        if (msg.sender != TIMELOCK && !_compliance[msg.sender]) revert ContentBlacklistUnauthorized(msg.sender);
        _;
    }

    constructor(IProtocolParams params, address timelock) {
        if (address(params) == address(0) || timelock == address(0)) revert ContentBlacklistZeroAddress();
        PARAMS = params;
        TIMELOCK = timelock;
    }

    /// @inheritdoc IContentBlacklist
    function add(bytes32 blobKey) external onlyWriter returns (uint64 entryId) {
        uint64 latest = _latest[blobKey];
        Entry storage current = _entries[latest];
        if (current.listed) {
            // Keep the entry and its earlier effective time; the DAO's vote makes it the DAO's.
            if (msg.sender == TIMELOCK && !current.byTimelock) {
                current.byTimelock = true;
                emit BlobListingConfirmed(blobKey, latest);
            }
            return latest;
        }
        entryId = ++_entryCount;
        uint64 effectiveAt = uint64(block.timestamp + PARAMS.complianceWindow());
        _entries[entryId] = Entry({
            entryId: entryId,
            addedAt: uint64(block.timestamp),
            effectiveAt: effectiveAt,
            listed: true,
            byTimelock: msg.sender == TIMELOCK
        });
        _keyOfEntry[entryId] = blobKey;
        _latest[blobKey] = entryId;
        emit BlobBlacklisted(blobKey, entryId, effectiveAt, msg.sender);
    }

    /// @inheritdoc IContentBlacklist
    function remove(bytes32 blobKey) external onlyWriter {
        Entry storage entry = _entries[_latest[blobKey]];
        if (!entry.listed) revert ContentBlacklistNotListed(blobKey);
        if (entry.byTimelock && msg.sender != TIMELOCK) revert ContentBlacklistDaoEntry(blobKey, entry.entryId);
        entry.listed = false;
        emit BlobUnblacklisted(blobKey, entry.entryId, msg.sender);
    }

    /// @inheritdoc IContentBlacklist
    function grantComplianceRole(address account) external onlyTimelock {
        if (account == address(0)) revert ContentBlacklistZeroAddress();
        if (_compliance[account]) revert ContentBlacklistRoleUnchanged(account, true);
        _compliance[account] = true;
        emit ComplianceRoleGranted(account);
    }

    /// @inheritdoc IContentBlacklist
    function revokeComplianceRole(address account) external onlyTimelock {
        if (!_compliance[account]) revert ContentBlacklistRoleUnchanged(account, false);
        _compliance[account] = false;
        emit ComplianceRoleRevoked(account);
    }

    /// @inheritdoc IContentBlacklist
    function hasComplianceRole(address account) external view returns (bool) {
        return _compliance[account];
    }

    /// @inheritdoc IContentBlacklist
    function entryOf(BlobId blobId) external view returns (Entry memory) {
        return _entries[_latest[keccak256(abi.encode(blobId))]];
    }

    /// @inheritdoc IContentBlacklist
    function entryOfKey(bytes32 blobKey) external view returns (Entry memory) {
        return _entries[_latest[blobKey]];
    }

    /// @inheritdoc IContentBlacklist
    function isBlacklisted(BlobId blobId) external view returns (bool) {
        return _entries[_latest[keccak256(abi.encode(blobId))]].listed;
    }

    /// @inheritdoc IContentBlacklist
    function isEffective(BlobId blobId) external view returns (bool) {
        Entry storage entry = _entries[_latest[keccak256(abi.encode(blobId))]];
        return entry.listed && block.timestamp >= entry.effectiveAt;
    }

    /// @inheritdoc IContentBlacklist
    function entryById(uint64 entryId) external view returns (Entry memory) {
        return _entries[entryId];
    }

    /// @inheritdoc IContentBlacklist
    function keyOfEntry(uint64 entryId) external view returns (bytes32) {
        return _keyOfEntry[entryId];
    }

    /// @inheritdoc IContentBlacklist
    function entryCount() external view returns (uint64) {
        return _entryCount;
    }

    /// @inheritdoc IContentBlacklist
    function entries(uint64 startId, uint64 maxCount)
        external
        view
        returns (bytes32[] memory keys, Entry[] memory list, uint64 nextId)
    {
        uint64 count = _entryCount;
        if (startId == 0) startId = 1;
        uint64 n = startId > count ? 0 : count - startId + 1;
        if (maxCount < n) n = maxCount;
        keys = new bytes32[](n);
        list = new Entry[](n);
        for (uint64 i = 0; i < n; ++i) {
            keys[i] = _keyOfEntry[startId + i];
            list[i] = _entries[startId + i];
        }
        nextId = startId + n > count ? 0 : startId + n;
    }

    /// @inheritdoc IContentBlacklist
    function blobKeyOf(BlobId blobId) external pure returns (bytes32) {
        return keccak256(abi.encode(blobId));
    }
}
