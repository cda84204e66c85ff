// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IProofVerifier
/// @notice One interface for everything that checks a proof of the rollup's public values
///         (docs/l1-messages.md): the SP1 and ZisK adapters, the attestation verifier and the
///         {VerifierPolicy} that combines several of them (the policy is itself an IProofVerifier whose `proof`
///         is an envelope carrying one proof per system, so a policy can require several proofs).
interface IProofVerifier {
    /// @notice Reverts unless `proof` proves `publicValues`; returns nothing on success (like SP1's and ZisK's
    ///         on-chain verifiers).
    /// @param publicValues The 320-byte ABI-encoded public values.
    /// @param proof System-specific proof bytes (for the policy: the envelope documented in docs/contracts.md).
    function verify(bytes calldata publicValues, bytes calldata proof) external view;

    /// @notice Tag of the proof system, e.g. `keccak256("SP1")`, `keccak256("ZISK")`, `keccak256("ATTESTATION")`,
    ///         `keccak256("POLICY")`; lets provers map a policy's verifier ids to proof systems.
    function proofSystem() external view returns (bytes32);
}
