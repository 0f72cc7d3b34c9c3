// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// USDC reverts with these exact strings; the agents decode them, so the test token must too.
// solhint-disable reason-string, custom-errors

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IERC5267} from "@openzeppelin/contracts/interfaces/IERC5267.sol";

/// @title UsdcShapedToken
/// @notice Devnet and tests only: a token that behaves like Circle's USDC (FiatTokenV2_2) wherever
/// the protocol touches it, built from OpenZeppelin pieces. Name "USD Coin", symbol "USDC", 6
/// decimals; EIP-2612 permit over the EIP-712 domain ("USD Coin", "2", chain id, this address);
/// an address blacklist (a listed address can neither send, receive, approve nor permit); a pause
/// (transfers, approvals and permits revert); an allowance that decreases even when it is the
/// maximum; USDC's revert strings. Anyone may mint (a faucet); one admin, set at deployment,
/// blacklists and pauses. The domain separator is built here rather than with OpenZeppelin's
/// EIP712 because that base publishes `eip712Domain()` (EIP-5267), which USDC does not have.
abstract contract UsdcShapedToken is ERC20, Pausable, Nonces {
    event Blacklisted(address indexed account);
    event UnBlacklisted(address indexed account);

    bytes32 public constant PERMIT_TYPEHASH =
        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");
    bytes32 private constant _DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    string private constant _VERSION = "2";

    /// @notice The one account that may blacklist and pause.
    address public immutable ADMIN;
    mapping(address account => bool listed) private _blacklisted;

    modifier notBlacklisted(address account) {
        require(!_blacklisted[account], "Blacklistable: account is blacklisted");
        _;
    }

    modifier onlyAdmin() {
        require(msg.sender == ADMIN, "UsdcShapedToken: caller is not the admin");
        _;
    }

    constructor(address admin) ERC20("USD Coin", "USDC") {
        ADMIN = admin;
    }

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() public view returns (bytes32) {
        return keccak256(
            abi.encode(_DOMAIN_TYPEHASH, keccak256(bytes(name())), keccak256(bytes(_VERSION)), block.chainid, address(this))
        );
    }

    function nonces(address owner) public view override returns (uint256) {
        return super.nonces(owner);
    }

    function isBlacklisted(address account) external view returns (bool) {
        return _blacklisted[account];
    }

    /// @notice Faucet: devnet and tests only.
    function mint(address to, uint256 amount) external whenNotPaused notBlacklisted(msg.sender) notBlacklisted(to) {
        require(to != address(0), "FiatToken: mint to the zero address");
        _mint(to, amount);
    }

    function blacklist(address account) external onlyAdmin {
        _blacklisted[account] = true;
        emit Blacklisted(account);
    }

    function unBlacklist(address account) external onlyAdmin {
        _blacklisted[account] = false;
        emit UnBlacklisted(account);
    }

    function pause() external onlyAdmin {
        _pause();
    }

    function unpause() external onlyAdmin {
        _unpause();
    }

    function transfer(address to, uint256 value)
        public
        override
        whenNotPaused
        notBlacklisted(msg.sender)
        notBlacklisted(to)
        returns (bool)
    {
        require(to != address(0), "ERC20: transfer to the zero address");
        return super.transfer(to, value);
    }

    function transferFrom(address from, address to, uint256 value)
        public
        override
        whenNotPaused
        notBlacklisted(msg.sender)
        notBlacklisted(from)
        notBlacklisted(to)
        returns (bool)
    {
        require(to != address(0), "ERC20: transfer to the zero address");
        return super.transferFrom(from, to, value);
    }

    function approve(address spender, uint256 value)
        public
        override
        whenNotPaused
        notBlacklisted(msg.sender)
        notBlacklisted(spender)
        returns (bool)
    {
        return super.approve(spender, value);
    }

    /// @notice EIP-2612 permit; `owner` may be a contract wallet (EIP-1271), as on USDC.
    function permit(address owner, address spender, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external
        whenNotPaused
        notBlacklisted(owner)
        notBlacklisted(spender)
    {
        require(deadline == type(uint256).max || deadline >= block.timestamp, "FiatTokenV2: permit is expired");
        bytes32 structHash = keccak256(abi.encode(PERMIT_TYPEHASH, owner, spender, value, _useNonce(owner), deadline));
        bytes32 digest = MessageHashUtils.toTypedDataHash(DOMAIN_SEPARATOR(), structHash);
        require(SignatureChecker.isValidSignatureNow(owner, digest, abi.encodePacked(r, s, v)), "EIP2612: invalid signature");
        _approve(owner, spender, value);
    }

    function _requireNotPaused() internal view override {
        require(!paused(), "Pausable: paused");
    }

    /// @dev USDC's balance check and message; the rest is OpenZeppelin's bookkeeping.
    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0)) require(balanceOf(from) >= value, "ERC20: transfer amount exceeds balance");
        super._update(from, to, value);
    }

    /// @dev Unlike OpenZeppelin's ERC20, a maximum allowance decreases too (as on USDC).
    function _spendAllowance(address owner, address spender, uint256 value) internal override {
        uint256 current = allowance(owner, spender);
        require(value <= current, "ERC20: transfer amount exceeds allowance");
        _approve(owner, spender, current - value, false);
    }

    function _domainName() internal view returns (string memory) {
        return name();
    }

    function _domainVersion() internal pure returns (string memory) {
        return _VERSION;
    }
}

/// @title TestUSDC
/// @notice The USDC-shaped token of the devnet and the tests: no EIP-5267, like USDC itself.
contract TestUSDC is UsdcShapedToken {
    constructor(address admin) UsdcShapedToken(admin) {}

    /// @notice The EIP-712 domain version.
    function version() external pure returns (string memory) {
        return _domainVersion();
    }
}

/// @title TestUSDCWithoutVersion
/// @notice The same token publishing neither its EIP-712 domain (EIP-5267) nor `version()`, as some
/// permit tokens do: wallets cannot read its permit domain, so the agents take it from their
/// configuration (`usdcPermitDomain`); tests prove that path.
contract TestUSDCWithoutVersion is UsdcShapedToken {
    constructor(address admin) UsdcShapedToken(admin) {}
}

/// @title TestUSDCWithDomain
/// @notice The same token publishing its EIP-712 domain (EIP-5267), as many other permit tokens
/// do: tests run the agents' permit paths against both.
contract TestUSDCWithDomain is UsdcShapedToken, IERC5267 {
    constructor(address admin) UsdcShapedToken(admin) {}

    /// @notice The EIP-712 domain version.
    function version() external pure returns (string memory) {
        return _domainVersion();
    }

    function eip712Domain()
        external
        view
        returns (bytes1, string memory, string memory, uint256, address, bytes32, uint256[] memory)
    {
        return (hex"0f", _domainName(), _domainVersion(), block.chainid, address(this), bytes32(0), new uint256[](0));
    }
}
