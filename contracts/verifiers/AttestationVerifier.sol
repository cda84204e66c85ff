// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IProofVerifier} from "./IProofVerifier.sol";
import {TimelockedGovernance} from "../libraries/TimelockedGovernance.sol";

/// @title AttestationVerifier
/// @notice {IProofVerifier} accepting k-of-n EIP-712 ECDSA signatures of registered signers over the public
///         values: devnet finality on its own, or an extra factor next to zk proofs in the {VerifierPolicy}.
/// @dev Signed struct: `Attestation(bytes32 publicValuesHash)` with `publicValuesHash = keccak256(publicValues)`,
///      domain `{name: "Rollbook Attestation", version: "1", chainId, verifyingContract: this}`.
///      Proof bytes: 65-byte signatures `r ‖ s ‖ v` concatenated, ordered by signer address strictly ascending
///      (which also rules out duplicates). Every signature given must be valid and from a current signer; at least
///      `threshold` are required. The signer set and threshold change only through governance with a delay.
contract AttestationVerifier is IProofVerifier, EIP712, TimelockedGovernance {
    /// @notice Proof system tag.
    bytes32 public constant PROOF_SYSTEM = keccak256("ATTESTATION");

    /// @notice EIP-712 type hash of the signed struct.
    bytes32 public constant ATTESTATION_TYPEHASH = keccak256("Attestation(bytes32 publicValuesHash)");

    /// @notice Upper bound on the signer set size.
    uint256 public constant MAX_SIGNERS = 64;

    /// @notice Number of signatures required.
    uint256 public threshold;

    /// @notice Increments with every signer-set change; a signer is current iff `signerEpoch[a] == epoch`.
    uint256 public epoch;

    /// @notice The epoch in which each address was last registered as a signer.
    mapping(address signer => uint256) public signerEpoch;

    address[] private _signers;

    /// @notice A new signer set took effect.
    event SignerSetUpdated(uint256 indexed epoch, address[] signers, uint256 threshold);

    /// @notice Proof length is zero or not a multiple of 65.
    error AttestationMalformed(uint256 length);
    /// @notice Signature `index` does not recover to an address.
    error InvalidSignature(uint256 index);
    /// @notice Signature `index` recovers to an address that is not a current signer.
    error UnknownSigner(uint256 index, address signer);
    /// @notice Signature `index`'s signer is not strictly greater than the previous one.
    error SignersNotAscending(uint256 index);
    /// @notice Fewer valid signatures than the threshold.
    error NotEnoughSignatures(uint256 count, uint256 threshold);
    /// @notice Proposed signer set: empty, too large, unsorted, duplicate or zero address, or bad threshold.
    error InvalidSignerSet();

    /// @param signers_ Initial signers, strictly ascending.
    /// @param threshold_ Initial threshold, 1..signers_.length.
    /// @param owner_ Governance (TimelockController).
    /// @param changeDelay_ Delay of signer-set changes, seconds.
    constructor(address[] memory signers_, uint256 threshold_, address owner_, uint64 changeDelay_)
        EIP712("Rollbook Attestation", "1")
        TimelockedGovernance(owner_, changeDelay_)
    {
        _validateSignerSet(signers_, threshold_);
        _setSigners(signers_, threshold_);
    }

    /// @inheritdoc IProofVerifier
    function verify(bytes calldata publicValues, bytes calldata proof) external view {
        uint256 n = proof.length / 65;
        if (n == 0 || proof.length % 65 != 0) revert AttestationMalformed(proof.length);
        bytes32 digest = attestationDigest(publicValues);
        uint256 current = epoch;
        address prev = address(0);
        for (uint256 i = 0; i < n; ++i) {
            bytes calldata sig = proof[i * 65:(i + 1) * 65];
            (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, sig);
            if (err != ECDSA.RecoverError.NoError) revert InvalidSignature(i);
            if (signer <= prev) revert SignersNotAscending(i);
            if (signerEpoch[signer] != current) revert UnknownSigner(i, signer);
            prev = signer;
        }
        if (n < threshold) revert NotEnoughSignatures(n, threshold);
    }

    /// @notice The EIP-712 digest signers sign for `publicValues`.
    function attestationDigest(bytes calldata publicValues) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(ATTESTATION_TYPEHASH, keccak256(publicValues))));
    }

    /// @inheritdoc IProofVerifier
    function proofSystem() external pure returns (bytes32) {
        return PROOF_SYSTEM;
    }

    /// @notice The current signers, ascending.
    function signers() external view returns (address[] memory) {
        return _signers;
    }

    /// @notice True if `account` is a current signer.
    function isSigner(address account) external view returns (bool) {
        return account != address(0) && signerEpoch[account] == epoch;
    }

    /// @notice Governance proposes a new signer set (strictly ascending) and threshold; applicable after
    ///         `changeDelay`.
    function proposeSignerSet(address[] calldata newSigners, uint256 newThreshold)
        external
        onlyOwner
        returns (bytes32 changeId)
    {
        _validateSignerSet(newSigners, newThreshold);
        return _proposeChange(abi.encodeCall(this.applySignerSet, (newSigners, newThreshold)));
    }

    /// @notice Applies a proposed signer set once its delay has passed (callable by anyone).
    function applySignerSet(address[] calldata newSigners, uint256 newThreshold) external {
        _applyChange(abi.encodeCall(this.applySignerSet, (newSigners, newThreshold)));
        _setSigners(newSigners, newThreshold);
    }

    function _validateSignerSet(address[] memory s, uint256 t) private pure {
        if (s.length == 0 || s.length > MAX_SIGNERS || t == 0 || t > s.length) revert InvalidSignerSet();
        address prev = address(0);
        for (uint256 i = 0; i < s.length; ++i) {
            if (s[i] <= prev) revert InvalidSignerSet();
            prev = s[i];
        }
    }

    function _setSigners(address[] memory s, uint256 t) private {
        uint256 e = epoch + 1;
        epoch = e;
        for (uint256 i = 0; i < s.length; ++i) {
            signerEpoch[s[i]] = e;
        }
        _signers = s;
        threshold = t;
        emit SignerSetUpdated(e, s, t);
    }
}
