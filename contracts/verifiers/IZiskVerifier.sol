// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IZiskVerifier
/// @notice Interface of ZisK v1.0's on-chain PLONK verifier (`ZiskVerifier`, shipped with the ZisK SNARK proving
///         key): `verifySnarkProof(bytes32,bytes32,bytes,bytes)`, selector 0xbe986861.
/// @dev Returns nothing; an invalid proof makes the call revert (`InvalidProof()`). The verifier hashes
///      `sha256(programVK ‖ publicValues ‖ rootCVadcopFinal) mod r` into the PLONK public input and does not check
///      `rootCVadcopFinal` itself, so the caller must pin both constants.
interface IZiskVerifier {
    /// @notice Verifies a ZisK SNARK proof; reverts if it is invalid.
    /// @param programVK The program (ROM) verification key.
    /// @param rootCVadcopFinal The VADCOP-final recursion root of the ZisK setup.
    /// @param publicValues The guest's public outputs (the fixed-size ZisK publics buffer).
    /// @param proofBytes The PLONK proof, ABI-encoded `uint256[24]`.
    function verifySnarkProof(
        bytes32 programVK,
        bytes32 rootCVadcopFinal,
        bytes calldata publicValues,
        bytes calldata proofBytes
    ) external view;
}

/// @title IZiskVerifierV13
/// @notice Interface of ZisK v1.3's on-chain PLONK verifier: `verifySnarkProof(bytes32,bytes,bytes)`, selector
///         0xe2be39b9. The VADCOP-final root is fixed inside the verifier (no longer an argument).
/// @dev Returns nothing; an invalid proof makes the call revert (`InvalidProof()`).
interface IZiskVerifierV13 {
    /// @notice Verifies a ZisK SNARK proof; reverts if it is invalid.
    /// @param programVK The program (ROM) verification key.
    /// @param publicValues The guest's public outputs (the fixed-size ZisK publics buffer).
    /// @param proofBytes The PLONK proof, ABI-encoded `uint256[24]`.
    function verifySnarkProof(bytes32 programVK, bytes calldata publicValues, bytes calldata proofBytes)
        external
        view;
}
