// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Settlement} from "../../contracts/Settlement.sol";
import {IProofVerifier} from "../../contracts/verifiers/IProofVerifier.sol";
import {IInbox} from "../../contracts/interfaces/IInbox.sol";
import {InboxDouble} from "./doubles/InboxDouble.sol";
import {ExactProofVerifierDouble} from "./doubles/ProofSystemDoubles.sol";

/// @dev The few cheatcodes these tests use (forge-std from npm is broken, so declared here).
interface Vm {
    function assume(bool) external pure;
    function prank(address) external;
    function deal(address, uint256) external;
    function warp(uint256) external;
}

Vm constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
bytes32 constant TAG = keccak256("EXACT");
bytes32 constant GENESIS = keccak256("genesis");

/// @dev Shared helpers: public values on the current base and the exact proof the verifier double accepts.
library SettleLib {
    function pv(
        Settlement s,
        IInbox inbox,
        uint64 firstBatch,
        uint64 lastBatch,
        bytes32 newRoot,
        address prover
    ) internal view returns (bytes memory) {
        bytes32 chain = lastBatch <= inbox.batchCount() ? inbox.batchChainAt(lastBatch) : bytes32(uint256(1));
        uint64 consumed = inbox.consumedCount();
        return abi.encode(
            s.lastStateRoot(),
            newRoot,
            firstBatch,
            lastBatch,
            s.lastBatchChain(),
            chain,
            consumed,
            inbox.queueHashAt(consumed),
            keccak256(abi.encode("w", lastBatch)),
            prover
        );
    }

    function proof(bytes memory publicValues) internal pure returns (bytes memory) {
        return abi.encodePacked(keccak256(publicValues), TAG);
    }
}

/// @notice Fuzz tests: a root is never finalized without a passing policy; only contiguous ranges finalize.
contract SettlementFuzzTest {
    InboxDouble inbox;
    Settlement settlement;

    function setUp() public {
        inbox = new InboxDouble();
        for (uint256 i = 0; i < 3; ++i) inbox.enqueue(abi.encodePacked(uint8(1), i));
        for (uint256 i = 0; i < 8; ++i) inbox.proposeCalldata(uint64(i < 4 ? 1 : 3), abi.encode(i), "");
        IProofVerifier policy = new ExactProofVerifierDouble(TAG);
        settlement = new Settlement(inbox, policy, GENESIS, address(this), 0);
    }

    function _finalize(bytes memory publicValues, bytes memory proof) internal returns (bool ok) {
        (ok,) = address(settlement).call(abi.encodeCall(Settlement.finalize, (publicValues, proof)));
    }

    /// A random proof never finalizes; the exact proof does.
    function testFuzz_NoRootWithoutPassingPolicy(bytes32 newRoot, bytes calldata randomProof, uint8 len) public {
        uint64 last = uint64(bound(len, 1, 8));
        bytes memory publicValues = SettleLib.pv(settlement, inbox, 1, last, newRoot, address(this));
        bytes memory good = SettleLib.proof(publicValues);
        vm.assume(keccak256(randomProof) != keccak256(good));
        require(!_finalize(publicValues, randomProof), "finalized with a failing proof");
        require(settlement.lastStateRoot() == GENESIS && settlement.lastBatch() == 0, "state changed");
        require(_finalize(publicValues, good), "valid proof refused");
        require(settlement.lastStateRoot() == newRoot && settlement.lastBatch() == last, "not recorded");
    }

    /// After finalizing (0, k], a range (first-1, last] finalizes iff first == k+1 and k+1 <= last <= batchCount.
    function testFuzz_OnlyContiguousRanges(uint8 k, uint64 first, uint64 last, bytes32 root) public {
        uint64 done = uint64(bound(k, 1, 7));
        bytes memory p0 = SettleLib.pv(settlement, inbox, 1, done, keccak256("r0"), address(this));
        require(_finalize(p0, SettleLib.proof(p0)), "setup");
        if (first % 2 == 0) first = done + 1; // half the runs aim at the right start
        if (last % 3 != 0 && first < 1 << 60) last = first + (last % 10); // and near real ends
        bytes memory p1 = SettleLib.pv(settlement, inbox, first, last, root, address(this));
        bool ok = _finalize(p1, SettleLib.proof(p1));
        bool contiguous = first == done + 1 && last >= first && last <= inbox.batchCount();
        require(ok == contiguous, "contiguity rule broken");
        require(settlement.lastBatch() == (ok ? last : done), "lastBatch");
    }

    function bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        return lo + (x % (hi - lo + 1));
    }
}

/// @dev Handler for the invariant test: adds batches and tries finalizations with valid or invalid proofs over
///      contiguous or arbitrary ranges, keeping a ghost copy of what *should* be finalized.
contract SettlementHandler {
    InboxDouble public inbox;
    Settlement public settlement;
    bytes32 public ghostRoot = GENESIS;
    uint64 public ghostBatch;
    uint256 public violations;
    uint256 public finalizations;

    constructor(InboxDouble inbox_, Settlement settlement_) {
        inbox = inbox_;
        settlement = settlement_;
    }

    function addBatches(uint8 n, bool withMessage) external {
        if (withMessage) inbox.enqueue(abi.encodePacked(uint8(1), n));
        uint64 end = inbox.messageCount();
        for (uint256 i = 0; i < (n % 4) + 1; ++i) inbox.proposeCalldata(end, abi.encode(n, i), "");
    }

    function finalize(uint64 first, uint64 last, bytes32 root, bool validProof, bytes calldata junk) external {
        uint64 count = inbox.batchCount();
        if (first % 2 == 0) first = ghostBatch + 1; // half the time aim at the right start
        if (count > 0 && last % 3 != 0) last = uint64(first + (last % 5)); // and near a real end
        bytes memory p = SettleLib.pv(settlement, inbox, first, last, root, address(this));
        bytes memory proof = validProof ? SettleLib.proof(p) : junk;
        bool passing = keccak256(proof) == keccak256(SettleLib.proof(p));
        (bool ok,) = address(settlement).call(abi.encodeCall(Settlement.finalize, (p, proof)));
        if (ok) {
            bool contiguous = first == ghostBatch + 1 && last >= first && last <= count;
            if (!passing || !contiguous) ++violations;
            ghostRoot = root;
            ghostBatch = last;
            ++finalizations;
        }
    }
}

/// @notice Invariants: the finalized root/batch only ever move by a contiguous range with a passing policy.
contract SettlementInvariantTest {
    SettlementHandler handler;
    Settlement settlement;

    function setUp() public {
        InboxDouble inbox = new InboxDouble();
        IProofVerifier policy = new ExactProofVerifierDouble(TAG);
        settlement = new Settlement(inbox, policy, GENESIS, address(this), 0);
        handler = new SettlementHandler(inbox, settlement);
    }

    function targetContracts() public view returns (address[] memory t) {
        t = new address[](1);
        t[0] = address(handler);
    }

    /// forge-config: default.invariant.runs = 48
    /// forge-config: default.invariant.depth = 30
    function invariant_rootNeverFinalizedWithoutPassingPolicy() public view {
        require(handler.violations() == 0, "finalized without passing policy or non-contiguous");
        require(settlement.lastStateRoot() == handler.ghostRoot(), "root moved outside a valid finalization");
        require(settlement.lastBatch() == handler.ghostBatch(), "batch moved outside a valid finalization");
    }
}
