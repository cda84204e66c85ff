// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Inbox} from "../../contracts/Inbox.sol";

/// @dev The few cheatcodes these tests use (forge-std from npm is broken, so declared here).
interface Vm {
    function assume(bool) external pure;
    function prank(address) external;
    function deal(address, uint256) external;
    function warp(uint256) external;
    function roll(uint256) external;
    function expectRevert(bytes4) external;
}

Vm constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

/// @dev Independent model of the queue and batch chains (docs/l1-messages.md).
library Chain {
    function nextQ(bytes32 q, bytes memory m) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(q, keccak256(m)));
    }

    /// @dev c(i) v2: the v1 fields, then the proposer and q(s).
    function nextB(bytes32 b, uint64 i, uint8 kind, bytes32 dataHash, uint64 s, uint64 e, bytes32 q, bytes32 qs)
        internal
        view
        returns (bytes32)
    {
        bytes memory v1 = abi.encodePacked(i, kind, dataHash, s, e, q, uint64(block.timestamp), uint64(block.number));
        bytes32 c = keccak256(abi.encodePacked(v1, address(this), qs));
        return keccak256(abi.encodePacked(b, c));
    }
}

/// @notice Outside a type-3 transaction BLOBHASH is zero: propose reverts with NoBlobs. (EDR's `vm.blobhashes`
///         does not reach BLOBHASH, so 1/6/7-blob proposals are tested with real type-3 transactions: in-process
///         in Inbox.test.ts, and 7 blobs on anvil (Prague allows 9 per block) in Anvil.integration.test.ts.)
contract InboxBlobTest {
    Inbox inbox;

    function setUp() public {
        inbox = new Inbox(address(this), 16, 16, 3600, 600, 0);
        inbox.initialize(address(0xBEEF));
    }

    function test_RevertWhen_NoBlobs() public {
        vm.expectRevert(Inbox.NoBlobs.selector);
        inbox.propose(0, "");
    }
}

/// @notice Drives the Inbox with random deposits, forced transactions, proposals and time, keeping a model of
///         q(n) and b(i) computed independently.
contract InboxHandler {
    Inbox public immutable inbox;
    address public constant VAULT = address(0xBEEF);
    bytes32[] public q; // q(0..count)
    bytes32[] public b; // b(0..batchCount)
    uint256 public constant FEE = 1e15;

    constructor(Inbox inbox_) {
        inbox = inbox_;
        q.push(bytes32(0));
        b.push(bytes32(0));
        vm.deal(address(this), 1e24);
    }

    function qLen() external view returns (uint256) {
        return q.length;
    }

    function bLen() external view returns (uint256) {
        return b.length;
    }

    function _room() internal view returns (bool) {
        return inbox.messageCount() + 1 - inbox.consumedCount() < inbox.queueRingSize();
    }

    function deposit(address account, uint32 asset, uint64 amount) external {
        if (!_room()) return;
        bytes memory m = abi.encodePacked(uint8(1), account, asset, amount);
        vm.prank(VAULT);
        inbox.enqueue(m);
        q.push(Chain.nextQ(q[q.length - 1], m));
    }

    function forceWithdraw(address who, uint32 asset, uint64 amount) external {
        if (!_room()) return;
        amount = uint64(bound(amount, 1, 2 ** 53 - 1));
        vm.deal(who, FEE);
        vm.prank(who);
        inbox.forceWithdraw{value: FEE}(asset, amount);
        q.push(Chain.nextQ(q[q.length - 1], abi.encodePacked(uint8(2), who, asset, amount)));
    }

    function forceCancel(address who, uint32 market, uint64 orderId) external {
        if (!_room()) return;
        vm.deal(who, FEE);
        vm.prank(who);
        inbox.forceCancel{value: FEE}(market, orderId);
        q.push(Chain.nextQ(q[q.length - 1], abi.encodePacked(uint8(3), who, market, orderId)));
    }

    /// @dev Proposes a calldata batch ending at a random valid position no earlier than every due message.
    function propose(uint256 endSeed, bytes calldata data) external {
        uint64 start = inbox.consumedCount();
        uint64 count = inbox.messageCount();
        uint64 minEnd = inbox.minL1MsgEnd(block.timestamp);
        uint64 end = uint64(bound(endSeed, minEnd, count));
        uint64 idx = inbox.proposeCalldata(end, data, "");
        b.push(Chain.nextB(b[b.length - 1], idx, 2, keccak256(data), start, end, q[end], q[start]));
    }

    function skipTime(uint256 dt) external {
        dt = bound(dt, 1, 2 hours);
        vm.warp(block.timestamp + dt);
        vm.roll(block.number + 1);
    }

    function bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        if (hi <= lo) return lo;
        return lo + (x % (hi - lo + 1));
    }
}

contract InboxInvariantTest {
    Inbox inbox;
    InboxHandler handler;

    function setUp() public {
        inbox = new Inbox(address(this), 16, 16, 3600, 600, 1e15);
        handler = new InboxHandler(inbox);
        inbox.initialize(handler.VAULT());
    }

    function targetContracts() public view returns (address[] memory t) {
        t = new address[](1);
        t[0] = address(handler);
    }

    /// forge-config: default.invariant.runs = 48
    /// forge-config: default.invariant.depth = 40
    function invariant_QueueHashChain() public view {
        uint64 count = inbox.messageCount();
        require(handler.qLen() == uint256(count) + 1, "count");
        uint256 ring = inbox.queueRingSize();
        uint256 from = count >= ring ? count - ring + 1 : 0;
        for (uint256 n = from; n <= count; ++n) {
            require(inbox.queueHashAt(uint64(n)) == handler.q(n), "q(n)");
        }
        require(inbox.consumedCount() <= count, "consumed <= count");
        require(count - inbox.consumedCount() < ring, "ring bound");
    }

    /// forge-config: default.invariant.runs = 48
    /// forge-config: default.invariant.depth = 40
    function invariant_BatchChain() public view {
        uint64 n = inbox.batchCount();
        require(handler.bLen() == uint256(n) + 1, "batches");
        uint256 ring = inbox.batchRingSize();
        uint256 from = n >= ring ? n - ring + 1 : 0;
        for (uint256 i = from; i <= n; ++i) {
            require(inbox.batchChainAt(uint64(i)) == handler.b(i), "b(i)");
        }
    }

    /// @notice Fuzzed single message: q(1) is H(0 || H(m)) for any deposit payload.
    function testFuzz_DepositQueueHash(address account, uint32 asset, uint64 amount) public {
        handler.deposit(account, asset, amount);
        bytes memory m = abi.encodePacked(uint8(1), account, asset, amount);
        require(m.length == 33, "length");
        require(inbox.queueHashAt(1) == keccak256(abi.encodePacked(bytes32(0), keccak256(m))), "q(1)");
    }
}
