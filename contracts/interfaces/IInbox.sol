// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IInbox
/// @notice Based-rollup batch inbox and L1 message queue. Encodings: docs/l1-messages.md.
interface IInbox {
    /// @notice Emitted for every enqueued L1 message (deposit, forced withdrawal, forced cancel, market config).
    /// @param index Message number, from 0.
    /// @param queueHash Hash chain value q(index+1) after this message.
    /// @param timestamp Enqueue time (block.timestamp), used for the inclusion deadline.
    /// @param message The encoded message (first byte is the kind).
    event L1MessageQueued(uint64 indexed index, bytes32 queueHash, uint64 timestamp, bytes message);

    /// @notice Emitted for every proposed batch, with everything derivation needs.
    event BatchProposed(
        uint64 indexed batchIndex,
        address indexed proposer,
        uint8 dataKind,
        bytes32[] blobHashes,
        bytes32 calldataHash,
        uint64 l1MsgStart,
        uint64 l1MsgEnd,
        bytes32 queueHash,
        bytes32 batchChain,
        bytes ipfsCid
    );

    /// @notice Propose a batch carried in the 1..6 blobs of this (type-3) transaction.
    /// @param l1MsgEnd One past the last L1 message the batch consumes (>= current consumed head).
    /// @param ipfsCid Binary CID of the IPFS backup of the batch bytes (may be empty).
    /// @return batchIndex The new batch's index (from 1).
    function propose(uint64 l1MsgEnd, bytes calldata ipfsCid) external returns (uint64 batchIndex);

    /// @notice Propose a batch whose bytes are carried in calldata.
    function proposeCalldata(uint64 l1MsgEnd, bytes calldata batchData, bytes calldata ipfsCid)
        external
        returns (uint64 batchIndex);

    /// @notice Enqueue an L1 message; only the Vault and governance may call.
    function enqueue(bytes calldata message) external payable returns (uint64 index);

    /// @notice Number of batches proposed so far (the last batch index).
    function batchCount() external view returns (uint64);

    /// @notice Batch chain value b(i) (b(0) = 0). Reverts if i was overwritten in the ring buffer or not proposed.
    function batchChainAt(uint64 batchIndex) external view returns (bytes32);

    /// @notice L1 message queue hash q(n) after n messages (q(0) = 0). Reverts if q(n) left the ring buffer and is
    ///         neither a checkpoint (n a multiple of {QUEUE_CHECKPOINT_INTERVAL}) nor pinned.
    function queueHashAt(uint64 n) external view returns (bytes32);

    /// @notice Keeps b(batchIndex) readable forever (anyone; no-op if already pinned or batchIndex is 0). Reverts
    ///         if b(batchIndex) is not readable now. The DisputeGame pins every claim's last batch; a validity
    ///         prover expecting a long proving time pins its range end before it starts.
    function pinBatchChain(uint64 batchIndex) external;

    /// @notice Keeps q(n) readable forever (anyone; no-op if already pinned or n is 0). Reverts if q(n) is not
    ///         readable now.
    function pinQueueHash(uint64 n) external;

    /// @notice q(n) stays readable forever for every multiple n of this interval.
    function QUEUE_CHECKPOINT_INTERVAL() external view returns (uint64);

    /// @notice Number of L1 messages enqueued so far.
    function messageCount() external view returns (uint64);

    /// @notice Number of L1 messages consumed by proposed batches.
    function consumedCount() external view returns (uint64);
}
