// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title PublicValues
/// @notice Decoding of the proof public values pinned in docs/l1-messages.md:
///         `abi.encode(bytes32 prevStateRoot, bytes32 newStateRoot, uint64 firstBatch, uint64 lastBatch,
///         bytes32 prevBatchChain, bytes32 newBatchChain, uint64 l1MessagesConsumed, bytes32 l1QueueHash,
///         bytes32 withdrawalRoot, address prover)`: ten static words, 320 bytes.
/// @dev Decoded by hand from calldata so that every malformed input (wrong length, a uint64 or address word with
///      dirty high bits) reverts with the custom error {PublicValuesMalformed} instead of an empty revert.
library PublicValues {
    /// @notice Exact byte length of the encoded public values (10 ABI words).
    uint256 internal constant LENGTH = 320;

    /// @notice The decoded public values of a proof, attestation or optimistic claim covering batches
    ///         `(firstBatch - 1, lastBatch]`.
    struct Data {
        bytes32 prevStateRoot;
        bytes32 newStateRoot;
        uint64 firstBatch;
        uint64 lastBatch;
        bytes32 prevBatchChain;
        bytes32 newBatchChain;
        uint64 l1MessagesConsumed;
        bytes32 l1QueueHash;
        bytes32 withdrawalRoot;
        address prover;
    }

    /// @notice The public values are not exactly 320 bytes of canonical ABI encoding.
    error PublicValuesMalformed();

    /// @notice Decodes `pv`, reverting with {PublicValuesMalformed} unless it is the canonical encoding.
    function decode(bytes calldata pv) internal pure returns (Data memory d) {
        if (pv.length != LENGTH) revert PublicValuesMalformed();
        uint256 firstBatch;
        uint256 lastBatch;
        uint256 consumed;
        uint256 prover;
        bytes32 w0;
        bytes32 w1;
        bytes32 w4;
        bytes32 w5;
        bytes32 w7;
        bytes32 w8;
        assembly ("memory-safe") {
            let o := pv.offset
            w0 := calldataload(o)
            w1 := calldataload(add(o, 0x20))
            firstBatch := calldataload(add(o, 0x40))
            lastBatch := calldataload(add(o, 0x60))
            w4 := calldataload(add(o, 0x80))
            w5 := calldataload(add(o, 0xa0))
            consumed := calldataload(add(o, 0xc0))
            w7 := calldataload(add(o, 0xe0))
            w8 := calldataload(add(o, 0x100))
            prover := calldataload(add(o, 0x120))
        }
        if ((firstBatch | lastBatch | consumed) >> 64 != 0 || prover >> 160 != 0) revert PublicValuesMalformed();
        d.prevStateRoot = w0;
        d.newStateRoot = w1;
        d.firstBatch = uint64(firstBatch);
        d.lastBatch = uint64(lastBatch);
        d.prevBatchChain = w4;
        d.newBatchChain = w5;
        d.l1MessagesConsumed = uint64(consumed);
        d.l1QueueHash = w7;
        d.withdrawalRoot = w8;
        d.prover = address(uint160(prover));
    }
}
