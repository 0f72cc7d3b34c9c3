// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title MockUSDC
/// @notice Devnet and tests only. Behaves like USDC where it matters to the protocol: 6 decimals,
/// EIP-2612 permit (OpenZeppelin's domain version "1"; read it from `eip712Domain()`, never
/// hard-code it: Circle's USDC uses "2"), and an address blacklist: a listed address can
/// neither send nor receive. Anyone may mint (a faucet); only the blacklister set at deployment lists.
contract MockUSDC is ERC20, ERC20Permit {
    /// @notice `account` is blacklisted and can neither send nor receive.
    error MockUSDCBlacklisted(address account);
    /// @notice Only the blacklister may change the blacklist.
    error MockUSDCUnauthorized(address caller);

    event Blacklisted(address indexed account);
    event UnBlacklisted(address indexed account);

    address public immutable BLACKLISTER;
    mapping(address account => bool listed) public isBlacklisted;

    constructor(address blacklister) ERC20("USD Coin", "USDC") ERC20Permit("USD Coin") {
        BLACKLISTER = blacklister;
    }

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function blacklist(address account) external {
        if (msg.sender != BLACKLISTER) revert MockUSDCUnauthorized(msg.sender);
        isBlacklisted[account] = true;
        emit Blacklisted(account);
    }

    function unBlacklist(address account) external {
        if (msg.sender != BLACKLISTER) revert MockUSDCUnauthorized(msg.sender);
        isBlacklisted[account] = false;
        emit UnBlacklisted(account);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (isBlacklisted[from]) revert MockUSDCBlacklisted(from);
        if (isBlacklisted[to]) revert MockUSDCBlacklisted(to);
        super._update(from, to, value);
    }
}
