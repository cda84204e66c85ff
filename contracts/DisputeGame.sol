// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Settlement} from "./Settlement.sol";
import {IInbox} from "./interfaces/IInbox.sol";
import {PublicValues} from "./libraries/PublicValues.sol";
import {TimelockedGovernance} from "./libraries/TimelockedGovernance.sol";

/// @title DisputeGame
/// @notice Optimistic state claims over the same public values as validity proofs (docs/l1-messages.md).
///         - {propose}: anyone claims the next range on top of the finalized state, posting `proposerBond` (ETH);
///           the public values must name the proposer as `prover` and pass Settlement's range checks.
///         - {challenge}: before the window ends anyone may challenge, posting `challengerBond`. The claim must then
///           be proven ({proveClaim}: a valid policy proof of exactly the claimed public values) before the proof
///           deadline, or the challenger takes both bonds ({resolve}).
///         - {counterProve}: while the claim is open (unchallenged in its window, or challenged before the deadline)
///           anyone but the proposer may prove a different result (`newStateRoot`, `withdrawalRoot`,
///           `l1MessagesConsumed` or `l1QueueHash`) for the same range, and the proven result finalizes.
///         Whenever a claim loses (disproven, or challenged and not proven), half of its proposer bond is burned
///           (locked here for good, {burned}) and only the other half rewards the winner, so a false claim always
///           costs its proposer at least half its bond, even when the winner is the proposer's own second address.
///         - {resolve}: an unchallenged claim finalizes through Settlement after the window; the proposer's bond
///           is returned.
///         A claim whose base has moved on (another claim or a validity proof finalized first) is *stale*: it can no
///         longer finalize, but its bonds are still settled by the same rules (an unchallenged stale claim gets its
///         bond back at the window end). Bonds, windows and deadlines are snapshotted per claim, so governance
///         changes (timelocked: propose -> `changeDelay` -> apply) never affect open claims.
/// @dev Bonds are conserved: ETH enters only as exact bonds, is moved to `credit` of the winner(s) or to {burned}
///      when a claim closes, and leaves only through {withdraw} (pull payment, CEI, non-reentrant). Invariant:
///      `address(this).balance == sum(credit) + sum(bonds of open claims) + burned`. At proposal the claim's
///      `newBatchChain` is pinned in the Inbox ({IInbox.pinBatchChain}), so what the claim was checked against
///      stays readable until it resolves, however many batches are proposed meanwhile. Function names are stable
///      (bench/gas.ts measures {challenge} and {resolve}).
contract DisputeGame is TimelockedGovernance, ReentrancyGuardTransient {
    /// @notice Lifecycle of a claim. Open: Pending, Challenged. Closed: the rest.
    enum Status {
        None,
        Pending, // proposed, not challenged
        Challenged, // challenged, awaiting a proof
        Accepted, // unchallenged through the window (finalized, or stale: see ClaimResolved.finalized)
        Proven, // challenged and proven: proposer won
        ChallengerWon, // challenged and not proven before the deadline
        Disproven // a different result was proven for the range
    }

    /// @notice A claim; bonds and the proof window are snapshotted at proposal.
    struct Claim {
        address proposer;
        uint96 proposerBond;
        address challenger;
        uint96 challengerBond;
        bytes32 publicValuesHash;
        uint64 windowEnd;
        uint64 deadline;
        uint32 proofWindow;
        uint64 firstBatch;
        Status status;
    }

    /// @notice The Settlement this game finalizes through (its policy verifies proofs).
    Settlement public immutable settlement;

    /// @notice Upper bound for both windows.
    uint256 public constant MAX_WINDOW = 365 days;

    /// @notice Seconds after proposal during which a claim can be challenged.
    uint64 public challengeWindow;
    /// @notice Seconds after a challenge during which the claim can be proven.
    uint32 public proofWindow;
    /// @notice Bond (wei) of a proposer.
    uint96 public proposerBond;
    /// @notice Bond (wei) of a challenger.
    uint96 public challengerBond;

    /// @notice The Inbox whose batch chain claims are checked against (Settlement's).
    IInbox public immutable inbox;

    /// @notice ETH (wei) each account can withdraw.
    mapping(address account => uint256) public credit;

    /// @notice Wei burned from the bonds of losing proposers (held by this contract forever, never withdrawable).
    uint256 public burned;

    Claim[] private _claims;

    /// @notice A claim was proposed. `publicValues` is what a challenger must check.
    event ClaimProposed(
        uint256 indexed claimId,
        address indexed proposer,
        uint64 firstBatch,
        uint64 lastBatch,
        bytes32 newStateRoot,
        uint64 windowEnd,
        bytes publicValues
    );
    /// @notice A claim was challenged; it must be proven before `deadline`.
    event ClaimChallenged(uint256 indexed claimId, address indexed challenger, uint64 deadline);
    /// @notice A challenged claim was proven (`submitter` sent the proof; the proposer wins).
    event ClaimProven(uint256 indexed claimId, address indexed submitter, bool finalized);
    /// @notice A different result was proven for the claim's range by `counterProver`.
    event ClaimDisproven(
        uint256 indexed claimId,
        address indexed counterProver,
        bytes32 newStateRoot,
        bytes32 withdrawalRoot,
        bool finalized
    );
    /// @notice A claim closed at its window end (Accepted) or proof deadline (ChallengerWon).
    event ClaimResolved(uint256 indexed claimId, Status status, bool finalized);
    /// @notice `amount` wei was credited to `account`.
    event Credited(address indexed account, uint256 amount);
    /// @notice `amount` wei of a losing proposer's bond was burned.
    event Burned(uint256 indexed claimId, uint256 amount);
    /// @notice `account` withdrew `amount` wei.
    event Withdrawn(address indexed account, uint256 amount);
    /// @notice Parameters for new claims changed.
    event ParametersUpdated(uint64 challengeWindow, uint32 proofWindow, uint96 proposerBond, uint96 challengerBond);

    /// @notice `msg.value` is not the required bond.
    error WrongBond(uint256 expected, uint256 sent);
    /// @notice `prover` in the public values is not the caller.
    error ProverMismatch(address prover, address caller);
    /// @notice This game is not (or no longer) Settlement's dispute game: new claims could never finalize.
    error GameNotActive();
    /// @notice No claim with this id.
    error UnknownClaim(uint256 claimId);
    /// @notice The claim is not in a status that allows this action.
    error WrongStatus(uint256 claimId, Status status);
    /// @notice The challenge window has ended.
    error ChallengeWindowClosed(uint256 claimId, uint64 windowEnd);
    /// @notice The challenge window has not ended yet.
    error ChallengeWindowOpen(uint256 claimId, uint64 windowEnd);
    /// @notice The proof deadline has passed.
    error ProofDeadlinePassed(uint256 claimId, uint64 deadline);
    /// @notice The proof deadline has not passed yet.
    error ProofDeadlineNotReached(uint256 claimId, uint64 deadline);
    /// @notice The given public values are not the claim's.
    error PublicValuesMismatch(uint256 claimId);
    /// @notice The counter public values cover a different range (or base) than the claim.
    error RangeMismatch(uint256 claimId);
    /// @notice The counter public values have the same result as the claim.
    error SameResult(uint256 claimId);
    /// @notice The claim's proposer may not counter-prove its own claim.
    error ProposerCannotCounterProve(uint256 claimId);
    /// @notice Nothing to withdraw.
    error NothingToWithdraw();
    /// @notice The ETH transfer to the caller failed.
    error TransferFailed();
    /// @notice A window is 0 or above {MAX_WINDOW}, or a bond is 0 or above 2^96-1.
    error InvalidParameters();

    /// @param settlement_ The Settlement.
    /// @param challengeWindow_ Challenge window, seconds.
    /// @param proofWindow_ Proof window after a challenge, seconds.
    /// @param proposerBond_ Proposer bond, wei.
    /// @param challengerBond_ Challenger bond, wei.
    /// @param owner_ Governance (TimelockController).
    /// @param changeDelay_ Delay of parameter changes, seconds.
    constructor(
        Settlement settlement_,
        uint256 challengeWindow_,
        uint256 proofWindow_,
        uint256 proposerBond_,
        uint256 challengerBond_,
        address owner_,
        uint64 changeDelay_
    ) TimelockedGovernance(owner_, changeDelay_) {
        settlement = settlement_;
        inbox = settlement_.inbox();
        _setParameters(challengeWindow_, proofWindow_, proposerBond_, challengerBond_);
    }

    // ------------------------------------------------------------------ claims

    /// @notice Proposes an optimistic claim for the next range, with exactly `proposerBond` wei.
    /// @param publicValues The 320-byte public values; `prover` must be the caller.
    /// @return claimId The new claim's id (from 0).
    function propose(bytes calldata publicValues) external payable nonReentrant returns (uint256 claimId) {
        PublicValues.Data memory d = PublicValues.decode(publicValues);
        if (d.prover != msg.sender) revert ProverMismatch(d.prover, msg.sender);
        uint96 pBond = proposerBond;
        if (msg.value != pBond) revert WrongBond(pBond, msg.value);
        if (settlement.disputeGame() != address(this)) revert GameNotActive();
        settlement.checkPublicValues(publicValues);
        inbox.pinBatchChain(d.lastBatch);
        uint64 windowEnd = uint64(block.timestamp) + challengeWindow;
        claimId = _claims.length;
        _claims.push(
            Claim({
                proposer: msg.sender,
                proposerBond: pBond,
                challenger: address(0),
                challengerBond: challengerBond,
                publicValuesHash: keccak256(publicValues),
                windowEnd: windowEnd,
                deadline: 0,
                proofWindow: proofWindow,
                firstBatch: d.firstBatch,
                status: Status.Pending
            })
        );
        emit ClaimProposed(claimId, msg.sender, d.firstBatch, d.lastBatch, d.newStateRoot, windowEnd, publicValues);
    }

    /// @notice Challenges an unchallenged claim before its window ends, with exactly the claim's challenger bond.
    ///         The claim must then be proven before `block.timestamp + proofWindow`.
    function challenge(uint256 claimId) external payable nonReentrant {
        Claim storage c = _claim(claimId);
        if (c.status != Status.Pending) revert WrongStatus(claimId, c.status);
        if (block.timestamp >= c.windowEnd) revert ChallengeWindowClosed(claimId, c.windowEnd);
        if (msg.value != c.challengerBond) revert WrongBond(c.challengerBond, msg.value);
        uint64 deadline = uint64(block.timestamp) + c.proofWindow;
        c.challenger = msg.sender;
        c.deadline = deadline;
        c.status = Status.Challenged;
        emit ClaimChallenged(claimId, msg.sender, deadline);
    }

    /// @notice Defends a challenged claim with a valid policy proof of exactly its public values, before the
    ///         deadline (anyone may submit it). The proposer is credited both bonds; the claim finalizes if its
    ///         base is still current.
    /// @param publicValues The claim's public values.
    /// @param proof The policy envelope.
    function proveClaim(uint256 claimId, bytes calldata publicValues, bytes calldata proof) external nonReentrant {
        Claim storage c = _claim(claimId);
        if (c.status != Status.Challenged) revert WrongStatus(claimId, c.status);
        if (block.timestamp >= c.deadline) revert ProofDeadlinePassed(claimId, c.deadline);
        if (keccak256(publicValues) != c.publicValuesHash) revert PublicValuesMismatch(claimId);
        settlement.policy().verify(publicValues, proof);
        c.status = Status.Proven;
        _credit(c.proposer, uint256(c.proposerBond) + c.challengerBond);
        bool finalized = _finalizeIfCurrent(c.firstBatch, publicValues);
        emit ClaimProven(claimId, msg.sender, finalized);
    }

    /// @notice Disproves an open claim by proving a different result for the same range (same prevStateRoot,
    ///         firstBatch, lastBatch, prevBatchChain, newBatchChain). The caller must be the counter's `prover`
    ///         and not the claim's proposer. Half the proposer's bond is burned; the other half is credited to the
    ///         caller (unchallenged claim) or, with its own bond, to the challenger (challenged claim, whoever
    ///         proves). So a proposer counter-proving its own false claim from a second address, before or after
    ///         a challenge, still loses half its bond. The counter result finalizes if the base is still current.
    /// @param claimPublicValues The claim's public values.
    /// @param counterPublicValues The proven public values (`prover` = caller).
    /// @param proof Policy envelope proving `counterPublicValues`.
    function counterProve(
        uint256 claimId,
        bytes calldata claimPublicValues,
        bytes calldata counterPublicValues,
        bytes calldata proof
    ) external nonReentrant {
        Claim storage c = _claim(claimId);
        Status s = c.status;
        if (s == Status.Pending) {
            if (block.timestamp >= c.windowEnd) revert ChallengeWindowClosed(claimId, c.windowEnd);
        } else if (s == Status.Challenged) {
            if (block.timestamp >= c.deadline) revert ProofDeadlinePassed(claimId, c.deadline);
        } else {
            revert WrongStatus(claimId, s);
        }
        if (keccak256(claimPublicValues) != c.publicValuesHash) revert PublicValuesMismatch(claimId);
        PublicValues.Data memory a = PublicValues.decode(claimPublicValues);
        PublicValues.Data memory b = PublicValues.decode(counterPublicValues);
        if (
            a.prevStateRoot != b.prevStateRoot || a.firstBatch != b.firstBatch || a.lastBatch != b.lastBatch
                || a.prevBatchChain != b.prevBatchChain || a.newBatchChain != b.newBatchChain
        ) revert RangeMismatch(claimId);
        if (
            a.newStateRoot == b.newStateRoot && a.withdrawalRoot == b.withdrawalRoot
                && a.l1MessagesConsumed == b.l1MessagesConsumed && a.l1QueueHash == b.l1QueueHash
        ) revert SameResult(claimId);
        if (b.prover != msg.sender) revert ProverMismatch(b.prover, msg.sender);
        if (msg.sender == c.proposer) revert ProposerCannotCounterProve(claimId);
        settlement.policy().verify(counterPublicValues, proof);
        c.status = Status.Disproven;
        uint256 reward = _burnHalf(claimId, c.proposerBond);
        if (s == Status.Challenged) _credit(c.challenger, reward + c.challengerBond);
        else _credit(msg.sender, reward);
        bool finalized = _finalizeIfCurrent(c.firstBatch, counterPublicValues);
        emit ClaimDisproven(claimId, msg.sender, b.newStateRoot, b.withdrawalRoot, finalized);
    }

    /// @notice Closes a claim whose time is up. Unchallenged after the window: the claim finalizes through
    ///         Settlement (unless stale) and the proposer's bond is returned. Challenged and unproven after the
    ///         deadline: the challenger is credited its bond and half the proposer's, the other half is burned
    ///         (`publicValues` is not needed then; pass empty).
    /// @param publicValues The claim's public values (checked against the claim for the unchallenged case).
    function resolve(uint256 claimId, bytes calldata publicValues) external nonReentrant {
        Claim storage c = _claim(claimId);
        Status s = c.status;
        if (s == Status.Pending) {
            if (block.timestamp < c.windowEnd) revert ChallengeWindowOpen(claimId, c.windowEnd);
            if (keccak256(publicValues) != c.publicValuesHash) revert PublicValuesMismatch(claimId);
            c.status = Status.Accepted;
            _credit(c.proposer, c.proposerBond);
            bool finalized = _finalizeIfCurrent(c.firstBatch, publicValues);
            emit ClaimResolved(claimId, Status.Accepted, finalized);
        } else if (s == Status.Challenged) {
            if (block.timestamp < c.deadline) revert ProofDeadlineNotReached(claimId, c.deadline);
            c.status = Status.ChallengerWon;
            _credit(c.challenger, _burnHalf(claimId, c.proposerBond) + c.challengerBond);
            emit ClaimResolved(claimId, Status.ChallengerWon, false);
        } else {
            revert WrongStatus(claimId, s);
        }
    }

    /// @notice Withdraws the caller's whole credit.
    function withdraw() external nonReentrant {
        uint256 amount = credit[msg.sender];
        if (amount == 0) revert NothingToWithdraw();
        credit[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        (bool ok,) = payable(msg.sender).call{value: amount}("");
        if (!ok) revert TransferFailed();
    }

    /// @notice The claim `claimId`.
    function getClaim(uint256 claimId) external view returns (Claim memory) {
        return _claim(claimId);
    }

    /// @notice Number of claims ever proposed (ids are 0..claimCount-1).
    function claimCount() external view returns (uint256) {
        return _claims.length;
    }

    /// @notice True if the claim is stale: the finalized batch is no longer the one just before its range, or
    ///         Settlement is frozen (desert mode), so it
    ///         can never finalize.
    function isStale(uint256 claimId) public view returns (bool) {
        return settlement.frozen() || settlement.lastBatch() + 1 != _claim(claimId).firstBatch;
    }

    // -------------------------------------------------------------- governance

    /// @notice Governance proposes new parameters for future claims; applicable after `changeDelay`.
    function proposeParameters(
        uint256 newChallengeWindow,
        uint256 newProofWindow,
        uint256 newProposerBond,
        uint256 newChallengerBond
    ) external onlyOwner returns (bytes32 changeId) {
        _validateParameters(newChallengeWindow, newProofWindow, newProposerBond, newChallengerBond);
        return _proposeChange(
            abi.encodeCall(
                this.applyParameters, (newChallengeWindow, newProofWindow, newProposerBond, newChallengerBond)
            )
        );
    }

    /// @notice Applies proposed parameters once their delay has passed (callable by anyone).
    function applyParameters(
        uint256 newChallengeWindow,
        uint256 newProofWindow,
        uint256 newProposerBond,
        uint256 newChallengerBond
    ) external {
        _applyChange(
            abi.encodeCall(
                this.applyParameters, (newChallengeWindow, newProofWindow, newProposerBond, newChallengerBond)
            )
        );
        _setParameters(newChallengeWindow, newProofWindow, newProposerBond, newChallengerBond);
    }

    // ---------------------------------------------------------------- internal

    function _claim(uint256 claimId) private view returns (Claim storage) {
        if (claimId >= _claims.length) revert UnknownClaim(claimId);
        return _claims[claimId];
    }

    /// @dev Burns half of a losing proposer's `bond` (rounded down) and returns the rest, the winner's reward.
    function _burnHalf(uint256 claimId, uint256 bond) private returns (uint256 reward) {
        uint256 half = bond / 2;
        burned += half;
        emit Burned(claimId, half);
        return bond - half;
    }

    function _credit(address account, uint256 amount) private {
        credit[account] += amount;
        emit Credited(account, amount);
    }

    /// @dev Finalizes `publicValues` through Settlement if this game is still Settlement's game, Settlement is not
    ///      frozen (desert mode) and the range starts right after the finalized batch (claims are only accepted on
    ///      the finalized base, so the other checks were already done at proposal and Settlement repeats the base
    ///      ones). Returns whether it finalized; bonds are settled either way, so nothing is ever stuck.
    function _finalizeIfCurrent(uint64 firstBatch, bytes calldata publicValues) private returns (bool) {
        if (
            settlement.disputeGame() != address(this) || settlement.frozen()
                || settlement.lastBatch() + 1 != firstBatch
        ) return false;
        settlement.finalizeFromDisputeGame(publicValues);
        return true;
    }

    function _validateParameters(uint256 cw, uint256 pw, uint256 pb, uint256 cb) private pure {
        if (cw == 0 || cw > MAX_WINDOW || pw == 0 || pw > MAX_WINDOW) revert InvalidParameters();
        if (pb == 0 || cb == 0 || pb > type(uint96).max || cb > type(uint96).max) revert InvalidParameters();
    }

    function _setParameters(uint256 cw, uint256 pw, uint256 pb, uint256 cb) private {
        _validateParameters(cw, pw, pb, cb);
        challengeWindow = uint64(cw);
        proofWindow = uint32(pw);
        proposerBond = uint96(pb);
        challengerBond = uint96(cb);
        emit ParametersUpdated(uint64(cw), uint32(pw), uint96(pb), uint96(cb));
    }
}
