// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BondCurve} from "../libraries/BondCurve.sol";

/// @title BondCurveHarness
/// @notice Tests only: exposes the shared bond curve for arbitrary (k, alpha, minBond).
contract BondCurveHarness {
    function requiredBond(uint256 k, uint256 alpha, uint256 minBond, uint256 mbps) external pure returns (uint256) {
        return BondCurve.requiredBond(BondCurve.Curve({k: k, alpha: alpha, minBond: minBond}), mbps);
    }

    /// @notice Sum of `requiredBond` over the parts of a split, in one call.
    function splitBond(uint256 k, uint256 alpha, uint256 minBond, uint256[] calldata parts)
        external
        pure
        returns (uint256 total)
    {
        BondCurve.Curve memory curve = BondCurve.Curve({k: k, alpha: alpha, minBond: minBond});
        for (uint256 i = 0; i < parts.length; ++i) {
            total += BondCurve.requiredBond(curve, parts[i]);
        }
    }

    /// @notice The whole-curve limit that ProtocolParams enforces on every curve change.
    function withinHalf(BondCurve.Curve calldata anchor, BondCurve.Curve calldata curve)
        external
        pure
        returns (bool ok, uint256 mbps, uint256 before, uint256 next)
    {
        return BondCurve.withinHalf(anchor, curve);
    }
}
