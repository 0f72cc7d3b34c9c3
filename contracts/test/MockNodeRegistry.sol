// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {INodeRegistry} from "../interfaces/INodeRegistry.sol";

/// @title MockNodeRegistry
/// @notice Tests only: an INodeRegistry whose nodes, activity, keys and bonds are set directly.
/// `slash` takes `bps` of bond + unbonding (like the real registry) and transfers it to the caller,
/// which must be the slasher fixed with `setSlasher`. Bond tokens must be funded to this contract.
/// @dev Implements only the INodeRegistry functions PaymentChannel calls (not `is INodeRegistry`, so
/// that extensions of the interface do not break it).
contract MockNodeRegistry {
    using SafeERC20 for IERC20;

    error MockNodeRegistryUnauthorized(address caller);

    IERC20 public immutable TOKEN;
    address public slasher;
    uint256 public nodeCount;
    mapping(uint256 nodeId => INodeRegistry.Node) private _nodes;
    mapping(address nodeKey => uint256 nodeId) private _nodeIdOf;
    mapping(uint256 nodeId => bool) public inactive;
    mapping(address nodeKey => uint64 blockNumber) public keyRetiredAtBlock;
    uint256 public slashedOwed;

    constructor(IERC20 token) {
        TOKEN = token;
    }

    function setSlasher(address slasher_) external {
        slasher = slasher_;
    }

    /// @notice Registers a node with `bond` (the caller must have funded this contract with it).
    function register(address nodeKey, address operator, uint256 bond) external returns (uint256 nodeId) {
        nodeId = ++nodeCount;
        INodeRegistry.Node storage n = _nodes[nodeId];
        n.nodeKey = nodeKey;
        n.operator = operator;
        n.registeredAt = uint64(block.timestamp);
        n.status = INodeRegistry.NodeStatus.Registered;
        n.capacityMbps = 100;
        n.bond = bond;
        _nodeIdOf[nodeKey] = nodeId;
    }

    function setActive(uint256 nodeId, bool active) external {
        inactive[nodeId] = !active;
    }

    /// @notice Rotates the node key; the old key keeps its mapping (as in the real registry).
    function rotateKey(uint256 nodeId, address newKey) external {
        keyRetiredAtBlock[_nodes[nodeId].nodeKey] = uint64(block.number);
        _nodes[nodeId].nodeKey = newKey;
        _nodeIdOf[newKey] = nodeId;
    }

    /// @notice Changes the operator (to show that channels keep the operator snapshotted at open).
    function setOperator(uint256 nodeId, address operator) external {
        _nodes[nodeId].operator = operator;
    }

    /// @notice Starts exiting: the whole bond moves to unbonding (still slashable).
    function startUnbonding(uint256 nodeId, uint64 endsAt) external {
        INodeRegistry.Node storage n = _nodes[nodeId];
        n.unbonding += n.bond;
        n.bond = 0;
        n.unbondingEndsAt = endsAt;
        n.status = INodeRegistry.NodeStatus.Exiting;
    }

    function isActive(address nodeKey) public view returns (bool) {
        uint256 nodeId = _nodeIdOf[nodeKey];
        if (nodeId == 0) return false;
        INodeRegistry.Node storage n = _nodes[nodeId];
        return n.nodeKey == nodeKey && n.status == INodeRegistry.NodeStatus.Registered && !inactive[nodeId];
    }

    function activeNodeOf(address nodeKey) external view returns (uint256 nodeId, address operator) {
        if (!isActive(nodeKey)) return (0, address(0));
        nodeId = _nodeIdOf[nodeKey];
        operator = _nodes[nodeId].operator;
    }

    function nodeIdOf(address nodeKey) external view returns (uint256) {
        return _nodeIdOf[nodeKey];
    }

    function operatorOf(address nodeKey) external view returns (address) {
        return _nodes[_nodeIdOf[nodeKey]].operator;
    }

    function nodeKeyOf(uint256 nodeId) external view returns (address) {
        return _nodes[nodeId].nodeKey;
    }

    function getNode(uint256 nodeId) external view returns (INodeRegistry.Node memory) {
        return _nodes[nodeId];
    }

    function slash(uint256 nodeId, uint256 bps) external returns (uint256 amount) {
        if (msg.sender != slasher) revert MockNodeRegistryUnauthorized(msg.sender);
        INodeRegistry.Node storage n = _nodes[nodeId];
        uint256 fromBond = (n.bond * bps) / 10_000;
        uint256 fromUnbonding = (n.unbonding * bps) / 10_000;
        n.bond -= fromBond;
        n.unbonding -= fromUnbonding;
        amount = fromBond + fromUnbonding;
        if (amount != 0 && !TOKEN.trySafeTransfer(msg.sender, amount)) slashedOwed += amount;
    }

    function collectSlashed() external returns (uint256 amount) {
        amount = slashedOwed;
        slashedOwed = 0;
        if (amount != 0) TOKEN.safeTransfer(slasher, amount);
    }
}
