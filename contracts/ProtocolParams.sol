// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IProtocolParams} from "./interfaces/IProtocolParams.sol";
import {BondCurve} from "./libraries/BondCurve.sol";
import {FeeMath} from "./libraries/FeeMath.sol";

/// @title ProtocolParams
/// @notice Every governable parameter of the protocol, bounded by hard constants.
/// @dev Rate-of-change rule (docs/governance.md): each parameter changes at most once per
/// `PARAM_COOLDOWN`; one change moves it by at most `max(current / 2, MIN_STEP)` where MIN_STEP is a
/// per-parameter hard step (so parameters that may be zero, like the protocol fee, can still move);
/// alpha moves by at most `MAX_ALPHA_STEP`, on a grid of `BOND_ALPHA_GRANULARITY`. The bond curve (k,
/// alpha, minBond) as a whole changes at most once per `CURVE_GRACE_PERIOD`; all curve changes made in
/// the same block (one proposal) are checked together against the curve before them, which may move
/// `requiredBond` at any declarable capacity by at most ±50 % (`_checkCurveStep`). A raised curve
/// binds already-registered nodes only after the grace period (see `requiredBondFor`).
contract ProtocolParams is IProtocolParams {
    using BondCurve for BondCurve.Curve;

    // ---- keys (the parameter's name as bytes32) ----
    /// @notice Key of the bond curve factor k (`bondK`).
    bytes32 public constant BOND_K = "bondK";
    /// @notice Key of the bond curve exponent alpha (`bondAlpha`).
    bytes32 public constant BOND_ALPHA = "bondAlpha";
    /// @notice Key of the minimum bond of any node (`minBond`).
    bytes32 public constant MIN_BOND = "minBond";
    /// @notice Key of the unbonding period (`unbondingPeriod`).
    bytes32 public constant UNBONDING_PERIOD = "unbondingPeriod";
    /// @notice Key of the payer-close dispute window (`disputeWindow`).
    bytes32 public constant DISPUTE_WINDOW = "disputeWindow";
    /// @notice Key of the blacklist compliance window (`complianceWindow`).
    bytes32 public constant COMPLIANCE_WINDOW = "complianceWindow";
    /// @notice Key of the slashing evidence max age (`evidenceMaxAge`).
    bytes32 public constant EVIDENCE_MAX_AGE = "evidenceMaxAge";
    /// @notice Key of the slashing commit–reveal window (`revealWindow`).
    bytes32 public constant REVEAL_WINDOW = "revealWindow";
    /// @notice Key of the protocol fee (`protocolFeeBps`).
    bytes32 public constant PROTOCOL_FEE_BPS = "protocolFeeBps";
    /// @notice Key of the minimum channel deposit (`minChannelDeposit`).
    bytes32 public constant MIN_CHANNEL_DEPOSIT = "minChannelDeposit";
    /// @notice Key of the blacklist slash share (`slashBps`).
    bytes32 public constant SLASH_BPS = "slashBps";
    /// @notice Key of the slasher reward share (`slasherRewardBps`).
    bytes32 public constant SLASHER_REWARD_BPS = "slasherRewardBps";

    // ---- hard bounds and steps (each parameter's row in `_row` puts them together with its unit) ----
    /// @notice Smallest bond k: 0.01 USDC per Mbps^alpha, in USDC base units.
    uint256 public constant MIN_BOND_K = 10_000;
    /// @notice Largest bond k: 1,000 USDC per Mbps^alpha, in USDC base units.
    uint256 public constant MAX_BOND_K = 1_000e6;
    /// @notice Smallest bond exponent alpha: 0.80, 1e18 fixed point. alpha ≤ 1 keeps the curve
    /// subadditive (splitting a node never lowers its bond); the grid keeps every alpha < 1 at least
    /// 0.01 below 1, so that rounding cannot undo that (docs/governance.md "Bond curve and Sybil splits").
    uint256 public constant MIN_BOND_ALPHA = 0.8e18;
    /// @notice Largest bond exponent alpha: 1.00 (linear), 1e18 fixed point.
    uint256 public constant MAX_BOND_ALPHA = 1e18;
    /// @notice Grid of alpha: 0.01, 1e18 fixed point.
    uint256 public constant BOND_ALPHA_GRANULARITY = 0.01e18;
    /// @notice Largest move of alpha in one change: 0.05, 1e18 fixed point.
    uint256 public constant MAX_ALPHA_STEP = 0.05e18;
    /// @notice Smallest minimum bond per node: 10 USDC, in USDC base units.
    uint256 public constant MIN_MIN_BOND = 10e6;
    /// @notice Largest minimum bond per node: 100,000 USDC, in USDC base units.
    uint256 public constant MAX_MIN_BOND = 100_000e6;
    /// @notice Shortest unbonding period: 7 days, in seconds (and ≥ evidence max age + reveal window).
    uint256 public constant MIN_UNBONDING_PERIOD = 7 days;
    /// @notice Longest unbonding period: 60 days, in seconds.
    uint256 public constant MAX_UNBONDING_PERIOD = 60 days;
    /// @notice Shortest payer-close dispute window: 12 hours, in seconds.
    uint256 public constant MIN_DISPUTE_WINDOW = 12 hours;
    /// @notice Longest payer-close dispute window: 7 days, in seconds.
    uint256 public constant MAX_DISPUTE_WINDOW = 7 days;
    /// @notice Shortest blacklist compliance window: 1 hour, in seconds (and > staleness bound +
    /// confirmation allowance).
    uint256 public constant MIN_COMPLIANCE_WINDOW = 1 hours;
    /// @notice Longest blacklist compliance window: 7 days, in seconds.
    uint256 public constant MAX_COMPLIANCE_WINDOW = 7 days;
    /// @notice Shortest slashing evidence max age (after the anchored time): 1 day, in seconds.
    uint256 public constant MIN_EVIDENCE_MAX_AGE = 1 days;
    /// @notice Longest slashing evidence max age: 14 days, in seconds.
    uint256 public constant MAX_EVIDENCE_MAX_AGE = 14 days;
    /// @notice Shortest slashing commit–reveal window: 1 hour, in seconds.
    uint256 public constant MIN_REVEAL_WINDOW = 1 hours;
    /// @notice Longest slashing commit–reveal window: 3 days, in seconds.
    uint256 public constant MAX_REVEAL_WINDOW = 3 days;
    /// @notice Smallest protocol fee to the treasury: 0, in basis points.
    uint256 public constant MIN_PROTOCOL_FEE_BPS = 0;
    /// @notice Largest protocol fee to the treasury: 20 % (hard cap), in basis points.
    uint256 public constant MAX_PROTOCOL_FEE_BPS = 2_000;
    /// @notice Smallest step of the protocol fee that one change may always take: 1 %, in basis points
    /// (so that the fee can leave 0).
    uint256 public constant PROTOCOL_FEE_MIN_STEP_BPS = 100;
    /// @notice Operator revenue share floor: 80 %, in basis points; a separate constant checked on its own.
    uint256 public constant OPERATOR_SHARE_FLOOR_BPS = 8_000;
    /// @notice Smallest minimum channel deposit: 0.1 USDC, in USDC base units.
    uint256 public constant MIN_MIN_CHANNEL_DEPOSIT = 100_000;
    /// @notice Largest minimum channel deposit: 100 USDC, in USDC base units.
    uint256 public constant MAX_MIN_CHANNEL_DEPOSIT = 100e6;
    /// @notice Smallest blacklist slash share of the bond: 5 %, in basis points.
    uint256 public constant MIN_SLASH_BPS = 500;
    /// @notice Largest blacklist slash share of the bond: 50 %, in basis points.
    uint256 public constant MAX_SLASH_BPS = 5_000;
    /// @notice Smallest slasher reward share of a slash: 0, in basis points.
    uint256 public constant MIN_SLASHER_REWARD_BPS = 0;
    /// @notice Largest slasher reward share of a slash: 50 %, in basis points.
    uint256 public constant MAX_SLASHER_REWARD_BPS = 5_000;
    /// @notice Smallest step of the slasher reward that one change may always take: 5 %, in basis
    /// points (so that the reward can leave 0).
    uint256 public constant SLASHER_REWARD_MIN_STEP_BPS = 500;
    /// @dev The row of a parameter whose changes are limited by ±50 % alone.
    uint256 private constant NO_MIN_STEP = 0;

    // ---- rate limits ----
    /// @notice One change per parameter per cooldown: 7 days, in seconds.
    uint256 public constant PARAM_COOLDOWN = 7 days;
    /// @notice A curve change binds existing nodes after this; also the curve's own cooldown: 14 days,
    /// in seconds.
    uint256 public constant CURVE_GRACE_PERIOD = 14 days;
    /// @notice Nodes stop serving after this long without a successful chain read: 30 minutes, in seconds.
    uint256 public constant CHAIN_STALENESS_BOUND = 30 minutes;
    /// @notice Allowance for a blacklist entry to be confirmed and seen by nodes: 10 minutes, in seconds.
    uint256 public constant CONFIRMATION_ALLOWANCE = 10 minutes;

    /// @notice The only writer (the DAO's timelock). Fixed at deployment.
    address public immutable TIMELOCK;

    /// @dev What a channel opening reads, in one slot (both bounded far below 2^128).
    struct ChannelTerms {
        uint128 minChannelDeposit;
        uint128 protocolFeeBps;
    }

    /// @dev Every value but the two in `_channelTerms`; `_value` and `_store` pick the place of a key.
    mapping(bytes32 key => uint256 value) private _values;
    ChannelTerms private _channelTerms;
    mapping(bytes32 key => uint64 timestamp) private _lastChangedAt;

    /// @dev The curve before the latest curve change (binding existing nodes during grace).
    BondCurve.Curve private _previousCurve;
    /// @dev When the latest curve change executed (0: never).
    uint64 private _curveChangedAt;
    /// @dev Bumped by every curve write (same slot as `_curveChangedAt`): a cache of `requiredBond`
    /// computed under version v is exact while the version is still v.
    uint64 private _curveVersion;

    modifier onlyTimelock() {
        if (msg.sender != TIMELOCK) revert ProtocolParamsUnauthorized(msg.sender);
        _;
    }

    constructor(address timelock) {
        TIMELOCK = timelock;
        _init(BOND_K, 1e6);
        _init(BOND_ALPHA, 1e18);
        _init(MIN_BOND, 100e6);
        _init(DISPUTE_WINDOW, 24 hours);
        _init(COMPLIANCE_WINDOW, 24 hours);
        _init(EVIDENCE_MAX_AGE, 3 days);
        _init(REVEAL_WINDOW, 1 days);
        _init(UNBONDING_PERIOD, 14 days);
        _init(PROTOCOL_FEE_BPS, 500);
        _init(MIN_CHANNEL_DEPOSIT, 1e6);
        _init(SLASH_BPS, 1_000);
        _init(SLASHER_REWARD_BPS, 5_000);
        _checkCrossConstraints();
        _previousCurve = bondCurve();
    }

    // ---------------------------------------------------------------- writes

    /// @inheritdoc IProtocolParams
    function setParameter(bytes32 key, uint256 value) external onlyTimelock {
        if (_isCurveKey(key)) {
            BondCurve.Curve memory curve = bondCurve();
            if (key == BOND_K) curve.k = value;
            else if (key == BOND_ALPHA) curve.alpha = value;
            else curve.minBond = value;
            _setBondCurve(curve);
        } else {
            _set(key, value, uint64(block.timestamp));
            _checkCrossConstraints();
        }
    }

    /// @inheritdoc IProtocolParams
    function setBondCurve(uint256 k, uint256 alpha, uint256 minBond_) external onlyTimelock {
        _setBondCurve(BondCurve.Curve({k: k, alpha: alpha, minBond: minBond_}));
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IProtocolParams
    function validateChange(bytes32 key, uint256 value, uint64 atTime) external view {
        (uint256 min, uint256 max) = _bounds(key);
        uint256 current = _value(key);
        _checkValue(key, current, value, min, max, _lastChangedAt[key], atTime);
        if (_isCurveKey(key)) {
            BondCurve.Curve memory curve = bondCurve();
            if (key == BOND_K) curve.k = value;
            else if (key == BOND_ALPHA) curve.alpha = value;
            else curve.minBond = value;
            // A later proposal starts a new curve window, measured against the curve in force then.
            if (_curveChangedAt != 0 && atTime < _curveChangedAt + CURVE_GRACE_PERIOD) {
                revert ProtocolParamsCurveCooldown(uint64(_curveChangedAt + CURVE_GRACE_PERIOD));
            }
            _checkCurveStep(bondCurve(), curve);
        } else {
            uint256 unbonding = key == UNBONDING_PERIOD ? value : _values[UNBONDING_PERIOD];
            uint256 evidence = key == EVIDENCE_MAX_AGE ? value : _values[EVIDENCE_MAX_AGE];
            uint256 reveal = key == REVEAL_WINDOW ? value : _values[REVEAL_WINDOW];
            uint256 compliance = key == COMPLIANCE_WINDOW ? value : _values[COMPLIANCE_WINDOW];
            uint256 fee = key == PROTOCOL_FEE_BPS ? value : _channelTerms.protocolFeeBps;
            _checkCross(unbonding, evidence, reveal, compliance, fee);
        }
    }

    /// @inheritdoc IProtocolParams
    function get(bytes32 key) public view returns (uint256) {
        _bounds(key); // reverts on unknown keys
        return _value(key);
    }

    /// @inheritdoc IProtocolParams
    function allParameters() external view returns (ParamInfo[] memory infos) {
        bytes32[12] memory keys = _keys();
        infos = new ParamInfo[](keys.length);
        for (uint256 i = 0; i < keys.length; ++i) {
            bytes32 key = keys[i];
            (uint256 min, uint256 max,, Unit unit) = _row(key);
            uint64 last = _lastChangedAt[key];
            uint64 next = last == 0 ? 0 : uint64(last + PARAM_COOLDOWN);
            if (_isCurveKey(key) && _curveChangedAt != 0) {
                uint64 curveNext = uint64(_curveChangedAt + CURVE_GRACE_PERIOD);
                if (curveNext > next) next = curveNext;
            }
            infos[i] = ParamInfo({
                key: key,
                value: _value(key),
                min: min,
                max: max,
                maxStep: _maxStep(key, _value(key)),
                lastChangedAt: last,
                nextChangeAt: next,
                unit: unit
            });
        }
    }

    /// @inheritdoc IProtocolParams
    function bondCurve() public view returns (BondCurve.Curve memory) {
        return BondCurve.Curve({k: _values[BOND_K], alpha: _values[BOND_ALPHA], minBond: _values[MIN_BOND]});
    }

    /// @notice The curve before the latest change (units as `bondCurve`), when the latest change executed
    /// and when it binds existing nodes (unix seconds, 0: never changed).
    function previousBondCurve() external view returns (BondCurve.Curve memory curve, uint64 changedAt, uint64 bindsAt) {
        curve = _previousCurve;
        changedAt = _curveChangedAt;
        bindsAt = _curveChangedAt == 0 ? 0 : uint64(_curveChangedAt + CURVE_GRACE_PERIOD);
    }

    /// @inheritdoc IProtocolParams
    function bondCurveVersion() external view returns (uint64 version, uint64 changedAt, uint64 bindsAt) {
        version = _curveVersion;
        changedAt = _curveChangedAt;
        bindsAt = changedAt == 0 ? 0 : uint64(changedAt + CURVE_GRACE_PERIOD);
    }

    /// @inheritdoc IProtocolParams
    function requiredBond(uint256 mbps) external view returns (uint256) {
        return bondCurve().requiredBond(mbps);
    }

    /// @inheritdoc IProtocolParams
    function requiredBondFor(uint256 mbps, uint64 registeredAt) external view returns (uint256) {
        uint256 current = bondCurve().requiredBond(mbps);
        // `<=`: a node registered in the block of the change (before it, in that block) gets the grace too.
        if (registeredAt <= _curveChangedAt && block.timestamp < _curveChangedAt + CURVE_GRACE_PERIOD) {
            uint256 previous = _previousCurve.requiredBond(mbps);
            return previous < current ? previous : current;
        }
        return current;
    }

    /// @inheritdoc IProtocolParams
    function bondK() external view returns (uint256) { return _values[BOND_K]; }
    /// @inheritdoc IProtocolParams
    function bondAlpha() external view returns (uint256) { return _values[BOND_ALPHA]; }
    /// @inheritdoc IProtocolParams
    function minBond() external view returns (uint256) { return _values[MIN_BOND]; }
    /// @inheritdoc IProtocolParams
    function unbondingPeriod() external view returns (uint256) { return _values[UNBONDING_PERIOD]; }
    /// @inheritdoc IProtocolParams
    function disputeWindow() external view returns (uint256) { return _values[DISPUTE_WINDOW]; }
    /// @inheritdoc IProtocolParams
    function complianceWindow() external view returns (uint256) { return _values[COMPLIANCE_WINDOW]; }
    /// @inheritdoc IProtocolParams
    function evidenceMaxAge() external view returns (uint256) { return _values[EVIDENCE_MAX_AGE]; }
    /// @inheritdoc IProtocolParams
    function revealWindow() external view returns (uint256) { return _values[REVEAL_WINDOW]; }
    /// @inheritdoc IProtocolParams
    function protocolFeeBps() external view returns (uint256) { return _channelTerms.protocolFeeBps; }
    /// @inheritdoc IProtocolParams
    function minChannelDeposit() external view returns (uint256) { return _channelTerms.minChannelDeposit; }

    /// @inheritdoc IProtocolParams
    function channelTerms() external view returns (uint256 minDeposit, uint256 feeBps) {
        ChannelTerms memory terms = _channelTerms;
        return (terms.minChannelDeposit, terms.protocolFeeBps);
    }
    /// @inheritdoc IProtocolParams
    function slashBps() external view returns (uint256) { return _values[SLASH_BPS]; }
    /// @inheritdoc IProtocolParams
    function slasherRewardBps() external view returns (uint256) { return _values[SLASHER_REWARD_BPS]; }

    /// @inheritdoc IProtocolParams
    function operatorShareBps() external view returns (uint256) {
        return FeeMath.BPS - _channelTerms.protocolFeeBps;
    }

    // ---------------------------------------------------------------- internals

    function _value(bytes32 key) private view returns (uint256) {
        if (key == MIN_CHANNEL_DEPOSIT) return _channelTerms.minChannelDeposit;
        if (key == PROTOCOL_FEE_BPS) return _channelTerms.protocolFeeBps;
        return _values[key];
    }

    /// @dev `value` is within the key's bounds (checked by every caller).
    function _store(bytes32 key, uint256 value) private {
        if (key == MIN_CHANNEL_DEPOSIT) _channelTerms.minChannelDeposit = uint128(value);
        else if (key == PROTOCOL_FEE_BPS) _channelTerms.protocolFeeBps = uint128(value);
        else _values[key] = value;
    }

    function _init(bytes32 key, uint256 value) private {
        (uint256 min, uint256 max) = _bounds(key);
        if (value < min) revert ProtocolParamsBelowMinimum(key, value, min);
        if (value > max) revert ProtocolParamsAboveMaximum(key, value, max);
        _store(key, value);
        emit ParameterUpdated(key, 0, value);
    }

    function _set(bytes32 key, uint256 value, uint64 nowTs) private {
        (uint256 min, uint256 max) = _bounds(key);
        uint256 current = _value(key);
        _checkValue(key, current, value, min, max, _lastChangedAt[key], nowTs);
        _store(key, value);
        _lastChangedAt[key] = nowTs;
        emit ParameterUpdated(key, current, value);
    }

    function _setBondCurve(BondCurve.Curve memory curve) private {
        uint64 nowTs = uint64(block.timestamp);
        if (_curveChangedAt != nowTs) {
            // A new curve window: anchor it at the curve in force now.
            if (_curveChangedAt != 0 && nowTs < _curveChangedAt + CURVE_GRACE_PERIOD) {
                revert ProtocolParamsCurveCooldown(uint64(_curveChangedAt + CURVE_GRACE_PERIOD));
            }
            _previousCurve = bondCurve();
            _curveChangedAt = nowTs;
        }
        ++_curveVersion;
        if (curve.k != _values[BOND_K]) _set(BOND_K, curve.k, nowTs);
        if (curve.alpha != _values[BOND_ALPHA]) _set(BOND_ALPHA, curve.alpha, nowTs);
        if (curve.minBond != _values[MIN_BOND]) _set(MIN_BOND, curve.minBond, nowTs);
        // Every change in this window together, against the anchor.
        _checkCurveStep(_previousCurve, curve);
        emit BondCurveUpdated(curve.k, curve.alpha, curve.minBond, uint64(nowTs + CURVE_GRACE_PERIOD));
    }

    function _checkValue(
        bytes32 key,
        uint256 current,
        uint256 value,
        uint256 min,
        uint256 max,
        uint64 lastChangedAt,
        uint64 atTime
    ) private pure {
        if (value < min) revert ProtocolParamsBelowMinimum(key, value, min);
        if (value > max) revert ProtocolParamsAboveMaximum(key, value, max);
        if (key == BOND_ALPHA && value % BOND_ALPHA_GRANULARITY != 0) {
            revert ProtocolParamsOffGrid(key, value, BOND_ALPHA_GRANULARITY);
        }
        if (lastChangedAt != 0 && atTime < lastChangedAt + PARAM_COOLDOWN) {
            revert ProtocolParamsCooldown(key, uint64(lastChangedAt + PARAM_COOLDOWN));
        }
        uint256 maxStep = _maxStep(key, current);
        uint256 delta = value > current ? value - current : current - value;
        if (delta > maxStep) revert ProtocolParamsStepTooLarge(key, current, value, maxStep);
    }

    /// @dev The ±50 % limit at every declarable capacity (`BondCurve.withinHalf` says why three
    /// checks cover the whole range; test/contracts/BondCurve.test.ts checks it over random curves).
    function _checkCurveStep(BondCurve.Curve memory anchor, BondCurve.Curve memory curve) private pure {
        (bool ok, uint256 mbps, uint256 before, uint256 next) = anchor.withinHalf(curve);
        if (!ok) revert ProtocolParamsCurveStepTooLarge(mbps, before, next);
    }

    function _checkCrossConstraints() private view {
        _checkCross(
            _values[UNBONDING_PERIOD],
            _values[EVIDENCE_MAX_AGE],
            _values[REVEAL_WINDOW],
            _values[COMPLIANCE_WINDOW],
            _channelTerms.protocolFeeBps
        );
    }

    function _checkCross(uint256 unbonding, uint256 evidence, uint256 reveal, uint256 compliance, uint256 feeBps)
        private
        pure
    {
        // A node must not be able to withdraw its bond before evidence against it can be revealed.
        if (unbonding < evidence + reveal) revert ProtocolParamsUnbondingTooShort(unbonding, evidence, reveal);
        // Nodes must see a blacklist entry (confirmed, within their staleness bound) before it binds.
        uint256 minCompliance = CHAIN_STALENESS_BOUND + CONFIRMATION_ALLOWANCE;
        if (compliance <= minCompliance) revert ProtocolParamsComplianceWindowTooShort(compliance, minCompliance + 1);
        // The operator-share floor is its own constant, checked independently of the fee cap.
        uint256 operatorShare = FeeMath.BPS - feeBps;
        if (operatorShare < OPERATOR_SHARE_FLOOR_BPS) {
            revert ProtocolParamsOperatorShareBelowFloor(operatorShare, OPERATOR_SHARE_FLOOR_BPS);
        }
    }

    /// @dev Largest move in one change: alpha by its fixed step; others by half the current value,
    /// or their hard minimum step so that small (or zero) values can still move.
    function _maxStep(bytes32 key, uint256 current) private pure returns (uint256) {
        (,, uint256 step,) = _row(key);
        if (key == BOND_ALPHA) return step;
        uint256 half = current / 2;
        return half > step ? half : step;
    }

    function _isCurveKey(bytes32 key) private pure returns (bool) {
        return key == BOND_K || key == BOND_ALPHA || key == MIN_BOND;
    }

    function _keys() private pure returns (bytes32[12] memory) {
        return [
            BOND_K,
            BOND_ALPHA,
            MIN_BOND,
            UNBONDING_PERIOD,
            DISPUTE_WINDOW,
            COMPLIANCE_WINDOW,
            EVIDENCE_MAX_AGE,
            REVEAL_WINDOW,
            PROTOCOL_FEE_BPS,
            MIN_CHANNEL_DEPOSIT,
            SLASH_BPS,
            SLASHER_REWARD_BPS
        ];
    }

    function _bounds(bytes32 key) private pure returns (uint256 min, uint256 max) {
        (min, max,,) = _row(key);
    }

    /// @dev One row per parameter: hard minimum, hard maximum, minimum step (for alpha: its fixed
    /// step) and the unit all three and the value are in.
    // prettier-ignore
    // solhint-disable max-line-length
    function _row(bytes32 key) private pure returns (uint256 min, uint256 max, uint256 step, Unit unit) {
        if (key == BOND_K)              return (MIN_BOND_K,              MAX_BOND_K,              NO_MIN_STEP,                 Unit.UsdcBaseUnits);
        if (key == BOND_ALPHA)          return (MIN_BOND_ALPHA,          MAX_BOND_ALPHA,          MAX_ALPHA_STEP,              Unit.Fixed18);
        if (key == MIN_BOND)            return (MIN_MIN_BOND,            MAX_MIN_BOND,            NO_MIN_STEP,                 Unit.UsdcBaseUnits);
        if (key == UNBONDING_PERIOD)    return (MIN_UNBONDING_PERIOD,    MAX_UNBONDING_PERIOD,    NO_MIN_STEP,                 Unit.Seconds);
        if (key == DISPUTE_WINDOW)      return (MIN_DISPUTE_WINDOW,      MAX_DISPUTE_WINDOW,      NO_MIN_STEP,                 Unit.Seconds);
        if (key == COMPLIANCE_WINDOW)   return (MIN_COMPLIANCE_WINDOW,   MAX_COMPLIANCE_WINDOW,   NO_MIN_STEP,                 Unit.Seconds);
        if (key == EVIDENCE_MAX_AGE)    return (MIN_EVIDENCE_MAX_AGE,    MAX_EVIDENCE_MAX_AGE,    NO_MIN_STEP,                 Unit.Seconds);
        if (key == REVEAL_WINDOW)       return (MIN_REVEAL_WINDOW,       MAX_REVEAL_WINDOW,       NO_MIN_STEP,                 Unit.Seconds);
        if (key == PROTOCOL_FEE_BPS)    return (MIN_PROTOCOL_FEE_BPS,    MAX_PROTOCOL_FEE_BPS,    PROTOCOL_FEE_MIN_STEP_BPS,   Unit.BasisPoints);
        if (key == MIN_CHANNEL_DEPOSIT) return (MIN_MIN_CHANNEL_DEPOSIT, MAX_MIN_CHANNEL_DEPOSIT, NO_MIN_STEP,                 Unit.UsdcBaseUnits);
        if (key == SLASH_BPS)           return (MIN_SLASH_BPS,           MAX_SLASH_BPS,           NO_MIN_STEP,                 Unit.BasisPoints);
        if (key == SLASHER_REWARD_BPS)  return (MIN_SLASHER_REWARD_BPS,  MAX_SLASHER_REWARD_BPS,  SLASHER_REWARD_MIN_STEP_BPS, Unit.BasisPoints);
        revert ProtocolParamsUnknownKey(key);
    }
    // solhint-enable max-line-length
}
