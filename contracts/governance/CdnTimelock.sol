// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {GovernanceBounds} from "./GovernanceBounds.sol";

/// @title CdnTimelock
/// @notice The executor and owner of everything governed. Its delay is bounded by
/// `GovernanceBounds`, at construction and on every `updateDelay`.
contract CdnTimelock is TimelockController {
    /// @notice The delay `delay` is outside [`min`, `max`].
    error CdnTimelockDelayOutOfBounds(uint256 delay, uint256 min, uint256 max);

    /// @dev OpenZeppelin keeps its delay private; this bounded copy is the one `getMinDelay` returns
    /// and therefore the one `schedule` enforces.
    uint256 private _boundedDelay;

    constructor(uint256 minDelay, address[] memory proposers, address[] memory executors, address admin)
        TimelockController(minDelay, proposers, executors, admin)
    {
        _checkDelay(minDelay);
        _boundedDelay = minDelay;
    }

    /// @inheritdoc TimelockController
    function getMinDelay() public view override returns (uint256) {
        return _boundedDelay;
    }

    /// @inheritdoc TimelockController
    function updateDelay(uint256 newDelay) external override {
        if (msg.sender != address(this)) revert TimelockUnauthorizedCaller(msg.sender);
        _checkDelay(newDelay);
        emit MinDelayChange(_boundedDelay, newDelay);
        _boundedDelay = newDelay;
    }

    function _checkDelay(uint256 delay) private view {
        uint256 min = GovernanceBounds.minTimelockDelay();
        if (delay < min || delay > GovernanceBounds.MAX_TIMELOCK_DELAY) {
            revert CdnTimelockDelayOutOfBounds(delay, min, GovernanceBounds.MAX_TIMELOCK_DELAY);
        }
    }
}
