// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";

/// @title CdnToken
/// @notice The governance token: a fixed supply minted once at deployment, no owner, no minter.
contract CdnToken is ERC20, ERC20Permit, ERC20Votes {
    /// @notice Total supply, minted to `initialHolder` at deployment (18 decimals).
    uint256 public constant TOTAL_SUPPLY = 100_000_000e18;

    constructor(address initialHolder) ERC20("CDN Governance", "CDN") ERC20Permit("CDN Governance") {
        _mint(initialHolder, TOTAL_SUPPLY);
    }

    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Votes) {
        super._update(from, to, value);
    }

    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }
}
