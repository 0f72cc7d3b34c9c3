// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Governor} from "@openzeppelin/contracts/governance/Governor.sol";
import {GovernorSettings} from "@openzeppelin/contracts/governance/extensions/GovernorSettings.sol";
import {GovernorCountingSimple} from "@openzeppelin/contracts/governance/extensions/GovernorCountingSimple.sol";
import {GovernorVotes} from "@openzeppelin/contracts/governance/extensions/GovernorVotes.sol";
import {GovernorVotesQuorumFraction} from
    "@openzeppelin/contracts/governance/extensions/GovernorVotesQuorumFraction.sol";
import {GovernorTimelockControl} from "@openzeppelin/contracts/governance/extensions/GovernorTimelockControl.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";
import {GovernanceBounds} from "./GovernanceBounds.sol";

/// @title CdnGovernor
/// @notice The DAO. Its own settings are bounded by `GovernanceBounds`; the bounds are enforced in
/// the internal setters, so both the constructor and governance proposals go through them.
contract CdnGovernor is
    Governor,
    GovernorSettings,
    GovernorCountingSimple,
    GovernorVotes,
    GovernorVotesQuorumFraction,
    GovernorTimelockControl
{
    /// @notice A governance setting `setting` was set to `value`, outside [`min`, `max`].
    error CdnGovernorSettingOutOfBounds(bytes32 setting, uint256 value, uint256 min, uint256 max);
    /// @notice `setting` names no bounded governance setting.
    error CdnGovernorUnknownSetting(bytes32 setting);
    /// @notice The governor's timelock is fixed at deployment; no proposal can swap it.
    error CdnGovernorTimelockImmutable();

    constructor(
        IVotes token,
        TimelockController timelock,
        uint48 votingDelay_,
        uint32 votingPeriod_,
        uint256 proposalThreshold_,
        uint256 quorumNumerator_
    )
        Governor("CdnGovernor")
        GovernorSettings(votingDelay_, votingPeriod_, proposalThreshold_)
        GovernorVotes(token)
        GovernorVotesQuorumFraction(quorumNumerator_)
        GovernorTimelockControl(timelock)
    {}

    /// @notice The hard bounds of a governance setting ("votingDelay", "votingPeriod",
    /// "proposalThreshold", "quorumNumerator") on this chain, so tools can check a value before
    /// proposing it (the setters themselves only run inside an executed proposal).
    function settingBounds(bytes32 setting) external view returns (uint256 min, uint256 max) {
        if (setting == "votingDelay") return (GovernanceBounds.MIN_VOTING_DELAY, GovernanceBounds.MAX_VOTING_DELAY);
        if (setting == "votingPeriod") return (GovernanceBounds.minVotingPeriod(), GovernanceBounds.MAX_VOTING_PERIOD);
        if (setting == "proposalThreshold") return (0, GovernanceBounds.MAX_PROPOSAL_THRESHOLD);
        if (setting == "quorumNumerator") {
            return (GovernanceBounds.MIN_QUORUM_NUMERATOR, GovernanceBounds.MAX_QUORUM_NUMERATOR);
        }
        revert CdnGovernorUnknownSetting(setting);
    }

    /// @notice Always reverts: a proposal could otherwise install a timelock with no delay (or one
    /// it controls) and skip the delay every holder relies on.
    function updateTimelock(TimelockController) external pure override {
        revert CdnGovernorTimelockImmutable();
    }

    function _setVotingDelay(uint48 value) internal override {
        _checkBounds("votingDelay", value, GovernanceBounds.MIN_VOTING_DELAY, GovernanceBounds.MAX_VOTING_DELAY);
        super._setVotingDelay(value);
    }

    function _setVotingPeriod(uint32 value) internal override {
        _checkBounds("votingPeriod", value, GovernanceBounds.minVotingPeriod(), GovernanceBounds.MAX_VOTING_PERIOD);
        super._setVotingPeriod(value);
    }

    function _setProposalThreshold(uint256 value) internal override {
        _checkBounds("proposalThreshold", value, 0, GovernanceBounds.MAX_PROPOSAL_THRESHOLD);
        super._setProposalThreshold(value);
    }

    function _updateQuorumNumerator(uint256 value) internal override {
        _checkBounds(
            "quorumNumerator", value, GovernanceBounds.MIN_QUORUM_NUMERATOR, GovernanceBounds.MAX_QUORUM_NUMERATOR
        );
        super._updateQuorumNumerator(value);
    }

    function _checkBounds(bytes32 setting, uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) revert CdnGovernorSettingOutOfBounds(setting, value, min, max);
    }

    // ---- required overrides ----

    function state(uint256 proposalId)
        public
        view
        override(Governor, GovernorTimelockControl)
        returns (ProposalState)
    {
        return super.state(proposalId);
    }

    function proposalNeedsQueuing(uint256 proposalId)
        public
        view
        override(Governor, GovernorTimelockControl)
        returns (bool)
    {
        return super.proposalNeedsQueuing(proposalId);
    }

    function proposalThreshold() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.proposalThreshold();
    }

    function _queueOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint48) {
        return super._queueOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _executeOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) {
        super._executeOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _cancel(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint256) {
        return super._cancel(targets, values, calldatas, descriptionHash);
    }

    function _executor() internal view override(Governor, GovernorTimelockControl) returns (address) {
        return super._executor();
    }
}
