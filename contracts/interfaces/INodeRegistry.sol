// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title INodeRegistry
/// @notice Node identity and capacity bond (USDC). A node has a stable `nodeId` (never reused,
/// records never deleted) and a current node key (its libp2p secp256k1 identity); the operator
/// (transaction sender at registration) receives payouts and may rotate the key.
/// @dev Contract written by the registry issue; this interface is the contract between the
/// registry and its users (PaymentChannel, Slashing, agents). Extend it, don't break it.
/// Decisions (isActive rule, enumeration, slasher wiring, capacity changes) are in docs/registry.md.
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

    /// @notice What an operator declares at registration.
    struct Registration {
        /// @dev The node's libp2p secp256k1 identity as an Ethereum address; it signs `NodeRegistration`.
        address nodeKey;
        /// @dev Declared capacity, `MIN_CAPACITY_MBPS` … `MAX_CAPACITY_MBPS`.
        uint32 capacityMbps;
        /// @dev Region code (an off-chain convention; the gossip topic `/cdn/region/<region>/1`).
        uint16 region;
        /// @dev USDC base units per GiB delivered, at most `MAX_PRICE_PER_GIB`.
        uint256 pricePerGiB;
        /// @dev USDC base units pulled from the operator; must cover `requiredBond(capacityMbps)`.
        uint256 bond;
        /// @dev Unix time after which the node-key signature is void.
        uint256 deadline;
        /// @dev The node's uncompressed public key without the 0x04 prefix (64 bytes); hashes to `nodeKey`.
        bytes publicKey;
        /// @dev Where to dial the node (1 … `MAX_MULTIADDRS`, each ≤ `MAX_MULTIADDR_BYTES` bytes).
        string[] multiaddrs;
    }

    /// @notice An EIP-2612 permit for the USDC pulled in the same transaction.
    struct PermitData {
        uint256 value;
        uint256 deadline;
        uint8 v;
        bytes32 r;
        bytes32 s;
    }

    // ------------------------------------------------------------------ events

    /// @notice A node registered; the metadata (public key, multiaddrs) is published here only
    /// (the record stores its hash), so clients derive the PeerId and dial from chain data.
    event NodeRegistered(
        uint256 indexed nodeId,
        address indexed nodeKey,
        address indexed operator,
        uint32 capacityMbps,
        uint16 region,
        uint256 pricePerGiB,
        uint256 bond,
        bytes publicKey,
        string[] multiaddrs
    );
    /// @notice The operator rotated the node key; `oldNodeKey` stopped being valid in this transaction.
    event NodeKeyRotated(
        uint256 indexed nodeId,
        address indexed oldNodeKey,
        address indexed newNodeKey,
        bytes publicKey,
        string[] multiaddrs
    );
    /// @notice The node's multiaddrs changed (the public key is repeated so one event is enough to dial).
    event NodeMetadataUpdated(uint256 indexed nodeId, bytes32 metadataHash, bytes publicKey, string[] multiaddrs);
    /// @notice Price or region changed.
    event NodeOfferUpdated(uint256 indexed nodeId, uint256 pricePerGiB, uint16 region);
    /// @notice Declared capacity changed; `bondAnchorAt` is the time the bond curve is measured from.
    event NodeCapacityChanged(uint256 indexed nodeId, uint32 oldMbps, uint32 newMbps, uint64 bondAnchorAt);
    /// @notice `from` added `amount` to the node's active bond.
    event BondToppedUp(uint256 indexed nodeId, address indexed from, uint256 amount, uint256 newBond);
    /// @notice `amount` moved from active bond to unbonding; everything unbonding is withdrawable at `unbondingEndsAt`.
    event BondUnbonding(uint256 indexed nodeId, uint256 amount, uint256 totalUnbonding, uint64 unbondingEndsAt);
    /// @notice The node left the active set; its whole bond unbonds until `unbondingEndsAt`.
    event NodeDeregistered(uint256 indexed nodeId, uint64 unbondingEndsAt);
    /// @notice Unbonded USDC was paid to the operator.
    event BondWithdrawn(uint256 indexed nodeId, address indexed operator, uint256 amount);
    /// @notice The slashing contract took `amount` (`bps` of active + unbonding bond).
    event NodeSlashed(uint256 indexed nodeId, address indexed slasher, uint256 bps, uint256 amount);
    /// @notice The slashing contract was wired (once, at deployment).
    event SlasherInitialized(address indexed slasher);

    // ------------------------------------------------------------------ errors

    /// @notice `caller` is not the operator of `nodeId`.
    error NodeRegistryNotOperator(uint256 nodeId, address caller);
    /// @notice `caller` is not the slashing contract.
    error NodeRegistryNotSlasher(address caller);
    /// @notice `caller` is not the deployer, or the slasher is already wired (`current`).
    error NodeRegistrySlasherLocked(address caller, address current);
    /// @notice An address argument must not be zero.
    error NodeRegistryZeroAddress();
    /// @notice `initializeSlasher` accepts only a deployed contract; `slasher` has no code.
    error NodeRegistrySlasherNotContract(address slasher);
    /// @notice `nodeId` does not exist.
    error NodeRegistryUnknownNode(uint256 nodeId);
    /// @notice The action needs a node in status `expected`; it is in `actual`.
    error NodeRegistryWrongStatus(uint256 nodeId, NodeStatus actual, NodeStatus expected);
    /// @notice `nodeKey` is (or was) the key of node `nodeId`; a key identifies at most one node, ever.
    error NodeRegistryKeyAlreadyUsed(address nodeKey, uint256 nodeId);
    /// @notice The node-key signature recovers to `recovered`, not `nodeKey`.
    error NodeRegistryInvalidSignature(address nodeKey, address recovered);
    /// @notice The node-key signature expired at `deadline`.
    error NodeRegistrySignatureExpired(uint256 deadline, uint256 nowTs);
    /// @notice The public key must be 64 bytes (uncompressed, no prefix); it was `length`.
    error NodeRegistryBadPublicKeyLength(uint256 length);
    /// @notice The public key hashes to `derived`, not `nodeKey`.
    error NodeRegistryPublicKeyMismatch(address nodeKey, address derived);
    /// @notice 1 … `max` multiaddrs are required; `count` were given.
    error NodeRegistryBadMultiaddrCount(uint256 count, uint256 max);
    /// @notice Multiaddr `index` is `length` bytes long (empty or over `max`).
    error NodeRegistryBadMultiaddrLength(uint256 index, uint256 length, uint256 max);
    /// @notice Capacity `mbps` is outside `min` … `max`.
    error NodeRegistryCapacityOutOfBounds(uint256 mbps, uint256 min, uint256 max);
    /// @notice Price `price` is above `max`.
    error NodeRegistryPriceTooHigh(uint256 price, uint256 max);
    /// @notice The bond `bond` is below the `required` amount.
    error NodeRegistryBondTooLow(uint256 bond, uint256 required);
    /// @notice An amount must be positive.
    error NodeRegistryZeroAmount();
    /// @notice The unbonding bond is withdrawable only from `unbondingEndsAt`.
    error NodeRegistryStillUnbonding(uint256 nodeId, uint64 unbondingEndsAt);
    /// @notice Node `nodeId` has nothing unbonding.
    error NodeRegistryNothingToWithdraw(uint256 nodeId);
    /// @notice A slash share must be at most 10,000 bps; it was `bps`.
    error NodeRegistryBadSlashBps(uint256 bps);
    /// @notice The new capacity equals the current one.
    error NodeRegistryCapacityUnchanged(uint256 nodeId, uint32 mbps);

    // ------------------------------------------------------------------ writes

    /// @notice Registers the node `reg.nodeKey` operated by `msg.sender` and pulls `reg.bond` USDC
    /// (with a prior `approve`). `nodeSignature` is the node key's EIP-712 `NodeRegistration`
    /// signature over (operator = msg.sender, nodeKey, metadataHash, keyNonce(nodeKey), deadline).
    function register(Registration calldata reg, bytes calldata nodeSignature) external returns (uint256 nodeId);

    /// @notice As `register`, after an EIP-2612 permit for the bond; a permit that fails (for
    /// example because someone front-ran it) is ignored and the allowance is used as it stands.
    function registerWithPermit(Registration calldata reg, bytes calldata nodeSignature, PermitData calldata permit)
        external
        returns (uint256 nodeId);

    /// @notice Operator: replaces the node key. `signature` is the NEW key's EIP-712 `KeyRotation`
    /// signature over (nodeId, operator, newNodeKey, metadataHash, keyNonce(newNodeKey), deadline).
    /// The old key stops being valid at once (but keeps `nodeIdOf` for attributing evidence).
    function rotateNodeKey(
        uint256 nodeId,
        address newNodeKey,
        bytes calldata publicKey,
        string[] calldata multiaddrs,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /// @notice Operator: publishes new multiaddrs (the current public key is passed again to rebuild the hash).
    function updateMultiaddrs(uint256 nodeId, bytes calldata publicKey, string[] calldata multiaddrs) external;

    /// @notice Operator: sets price (USDC base units per GiB) and region.
    function updateOffer(uint256 nodeId, uint256 pricePerGiB, uint16 region) external;

    /// @notice Operator: changes the declared capacity. Raising needs bond ≥ the current curve's
    /// requirement and restarts the curve's grace anchor; lowering moves the bond above the current
    /// curve's requirement for the new capacity into unbonding.
    function setCapacity(uint256 nodeId, uint32 capacityMbps) external;

    /// @notice Adds `amount` USDC (pulled from `msg.sender`, anyone) to a registered node's active bond.
    function topUp(uint256 nodeId, uint256 amount) external;

    /// @notice As `topUp`, after an EIP-2612 permit (a failing permit is ignored).
    function topUpWithPermit(uint256 nodeId, uint256 amount, PermitData calldata permit) external;

    /// @notice Operator: moves `amount` of active bond above the current curve's requirement into unbonding.
    function unbond(uint256 nodeId, uint256 amount) external;

    /// @notice Operator: leaves the active set at once; the whole bond unbonds (still slashable).
    function deregister(uint256 nodeId) external;

    /// @notice Anyone: recomputes the bond requirement `isActive` keeps for a registered node, after a
    /// curve change (until then `isActive` computes the curve itself; the answer is the same).
    function refreshRequiredBond(uint256 nodeId) external;

    /// @notice Pays everything unbonding to the operator once `unbondingEndsAt` is reached
    /// (`block.timestamp >= unbondingEndsAt`); an exiting node becomes `Withdrawn`. Operator only.
    function withdraw(uint256 nodeId) external returns (uint256 amount);

    /// @notice Takes `bps` of the node's bond (active + unbonding) and transfers it to the caller.
    /// Callable only by the slashing contract fixed at deployment. If the transfer fails (a paused
    /// token) the slash stands and the amount is owed to the slasher (`collectSlashed`).
    function slash(uint256 nodeId, uint256 bps) external returns (uint256 amount);

    /// @notice Transfers everything owed to the slashing contract (slashes taken while the token was
    /// paused). Anyone may call; returns the amount (0 if nothing was owed).
    function collectSlashed() external returns (uint256 amount);

    /// @notice Slashed USDC still held here for the slashing contract.
    function slashedOwed() external view returns (uint256);

    /// @notice Deployer only, once, and only if the constructor got no slasher: wires the slashing
    /// contract (which must already be deployed: an address with code).
    function initializeSlasher(address slasher_) external;

    // ------------------------------------------------------------------ views

    /// @notice Whether `nodeKey` is the current key of a registered, non-exiting node whose bond
    /// covers the curve that binds it.
    function isActive(address nodeKey) external view returns (bool);

    /// @notice As `isActive`, by node id.
    function isActiveNode(uint256 nodeId) external view returns (bool);

    /// @notice `isActive`, `nodeIdOf` and `operatorOf` in one call (what a channel opening needs): the id
    /// and operator of the node whose current key is `nodeKey` if it is active, else (0, zero address).
    function activeNodeOf(address nodeKey) external view returns (uint256 nodeId, address operator);

    /// @notice The node a key belongs or belonged to (0 if never registered). Rotated-out keys keep
    /// their mapping so that evidence signed by them can be attributed.
    function nodeIdOf(address nodeKey) external view returns (uint256);

    /// @notice The current key of `nodeId` (zero if none): the only key, with the operator, that may act
    /// as the node's payee or sign its watchtower authorisations.
    function nodeKeyOf(uint256 nodeId) external view returns (address);

    /// @notice The block in which a rotation retired `nodeKey` (0 while it is current or was never used).
    /// Evidence signed by a retired key counts only if it is anchored to an earlier block.
    function keyRetiredAtBlock(address nodeKey) external view returns (uint64);

    /// @notice The full record of `nodeId`.
    function getNode(uint256 nodeId) external view returns (Node memory);

    /// @notice The record of the node whose key is or was `nodeKey` (nodeId 0 and an empty record if none).
    function nodeOf(address nodeKey) external view returns (uint256 nodeId, Node memory node);

    /// @notice The operator of the node whose key is or was `nodeKey` (zero if none).
    function operatorOf(address nodeKey) external view returns (address);

    /// @notice The nonce the next signature of `nodeKey` must carry.
    function keyNonce(address nodeKey) external view returns (uint256);

    /// @notice Number of nodes ever registered (ids are 1 … nodeCount).
    function nodeCount() external view returns (uint256);

    /// @notice Bond required to register (or raise to) `mbps` now: the current curve.
    function requiredBond(uint256 mbps) external view returns (uint256);

    /// @notice Bond that keeps `nodeId` active now (the curve that binds it, see isActive).
    function requiredBondOf(uint256 nodeId) external view returns (uint256);

    /// @notice The time the bond curve binding `nodeId` is measured from (registration or last capacity raise).
    function bondAnchorOf(uint256 nodeId) external view returns (uint64);

    /// @notice The block of the node's latest metadata event (NodeRegistered, NodeKeyRotated or
    /// NodeMetadataUpdated), so a client fetches its multiaddrs with one bounded `eth_getLogs`.
    function metadataBlockOf(uint256 nodeId) external view returns (uint64);

    /// @notice Active nodes among ids `startId` … `startId + maxScan - 1` (ids from 1), and the id
    /// to continue from (0 when the end was reached). Client bootstrap pages through this.
    function activeNodes(uint256 startId, uint256 maxScan)
        external
        view
        returns (uint256[] memory nodeIds, Node[] memory nodes, uint256 nextId);

    /// @notice keccak256(abi.encode(publicKey, multiaddrs)), the hash a node key signs and the record keeps.
    function metadataHashOf(bytes calldata publicKey, string[] calldata multiaddrs) external pure returns (bytes32);

    /// @notice The slashing contract (zero until wired).
    function slasher() external view returns (address);
}
