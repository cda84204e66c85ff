// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Settlement} from "../../contracts/Settlement.sol";
import {DisputeGame} from "../../contracts/DisputeGame.sol";
import {IProofVerifier} from "../../contracts/verifiers/IProofVerifier.sol";
import {VerifierPolicy} from "../../contracts/verifiers/VerifierPolicy.sol";
import {InboxDouble} from "./doubles/InboxDouble.sol";
import {ExactProofVerifierDouble} from "./doubles/ProofSystemDoubles.sol";

interface Vm {
    function prank(address) external;
    function deal(address, uint256) external;
    function warp(uint256) external;
}

Vm constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
bytes32 constant TAG = keccak256("EXACT");
uint256 constant PB = 1 ether;
uint256 constant CB = 0.5 ether;
uint256 constant WINDOW = 100;
uint256 constant PROOF_WINDOW = 50;

/// @dev Handler: random actors propose, challenge, prove, counter-prove, resolve, withdraw, and time passes;
///      also finalizations straight through Settlement (making claims stale). Tracks ETH in and out.
contract DisputeHandler {
    InboxDouble public inbox;
    Settlement public settlement;
    DisputeGame public game;
    address[4] public actors = [address(0xA11CE), address(0xB0B), address(0xCA501), address(0xD0D0)];
    uint256 public ethIn;
    uint256 public ethOut;
    uint256 public calls;
    mapping(uint256 claimId => bytes) public claimPv;

    constructor(InboxDouble inbox_, Settlement settlement_, DisputeGame game_) {
        inbox = inbox_;
        settlement = settlement_;
        game = game_;
    }

    receive() external payable {}

    function _actor(uint256 seed) internal view returns (address) {
        return actors[seed % actors.length];
    }

    function _pv(uint64 last, bytes32 root, address prover) internal view returns (bytes memory) {
        uint64 consumed = inbox.consumedCount();
        return abi.encode(
            settlement.lastStateRoot(), root, settlement.lastBatch() + 1, last, settlement.lastBatchChain(),
            inbox.batchChainAt(last), consumed, inbox.queueHashAt(consumed), keccak256(abi.encode(root)), prover
        );
    }

    function _proof(bytes memory pv) internal pure returns (bytes memory) {
        return abi.encodePacked(uint8(1), uint8(0), uint32(64), keccak256(pv), TAG); // envelope, id 0
    }

    function _claimId(uint256 seed) internal view returns (uint256) {
        uint256 n = game.claimCount();
        return n == 0 ? 0 : seed % n;
    }

    function addBatches(uint8 n) external {
        uint64 end = inbox.messageCount();
        for (uint256 i = 0; i < (n % 3) + 1; ++i) inbox.proposeCalldata(end, abi.encode(n, i, block.timestamp), "");
    }

    function propose(uint256 actorSeed, uint8 rootSeed, uint8 lenSeed) external {
        uint64 first = settlement.lastBatch() + 1;
        uint64 count = inbox.batchCount();
        if (count < first) return;
        address a = _actor(actorSeed);
        bytes memory pv = _pv(first + uint64(lenSeed % (count - first + 1)), bytes32(uint256(rootSeed % 3)), a);
        vm.deal(a, PB);
        vm.prank(a);
        uint256 id = game.propose{value: PB}(pv);
        ethIn += PB;
        claimPv[id] = pv;
    }

    function challenge(uint256 actorSeed, uint256 claimSeed) external {
        if (game.claimCount() == 0) return;
        uint256 id = _claimId(claimSeed);
        DisputeGame.Claim memory c = game.getClaim(id);
        if (c.status != DisputeGame.Status.Pending || block.timestamp >= c.windowEnd) return;
        address a = _actor(actorSeed);
        vm.deal(a, c.challengerBond);
        vm.prank(a);
        game.challenge{value: c.challengerBond}(id);
        ethIn += c.challengerBond;
    }

    function prove(uint256 claimSeed) external {
        if (game.claimCount() == 0) return;
        uint256 id = _claimId(claimSeed);
        DisputeGame.Claim memory c = game.getClaim(id);
        if (c.status != DisputeGame.Status.Challenged || block.timestamp >= c.deadline) return;
        bytes memory pv = claimPv[id];
        game.proveClaim(id, pv, _proof(pv)); // a stale claim's proof still settles its bonds
    }

    function counterProve(uint256 actorSeed, uint256 claimSeed, uint8 rootSeed) external {
        if (game.claimCount() == 0) return;
        uint256 id = _claimId(claimSeed);
        DisputeGame.Claim memory c = game.getClaim(id);
        bool open = (c.status == DisputeGame.Status.Pending && block.timestamp < c.windowEnd)
            || (c.status == DisputeGame.Status.Challenged && block.timestamp < c.deadline);
        if (!open) return;
        bytes memory claim = claimPv[id];
        if (c.firstBatch != settlement.lastBatch() + 1) return; // keep it simple: counter only current claims
        address a = _actor(actorSeed);
        if (a == c.proposer) return; // refused (ProposerCannotCounterProve); covered by the mocha tests
        (,,, uint64 last,,,,,,) = abi.decode(
            claim, (bytes32, bytes32, uint64, uint64, bytes32, bytes32, uint64, bytes32, bytes32, address)
        );
        bytes memory counter = _pv(last, bytes32(uint256(rootSeed % 3) + 10), a);
        vm.prank(a);
        game.counterProve(id, claim, counter, _proof(counter));
    }

    function resolve(uint256 claimSeed) external {
        if (game.claimCount() == 0) return;
        uint256 id = _claimId(claimSeed);
        DisputeGame.Claim memory c = game.getClaim(id);
        if (c.status == DisputeGame.Status.Pending && block.timestamp >= c.windowEnd) {
            game.resolve(id, claimPv[id]);
        } else if (c.status == DisputeGame.Status.Challenged && block.timestamp >= c.deadline) {
            game.resolve(id, "");
        }
    }

    function finalizeDirectly(uint8 rootSeed) external {
        uint64 first = settlement.lastBatch() + 1;
        uint64 count = inbox.batchCount();
        if (count < first) return;
        bytes memory pv = _pv(count, bytes32(uint256(rootSeed) + 100), address(this));
        settlement.finalize(pv, _proof(pv));
    }

    function withdraw(uint256 actorSeed) external {
        address a = _actor(actorSeed);
        uint256 amount = game.credit(a);
        if (amount == 0) return;
        uint256 before = a.balance;
        vm.prank(a);
        game.withdraw();
        require(a.balance == before + amount, "paid a different amount");
        ethOut += amount;
    }

    function warp(uint16 secs) external {
        vm.warp(block.timestamp + (secs % 120));
    }

    /// Sum of credits of all actors plus bonds held by open claims.
    function owed() external view returns (uint256 sum) {
        for (uint256 i = 0; i < actors.length; ++i) sum += game.credit(actors[i]);
        uint256 n = game.claimCount();
        for (uint256 i = 0; i < n; ++i) {
            DisputeGame.Claim memory c = game.getClaim(i);
            if (c.status == DisputeGame.Status.Pending) sum += c.proposerBond;
            if (c.status == DisputeGame.Status.Challenged) sum += uint256(c.proposerBond) + c.challengerBond;
        }
    }
}

