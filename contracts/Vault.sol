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

/// @title Vault
/// @notice Holds the rollup's ERC20 funds. Owns the asset registry (`assetId -> (token, quantum)`), turns deposits
///         into DEPOSIT L1 messages in the Inbox, and pays withdrawals proven against finalized withdrawal roots
///         (OpenZeppelin StandardMerkleTree leaves), each `withdrawalId` once. Encodings: docs/l1-messages.md.
/// @dev Safety rules: deposits can be paused (guardian or governance) and are refused while the Vault is frozen;
///      claims of finalized withdrawals can never be paused or frozen. Frozen mode is entered by anyone once
///      Settlement has not finalized for `escapeDelay` seconds and left by anyone once it finalizes again.
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

    /// @notice The Inbox that queues deposits.
    IInbox public immutable inbox;
    /// @notice The Settlement whose finalized withdrawal roots the Vault pays.
    ISettlement public immutable settlement;
    /// @notice Deployment time; the escape-hatch clock starts here if nothing was ever finalized.
    uint64 public immutable deployedAt;

    /// @notice True while deposits are refused because finalization stalled (see {freeze}). Packed with the
    ///         Pausable flag, so `deposit` reads one word for both.
    bool public frozen;
    /// @notice May pause and unpause deposits without the timelock delay.
    address public guardian;
    /// @notice Seconds without finalization after which anyone may {freeze} the Vault.
    uint64 public escapeDelay;

    mapping(uint32 assetId => Asset) private _assets;
    mapping(address token => bool) public isRegisteredToken;
    mapping(uint256 word => uint256) private _claimedBits;

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
    /// @notice The Vault was frozen: nothing was finalized since `lastFinalizedAt`.
    event Frozen(uint64 lastFinalizedAt);
    /// @notice The Vault was unfrozen: finalization resumed at `lastFinalizedAt`.
    event Unfrozen(uint64 lastFinalizedAt);

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
    /// @notice {unfreeze}: finalization is still stale.
    error StillStale(uint64 lastFinalizedAt);
    /// @notice {freeze} while frozen.
    error AlreadyFrozen();
    /// @notice {unfreeze} while not frozen.
    error NotFrozen();
    /// @notice Only the guardian or governance may pause/unpause.
    error NotGuardian(address caller);
    /// @notice The escape delay must be positive.
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
        if (escapeDelay_ == 0) revert InvalidEscapeDelay();
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

    // ---------------------------------------------------------------- escape hatch

    /// @notice Freezes deposits once Settlement has not finalized for `escapeDelay` seconds (anyone may call).
    ///         Claims of already finalized withdrawals keep working. See docs/contracts.md for what frozen mode
    ///         does and does not do.
    function freeze() external {
        if (frozen) revert AlreadyFrozen();
        uint64 last = _lastFinalizedAt();
        uint256 staleAt = uint256(last) + escapeDelay;
        if (block.timestamp <= staleAt) revert NotStale(last, staleAt);
        frozen = true;
        emit Frozen(last);
    }

    /// @notice Lifts frozen mode once Settlement has finalized within the last `escapeDelay` seconds (anyone).
    function unfreeze() external {
        if (!frozen) revert NotFrozen();
        uint64 last = _lastFinalizedAt();
        if (block.timestamp > uint256(last) + escapeDelay) revert StillStale(last);
        frozen = false;
        emit Unfrozen(last);
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

    /// @notice Sets the escape delay (seconds, > 0). Governance only.
    function setEscapeDelay(uint64 escapeDelay_) external onlyOwner {
        if (escapeDelay_ == 0) revert InvalidEscapeDelay();
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
