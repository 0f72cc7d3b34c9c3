// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ProtocolParams} from "../../contracts/ProtocolParams.sol";
import {FeeMath} from "../../contracts/libraries/FeeMath.sol";

/// @dev The subset of the forge-std cheatcodes this test needs (forge-std is not installable here).
interface IVm {
    function warp(uint256 timestamp) external;
}

/// @notice Property: whatever sequence of fee changes governance attempts, the protocol fee never
/// exceeds its hard cap, the operator share never falls below its (separate) floor, and every payout
/// split gives the operator at least the floor share, exactly summing to the amount.
contract FeeBoundsTest {
    IVm private constant VM = IVm(address(uint160(uint256(keccak256("hevm cheat code")))));
    ProtocolParams private params;

    function setUp() public {
        // This test contract plays the timelock.
        params = new ProtocolParams(address(this));
    }

    function testFuzz_feeCapAndOperatorFloorHoldForEveryCombination(
        uint16[8] memory attempts,
        uint64[8] memory gaps,
        uint128 previousTotal,
        uint128 increment
    ) public {
        uint256 t = block.timestamp;
        uint256 floorBps = params.OPERATOR_SHARE_FLOOR_BPS();
        uint256 capBps = params.MAX_PROTOCOL_FEE_BPS();
        for (uint256 i = 0; i < attempts.length; ++i) {
            t += uint256(gaps[i]) % (10 days);
            VM.warp(t);
            try params.setParameter(params.PROTOCOL_FEE_BPS(), uint256(attempts[i]) % 4_000) {} catch {}
            uint256 fee = params.protocolFeeBps();
            require(fee <= capBps, "fee above cap");
            require(params.operatorShareBps() >= floorBps, "operator share below floor");
            uint256 total = uint256(previousTotal) + increment;
            (uint256 operatorAmount, uint256 feeAmount) = FeeMath.splitIncrement(previousTotal, total, fee);
            require(operatorAmount + feeAmount == increment, "split does not sum");
            // The fee rounds down on cumulative totals, so an increment can carry at most one extra unit of fee.
            require(operatorAmount * FeeMath.BPS + FeeMath.BPS >= uint256(increment) * floorBps, "operator below floor");
            require(
                FeeMath.cumulativeFee(total, fee) * FeeMath.BPS <= total * capBps, "cumulative fee above cap"
            );
        }
    }

    function testFuzz_cumulativeFeeDoesNotDependOnClaimCadence(uint128 a, uint128 b, uint16 feeSeed) public pure {
        uint256 fee = uint256(feeSeed) % 2_001;
        (uint256 op1, uint256 fee1) = FeeMath.splitIncrement(0, a, fee);
        (uint256 op2, uint256 fee2) = FeeMath.splitIncrement(a, uint256(a) + b, fee);
        (uint256 opAll, uint256 feeAll) = FeeMath.splitIncrement(0, uint256(a) + b, fee);
        require(op1 + op2 == opAll && fee1 + fee2 == feeAll, "split depends on cadence");
    }
}
