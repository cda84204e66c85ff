// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ISP1Verifier
/// @notice Interface of Succinct's SP1 on-chain verifier and of the SP1VerifierGateway that routes by the first
///         4 bytes of the proof (declared exactly as in succinctlabs/sp1-contracts).
/// @dev Returns nothing; an invalid proof makes the call revert: the gateway with `RouteNotFound(bytes4)` or
///      `RouteIsFrozen(bytes4)`, an SP1 v6 verifier with `WrongVerifierSelector(bytes4,bytes4)`, `InvalidExitCode()`,
///      `InvalidVkRoot()`, or its gnark verifier's `PublicInputNotInField()` / `ProofInvalid()`.
interface ISP1Verifier {
    /// @notice Verifies a proof with given public values and vkey; reverts if it is invalid.
    /// @param programVKey The verification key for the RISC-V program.
    /// @param publicValues The public values encoded as bytes.
    /// @param proofBytes The proof of the program execution the SP1 zkVM encoded as bytes.
    function verifyProof(bytes32 programVKey, bytes calldata publicValues, bytes calldata proofBytes) external view;
}
