// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BlobId, ChannelId} from "../types/Ids.sol";

/// @title IPaymentChannel
/// @notice Unidirectional USDC payment channels client (payer) → node (payee), paid off-chain with
/// cumulative EIP-712 vouchers, plus slashing of nodes that served blacklisted content (its
/// evidence, a node-signed serve commitment, is bound to a channel).
///
/// Life of a channel:
/// - `open` (or `openWithPermit`) locks a deposit, names the node by its current (active) key and a
///   voucher signer: the payer itself, or a session key with an expiry (never the payee). The channel
///   snapshots the node's operator (payouts go there for the channel's whole life), the node key and
///   the protocol fee in force, and stores `openedAt`.
/// - `topUp` adds to the deposit while the channel is open.
/// - `claim` pays the payee up to a voucher without closing; `closeByPayee` does the same and closes at
///   once, refunding the rest to the payer.
/// - `closeByPayer` starts the dispute window (its length fixed at that moment). Until `closesAt`
///   (inclusive) anyone may `dispute` with a newer voucher and the payee may claim or close outright;
///   after it anyone may `settle`, refunding the payer what was not paid.
/// - Every payout splits into the operator share and the protocol fee, computed on cumulative amounts.
///   The fee accrues here for the treasury (`protocolFees`, `withdrawTreasury`) and the operator share
///   is credited to the node's credit (`nodeCredit`), which only the operator recorded for the node
///   withdraws (`withdrawNodeCredit`; one withdrawal collects many payouts): no token transfer to either
///   per payout. (A channel opened while the registry reported another operator than the recorded
///   one credits that operator's own balance instead, `withdraw`.) A dispute may
///   carry a `WatchtowerAuth` signed by the node (current key or operator) naming the submitting
///   watchtower: in the second half of the dispute window its beneficiary receives up to `maxBps` of
///   what that dispute recovered, taken from the operator's share, which never falls below
///   `MIN_OPERATOR_SHARE_BPS` of it (fee + bounty ≤ 20 %).
/// - Payee actions (claim, payee close) and watchtower authorisations accept only the snapshotted
///   operator and the node's current key: a key retired by a rotation has no power left.
/// - A transfer (payer refund, watchtower bounty) to an address that cannot receive (a USDC-blacklisted
///   one) is credited to a withdrawable balance instead of blocking the operation (`withdraw`).
///
/// Slashing: `commitEvidence(hash)` then, at least one block later and within the reveal window,
/// `revealEvidence(...)` with a `ServeCommitment` signed by a key of the channel's node. See
/// `revealEvidence` for the rules. The reporter's reward is final once no earlier commit can still be
/// revealed (`claimSlashReward`); the treasury's share is credited at once (`withdrawTreasury`).
interface IPaymentChannel {
    enum ChannelStatus {
        None,
        Open,
        Closing,
        Closed
    }

    /// @notice Everything known about a channel, as returned by `getChannel`.
    struct ChannelInfo {
        address payer;
        ChannelStatus status;
        /// @dev The node's current key (from the registry; the key named at open is in `ChannelOpened`).
        address nodeKey;
        /// @dev The node's stable id, stored at open.
        uint256 nodeId;
        /// @dev Operator snapshotted at open: receives the operator share for the channel's life.
        address operator;
        /// @dev The session key named at open (valid until `signerExpiry`), or the payer when none was
        /// named (`signerExpiry` 0). The payer's own signature is always valid too.
        address voucherSigner;
        /// @dev Unix seconds.
        uint64 signerExpiry;
        /// @dev Unix seconds.
        uint64 openedAt;
        /// @dev End of the dispute window (inclusive, unix seconds) once the payer started closing; 0 before.
        uint64 closesAt;
        /// @dev Protocol fee (basis points) snapshotted at open.
        uint16 feeBps;
        /// @dev USDC base units.
        uint256 deposit;
        /// @dev Cumulative amount paid out to the payee side (operator + treasury + bounties), USDC base units.
        uint256 paid;
    }

    /// @notice A node's authorisation for one watchtower (EIP-712 `WatchtowerAuth`): on node `nodeId`'s
    /// channels, disputes submitted by `watchtower` until `expiry` (inclusive) pay `beneficiary` up to
    /// `maxBps` of what they recover. Signed by the node's current key or its operator.
    struct WatchtowerAuth {
        uint256 nodeId;
        address watchtower;
        address beneficiary;
        uint16 maxBps;
        uint64 expiry;
    }

