// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ud, convert} from "@prb/math/src/UD60x18.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title BondCurve
/// @notice `requiredBond(mbps) = max(minBond, k × mbps^alpha)`, in USDC base units, for a declared
/// capacity of `MIN_MBPS` … `MAX_MBPS`. Governance keeps alpha ≤ 1 (docs/governance.md "Bond
/// curve and Sybil splits"), which makes the curve subadditive: splitting a node never lowers the bond.
/// @dev alpha = 1 (the default) is computed exactly (`k × mbps`). For other exponents PRBMath's
/// `pow` is accurate to ~1e-17 relative and may land just below the exact value (100^1.5 → 999.999…);
/// we add a relative margin of 1e-14 before rounding up, so the result is never below the exact value
/// and stays within 1e-9 (plus one base unit of rounding) of it (tested against a TypeScript reference
/// in test/contracts/BondCurve.test.ts).
library BondCurve {
    struct Curve {
        /// @dev USDC base units per Mbps^alpha.
        uint256 k;
        /// @dev Exponent, 1e18 fixed point.
        uint256 alpha;
        /// @dev Floor in USDC base units.
        uint256 minBond;
    }

    /// @dev Declarable capacity, Mbps (the registry refuses anything outside).
    uint32 internal constant MIN_MBPS = 1;
    uint32 internal constant MAX_MBPS = 1_000_000;

    /// @dev Relative safety margin, 1e18 fixed point (1e-14), well above PRBMath's pow error (~1e-17).
    uint256 internal constant MARGIN = 1e4;
    uint256 private constant ONE = 1e18;

    function requiredBond(Curve memory curve, uint256 mbps) internal pure returns (uint256) {
        uint256 bond = powerTerm(curve, mbps);
        return bond > curve.minBond ? bond : curve.minBond;
    }

    /// @dev Whether `curve` stays within ±50 % of `anchor` at every declarable capacity, and if not,
    /// the first part that moves further (`mbps` 0: the floor) with its two values. With
    /// f = max(m, g), g(c) = k × c^alpha: if the floor m and the power term g each stay within
    /// ±50 % of the anchor's at every c, so does f (max is monotone). The floor is one number; the
    /// power terms' ratio R(c) = g'(c) / g(c) = (k'/k) × c^(alpha' − alpha) is monotone in c, so it
    /// lies between its values at `MIN_MBPS` and `MAX_MBPS`.
    /// Rounding: for alpha ≠ 1 the bond is the power term rounded up, and ceil(1.5 x) can exceed
    /// 1.5 × ceil(x) by half a unit (k × 1.5 at alpha 0.80 moved 229,785,121 to 344,677,682 at
    /// 282,630 Mbps), so the check compares the unrounded products: 2 g' ≤ 3 g − 1 (unrounded) is
    /// enough for 2 ceil(g') ≤ 3 ceil(g). We demand it at both ends, with `MARGIN` relative on top
    /// when the two alphas differ (room for PRBMath's pow error); R(c) + 1 / (2 g(c)) is convex in
    /// ln c (a sum of terms a × c^e), so it holds in between too. Downwards ceil(x / 2) ≥ ceil(x) / 2,
    /// so 2 g' ≥ g (plus the pow margin) suffices. With alpha = 1 on both sides the terms are exact
    /// integers and the comparison is exact.
    function withinHalf(Curve memory anchor, Curve memory curve)
        internal
        pure
        returns (bool ok, uint256 mbps, uint256 before, uint256 next)
    {
        // the floor: exact integers; at most +50 % and at most −50 %
        if (curve.minBond * 2 > anchor.minBond * 3 || curve.minBond * 2 < anchor.minBond) {
            return (false, 0, anchor.minBond, curve.minBond);
        }
        bool rounded = anchor.alpha != ONE || curve.alpha != ONE;
        // with one alpha both sides use the same power, so R is exactly k'/k and needs no pow margin
        bool twoPowers = anchor.alpha != curve.alpha;
        uint256[2] memory ends = [uint256(MIN_MBPS), MAX_MBPS];
        for (uint256 i = 0; i < ends.length; ++i) {
            mbps = ends[i];
            uint256 a = scaledPowerTerm(anchor, mbps);
            uint256 b = scaledPowerTerm(curve, mbps);
            uint256 powSlack = twoPowers ? Math.mulDiv(a, MARGIN, ONE, Math.Rounding.Ceil) : 0;
            uint256 upSlack = (rounded ? ONE : 0) + 3 * powSlack;
            uint256 downSlack = powSlack;
            if (2 * b + upSlack > 3 * a || 2 * b < a + downSlack) {
                return (false, mbps, Math.ceilDiv(a, ONE), Math.ceilDiv(b, ONE));
            }
        }
        return (true, 0, 0, 0);
    }

    /// @dev `k × mbps^alpha` without the floor, rounded up (0 at 0 Mbps).
    function powerTerm(Curve memory curve, uint256 mbps) internal pure returns (uint256) {
        if (curve.alpha == ONE) return curve.k * mbps;
        return Math.ceilDiv(scaledPowerTerm(curve, mbps), ONE);
    }

    /// @dev `k × mbps^alpha × 1e18` before rounding: exact for alpha = 1, otherwise with the
    /// relative margin added so that it is never below the exact value.
    function scaledPowerTerm(Curve memory curve, uint256 mbps) internal pure returns (uint256) {
        if (mbps == 0) return 0;
        if (curve.alpha == ONE) return curve.k * mbps * ONE;
        uint256 power = convert(mbps).pow(ud(curve.alpha)).unwrap(); // mbps^alpha, 1e18 fixed point
        power += Math.mulDiv(power, MARGIN, ONE, Math.Rounding.Ceil);
        return curve.k * power;
    }
}
