// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IProofVerifier} from "./IProofVerifier.sol";
import {TimelockedGovernance} from "../libraries/TimelockedGovernance.sol";

/// @title VerifierPolicy
/// @notice The governance-configured rule that decides which proofs finalize a state root. It holds a list of
///         verifiers (ids 0..n-1: SP1 adapter, ZisK adapter, attestation verifier, ...), a `requiredMask` of ids
///         that must all pass, and a `threshold` of passing verifiers overall:
///         - ALL of a set (SP1 AND ZisK): both required, threshold 2;
///         - ANY one (devnet: attestation alone, or "SP1 or ZisK"): nothing required, threshold 1;
///         - mixed (SP1 AND (ZisK OR attestation)): SP1 required, threshold 2.
///         The policy is itself an {IProofVerifier}; its proof is an *envelope* carrying one proof per system.
/// @dev Envelope (docs/contracts.md): `0x01 ‖ part*`, `part = id (1 byte) ‖ be(len, 4) ‖ proof (len bytes)`, ids
///      strictly ascending. Every part must verify (a failing part reverts with {VerifierRejected}, so provers
///      only include proofs they know are valid); then all required ids must be present and the number of parts
///      must reach the threshold. The configuration changes only through governance with a delay.
contract VerifierPolicy is IProofVerifier, TimelockedGovernance {
    /// @notice Proof system tag.
    bytes32 public constant PROOF_SYSTEM = keccak256("POLICY");
    /// @notice First byte of every envelope.
    uint8 public constant ENVELOPE_VERSION = 1;
    /// @notice Upper bound on the number of verifiers (ids fit the 16-bit masks).
    uint256 public constant MAX_VERIFIERS = 16;

    IProofVerifier[] private _verifiers;
    /// @notice Bit i set: verifier id i must be in every accepted envelope.
    uint256 public requiredMask;
    /// @notice Minimum number of (distinct, passing) proofs in an accepted envelope; always >= 1.
    uint256 public threshold;

    /// @notice A new configuration took effect.
    event PolicyConfigured(IProofVerifier[] verifiers, uint256 requiredMask, uint256 threshold);

    /// @notice The envelope is empty or its version byte is not {ENVELOPE_VERSION}.
    error UnsupportedEnvelope();
    /// @notice The envelope is truncated at byte `offset`.
    error MalformedEnvelope(uint256 offset);
    /// @notice A part's id is not above the previous part's id.
    error PartsNotAscending(uint8 id);
    /// @notice A part names a verifier id that is not configured.
    error UnknownVerifier(uint8 id);
    /// @notice Verifier `id` rejected its proof; `reason` is its revert data.
    error VerifierRejected(uint8 id, bytes reason);
    /// @notice Required verifier ids (bit mask) are missing from the envelope.
    error RequiredProofMissing(uint256 missingMask);
    /// @notice The envelope carries `count` passing proofs, below the threshold.
    error NotEnoughProofs(uint256 count, uint256 threshold);
    /// @notice Proposed configuration: no/too many verifiers, a zero or duplicate address, a mask outside the
    ///         list, or a threshold outside 1..n.
    error InvalidPolicyConfig();

    /// @param verifiers_ Initial verifiers (id = index).
    /// @param requiredMask_ Initial required ids.
    /// @param threshold_ Initial threshold.
    /// @param owner_ Governance (TimelockController).
    /// @param changeDelay_ Delay of configuration changes, seconds.
    constructor(
        IProofVerifier[] memory verifiers_,
        uint256 requiredMask_,
        uint256 threshold_,
        address owner_,
        uint64 changeDelay_
    ) TimelockedGovernance(owner_, changeDelay_) {
        _validateConfig(verifiers_, requiredMask_, threshold_);
        _setConfig(verifiers_, requiredMask_, threshold_);
    }

    /// @inheritdoc IProofVerifier
    /// @param proof The envelope.
    function verify(bytes calldata publicValues, bytes calldata proof) external view {
        uint256 len = proof.length;
        if (len == 0 || uint8(proof[0]) != ENVELOPE_VERSION) revert UnsupportedEnvelope();
        uint256 n = _verifiers.length;
        uint256 offset = 1;
        uint256 passed;
        uint256 count;
        int256 prevId = -1;
        while (offset < len) {
            if (len - offset < 5) revert MalformedEnvelope(offset);
            uint8 id = uint8(proof[offset]);
            uint256 partLen = uint32(bytes4(proof[offset + 1:offset + 5]));
            offset += 5;
            if (partLen > len - offset) revert MalformedEnvelope(offset);
            if (int256(uint256(id)) <= prevId) revert PartsNotAscending(id);
            if (id >= n) revert UnknownVerifier(id);
            try _verifiers[id].verify(publicValues, proof[offset:offset + partLen]) {}
            catch (bytes memory reason) {
                revert VerifierRejected(id, reason);
            }
            prevId = int256(uint256(id));
            passed |= 1 << id;
            ++count;
            offset += partLen;
        }
        uint256 missing = requiredMask & ~passed;
        if (missing != 0) revert RequiredProofMissing(missing);
        if (count < threshold) revert NotEnoughProofs(count, threshold);
    }

    /// @inheritdoc IProofVerifier
    function proofSystem() external pure returns (bytes32) {
        return PROOF_SYSTEM;
    }

    /// @notice The configured verifiers; a verifier's id is its index.
    function verifiers() external view returns (IProofVerifier[] memory) {
        return _verifiers;
    }

    /// @notice Governance proposes a new configuration; applicable after `changeDelay`.
    function proposeConfig(IProofVerifier[] calldata newVerifiers, uint256 newRequiredMask, uint256 newThreshold)
        external
        onlyOwner
        returns (bytes32 changeId)
    {
        _validateConfig(newVerifiers, newRequiredMask, newThreshold);
        return _proposeChange(abi.encodeCall(this.applyConfig, (newVerifiers, newRequiredMask, newThreshold)));
    }

    /// @notice Applies a proposed configuration once its delay has passed (callable by anyone).
    function applyConfig(IProofVerifier[] calldata newVerifiers, uint256 newRequiredMask, uint256 newThreshold)
        external
    {
        _applyChange(abi.encodeCall(this.applyConfig, (newVerifiers, newRequiredMask, newThreshold)));
        _setConfig(newVerifiers, newRequiredMask, newThreshold);
    }

    function _validateConfig(IProofVerifier[] memory v, uint256 mask, uint256 t) private pure {
        uint256 n = v.length;
        if (n == 0 || n > MAX_VERIFIERS || t == 0 || t > n || mask >> n != 0) revert InvalidPolicyConfig();
        for (uint256 i = 0; i < n; ++i) {
            if (address(v[i]) == address(0)) revert InvalidPolicyConfig();
            for (uint256 j = 0; j < i; ++j) {
                if (v[j] == v[i]) revert InvalidPolicyConfig();
            }
        }
    }

    function _setConfig(IProofVerifier[] memory v, uint256 mask, uint256 t) private {
        delete _verifiers;
        for (uint256 i = 0; i < v.length; ++i) {
            _verifiers.push(v[i]);
        }
        requiredMask = mask;
        threshold = t;
        emit PolicyConfigured(v, mask, t);
    }
}
