// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BondCurve} from "../libraries/BondCurve.sol";

/// @title IProtocolParams
/// @notice The single home of every governable protocol parameter. Every value has hard
/// `MIN_*`/`MAX_*` bounds in code, a per-parameter rate-of-change limit (one change per
/// `PARAM_COOLDOWN`, moving it by at most ±50 % or one hard step for small values), and the
/// bond curve as a whole is rate-limited too. Only the timelock writes.
interface IProtocolParams {
    /// @notice What a parameter's value, bounds and steps count.
    enum Unit {
        UsdcBaseUnits, // USDC base units (6 decimals); bondK: per Mbps^alpha
        Seconds,
        BasisPoints, // 10_000 = 100 %
        Fixed18 // 1e18 = 1.0
    }

    /// @notice One parameter with its value, hard bounds, rate-limit state and unit.
    struct ParamInfo {
        bytes32 key;
        uint256 value;
        uint256 min;
        uint256 max;
        /// @dev Largest allowed move from the current value in one change.
        uint256 maxStep;
        /// @dev Unix time of the last governance change, 0 if never changed.
        uint64 lastChangedAt;
        /// @dev Earliest unix time at which the next change may execute.
        uint64 nextChangeAt;
        /// @dev What `value`, `min`, `max` and `maxStep` count.
        Unit unit;
    }

    /// @notice Emitted for every change of a governed value (also at construction).
    event ParameterUpdated(bytes32 indexed key, uint256 oldValue, uint256 newValue);
    /// @notice Emitted when the bond curve changes; existing nodes are bound from `bindsAt`.
    event BondCurveUpdated(uint256 k, uint256 alpha, uint256 minBond, uint64 bindsAt);

    /// @notice The caller is not the timelock.
    error ProtocolParamsUnauthorized(address caller);
    /// @notice `key` names no parameter.
    error ProtocolParamsUnknownKey(bytes32 key);
    /// @notice `value` is below the hard minimum `min` of `key`.
    error ProtocolParamsBelowMinimum(bytes32 key, uint256 value, uint256 min);
    /// @notice `value` is above the hard maximum `max` of `key`.
    error ProtocolParamsAboveMaximum(bytes32 key, uint256 value, uint256 max);
    /// @notice Moving `key` from `current` to `value` exceeds the largest step `maxStep`.
    error ProtocolParamsStepTooLarge(bytes32 key, uint256 current, uint256 value, uint256 maxStep);
    /// @notice `key` changed too recently; the next change may execute at `nextChangeAt`.
    error ProtocolParamsCooldown(bytes32 key, uint64 nextChangeAt);
    /// @notice The bond curve changed too recently; the next change may execute at `nextChangeAt`.
    error ProtocolParamsCurveCooldown(uint64 nextChangeAt);
    /// @notice The new curve moves a part of the required bond (the floor when `mbps` is 0, else the
    /// power term `k × mbps^alpha`) from `anchorBond` to `newBond`, more than ±50 %.
    error ProtocolParamsCurveStepTooLarge(uint256 mbps, uint256 anchorBond, uint256 newBond);
    /// @notice `value` is not a multiple of `granularity` (alpha moves in steps of 0.01).
    error ProtocolParamsOffGrid(bytes32 key, uint256 value, uint256 granularity);
    /// @notice unbondingPeriod must be at least evidenceMaxAge + revealWindow.
    error ProtocolParamsUnbondingTooShort(uint256 unbondingPeriod, uint256 evidenceMaxAge, uint256 revealWindow);
    /// @notice The compliance window must exceed the nodes' staleness bound plus confirmation time.
    error ProtocolParamsComplianceWindowTooShort(uint256 complianceWindow, uint256 minimum);
    /// @notice The protocol fee would leave the operator less than the hard floor share.
    error ProtocolParamsOperatorShareBelowFloor(uint256 operatorShareBps, uint256 floorBps);

    /// @notice Sets one parameter (not the bond curve's k, alpha or minBond: use `setBondCurve`
    /// or the dedicated setters). Timelock only.
    function setParameter(bytes32 key, uint256 value) external;

    /// @notice Sets the whole bond curve at once. Timelock only.
    function setBondCurve(uint256 k, uint256 alpha, uint256 minBond) external;

    /// @notice Reverts with the error that `setParameter(key, value)` would raise if executed at `atTime`
    /// (curve keys included); returns normally when the change would be accepted.
    function validateChange(bytes32 key, uint256 value, uint64 atTime) external view;

    /// @notice Current value of `key`, in its unit (`allParameters` gives it).
    function get(bytes32 key) external view returns (uint256);

    /// @notice Every parameter with its bounds, rate-limit state (unix seconds) and unit, in one call.
    function allParameters() external view returns (ParamInfo[] memory);

    /// @notice The curve new registrations are measured against: k in USDC base units per Mbps^alpha,
    /// alpha in 1e18 fixed point, minBond in USDC base units.
    function bondCurve() external view returns (BondCurve.Curve memory);

    /// @notice The bond curve's version (bumped by every curve write), when the latest curve change
    /// executed (unix seconds, 0: never) and when it binds nodes registered before it (unix seconds,
    /// 0: never changed).
    /// A `requiredBond` computed under `version` stays exact while the version is unchanged.
    function bondCurveVersion() external view returns (uint64 version, uint64 changedAt, uint64 bindsAt);

    /// @notice Bond required for a new registration declaring `mbps` (megabits per second), USDC base units.
    function requiredBond(uint256 mbps) external view returns (uint256);

    /// @notice Bond required (USDC base units) from a node registered at `registeredAt` (unix seconds)
    /// declaring `mbps` (megabits per second): a raised curve binds existing nodes only after the grace
    /// period; a lowered one applies at once.
    function requiredBondFor(uint256 mbps, uint64 registeredAt) external view returns (uint256);

    /// @notice Bond curve factor k, USDC base units per Mbps^alpha.
    function bondK() external view returns (uint256);
    /// @notice Bond curve exponent alpha, 1e18 fixed point (1e18 = linear).
    function bondAlpha() external view returns (uint256);
    /// @notice Minimum bond of any node, USDC base units.
    function minBond() external view returns (uint256);
    /// @notice Time from deregistering or unbonding to withdrawal, seconds.
    function unbondingPeriod() external view returns (uint256);
    /// @notice Time the payee has to dispute a payer's close, seconds.
    function disputeWindow() external view returns (uint256);
    /// @notice Time from a blacklist listing to its effective time, seconds.
    function complianceWindow() external view returns (uint256);
    /// @notice Latest a serve commitment may be after its channel's opening to count as evidence, seconds.
    function evidenceMaxAge() external view returns (uint256);
    /// @notice Time after a slashing commitment within which it must be revealed, seconds.
    function revealWindow() external view returns (uint256);
    /// @notice Protocol fee on every payout, basis points.
    function protocolFeeBps() external view returns (uint256);
    /// @notice Smallest deposit a channel opens with, USDC base units.
    function minChannelDeposit() external view returns (uint256);
    /// @notice Operator share of every payout (10_000 − `protocolFeeBps`), basis points.
    function operatorShareBps() external view returns (uint256);
    /// @notice `minChannelDeposit` (USDC base units) and `protocolFeeBps` (basis points) in one call:
    /// what a channel opening reads.
    function channelTerms() external view returns (uint256 minDeposit, uint256 feeBps);
    /// @notice Share of a node's bond taken by one blacklist slash, basis points.
    function slashBps() external view returns (uint256);
    /// @notice Share of a slash paid to the reporter, basis points.
    function slasherRewardBps() external view returns (uint256);
}