    /// @notice A slash of (node, blacklist entry) and its reporter reward, pending until `finalAt`.
    struct SlashRecord {
        /// @dev The reporter whose commit is the earliest revealed so far.
        address reporter;
        /// @dev Block of that reporter's commit (non-zero once slashed).
        uint64 commitBlock;
        /// @dev The reporter's reward (USDC base units).
        uint96 reward;
        /// @dev After this time the reward is final and `claimSlashReward` credits it.
        uint64 finalAt;
        bool rewardPaid;
    }

    /// @notice A node's commitment to serve a blob on a channel (EIP-712 `ServeCommitment`).
    struct ServeCommitment {
        BlobId blobId;
        address client;
        ChannelId channelId;
        /// @dev The anchor block's timestamp (clients accept no other value).
        uint64 timestamp;
        /// @dev A recent block the node saw (clients accept one within a few blocks of their head).
        uint64 anchorBlock;
        /// @dev That block's hash: proves the commitment was signed after the block existed.
        bytes32 anchorHash;
    }

    // ------------------------------------------------------------------ events

    /// @notice A channel was opened with `deposit` (the amount actually received).
    event ChannelOpened(
        ChannelId indexed channelId,
        address indexed payer,
        uint256 indexed nodeId,
        address nodeKey,
        address operator,
        address voucherSigner,
        uint64 signerExpiry,
        uint16 feeBps,
        uint256 deposit
    );
    /// @notice `amount` was added; the deposit is now `deposit`.
    event ChannelToppedUp(ChannelId indexed channelId, uint256 amount, uint256 deposit);
    /// @notice The payee side was paid up to `paid` (cumulative) by a claim, a payee close or a dispute:
    /// `operatorAmount` credited to the channel's operator (`nodeCredit` of `nodeId`, collected with
    /// `withdrawNodeCredit`), `feeAmount` accrued for the treasury (`withdrawTreasury`). A dispute's watchtower
    /// bounty, the rest of the increment, is in the `ChannelDisputed` that follows.
    event ChannelPaid(
        ChannelId indexed channelId, uint256 indexed nodeId, uint256 paid, uint256 operatorAmount, uint256 feeAmount
    );
    /// @notice The payer started closing; disputes are accepted until `closesAt` (inclusive).
    event ChannelCloseStarted(ChannelId indexed channelId, uint256 indexed nodeId, uint64 closesAt);
    /// @notice `submitter` disputed a payer close, recovering `recovered` for the payee side (paid in the
    /// `ChannelPaid` just before): `bounty` of it transferred to `beneficiary` (zero address and 0 without
    /// one; credited to it if the transfer fails: `PayoutDeferred`).
    event ChannelDisputed(
        ChannelId indexed channelId,
        uint256 indexed nodeId,
        address indexed submitter,
        uint256 paid,
        uint256 recovered,
        address beneficiary,
        uint256 bounty
    );
    /// @notice The channel closed with `paid` paid out and `refund` returned to the payer.
    event ChannelClosed(ChannelId indexed channelId, uint256 indexed nodeId, uint256 paid, uint256 refund);
    /// @notice A transfer of `amount` to `recipient` (a payer's refund, a watchtower's bounty) failed and
    /// was credited to its withdrawable balance. Operator payouts are always credited (`ChannelPaid`).
    event PayoutDeferred(address indexed recipient, uint256 amount);
    /// @notice `account` withdrew `amount`, its whole withdrawable balance (for the treasury, with the
    /// protocol fees accrued since its last withdrawal; for an operator's `withdrawNodeCredit`, with the
    /// node's credit, also announced by `NodeCreditWithdrawn`).
    event Withdrawn(address indexed account, uint256 amount);
    /// @notice `operator`, recorded for node `nodeId`, withdrew the node's credit `amount` (part of the
    /// `Withdrawn` that follows).
    event NodeCreditWithdrawn(uint256 indexed nodeId, address indexed operator, uint256 amount);
    /// @notice `reporter` committed to slashing evidence (`commitKey = evidenceCommitKey(...)`, hashes only).
    event EvidenceCommitted(bytes32 indexed commitKey, address indexed reporter);
    /// @notice Node `nodeId` was slashed `amount` for blacklist entry `entryId` on `channelId`.
    event NodeSlashed(
        uint256 indexed nodeId,
        uint64 indexed entryId,
        ChannelId indexed channelId,
        BlobId blobId,
        address reporter,
        uint256 amount,
        uint256 reporterAmount,
        uint256 treasuryAmount
    );
    /// @notice `reporter`, whose commit (in block `commitBlock`) is earlier, takes over the pending reward
    /// of the slash for (node, entry) from `previous`.
    event SlashReporterReplaced(
        uint256 indexed nodeId, uint64 indexed entryId, address previous, address reporter, uint64 commitBlock
    );
    /// @notice The final reporter reward of the slash for (node, entry) was credited to `reporter`.
    event SlashRewardCredited(uint256 indexed nodeId, uint64 indexed entryId, address indexed reporter, uint256 amount);

