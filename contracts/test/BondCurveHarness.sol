// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BondCurve} from "../libraries/BondCurve.sol";

/// @title BondCurveHarness
/// @notice Tests only: exposes the shared bond curve for arbitrary (k, alpha, minBond).
contract BondCurveHarness {
    function requiredBond(uint256 k, uint256 alpha, uint256 minBond, uint256 mbps) external pure returns (uint256) {
        return BondCurve.requiredBond(BondCurve.Curve({k: k, alpha: alpha, minBond: minBond}), mbps);
    }
}
