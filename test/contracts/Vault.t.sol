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
    function warp(uint256) external;
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

    // desert mode ghosts
    uint256[2] public exitedUnits;
    uint256[2] public refundedUnits;
    mapping(bytes32 => uint256) public timesExited;
    mapping(uint64 => uint256) public timesRefunded;
    bytes32[] public messageHashes; // every queued message (all deposits here), in queue order
    uint64[] public depositIndex;
    uint32[] public depositAsset;
    uint64[] public depositUnits;
    address[] public depositAccount;

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

    function messageCount() external view returns (uint256) {
        return messageHashes.length;
    }

    function deposit(uint256 actorSeed, uint256 assetSeed, uint64 units) external {
        uint256 a = assetSeed % 2;
        units = uint64(1 + (units % 1e12));
        vm.prank(actors[actorSeed % 3]);
        uint64 index = vault.deposit(uint32(a + 1), actors[actorSeed % 3], uint256(units) * quanta[a]);
        depositedUnits[a] += units;
        messageHashes.push(keccak256(abi.encodePacked(uint8(1), actors[actorSeed % 3], uint32(a + 1), units)));
        depositIndex.push(index);
        depositAsset.push(uint32(a + 1));
        depositUnits.push(units);
        depositAccount.push(actors[actorSeed % 3]);
    }

    /// @dev Desert mode: finalization stalls past the escape delay and anyone freezes (for good).
    function freeze() external {
        if (vault.frozen()) return;
        vm.warp(block.timestamp + 1 days + 1);
        vault.freeze();
    }

    /// @dev An exit against a (possibly adversarial) finalized state root: a one-leaf trie whose ACCOUNT leaf gives
    ///      `actor` any balance, maybe more than the Vault holds.
    function exit(uint256 actorSeed, uint256 assetSeed, uint64 available, uint64 locked) external {
        if (!vault.frozen()) return;
        address who = actors[actorSeed % 3];
        uint32 asset = uint32(assetSeed % 2 + 1);
        available = uint64(available % (depositedUnits[asset - 1] + 10));
        locked = uint64(locked % 1000);
        bytes memory leaf = abi.encodePacked(
            uint8(4), who, uint64(actorSeed % 7), uint64(0), uint16(1), asset, available, locked, uint16(0), uint8(0)
        );
        settlement.finalize(1, keccak256(abi.encodePacked(uint8(0), leaf)), bytes32(0));
        bytes32 key = keccak256(abi.encode(who, asset));
        bool before = vault.exited(who, asset);
        try vault.exit(who, asset, leaf, new bytes32[](0)) {
            require(!before, "exited twice");
            timesExited[key] += 1;
            exitedUnits[asset - 1] += uint256(available) + locked;
        } catch {}
    }

    /// @dev Refunds a (never finalized) deposit with the bounded queue proof.
    function refund(uint256 seed) external {
        if (!vault.frozen() || depositIndex.length == 0) return;
        uint256 k = seed % depositIndex.length;
        uint64 n = depositIndex[k];
        uint64 count = uint64(messageHashes.length);
        uint64 start = n - n % 64;
        uint64 end = start + 64 <= count ? start + 64 : count;
        bytes32[] memory others = new bytes32[](end - start - 1);
        uint256 j;
        for (uint64 i = start; i < end; ++i) {
            if (i != n) others[j++] = messageHashes[i];
        }
        bool before = vault.isRefunded(n);
        try vault.refund(n, depositAccount[k], depositAsset[k], depositUnits[k], end, others) {
            require(!before, "refunded twice");
            timesRefunded[n] += 1;
            refundedUnits[depositAsset[k] - 1] += depositUnits[k];
        } catch {}
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

    /// @notice Vault solvency, desert mode included: per asset, claims + exits + refunds never exceed deposits
    ///         (even against adversarial withdrawal and state roots), and the token balance is exactly deposits minus
    ///         everything paid (scaled by the quantum): nothing leaks between assets.
    /// forge-config: default.invariant.runs = 48
    /// forge-config: default.invariant.depth = 40
    function invariant_Solvency() public view {
        for (uint256 a; a < 2; ++a) {
            uint256 dep = handler.depositedUnits(a);
            uint256 out = handler.claimedUnits(a) + handler.exitedUnits(a) + handler.refundedUnits(a);
            require(out <= dep, "paid more than deposited");
            DevToken t = a == 0 ? t0 : t1;
            require(t.balanceOf(address(vault)) == (dep - out) * handler.quanta(a), "balance != deposits - paid");
        }
    }

    /// @notice Desert mode: no deposit is refunded twice; the Vault's bitmap agrees.
    /// forge-config: default.invariant.runs = 48
    /// forge-config: default.invariant.depth = 40
    function invariant_NoDoubleRefund() public view {
        uint256 n = handler.messageCount();
        for (uint64 i; i < n; ++i) {
            require(handler.timesRefunded(i) <= 1, "double refund");
            require(vault.isRefunded(i) == (handler.timesRefunded(i) == 1), "refund bitmap");
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
