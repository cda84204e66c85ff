// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ISettlement} from "../../../contracts/interfaces/ISettlement.sol";

/// @title SettlementDouble
/// @notice TEST DOUBLE of ISettlement (tests only, never deployed by scripts/deploy.ts): anyone can mark withdrawal
///         roots finalized and set the finalization time, so Vault tests run without proofs.
contract SettlementDouble is ISettlement {
    bytes32 public lastStateRoot;
    uint64 public lastBatch;
    uint64 public lastFinalizedAt;
    uint64 public lastL1MessagesConsumed;
    bool public frozen;
    mapping(bytes32 => bool) public isWithdrawalRootFinalized;

    /// @notice Simulates a finalization of batches up to `batch` with `withdrawalRoot`.
    function finalize(uint64 batch, bytes32 stateRoot, bytes32 withdrawalRoot) external {
        emit Finalized(lastBatch + 1, batch, stateRoot, withdrawalRoot, msg.sender);
        lastBatch = batch;
        lastStateRoot = stateRoot;
        lastFinalizedAt = uint64(block.timestamp);
        isWithdrawalRootFinalized[withdrawalRoot] = true;
    }

    /// @notice Like Settlement: freezing is for good (here anyone may, the Vault test checks who calls it).
    function freeze() external {
        frozen = true;
    }

    function setL1MessagesConsumed(uint64 n) external {
        lastL1MessagesConsumed = n;
    }

    function setLastFinalizedAt(uint64 t) external {
        lastFinalizedAt = t;
    }
}