/// @notice Invariant: bonds are conserved (ETH held == credits + bonds of open claims == ETH in - ETH out).
contract DisputeGameInvariantTest {
    DisputeHandler handler;
    DisputeGame game;

    function setUp() public {
        vm.warp(1_000_000);
        InboxDouble inbox = new InboxDouble();
        IProofVerifier exact = new ExactProofVerifierDouble(TAG);
        IProofVerifier[] memory list = new IProofVerifier[](1);
        list[0] = exact;
        Settlement settlement = new Settlement(inbox, _policy(list), keccak256("genesis"), address(this), 0);
        game = new DisputeGame(settlement, WINDOW, PROOF_WINDOW, PB, CB, address(this), 0);
        settlement.initDisputeGame(address(game));
        handler = new DisputeHandler(inbox, settlement, game);
    }

    function _policy(IProofVerifier[] memory list) internal returns (IProofVerifier) {
        return IProofVerifier(address(new PolicyForTest(list)));
    }

    function targetContracts() public view returns (address[] memory t) {
        t = new address[](1);
        t[0] = address(handler);
    }

    /// forge-config: default.invariant.runs = 48
    /// forge-config: default.invariant.depth = 40
    function invariant_bondsConserved() public view {
        require(address(game).balance == handler.owed(), "balance != credits + open bonds");
        require(address(game).balance == handler.ethIn() - handler.ethOut(), "ETH minted or lost");
    }
}

/// @dev The production VerifierPolicy (ANY of one verifier, no delay), owned by the test.
contract PolicyForTest is VerifierPolicy {
    constructor(IProofVerifier[] memory list) VerifierPolicy(list, 0, 1, msg.sender, 0) {}
}
