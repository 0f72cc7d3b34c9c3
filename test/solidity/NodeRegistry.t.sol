// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BondCurve} from "../../contracts/libraries/BondCurve.sol";
import {ProtocolParams} from "../../contracts/ProtocolParams.sol";
import {NodeRegistry} from "../../contracts/NodeRegistry.sol";
import {INodeRegistry} from "../../contracts/interfaces/INodeRegistry.sol";
import {IProtocolParams} from "../../contracts/interfaces/IProtocolParams.sol";
import {TestUSDC} from "../../contracts/test/TestUSDC.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

/// @dev The subset of the forge-std cheatcodes these tests need (forge-std is not installable here).
interface IVm {
    function warp(uint256 timestamp) external;
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function addr(uint256 privateKey) external pure returns (address);
}

/// @notice Properties of the bond: the required bond is monotonic in capacity for any curve within
/// the governance bounds, and the registry's USDC balance always equals the sum of every node's
/// active and unbonding bond, whatever sequence of operations runs.
contract NodeRegistryFuzzTest {
    IVm private constant VM = IVm(address(uint160(uint256(keccak256("hevm cheat code")))));
    uint256 private constant N_KEYS = 6;

    TestUSDC private usdc;
    ProtocolParams private params;
    NodeRegistry private registry;
    /// @dev A node key (Hardhat has no `createWallet` cheatcode: public keys precomputed with ethers).
    struct NodeKey {
        address addr;
        uint256 privateKey;
        bytes publicKey;
    }

    NodeKey[N_KEYS] private keys;

    function setUp() public {
        usdc = new TestUSDC(address(this));
        // This contract plays the timelock, the operator and the slasher.
        params = new ProtocolParams(address(this));
        registry = new NodeRegistry(IERC20(address(usdc)), IProtocolParams(address(params)), address(this));
        usdc.mint(address(this), 1e18);
        usdc.approve(address(registry), type(uint256).max);
        _key(
            0,
            0x1234567890abcdf6,
            hex"2accea403761209011894b3700042ddb5c97e092fbe57a51c75b0419d7d1b944"
            hex"4dc6dfffdced0e38d4be508f5532007f7631d5a82b36f8fdd7537d0fd08cd4f7"
        );
        _key(
            1,
            0x2468acf121579be5,
            hex"6d961c8ac1b8c9e656880e5d9c5d50b173249d7501bf918abb36166297aa66a4"
            hex"0193f5eb0804886200823a75264187ea5d5a55beb5d64096f27497b215083182"
        );
        _key(
            2,
            0x369d0369b20369d4,
            hex"781ecd6c80a9f69d120d5754267c0fbac8e494060c7599900c6515e759d20474"
            hex"0d3afd2c84b98f1ee4763dd6d31c801088431bdf62976b19925d4de6d3d0ecd7"
        );
        _key(
            3,
            0x48d159e242af37c3,
            hex"35d9b356cb60180727fcb0cfbf770bf6aac95a6f40d5a7ba834023e37295657f"
            hex"5478319bcbfa204eb3710e6d2454bba31945c74c001f9fb17c83ef072b5d7031"
        );
        _key(
            4,
            0x5b05b05ad35b05b2,
            hex"6d1c167bdba77afda5e8010ad55c0c9e3e606e035527053c7dffeb33717a723c"
            hex"eb5dba28e4a6cf8ab98a6dd4bbe2618eaba63c38f08059c069e9f66bc354067a"
        );
        _key(
            5,
            0x6d3a06d36406d3a1,
            hex"a35ad7184c9bfe1dbf870b54970929602036201c83a3016210d238e712da46da"
            hex"10d0d8b42c69ce4b7be4063fa3fec11f74cea21464f3035c357877625d5650e9"
        );
    }

    function _key(uint256 i, uint256 privateKey, bytes memory publicKey) private {
        address derived = address(uint160(uint256(keccak256(publicKey))));
        require(derived == VM.addr(privateKey), "bad precomputed public key");
        keys[i] = NodeKey({addr: derived, privateKey: privateKey, publicKey: publicKey});
    }

    function testFuzz_requiredBondMonotonicInCapacity(uint256 k, uint256 alpha, uint256 minBond, uint32 a, uint32 b)
        public
        pure
    {
        BondCurve.Curve memory curve = BondCurve.Curve({
            k: 10_000 + (k % (1_000e6 - 10_000 + 1)),
            alpha: 1e18 + (alpha % (1e18 + 1)),
            minBond: 10e6 + (minBond % (100_000e6 - 10e6 + 1))
        });
        uint256 lo = 1 + (uint256(a) % 1_000_000);
        uint256 hi = 1 + (uint256(b) % 1_000_000);
        if (lo > hi) (lo, hi) = (hi, lo);
        uint256 rLo = BondCurve.requiredBond(curve, lo);
        uint256 rHi = BondCurve.requiredBond(curve, hi);
        require(rLo <= rHi, "required bond not monotonic");
        require(rLo >= curve.minBond, "below the minimum bond");
        // never below the linear lower bound k × mbps (alpha >= 1, mbps >= 1)
        require(rHi >= curve.k * hi, "below k x mbps");
    }

    function testFuzz_balanceEqualsSumOfBonds(uint8[12] memory ops, uint64[12] memory amounts) public {
        uint256 t = block.timestamp;
        uint256 registered;
        for (uint256 i = 0; i < ops.length; ++i) {
            uint256 op = ops[i] % 8;
            uint256 amount = amounts[i];
            uint256 nodeId = registered == 0 ? 0 : 1 + (amount % registered);
            if (op == 0 && registered < N_KEYS) {
                _register(keys[registered], 1 + (amount % 5_000), amount % 1_000e6);
                ++registered;
            } else if (op == 1 && nodeId != 0) {
                try registry.topUp(nodeId, 1 + (amount % 1_000e6)) {} catch {}
            } else if (op == 2 && nodeId != 0) {
                try registry.setCapacity(nodeId, uint32(1 + (amount % 5_000))) {} catch {}
            } else if (op == 3 && nodeId != 0) {
                try registry.unbond(nodeId, 1 + (amount % 1_000e6)) {} catch {}
            } else if (op == 4 && nodeId != 0) {
                try registry.deregister(nodeId) {} catch {}
            } else if (op == 5 && nodeId != 0) {
                try registry.withdraw(nodeId) {} catch {}
            } else if (op == 6 && nodeId != 0) {
                try registry.slash(nodeId, amount % 10_001) {} catch {}
            } else {
                t += amount % (20 days);
                VM.warp(t);
            }
            _checkBalance();
        }
    }

    function _register(NodeKey memory key, uint256 mbps, uint256 extra) private {
        string[] memory addrs = new string[](1);
        addrs[0] = "/ip4/127.0.0.1/tcp/4001";
        bytes memory pub = key.publicKey;
        INodeRegistry.Registration memory reg = INodeRegistry.Registration({
            nodeKey: key.addr,
            capacityMbps: uint32(mbps),
            region: 1,
            pricePerGiB: 1,
            bond: registry.requiredBond(mbps) + extra,
            deadline: type(uint64).max,
            publicKey: pub,
            multiaddrs: addrs
        });
        registry.register(reg, _sign(key, keccak256(abi.encode(pub, addrs))));
        require(registry.isActive(key.addr), "fresh node not active");
    }

    function _sign(NodeKey memory key, bytes32 metadataHash) private view returns (bytes memory) {
        bytes32 structHash = keccak256(
            abi.encode(
                registry.NODE_REGISTRATION_TYPEHASH(),
                address(this),
                key.addr,
                metadataHash,
                registry.keyNonce(key.addr),
                type(uint64).max
            )
        );
        (uint8 v, bytes32 r, bytes32 s) =
            VM.sign(key.privateKey, MessageHashUtils.toTypedDataHash(_domainSeparator(), structHash));
        return abi.encodePacked(r, s, v);
    }

    function _domainSeparator() private view returns (bytes32) {
        (, string memory name, string memory version, uint256 chainId, address verifying,,) = registry.eip712Domain();
        return keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256(bytes(name)),
                keccak256(bytes(version)),
                chainId,
                verifying
            )
        );
    }

    function _checkBalance() private view {
        uint256 sum;
        uint256 count = registry.nodeCount();
        for (uint256 id = 1; id <= count; ++id) {
            INodeRegistry.Node memory node = registry.getNode(id);
            sum += node.bond + node.unbonding;
        }
        require(usdc.balanceOf(address(registry)) == sum, "balance != sum of bonds");
    }
}
