// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {IProtocolParams} from "./interfaces/IProtocolParams.sol";
import {BondCurve} from "./libraries/BondCurve.sol";

/// @title NodeRegistry
/// @notice Node identity, offer and capacity bond (USDC) in one contract. See docs/registry.md.
/// @dev Records are packed into five storage slots and never deleted. A node key identifies at
/// most one node, ever (registration and rotation both refuse a key that was ever used), so
/// `nodeIdOf` stays a stable attribution for anything a key signed. The bond is custody of USDC
/// measured by balance delta; the sum of `bond + unbonding` over all nodes equals what this
/// contract received minus what it paid out.
contract NodeRegistry is INodeRegistry, EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @notice EIP-712 type of the node key's consent to be registered by `operator`
    /// (agents/protocol/eip712.ts `NodeRegistration`).
    bytes32 public constant NODE_REGISTRATION_TYPEHASH = keccak256(
        "NodeRegistration(address operator,address nodeKey,bytes32 metadataHash,uint256 nonce,uint256 deadline)"
    );
    /// @notice EIP-712 type of the new key's consent to become node `nodeId`'s key
    /// (agents/protocol/eip712.ts `KeyRotation`).
    bytes32 public constant KEY_ROTATION_TYPEHASH = keccak256(
        "KeyRotation(uint256 nodeId,address operator,address newNodeKey,bytes32 metadataHash,uint256 nonce,uint256 deadline)"
    );

    /// @notice Declared capacity bounds, Mbps.
    uint32 public constant MIN_CAPACITY_MBPS = BondCurve.MIN_MBPS;
    uint32 public constant MAX_CAPACITY_MBPS = BondCurve.MAX_MBPS;
    /// @notice At most this many multiaddrs per node.
    uint256 public constant MAX_MULTIADDRS = 8;
    /// @notice At most this many bytes per multiaddr (string form).
    uint256 public constant MAX_MULTIADDR_BYTES = 256;
    /// @notice Price ceiling, USDC base units per GiB (the record keeps it in 96 bits).
    uint256 public constant MAX_PRICE_PER_GIB = type(uint96).max;
    /// @notice Basis-point denominator of `slash`.
    uint256 public constant BPS = 10_000;

    /// @notice The bond token.
    IERC20 public immutable USDC;
    /// @notice Bond curve, unbonding period.
    IProtocolParams public immutable PARAMS;
    /// @notice May call `initializeSlasher` once if the constructor got no slasher.
    address public immutable DEPLOYER;

    /// @dev Storage layout of a node (5 slots); `getNode` widens it to `Node`.
    struct NodeRecord {
        // slot 0
        address nodeKey;
        uint40 registeredAt;
        uint32 capacityMbps;
        NodeStatus status;
        // slot 1
        address operator;
        uint40 unbondingEndsAt;
        uint40 bondAnchorAt;
        uint16 region;
        // slot 2: what `isActive` compares
        uint96 bond;
        /// @dev `PARAMS.requiredBond(capacityMbps)` under curve version `curveVersion` (a cache, so
        /// that `isActive` computes the curve only after a curve change).
        uint96 requiredBond;
        uint64 curveVersion;
        // slot 3
        uint96 unbonding;
        uint96 pricePerGiB;
        uint64 metadataBlock;
        // slot 4
        bytes32 metadataHash;
    }

    /// @dev Per node key: the node it belongs or belonged to, its signature nonce and the block in
    /// which a rotation retired it (0 while current or never used). One slot.
    struct KeyInfo {
        uint64 nodeId;
        uint64 nonce;
        uint64 retiredAtBlock;
    }

    mapping(uint256 nodeId => NodeRecord) private _nodes;
    mapping(address nodeKey => KeyInfo) private _keys;
    uint256 private _nodeCount;
    address private _slasher;
    /// @dev Slashed USDC the transfer to the slasher could not deliver (a paused token), held here.
    uint256 private _slashedOwed;

    /// @param usdc The bond token (6 decimals, EIP-2612 permit).
    /// @param params The protocol parameters (bond curve, unbonding period).
    /// @param slasher_ The slashing contract, or zero to wire it once later with `initializeSlasher`.
    constructor(IERC20 usdc, IProtocolParams params, address slasher_) EIP712("CdnNodeRegistry", "1") {
        if (address(usdc) == address(0) || address(params) == address(0)) revert NodeRegistryZeroAddress();
        USDC = usdc;
        PARAMS = params;
        DEPLOYER = msg.sender;
        if (slasher_ != address(0)) {
            _slasher = slasher_;
            emit SlasherInitialized(slasher_);
        }
    }

    // ================================================================ wiring

    /// @inheritdoc INodeRegistry
    function initializeSlasher(address slasher_) external {
        if (msg.sender != DEPLOYER || _slasher != address(0)) revert NodeRegistrySlasherLocked(msg.sender, _slasher);
        if (slasher_ == address(0)) revert NodeRegistryZeroAddress();
        // The slasher is a contract (the PaymentChannel), never an externally owned account.
        if (slasher_.code.length == 0) revert NodeRegistrySlasherNotContract(slasher_);
        _slasher = slasher_;
        emit SlasherInitialized(slasher_);
    }

    // ================================================================ registration

    /// @inheritdoc INodeRegistry
    function register(Registration calldata reg, bytes calldata nodeSignature)
        external
        nonReentrant
        returns (uint256 nodeId)
    {
        return _register(reg, nodeSignature);
    }

    /// @inheritdoc INodeRegistry
    function registerWithPermit(Registration calldata reg, bytes calldata nodeSignature, PermitData calldata permit)
        external
        nonReentrant
        returns (uint256 nodeId)
    {
        _tryPermit(permit);
        return _register(reg, nodeSignature);
    }

    /// @inheritdoc INodeRegistry
    function rotateNodeKey(
        uint256 nodeId,
        address newNodeKey,
        bytes calldata publicKey,
        string[] calldata multiaddrs,
        uint256 deadline,
        bytes calldata signature
    ) external {
        NodeRecord storage node = _operated(nodeId);
        // A leaked key can be replaced while exiting too (the bond is still slashable).
        if (node.status == NodeStatus.Withdrawn) {
            revert NodeRegistryWrongStatus(nodeId, NodeStatus.Withdrawn, NodeStatus.Registered);
        }
        bytes32 metadataHash = _checkMetadata(newNodeKey, publicKey, multiaddrs);
        KeyInfo memory info = _keys[newNodeKey];
        if (info.nodeId != 0) revert NodeRegistryKeyAlreadyUsed(newNodeKey, info.nodeId);
        _verify(
            keccak256(
                abi.encode(KEY_ROTATION_TYPEHASH, nodeId, msg.sender, newNodeKey, metadataHash, info.nonce, deadline)
            ),
            newNodeKey,
            signature,
            deadline
        );
        _keys[newNodeKey] = KeyInfo({nodeId: uint64(nodeId), nonce: info.nonce + 1, retiredAtBlock: 0});
        address oldNodeKey = node.nodeKey;
        _keys[oldNodeKey].retiredAtBlock = uint64(block.number);
        node.nodeKey = newNodeKey;
        node.metadataHash = metadataHash;
        node.metadataBlock = uint64(block.number);
        emit NodeKeyRotated(nodeId, oldNodeKey, newNodeKey, publicKey, multiaddrs);
    }

    // ================================================================ updates

    /// @inheritdoc INodeRegistry
    function updateMultiaddrs(uint256 nodeId, bytes calldata publicKey, string[] calldata multiaddrs) external {
        NodeRecord storage node = _operatedRegistered(nodeId);
        bytes32 metadataHash = _checkMetadata(node.nodeKey, publicKey, multiaddrs);
        node.metadataHash = metadataHash;
        node.metadataBlock = uint64(block.number);
        emit NodeMetadataUpdated(nodeId, metadataHash, publicKey, multiaddrs);
    }

    /// @inheritdoc INodeRegistry
    function updateOffer(uint256 nodeId, uint256 pricePerGiB, uint16 region) external {
        NodeRecord storage node = _operatedRegistered(nodeId);
        _checkPrice(pricePerGiB);
        node.pricePerGiB = uint96(pricePerGiB);
        node.region = region;
        emit NodeOfferUpdated(nodeId, pricePerGiB, region);
    }

    /// @inheritdoc INodeRegistry
    function setCapacity(uint256 nodeId, uint32 capacityMbps) external {
        NodeRecord storage node = _operatedRegistered(nodeId);
        _checkCapacity(capacityMbps);
        uint32 oldMbps = node.capacityMbps;
        if (capacityMbps == oldMbps) revert NodeRegistryCapacityUnchanged(nodeId, capacityMbps);
        uint256 required = PARAMS.requiredBond(capacityMbps);
        uint256 bond = node.bond;
        if (capacityMbps > oldMbps) {
            // A raise is a fresh declaration: it must meet the current curve now, and the grace
            // period of any later curve change is measured from here.
            if (bond < required) revert NodeRegistryBondTooLow(bond, required);
            node.bondAnchorAt = uint40(block.timestamp);
        } else if (bond > required) {
            // A lowering keeps the anchor and frees what the current curve no longer asks for.
            _startUnbonding(nodeId, node, bond - required);
        }
        node.capacityMbps = capacityMbps;
        _cacheRequiredBond(node, required);
        emit NodeCapacityChanged(nodeId, oldMbps, capacityMbps, uint64(node.bondAnchorAt));
    }

    // ================================================================ bond

    /// @inheritdoc INodeRegistry
    function topUp(uint256 nodeId, uint256 amount) external nonReentrant {
        _topUp(nodeId, amount);
    }

    /// @inheritdoc INodeRegistry
    function topUpWithPermit(uint256 nodeId, uint256 amount, PermitData calldata permit) external nonReentrant {
        _tryPermit(permit);
        _topUp(nodeId, amount);
    }

    /// @inheritdoc INodeRegistry
    function unbond(uint256 nodeId, uint256 amount) external {
        NodeRecord storage node = _operatedRegistered(nodeId);
        if (amount == 0) revert NodeRegistryZeroAmount();
        uint256 bond = node.bond;
        uint256 required = PARAMS.requiredBond(node.capacityMbps);
        if (amount > bond || bond - amount < required) {
            revert NodeRegistryBondTooLow(amount > bond ? 0 : bond - amount, required);
        }
        _cacheRequiredBond(node, required);
        _startUnbonding(nodeId, node, amount);
    }

    /// @inheritdoc INodeRegistry
    function deregister(uint256 nodeId) external {
        NodeRecord storage node = _operatedRegistered(nodeId);
        uint256 bond = node.bond;
        uint40 endsAt = uint40(block.timestamp + PARAMS.unbondingPeriod());
        node.status = NodeStatus.Exiting;
        node.bond = 0;
        node.unbonding += uint96(bond);
        node.unbondingEndsAt = endsAt;
        emit NodeDeregistered(nodeId, endsAt);
    }

    /// @inheritdoc INodeRegistry
    function withdraw(uint256 nodeId) external nonReentrant returns (uint256 amount) {
        NodeRecord storage node = _operated(nodeId);
        NodeStatus status = node.status;
        if (status == NodeStatus.Withdrawn) {
            revert NodeRegistryWrongStatus(nodeId, status, NodeStatus.Exiting);
        }
        amount = node.unbonding;
        if (status == NodeStatus.Registered && amount == 0) revert NodeRegistryNothingToWithdraw(nodeId);
        uint40 endsAt = node.unbondingEndsAt;
        if (block.timestamp < endsAt) revert NodeRegistryStillUnbonding(nodeId, endsAt);
        node.unbonding = 0;
        if (status == NodeStatus.Exiting) node.status = NodeStatus.Withdrawn;
        else node.unbondingEndsAt = 0;
        address operator = node.operator;
        if (amount != 0) USDC.safeTransfer(operator, amount);
        emit BondWithdrawn(nodeId, operator, amount);
    }

    /// @inheritdoc INodeRegistry
    function slash(uint256 nodeId, uint256 bps) external nonReentrant returns (uint256 amount) {
        if (msg.sender != _slasher || msg.sender == address(0)) revert NodeRegistryNotSlasher(msg.sender);
        if (bps > BPS) revert NodeRegistryBadSlashBps(bps);
        NodeRecord storage node = _existing(nodeId);
        uint256 fromBond = (uint256(node.bond) * bps) / BPS;
        uint256 fromUnbonding = (uint256(node.unbonding) * bps) / BPS;
        node.bond -= uint96(fromBond);
        node.unbonding -= uint96(fromUnbonding);
        amount = fromBond + fromUnbonding;
        emit NodeSlashed(nodeId, msg.sender, bps, amount);
        // A paused token must not stop the slash: what cannot move now is owed to the slasher.
        if (amount != 0 && !USDC.trySafeTransfer(msg.sender, amount)) _slashedOwed += amount;
    }

    /// @inheritdoc INodeRegistry
    function collectSlashed() external nonReentrant returns (uint256 amount) {
        amount = _slashedOwed;
        if (amount == 0) return 0;
        _slashedOwed = 0;
        USDC.safeTransfer(_slasher, amount);
    }

    /// @inheritdoc INodeRegistry
    function slashedOwed() external view returns (uint256) {
        return _slashedOwed;
    }

    /// @inheritdoc INodeRegistry
    function refreshRequiredBond(uint256 nodeId) external {
        NodeRecord storage node = _existing(nodeId);
        if (node.status != NodeStatus.Registered) {
            revert NodeRegistryWrongStatus(nodeId, node.status, NodeStatus.Registered);
        }
        _cacheRequiredBond(node, PARAMS.requiredBond(node.capacityMbps));
    }

    // ================================================================ views

    /// @inheritdoc INodeRegistry
    function isActive(address nodeKey) external view returns (bool) {
        return _activeNodeId(nodeKey) != 0;
    }

    /// @inheritdoc INodeRegistry
    function activeNodeOf(address nodeKey) external view returns (uint256 nodeId, address operator) {
        nodeId = _activeNodeId(nodeKey);
        if (nodeId != 0) operator = _nodes[nodeId].operator;
    }

    /// @inheritdoc INodeRegistry
    function isActiveNode(uint256 nodeId) external view returns (bool) {
        return _isActive(_nodes[nodeId]);
    }

    /// @inheritdoc INodeRegistry
    function nodeIdOf(address nodeKey) external view returns (uint256) {
        return _keys[nodeKey].nodeId;
    }

    /// @inheritdoc INodeRegistry
    function nodeKeyOf(uint256 nodeId) external view returns (address) {
        return _nodes[nodeId].nodeKey;
    }

    /// @inheritdoc INodeRegistry
    function keyRetiredAtBlock(address nodeKey) external view returns (uint64) {
        return _keys[nodeKey].retiredAtBlock;
    }

    /// @inheritdoc INodeRegistry
    function getNode(uint256 nodeId) public view returns (Node memory) {
        return _toNode(_nodes[nodeId]);
    }

    /// @inheritdoc INodeRegistry
    function nodeOf(address nodeKey) external view returns (uint256 nodeId, Node memory node) {
        nodeId = _keys[nodeKey].nodeId;
        node = _toNode(_nodes[nodeId]);
    }

    /// @inheritdoc INodeRegistry
    function operatorOf(address nodeKey) external view returns (address) {
        return _nodes[_keys[nodeKey].nodeId].operator;
    }

    /// @inheritdoc INodeRegistry
    function keyNonce(address nodeKey) external view returns (uint256) {
        return _keys[nodeKey].nonce;
    }

    /// @inheritdoc INodeRegistry
    function nodeCount() external view returns (uint256) {
        return _nodeCount;
    }

    /// @inheritdoc INodeRegistry
    function requiredBond(uint256 mbps) external view returns (uint256) {
        return PARAMS.requiredBond(mbps);
    }

    /// @inheritdoc INodeRegistry
    function requiredBondOf(uint256 nodeId) external view returns (uint256) {
        NodeRecord storage node = _existing(nodeId);
        return PARAMS.requiredBondFor(node.capacityMbps, node.bondAnchorAt);
    }

    /// @inheritdoc INodeRegistry
    function bondAnchorOf(uint256 nodeId) external view returns (uint64) {
        return _nodes[nodeId].bondAnchorAt;
    }

    /// @inheritdoc INodeRegistry
    function metadataBlockOf(uint256 nodeId) external view returns (uint64) {
        return _nodes[nodeId].metadataBlock;
    }

    /// @inheritdoc INodeRegistry
    function activeNodes(uint256 startId, uint256 maxScan)
        external
        view
        returns (uint256[] memory nodeIds, Node[] memory nodes, uint256 nextId)
    {
        uint256 count = _nodeCount;
        if (startId == 0) startId = 1;
        uint256 end = startId > count ? startId : startId + (maxScan < count - startId + 1 ? maxScan : count - startId + 1);
        nodeIds = new uint256[](end - startId);
        nodes = new Node[](end - startId);
        uint256 found;
        for (uint256 id = startId; id < end; ++id) {
            NodeRecord storage node = _nodes[id];
            if (_isActive(node)) {
                nodeIds[found] = id;
                nodes[found] = _toNode(node);
                ++found;
            }
        }
        assembly ("memory-safe") {
            mstore(nodeIds, found)
            mstore(nodes, found)
        }
        nextId = end > count ? 0 : end;
    }

    /// @inheritdoc INodeRegistry
    function metadataHashOf(bytes calldata publicKey, string[] calldata multiaddrs) external pure returns (bytes32) {
        return keccak256(abi.encode(publicKey, multiaddrs));
    }

    /// @inheritdoc INodeRegistry
    function slasher() external view returns (address) {
        return _slasher;
    }

    // ================================================================ internals

    function _register(Registration calldata reg, bytes calldata nodeSignature) private returns (uint256 nodeId) {
        _checkCapacity(reg.capacityMbps);
        _checkPrice(reg.pricePerGiB);
        address nodeKey = reg.nodeKey;
        bytes32 metadataHash = _checkMetadata(nodeKey, reg.publicKey, reg.multiaddrs);
        KeyInfo memory info = _keys[nodeKey];
        if (info.nodeId != 0) revert NodeRegistryKeyAlreadyUsed(nodeKey, info.nodeId);
        _verify(
            keccak256(abi.encode(NODE_REGISTRATION_TYPEHASH, msg.sender, nodeKey, metadataHash, info.nonce, reg.deadline)),
            nodeKey,
            nodeSignature,
            reg.deadline
        );
        uint256 required = PARAMS.requiredBond(reg.capacityMbps);
        uint256 received = _pull(reg.bond);
        if (received < required) revert NodeRegistryBondTooLow(received, required);

        nodeId = ++_nodeCount;
        _keys[nodeKey] = KeyInfo({nodeId: uint64(nodeId), nonce: info.nonce + 1, retiredAtBlock: 0});
        NodeRecord storage node = _nodes[nodeId];
        node.nodeKey = nodeKey;
        node.registeredAt = uint40(block.timestamp);
        node.capacityMbps = reg.capacityMbps;
        node.status = NodeStatus.Registered;
        node.operator = msg.sender;
        node.bondAnchorAt = uint40(block.timestamp);
        node.region = reg.region;
        node.bond = received.toUint96();
        node.pricePerGiB = uint96(reg.pricePerGiB);
        node.metadataBlock = uint64(block.number);
        node.metadataHash = metadataHash;
        _cacheRequiredBond(node, required);
        _emitRegistered(nodeId, reg, received);
    }

    function _emitRegistered(uint256 nodeId, Registration calldata reg, uint256 bond) private {
        emit NodeRegistered(
            nodeId,
            reg.nodeKey,
            msg.sender,
            reg.capacityMbps,
            reg.region,
            reg.pricePerGiB,
            bond,
            reg.publicKey,
            reg.multiaddrs
        );
    }

    function _topUp(uint256 nodeId, uint256 amount) private {
        NodeRecord storage node = _existing(nodeId);
        if (node.status != NodeStatus.Registered) {
            revert NodeRegistryWrongStatus(nodeId, node.status, NodeStatus.Registered);
        }
        if (amount == 0) revert NodeRegistryZeroAmount();
        uint256 received = _pull(amount);
        uint256 newBond = uint256(node.bond) + received;
        node.bond = newBond.toUint96();
        emit BondToppedUp(nodeId, msg.sender, received, newBond);
    }

    function _startUnbonding(uint256 nodeId, NodeRecord storage node, uint256 amount) private {
        uint40 endsAt = uint40(block.timestamp + PARAMS.unbondingPeriod());
        node.bond -= uint96(amount);
        uint96 total = node.unbonding + uint96(amount);
        node.unbonding = total;
        node.unbondingEndsAt = endsAt;
        emit BondUnbonding(nodeId, amount, total, endsAt);
    }

    /// @dev Pulls `amount` from msg.sender and returns what actually arrived (balance delta).
    function _pull(uint256 amount) private returns (uint256) {
        uint256 before = USDC.balanceOf(address(this));
        USDC.safeTransferFrom(msg.sender, address(this), amount);
        return USDC.balanceOf(address(this)) - before;
    }

    /// @dev A failing permit (front-run, already used, unsupported) is ignored: the transfer that
    /// follows succeeds if the allowance is there, whoever set it, and reverts otherwise.
    function _tryPermit(PermitData calldata p) private {
        try IERC20Permit(address(USDC)).permit(msg.sender, address(this), p.value, p.deadline, p.v, p.r, p.s) {}
        catch {} // solhint-disable-line no-empty-blocks
    }

    function _verify(bytes32 structHash, address signer, bytes calldata signature, uint256 deadline) private view {
        if (block.timestamp > deadline) revert NodeRegistrySignatureExpired(deadline, block.timestamp);
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(_hashTypedDataV4(structHash), signature);
        if (err != ECDSA.RecoverError.NoError || recovered != signer) {
            revert NodeRegistryInvalidSignature(signer, recovered);
        }
    }

    function _checkMetadata(address nodeKey, bytes calldata publicKey, string[] calldata multiaddrs)
        private
        pure
        returns (bytes32)
    {
        if (publicKey.length != 64) revert NodeRegistryBadPublicKeyLength(publicKey.length);
        address derived = address(uint160(uint256(keccak256(publicKey))));
        if (derived != nodeKey) revert NodeRegistryPublicKeyMismatch(nodeKey, derived);
        uint256 count = multiaddrs.length;
        if (count == 0 || count > MAX_MULTIADDRS) revert NodeRegistryBadMultiaddrCount(count, MAX_MULTIADDRS);
        for (uint256 i = 0; i < count; ++i) {
            uint256 length = bytes(multiaddrs[i]).length;
            if (length == 0 || length > MAX_MULTIADDR_BYTES) {
                revert NodeRegistryBadMultiaddrLength(i, length, MAX_MULTIADDR_BYTES);
            }
        }
        return keccak256(abi.encode(publicKey, multiaddrs));
    }

    function _checkCapacity(uint256 mbps) private pure {
        if (mbps < MIN_CAPACITY_MBPS || mbps > MAX_CAPACITY_MBPS) {
            revert NodeRegistryCapacityOutOfBounds(mbps, MIN_CAPACITY_MBPS, MAX_CAPACITY_MBPS);
        }
    }

    function _checkPrice(uint256 price) private pure {
        if (price > MAX_PRICE_PER_GIB) revert NodeRegistryPriceTooHigh(price, MAX_PRICE_PER_GIB);
    }

    /// @dev The node whose current key is `nodeKey` if it is active, else 0.
    function _activeNodeId(address nodeKey) private view returns (uint256 nodeId) {
        nodeId = _keys[nodeKey].nodeId;
        if (nodeId == 0) return 0;
        NodeRecord storage node = _nodes[nodeId];
        if (node.nodeKey != nodeKey || !_isActive(node)) return 0;
    }

    /// @dev The cached requirement is used when it was computed under the curve in force and no grace
    /// period applies to the node (it is what `requiredBondFor` returns then); otherwise, the curve.
    function _isActive(NodeRecord storage node) private view returns (bool) {
        if (node.status != NodeStatus.Registered) return false;
        (uint64 version, uint64 changedAt, uint64 bindsAt) = PARAMS.bondCurveVersion();
        uint256 bond = node.bond;
        if (node.curveVersion == version && (block.timestamp >= bindsAt || node.bondAnchorAt > changedAt)) {
            return bond >= node.requiredBond;
        }
        return bond >= PARAMS.requiredBondFor(node.capacityMbps, node.bondAnchorAt);
    }

    /// @dev `required` must be `PARAMS.requiredBond(node.capacityMbps)` computed in this transaction.
    function _cacheRequiredBond(NodeRecord storage node, uint256 required) private {
        (uint64 version,,) = PARAMS.bondCurveVersion();
        node.requiredBond = required.toUint96();
        node.curveVersion = version;
    }

    function _existing(uint256 nodeId) private view returns (NodeRecord storage node) {
        node = _nodes[nodeId];
        if (node.status == NodeStatus.None) revert NodeRegistryUnknownNode(nodeId);
    }

    function _operated(uint256 nodeId) private view returns (NodeRecord storage node) {
        node = _existing(nodeId);
        if (node.operator != msg.sender) revert NodeRegistryNotOperator(nodeId, msg.sender);
    }

    function _operatedRegistered(uint256 nodeId) private view returns (NodeRecord storage node) {
        node = _operated(nodeId);
        if (node.status != NodeStatus.Registered) {
            revert NodeRegistryWrongStatus(nodeId, node.status, NodeStatus.Registered);
        }
    }

    function _toNode(NodeRecord storage r) private view returns (Node memory) {
        return Node({
            nodeKey: r.nodeKey,
            operator: r.operator,
            registeredAt: r.registeredAt,
            unbondingEndsAt: r.unbondingEndsAt,
            capacityMbps: r.capacityMbps,
            region: r.region,
            status: r.status,
            pricePerGiB: r.pricePerGiB,
            bond: r.bond,
            unbonding: r.unbonding,
            metadataHash: r.metadataHash
        });
    }
}