    // ------------------------------------------------------------------ errors

    /// @notice A constructor address is zero.
    error PaymentChannelZeroAddress();
    /// @notice The deposit received, `amount`, is below the minimum channel deposit `minimum`.
    error PaymentChannelDepositTooLow(uint256 amount, uint256 minimum);
    /// @notice A top-up received nothing.
    error PaymentChannelZeroAmount();
    /// @notice `nodeKey` is not the current key of an active node.
    error PaymentChannelNodeNotActive(address nodeKey);
    /// @notice The voucher signer (or the payer, when it signs itself) may not be the payee.
    error PaymentChannelSignerIsPayee(address signer);
    /// @notice A session key needs an expiry in the future; `expiry` is not.
    error PaymentChannelInvalidSignerExpiry(uint64 expiry, uint64 nowTs);
    /// @notice A channel with this id exists already (ids are never reused).
    error PaymentChannelAlreadyExists(ChannelId channelId);
    /// @notice No channel has this id.
    error PaymentChannelUnknown(ChannelId channelId);
    /// @notice The channel is in `status`, which does not allow this operation.
    error PaymentChannelWrongStatus(ChannelId channelId, ChannelStatus status);
    /// @notice `caller` may not do this on the channel.
    error PaymentChannelUnauthorized(address caller);
    /// @notice The voucher's signature recovers to `signer`, which is not a valid voucher signer.
    error PaymentChannelInvalidVoucherSigner(address signer);
    /// @notice The voucher was signed by the session key, which expired at `expiry`.
    error PaymentChannelSessionKeyExpired(address signer, uint64 expiry);
    /// @notice A signature is malformed or malleable.
    error PaymentChannelInvalidSignature();
    /// @notice The voucher's `amount` does not exceed the `paid` amount (after capping at the deposit).
    error PaymentChannelVoucherTooLow(uint256 amount, uint256 paid);
    /// @notice The dispute window ended at `closesAt`.
    error PaymentChannelDisputeWindowOver(uint64 closesAt, uint64 nowTs);
    /// @notice The dispute window is still running until `closesAt` (inclusive).
    error PaymentChannelDisputeWindowRunning(uint64 closesAt, uint64 nowTs);
    /// @notice The watchtower authorisation is signed by `signer`, neither the node's current key nor
    /// the channel's operator.
    error PaymentChannelInvalidWatchtowerAuth(address signer);
    /// @notice The watchtower authorisation names `watchtower`; only it may submit with it, not `submitter`.
    error PaymentChannelWatchtowerNotAuthorised(address submitter, address watchtower);
    /// @notice The watchtower authorisation is for node `authNodeId`, the channel's node is `nodeId`.
    error PaymentChannelWatchtowerAuthWrongNode(uint256 authNodeId, uint256 nodeId);
    /// @notice The watchtower authorisation expired at `expiry`.
    error PaymentChannelWatchtowerAuthExpired(uint64 expiry, uint64 nowTs);
    /// @notice A bounty beneficiary must be able to receive: not zero, not this contract.
    error PaymentChannelInvalidBeneficiary(address beneficiary);
    /// @notice Node `nodeId` was never slashed for blob `blobId` under blacklist entry `entryId`.
    error PaymentChannelNotSlashed(uint256 nodeId, BlobId blobId, uint64 entryId);
    /// @notice The reward of the slash of node `nodeId` for entry `entryId` was already credited:
    /// `amount` to `reporter` (who withdraws it with `withdraw`).
    error PaymentChannelSlashRewardAlreadyCredited(uint256 nodeId, uint64 entryId, address reporter, uint256 amount);
    /// @notice The reporter reward becomes final after `finalAt`.
    error PaymentChannelSlashRewardNotFinal(uint64 finalAt);
    /// @notice `account` has no withdrawable balance.
    error PaymentChannelNothingToWithdraw(address account);
    /// @notice `caller` is not the operator recorded for node `nodeId` (the registry's operator at the
    /// node's first channel), the only account that may withdraw the node's credit.
    error PaymentChannelNotNodeOperator(uint256 nodeId, address caller);
    /// @notice This commitment hash was already committed.
    error PaymentChannelEvidenceAlreadyCommitted(bytes32 commitHash);
    /// @notice No commitment by the caller matches the revealed evidence.
    error PaymentChannelEvidenceNotCommitted(bytes32 commitHash);
    /// @notice Reveal in the block of the commitment (must be a later block).
    error PaymentChannelRevealTooEarly(uint64 commitBlock);
    /// @notice The reveal window of the commitment ended at `deadline`.
    error PaymentChannelRevealWindowOver(uint64 deadline, uint64 nowTs);
    /// @notice The evidence was committed after the evidence max age of its anchored time (`deadline`).
    error PaymentChannelEvidenceExpired(uint64 committedAt, uint64 deadline);
    /// @notice The commitment's anchored time `servedAt` is after its own commit at `committedAt`.
    error PaymentChannelEvidenceFromTheFuture(uint64 servedAt, uint64 committedAt);
    /// @notice The anchor block `anchorBlock` is not among the 256 blocks before `currentBlock`.
    error PaymentChannelAnchorUnavailable(uint64 anchorBlock, uint64 currentBlock);
    /// @notice The serve commitment is signed by `signer`, which is not a key of the channel's node.
    error PaymentChannelEvidenceWrongSigner(address signer);
    /// @notice The serve commitment is signed by `signer`, a key of the channel's node that a rotation
    /// retired in block `retiredAtBlock`, at or before the commitment's anchor block `anchorBlock`.
    error PaymentChannelEvidenceKeyRetired(address signer, uint64 retiredAtBlock, uint64 anchorBlock);
    /// @notice The blob was never blacklisted.
    error PaymentChannelBlobNotBlacklisted(BlobId blobId);
    /// @notice The blob's blacklist entry `entryId` was removed: serving it is no longer slashable.
    error PaymentChannelBlobDelisted(BlobId blobId, uint64 entryId);
    /// @notice The commitment's anchored time `servedAt` is before the entry became effective at `effectiveAt`.
    error PaymentChannelServedBeforeEffective(uint64 servedAt, uint64 effectiveAt);
    /// @notice Node `nodeId` was already slashed for blacklist entry `entryId` on evidence committed in
    /// block `rewardedCommitBlock`; this evidence, committed in block `commitBlock`, is not earlier.
    error PaymentChannelAlreadySlashed(
        uint256 nodeId, uint64 entryId, uint64 commitBlock, uint64 rewardedCommitBlock
    );
    /// @notice Node `nodeId` was already slashed for blacklist entry `entryId` and its reward became
    /// final at `finalAt`: no later reveal changes who is rewarded.
    error PaymentChannelSlashRewardFinal(uint256 nodeId, uint64 entryId, uint64 finalAt);
    /// @notice The registry slashed nothing (no bond left).
    error PaymentChannelNothingSlashed(uint256 nodeId);

