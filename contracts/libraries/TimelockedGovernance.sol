// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

/// @title TimelockedGovernance
/// @notice Owner (governance, meant to be the OpenZeppelin TimelockController deployed with the suite) with a
///         second, on-contract delay for parameter changes: the owner *proposes* a change, everybody can see it
///         pending here for `changeDelay` seconds, then *anyone* applies it; the owner may cancel it before.
/// @dev A change is identified by `keccak256(abi.encodeCall(this.applyX, (args)))`, i.e. by the calldata of the
///      apply call that carries it, so the pending change is readable from the {ChangeProposed} event. Ownership is
///      transferred in two steps (Ownable2Step) and cannot be renounced (that would freeze verifier keys forever).
abstract contract TimelockedGovernance is Ownable2Step {
    /// @notice Seconds between proposing a parameter change and the earliest time it can be applied.
    uint64 public immutable changeDelay;

    /// @notice Seconds after `readyAt` during which a pending change can still be applied; later it has expired.
    uint64 public constant CHANGE_EXPIRY = 14 days;

    /// @notice Earliest apply time of each pending change (0 = not pending).
    mapping(bytes32 changeId => uint64 readyAt) public changeReadyAt;

    /// @notice The pending change of each kind (keyed by the apply function's selector); 0 = none.
    mapping(bytes4 kind => bytes32 changeId) public pendingChangeOf;

    /// @notice A parameter change was proposed. `change` is the calldata of the apply call that will carry it out.
    event ChangeProposed(bytes32 indexed changeId, bytes change, uint64 readyAt);
    /// @notice A pending change was cancelled by the owner.
    event ChangeCancelled(bytes32 indexed changeId);
    /// @notice A pending change was applied.
    event ChangeApplied(bytes32 indexed changeId);
    /// @notice A pending change was replaced by a newer proposal of the same kind and can no longer be applied.
    event ChangeSuperseded(bytes32 indexed changeId, bytes32 indexed byChangeId);

    /// @notice The same change is already pending.
    error ChangeAlreadyProposed(bytes32 changeId);
    /// @notice No such change is pending.
    error ChangeNotProposed(bytes32 changeId);
    /// @notice The change is pending but its delay has not passed yet.
    error ChangeNotReady(bytes32 changeId, uint64 readyAt);
    /// @notice The change was not applied within {CHANGE_EXPIRY} of `readyAt`; propose it again.
    error ChangeExpired(bytes32 changeId, uint64 expiredAt);
    /// @notice Renouncing ownership is disabled.
    error RenounceOwnershipDisabled();

    /// @param initialOwner Governance (the TimelockController); set directly, no acceptance step needed.
    /// @param delay_ Seconds a proposed change waits before it can be applied.
    constructor(address initialOwner, uint64 delay_) Ownable(initialOwner) {
        changeDelay = delay_;
    }

    /// @notice Cancels a pending change.
    function cancelChange(bytes32 changeId) external onlyOwner {
        if (changeReadyAt[changeId] == 0) revert ChangeNotProposed(changeId);
        // A cancelled id may stay in {pendingChangeOf}: with `changeReadyAt` zero it can never be applied, and the
        // next proposal of its kind overwrites it.
        delete changeReadyAt[changeId];
        emit ChangeCancelled(changeId);
    }

    /// @notice Disabled: always reverts with {RenounceOwnershipDisabled}.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceOwnershipDisabled();
    }

    /// @dev Records `change` as pending, superseding any pending change of the same kind (an expired identical
    ///      change may be proposed again). Callers must be `onlyOwner` and validate the arguments first.
    function _proposeChange(bytes memory change) internal returns (bytes32 changeId) {
        changeId = keccak256(change);
        uint64 pending = changeReadyAt[changeId];
        if (pending != 0 && block.timestamp <= uint256(pending) + CHANGE_EXPIRY) revert ChangeAlreadyProposed(changeId);
        bytes4 kind = bytes4(change);
        bytes32 previous = pendingChangeOf[kind];
        if (previous != bytes32(0) && previous != changeId && changeReadyAt[previous] != 0) {
            delete changeReadyAt[previous];
            emit ChangeSuperseded(previous, changeId);
        }
        pendingChangeOf[kind] = changeId;
        uint64 readyAt = uint64(block.timestamp) + changeDelay;
        changeReadyAt[changeId] = readyAt;
        emit ChangeProposed(changeId, change, readyAt);
    }

    /// @dev Consumes the pending `change`, reverting unless it was proposed, its delay has passed and it has not
    ///      expired.
    function _applyChange(bytes memory change) internal {
        bytes32 changeId = keccak256(change);
        uint64 readyAt = changeReadyAt[changeId];
        if (readyAt == 0) revert ChangeNotProposed(changeId);
        if (block.timestamp < readyAt) revert ChangeNotReady(changeId, readyAt);
        if (block.timestamp > uint256(readyAt) + CHANGE_EXPIRY) revert ChangeExpired(changeId, readyAt + CHANGE_EXPIRY);
        delete changeReadyAt[changeId];
        delete pendingChangeOf[bytes4(change)];
        emit ChangeApplied(changeId);
    }
}
