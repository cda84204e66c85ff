// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Inbox} from "../../contracts/Inbox.sol";
import {Vault} from "../../contracts/Vault.sol";
import {DevToken} from "../../contracts/dev/DevToken.sol";
import {IInbox} from "../../contracts/interfaces/IInbox.sol";
import {ISettlement} from "../../contracts/interfaces/ISettlement.sol";
import {SettlementDouble} from "./doubles/SettlementDouble.sol";

/// @dev The few cheatcodes these tests use (forge-std from npm is broken, so declared here).
interface Vm {
    function assume(bool) external pure;
    function prank(address) external;
    function startPrank(address) external;
    function stopPrank() external;
    function expectRevert(bytes calldata) external;
}

Vm constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

function leafOf(uint64 id, address to, uint32 asset, uint64 amount) pure returns (bytes32) {
    return keccak256(bytes.concat(keccak256(abi.encode(id, to, asset, amount))));
}

/// @dev OpenZeppelin's commutative pair hash (a two-leaf StandardMerkleTree root).
function pairRoot(bytes32 a, bytes32 b) pure returns (bytes32) {
    return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
}

/// @notice Random deposits, withdrawals in (possibly adversarial) finalized roots, claims and re-claims.
contract VaultHandler {
    Vault public immutable vault;
    SettlementDouble public immutable settlement;
    DevToken[2] public tokens;
    uint64[2] public quanta = [uint64(10_000), uint64(1)];
    address[3] public actors = [address(0xA11CE), address(0xB0B), address(0xCA401)];

    // ghost accounting, in L2 units per asset
    uint256[2] public depositedUnits;
    uint256[2] public claimedUnits;
    mapping(uint64 => uint256) public timesPaid;
    uint64 public nextWithdrawalId;
    uint256 public doubleClaimAttempts;

    struct W {
        uint64 id;
        address to;
        uint32 asset;
        uint64 amount;
        bytes32 sibling; // other leaf of a two-leaf tree, 0 for a single-leaf tree
        bytes32 root;
    }

    W[] public withdrawals;

    constructor(Vault vault_, SettlementDouble settlement_, DevToken t0, DevToken t1) {
        vault = vault_;
        settlement = settlement_;
        tokens[0] = t0;
        tokens[1] = t1;
        for (uint256 i; i < 3; ++i) {
            t0.mint(actors[i], 1e30);
            t1.mint(actors[i], 1e30);
            vm.startPrank(actors[i]);
            t0.approve(address(vault_), type(uint256).max);
            t1.approve(address(vault_), type(uint256).max);
            vm.stopPrank();
        }
    }

    function withdrawalCount() external view returns (uint256) {
        return withdrawals.length;
    }

    function deposit(uint256 actorSeed, uint256 assetSeed, uint64 units) external {
        uint256 a = assetSeed % 2;
        units = uint64(1 + (units % 1e12));
        vm.prank(actors[actorSeed % 3]);
        vault.deposit(uint32(a + 1), actors[actorSeed % 3], uint256(units) * quanta[a]);
        depositedUnits[a] += units;
    }

    /// @dev Finalizes a root with one or two withdrawals; amounts may exceed what was deposited (a bad root).
    function finalizeWithdrawals(uint256 actorSeed, uint256 assetSeed, uint64 amount, bool pair) external {
        uint32 asset = uint32(assetSeed % 2 + 1);
        amount = uint64(amount % (depositedUnits[asset - 1] + 10));
        W memory w = W(nextWithdrawalId++, actors[actorSeed % 3], asset, amount, bytes32(0), bytes32(0));
        bytes32 leaf = leafOf(w.id, w.to, w.asset, w.amount);
        if (pair) {
            W memory v = W(nextWithdrawalId++, actors[(actorSeed + 1) % 3], asset, amount / 2, bytes32(0), bytes32(0));
            bytes32 leaf2 = leafOf(v.id, v.to, v.asset, v.amount);
            w.sibling = leaf2;
            v.sibling = leaf;
            w.root = v.root = pairRoot(leaf, leaf2);
            withdrawals.push(v);
        } else {
            w.root = leaf;
        }
        withdrawals.push(w);
        settlement.finalize(1, bytes32(0), w.root);
    }

    function claim(uint256 seed) external {
        if (withdrawals.length == 0) return;
        W memory w = withdrawals[seed % withdrawals.length];
        bytes32[] memory proof = new bytes32[](w.sibling == bytes32(0) ? 0 : 1);
        if (proof.length == 1) proof[0] = w.sibling;
        bool paidBefore = vault.isClaimed(w.id);
        try vault.claim(w.id, w.to, w.asset, w.amount, w.root, proof) {
            require(!paidBefore, "paid twice");
            timesPaid[w.id] += 1;
            claimedUnits[w.asset - 1] += w.amount;
        } catch {
            if (paidBefore) doubleClaimAttempts += 1;
        }
    }
}