    // ------------------------------------------------------------------ channels

    /// @notice Opens a channel from the caller to the node whose current key is `nodeKey` (must be
    /// active), depositing `amount` (the amount received must be at least the minimum deposit).
    /// @param voucherSigner The payer itself (or zero), or a session key valid until `signerExpiry`
    /// (inclusive). The payer's own signature stays valid either way; a session key's vouchers must be
    /// redeemed before it expires.
    /// @param nonce Any value; the channel id is `channelIdFor(msg.sender, nodeKey, nonce)` and must be new.
    /// @return channelId The new channel's id.
    function open(address nodeKey, uint256 amount, address voucherSigner, uint64 signerExpiry, bytes32 nonce)
        external
        returns (ChannelId channelId);

    /// @notice `open` preceded by an EIP-2612 permit of the caller to this contract for exactly
    /// `amount`; a permit that fails (for instance because it was front-run and already used) is
    /// ignored, and the transfer then needs the allowance it set (or an earlier one).
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
    ) external returns (ChannelId channelId);

    /// @notice Adds `amount` to an open channel's deposit. Payer only.
    function topUp(ChannelId channelId, uint256 amount) external;

    /// @notice `topUp` preceded by an EIP-2612 permit (ignored if it fails and the allowance suffices).
    function topUpWithPermit(ChannelId channelId, uint256 amount, uint256 permitDeadline, uint8 v, bytes32 r, bytes32 s)
        external;

    /// @notice Pays the payee up to `min(cumulativeAmount, deposit)` without closing. Callable by the
    /// channel's operator or the node's current key, while open or within the dispute window.
    function claim(ChannelId channelId, uint256 cumulativeAmount, bytes calldata signature) external;

    /// @notice Pays the payee up to the voucher (if it is above what was paid; an empty signature
    /// submits none) and closes at once, refunding the rest to the payer. Same callers as `claim`,
    /// while open or within the dispute window.
    function closeByPayee(ChannelId channelId, uint256 cumulativeAmount, bytes calldata signature) external;

    /// @notice Starts the dispute window of an open channel. Payer only.
    function closeByPayer(ChannelId channelId) external;

    /// @notice Submits a newer voucher during the dispute window; anyone may call. If `authSignature`
    /// is not empty, `auth` must name the caller as its watchtower and the channel's node, be unexpired,
    /// have a beneficiary other than zero and this contract, and be signed by the node's current key
    /// or the channel's operator (else the dispute reverts). From `bountyFrom(channelId)` (the second
    /// half of the window; before it the node has priority and nothing is paid) `auth.beneficiary`
    /// receives `min(auth.maxBps, 10_000 − MIN_OPERATOR_SHARE_BPS − feeBps)` of the amount recovered,
    /// taken from the operator's share.
    function dispute(
        ChannelId channelId,
        uint256 cumulativeAmount,
        bytes calldata signature,
        WatchtowerAuth calldata auth,
        bytes calldata authSignature
    ) external;

    /// @notice Closes a channel whose dispute window is over, refunding the rest to the payer. Anyone.
    function settle(ChannelId channelId) external;

    /// @notice Transfers the caller's whole withdrawable balance to the caller. Only to the caller: an
    /// account the token issuer froze (USDC blacklist) must not redirect what it is owed elsewhere,
    /// which would evade the freeze; it withdraws once unfrozen, as its own USDC would move.
    function withdraw() external returns (uint256 amount);

    /// @notice Transfers node `nodeId`'s credit (the operator share of its channels' payouts) and the
    /// caller's own withdrawable balance to the caller, who must be the operator recorded for the node:
    /// no one else, the node's key included (a rotated or leaked key cannot redirect it). Reverts when
    /// both are zero.
    function withdrawNodeCredit(uint256 nodeId) external returns (uint256 amount);

    /// @notice Transfers to the treasury the protocol fees accrued since its last withdrawal and its
    /// withdrawable balance (slash shares). Anyone may call: the destination is fixed.
    function withdrawTreasury() external returns (uint256 amount);

    // ------------------------------------------------------------------ slashing

    /// @notice Commits to evidence: `commitHash = evidenceCommitHash(reporter, commitment, signature, salt)`
    /// and the commitment's `anchorBlock`, which must be one of the 256 blocks before this one (its hash
    /// is read now; only the block number is revealed). Stored under
    /// `evidenceCommitKey(commitHash, anchorBlock, blockhash(anchorBlock))`.
    function commitEvidence(bytes32 commitHash, uint64 anchorBlock) external;

    /// @notice Credits the final reporter reward of the slash for (node, entry) to its reporter
    /// (withdrawable), once `finalAt` has passed. Anyone may call.
    function claimSlashReward(uint256 nodeId, BlobId blobId, uint64 entryId)
        external
        returns (address reporter, uint256 amount);

    /// @notice Reveals committed evidence and slashes the node. Valid when: the caller committed it
    /// (with the anchor the chain knew) at least one block earlier and within the reveal window; the
    /// anchored time `commitment.timestamp` is not after the commit, and the commit came within the
    /// evidence max age of it; the channel exists and `signature` over `commitment` recovers to a key
    /// of the channel's node not retired at or before `anchorBlock`; the blob is blacklisted now and
    /// `timestamp ≥ effectiveAt` of its entry (any channel, old or new). At most one slash per (node,
    /// blacklist entry); an earlier commit revealed before `finalAt` takes the pending reward over.
    /// The node loses `slashBps` of its bond (active and unbonding); the reporter's reward is
    /// `slasherRewardBps` of it (pending, then `claimSlashReward`), the treasury's the rest (credited).
    function revealEvidence(ServeCommitment calldata commitment, bytes calldata signature, bytes32 salt)
        external
        returns (uint256 amount);

    // ------------------------------------------------------------------ views

    /// @notice Largest watchtower bounty, in basis points of the amount a dispute recovers (20 %); the
    /// bounty paid is further capped so that fee + bounty ≤ 10_000 − `MIN_OPERATOR_SHARE_BPS`.
    function MAX_WATCHTOWER_BPS() external view returns (uint16);

    /// @notice The operator's floor, in basis points of any payout, bounty and fee included (80 %).
    function MIN_OPERATOR_SHARE_BPS() external view returns (uint16);

    /// @notice For a closing channel: the first time (unix seconds) from which a watchtower dispute earns
    /// a bounty (the second half of the dispute window). Reverts unless the channel is closing.
    function bountyFrom(ChannelId channelId) external view returns (uint64);

    /// @notice The channel id `payer` gets by opening to `nodeKey` with `nonce` on this chain and contract.
    function channelIdFor(address payer, address nodeKey, bytes32 nonce) external view returns (ChannelId);

    /// @notice Everything about a channel (status None if unknown).
    function getChannel(ChannelId channelId) external view returns (ChannelInfo memory);

    /// @notice `getChannel` for many ids in one call (ids from `ChannelOpened` logs filtered by the
    /// indexed payer or node id).
    function getChannels(ChannelId[] calldata channelIds) external view returns (ChannelInfo[] memory);

    /// @notice Deposit minus paid of a channel that is not closed (0 once closed), USDC base units.
    function balanceOf(ChannelId channelId) external view returns (uint256);

    /// @notice Withdrawable balance of `account` (failed transfers, slash shares, operator payouts of
    /// channels with their own operator), USDC base units. Operators' payouts are in `nodeCredit`.
    function withdrawable(address account) external view returns (uint256);

    /// @notice The operator recorded for node `nodeId` (zero before its first channel) and the node's
    /// credit, USDC base units (the operator share of its channels' payouts; `withdrawNodeCredit`).
    function nodeCredit(uint256 nodeId) external view returns (address operator, uint256 credit);

    /// @notice Sum of all withdrawable balances and node credits, USDC base units.
    function totalWithdrawable() external view returns (uint256);

    /// @notice Sum of the reporter rewards of slashes that are not final yet, USDC base units.
    function pendingSlashRewards() external view returns (uint256);

    /// @notice Protocol fees, USDC base units: `accrued` by every payout since deployment, and `owed`
    /// to the treasury (accrued since its last `withdrawTreasury`, held by this contract).
    function protocolFees() external view returns (uint256 accrued, uint256 owed);

    /// @notice EIP-712 digest of `Voucher(channelId, cumulativeAmount)` in this contract's domain.
    function voucherDigest(ChannelId channelId, uint256 cumulativeAmount) external view returns (bytes32);

    /// @notice EIP-712 digest of a `WatchtowerAuth` in this contract's domain.
    function watchtowerAuthDigest(WatchtowerAuth calldata auth) external view returns (bytes32);

    /// @notice EIP-712 digest of a `ServeCommitment` in this contract's domain.
    function serveCommitmentDigest(ServeCommitment calldata commitment) external view returns (bytes32);

    /// @notice The hash a reporter commits to before revealing evidence.
    function evidenceCommitHash(
        address reporter,
        ServeCommitment calldata commitment,
        bytes calldata signature,
        bytes32 salt
    ) external pure returns (bytes32);

    /// @notice The key a commitment is stored under: the commit hash bound to the anchor the chain knew.
    function evidenceCommitKey(bytes32 commitHash, uint64 anchorBlock, bytes32 anchorHash)
        external
        pure
        returns (bytes32);

    /// @notice When `commitKey` was committed: unix seconds and block number (zeros if never).
    function evidenceCommittedAt(bytes32 commitKey) external view returns (uint64 timestamp, uint64 blockNumber);

    /// @notice Whether node `nodeId` was slashed for blacklist entry `entryId` of `blobId`.
    function isSlashed(uint256 nodeId, BlobId blobId, uint64 entryId) external view returns (bool);

    /// @notice The slash of node `nodeId` for entry `entryId` of `blobId` and its reporter reward (zeros if none).
    function slashRecord(uint256 nodeId, BlobId blobId, uint64 entryId) external view returns (SlashRecord memory);
}
