// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IProofVerifier} from "./IProofVerifier.sol";
import {IZiskVerifier} from "./IZiskVerifier.sol";
import {TimelockedGovernance} from "../libraries/TimelockedGovernance.sol";

/// @title ZiskVerifierAdapter
/// @notice {IProofVerifier} for ZisK proofs: calls `verifySnarkProof(programVK, rootCVadcopFinal, publics, proof)`
///         on the pinned ZisK verifier with both constants pinned here (ZisK's verifier does not check the root).
/// @dev ZisK publics are a fixed-size buffer (`publicsLength` bytes, 256 = 64 u32 outputs in current ZisK), too
///      small for the 320-byte public values, so the ZisK guest commits `sha256(publicValues)` as its first 32
///      output bytes and leaves the rest zero; this adapter builds exactly that buffer (see docs/contracts.md).
///      `programVK` and `rootCVadcopFinal` change together, only through governance with a delay.
contract ZiskVerifierAdapter is IProofVerifier, TimelockedGovernance {
    /// @notice Proof system tag.
    bytes32 public constant PROOF_SYSTEM = keccak256("ZISK");

    /// @notice The ZisK PLONK verifier contract.
    IZiskVerifier public immutable ziskVerifier;

    /// @notice Byte length of the ZisK publics buffer the guest's outputs fill (>= 32).
    uint256 public immutable publicsLength;

    /// @notice Verification key (ROM root) of the rollup's ZisK guest program.
    bytes32 public programVK;

    /// @notice VADCOP-final recursion root of the ZisK setup the proofs are wrapped under.
    bytes32 public rootCVadcopFinal;

    /// @notice The pinned constants changed.
    event ZiskKeysUpdated(bytes32 programVK, bytes32 rootCVadcopFinal);

    /// @notice A zero address or key was given.
    error ZeroValue();
    /// @notice `publicsLength` is below 32 bytes.
    error PublicsLengthTooSmall(uint256 publicsLength);

    /// @param ziskVerifier_ ZisK verifier address.
    /// @param publicsLength_ Size of the ZisK publics buffer in bytes (256 for 64 u32 outputs).
    /// @param programVK_ Initial program vkey.
    /// @param rootCVadcopFinal_ Initial VADCOP-final root.
    /// @param owner_ Governance (TimelockController).
    /// @param changeDelay_ Delay of key changes, seconds.
    constructor(
        IZiskVerifier ziskVerifier_,
        uint256 publicsLength_,
        bytes32 programVK_,
        bytes32 rootCVadcopFinal_,
        address owner_,
        uint64 changeDelay_
    ) TimelockedGovernance(owner_, changeDelay_) {
        if (address(ziskVerifier_) == address(0) || programVK_ == bytes32(0) || rootCVadcopFinal_ == bytes32(0)) {
            revert ZeroValue();
        }
        if (publicsLength_ < 32) revert PublicsLengthTooSmall(publicsLength_);
        ziskVerifier = ziskVerifier_;
        publicsLength = publicsLength_;
        programVK = programVK_;
        rootCVadcopFinal = rootCVadcopFinal_;
        emit ZiskKeysUpdated(programVK_, rootCVadcopFinal_);
    }

    /// @inheritdoc IProofVerifier
    /// @dev Reverts with the ZisK verifier's own error (`InvalidProof()`) if the proof is invalid.
    function verify(bytes calldata publicValues, bytes calldata proof) external view {
        ziskVerifier.verifySnarkProof(programVK, rootCVadcopFinal, ziskPublics(publicValues), proof);
    }

    /// @notice The ZisK publics buffer for `publicValues`: `sha256(publicValues)` then zero bytes up to
    ///         `publicsLength`.
    function ziskPublics(bytes calldata publicValues) public view returns (bytes memory publics) {
        publics = new bytes(publicsLength);
        bytes32 digest = sha256(publicValues);
        assembly ("memory-safe") {
            mstore(add(publics, 0x20), digest)
        }
    }

    /// @inheritdoc IProofVerifier
    function proofSystem() external pure returns (bytes32) {
        return PROOF_SYSTEM;
    }

    /// @notice Governance proposes new pinned constants; applicable after `changeDelay`.
    function proposeZiskKeys(bytes32 newProgramVK, bytes32 newRootCVadcopFinal)
        external
        onlyOwner
        returns (bytes32 changeId)
    {
        if (newProgramVK == bytes32(0) || newRootCVadcopFinal == bytes32(0)) revert ZeroValue();
        return _proposeChange(abi.encodeCall(this.applyZiskKeys, (newProgramVK, newRootCVadcopFinal)));
    }

    /// @notice Applies proposed constants once their delay has passed (callable by anyone).
    function applyZiskKeys(bytes32 newProgramVK, bytes32 newRootCVadcopFinal) external {
        _applyChange(abi.encodeCall(this.applyZiskKeys, (newProgramVK, newRootCVadcopFinal)));
        programVK = newProgramVK;
        rootCVadcopFinal = newRootCVadcopFinal;
        emit ZiskKeysUpdated(newProgramVK, newRootCVadcopFinal);
    }
}
