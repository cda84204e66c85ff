// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IInbox} from "../../../contracts/interfaces/IInbox.sol";

/// @title InboxDouble
/// @notice TEST DOUBLE of the Inbox for contracts-settle's unit tests (never deployed outside tests): keeps the
///         batch chain b(i) and the L1 message queue hash chain q(n) exactly as docs/l1-messages.md defines them,
///         with no ring buffer, no blobs, no deadlines, no access control and no BatchProposed event.
contract InboxDouble is IInbox {
    error NotSupported();
    error BatchNotAvailable(uint64 batchIndex);
    error QueuePositionNotAvailable(uint64 n);
    error L1MsgEndOutOfRange(uint64 l1MsgEnd);

    bytes32[] private _chain; // _chain[i] = b(i)
    bytes32[] private _queue; // _queue[n] = q(n)
    uint64 private _consumed;

    constructor() {
        _chain.push(bytes32(0));
        _queue.push(bytes32(0));
    }

    function propose(uint64, bytes calldata) external pure returns (uint64) {
        revert NotSupported();
    }

    /// @notice Records a calldata batch consuming messages up to `l1MsgEnd`.
    function proposeCalldata(uint64 l1MsgEnd, bytes calldata batchData, bytes calldata)
        external
        returns (uint64 batchIndex)
    {
        if (l1MsgEnd < _consumed || l1MsgEnd >= _queue.length) revert L1MsgEndOutOfRange(l1MsgEnd);
        batchIndex = uint64(_chain.length);
        bytes32 dataHash = keccak256(batchData);
        _chain.push(keccak256(abi.encodePacked(_chain[batchIndex - 1], _commitment(batchIndex, dataHash, l1MsgEnd))));
        _consumed = l1MsgEnd;
    }

    function _commitment(uint64 batchIndex, bytes32 dataHash, uint64 l1MsgEnd) private view returns (bytes32) {
        return keccak256(
            abi.encodePacked(
                batchIndex,
                uint8(2),
                dataHash,
                _consumed,
                l1MsgEnd,
                _queue[l1MsgEnd],
                uint64(block.timestamp),
                uint64(block.number)
            )
        );
    }

    /// @notice Appends `message` to the queue (anyone, in the double).
    function enqueue(bytes calldata message) external payable returns (uint64 index) {
        index = uint64(_queue.length - 1);
        bytes32 q = keccak256(abi.encodePacked(_queue[index], keccak256(message)));
        _queue.push(q);
        emit L1MessageQueued(index, q, uint64(block.timestamp), message);
    }

    function batchCount() external view returns (uint64) {
        return uint64(_chain.length - 1);
    }

    function batchChainAt(uint64 batchIndex) external view returns (bytes32) {
        if (batchIndex >= _chain.length) revert BatchNotAvailable(batchIndex);
        return _chain[batchIndex];
    }

    function queueHashAt(uint64 n) external view returns (bytes32) {
        if (n >= _queue.length) revert QueuePositionNotAvailable(n);
        return _queue[n];
    }

    /// @notice Keeps nothing extra: the double never forgets an entry; reverts like the Inbox if not readable.
    function pinBatchChain(uint64 batchIndex) external view {
        this.batchChainAt(batchIndex);
    }

    /// @notice As {pinBatchChain}, for q(n).
    function pinQueueHash(uint64 n) external view {
        this.queueHashAt(n);
    }

    /// @notice Same interval as the Inbox (every q(n) is kept here anyway).
    function QUEUE_CHECKPOINT_INTERVAL() external pure returns (uint64) {
        return 64;
    }

    function messageCount() external view returns (uint64) {
        return uint64(_queue.length - 1);
    }

    function consumedCount() external view returns (uint64) {
        return _consumed;
    }
}
