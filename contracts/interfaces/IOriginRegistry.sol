// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IOriginRegistry
/// @notice DAO-recognized origins: registered nodes whose content records are trusted. Each origin
/// has a content-signing key per epoch; the timelock recognizes and revokes origins and can revoke
/// an epoch (a leaked key); the origin's operator rotates the content key (a new epoch).
/// @dev Epochs of an origin are numbered from 1 and never reused. Revoking an origin ends every
/// epoch it had: a later re-recognition starts a new epoch and older epochs stay invalid.
interface IOriginRegistry {
    /// @notice An origin's state.
    struct Origin {
        bool recognized;
        /// @dev The latest epoch (0: never recognized).
        uint64 currentEpoch;
        /// @dev Epochs below this one are void (set at each recognition).
        uint64 firstValidEpoch;
    }

    /// @notice A content record (agents/protocol/eip712.ts `ContentRecord`, domain of this contract).
    struct ContentRecord {
        bytes32 blobId;
        uint64 size;
        uint256 origin;
        uint64 epoch;
        uint64 timestamp;
    }

    /// @notice The timelock recognized node `nodeId` as an origin; `contentKey` signs epoch `epoch`.
    event OriginRecognized(uint256 indexed nodeId, uint64 indexed epoch, address indexed contentKey);
    /// @notice The timelock revoked origin `nodeId` (every epoch so far is void).
    event OriginRevoked(uint256 indexed nodeId, uint64 lastEpoch);
    /// @notice The origin's operator started epoch `epoch` signed by `contentKey`.
    event ContentKeyRotated(uint256 indexed nodeId, uint64 indexed epoch, address indexed contentKey);
    /// @notice The timelock revoked epoch `epoch` of origin `nodeId` (a leaked key).
    event ContentEpochRevoked(uint256 indexed nodeId, uint64 indexed epoch);

    /// @notice `caller` is not the timelock.
    error OriginRegistryNotTimelock(address caller);
    /// @notice `caller` is not the operator of origin `nodeId`.
    error OriginRegistryNotOperator(uint256 nodeId, address caller);
    /// @notice Node `nodeId` is not a registered (non-exiting) node of the registry.
    error OriginRegistryNodeNotRegistered(uint256 nodeId);
    /// @notice Origin `nodeId` is already recognized.
    error OriginRegistryAlreadyRecognized(uint256 nodeId);
    /// @notice Origin `nodeId` is not recognized.
    error OriginRegistryNotRecognized(uint256 nodeId);
    /// @notice A content key must not be zero.
    error OriginRegistryZeroAddress();
    /// @notice `contentKey` already signed an earlier epoch of origin `nodeId`; use a fresh key.
    error OriginRegistryKeyReused(uint256 nodeId, address contentKey);
    /// @notice Epoch `epoch` of origin `nodeId` does not exist (current is `currentEpoch`) or is already void.
    error OriginRegistryBadEpoch(uint256 nodeId, uint64 epoch, uint64 currentEpoch);

    /// @notice Timelock only: recognizes registered node `nodeId` as an origin with a new epoch signed by `contentKey`.
    function recognize(uint256 nodeId, address contentKey) external returns (uint64 epoch);

    /// @notice Timelock only: revokes origin `nodeId`; all its epochs become void.
    function revoke(uint256 nodeId) external;

    /// @notice The origin's operator: starts a new epoch signed by `contentKey` (older unrevoked epochs stay valid).
    function rotateContentKey(uint256 nodeId, address contentKey) external returns (uint64 epoch);

    /// @notice Timelock only: voids epoch `epoch` of origin `nodeId` (a leaked content key).
    function revokeEpoch(uint256 nodeId, uint64 epoch) external;

    /// @notice Whether a content record by origin `nodeId`, epoch `epoch`, signed by `signer`, is
    /// acceptable now: the origin is recognized and its node still registered (not exiting or
    /// withdrawn), the epoch is its current one or an unrevoked older one, and `signer` is that
    /// epoch's content key.
    function isValidContentSigner(uint256 nodeId, uint64 epoch, address signer) external view returns (bool);

    /// @notice Whether `nodeId` is a recognized origin: recognized by the DAO and its node still
    /// registered (deregistering ends origin status; `originOf` keeps the DAO's record).
    function isRecognized(uint256 nodeId) external view returns (bool);

    /// @notice The state of origin `nodeId`.
    function originOf(uint256 nodeId) external view returns (Origin memory);

    /// @notice The content key of epoch `epoch` of origin `nodeId` and whether that epoch was revoked.
    function contentKeyOf(uint256 nodeId, uint64 epoch) external view returns (address contentKey, bool revoked);

    /// @notice The signer of `record` (EIP-712, this contract's domain); zero if the signature is malformed.
    function contentRecordSigner(ContentRecord calldata record, bytes calldata signature) external view returns (address);

    /// @notice Whether `signature` over `record` is by a valid content key of `record.origin` for `record.epoch`.
    function isValidContentRecord(ContentRecord calldata record, bytes calldata signature) external view returns (bool);
}
