// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IPaymentChannel} from "./interfaces/IPaymentChannel.sol";
import {IProtocolParams} from "./interfaces/IProtocolParams.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {IContentBlacklist} from "./interfaces/IContentBlacklist.sol";
import {FeeMath} from "./libraries/FeeMath.sol";
import {BlobId, ChannelId} from "./types/Ids.sol";

/// @title PaymentChannel
/// @notice Unidirectional USDC channels client → node with cumulative EIP-712 vouchers, a dispute
/// window with watchtower bounties, and blacklist slashing bound to channels. See IPaymentChannel.
/// @dev Every state-changing entry point is `nonReentrant` (transient-storage guard) and follows
/// checks-effects-interactions for payouts; deposits are measured by balance delta; payouts that a
/// recipient could block (USDC blacklist) fall back to a withdrawable credit. Storage of a channel
/// is two slots at open (three with a session key, see `Channel`); amounts are uint64 (18.4 trillion
/// USDC, far above its total supply; SafeCast reverts rather than truncate) and times uint40.
contract PaymentChannel is IPaymentChannel, EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice EIP-712 `Voucher(bytes32 channelId,uint256 cumulativeAmount)` (agents/protocol/eip712.ts).
    bytes32 public constant VOUCHER_TYPEHASH = keccak256("Voucher(bytes32 channelId,uint256 cumulativeAmount)");
    /// @notice EIP-712
    /// `WatchtowerAuth(uint256 nodeId,address watchtower,address beneficiary,uint16 maxBps,uint64 expiry)`.
    bytes32 public constant WATCHTOWER_AUTH_TYPEHASH = keccak256(
        "WatchtowerAuth(uint256 nodeId,address watchtower,address beneficiary,uint16 maxBps,uint64 expiry)"
    );
    /// @notice EIP-712 `ServeCommitment(bytes32 blobId,address client,bytes32 channelId,uint64 timestamp,
    /// uint64 anchorBlock,bytes32 anchorHash)`.
    bytes32 public constant SERVE_COMMITMENT_TYPEHASH = keccak256(
        "ServeCommitment(bytes32 blobId,address client,bytes32 channelId,uint64 timestamp,uint64 anchorBlock,bytes32 anchorHash)"
    );

    /// @inheritdoc IPaymentChannel
    uint16 public constant MAX_WATCHTOWER_BPS = 2_000;
    /// @inheritdoc IPaymentChannel
    uint16 public constant MIN_OPERATOR_SHARE_BPS = 8_000;

    /// @notice The payment token (USDC). Fixed at deployment.
    IERC20 public immutable TOKEN;
    /// @notice Governed parameters. Fixed at deployment.
    IProtocolParams public immutable PARAMS;
    /// @notice Node registry (identity, operator, bond, slash). Fixed at deployment.
    INodeRegistry public immutable REGISTRY;
    /// @notice Content blacklist. Fixed at deployment.
    IContentBlacklist public immutable BLACKLIST;
    /// @notice Receives protocol fees and the non-reporter part of slashes (the DAO timelock).
    address public immutable TREASURY;

    /// @dev Slot 0 never changes after open; slot 1 holds everything a top-up, claim, close, dispute
    /// or settle changes, so each of them writes one slot. The operator snapshotted at open is kept
    /// once per node (`NodeAccount`), not per channel: the registry fixes a node's operator at
    /// registration. A channel whose node reported another operator at open keeps its own (slot 3).
    struct Channel {
        // slot 0: fixed at open
        address payer;
        uint64 nodeId;
        uint16 feeBps;
        bool ownOperator;
        // slot 1: the state
        uint64 deposit;
        uint64 paid;
        uint40 openedAt;
        uint40 closeStartedAt;
        uint40 closesAt;
        ChannelStatus status;
        // slot 2 (written only for a session key)
        address sessionKey;
        uint40 sessionExpiry;
        // slot 3 (written only when `ownOperator`)
        address operator;
    }

    /// @dev The global totals a payout changes, in one slot so that a payout writes one global slot (the
    /// fee and the credit together) and not a transfer. Protocol fees owed to the treasury are
    /// `feesAccrued - feesWithdrawn`; both only grow, so the slot never returns to zero (a payout rewrites
    /// a live slot, 2.9k gas, instead of filling an empty one, 20k). `totalWithdrawable` is the sum of
    /// every withdrawable balance and node credit. The widths hold far more than USDC's total supply (uint80: 1.2e18 USDC
    /// of lifetime fees; SafeCast reverts rather than truncate).
    struct Ledger {
        uint80 feesAccrued;
        uint80 feesWithdrawn;
        uint96 totalWithdrawable;
    }

    /// @dev A node's recorded operator and that operator's credit from the node's channels, in one slot:
    /// a payout re-writes the slot its payee check already read (2.9k gas instead of a cold 5k). Only
    /// the recorded operator withdraws the credit (`withdrawNodeCredit`); the node key cannot.
    struct NodeAccount {
        address operator;
        uint96 credit;
    }

    struct EvidenceCommit {
        uint64 timestamp;
        uint64 blockNumber;
    }

    mapping(ChannelId channelId => Channel) private _channels;
    /// @dev The operator the registry reported for a node at the first opening of a channel to it, and its
    /// credit from the node's channels (those without `ownOperator`).
    mapping(uint256 nodeId => NodeAccount) private _nodeAccounts;
    mapping(address account => uint256 amount) private _withdrawable;
    /// @dev Reporter rewards of slashes not final yet (held here until `claimSlashReward`).
    uint256 private _pendingSlashRewards;
    Ledger private _ledger;
    mapping(bytes32 commitHash => EvidenceCommit) private _commits;
    /// @dev keccak256(abi.encode(nodeId, blobId, entryId)) => the slash and its pending reporter reward.
    mapping(bytes32 slashKey => SlashRecord) private _slashes;

    constructor(
        IERC20 token,
        IProtocolParams params,
        INodeRegistry registry,
        IContentBlacklist blacklist,
        address treasury
    ) EIP712("CdnPaymentChannel", "1") {
        if (
            address(token) == address(0) || address(params) == address(0) || address(registry) == address(0)
                || address(blacklist) == address(0) || treasury == address(0)
        ) revert PaymentChannelZeroAddress();
        TOKEN = token;
        PARAMS = params;
        REGISTRY = registry;
        BLACKLIST = blacklist;
        TREASURY = treasury;
    }

    // ================================================================== open / top up

    /// @inheritdoc IPaymentChannel
    function open(address nodeKey, uint256 amount, address voucherSigner, uint64 signerExpiry, bytes32 nonce)
        external
        nonReentrant
        returns (ChannelId)
    {
        return _open(nodeKey, amount, voucherSigner, signerExpiry, nonce);
    }

    /// @inheritdoc IPaymentChannel
    function openWithPermit(
        address nodeKey,
        uint256 amount,
        address voucherSigner,
        uint64 signerExpiry,
        bytes32 nonce,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant returns (ChannelId) {
        _tryPermit(amount, permitDeadline, v, r, s);
        return _open(nodeKey, amount, voucherSigner, signerExpiry, nonce);
    }

    /// @inheritdoc IPaymentChannel
    function topUp(ChannelId channelId, uint256 amount) external nonReentrant {
        _topUp(channelId, amount);
    }

    /// @inheritdoc IPaymentChannel
    function topUpWithPermit(ChannelId channelId, uint256 amount, uint256 permitDeadline, uint8 v, bytes32 r, bytes32 s)
        external
        nonReentrant
    {
        _tryPermit(amount, permitDeadline, v, r, s);
        _topUp(channelId, amount);
    }

    // ================================================================== payee side

    /// @inheritdoc IPaymentChannel
    function claim(ChannelId channelId, uint256 cumulativeAmount, bytes calldata signature) external nonReentrant {
        Channel storage c = _existing(channelId);
        _requireVoucherPhase(channelId, c);
        address operator = _requirePayee(c);
        uint256 newPaid = _acceptVoucher(channelId, c, cumulativeAmount, signature);
        _pay(channelId, c, operator, newPaid);
    }

    /// @inheritdoc IPaymentChannel
    function closeByPayee(ChannelId channelId, uint256 cumulativeAmount, bytes calldata signature)
        external
        nonReentrant
    {
        Channel storage c = _existing(channelId);
        _requireVoucherPhase(channelId, c);
        address operator = _requirePayee(c);
        uint256 deposit = c.deposit;
        uint256 paid = c.paid;
        if ((cumulativeAmount < deposit ? cumulativeAmount : deposit) > paid) {
            paid = _acceptVoucher(channelId, c, cumulativeAmount, signature);
            _pay(channelId, c, operator, paid);
        }
        _close(channelId, c, paid, deposit);
    }

    // ================================================================== payer close, dispute, settle

    /// @inheritdoc IPaymentChannel
    function closeByPayer(ChannelId channelId) external nonReentrant {
        Channel storage c = _existing(channelId);
        if (msg.sender != c.payer) revert PaymentChannelUnauthorized(msg.sender);
        if (c.status != ChannelStatus.Open) revert PaymentChannelWrongStatus(channelId, c.status);
        uint40 closesAt = SafeCast.toUint40(block.timestamp + PARAMS.disputeWindow());
        c.status = ChannelStatus.Closing;
        c.closeStartedAt = uint40(block.timestamp);
        c.closesAt = closesAt;
        emit ChannelCloseStarted(channelId, c.nodeId, closesAt);
    }

    /// @inheritdoc IPaymentChannel
    function dispute(
        ChannelId channelId,
        uint256 cumulativeAmount,
        bytes calldata signature,
        WatchtowerAuth calldata auth,
        bytes calldata authSignature
    ) external nonReentrant {
        Channel storage c = _existing(channelId);
        if (c.status != ChannelStatus.Closing) revert PaymentChannelWrongStatus(channelId, c.status);
        if (block.timestamp > c.closesAt) {
            revert PaymentChannelDisputeWindowOver(c.closesAt, uint64(block.timestamp));
        }
        uint256 newPaid = _acceptVoucher(channelId, c, cumulativeAmount, signature);
        address operator = _operatorOf(c);
        (address beneficiary, uint256 bountyBps) = _bounty(c, operator, auth, authSignature);
        _payDispute(channelId, c, operator, newPaid, beneficiary, bountyBps);
    }

    /// @inheritdoc IPaymentChannel
    function settle(ChannelId channelId) external nonReentrant {
        Channel storage c = _existing(channelId);
        if (c.status != ChannelStatus.Closing) revert PaymentChannelWrongStatus(channelId, c.status);
        if (block.timestamp <= c.closesAt) {
            revert PaymentChannelDisputeWindowRunning(c.closesAt, uint64(block.timestamp));
        }
        _close(channelId, c, c.paid, c.deposit);
    }

    /// @inheritdoc IPaymentChannel
    function withdraw() external nonReentrant returns (uint256 amount) {
        return _withdraw(msg.sender, 0);
    }

    /// @inheritdoc IPaymentChannel
    function withdrawNodeCredit(uint256 nodeId) external nonReentrant returns (uint256 amount) {
        NodeAccount storage account = _nodeAccounts[nodeId];
        address operator = account.operator;
        // A node without a channel has no recorded operator (zero), which no caller can be.
        if (msg.sender != operator) revert PaymentChannelNotNodeOperator(nodeId, msg.sender);
        uint256 credit = account.credit;
        if (credit != 0) {
            account.credit = 0;
            _ledger.totalWithdrawable -= uint96(credit); // ≤ the total, which fits uint96
            emit NodeCreditWithdrawn(nodeId, operator, credit);
        }
        return _withdraw(operator, credit);
    }

    /// @inheritdoc IPaymentChannel
    function withdrawTreasury() external nonReentrant returns (uint256 amount) {
        Ledger memory ledger = _ledger;
        uint256 owed = ledger.feesAccrued - ledger.feesWithdrawn;
        if (owed != 0) _ledger.feesWithdrawn = ledger.feesAccrued;
        return _withdraw(TREASURY, owed);
    }

    // ================================================================== slashing

    /// @inheritdoc IPaymentChannel
    function commitEvidence(bytes32 commitHash, uint64 anchorBlock) external nonReentrant {
        // The anchor is checked here, while its hash is still in the EVM's 256-block window: the
        // reveal then has the whole reveal window. The key binds the anchor the chain knows.
        bytes32 anchorHash = blockhash(anchorBlock);
        if (anchorHash == bytes32(0)) revert PaymentChannelAnchorUnavailable(anchorBlock, uint64(block.number));
        bytes32 key = evidenceCommitKey(commitHash, anchorBlock, anchorHash);
        if (_commits[key].timestamp != 0) revert PaymentChannelEvidenceAlreadyCommitted(key);
        _commits[key] = EvidenceCommit({timestamp: uint64(block.timestamp), blockNumber: uint64(block.number)});
        emit EvidenceCommitted(key, msg.sender);
    }

    /// @inheritdoc IPaymentChannel
    function revealEvidence(ServeCommitment calldata commitment, bytes calldata signature, bytes32 salt)
        external
        nonReentrant
        returns (uint256 amount)
    {
        (uint256 nodeId, uint64 entryId, EvidenceCommit memory committed) = _checkEvidence(commitment, signature, salt);
        bytes32 slashKey = _slashKey(nodeId, commitment.blobId, entryId);
        SlashRecord storage record = _slashes[slashKey];
        if (record.commitBlock != 0) {
            // Once per (node, entry); a reporter who committed in an earlier block than the one
            // rewarded takes the pending reward over (the first commit wins, not the first reveal)
            // until the reward is final (it is credited only after `finalAt`).
            if (block.timestamp > record.finalAt) revert PaymentChannelSlashRewardFinal(nodeId, entryId, record.finalAt);
            if (committed.blockNumber >= record.commitBlock) {
                revert PaymentChannelAlreadySlashed(nodeId, entryId, committed.blockNumber, record.commitBlock);
            }
            address previous = record.reporter;
            record.reporter = msg.sender;
            record.commitBlock = committed.blockNumber;
            emit SlashReporterReplaced(nodeId, entryId, previous, msg.sender, committed.blockNumber);
            return 0;
        }

        amount = _slash(record, nodeId, committed);
        emit NodeSlashed(
            nodeId,
            entryId,
            commitment.channelId,
            commitment.blobId,
            msg.sender,
            amount,
            record.reward,
            amount - record.reward
        );
    }

    /// @dev Takes the slash from the registry, records the pending reporter reward, credits the treasury.
    function _slash(SlashRecord storage record, uint256 nodeId, EvidenceCommit memory committed)
        private
        returns (uint256 amount)
    {
        uint256 balanceBefore = TOKEN.balanceOf(address(this));
        uint256 taken = REGISTRY.slash(nodeId, PARAMS.slashBps());
        amount = TOKEN.balanceOf(address(this)) - balanceBefore;
        // A paused token: the registry keeps what it took for this contract to collect later.
        if (amount == 0) amount = taken;
        if (amount == 0) revert PaymentChannelNothingSlashed(nodeId);
        uint256 reporterAmount = (amount * PARAMS.slasherRewardBps()) / FeeMath.BPS;
        record.reporter = msg.sender;
        record.commitBlock = committed.blockNumber;
        record.reward = SafeCast.toUint96(reporterAmount);
        _pendingSlashRewards += reporterAmount;
        // Any commit made before this reveal must itself be revealed within the reveal window of its
        // commit, which ends no later than this one's: after that the reward is final.
        record.finalAt = committed.timestamp + uint64(PARAMS.revealWindow());
        _credit(TREASURY, amount - reporterAmount);
    }

    /// @inheritdoc IPaymentChannel
    function claimSlashReward(uint256 nodeId, BlobId blobId, uint64 entryId)
        external
        nonReentrant
        returns (address reporter, uint256 amount)
    {
        SlashRecord storage record = _slashes[_slashKey(nodeId, blobId, entryId)];
        if (record.commitBlock == 0) revert PaymentChannelNotSlashed(nodeId, blobId, entryId);
        if (record.rewardPaid) {
            revert PaymentChannelSlashRewardAlreadyCredited(nodeId, entryId, record.reporter, record.reward);
        }
        if (block.timestamp <= record.finalAt) revert PaymentChannelSlashRewardNotFinal(record.finalAt);
        record.rewardPaid = true;
        reporter = record.reporter;
        amount = record.reward;
        _pendingSlashRewards -= amount;
        _credit(reporter, amount);
        emit SlashRewardCredited(nodeId, entryId, reporter, amount);
    }

    /// @dev Every validity rule of `revealEvidence` except once-per-(node, entry).
    function _checkEvidence(ServeCommitment calldata commitment, bytes calldata signature, bytes32 salt)
        private
        view
        returns (uint256 nodeId, uint64 entryId, EvidenceCommit memory committed)
    {
        // 1. The caller committed to exactly this evidence, with its anchor as the chain knew it (so the
        // node signed after the anchor block existed), in an earlier block, recently enough.
        bytes32 key = evidenceCommitKey(
            evidenceCommitHash(msg.sender, commitment, signature, salt), commitment.anchorBlock, commitment.anchorHash
        );
        committed = _commits[key];
        if (committed.timestamp == 0) revert PaymentChannelEvidenceNotCommitted(key);
        if (block.number <= committed.blockNumber) revert PaymentChannelRevealTooEarly(committed.blockNumber);
        uint64 deadline = committed.timestamp + uint64(PARAMS.revealWindow());
        if (block.timestamp > deadline) revert PaymentChannelRevealWindowOver(deadline, uint64(block.timestamp));
        // 2. The anchored time: no later than the commit, which came within the evidence max age of it.
        uint64 servedAt = commitment.timestamp;
        if (servedAt > committed.timestamp) revert PaymentChannelEvidenceFromTheFuture(servedAt, committed.timestamp);
        deadline = servedAt + uint64(PARAMS.evidenceMaxAge());
        if (committed.timestamp > deadline) revert PaymentChannelEvidenceExpired(committed.timestamp, deadline);
        // 3. Signed by a key of the channel's node that was not yet retired at the anchor block: a
        // rotation cannot escape a slash, and a retired (leaked) key cannot frame the node.
        nodeId = _existing(commitment.channelId).nodeId;
        address signer = _recover(_serveCommitmentDigest(commitment), signature);
        if (REGISTRY.nodeIdOf(signer) != nodeId) revert PaymentChannelEvidenceWrongSigner(signer);
        uint64 retiredAt = REGISTRY.keyRetiredAtBlock(signer);
        if (retiredAt != 0 && retiredAt <= commitment.anchorBlock) {
            revert PaymentChannelEvidenceKeyRetired(signer, retiredAt, commitment.anchorBlock);
        }
        // 4. Blacklisted now, and served at or after the entry took effect, on any channel old or new
        // (clients accept only a timestamp equal to the anchor block's, so it cannot be back-dated).
        IContentBlacklist.Entry memory entry = BLACKLIST.entryOf(commitment.blobId);
        if (entry.entryId == 0) revert PaymentChannelBlobNotBlacklisted(commitment.blobId);
        if (!entry.listed) revert PaymentChannelBlobDelisted(commitment.blobId, entry.entryId);
        if (servedAt < entry.effectiveAt) revert PaymentChannelServedBeforeEffective(servedAt, entry.effectiveAt);
        entryId = entry.entryId;
    }

    // ================================================================== views

    /// @inheritdoc IPaymentChannel
    function channelIdFor(address payer, address nodeKey, bytes32 nonce) public view returns (ChannelId) {
        return ChannelId.wrap(keccak256(abi.encode(block.chainid, address(this), payer, nodeKey, nonce)));
    }

    /// @inheritdoc IPaymentChannel
    function getChannels(ChannelId[] calldata channelIds) external view returns (ChannelInfo[] memory infos) {
        infos = new ChannelInfo[](channelIds.length);
        for (uint256 i = 0; i < channelIds.length; ++i) {
            infos[i] = getChannel(channelIds[i]);
        }
    }

    /// @inheritdoc IPaymentChannel
    function getChannel(ChannelId channelId) public view returns (ChannelInfo memory info) {
        Channel storage c = _channels[channelId];
        if (c.payer == address(0)) return info;
        bool session = c.sessionKey != address(0);
        info = ChannelInfo({
            payer: c.payer,
            status: c.status,
            nodeKey: REGISTRY.nodeKeyOf(c.nodeId),
            nodeId: c.nodeId,
            operator: _operatorOf(c),
            voucherSigner: session ? c.sessionKey : c.payer,
            signerExpiry: session ? c.sessionExpiry : 0,
            openedAt: c.openedAt,
            closesAt: c.closesAt,
            feeBps: c.feeBps,
            deposit: c.deposit,
            paid: c.paid
        });
    }

    /// @inheritdoc IPaymentChannel
    function bountyFrom(ChannelId channelId) external view returns (uint64) {
        Channel storage c = _existing(channelId);
        if (c.status != ChannelStatus.Closing) revert PaymentChannelWrongStatus(channelId, c.status);
        return _bountyFrom(c);
    }

    /// @inheritdoc IPaymentChannel
    function balanceOf(ChannelId channelId) external view returns (uint256) {
        Channel storage c = _channels[channelId];
        if (c.status == ChannelStatus.Open || c.status == ChannelStatus.Closing) return c.deposit - c.paid;
        return 0;
    }

    /// @inheritdoc IPaymentChannel
    function withdrawable(address account) external view returns (uint256) {
        return _withdrawable[account];
    }

    /// @inheritdoc IPaymentChannel
    function nodeCredit(uint256 nodeId) external view returns (address operator, uint256 credit) {
        NodeAccount memory account = _nodeAccounts[nodeId];
        return (account.operator, account.credit);
    }

    /// @inheritdoc IPaymentChannel
    function totalWithdrawable() external view returns (uint256) {
        return _ledger.totalWithdrawable;
    }

    /// @inheritdoc IPaymentChannel
    function pendingSlashRewards() external view returns (uint256) {
        return _pendingSlashRewards;
    }

    /// @inheritdoc IPaymentChannel
    function protocolFees() external view returns (uint256 accrued, uint256 owed) {
        Ledger memory ledger = _ledger;
        return (ledger.feesAccrued, ledger.feesAccrued - ledger.feesWithdrawn);
    }

    /// @inheritdoc IPaymentChannel
    function voucherDigest(ChannelId channelId, uint256 cumulativeAmount) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(VOUCHER_TYPEHASH, channelId, cumulativeAmount)));
    }

    /// @inheritdoc IPaymentChannel
    function watchtowerAuthDigest(WatchtowerAuth calldata auth) external view returns (bytes32) {
        return _watchtowerAuthDigest(auth);
    }

    /// @inheritdoc IPaymentChannel
    function serveCommitmentDigest(ServeCommitment calldata commitment) external view returns (bytes32) {
        return _serveCommitmentDigest(commitment);
    }

    /// @inheritdoc IPaymentChannel
    function evidenceCommitHash(
        address reporter,
        ServeCommitment calldata commitment,
        bytes calldata signature,
        bytes32 salt
    ) public pure returns (bytes32) {
        return keccak256(abi.encode(reporter, commitment, keccak256(signature), salt));
    }

    /// @inheritdoc IPaymentChannel
    function evidenceCommitKey(bytes32 commitHash, uint64 anchorBlock, bytes32 anchorHash)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(commitHash, anchorBlock, anchorHash));
    }

    /// @inheritdoc IPaymentChannel
    function evidenceCommittedAt(bytes32 commitKey) external view returns (uint64 timestamp, uint64 blockNumber) {
        EvidenceCommit memory committed = _commits[commitKey];
        return (committed.timestamp, committed.blockNumber);
    }

    /// @inheritdoc IPaymentChannel
    function isSlashed(uint256 nodeId, BlobId blobId, uint64 entryId) external view returns (bool) {
        return _slashes[_slashKey(nodeId, blobId, entryId)].commitBlock != 0;
    }

    /// @inheritdoc IPaymentChannel
    function slashRecord(uint256 nodeId, BlobId blobId, uint64 entryId) external view returns (SlashRecord memory) {
        return _slashes[_slashKey(nodeId, blobId, entryId)];
    }

    // ================================================================== internals

    function _open(address nodeKey, uint256 amount, address voucherSigner, uint64 signerExpiry, bytes32 nonce)
        private
        returns (ChannelId channelId)
    {
        (uint256 nodeId, address operator) = REGISTRY.activeNodeOf(nodeKey);
        if (nodeId == 0) revert PaymentChannelNodeNotActive(nodeKey);
        channelId = channelIdFor(msg.sender, nodeKey, nonce);
        Channel storage c = _channels[channelId];
        if (c.payer != address(0)) revert PaymentChannelAlreadyExists(channelId);
        // Neither the payer (always a valid voucher signer) nor a session key may be the payee.
        if (msg.sender == operator || msg.sender == nodeKey) revert PaymentChannelSignerIsPayee(msg.sender);
        bool session = voucherSigner != address(0) && voucherSigner != msg.sender;
        if (session) {
            if (voucherSigner == operator || voucherSigner == nodeKey) {
                revert PaymentChannelSignerIsPayee(voucherSigner);
            }
            if (signerExpiry <= block.timestamp) {
                revert PaymentChannelInvalidSignerExpiry(signerExpiry, uint64(block.timestamp));
            }
            c.sessionKey = voucherSigner;
            c.sessionExpiry = SafeCast.toUint40(signerExpiry);
        } else {
            (voucherSigner, signerExpiry) = (msg.sender, 0);
        }
        _record(c, nodeId, operator, _pull(amount));
        _emitOpened(channelId, c, nodeKey, operator, voucherSigner, signerExpiry);
    }

    /// @dev Writes a new channel's slots 0 and 1 (and the operator, see `Channel`) for a deposit `received`.
    function _record(Channel storage c, uint256 nodeId, address operator, uint256 received) private {
        (uint256 minimum, uint256 feeBps) = PARAMS.channelTerms();
        if (received < minimum) revert PaymentChannelDepositTooLow(received, minimum);
        c.payer = msg.sender;
        c.nodeId = SafeCast.toUint64(nodeId);
        c.feeBps = uint16(feeBps); // ≤ MAX_PROTOCOL_FEE_BPS
        c.deposit = SafeCast.toUint64(received);
        c.openedAt = uint40(block.timestamp);
        c.status = ChannelStatus.Open;
        NodeAccount storage account = _nodeAccounts[nodeId];
        address recorded = account.operator;
        if (recorded == address(0)) {
            account.operator = operator;
        } else if (recorded != operator) {
            c.ownOperator = true;
            c.operator = operator;
        }
    }

    function _emitOpened(
        ChannelId channelId,
        Channel storage c,
        address nodeKey,
        address operator,
        address signer,
        uint64 signerExpiry
    ) private {
        emit ChannelOpened(channelId, c.payer, c.nodeId, nodeKey, operator, signer, signerExpiry, c.feeBps, c.deposit);
    }

    function _topUp(ChannelId channelId, uint256 amount) private {
        Channel storage c = _existing(channelId);
        if (msg.sender != c.payer) revert PaymentChannelUnauthorized(msg.sender);
        if (c.status != ChannelStatus.Open) revert PaymentChannelWrongStatus(channelId, c.status);
        uint256 received = _pull(amount);
        if (received == 0) revert PaymentChannelZeroAmount();
        uint256 deposit = c.deposit + received;
        c.deposit = SafeCast.toUint64(deposit);
        emit ChannelToppedUp(channelId, received, deposit);
    }

    function _tryPermit(uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s) private {
        // A front-run permit (same signature, already used) reverts here; the allowance it set remains.
        try IERC20Permit(address(TOKEN)).permit(msg.sender, address(this), amount, deadline, v, r, s) {} catch {}
    }

    /// @dev Pulls `amount` from the caller; returns what actually arrived (balance delta).
    function _pull(uint256 amount) private returns (uint256 received) {
        uint256 before = TOKEN.balanceOf(address(this));
        TOKEN.safeTransferFrom(msg.sender, address(this), amount);
        received = TOKEN.balanceOf(address(this)) - before;
    }

    /// @dev Verifies a voucher for `channelId` and returns the new paid amount, capped at the deposit,
    /// which must exceed what was paid.
    function _acceptVoucher(ChannelId channelId, Channel storage c, uint256 cumulativeAmount, bytes calldata signature)
        private
        view
        returns (uint256 newPaid)
    {
        uint256 paid = c.paid;
        uint256 deposit = c.deposit;
        newPaid = cumulativeAmount < deposit ? cumulativeAmount : deposit;
        if (newPaid <= paid) revert PaymentChannelVoucherTooLow(cumulativeAmount, paid);
        address signer = _recover(voucherDigest(channelId, cumulativeAmount), signature);
        if (signer == c.payer) return newPaid;
        address sessionKey = c.sessionKey;
        if (sessionKey == address(0) || signer != sessionKey) revert PaymentChannelInvalidVoucherSigner(signer);
        uint40 expiry = c.sessionExpiry;
        if (block.timestamp > expiry) revert PaymentChannelSessionKeyExpired(signer, expiry);
    }

    /// @dev Pays the payee side from `c.paid` up to `newPaid` (claim, payee close).
    function _pay(ChannelId channelId, Channel storage c, address operator, uint256 newPaid) private {
        (uint256 operatorAmount, uint256 feeAmount,) = _recordPayment(channelId, c, newPaid, 0);
        _creditPayout(c, operator, operatorAmount, feeAmount);
    }

    /// @dev A dispute's payment: recorded, announced (`ChannelDisputed` after the state it reports), paid.
    function _payDispute(
        ChannelId channelId,
        Channel storage c,
        address operator,
        uint256 newPaid,
        address beneficiary,
        uint256 bountyBps
    ) private {
        uint256 recovered = newPaid - c.paid;
        (uint256 operatorAmount, uint256 feeAmount, uint256 bounty) = _recordPayment(channelId, c, newPaid, bountyBps);
        emit ChannelDisputed(channelId, c.nodeId, msg.sender, newPaid, recovered, beneficiary, bounty);
        _creditPayout(c, operator, operatorAmount, feeAmount);
        // The watchtower's bounty is transferred (credited if that fails).
        _push(beneficiary, bounty);
    }

    /// @dev Records a payment from `c.paid` up to `newPaid` and splits the increment: the fee (on
    /// cumulative amounts) for the treasury, `bountyBps` for a watchtower out of the operator's share,
    /// the rest for the operator. The caller then credits the operator and the fee, and pays the bounty.
    function _recordPayment(ChannelId channelId, Channel storage c, uint256 newPaid, uint256 bountyBps)
        private
        returns (uint256 operatorAmount, uint256 feeAmount, uint256 bounty)
    {
        uint256 previous = c.paid;
        (operatorAmount, feeAmount) = FeeMath.splitIncrement(previous, newPaid, c.feeBps);
        bounty = ((newPaid - previous) * bountyBps) / FeeMath.BPS;
        // Cannot trigger with fee ≤ 20 % and bounty ≤ 20 %; kept so the split can never underflow.
        if (bounty > operatorAmount) bounty = operatorAmount;
        operatorAmount -= bounty;
        c.paid = uint64(newPaid); // newPaid ≤ deposit < 2^64
        emit ChannelPaid(channelId, c.nodeId, newPaid, operatorAmount, feeAmount);
    }

    /// @dev Credits the operator's share (pull: it collects many payouts with one withdrawal, and a frozen
    /// operator blocks nothing) to the node's account, or to the operator's own balance for a channel with
    /// `ownOperator`, and accrues the fee for the treasury (`withdrawTreasury`): one write of the ledger
    /// slot for both totals.
    function _creditPayout(Channel storage c, address operator, uint256 operatorAmount, uint256 feeAmount) private {
        Ledger memory ledger = _ledger;
        ledger.feesAccrued = SafeCast.toUint80(ledger.feesAccrued + feeAmount);
        ledger.totalWithdrawable = SafeCast.toUint96(ledger.totalWithdrawable + operatorAmount);
        _ledger = ledger;
        if (operatorAmount == 0) return;
        if (c.ownOperator) {
            _withdrawable[operator] += operatorAmount;
        } else {
            NodeAccount storage account = _nodeAccounts[c.nodeId];
            account.credit = SafeCast.toUint96(account.credit + operatorAmount);
        }
    }

    /// @dev The bounty a dispute pays: none without an auth (which must then be valid, else the dispute
    /// reverts) or in the node's priority half of the window (a watchtower front-running the node's own
    /// claim or close earns nothing; the dispute still pays the node).
    function _bounty(Channel storage c, address operator, WatchtowerAuth calldata auth, bytes calldata authSignature)
        private
        view
        returns (address beneficiary, uint256 bountyBps)
    {
        if (authSignature.length == 0) return (address(0), 0);
        _checkWatchtowerAuth(c, operator, auth, authSignature);
        if (block.timestamp < _bountyFrom(c)) return (address(0), 0);
        // The operator keeps at least MIN_OPERATOR_SHARE_BPS of what the dispute recovers.
        uint256 cap = FeeMath.BPS - MIN_OPERATOR_SHARE_BPS - c.feeBps;
        return (auth.beneficiary, auth.maxBps < cap ? auth.maxBps : cap);
    }

    /// @dev Closes a channel that has `paid` of its `deposit` paid out (the caller read both).
    function _close(ChannelId channelId, Channel storage c, uint256 paid, uint256 deposit) private {
        uint256 refund = deposit - paid;
        c.status = ChannelStatus.Closed;
        emit ChannelClosed(channelId, c.nodeId, paid, refund);
        _push(c.payer, refund);
    }

    /// @dev Transfers, or credits a withdrawable balance when the transfer fails (blacklisted recipient).
    function _push(address to, uint256 amount) private {
        if (amount == 0) return;
        if (!TOKEN.trySafeTransfer(to, amount)) {
            _credit(to, amount);
            emit PayoutDeferred(to, amount);
        }
    }

    /// @dev Pays `account` its withdrawable balance plus `released` (the treasury's accrued protocol fees
    /// or a node's credit, already taken off its ledger by the caller).
    function _withdraw(address account, uint256 released) private returns (uint256 amount) {
        uint256 credited = _withdrawable[account];
        amount = credited + released;
        if (amount == 0) revert PaymentChannelNothingToWithdraw(account);
        if (credited != 0) {
            _withdrawable[account] = 0;
            _ledger.totalWithdrawable -= uint96(credited); // ≤ the total, which fits uint96
        }
        emit Withdrawn(account, amount);
        // Slashes taken while the token was paused are still held by the registry: collect them first,
        // so a withdrawal never spends channel deposits in their place.
        if (REGISTRY.slashedOwed() != 0) REGISTRY.collectSlashed();
        TOKEN.safeTransfer(account, amount);
    }

    /// @dev Credits a withdrawable balance without attempting a transfer.
    function _credit(address to, uint256 amount) private {
        if (amount == 0) return;
        _withdrawable[to] += amount;
        _ledger.totalWithdrawable = SafeCast.toUint96(_ledger.totalWithdrawable + amount);
    }

    function _existing(ChannelId channelId) private view returns (Channel storage c) {
        c = _channels[channelId];
        if (c.payer == address(0)) revert PaymentChannelUnknown(channelId);
    }

    /// @dev Vouchers are accepted while open, or while closing up to `closesAt` inclusive.
    function _requireVoucherPhase(ChannelId channelId, Channel storage c) private view {
        ChannelStatus status = c.status;
        if (status == ChannelStatus.Open) return;
        if (status != ChannelStatus.Closing) revert PaymentChannelWrongStatus(channelId, status);
        if (block.timestamp > c.closesAt) revert PaymentChannelDisputeWindowOver(c.closesAt, uint64(block.timestamp));
    }

    /// @dev The payee acts through the snapshotted operator or the node's current key (a key retired by
    /// a rotation, possibly leaked, has no power over any channel). Returns the operator.
    function _requirePayee(Channel storage c) private view returns (address operator) {
        operator = _operatorOf(c);
        if (msg.sender == operator) return operator;
        if (msg.sender != REGISTRY.nodeKeyOf(c.nodeId)) revert PaymentChannelUnauthorized(msg.sender);
    }

    /// @dev The operator snapshotted at open (see `Channel`).
    function _operatorOf(Channel storage c) private view returns (address) {
        return c.ownOperator ? c.operator : _nodeAccounts[c.nodeId].operator;
    }

    /// @dev A watchtower authorisation counts only for the watchtower it names (the submitter), for this
    /// channel's node, before its expiry, signed by the operator or the node's current key, and with a
    /// beneficiary that can hold a credit (not zero, not this contract).
    function _checkWatchtowerAuth(
        Channel storage c,
        address operator,
        WatchtowerAuth calldata auth,
        bytes calldata authSignature
    ) private view {
        if (msg.sender != auth.watchtower) revert PaymentChannelWatchtowerNotAuthorised(msg.sender, auth.watchtower);
        if (auth.nodeId != c.nodeId) revert PaymentChannelWatchtowerAuthWrongNode(auth.nodeId, c.nodeId);
        if (block.timestamp > auth.expiry) {
            revert PaymentChannelWatchtowerAuthExpired(auth.expiry, uint64(block.timestamp));
        }
        if (auth.beneficiary == address(0) || auth.beneficiary == address(this)) {
            revert PaymentChannelInvalidBeneficiary(auth.beneficiary);
        }
        address signer = _recover(_watchtowerAuthDigest(auth), authSignature);
        if (signer != operator && signer != REGISTRY.nodeKeyOf(c.nodeId)) {
            revert PaymentChannelInvalidWatchtowerAuth(signer);
        }
    }

    /// @dev Start of the second half of the dispute window, from which a watchtower earns a bounty.
    function _bountyFrom(Channel storage c) private view returns (uint64) {
        uint40 startedAt = c.closeStartedAt;
        return uint64(startedAt) + (uint64(c.closesAt) - startedAt + 1) / 2;
    }

    function _recover(bytes32 digest, bytes calldata signature) private pure returns (address signer) {
        ECDSA.RecoverError err;
        (signer, err,) = ECDSA.tryRecover(digest, signature);
        if (err != ECDSA.RecoverError.NoError) revert PaymentChannelInvalidSignature();
    }

    function _watchtowerAuthDigest(WatchtowerAuth calldata auth) private view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    WATCHTOWER_AUTH_TYPEHASH, auth.nodeId, auth.watchtower, auth.beneficiary, auth.maxBps, auth.expiry
                )
            )
        );
    }

    function _serveCommitmentDigest(ServeCommitment calldata commitment) private view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    SERVE_COMMITMENT_TYPEHASH,
                    commitment.blobId,
                    commitment.client,
                    commitment.channelId,
                    commitment.timestamp,
                    commitment.anchorBlock,
                    commitment.anchorHash
                )
            )
        );
    }

    function _slashKey(uint256 nodeId, BlobId blobId, uint64 entryId) private pure returns (bytes32) {
        return keccak256(abi.encode(nodeId, blobId, entryId));
    }
}
