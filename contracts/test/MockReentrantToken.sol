// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title MockReentrantToken
/// @notice Tests only: a malicious ERC20 that, when armed, calls back into `target` with `payload`
/// during the next transfer / transferFrom, and records whether that reentrant call succeeded.
/// It can also burn `transferFeeBps` of every transfer (a fee-on-transfer token, for balance-delta tests).
contract MockReentrantToken is ERC20 {
    address public reentryTarget;
    bytes public payload;
    bool public armed;
    uint256 public attempts;
    uint256 public successes;
    bytes public lastRevertData;
    uint256 public transferFeeBps;

    constructor() ERC20("Evil", "EVL") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function arm(address target_, bytes calldata payload_) external {
        reentryTarget = target_;
        payload = payload_;
        armed = true;
    }

    function disarm() external {
        armed = false;
    }

    function setTransferFee(uint256 bps) external {
        transferFeeBps = bps;
    }

    function _update(address from, address to, uint256 value) internal override {
        uint256 fee = from != address(0) && to != address(0) ? (value * transferFeeBps) / 10_000 : 0;
        if (fee != 0) super._update(from, address(0), fee);
        super._update(from, to, value - fee);
        if (armed && from != address(0)) {
            armed = false; // one attempt per arming, avoids unbounded recursion
            ++attempts;
            // solhint-disable-next-line avoid-low-level-calls
            (bool ok, bytes memory data) = reentryTarget.call(payload);
            if (ok) ++successes;
            else lastRevertData = data;
        }
    }
}
