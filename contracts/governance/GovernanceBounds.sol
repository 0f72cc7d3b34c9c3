// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title GovernanceBounds
/// @notice Hard bounds on the DAO's own settings. Durations in blocks assume ~2 s blocks (an L2);
/// on slower chains they are only longer. Chain id 31337 (Hardhat's local chain, used by no public
/// network) gets lower floors so a local proposal cycle takes seconds; every other chain gets the
/// production floors.
library GovernanceBounds {
    uint256 internal constant DEVNET_CHAIN_ID = 31337;

    /// @notice Voting delay: at least 1 block, at most 7 days of blocks.
    uint256 internal constant MIN_VOTING_DELAY = 1;
    uint256 internal constant MAX_VOTING_DELAY = 302_400;
    /// @notice Voting period: at least 1 hour of blocks (2 blocks on the devnet), at most 30 days.
    uint256 internal constant MIN_VOTING_PERIOD = 1_800;
    uint256 internal constant DEVNET_MIN_VOTING_PERIOD = 2;
    uint256 internal constant MAX_VOTING_PERIOD = 1_296_000;
    /// @notice Proposal threshold: 0 … 1 % of the token supply.
    uint256 internal constant MAX_PROPOSAL_THRESHOLD = 1_000_000e18;
    /// @notice Quorum: 1 … 20 % of the supply.
    uint256 internal constant MIN_QUORUM_NUMERATOR = 1;
    uint256 internal constant MAX_QUORUM_NUMERATOR = 20;
    /// @notice Timelock delay: at least 1 hour (1 second on the devnet), at most 30 days.
    uint256 internal constant MIN_TIMELOCK_DELAY = 1 hours;
    uint256 internal constant DEVNET_MIN_TIMELOCK_DELAY = 1;
    uint256 internal constant MAX_TIMELOCK_DELAY = 30 days;

    function minVotingPeriod() internal view returns (uint256) {
        return block.chainid == DEVNET_CHAIN_ID ? DEVNET_MIN_VOTING_PERIOD : MIN_VOTING_PERIOD;
    }

    function minTimelockDelay() internal view returns (uint256) {
        return block.chainid == DEVNET_CHAIN_ID ? DEVNET_MIN_TIMELOCK_DELAY : MIN_TIMELOCK_DELAY;
    }
}
