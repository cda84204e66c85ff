// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IInbox} from "./interfaces/IInbox.sol";

/// @title Inbox
/// @notice Based-rollup batch inbox and L1 message queue. Anyone may propose a batch (blobs or calldata); the
///         L1 inclusion order is the canonical order. Deposits (from the Vault), forced withdrawals and forced
///         cancels (from users, for a fee) and market configuration (from timelocked governance) are queued as
///         L1 messages that batches must consume before their deadlines. Every encoding is pinned in
///         docs/l1-messages.md; parameters and gas in docs/contracts.md.
/// @dev Storage is laid out for gas: the two hot words pack all counters, batch chain values b(i) and queue
///      hashes q(n) live in ring buffers (so that in steady state every write is nonzero -> nonzero), and
///      enqueue timestamps are packed eight `uint32` per word in a ring of the same size as the queue ring.
///      What must outlive the rings is kept outside them: a b(i) or q(n) anyone pinned ({pinBatchChain},
///      {pinQueueHash}; the DisputeGame pins every claim's b(lastBatch)) and a permanent checkpoint q(n) every
///      {QUEUE_CHECKPOINT_INTERVAL} messages, from which any message is provable in bounded gas (desert-mode
///      refunds, docs/contracts.md).
contract Inbox is IInbox, Ownable2Step {
    // ---------------------------------------------------------------- constants

    /// @notice L1 message kinds (first byte of a message).
    uint8 public constant KIND_DEPOSIT = 1;
    uint8 public constant KIND_FORCED_WITHDRAW = 2;
    uint8 public constant KIND_FORCED_CANCEL = 3;
    uint8 public constant KIND_SET_MARKET = 4;
    /// @notice Byte length of DEPOSIT / FORCED_WITHDRAW / FORCED_CANCEL messages.
    uint256 public constant ACCOUNT_MESSAGE_LENGTH = 33;
    /// @notice Byte length of a SET_MARKET message.
    uint256 public constant SET_MARKET_LENGTH = 46;
    /// @notice `dataKind` of a batch carried in blobs / in calldata.
    uint8 public constant DATA_KIND_BLOBS = 1;
    uint8 public constant DATA_KIND_CALLDATA = 2;
    /// @notice Most blobs one proposal may carry.
    uint256 public constant MAX_BLOBS = 6;
    /// @notice Longest accepted binary IPFS CID.
    uint256 public constant MAX_CID_LENGTH = 128;
    /// @notice Largest L2 amount (2^53 - 1 L2 units).
    uint64 public constant MAX_L2_AMOUNT = 2 ** 53 - 1;
    /// @notice q(n) is kept forever for every n that is a multiple of this.
    uint64 public constant QUEUE_CHECKPOINT_INTERVAL = 64;

    // ---------------------------------------------------------------- immutables

    /// @notice Number of batch chain values kept (b(i) is readable while `batchCount - i < batchRingSize`).
    uint256 public immutable batchRingSize;
    /// @notice Number of queue hashes kept; at most `queueRingSize - 1` messages may be unconsumed at once.
    uint256 public immutable queueRingSize;
    /// @notice The account that deployed the Inbox; it alone may bind the Vault, once ({initialize}).
    address public immutable deployer;

    // ---------------------------------------------------------------- storage (hot words first)

    /// @notice The Vault, the only non-governance sender of DEPOSIT messages. Set once by {initialize}.
    address public vault;
    uint48 private _messageCount; // packed with `vault`: read by every enqueue
    uint48 private _consumedCount;

    uint64 private _batchCount; // packed word read by every proposal
    uint48 private _fcCount; // forced cancels ever enqueued
    uint48 private _fcHead; // first forced cancel not yet consumed (index into _forcedCancels)
    /// @notice Seconds after its enqueue time by which a message must be consumed.
    uint32 public messageDeadline;
    /// @notice Seconds after its enqueue time by which a FORCED_CANCEL must be consumed (<= messageDeadline).
    uint32 public forcedCancelDeadline;

    /// @notice Fee in wei for {forceWithdraw} and {forceCancel}.
    uint128 public forcedFee;

    mapping(uint256 slot => bytes32) private _batchChain; // b(i) at i % batchRingSize
    mapping(uint256 slot => bytes32) private _queueHash; // q(n) at n % queueRingSize
    mapping(uint256 word => uint256) private _timestamps; // message n: uint32 lane (n % R) & 7 of word (n % R) >> 3
    mapping(uint256 k => uint64) private _forcedCancels; // message index of the k-th forced cancel
    mapping(uint256 i => bytes32) private _pinnedBatchChain; // b(i) kept after leaving the ring (0: not pinned)
    mapping(uint256 n => bytes32) private _pinnedQueueHash; // q(n) kept after leaving the ring (0: not pinned)
    mapping(uint256 k => bytes32) private _queueCheckpoint; // q(k * QUEUE_CHECKPOINT_INTERVAL), k >= 1

    // ---------------------------------------------------------------- events

    /// @notice The Vault was bound (once).
    event VaultSet(address indexed vault);
    /// @notice The forced transaction fee changed.
    event ForcedFeeSet(uint256 fee);
    /// @notice The inclusion deadlines changed.
    event DeadlinesSet(uint32 messageDeadline, uint32 forcedCancelDeadline);
    /// @notice Collected forced-transaction fees were withdrawn by governance.
    event FeesWithdrawn(address indexed to, uint256 amount);
    /// @notice b(batchIndex) will stay readable after it leaves the ring.
    event BatchChainPinned(uint64 indexed batchIndex, bytes32 batchChain);
    /// @notice q(n) will stay readable after it leaves the ring.
    event QueueHashPinned(uint64 indexed n, bytes32 queueHash);

    // ---------------------------------------------------------------- errors

    /// @notice A blob proposal was sent in a transaction without blobs.
    error NoBlobs();
    /// @notice The transaction carries more than {MAX_BLOBS} blobs.
    error TooManyBlobs();
    /// @notice The IPFS CID is longer than {MAX_CID_LENGTH}.
    error CidTooLong(uint256 length);
    /// @notice `l1MsgEnd` is below the consumed head or above the number of enqueued messages.
    error InvalidL1MsgEnd(uint64 l1MsgEnd, uint64 consumed, uint64 enqueued);
    /// @notice The proposal leaves message `index` unconsumed after its deadline `dueAt`.
    error MessageDeadlineMissed(uint64 index, uint256 dueAt);
    /// @notice The proposal leaves forced cancel `index` unconsumed after its (short) deadline `dueAt`.
    error ForcedCancelDeadlineMissed(uint64 index, uint256 dueAt);
    /// @notice `queueRingSize - 1` messages are unconsumed; no more can be enqueued until a batch consumes some.
    error QueueFull();
    /// @notice The caller may not enqueue (only the Vault and governance may call {enqueue}).
    error NotAuthorized(address caller);
    /// @notice The caller may not enqueue this message (wrong kind for the caller, or wrong length).
    error InvalidMessage(uint8 kind, uint256 length);
    /// @notice {enqueue} takes no ether.
    error UnexpectedValue();
    /// @notice A forced transaction must pay exactly {forcedFee}.
    error WrongFee(uint256 expected, uint256 sent);
    /// @notice A forced withdrawal amount must be in [1, 2^53 - 1].
    error InvalidAmount(uint64 amount);
    /// @notice b(i) is unknown (not proposed yet) or was overwritten in the ring buffer.
    error BatchChainUnavailable(uint64 batchIndex);
    /// @notice q(n) / the timestamp of message n is unknown or was overwritten in the ring buffer.
    error QueueEntryUnavailable(uint64 n);
    /// @notice Ring sizes must be multiples of 8 and at least 16.
    error InvalidRingSize();
    /// @notice Deadlines must satisfy 0 < forcedCancelDeadline <= messageDeadline.
    error InvalidDeadlines();
    /// @notice Only the deployer may call {initialize}.
    error NotDeployer();
    /// @notice {initialize} was already called.
    error AlreadyInitialized();
    /// @notice An address argument is zero.
    error ZeroAddress();
    /// @notice Sending ether failed.
    error FeeTransferFailed();
    /// @notice Renouncing ownership is disabled (it would make markets unconfigurable forever).
    error RenounceOwnershipDisabled();

    // ---------------------------------------------------------------- construction

    /// @param governance Owner (the TimelockController); set directly, no acceptance step.
    /// @param batchRingSize_ Batch chain ring size (multiple of 8, >= 16), e.g. 8192.
    /// @param queueRingSize_ Queue ring size (multiple of 8, >= 16), e.g. 65536.
    /// @param messageDeadline_ Inclusion deadline of messages, seconds.
    /// @param forcedCancelDeadline_ Inclusion deadline of forced cancels, seconds (<= messageDeadline_).
    /// @param forcedFee_ Fee in wei for forced transactions.
    constructor(
        address governance,
        uint256 batchRingSize_,
        uint256 queueRingSize_,
        uint32 messageDeadline_,
        uint32 forcedCancelDeadline_,
        uint128 forcedFee_
    ) Ownable(governance) {
        if (batchRingSize_ < 16 || batchRingSize_ % 8 != 0 || queueRingSize_ < 16 || queueRingSize_ % 8 != 0) {
            revert InvalidRingSize();
        }
        batchRingSize = batchRingSize_;
        queueRingSize = queueRingSize_;
        deployer = msg.sender;
        _setDeadlines(messageDeadline_, forcedCancelDeadline_);
        forcedFee = forcedFee_;
        emit ForcedFeeSet(forcedFee_);
    }

    /// @notice Binds the Vault (the only depositor). Callable once, by the deployer.
    function initialize(address vault_) external {
        if (msg.sender != deployer) revert NotDeployer();
        if (vault != address(0)) revert AlreadyInitialized();
        if (vault_ == address(0)) revert ZeroAddress();
        vault = vault_;
        emit VaultSet(vault_);
    }

    // ---------------------------------------------------------------- proposing

    /// @inheritdoc IInbox
    /// @dev Reads BLOBHASH(0..6): reverts with {NoBlobs} if the transaction has none, {TooManyBlobs} above 6.
    function propose(uint64 l1MsgEnd, bytes calldata ipfsCid) external returns (uint64 batchIndex) {
        bytes32[] memory hashes = new bytes32[](MAX_BLOBS);
        uint256 n;
        while (n < MAX_BLOBS) {
            bytes32 h = blobhash(n);
            if (h == bytes32(0)) break;
            hashes[n] = h;
            unchecked {
                ++n;
            }
        }
        if (n == 0) revert NoBlobs();
        if (n == MAX_BLOBS && blobhash(MAX_BLOBS) != bytes32(0)) revert TooManyBlobs();
        assembly ("memory-safe") {
            mstore(hashes, n) // shrink the array to the blobs present
        }
        bytes32 dataHash;
        assembly ("memory-safe") {
            dataHash := keccak256(add(hashes, 0x20), mul(n, 0x20))
        }
        return _propose(DATA_KIND_BLOBS, dataHash, hashes, bytes32(0), l1MsgEnd, ipfsCid);
    }

    /// @inheritdoc IInbox
    function proposeCalldata(uint64 l1MsgEnd, bytes calldata batchData, bytes calldata ipfsCid)
        external
        returns (uint64 batchIndex)
    {
        bytes32 dataHash = keccak256(batchData);
        return _propose(DATA_KIND_CALLDATA, dataHash, new bytes32[](0), dataHash, l1MsgEnd, ipfsCid);
    }

    function _propose(
        uint8 dataKind,
        bytes32 dataHash,
        bytes32[] memory blobHashes,
        bytes32 calldataHash,
        uint64 l1MsgEnd,
        bytes calldata ipfsCid
    ) private returns (uint64 batchIndex) {
        if (ipfsCid.length > MAX_CID_LENGTH) revert CidTooLong(ipfsCid.length);
        uint64 start = _consumedCount;
        _checkRange(start, l1MsgEnd);
        bytes32 queueHash = _queueHash[l1MsgEnd % queueRingSize];
        bytes32 chain;
        (batchIndex, chain) = _appendBatch(dataKind, dataHash, start, l1MsgEnd, queueHash);
        _consumedCount = uint48(l1MsgEnd);
        emit BatchProposed(
            batchIndex, msg.sender, dataKind, blobHashes, calldataHash, start, l1MsgEnd, queueHash, chain, ipfsCid
        );
    }

    /// @dev Reverts unless `start <= l1MsgEnd <= messageCount` and no message left unconsumed is overdue.
    ///      Timestamps are non-decreasing in the queue, so if the first message left unconsumed is not overdue, no
    ///      later one is under the normal deadline; forced cancels have their own lane (their indices are queued,
    ///      ascending, in `_forcedCancels`; `_fcHead` is the first one not consumed yet). The new head is found by
    ///      binary search, so a proposal reads O(log n) entries however many forced cancels it consumes (a flood
    ///      of them cannot push a proposal past the block or per-transaction gas cap).
    function _checkRange(uint64 start, uint64 l1MsgEnd) private {
        uint64 count = _messageCount;
        if (l1MsgEnd < start || l1MsgEnd > count) revert InvalidL1MsgEnd(l1MsgEnd, start, count);
        if (l1MsgEnd < count) {
            uint256 dueAt = _timestampAt(l1MsgEnd) + messageDeadline;
            if (block.timestamp > dueAt) revert MessageDeadlineMissed(l1MsgEnd, dueAt);
        }
        uint256 fcHead = _fcHead;
        uint256 fcCount = _fcCount;
        if (fcHead < fcCount) {
            uint256 lo = fcHead;
            if (_forcedCancels[lo] < l1MsgEnd) {
                // first k in (fcHead, fcCount] with _forcedCancels[k] >= l1MsgEnd (fcCount if none)
                uint256 hi = fcCount;
                ++lo;
                while (lo < hi) {
                    uint256 mid = (lo + hi) >> 1;
                    if (_forcedCancels[mid] < l1MsgEnd) lo = mid + 1;
                    else hi = mid;
                }
                _fcHead = uint48(lo);
            }
            if (lo < fcCount) {
                uint64 idx = _forcedCancels[lo];
                uint256 dueAt = _timestampAt(idx) + forcedCancelDeadline;
                if (block.timestamp > dueAt) revert ForcedCancelDeadlineMissed(idx, dueAt);
            }
        }
    }

    /// @dev Computes c(i) (v2, docs/l1-messages.md: the v1 fields, then the proposer and q(l1MsgStart)) and
    ///      b(i) = H(b(i-1) || c(i)) for the next batch i and stores b(i) in the ring. q(start) is in the queue ring:
    ///      `start` is the consumed head and at most `queueRingSize - 1` messages are unconsumed.
    function _appendBatch(uint8 dataKind, bytes32 dataHash, uint64 start, uint64 l1MsgEnd, bytes32 queueHash)
        private
        returns (uint64 batchIndex, bytes32 chain)
    {
        unchecked {
            batchIndex = _batchCount + 1;
        }
        bytes memory v1Fields = abi.encodePacked(batchIndex, dataKind, dataHash, start, l1MsgEnd, queueHash);
        bytes32 commitment = keccak256(
            abi.encodePacked(
                v1Fields, uint64(block.timestamp), uint64(block.number), msg.sender, _queueHash[start % queueRingSize]
            )
        );
        uint256 ring = batchRingSize;
        chain = keccak256(abi.encodePacked(_batchChain[(batchIndex - 1) % ring], commitment));
        _batchChain[batchIndex % ring] = chain;
        _batchCount = batchIndex;
    }

    // ---------------------------------------------------------------- message queue

    /// @inheritdoc IInbox
    /// @dev The Vault may enqueue only DEPOSIT (33 bytes), governance (the owner) only SET_MARKET (46 bytes).
    ///      Forced transactions go through {forceWithdraw} / {forceCancel}. Takes no ether ({UnexpectedValue}).
    function enqueue(bytes calldata message) external payable returns (uint64 index) {
        if (msg.value != 0) revert UnexpectedValue();
        uint8 kind = message.length == 0 ? 0 : uint8(message[0]);
        if (msg.sender == vault) {
            if (kind != KIND_DEPOSIT || message.length != ACCOUNT_MESSAGE_LENGTH) {
                revert InvalidMessage(kind, message.length);
            }
        } else if (msg.sender == owner()) {
            if (kind != KIND_SET_MARKET || message.length != SET_MARKET_LENGTH) {
                revert InvalidMessage(kind, message.length);
            }
        } else {
            revert NotAuthorized(msg.sender);
        }
        return _enqueue(message);
    }

    /// @notice Forces a withdrawal of `amount` L2 units of `asset` from the caller's L2 account: enqueues a
    ///         FORCED_WITHDRAW message with `account = msg.sender`, which batches must consume within
    ///         {messageDeadline}. Pays exactly {forcedFee}.
    /// @return index The message index.
    function forceWithdraw(uint32 asset, uint64 amount) external payable returns (uint64 index) {
        _checkFee();
        if (amount == 0 || amount > MAX_L2_AMOUNT) revert InvalidAmount(amount);
        return _enqueue(abi.encodePacked(KIND_FORCED_WITHDRAW, msg.sender, asset, amount));
    }

    /// @notice Forces the cancel of the caller's order `orderId` in `market` (0 = all the caller's orders in that
    ///         market): enqueues a FORCED_CANCEL message with `account = msg.sender`, which batches must consume
    ///         within {forcedCancelDeadline}. Pays exactly {forcedFee}.
    /// @return index The message index.
    function forceCancel(uint32 market, uint64 orderId) external payable returns (uint64 index) {
        _checkFee();
        index = _enqueue(abi.encodePacked(KIND_FORCED_CANCEL, msg.sender, market, orderId));
        uint48 k = _fcCount;
        _forcedCancels[k] = index;
        _fcCount = k + 1;
    }

    function _checkFee() private view {
        uint256 fee = forcedFee;
        if (msg.value != fee) revert WrongFee(fee, msg.value);
    }

    function _enqueue(bytes memory message) private returns (uint64 index) {
        uint256 count = _messageCount;
        uint256 ring = queueRingSize;
        if (count + 1 - _consumedCount >= ring) revert QueueFull();
        bytes32 queueHash = keccak256(abi.encodePacked(_queueHash[count % ring], keccak256(message)));
        _queueHash[(count + 1) % ring] = queueHash;
        if ((count + 1) % QUEUE_CHECKPOINT_INTERVAL == 0) _queueCheckpoint[(count + 1) / QUEUE_CHECKPOINT_INTERVAL] = queueHash;
        uint256 slot = count % ring;
        uint256 shift = (slot & 7) << 5;
        uint256 word = _timestamps[slot >> 3];
        _timestamps[slot >> 3] = (word & ~(uint256(type(uint32).max) << shift)) | (block.timestamp << shift);
        _messageCount = uint48(count + 1);
        index = uint64(count);
        emit L1MessageQueued(index, queueHash, uint64(block.timestamp), message);
    }

    /// @dev Enqueue time of message `n`; the caller guarantees that `n` is still in the ring.
    function _timestampAt(uint256 n) private view returns (uint256) {
        uint256 slot = n % queueRingSize;
        return (_timestamps[slot >> 3] >> ((slot & 7) << 5)) & type(uint32).max;
    }

    // ---------------------------------------------------------------- governance

    /// @notice Sets the forced transaction fee (wei). Governance only.
    function setForcedFee(uint128 fee) external onlyOwner {
        forcedFee = fee;
        emit ForcedFeeSet(fee);
    }

    /// @notice Sets the inclusion deadlines (seconds): 0 < forcedCancelDeadline_ <= messageDeadline_.
    ///         Applies to queued messages too (deadlines are computed from the stored enqueue time).
    function setDeadlines(uint32 messageDeadline_, uint32 forcedCancelDeadline_) external onlyOwner {
        _setDeadlines(messageDeadline_, forcedCancelDeadline_);
    }

    function _setDeadlines(uint32 md, uint32 fcd) private {
        if (fcd == 0 || fcd > md) revert InvalidDeadlines();
        messageDeadline = md;
        forcedCancelDeadline = fcd;
        emit DeadlinesSet(md, fcd);
    }

    /// @notice Sends `amount` wei of collected forced-transaction fees to `to`. Governance only.
    function withdrawFees(address payable to, uint256 amount) external onlyOwner {
        if (to == address(0)) revert ZeroAddress();
        emit FeesWithdrawn(to, amount);
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert FeeTransferFailed();
    }

    /// @notice Disabled: always reverts with {RenounceOwnershipDisabled}.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceOwnershipDisabled();
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IInbox
    function batchCount() external view returns (uint64) {
        return _batchCount;
    }

    /// @inheritdoc IInbox
    /// @dev Reverts with {BatchChainUnavailable} if `batchIndex > batchCount`, or if b(batchIndex) left the ring
    ///      (`batchCount - batchIndex >= batchRingSize`) and was not pinned. b(0) = 0 always.
    function batchChainAt(uint64 batchIndex) public view returns (bytes32) {
        uint64 count = _batchCount;
        if (batchIndex > count) revert BatchChainUnavailable(batchIndex);
        if (count - batchIndex < batchRingSize) return _batchChain[batchIndex % batchRingSize];
        if (batchIndex == 0) return bytes32(0);
        bytes32 pinned = _pinnedBatchChain[batchIndex];
        if (pinned == bytes32(0)) revert BatchChainUnavailable(batchIndex);
        return pinned;
    }

    /// @inheritdoc IInbox
    /// @dev Reverts with {QueueEntryUnavailable} if `n > messageCount`, or if q(n) left the ring
    ///      (`messageCount - n >= queueRingSize`) and is neither a checkpoint nor pinned. q(0) = 0 always.
    function queueHashAt(uint64 n) public view returns (bytes32) {
        uint64 count = _messageCount;
        if (n > count) revert QueueEntryUnavailable(n);
        if (count - n < queueRingSize) return _queueHash[n % queueRingSize];
        if (n == 0) return bytes32(0);
        bytes32 h = n % QUEUE_CHECKPOINT_INTERVAL == 0 ? _queueCheckpoint[n / QUEUE_CHECKPOINT_INTERVAL] : bytes32(0);
        if (h == bytes32(0)) h = _pinnedQueueHash[n];
        if (h == bytes32(0)) revert QueueEntryUnavailable(n);
        return h;
    }

    /// @inheritdoc IInbox
    function pinBatchChain(uint64 batchIndex) external {
        if (batchIndex == 0 || _pinnedBatchChain[batchIndex] != bytes32(0)) return;
        bytes32 chain = batchChainAt(batchIndex);
        _pinnedBatchChain[batchIndex] = chain;
        emit BatchChainPinned(batchIndex, chain);
    }

    /// @inheritdoc IInbox
    function pinQueueHash(uint64 n) external {
        if (n == 0 || _pinnedQueueHash[n] != bytes32(0)) return;
        bytes32 h = queueHashAt(n);
        _pinnedQueueHash[n] = h;
        emit QueueHashPinned(n, h);
    }

    /// @notice Enqueue time of message `n` (reverts with {QueueEntryUnavailable} outside the ring).
    function messageTimestamp(uint64 n) external view returns (uint64) {
        uint64 count = _messageCount;
        if (n >= count || count - n >= queueRingSize) revert QueueEntryUnavailable(n);
        return uint64(_timestampAt(n));
    }

    /// @inheritdoc IInbox
    function messageCount() external view returns (uint64) {
        return _messageCount;
    }

    /// @inheritdoc IInbox
    function consumedCount() external view returns (uint64) {
        return _consumedCount;
    }

    /// @notice Forced cancels ever enqueued and the first one not yet consumed (queue of their message indices).
    function forcedCancelQueue() external view returns (uint64 head, uint64 count) {
        return (_fcHead, _fcCount);
    }

    /// @notice The smallest `l1MsgEnd` that a proposal included at time `at` may use without missing a deadline:
    ///         one past the last message (normal lane or forced-cancel lane) that is overdue at `at`, or
    ///         {consumedCount} if none is. Proposers pass their expected inclusion time plus a safety margin.
    function minL1MsgEnd(uint256 at) external view returns (uint64 end) {
        uint256 lo = _consumedCount;
        uint256 hi = _messageCount;
        uint256 md = messageDeadline;
        while (lo < hi) {
            uint256 mid = (lo + hi) >> 1;
            if (_timestampAt(mid) + md < at) lo = mid + 1;
            else hi = mid;
        }
        end = uint64(lo);
        // forced cancels: their timestamps are non-decreasing too; find the last one overdue at `at`
        uint256 fcd = forcedCancelDeadline;
        lo = _fcHead;
        hi = _fcCount;
        uint256 head = lo;
        while (lo < hi) {
            uint256 mid = (lo + hi) >> 1;
            if (_timestampAt(_forcedCancels[mid]) + fcd < at) lo = mid + 1;
            else hi = mid;
        }
        if (lo > head) {
            uint64 idx = _forcedCancels[lo - 1];
            if (idx >= end) end = idx + 1;
        }
    }
}
