// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ud, convert} from "@prb/math/src/UD60x18.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title BondCurve
/// @notice `requiredBond(mbps) = max(minBond, k × mbps^alpha)`, in USDC base units.
/// @dev PRBMath's `pow` is accurate to ~1e-17 relative and may land just below the exact value
/// (100^1.5 → 999.999…). We add a relative margin of 1e-14 before rounding up, so the result is
/// never below the exact value and stays within 1e-9 (plus one base unit of rounding) of it (tested against a TypeScript
/// reference in test/contracts/BondCurve.test.ts).
library BondCurve {
    struct Curve {
        /// @dev USDC base units per Mbps^alpha.
        uint256 k;
        /// @dev Exponent, 1e18 fixed point.
        uint256 alpha;
        /// @dev Floor in USDC base units.
        uint256 minBond;
    }

    /// @dev Relative safety margin, 1e18 fixed point (1e-14), well above PRBMath's pow error (~1e-17).
    uint256 internal constant MARGIN = 1e4;

    function requiredBond(Curve memory curve, uint256 mbps) internal pure returns (uint256) {
        if (mbps == 0) return curve.minBond;
        uint256 power = convert(mbps).pow(ud(curve.alpha)).unwrap(); // mbps^alpha, 1e18 fixed point
        power += Math.mulDiv(power, MARGIN, 1e18, Math.Rounding.Ceil);
        uint256 bond = Math.mulDiv(curve.k, power, 1e18, Math.Rounding.Ceil);
        return bond > curve.minBond ? bond : curve.minBond;
    }
}
