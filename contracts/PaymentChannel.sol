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

/// @title PaymentChannel
/// @notice Unidirectional USDC channels client → node with cumulative EIP-712 vouchers, a dispute
/// window with watchtower bounties, and blacklist slashing bound to channels. See IPaymentChannel.
/// @dev Every state-changing entry point is `nonReentrant` (transient-storage guard) and follows
/// checks-effects-interactions for payouts; deposits are measured by balance delta; payouts that a
/// recipient could block (USDC blacklist) fall back to a withdrawable credit. Storage of a channel
/// is three slots at open (four with a session key); amounts are uint88/uint96 (far above USDC's
/// total supply; SafeCast reverts rather than truncate) and times uint40.
contract PaymentChannel is IPaymentChannel, EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice EIP-712 `Voucher(bytes32 channelId,uint256 cumulativeAmount)` (agents/protocol/eip712.ts).
    bytes32 public constant VOUCHER_TYPEHASH = keccak256("Voucher(bytes32 channelId,uint256 cumulativeAmount)");
    /// @notice EIP-712 `WatchtowerAuth(address nodeKey,address beneficiary,uint16 maxBps)`.
    bytes32 public constant WATCHTOWER_AUTH_TYPEHASH =
        keccak256("WatchtowerAuth(address nodeKey,address beneficiary,uint16 maxBps)");
    /// @notice EIP-712 `ServeCommitment(bytes32 blobId,address client,bytes32 channelId,uint64 timestamp)`.
    bytes32 public constant SERVE_COMMITMENT_TYPEHASH =
        keccak256("ServeCommitment(bytes32 blobId,address client,bytes32 channelId,uint64 timestamp)");

    /// @inheritdoc IPaymentChannel
    uint16 public constant MAX_WATCHTOWER_BPS = 2_000;

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

    struct Channel {
        // slot 0
        address payer;
        uint88 deposit;
        ChannelStatus status;
        // slot 1
        address operator;
        uint96 paid;
        // slot 2
        address nodeKey;
        uint40 openedAt;
        uint40 closesAt;
        uint16 feeBps;
        // slot 3 (written only for a session key)
        address sessionKey;
        uint40 sessionExpiry;
    }

    struct EvidenceCommit {
        uint64 timestamp;
        uint64 blockNumber;
    }

    mapping(bytes32 channelId => Channel) private _channels;
    mapping(address account => uint256 amount) private _withdrawable;
    uint256 private _totalWithdrawable;
    mapping(bytes32 commitHash => EvidenceCommit) private _commits;
    /// @dev keccak256(abi.encode(nodeId, blobId, entryId)) => slashed.
    mapping(bytes32 slashKey => bool) private _slashed;

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
        returns (bytes32)
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
    ) external nonReentrant returns (bytes32) {
        _tryPermit(amount, permitDeadline, v, r, s);
        return _open(nodeKey, amount, voucherSigner, signerExpiry, nonce);
    }

    /// @inheritdoc IPaymentChannel
    function topUp(bytes32 channelId, uint256 amount) external nonReentrant {
        _topUp(channelId, amount);
    }

    /// @inheritdoc IPaymentChannel
    function topUpWithPermit(bytes32 channelId, uint256 amount, uint256 permitDeadline, uint8 v, bytes32 r, bytes32 s)
        external
        nonReentrant
    {
        _tryPermit(amount, permitDeadline, v, r, s);
        _topUp(channelId, amount);
    }

    // ================================================================== payee side

    /// @inheritdoc IPaymentChannel
    function claim(bytes32 channelId, uint256 cumulativeAmount, bytes calldata signature) external nonReentrant {
        Channel storage c = _existing(channelId);
        _requireVoucherPhase(channelId, c);
        _requirePayee(c);
        uint256 newPaid = _acceptVoucher(channelId, c, cumulativeAmount, signature);
        _pay(channelId, c, newPaid, address(0), 0);
    }

    /// @inheritdoc IPaymentChannel
    function closeByPayee(bytes32 channelId, uint256 cumulativeAmount, bytes calldata signature)
        external
        nonReentrant
    {
        Channel storage c = _existing(channelId);
        _requireVoucherPhase(channelId, c);
        _requirePayee(c);
        uint256 capped = cumulativeAmount < c.deposit ? cumulativeAmount : c.deposit;
        if (capped > c.paid) {
            uint256 newPaid = _acceptVoucher(channelId, c, cumulativeAmount, signature);
            _pay(channelId, c, newPaid, address(0), 0);
        }
        _close(channelId, c);
    }

    // ================================================================== payer close, dispute, settle

    /// @inheritdoc IPaymentChannel
    function closeByPayer(bytes32 channelId) external nonReentrant {
        Channel storage c = _existing(channelId);
        if (msg.sender != c.payer) revert PaymentChannelUnauthorized(msg.sender);
        if (c.status != ChannelStatus.Open) revert PaymentChannelWrongStatus(channelId, c.status);
        uint40 closesAt = SafeCast.toUint40(block.timestamp + PARAMS.disputeWindow());
        c.status = ChannelStatus.Closing;
        c.closesAt = closesAt;
        emit ChannelCloseStarted(channelId, closesAt);
    }

    /// @inheritdoc IPaymentChannel
    function dispute(
        bytes32 channelId,
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
        uint256 previous = c.paid;
        uint256 newPaid = _acceptVoucher(channelId, c, cumulativeAmount, signature);
        address beneficiary;
        uint256 bountyBps;
        if (authSignature.length != 0) {
            address signer = _recover(_watchtowerAuthDigest(auth), authSignature);
            if (signer != auth.nodeKey || auth.beneficiary == address(0)) {
                revert PaymentChannelInvalidWatchtowerAuth(signer, auth.nodeKey);
            }
            if (signer != c.nodeKey && signer != _currentNodeKey(c.nodeKey)) {
                revert PaymentChannelInvalidWatchtowerAuth(signer, auth.nodeKey);
            }
            beneficiary = auth.beneficiary;
            bountyBps = auth.maxBps < MAX_WATCHTOWER_BPS ? auth.maxBps : MAX_WATCHTOWER_BPS;
        }
        emit ChannelDisputed(channelId, msg.sender, newPaid, newPaid - previous);
        _pay(channelId, c, newPaid, beneficiary, bountyBps);
    }

    /// @inheritdoc IPaymentChannel
    function settle(bytes32 channelId) external nonReentrant {
        Channel storage c = _existing(channelId);
        if (c.status != ChannelStatus.Closing) revert PaymentChannelWrongStatus(channelId, c.status);
        if (block.timestamp <= c.closesAt) {
            revert PaymentChannelDisputeWindowRunning(c.closesAt, uint64(block.timestamp));
        }
        _close(channelId, c);
    }

    /// @inheritdoc IPaymentChannel
    function withdraw() external nonReentrant returns (uint256 amount) {
        amount = _withdrawable[msg.sender];
        if (amount == 0) revert PaymentChannelNothingToWithdraw(msg.sender);
        _withdrawable[msg.sender] = 0;
        _totalWithdrawable -= amount;
        emit Withdrawn(msg.sender, amount);
        TOKEN.safeTransfer(msg.sender, amount);
    }

    // ================================================================== slashing

    /// @inheritdoc IPaymentChannel
    function commitEvidence(bytes32 commitHash) external nonReentrant {
        if (_commits[commitHash].timestamp != 0) revert PaymentChannelEvidenceAlreadyCommitted(commitHash);
        _commits[commitHash] = EvidenceCommit({timestamp: uint64(block.timestamp), blockNumber: uint64(block.number)});
        emit EvidenceCommitted(commitHash, msg.sender);
    }

    /// @inheritdoc IPaymentChannel
    function revealEvidence(ServeCommitment calldata commitment, bytes calldata signature, bytes32 salt)
        external
        nonReentrant
        returns (uint256 amount)
    {
        (uint256 nodeId, uint64 entryId) = _checkEvidence(commitment, signature, salt);
        // Once per (node, entry).
        bytes32 slashKey = _slashKey(nodeId, commitment.blobId, entryId);
        if (_slashed[slashKey]) revert PaymentChannelAlreadySlashed(nodeId, entryId);
        _slashed[slashKey] = true;

        uint256 balanceBefore = TOKEN.balanceOf(address(this));
        REGISTRY.slash(nodeId, PARAMS.slashBps());
        amount = TOKEN.balanceOf(address(this)) - balanceBefore;
        if (amount == 0) revert PaymentChannelNothingSlashed(nodeId);
        uint256 reporterAmount = (amount * PARAMS.slasherRewardBps()) / FeeMath.BPS;
        emit NodeSlashed(
            nodeId,
            entryId,
            commitment.channelId,
            commitment.blobId,
            msg.sender,
            amount,
            reporterAmount,
            amount - reporterAmount
        );
        _push(msg.sender, reporterAmount);
        _push(TREASURY, amount - reporterAmount);
    }

    /// @dev Every validity rule of `revealEvidence` except once-per-(node, entry).
    function _checkEvidence(ServeCommitment calldata commitment, bytes calldata signature, bytes32 salt)
        private
        view
        returns (uint256 nodeId, uint64 entryId)
    {
        // 1. The caller committed to exactly this evidence, in an earlier block, recently enough.
        bytes32 commitHash = evidenceCommitHash(msg.sender, commitment, signature, salt);
        EvidenceCommit memory committed = _commits[commitHash];
        if (committed.timestamp == 0) revert PaymentChannelEvidenceNotCommitted(commitHash);
        if (block.number <= committed.blockNumber) revert PaymentChannelRevealTooEarly(committed.blockNumber);
        uint64 deadline = committed.timestamp + uint64(PARAMS.revealWindow());
        if (block.timestamp > deadline) revert PaymentChannelRevealWindowOver(deadline, uint64(block.timestamp));
        // 2. Committed within the evidence max age of the channel's opening.
        Channel storage c = _existing(commitment.channelId);
        uint64 openedAt = c.openedAt;
        deadline = openedAt + uint64(PARAMS.evidenceMaxAge());
        if (committed.timestamp > deadline) revert PaymentChannelEvidenceExpired(committed.timestamp, deadline);
        // 3. Signed by the channel's node key at opening, or the node's current key.
        address nodeKey = c.nodeKey;
        address signer = _recover(_serveCommitmentDigest(commitment), signature);
        nodeId = REGISTRY.nodeIdOf(nodeKey);
        if (signer != nodeKey && signer != REGISTRY.getNode(nodeId).nodeKey) {
            revert PaymentChannelEvidenceWrongSigner(signer);
        }
        // 4. Blacklisted now, and the channel opened at or after the entry took effect (the
        // commitment's own timestamp plays no part).
        IContentBlacklist.Entry memory entry = BLACKLIST.entryOf(commitment.blobId);
        if (!entry.listed || entry.entryId == 0) revert PaymentChannelBlobNotBlacklisted(commitment.blobId);
        if (openedAt < entry.effectiveAt) revert PaymentChannelOpenedBeforeEffective(openedAt, entry.effectiveAt);
        entryId = entry.entryId;
    }

    // ================================================================== views

    /// @inheritdoc IPaymentChannel
    function channelIdFor(address payer, address nodeKey, bytes32 nonce) public view returns (bytes32) {
        return keccak256(abi.encode(block.chainid, address(this), payer, nodeKey, nonce));
    }

    /// @inheritdoc IPaymentChannel
    function getChannels(bytes32[] calldata channelIds) external view returns (ChannelInfo[] memory infos) {
        infos = new ChannelInfo[](channelIds.length);
        for (uint256 i = 0; i < channelIds.length; ++i) {
            infos[i] = getChannel(channelIds[i]);
        }
    }

    /// @inheritdoc IPaymentChannel
    function getChannel(bytes32 channelId) public view returns (ChannelInfo memory info) {
        Channel storage c = _channels[channelId];
        if (c.payer == address(0)) return info;
        bool session = c.sessionKey != address(0);
        info = ChannelInfo({
            payer: c.payer,
            status: c.status,
            nodeKey: c.nodeKey,
            nodeId: REGISTRY.nodeIdOf(c.nodeKey),
            operator: c.operator,
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
    function balanceOf(bytes32 channelId) external view returns (uint256) {
        Channel storage c = _channels[channelId];
        if (c.status == ChannelStatus.Open || c.status == ChannelStatus.Closing) return c.deposit - c.paid;
        return 0;
    }

    /// @inheritdoc IPaymentChannel
    function withdrawable(address account) external view returns (uint256) {
        return _withdrawable[account];
    }

    /// @inheritdoc IPaymentChannel
    function totalWithdrawable() external view returns (uint256) {
        return _totalWithdrawable;
    }

    /// @inheritdoc IPaymentChannel
    function voucherDigest(bytes32 channelId, uint256 cumulativeAmount) public view returns (bytes32) {
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
    function evidenceCommittedAt(bytes32 commitHash) external view returns (uint64 timestamp, uint64 blockNumber) {
        EvidenceCommit memory committed = _commits[commitHash];
        return (committed.timestamp, committed.blockNumber);
    }

    /// @inheritdoc IPaymentChannel
    function isSlashed(uint256 nodeId, bytes32 blobId, uint64 entryId) external view returns (bool) {
        return _slashed[_slashKey(nodeId, blobId, entryId)];
    }

    // ================================================================== internals

    function _open(address nodeKey, uint256 amount, address voucherSigner, uint64 signerExpiry, bytes32 nonce)
        private
        returns (bytes32 channelId)
    {
        if (!REGISTRY.isActive(nodeKey)) revert PaymentChannelNodeNotActive(nodeKey);
        address operator = REGISTRY.operatorOf(nodeKey);
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
        }
        uint256 received = _pull(amount);
        uint256 minimum = PARAMS.minChannelDeposit();
        if (received < minimum) revert PaymentChannelDepositTooLow(received, minimum);
        uint16 feeBps = uint16(PARAMS.protocolFeeBps());

        c.payer = msg.sender;
        c.deposit = SafeCast.toUint88(received);
        c.status = ChannelStatus.Open;
        c.operator = operator;
        c.nodeKey = nodeKey;
        c.openedAt = uint40(block.timestamp);
        c.feeBps = feeBps;
        if (session) {
            c.sessionKey = voucherSigner;
            c.sessionExpiry = SafeCast.toUint40(signerExpiry);
        }
        _emitOpened(channelId, c);
    }

    function _emitOpened(bytes32 channelId, Channel storage c) private {
        address sessionKey = c.sessionKey;
        emit ChannelOpened(
            channelId,
            c.payer,
            REGISTRY.nodeIdOf(c.nodeKey),
            c.nodeKey,
            c.operator,
            sessionKey == address(0) ? c.payer : sessionKey,
            c.sessionExpiry,
            c.feeBps,
            c.deposit
        );
    }

    function _topUp(bytes32 channelId, uint256 amount) private {
        Channel storage c = _existing(channelId);
        if (msg.sender != c.payer) revert PaymentChannelUnauthorized(msg.sender);
        if (c.status != ChannelStatus.Open) revert PaymentChannelWrongStatus(channelId, c.status);
        uint256 received = _pull(amount);
        if (received == 0) revert PaymentChannelZeroAmount();
        uint256 deposit = c.deposit + received;
        c.deposit = SafeCast.toUint88(deposit);
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
    function _acceptVoucher(bytes32 channelId, Channel storage c, uint256 cumulativeAmount, bytes calldata signature)
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

    /// @dev Pays the payee side from `c.paid` up to `newPaid`; `bountyBps` of the increment goes to
    /// `beneficiary`, out of the operator's share. The fee is computed on cumulative amounts.
    function _pay(bytes32 channelId, Channel storage c, uint256 newPaid, address beneficiary, uint256 bountyBps)
        private
    {
        uint256 previous = c.paid;
        (uint256 operatorAmount, uint256 feeAmount) = FeeMath.splitIncrement(previous, newPaid, c.feeBps);
        uint256 bounty = ((newPaid - previous) * bountyBps) / FeeMath.BPS;
        // Cannot trigger with fee ≤ 20 % and bounty ≤ 20 %; kept so the split can never underflow.
        if (bounty > operatorAmount) bounty = operatorAmount;
        operatorAmount -= bounty;
        c.paid = uint96(newPaid); // newPaid ≤ deposit < 2^88
        emit ChannelPaid(channelId, newPaid, operatorAmount, feeAmount, beneficiary, bounty);
        _push(c.operator, operatorAmount);
        _push(TREASURY, feeAmount);
        _push(beneficiary, bounty);
    }

    function _close(bytes32 channelId, Channel storage c) private {
        uint256 paid = c.paid;
        uint256 refund = c.deposit - paid;
        c.status = ChannelStatus.Closed;
        emit ChannelClosed(channelId, paid, refund);
        _push(c.payer, refund);
    }

    /// @dev Transfers, or credits a withdrawable balance when the transfer fails (blacklisted recipient).
    function _push(address to, uint256 amount) private {
        if (amount == 0) return;
        if (!TOKEN.trySafeTransfer(to, amount)) {
            _withdrawable[to] += amount;
            _totalWithdrawable += amount;
            emit PayoutDeferred(to, amount);
        }
    }

    function _existing(bytes32 channelId) private view returns (Channel storage c) {
        c = _channels[channelId];
        if (c.payer == address(0)) revert PaymentChannelUnknown(channelId);
    }

    /// @dev Vouchers are accepted while open, or while closing up to `closesAt` inclusive.
    function _requireVoucherPhase(bytes32 channelId, Channel storage c) private view {
        ChannelStatus status = c.status;
        if (status == ChannelStatus.Open) return;
        if (status != ChannelStatus.Closing) revert PaymentChannelWrongStatus(channelId, status);
        if (block.timestamp > c.closesAt) revert PaymentChannelDisputeWindowOver(c.closesAt, uint64(block.timestamp));
    }

    /// @dev The payee acts through the snapshotted operator, the node key at opening, or the current key.
    function _requirePayee(Channel storage c) private view {
        if (msg.sender == c.operator || msg.sender == c.nodeKey) return;
        if (msg.sender != _currentNodeKey(c.nodeKey)) revert PaymentChannelUnauthorized(msg.sender);
    }

    function _currentNodeKey(address keyAtOpen) private view returns (address) {
        return REGISTRY.getNode(REGISTRY.nodeIdOf(keyAtOpen)).nodeKey;
    }

    function _recover(bytes32 digest, bytes calldata signature) private pure returns (address signer) {
        ECDSA.RecoverError err;
        (signer, err,) = ECDSA.tryRecover(digest, signature);
        if (err != ECDSA.RecoverError.NoError) revert PaymentChannelInvalidSignature();
    }

    function _watchtowerAuthDigest(WatchtowerAuth calldata auth) private view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(abi.encode(WATCHTOWER_AUTH_TYPEHASH, auth.nodeKey, auth.beneficiary, auth.maxBps))
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
                    commitment.timestamp
                )
            )
        );
    }

    function _slashKey(uint256 nodeId, bytes32 blobId, uint64 entryId) private pure returns (bytes32) {
        return keccak256(abi.encode(nodeId, blobId, entryId));
    }
}
