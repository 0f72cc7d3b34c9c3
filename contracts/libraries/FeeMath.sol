// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title FeeMath
/// @notice Splits a cumulative payout into the protocol fee and the operator share.
/// @dev Fees are computed on cumulative amounts (`fee(total) - fee(previous)`), rounding the fee
/// down, so the split never depends on how often a node claims and rounding favours the operator.
library FeeMath {
    uint256 internal constant BPS = 10_000;

    /// @notice Protocol fee owed on a cumulative `total` at `feeBps`.
    function cumulativeFee(uint256 total, uint256 feeBps) internal pure returns (uint256) {
        return (total * feeBps) / BPS;
    }

    /// @notice Splits the increment from `previousTotal` to `newTotal`.
    /// @return operatorAmount Share for the node operator.
    /// @return feeAmount Share for the protocol treasury.
    function splitIncrement(uint256 previousTotal, uint256 newTotal, uint256 feeBps)
        internal
        pure
        returns (uint256 operatorAmount, uint256 feeAmount)
    {
        feeAmount = cumulativeFee(newTotal, feeBps) - cumulativeFee(previousTotal, feeBps);
        operatorAmount = (newTotal - previousTotal) - feeAmount;
    }
}
