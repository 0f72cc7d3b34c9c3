// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Test code: long property bodies and descriptive failure messages are intended.
// solhint-disable function-max-lines, reason-string

import {PaymentChannel} from "../../contracts/PaymentChannel.sol";
import {IPaymentChannel} from "../../contracts/interfaces/IPaymentChannel.sol";
import {ChannelId} from "../../contracts/types/Ids.sol";
import {ProtocolParams} from "../../contracts/ProtocolParams.sol";
import {INodeRegistry} from "../../contracts/interfaces/INodeRegistry.sol";
import {IContentBlacklist} from "../../contracts/interfaces/IContentBlacklist.sol";
import {TestUSDC} from "../../contracts/test/TestUSDC.sol";
import {MockNodeRegistry} from "../../contracts/test/MockNodeRegistry.sol";
import {MockContentBlacklist} from "../../contracts/test/MockContentBlacklist.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @dev The subset of the forge-std cheatcodes these tests need (forge-std is not installable here).
interface IVm {
    function warp(uint256 timestamp) external;
    function prank(address sender) external;
    function addr(uint256 privateKey) external returns (address);
    function sign(uint256 privateKey, bytes32 digest) external returns (uint8 v, bytes32 r, bytes32 s);
}

/// @notice Fuzzed payout arithmetic of PaymentChannel: for any fee in force at open, any deposit and
/// top-up, and any sequence of cumulative vouchers (claims, then a payee close or a payer close with
/// a watchtower dispute and a settle), every payout is split exactly: operator + treasury + bounty ==
/// paid, the treasury is owed exactly fee(paid) on the cumulative amount (and withdraws it), paid never
/// exceeds the deposit, refund + paid == deposit, and the contract keeps exactly the open balance and the
/// fees owed.
contract PaymentChannelFuzzTest {
    IVm private constant VM = IVm(address(uint160(uint256(keccak256("hevm cheat code")))));
    uint256 private constant PAYER_KEY = 0xA11CE;
    uint256 private constant NODE_KEY = 0xB0B;

    TestUSDC private usdc;
    ProtocolParams private params;
    MockNodeRegistry private registry;
    PaymentChannel private channels;
    address private payer;
    address private nodeKey;
    address private constant OPERATOR = address(0x0BE7A70B);
    address private constant TREASURY = address(0x7EA5);
    address private constant BENEFICIARY = address(0xB0B0);
    address private constant WATCHTOWER = address(0x7031);

    function setUp() public {
        usdc = new TestUSDC(address(this));
        params = new ProtocolParams(address(this));
        registry = new MockNodeRegistry(IERC20(address(usdc)));
        MockContentBlacklist blacklist = new MockContentBlacklist();
        channels = new PaymentChannel(
            IERC20(address(usdc)),
            params,
            INodeRegistry(address(registry)),
            IContentBlacklist(address(blacklist)),
            TREASURY
        );
        payer = VM.addr(PAYER_KEY);
        nodeKey = VM.addr(NODE_KEY);
        registry.register(nodeKey, OPERATOR, 0);
        usdc.mint(payer, type(uint64).max);
        VM.prank(payer);
        usdc.approve(address(channels), type(uint256).max);
    }

    function _sign(uint256 key, bytes32 digest) private returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = VM.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    function _voucher(ChannelId channelId, uint256 amount) private returns (bytes memory) {
        return _sign(PAYER_KEY, channels.voucherDigest(channelId, amount));
    }

    function _paidOut() private view returns (uint256) {
        return _operatorHolds() + _treasuryHolds() + usdc.balanceOf(BENEFICIARY);
    }

    /// @dev The operator's USDC plus its payouts credited to its node (1) in the channel contract
    /// (collected by `withdrawNodeCredit`).
    function _operatorHolds() private view returns (uint256) {
        return usdc.balanceOf(OPERATOR) + _nodeCredit();
    }

    function _nodeCredit() private view returns (uint256 credit) {
        (, credit) = channels.nodeCredit(1);
    }

    /// @dev The treasury's USDC plus the protocol fees accrued for it in the channel contract.
    function _treasuryHolds() private view returns (uint256) {
        (, uint256 owed) = channels.protocolFees();
        return usdc.balanceOf(TREASURY) + owed;
    }

    function testFuzz_payoutsSplitExactlyOnCumulativeAmounts(
        uint16 feeSeed,
        uint48 depositSeed,
        uint48 topUp,
        uint40[5] memory steps,
        bool payerCloses,
        uint16 bountyBps
    ) public {
        // A fee in force at open anywhere in one governance step of the default (2.5 % … 7.5 %).
        uint256 fee = 250 + (uint256(feeSeed) % 501);
        params.setParameter(params.PROTOCOL_FEE_BPS(), fee);
        uint256 deposit = 1e6 + uint256(depositSeed);
        VM.prank(payer);
        ChannelId id = channels.open(nodeKey, deposit, address(0), 0, bytes32(uint256(1)));
        // Later fee changes do not touch the channel.
        VM.warp(block.timestamp + 8 days);
        params.setParameter(params.PROTOCOL_FEE_BPS(), fee - fee / 2);

        uint256 cumulative;
        for (uint256 i = 0; i < steps.length; ++i) {
            if (i == 2 && topUp != 0) {
                VM.prank(payer);
                channels.topUp(id, topUp);
                deposit += topUp;
            }
            if (steps[i] == 0) continue;
            cumulative += steps[i];
            uint256 paidBefore = channels.getChannel(id).paid;
            uint256 capped = cumulative < deposit ? cumulative : deposit;
            if (capped <= paidBefore) continue;
            bytes memory sig = _voucher(id, cumulative);
            VM.prank(OPERATOR); // after the signing calls: a prank applies to the next call only
            channels.claim(id, cumulative, sig);
            IPaymentChannel.ChannelInfo memory info = channels.getChannel(id);
            require(info.paid == capped, "paid is the voucher capped at the deposit");
            require(info.paid >= paidBefore, "paid never decreases");
            require(_paidOut() == info.paid, "operator + treasury == paid");
            require(_treasuryHolds() == (info.paid * fee) / 10_000, "fee on the cumulative amount");
            (, uint256 owed) = channels.protocolFees();
            require(
                usdc.balanceOf(address(channels)) == deposit - info.paid + owed + _nodeCredit(),
                "contract holds the open balance, the fees owed and the operator's credit"
            );
        }

        uint256 finalAmount = cumulative + 1 + (uint256(bountyBps) % 1e9);
        uint256 payerBefore = usdc.balanceOf(payer);
        if (payerCloses) {
            VM.prank(payer);
            channels.closeByPayer(id);
            IPaymentChannel.WatchtowerAuth memory auth = IPaymentChannel.WatchtowerAuth({
                nodeId: 1,
                watchtower: WATCHTOWER,
                beneficiary: BENEFICIARY,
                maxBps: bountyBps,
                expiry: uint64(block.timestamp + 30 days)
            });
            bytes memory authSig = _sign(NODE_KEY, channels.watchtowerAuthDigest(auth));
            uint256 paidBefore = channels.getChannel(id).paid;
            uint256 capped = finalAmount < deposit ? finalAmount : deposit;
            if (capped > paidBefore) {
                // The watchtower earns from the second half of the window on.
                VM.warp(channels.bountyFrom(id));
                uint256 beneficiaryBefore = usdc.balanceOf(BENEFICIARY);
                uint256 operatorBefore = _operatorHolds();
                bytes memory voucher = _voucher(id, finalAmount);
                VM.prank(WATCHTOWER);
                channels.dispute(id, finalAmount, voucher, auth, authSig);
                uint256 cap = 2_000 - fee;
                if (bountyBps < cap) cap = bountyBps;
                uint256 recovered = capped - paidBefore;
                require(
                    usdc.balanceOf(BENEFICIARY) - beneficiaryBefore == (recovered * cap) / 10_000,
                    "bounty share of the recovered amount, fee + bounty within 20 %"
                );
                // The operator's floor: 80 % of what the dispute recovered (one unit of fee rounding).
                require(
                    (_operatorHolds() - operatorBefore + 1) * 10_000 >= recovered * 8_000,
                    "operator keeps at least 80 %"
                );
            }
            VM.warp(block.timestamp + 2 days);
            channels.settle(id);
        } else {
            bytes memory sig = _voucher(id, finalAmount);
            VM.prank(OPERATOR);
            channels.closeByPayee(id, finalAmount, sig);
        }
        IPaymentChannel.ChannelInfo memory closed = channels.getChannel(id);
        require(closed.status == IPaymentChannel.ChannelStatus.Closed, "closed");
        require(closed.paid <= closed.deposit && closed.deposit == deposit, "paid within the deposit");
        require(usdc.balanceOf(payer) - payerBefore + closed.paid == deposit, "refund + paid == deposit");
        require(_paidOut() == closed.paid, "operator + treasury + bounty == paid");
        require(_treasuryHolds() == (closed.paid * fee) / 10_000, "fee on the cumulative amount");
        (, uint256 feesOwed) = channels.protocolFees();
        if (feesOwed != 0) channels.withdrawTreasury();
        require(usdc.balanceOf(TREASURY) == (closed.paid * fee) / 10_000, "the treasury withdrew every fee");
        // The operator was paid nothing directly: one withdrawal collects every payout of the channel.
        uint256 credited = _nodeCredit();
        require(usdc.balanceOf(OPERATOR) == 0, "operator payouts are credited, not transferred");
        if (credited != 0) {
            VM.prank(OPERATOR);
            require(channels.withdrawNodeCredit(1) == credited, "withdrawNodeCredit pays the whole credit");
        }
        require(usdc.balanceOf(OPERATOR) == credited, "the operator withdrew its credit");
        require(usdc.balanceOf(address(channels)) == 0, "nothing left behind");
    }
}
