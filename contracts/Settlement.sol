// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ISettlement} from "./interfaces/ISettlement.sol";
import {IInbox} from "./interfaces/IInbox.sol";
import {IProofVerifier} from "./verifiers/IProofVerifier.sol";
import {PublicValues} from "./libraries/PublicValues.sol";
import {TimelockedGovernance} from "./libraries/TimelockedGovernance.sol";

/// @title Settlement
/// @notice Finalizes contiguous batch ranges `(lastBatch, pv.lastBatch]` of the rollup, either by validity proof
///         through the verifier policy ({finalize}) or, for optimistic claims, by the DisputeGame
///         ({finalizeFromDisputeGame}). Keeps the last finalized state root, batch, batch chain and L1 message
///         position, and the set of finalized withdrawal roots the Vault pays against.
/// @dev Public values layout: docs/l1-messages.md. Checks on every finalization ({checkPublicValues}):
///      `prevStateRoot == lastStateRoot`, `firstBatch == lastBatch + 1`, `lastBatch >= firstBatch`,
///      `prevBatchChain == lastBatchChain` (the stored b(lastBatch), equal to `inbox.batchChainAt(firstBatch-1)`
///      but robust to the Inbox ring buffer wrapping), `newBatchChain == inbox.batchChainAt(lastBatch)`,
///      `l1QueueHash == inbox.queueHashAt(l1MessagesConsumed)` and the message position never going back.
///      All external calls made while finalizing are `view` (STATICCALL), so none can re-enter.
///      Nothing read from the Inbox's ring buffers decides a dispute: {finalizeFromDisputeGame} reads b(lastBatch),
///      which the game pinned in the Inbox when the claim was proposed, and does not re-read q(n) (checked at
///      proposal for a claim, bound by the proof for a counter-proof). Desert mode: once the Vault has frozen the
///      rollup ({freeze}, only the bound Vault, after its escape delay) nothing finalizes any more and the last
///      finalized state root is what users exit against.
///      Function names are stable: bench/gas.ts calls {finalize}; the DisputeGame calls {checkPublicValues} and
///      {finalizeFromDisputeGame}.
contract Settlement is ISettlement, TimelockedGovernance {
    /// @notice The Inbox whose batch chain and L1 message queue the public values must match.
    IInbox public immutable inbox;

    /// @notice Address allowed once to bind the dispute game ({initDisputeGame}); the deployer.
    address public immutable deployer;

    /// @inheritdoc ISettlement
    bytes32 public lastStateRoot;

    /// @notice Batch chain value b(lastBatch) (b(0) = 0).
    bytes32 public lastBatchChain;

    /// @inheritdoc ISettlement
    uint64 public lastBatch;

    /// @inheritdoc ISettlement
    uint64 public lastFinalizedAt;

    /// @notice L1 messages consumed by the finalized batches (the queue position q(.) of the last range).
    uint64 public lastL1MessagesConsumed;

    /// @inheritdoc ISettlement
    bool public frozen;

    /// @notice The verifier policy deciding which proofs finalize.
    IProofVerifier public policy;

    /// @notice The DisputeGame allowed to finalize optimistic claims (zero: optimistic path disabled).
    address public disputeGame;

    /// @notice True once a dispute game was bound by {initDisputeGame} or set by governance.
    bool public disputeGameInitialized;

    /// @notice The Vault, the only account that may {freeze} (bound once by the deployer, {initVault}).
    address public vault;

    /// @notice Last batch of the range that finalized each withdrawal root (0 = not finalized).
    mapping(bytes32 withdrawalRoot => uint64 lastBatch) public withdrawalRootBatch;

    /// @notice The verifier policy changed.
    event PolicyUpdated(IProofVerifier oldPolicy, IProofVerifier newPolicy);
    /// @notice The dispute game changed.
    event DisputeGameUpdated(address oldGame, address newGame);
    /// @notice The Vault was bound.
    event VaultBound(address vault);
    /// @notice The rollup froze for good (desert mode) at the last finalized state.
    event Frozen(uint64 lastBatch, bytes32 lastStateRoot, uint64 lastL1MessagesConsumed);

    /// @notice `prevStateRoot` is not the last finalized state root.
    error PrevStateRootMismatch(bytes32 expected, bytes32 actual);
    /// @notice `firstBatch` is not one past the last finalized batch.
    error NonContiguousRange(uint64 expectedFirstBatch, uint64 firstBatch);
    /// @notice `lastBatch < firstBatch`.
    error EmptyRange(uint64 firstBatch, uint64 lastBatch);
    /// @notice `prevBatchChain` is not b(firstBatch - 1).
    error PrevBatchChainMismatch(bytes32 expected, bytes32 actual);
    /// @notice `newBatchChain` is not the Inbox's b(lastBatch).
    error NewBatchChainMismatch(bytes32 expected, bytes32 actual);
    /// @notice `l1MessagesConsumed` is below the finalized position.
    error L1MessagesRegress(uint64 finalized, uint64 consumed);
    /// @notice `l1QueueHash` is not the Inbox's q(l1MessagesConsumed).
    error L1QueueHashMismatch(bytes32 expected, bytes32 actual);
    /// @notice `prover` in the public values is not the caller.
    error ProverMismatch(address prover, address caller);
    /// @notice Caller is not the dispute game.
    error NotDisputeGame(address caller);
    /// @notice Caller is not the deployer, or the dispute game was already bound.
    error DisputeGameAlreadyBound();
    /// @notice A zero address was given.
    error ZeroAddress();
    /// @notice The dispute game does not point at this Settlement.
    error DisputeGameMismatch(address game);
    /// @notice Caller is not the deployer, or the Vault was already bound.
    error VaultAlreadyBound();
    /// @notice Caller is not the bound Vault.
    error NotVault(address caller);
    /// @notice The rollup is frozen (desert mode): nothing finalizes any more.
    error SettlementFrozen();

    /// @param inbox_ The Inbox.
    /// @param policy_ The verifier policy.
    /// @param genesisStateRoot State root of the genesis state (batch 0).
    /// @param owner_ Governance (TimelockController).
    /// @param changeDelay_ Delay of policy/dispute-game changes, seconds.
    constructor(IInbox inbox_, IProofVerifier policy_, bytes32 genesisStateRoot, address owner_, uint64 changeDelay_)
        TimelockedGovernance(owner_, changeDelay_)
    {
        if (address(inbox_) == address(0) || address(policy_) == address(0)) revert ZeroAddress();
        inbox = inbox_;
        policy = policy_;
        deployer = msg.sender;
        lastStateRoot = genesisStateRoot;
        lastFinalizedAt = uint64(block.timestamp);
        emit PolicyUpdated(IProofVerifier(address(0)), policy_);
    }

    /// @notice Finalizes the range described by `publicValues` with a validity proof. Permissionless, but the
    ///         public values must name the caller as `prover` (a copied proof cannot be front-run).
    /// @param publicValues The 320-byte ABI-encoded public values.
    /// @param proof The policy envelope (docs/contracts.md).
    function finalize(bytes calldata publicValues, bytes calldata proof) external {
        PublicValues.Data memory d = PublicValues.decode(publicValues);
        if (d.prover != msg.sender) revert ProverMismatch(d.prover, msg.sender);
        _check(d, true);
        policy.verify(publicValues, proof);
        _record(d);
    }

    /// @notice Finalizes an optimistic claim that went unchallenged through its window, or a claim or counter-claim
    ///         proven in the DisputeGame. Only the dispute game may call. Same range checks as {finalize} except
    ///         `l1QueueHash == q(l1MessagesConsumed)`: a claim's was checked at proposal ({checkPublicValues}) and a
    ///         counter-proof's is bound by its proof (docs/l1-messages.md), so a queue entry that left the Inbox's
    ///         ring can never block a dispute. `newBatchChain` is read from the Inbox, where the game pinned it.
    function finalizeFromDisputeGame(bytes calldata publicValues) external {
        if (msg.sender != disputeGame) revert NotDisputeGame(msg.sender);
        PublicValues.Data memory d = PublicValues.decode(publicValues);
        _check(d, false);
        _record(d);
    }

    /// @notice Reverts (with the errors of {finalize}) unless `publicValues` would pass the range checks now.
    ///         The DisputeGame calls it before accepting a claim. Does not check `prover` nor any proof.
    function checkPublicValues(bytes calldata publicValues) external view {
        _check(PublicValues.decode(publicValues), true);
    }

    /// @inheritdoc ISettlement
    /// @dev Only the bound Vault, which checks the escape delay first. Irreversible.
    function freeze() external {
        if (msg.sender != vault || vault == address(0)) revert NotVault(msg.sender);
        if (frozen) revert SettlementFrozen();
        frozen = true;
        emit Frozen(lastBatch, lastStateRoot, lastL1MessagesConsumed);
    }

    /// @notice Binds the Vault once, right after deployment (no delay): only the deployer, only once. The Vault
    ///         must answer `settlement() == address(this)`.
    function initVault(address vault_) external {
        if (msg.sender != deployer || vault != address(0)) revert VaultAlreadyBound();
        if (vault_ == address(0)) revert ZeroAddress();
        (bool ok, bytes memory ret) = vault_.staticcall(abi.encodeWithSignature("settlement()"));
        if (!ok || ret.length != 32 || abi.decode(ret, (uint256)) != uint256(uint160(address(this)))) {
            revert VaultAlreadyBound();
        }
        vault = vault_;
        emit VaultBound(vault_);
    }

    /// @inheritdoc ISettlement
    function isWithdrawalRootFinalized(bytes32 root) external view returns (bool) {
        return withdrawalRootBatch[root] != 0;
    }

    /// @notice Binds the dispute game once, right after deployment (no delay): only the deployer, only if no game
    ///         was ever set. Later changes go through {proposeDisputeGame}. Deploy order: Settlement, then
    ///         DisputeGame(settlement, ...), then `settlement.initDisputeGame(game)`.
    function initDisputeGame(address game) external {
        if (msg.sender != deployer || disputeGameInitialized) revert DisputeGameAlreadyBound();
        if (game == address(0)) revert ZeroAddress();
        _requireGamePointsHere(game);
        disputeGameInitialized = true;
        emit DisputeGameUpdated(address(0), game);
        disputeGame = game;
    }

    /// @notice Governance proposes a new verifier policy; applicable after `changeDelay`.
    function proposePolicy(IProofVerifier newPolicy) external onlyOwner returns (bytes32 changeId) {
        if (address(newPolicy) == address(0)) revert ZeroAddress();
        return _proposeChange(abi.encodeCall(this.applyPolicy, (newPolicy)));
    }

    /// @notice Applies a proposed policy once its delay has passed (callable by anyone).
    function applyPolicy(IProofVerifier newPolicy) external {
        _applyChange(abi.encodeCall(this.applyPolicy, (newPolicy)));
        emit PolicyUpdated(policy, newPolicy);
        policy = newPolicy;
    }

    /// @notice Governance proposes a new dispute game (zero disables the optimistic path); applicable after
    ///         `changeDelay`.
    function proposeDisputeGame(address newGame) external onlyOwner returns (bytes32 changeId) {
        if (newGame != address(0)) _requireGamePointsHere(newGame);
        return _proposeChange(abi.encodeCall(this.applyDisputeGame, (newGame)));
    }

    /// @notice Applies a proposed dispute game once its delay has passed (callable by anyone).
    function applyDisputeGame(address newGame) external {
        _applyChange(abi.encodeCall(this.applyDisputeGame, (newGame)));
        emit DisputeGameUpdated(disputeGame, newGame);
        disputeGameInitialized = true;
        disputeGame = newGame;
    }

    function _requireGamePointsHere(address game) private view {
        (bool ok, bytes memory ret) = game.staticcall(abi.encodeWithSignature("settlement()"));
        if (!ok || ret.length != 32 || abi.decode(ret, (uint256)) != uint256(uint160(address(this)))) {
            revert DisputeGameMismatch(game);
        }
    }

    function _check(PublicValues.Data memory d, bool checkQueue) private view {
        if (frozen) revert SettlementFrozen();
        if (d.prevStateRoot != lastStateRoot) revert PrevStateRootMismatch(lastStateRoot, d.prevStateRoot);
        uint64 last = lastBatch;
        if (d.firstBatch != last + 1) revert NonContiguousRange(last + 1, d.firstBatch);
        if (d.lastBatch < d.firstBatch) revert EmptyRange(d.firstBatch, d.lastBatch);
        if (d.prevBatchChain != lastBatchChain) revert PrevBatchChainMismatch(lastBatchChain, d.prevBatchChain);
        if (d.l1MessagesConsumed < lastL1MessagesConsumed) {
            revert L1MessagesRegress(lastL1MessagesConsumed, d.l1MessagesConsumed);
        }
        bytes32 chain = inbox.batchChainAt(d.lastBatch);
        if (d.newBatchChain != chain) revert NewBatchChainMismatch(chain, d.newBatchChain);
        if (checkQueue) {
            bytes32 q = inbox.queueHashAt(d.l1MessagesConsumed);
            if (d.l1QueueHash != q) revert L1QueueHashMismatch(q, d.l1QueueHash);
        }
    }

    function _record(PublicValues.Data memory d) private {
        lastStateRoot = d.newStateRoot;
        lastBatchChain = d.newBatchChain;
        lastBatch = d.lastBatch;
        lastFinalizedAt = uint64(block.timestamp);
        lastL1MessagesConsumed = d.l1MessagesConsumed;
        if (d.withdrawalRoot != bytes32(0)) withdrawalRootBatch[d.withdrawalRoot] = d.lastBatch;
        emit Finalized(d.firstBatch, d.lastBatch, d.newStateRoot, d.withdrawalRoot, d.prover);
    }
}