contract VaultInvariantTest {
    Vault vault;
    SettlementDouble settlement;
    VaultHandler handler;
    DevToken t0;
    DevToken t1;

    function setUp() public {
        settlement = new SettlementDouble();
        Inbox inbox = new Inbox(address(this), 16, 1 << 16, 3600, 600, 0);
        vault = new Vault(IInbox(address(inbox)), ISettlement(address(settlement)), address(this), address(0), 1 days);
        inbox.initialize(address(vault));
        t0 = new DevToken("USD", "USD", 6);
        t1 = new DevToken("ETH", "ETH", 18);
        vault.registerAsset(1, address(t0), 10_000);
        vault.registerAsset(2, address(t1), 1);
        handler = new VaultHandler(vault, settlement, t0, t1);
    }

    function targetContracts() public view returns (address[] memory t) {
        t = new address[](1);
        t[0] = address(handler);
    }

    /// @notice Vault solvency: per asset, claims never exceed deposits, and the token balance is exactly
    ///         deposits - claims (scaled by the quantum): nothing leaks between assets.
    /// forge-config: default.invariant.runs = 48
    /// forge-config: default.invariant.depth = 40
    function invariant_Solvency() public view {
        for (uint256 a; a < 2; ++a) {
            uint256 dep = handler.depositedUnits(a);
            uint256 cl = handler.claimedUnits(a);
            require(cl <= dep, "claims exceed deposits");
            DevToken t = a == 0 ? t0 : t1;
            require(t.balanceOf(address(vault)) == (dep - cl) * handler.quanta(a), "balance != deposits - claims");
        }
    }

    /// @notice No withdrawal is ever paid twice.
    /// forge-config: default.invariant.runs = 48
    /// forge-config: default.invariant.depth = 40
    function invariant_NoDoubleClaim() public view {
        uint256 n = handler.withdrawalCount();
        for (uint256 i; i < n; ++i) {
            (uint64 id,,,,,) = handler.withdrawals(i);
            require(handler.timesPaid(id) <= 1, "double claim");
            require(vault.isClaimed(id) == (handler.timesPaid(id) == 1), "bitmap");
        }
    }

    /// @notice Fuzz: any single-leaf withdrawal is paid once, then refused with AlreadyClaimed.
    function testFuzz_ClaimOnce(uint64 id, uint64 units, uint8 who) public {
        units = uint64(1 + (units % 1e9));
        address to = address(uint160(0x1000 + who));
        t0.mint(address(this), uint256(units) * 10_000);
        t0.approve(address(vault), type(uint256).max);
        vault.deposit(1, to, uint256(units) * 10_000);
        bytes32 root = leafOf(id, to, 1, units);
        settlement.finalize(1, bytes32(0), root);
        vault.claim(id, to, 1, units, root, new bytes32[](0));
        require(t0.balanceOf(to) == uint256(units) * 10_000, "paid");
        require(vault.isClaimed(id), "claimed");
        vm.expectRevert(abi.encodeWithSelector(Vault.AlreadyClaimed.selector, id));
        vault.claim(id, to, 1, units, root, new bytes32[](0));
    }

    /// @notice Fuzz: a deposit credits exactly amount / quantum and refuses unquantized amounts.
    function testFuzz_DepositQuantum(uint256 amount) public {
        amount = amount % 1e30;
        t0.mint(address(this), amount);
        t0.approve(address(vault), type(uint256).max);
        if (amount == 0) {
            vm.expectRevert(abi.encodeWithSelector(Vault.ZeroAmount.selector));
        } else if (amount % 10_000 != 0) {
            vm.expectRevert(abi.encodeWithSelector(Vault.AmountNotQuantized.selector, amount, uint64(10_000)));
        } else if (amount / 10_000 > 2 ** 53 - 1) {
            vm.expectRevert(abi.encodeWithSelector(Vault.AmountTooLarge.selector, amount / 10_000));
        }
        vault.deposit(1, address(this), amount);
    }
}
