// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Settlement} from "../../contracts/Settlement.sol";
import {DisputeGame} from "../../contracts/DisputeGame.sol";
import {IProofVerifier} from "../../contracts/verifiers/IProofVerifier.sol";
import {VerifierPolicy} from "../../contracts/verifiers/VerifierPolicy.sol";
import {Inbox} from "../../contracts/Inbox.sol";
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

/// @dev Handler: random actors propose (honest or false claims), challenge, prove, counter-prove, resolve,
///      withdraw; floods of empty proposals wrap the Inbox's 16-entry batch ring between any two steps; time passes;
///      also finalizations straight through Settlement (making claims stale). Proofs exist only for the true result
///      (`_truth`), as with a sound proof system. Tracks ETH in and out and whether an honest defence ever failed.
contract DisputeHandler {
    Inbox public inbox;
    Settlement public settlement;
    DisputeGame public game;
    address[4] public actors = [address(0xA11CE), address(0xB0B), address(0xCA501), address(0xD0D0)];
    uint256 public ethIn;
    uint256 public ethOut;
    uint256 public calls;
    uint256 public floods;
    uint256 public honestDefenceFailures;
    mapping(uint256 claimId => bytes) public claimPv;
    mapping(uint256 claimId => bool) public honest;

    constructor(Inbox inbox_, Settlement settlement_, DisputeGame game_) {
        inbox = inbox_;
        settlement = settlement_;
        game = game_;
    }

    receive() external payable {}

    function _actor(uint256 seed) internal view returns (address) {
        return actors[seed % actors.length];
    }

    /// @dev The true state root after batch `last` (what a valid proof proves).
    function _truth(uint64 last) internal pure returns (bytes32) {
        return keccak256(abi.encode("truth", last));
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
        uint64 end = inbox.consumedCount();
        for (uint256 i = 0; i < (n % 3) + 1; ++i) inbox.proposeCalldata(end, abi.encode(n, i, block.timestamp), "");
    }

    /// @dev An attacker's flood: up to 40 empty proposals (more than the 16-entry ring).
    function flood(uint8 n) public {
        uint64 end = inbox.consumedCount();
        for (uint256 i = 0; i < n % 41; ++i) inbox.proposeCalldata(end, "", "");
        floods += n % 41;
    }

    function propose(uint256 actorSeed, uint8 rootSeed, uint8 lenSeed) external {
        uint64 first = settlement.lastBatch() + 1;
        uint64 count = inbox.batchCount();
        if (count < first) return;
        uint64 lo = count >= 15 && count - 15 > first ? count - 15 : first; // b(last) must still be in the ring
        uint64 last = lo + uint64(lenSeed % (count - lo + 1));
        address a = _actor(actorSeed);
        bool isHonest = rootSeed % 2 == 0;
        bytes memory pv = _pv(last, isHonest ? _truth(last) : bytes32(uint256(rootSeed % 3) + 1), a);
        vm.deal(a, PB);
        vm.prank(a);
        uint256 id = game.propose{value: PB}(pv);
        ethIn += PB;
        claimPv[id] = pv;
        honest[id] = isHonest;
    }

    /// @dev Challenge, then a flood; an honest claim's proposer then defends with its (valid) proof.
    function challenge(uint256 actorSeed, uint256 claimSeed, uint8 floodSeed) external {
        if (game.claimCount() == 0) return;
        uint256 id = _claimId(claimSeed);
        DisputeGame.Claim memory c = game.getClaim(id);
        if (c.status != DisputeGame.Status.Pending || block.timestamp >= c.windowEnd) return;
        address a = _actor(actorSeed);
        vm.deal(a, c.challengerBond);
        vm.prank(a);
        game.challenge{value: c.challengerBond}(id);
        ethIn += c.challengerBond;
        flood(floodSeed);
        if (honest[id]) _defend(id);
    }

    function prove(uint256 claimSeed) external {
        if (game.claimCount() == 0) return;
        uint256 id = _claimId(claimSeed);
        DisputeGame.Claim memory c = game.getClaim(id);
        if (!honest[id] || c.status != DisputeGame.Status.Challenged || block.timestamp >= c.deadline) return;
        _defend(id);
    }

    function _defend(uint256 id) internal {
        bytes memory pv = claimPv[id];
        try game.proveClaim(id, pv, _proof(pv)) {} // a stale claim's proof still settles its bonds
        catch {
            ++honestDefenceFailures;
        }
    }

    /// @dev Counter-proves a false current claim with the true result (nothing else has a valid proof).
    function counterProve(uint256 actorSeed, uint256 claimSeed) external {
        if (game.claimCount() == 0) return;
        uint256 id = _claimId(claimSeed);
        DisputeGame.Claim memory c = game.getClaim(id);
        bool open = (c.status == DisputeGame.Status.Pending && block.timestamp < c.windowEnd)
            || (c.status == DisputeGame.Status.Challenged && block.timestamp < c.deadline);
        if (!open || honest[id]) return;
        bytes memory claim = claimPv[id];
        if (c.firstBatch != settlement.lastBatch() + 1) return; // keep it simple: counter only current claims
        address a = _actor(actorSeed);
        if (a == c.proposer) return; // refused (ProposerCannotCounterProve); covered by the mocha tests
        (,,, uint64 last,, bytes32 chain,,,,) = abi.decode(
            claim, (bytes32, bytes32, uint64, uint64, bytes32, bytes32, uint64, bytes32, bytes32, address)
        );
        uint64 consumed = inbox.consumedCount();
        bytes memory counter = abi.encode(
            settlement.lastStateRoot(), _truth(last), c.firstBatch, last, settlement.lastBatchChain(), chain, consumed,
            inbox.queueHashAt(consumed), keccak256(abi.encode(_truth(last))), a
        );
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

    function finalizeDirectly() external {
        uint64 first = settlement.lastBatch() + 1;
        uint64 count = inbox.batchCount();
        if (count < first) return;
        bytes memory pv = _pv(count, _truth(count), address(this));
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

    /// Sum of credits of all actors plus bonds held by open claims plus burned bonds.
    function owed() external view returns (uint256 sum) {
        sum = game.burned();
        for (uint256 i = 0; i < actors.length; ++i) sum += game.credit(actors[i]);
        uint256 n = game.claimCount();
        for (uint256 i = 0; i < n; ++i) {
            DisputeGame.Claim memory c = game.getClaim(i);
            if (c.status == DisputeGame.Status.Pending) sum += c.proposerBond;
            if (c.status == DisputeGame.Status.Challenged) sum += uint256(c.proposerBond) + c.challengerBond;
        }
    }

    /// Number of honest claims that lost (challenger won or disproven).
    function honestLosses() external view returns (uint256 lost) {
        uint256 n = game.claimCount();
        for (uint256 i = 0; i < n; ++i) {
            DisputeGame.Status st = game.getClaim(i).status;
            if (honest[i] && (st == DisputeGame.Status.ChallengerWon || st == DisputeGame.Status.Disproven)) ++lost;
        }
    }
}

/// @notice Invariants under floods of proposals that wrap the Inbox's batch ring: bonds are conserved (ETH held ==
///         credits + bonds of open claims + burned == ETH in - ETH out); an honest claim with a valid proof always
///         wins (its defence never reverts, it never ends ChallengerWon or Disproven).
contract DisputeGameInvariantTest {
    DisputeHandler handler;
    DisputeGame game;

    function setUp() public {
        vm.warp(1_000_000);
        Inbox inbox = new Inbox(address(this), 16, 16, 3600, 600, 0);
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
        require(address(game).balance == handler.owed(), "balance != credits + open bonds + burned");
        require(address(game).balance == handler.ethIn() - handler.ethOut(), "ETH minted or lost");
    }

    /// forge-config: default.invariant.runs = 48
    /// forge-config: default.invariant.depth = 40
    function invariant_honestClaimAlwaysWins() public view {
        require(handler.honestDefenceFailures() == 0, "a valid proof of an honest claim was refused");
        require(handler.honestLosses() == 0, "an honest claim lost");
    }
}

/// @dev The production VerifierPolicy (ANY of one verifier, no delay), owned by the test.
contract PolicyForTest is VerifierPolicy {
    constructor(IProofVerifier[] memory list) VerifierPolicy(list, 0, 1, msg.sender, 0) {}
}
