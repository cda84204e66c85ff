// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IProofVerifier} from "./IProofVerifier.sol";
import {IZiskVerifier, IZiskVerifierV13} from "./IZiskVerifier.sol";
import {TimelockedGovernance} from "../libraries/TimelockedGovernance.sol";

/// @title ZiskVerifierAdapter
/// @notice {IProofVerifier} for ZisK proofs, for either verifier interface, chosen at deployment ({version}):
///         - ZisK v1.0 (`VERSION_1_0`): `verifySnarkProof(programVK, rootCVadcopFinal, publics, proof)`, with both
///           constants pinned here (that verifier does not check the root);
///         - ZisK v1.3 (`VERSION_1_3`): `verifySnarkProof(programVK, publics, proof)` (selector 0xe2be39b9), the root
///           fixed inside the verifier, so `rootCVadcopFinal` is zero here.
/// @dev ZisK publics are a fixed-size buffer (`publicsLength` bytes, 256 = 64 u32 outputs in current ZisK), too
///      small for the 320-byte public values, so the ZisK guest commits `sha256(publicValues)` as its first 32
///      output bytes and leaves the rest zero; this adapter builds exactly that buffer (see docs/contracts.md).
///      `programVK` and `rootCVadcopFinal` change together, only through governance with a delay.
contract ZiskVerifierAdapter is IProofVerifier, TimelockedGovernance {
    /// @notice Proof system tag.
    bytes32 public constant PROOF_SYSTEM = keccak256("ZISK");

    /// @notice Verifier interface of ZisK v1.0 (4 arguments, root passed in).
    uint8 public constant VERSION_1_0 = 0;
    /// @notice Verifier interface of ZisK v1.3 (3 arguments, root inside the verifier).
    uint8 public constant VERSION_1_3 = 1;

    /// @notice The ZisK PLONK verifier contract.
    address public immutable ziskVerifier;

    /// @notice Which verifier interface `ziskVerifier` has ({VERSION_1_0} or {VERSION_1_3}); fixed at deployment.
    uint8 public immutable version;

    /// @notice Byte length of the ZisK publics buffer the guest's outputs fill (>= 32).
    uint256 public immutable publicsLength;

    /// @notice Verification key (ROM root) of the rollup's ZisK guest program.
    bytes32 public programVK;

    /// @notice VADCOP-final recursion root of the ZisK setup the proofs are wrapped under.
    bytes32 public rootCVadcopFinal;

    /// @notice The pinned constants changed.
    event ZiskKeysUpdated(bytes32 programVK, bytes32 rootCVadcopFinal);

    /// @notice A zero address or key was given (or, for ZisK v1.3, a nonzero root: it lives in the verifier).
    error ZeroValue();
    /// @notice The verifier interface version is neither {VERSION_1_0} nor {VERSION_1_3}.
    error UnsupportedVersion(uint8 version);
    /// @notice `publicsLength` is below 32 bytes.
    error PublicsLengthTooSmall(uint256 publicsLength);

    /// @param ziskVerifier_ ZisK verifier address.
    /// @param version_ Its interface: {VERSION_1_0} or {VERSION_1_3}.
    /// @param publicsLength_ Size of the ZisK publics buffer in bytes (256 for 64 u32 outputs).
    /// @param programVK_ Initial program vkey.
    /// @param rootCVadcopFinal_ Initial VADCOP-final root (v1.0); zero for v1.3.
    /// @param owner_ Governance (TimelockController).
    /// @param changeDelay_ Delay of key changes, seconds.
    constructor(
        address ziskVerifier_,
        uint8 version_,
        uint256 publicsLength_,
        bytes32 programVK_,
        bytes32 rootCVadcopFinal_,
        address owner_,
        uint64 changeDelay_
    ) TimelockedGovernance(owner_, changeDelay_) {
        if (version_ > VERSION_1_3) revert UnsupportedVersion(version_);
        if (ziskVerifier_ == address(0)) revert ZeroValue();
        if (publicsLength_ < 32) revert PublicsLengthTooSmall(publicsLength_);
        version = version_;
        _validateKeys(programVK_, rootCVadcopFinal_);
        ziskVerifier = ziskVerifier_;
        publicsLength = publicsLength_;
        programVK = programVK_;
        rootCVadcopFinal = rootCVadcopFinal_;
        emit ZiskKeysUpdated(programVK_, rootCVadcopFinal_);
    }

    /// @inheritdoc IProofVerifier
    /// @dev Reverts with the ZisK verifier's own error (`InvalidProof()`) if the proof is invalid.
    function verify(bytes calldata publicValues, bytes calldata proof) external view {
        if (version == VERSION_1_0) {
            IZiskVerifier(ziskVerifier).verifySnarkProof(programVK, rootCVadcopFinal, ziskPublics(publicValues), proof);
        } else {
            IZiskVerifierV13(ziskVerifier).verifySnarkProof(programVK, ziskPublics(publicValues), proof);
        }
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

    /// @notice Governance proposes new pinned constants (v1.3: root zero); applicable after `changeDelay`.
    function proposeZiskKeys(bytes32 newProgramVK, bytes32 newRootCVadcopFinal)
        external
        onlyOwner
        returns (bytes32 changeId)
    {
        _validateKeys(newProgramVK, newRootCVadcopFinal);
        return _proposeChange(abi.encodeCall(this.applyZiskKeys, (newProgramVK, newRootCVadcopFinal)));
    }

    /// @notice Applies proposed constants once their delay has passed (callable by anyone).
    function applyZiskKeys(bytes32 newProgramVK, bytes32 newRootCVadcopFinal) external {
        _applyChange(abi.encodeCall(this.applyZiskKeys, (newProgramVK, newRootCVadcopFinal)));
        programVK = newProgramVK;
        rootCVadcopFinal = newRootCVadcopFinal;
        emit ZiskKeysUpdated(newProgramVK, newRootCVadcopFinal);
    }

    /// @dev v1.0 needs both constants; v1.3 a program vkey and no root (the verifier holds it).
    function _validateKeys(bytes32 vk, bytes32 root) private view {
        if (vk == bytes32(0)) revert ZeroValue();
        if ((root == bytes32(0)) != (version == VERSION_1_3)) revert ZeroValue();
    }
}
