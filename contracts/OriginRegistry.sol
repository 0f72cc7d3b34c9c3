// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IOriginRegistry} from "./interfaces/IOriginRegistry.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";

/// @title OriginRegistry
/// @notice DAO-recognized origins and their content-signing keys by epoch. Also the EIP-712 domain
/// ("CdnOriginRegistry") of off-chain content records.
contract OriginRegistry is IOriginRegistry, EIP712 {
    /// @notice EIP-712 type of a content record (agents/protocol/eip712.ts `ContentRecord`).
    bytes32 public constant CONTENT_RECORD_TYPEHASH =
        keccak256("ContentRecord(bytes32 blobId,uint64 size,uint256 origin,uint64 epoch,uint64 timestamp)");

    /// @notice The node registry origins are drawn from.
    INodeRegistry public immutable REGISTRY;
    /// @notice The DAO's timelock, the only recognizer.
    address public immutable TIMELOCK;

    struct EpochKey {
        address contentKey;
        bool revoked;
    }

    mapping(uint256 nodeId => Origin) private _origins;
    mapping(uint256 nodeId => mapping(uint64 epoch => EpochKey)) private _epochs;
    mapping(uint256 nodeId => mapping(address contentKey => bool)) private _usedKeys;

    modifier onlyTimelock() {
        if (msg.sender != TIMELOCK) revert OriginRegistryNotTimelock(msg.sender);
        _;
    }

    constructor(INodeRegistry registry, address timelock) EIP712("CdnOriginRegistry", "1") {
        if (address(registry) == address(0) || timelock == address(0)) revert OriginRegistryZeroAddress();
        REGISTRY = registry;
        TIMELOCK = timelock;
    }

    /// @inheritdoc IOriginRegistry
    function recognize(uint256 nodeId, address contentKey) external onlyTimelock returns (uint64 epoch) {
        Origin storage origin = _origins[nodeId];
        if (origin.recognized) revert OriginRegistryAlreadyRecognized(nodeId);
        if (REGISTRY.getNode(nodeId).status != INodeRegistry.NodeStatus.Registered) {
            revert OriginRegistryNodeNotRegistered(nodeId);
        }
        epoch = _newEpoch(nodeId, origin, contentKey);
        origin.recognized = true;
        origin.firstValidEpoch = epoch;
        emit OriginRecognized(nodeId, epoch, contentKey);
    }

    /// @inheritdoc IOriginRegistry
    function revoke(uint256 nodeId) external onlyTimelock {
        Origin storage origin = _origins[nodeId];
        if (!origin.recognized) revert OriginRegistryNotRecognized(nodeId);
        origin.recognized = false;
        emit OriginRevoked(nodeId, origin.currentEpoch);
    }

    /// @inheritdoc IOriginRegistry
    function rotateContentKey(uint256 nodeId, address contentKey) external returns (uint64 epoch) {
        Origin storage origin = _origins[nodeId];
        if (!origin.recognized) revert OriginRegistryNotRecognized(nodeId);
        if (REGISTRY.getNode(nodeId).operator != msg.sender) revert OriginRegistryNotOperator(nodeId, msg.sender);
        epoch = _newEpoch(nodeId, origin, contentKey);
        emit ContentKeyRotated(nodeId, epoch, contentKey);
    }

    /// @inheritdoc IOriginRegistry
    function revokeEpoch(uint256 nodeId, uint64 epoch) external onlyTimelock {
        Origin storage origin = _origins[nodeId];
        EpochKey storage key = _epochs[nodeId][epoch];
        if (epoch == 0 || epoch > origin.currentEpoch || key.revoked) {
            revert OriginRegistryBadEpoch(nodeId, epoch, origin.currentEpoch);
        }
        key.revoked = true;
        emit ContentEpochRevoked(nodeId, epoch);
    }

    /// @inheritdoc IOriginRegistry
    function isValidContentSigner(uint256 nodeId, uint64 epoch, address signer) public view returns (bool) {
        Origin storage origin = _origins[nodeId];
        if (!origin.recognized || epoch < origin.firstValidEpoch || epoch > origin.currentEpoch) return false;
        if (!_nodeRegistered(nodeId)) return false;
        EpochKey storage key = _epochs[nodeId][epoch];
        return !key.revoked && signer != address(0) && key.contentKey == signer;
    }

    /// @inheritdoc IOriginRegistry
    function isRecognized(uint256 nodeId) external view returns (bool) {
        return _origins[nodeId].recognized && _nodeRegistered(nodeId);
    }

    /// @inheritdoc IOriginRegistry
    function originOf(uint256 nodeId) external view returns (Origin memory) {
        return _origins[nodeId];
    }

    /// @inheritdoc IOriginRegistry
    function contentKeyOf(uint256 nodeId, uint64 epoch) external view returns (address contentKey, bool revoked) {
        EpochKey storage key = _epochs[nodeId][epoch];
        return (key.contentKey, key.revoked);
    }

    /// @inheritdoc IOriginRegistry
    function contentRecordSigner(ContentRecord calldata record, bytes calldata signature)
        public
        view
        returns (address signer)
    {
        bytes32 structHash = keccak256(
            abi.encode(
                CONTENT_RECORD_TYPEHASH, record.blobId, record.size, record.origin, record.epoch, record.timestamp
            )
        );
        (signer,,) = ECDSA.tryRecover(_hashTypedDataV4(structHash), signature);
    }

    /// @inheritdoc IOriginRegistry
    function isValidContentRecord(ContentRecord calldata record, bytes calldata signature) external view returns (bool) {
        return isValidContentSigner(record.origin, record.epoch, contentRecordSigner(record, signature));
    }

    /// @dev A node that deregistered (exiting or withdrawn) is no origin any more, whatever the DAO
    /// recognised: its operator has left and its bond no longer answers for it.
    function _nodeRegistered(uint256 nodeId) private view returns (bool) {
        return REGISTRY.getNode(nodeId).status == INodeRegistry.NodeStatus.Registered;
    }

    function _newEpoch(uint256 nodeId, Origin storage origin, address contentKey) private returns (uint64 epoch) {
        if (contentKey == address(0)) revert OriginRegistryZeroAddress();
        if (_usedKeys[nodeId][contentKey]) revert OriginRegistryKeyReused(nodeId, contentKey);
        _usedKeys[nodeId][contentKey] = true;
        epoch = origin.currentEpoch + 1;
        origin.currentEpoch = epoch;
        _epochs[nodeId][epoch] = EpochKey({contentKey: contentKey, revoked: false});
    }
}
