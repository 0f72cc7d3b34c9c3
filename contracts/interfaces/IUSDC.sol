// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {IERC5267} from "@openzeppelin/contracts/interfaces/IERC5267.sol";

/// @title IUSDC
/// @notice What the protocol and its agents use of Circle's USDC (FiatTokenV2_2): ERC-20 with 6
/// decimals, EIP-2612 permit over the domain (name(), version()), the blacklist and the pause.
/// USDC has no EIP-5267 `eip712Domain()`; a token that has one is read through {IEIP5267Token}.
interface IUSDC is IERC20, IERC20Metadata, IERC20Permit {
    /// @notice The EIP-712 domain version ("2" on USDC).
    function version() external view returns (string memory);

    /// @notice Whether `account` is blacklisted (it can neither send, receive, approve nor permit).
    function isBlacklisted(address account) external view returns (bool);

    /// @notice Whether the token is paused (transfers, approvals and permits revert).
    function paused() external view returns (bool);
}

/// @title IEIP5267Token
/// @notice A token that publishes its EIP-712 domain (EIP-5267); agents prefer it when present.
interface IEIP5267Token is IERC5267 {}
