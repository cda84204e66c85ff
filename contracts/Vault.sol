// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IInbox} from "./interfaces/IInbox.sol";
import {ISettlement} from "./interfaces/ISettlement.sol";
import {StateProof} from "./libraries/StateProof.sol";

/// @title Vault
/// @notice Holds the rollup's ERC20 funds. Owns the asset registry (`assetId -> (token, quantum)`), turns deposits
///         into DEPOSIT L1 messages in the Inbox, and pays withdrawals proven against finalized withdrawal roots
///         (OpenZeppelin StandardMerkleTree leaves), each `withdrawalId` once. Encodings: docs/l1-messages.md.
/// @dev Safety rules: deposits can be paused (guardian or governance) and are refused while the Vault is frozen;
///      claims of finalized withdrawals can never be paused or frozen. Desert mode: once Settlement has not
///      finalized for `escapeDelay` seconds anyone may {freeze}; the rollup then stops for good (Settlement
///      refuses every later finalization) and every account takes out its `available + locked` balance proven
///      against the last finalized state root ({exit}), every DEPOSIT at or after the last finalized
///      `l1MessagesConsumed` is refunded ({refund}), each once. docs/contracts.md "Desert mode".
contract Vault is Ownable2Step, Pausable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice A registered asset: its token and how many token base units one L2 unit is.
    struct Asset {
        address token;
        uint64 quantum;
    }

    /// @notice DEPOSIT message kind (docs/l1-messages.md).
    uint8 public constant KIND_DEPOSIT = 1;
    /// @notice Largest L2 amount (2^53 - 1 L2 units).
    uint256 public constant MAX_L2_AMOUNT = 2 ** 53 - 1;
    /// @notice Shortest escape delay governance may set (a floor: a stall shorter than this never freezes).
    uint64 public constant MIN_ESCAPE_DELAY = 1 days;
    /// @notice Longest escape delay governance may set (users are never kept from exiting longer).
    uint64 public constant MAX_ESCAPE_DELAY = 365 days;

    /// @notice The Inbox that queues deposits.
    IInbox public immutable inbox;
    /// @notice The Settlement whose finalized withdrawal roots the Vault pays.
    ISettlement public immutable settlement;
    /// @notice Deployment time; the escape-hatch clock starts here if nothing was ever finalized.
    uint64 public immutable deployedAt;

    /// @notice True once the rollup is frozen for good (desert mode, see {freeze}). Packed with the Pausable flag,
    ///         so `deposit` reads one word for both.
    bool public frozen;
    /// @notice May pause and unpause deposits without the timelock delay.
    address public guardian;
    /// @notice Seconds without finalization after which anyone may {freeze} the Vault.
    uint64 public escapeDelay;
    /// @notice No freeze before this time: set when governance shortens the escape delay, to the time the old
    ///         delay would have allowed, so a shorter delay never hastens the freeze of a stall already under way.
    uint64 public escapeNotBefore;

    mapping(uint32 assetId => Asset) private _assets;
    mapping(address token => bool) public isRegisteredToken;
    mapping(uint256 word => uint256) private _claimedBits;
    /// @notice True once `account` exited with its balance of `assetId` (desert mode).
    mapping(address account => mapping(uint32 assetId => bool)) public exited;
    mapping(uint256 word => uint256) private _refundedBits;

    /// @notice A new asset was registered.
    event AssetRegistered(uint32 indexed assetId, address indexed token, uint64 quantum);
    /// @notice `amount` token units of `assetId` were deposited; the DEPOSIT message has index `messageIndex`.
    event Deposited(
        uint64 indexed messageIndex, address indexed depositor, address indexed account, uint32 assetId, uint256 amount
    );
    /// @notice Withdrawal `withdrawalId` was paid: `amount` L2 units (`amount * quantum` tokens) to `recipient`.
    event Claimed(uint64 indexed withdrawalId, address indexed recipient, uint32 indexed assetId, uint64 amount);
    /// @notice The guardian changed.
    event GuardianSet(address indexed guardian);
    /// @notice The escape delay changed.
    event EscapeDelaySet(uint64 escapeDelay);
    /// @notice The rollup was frozen for good (desert mode): nothing was finalized since `lastFinalizedAt`.
    event Frozen(uint64 lastFinalizedAt);
    /// @notice Desert mode: `account` was paid its proven balance, `units` L2 units of `assetId`.
    event Exited(address indexed account, uint32 indexed assetId, uint64 units);
    /// @notice Desert mode: DEPOSIT message `messageIndex` (never finalized) was refunded to `account`.
    event Refunded(uint64 indexed messageIndex, address indexed account, uint32 indexed assetId, uint64 units);

    /// @notice The asset id is not registered.
    error UnknownAsset(uint32 assetId);
    /// @notice The asset id is already registered.
    error AssetExists(uint32 assetId);
    /// @notice The token is already registered under another asset id.
    error TokenAlreadyRegistered(address token);
    /// @notice The token address is zero or has no code.
    error InvalidToken(address token);
    /// @notice The quantum must be positive.
    error InvalidQuantum();
    /// @notice Deposits of zero are refused.
    error ZeroAmount();
    /// @notice The deposit is not a multiple of the asset's quantum.
    error AmountNotQuantized(uint256 amount, uint64 quantum);
    /// @notice The deposit exceeds 2^53 - 1 L2 units.
    error AmountTooLarge(uint256 units);
    /// @notice The L2 account credited by a deposit may not be zero.
    error InvalidAccount();
    /// @notice The Vault's balance grew by `received` instead of `expected` (fee-on-transfer or rebasing token).
    error FeeOnTransferToken(uint256 expected, uint256 received);
    /// @notice This withdrawal was already paid.
    error AlreadyClaimed(uint64 withdrawalId);
    /// @notice The Merkle proof does not lead from the leaf to the given root.
    error InvalidProof();
    /// @notice The withdrawal root is not finalized in Settlement.
    error RootNotFinalized(bytes32 withdrawalRoot);
    /// @notice Deposits are refused while the Vault is frozen.
    error VaultFrozen();
    /// @notice {freeze}: finalization is not stale (last at `lastFinalizedAt`, stale after `staleAt`).
    error NotStale(uint64 lastFinalizedAt, uint256 staleAt);
    /// @notice {freeze} while frozen.
    error AlreadyFrozen();
    /// @notice {exit} / {refund} while not frozen.
    error NotFrozen();
    /// @notice The account already exited with this asset.
    error AlreadyExited(address account, uint32 assetId);
    /// @notice The state proof does not lead from the account's leaf to the last finalized state root.
    error InvalidStateProof();
    /// @notice The proven balance of the asset is zero.
    error NothingToExit(address account, uint32 assetId);
    /// @notice The message was consumed by finalized batches (`finalized` messages are): it is in the state.
    error MessageFinalized(uint64 messageIndex, uint64 finalized);
    /// @notice The message index or the proof's range end is out of range.
    error InvalidMessageIndex(uint64 messageIndex);
    /// @notice The message hashes do not chain from q(start) to q(end) with this DEPOSIT at its index.
    error InvalidQueueProof();
    /// @notice This deposit was already refunded.
    error AlreadyRefunded(uint64 messageIndex);
    /// @notice Only the guardian or governance may pause/unpause.
    error NotGuardian(address caller);
    /// @notice The escape delay must be within [MIN_ESCAPE_DELAY, MAX_ESCAPE_DELAY].
    error InvalidEscapeDelay();
    /// @notice An address argument is zero.
    error ZeroAddress();
    /// @notice Renouncing ownership is disabled (it would make assets unregistrable forever).
    error RenounceOwnershipDisabled();

    /// @param inbox_ The Inbox (which must have this Vault bound as its depositor).
    /// @param settlement_ The Settlement.
    /// @param governance Owner (the TimelockController); set directly, no acceptance step.
    /// @param guardian_ May pause/unpause deposits (zero: governance only).
    /// @param escapeDelay_ Seconds without finalization after which the Vault can be frozen.
    constructor(IInbox inbox_, ISettlement settlement_, address governance, address guardian_, uint64 escapeDelay_)
        Ownable(governance)
    {
        if (address(inbox_) == address(0) || address(settlement_) == address(0)) revert ZeroAddress();
        if (escapeDelay_ < MIN_ESCAPE_DELAY || escapeDelay_ > MAX_ESCAPE_DELAY) revert InvalidEscapeDelay();
        inbox = inbox_;
        settlement = settlement_;
        deployedAt = uint64(block.timestamp);
        guardian = guardian_;
        escapeDelay = escapeDelay_;
        emit GuardianSet(guardian_);
        emit EscapeDelaySet(escapeDelay_);
    }

    // ---------------------------------------------------------------- deposits

    /// @notice Deposits `amount` base units of asset `assetId` (pulled with `transferFrom`, so approve first) and
    ///         queues a DEPOSIT crediting `amount / quantum` L2 units to L2 account `account`.
    /// @dev Refuses amounts that are not a multiple of the quantum and tokens whose transfer does not move exactly
    ///      `amount` into the Vault. The token pull is the only untrusted interaction; reentrancy is blocked.
    /// @return messageIndex Index of the DEPOSIT message in the Inbox queue.
    function deposit(uint32 assetId, address account, uint256 amount)
        external
        nonReentrant
        whenNotPaused
        returns (uint64 messageIndex)
    {
        if (frozen) revert VaultFrozen();
        if (account == address(0)) revert InvalidAccount();
        Asset memory a = _assets[assetId];
        if (a.token == address(0)) revert UnknownAsset(assetId);
        if (amount == 0) revert ZeroAmount();
        if (amount % a.quantum != 0) revert AmountNotQuantized(amount, a.quantum);
        uint256 units = amount / a.quantum;
        if (units > MAX_L2_AMOUNT) revert AmountTooLarge(units);

        IERC20 token = IERC20(a.token);
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != amount) revert FeeOnTransferToken(amount, received);

        messageIndex = inbox.enqueue(abi.encodePacked(KIND_DEPOSIT, account, assetId, uint64(units)));
        emit Deposited(messageIndex, msg.sender, account, assetId, amount);
    }

    // ---------------------------------------------------------------- withdrawals

    /// @notice Pays withdrawal `withdrawalId` (leaf `[withdrawalId, recipient, assetId, amount]` of the finalized
    ///         withdrawal root `withdrawalRoot`) to `recipient`: `amount * quantum` tokens. Anyone may submit it;
    ///         the tokens always go to the leaf's recipient. Never paused, never frozen.
    /// @param proof StandardMerkleTree proof of the leaf.
    function claim(
        uint64 withdrawalId,
        address recipient,
        uint32 assetId,
        uint64 amount,
        bytes32 withdrawalRoot,
        bytes32[] calldata proof
    ) external nonReentrant {
        uint256 word = withdrawalId >> 8;
        uint256 bit = 1 << (withdrawalId & 0xff);
        uint256 bits = _claimedBits[word];
        if (bits & bit != 0) revert AlreadyClaimed(withdrawalId);
        Asset memory a = _assets[assetId];
        if (a.token == address(0)) revert UnknownAsset(assetId);
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(withdrawalId, recipient, assetId, amount))));
        if (!MerkleProof.verifyCalldata(proof, withdrawalRoot, leaf)) revert InvalidProof();
        if (!settlement.isWithdrawalRootFinalized(withdrawalRoot)) revert RootNotFinalized(withdrawalRoot);

        _claimedBits[word] = bits | bit;
        emit Claimed(withdrawalId, recipient, assetId, amount);
        IERC20(a.token).safeTransfer(recipient, uint256(amount) * a.quantum);
    }

    /// @notice True if withdrawal `withdrawalId` was paid.
    function isClaimed(uint64 withdrawalId) external view returns (bool) {
        return _claimedBits[withdrawalId >> 8] & (1 << (withdrawalId & 0xff)) != 0;
    }

    // ---------------------------------------------------------------- desert mode

    /// @notice Freezes the rollup for good once Settlement has not finalized for `escapeDelay` seconds (anyone may
    ///         call): deposits are refused, Settlement accepts no more finalizations, and {exit} / {refund} open.
    ///         Claims of already finalized withdrawals keep working. docs/contracts.md "Desert mode".
    function freeze() external {
        if (frozen) revert AlreadyFrozen();
        uint64 last = _lastFinalizedAt();
        uint256 staleAt = uint256(last) + escapeDelay;
        if (escapeNotBefore > staleAt) staleAt = escapeNotBefore;
        if (block.timestamp <= staleAt) revert NotStale(last, staleAt);
        frozen = true;
        emit Frozen(last);
        settlement.freeze();
    }

    /// @notice Desert mode: pays `account` its balance of `assetId` (`available + locked` L2 units, times the
    ///         quantum) proven against the last finalized state root, once per account and asset. Anyone may
    ///         submit; the tokens always go to `account`.
    /// @param leaf The account's ACCOUNT leaf (docs/stf.md "Leaves").
    /// @param siblings The trie proof: three sibling hashes per level from the root down (docs/stf.md "Proofs").
    function exit(address account, uint32 assetId, bytes calldata leaf, bytes32[] calldata siblings)
        external
        nonReentrant
    {
        if (!frozen) revert NotFrozen();
        if (exited[account][assetId]) revert AlreadyExited(account, assetId);
        Asset memory a = _assets[assetId];
        if (a.token == address(0)) revert UnknownAsset(assetId);
        if (!StateProof.verifyAccount(settlement.lastStateRoot(), account, leaf, siblings)) {
            revert InvalidStateProof();
        }
        (bool ok, uint256 units) = StateProof.balanceOf(leaf, assetId);
        if (!ok) revert InvalidStateProof();
        if (units == 0) revert NothingToExit(account, assetId);
        exited[account][assetId] = true;
        emit Exited(account, assetId, uint64(units));
        IERC20(a.token).safeTransfer(account, units * a.quantum);
    }

    /// @notice Desert mode: refunds DEPOSIT message `messageIndex` (`account`, `assetId`, `units`), which no
    ///         finalized batch consumed (`messageIndex >= settlement.lastL1MessagesConsumed()`), to `account`, once.
    ///         Bounded proof from the Inbox's permanent queue checkpoints: with `start` the multiple of
    ///         `QUEUE_CHECKPOINT_INTERVAL` at or below `messageIndex`, the hashes of messages `start..end-1` other
    ///         than this one chain q(start) to q(end), where `messageIndex < end <= start + interval` and q(end)
    ///         is readable in the Inbox (a checkpoint, or still in its ring).
    /// @param others `keccak256` of every message in `[start, end)` except `messageIndex`, in queue order.
    function refund(
        uint64 messageIndex,
        address account,
        uint32 assetId,
        uint64 units,
        uint64 end,
        bytes32[] calldata others
    ) external nonReentrant {
        if (!frozen) revert NotFrozen();
        uint64 finalized = settlement.lastL1MessagesConsumed();
        if (messageIndex < finalized) revert MessageFinalized(messageIndex, finalized);
        uint256 word = messageIndex >> 8;
        uint256 bit = 1 << (messageIndex & 0xff);
        uint256 bits = _refundedBits[word];
        if (bits & bit != 0) revert AlreadyRefunded(messageIndex);
        Asset memory a = _assets[assetId];
        if (a.token == address(0)) revert UnknownAsset(assetId);
        _checkQueueProof(messageIndex, keccak256(abi.encodePacked(KIND_DEPOSIT, account, assetId, units)), end, others);
        _refundedBits[word] = bits | bit;
        emit Refunded(messageIndex, account, assetId, units);
        IERC20(a.token).safeTransfer(account, uint256(units) * a.quantum);
    }

    /// @dev Reverts unless message `n` hashes to `own` in the Inbox queue: chains q(start) through the hashes of
    ///      messages `[start, end)` (`own` at `n`, `others` elsewhere) to q(end), `start = n - n % interval`.
    function _checkQueueProof(uint64 n, bytes32 own, uint64 end, bytes32[] calldata others) private view {
        uint64 interval = inbox.QUEUE_CHECKPOINT_INTERVAL();
        uint64 start = n - n % interval;
        if (end <= n || end > start + interval || others.length != end - start - 1) revert InvalidMessageIndex(n);
        bytes32 h = inbox.queueHashAt(start);
        uint256 k;
        for (uint64 j = start; j < end; ++j) {
            bytes32 m;
            if (j == n) {
                m = own;
            } else {
                m = others[k];
                ++k;
            }
            h = keccak256(abi.encodePacked(h, m));
        }
        if (h != inbox.queueHashAt(end)) revert InvalidQueueProof();
    }

    /// @notice True if DEPOSIT message `messageIndex` was refunded in desert mode.
    function isRefunded(uint64 messageIndex) external view returns (bool) {
        return _refundedBits[messageIndex >> 8] & (1 << (messageIndex & 0xff)) != 0;
    }

    function _lastFinalizedAt() private view returns (uint64) {
        uint64 last = settlement.lastFinalizedAt();
        return last > deployedAt ? last : deployedAt;
    }

    // ---------------------------------------------------------------- governance

    /// @notice Registers asset `assetId` as `token` with `quantum` base units per L2 unit. Governance only; an asset's
    ///         token and quantum never change once registered (L2 balances are denominated in them).
    function registerAsset(uint32 assetId, address token, uint64 quantum) external onlyOwner {
        if (_assets[assetId].token != address(0)) revert AssetExists(assetId);
        if (token == address(0) || token.code.length == 0) revert InvalidToken(token);
        if (isRegisteredToken[token]) revert TokenAlreadyRegistered(token);
        if (quantum == 0) revert InvalidQuantum();
        _assets[assetId] = Asset(token, quantum);
        isRegisteredToken[token] = true;
        emit AssetRegistered(assetId, token, quantum);
    }

    /// @notice The registered asset `assetId` (token zero if unknown).
    function assets(uint32 assetId) external view returns (address token, uint64 quantum) {
        Asset memory a = _assets[assetId];
        return (a.token, a.quantum);
    }

    /// @notice Pauses deposits (guardian or governance). Claims are never paused.
    function pause() external {
        _checkGuardian();
        _pause();
    }

    /// @notice Resumes deposits (guardian or governance).
    function unpause() external {
        _checkGuardian();
        _unpause();
    }

    /// @notice Sets the guardian (zero: governance only). Governance only.
    function setGuardian(address guardian_) external onlyOwner {
        guardian = guardian_;
        emit GuardianSet(guardian_);
    }

    /// @notice Sets the escape delay (seconds, within [MIN_ESCAPE_DELAY, MAX_ESCAPE_DELAY]). Governance (the
    ///         timelock) only. A shorter delay never hastens a freeze: no freeze happens before the time the old
    ///         delay allowed for the current stall ({escapeNotBefore}).
    function setEscapeDelay(uint64 escapeDelay_) external onlyOwner {
        if (escapeDelay_ < MIN_ESCAPE_DELAY || escapeDelay_ > MAX_ESCAPE_DELAY) revert InvalidEscapeDelay();
        uint64 old = escapeDelay;
        if (escapeDelay_ < old) {
            uint64 notBefore = _lastFinalizedAt() + old;
            if (notBefore > escapeNotBefore) escapeNotBefore = notBefore;
        }
        escapeDelay = escapeDelay_;
        emit EscapeDelaySet(escapeDelay_);
    }

    /// @notice Disabled: always reverts with {RenounceOwnershipDisabled}.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceOwnershipDisabled();
    }

    function _checkGuardian() private view {
        if (msg.sender != guardian && msg.sender != owner()) revert NotGuardian(msg.sender);
    }
}
