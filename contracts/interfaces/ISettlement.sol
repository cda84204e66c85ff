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

    /// @notice L1 messages consumed by the finalized batches; in desert mode, messages from this index on are
    ///         refunded by the Vault.
    function lastL1MessagesConsumed() external view returns (uint64);

    /// @notice True once the rollup is frozen for good (desert mode): nothing finalizes any more.
    function frozen() external view returns (bool);

    /// @notice Freezes the rollup for good at the last finalized state. Only the Vault calls it, once its escape
    ///         delay has passed without a finalization.
    function freeze() external;

    /// @notice True if `root` is the withdrawal root of a finalized range.
    function isWithdrawalRootFinalized(bytes32 root) external view returns (bool);
}
