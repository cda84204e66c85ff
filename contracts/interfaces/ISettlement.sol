// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ISettlement
/// @notice Finalized state of the rollup: the last finalized state root and batch, and finalized withdrawal roots.
interface ISettlement {
    /// @notice Emitted when a contiguous batch range is finalized.
    event Finalized(
        uint64 indexed firstBatch,
        uint64 indexed lastBatch,
        bytes32 stateRoot,
        bytes32 withdrawalRoot,
        address indexed prover
    );

    /// @notice Last finalized state root.
    function lastStateRoot() external view returns (bytes32);

    /// @notice Last finalized batch index (0 = genesis).
    function lastBatch() external view returns (uint64);

    /// @notice Time (block.timestamp) of the most recent finalization; the Vault's escape hatch watches it.
    function lastFinalizedAt() external view returns (uint64);

    /// @notice True if `root` is the withdrawal root of a finalized range.
    function isWithdrawalRootFinalized(bytes32 root) external view returns (bool);
}
