// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ISP1Verifier} from "../../../contracts/verifiers/ISP1Verifier.sol";
import {IZiskVerifier} from "../../../contracts/verifiers/IZiskVerifier.sol";
import {IProofVerifier} from "../../../contracts/verifiers/IProofVerifier.sol";

/// @title SP1GatewayDouble
/// @notice TEST DOUBLE of Succinct's SP1VerifierGateway + SP1Verifier (tests and devnet only, never production):
///         same interface and failure behaviour (returns nothing on success, reverts on an invalid proof), with a
///         fake "proof" instead of a SNARK: `SELECTOR ‖ keccak256(abi.encode(programVKey, sha256(publicValues)))`.
contract SP1GatewayDouble is ISP1Verifier {
    /// @notice Verifier selector of the double (first 4 bytes of a proof).
    bytes4 public constant SELECTOR = 0x5d1e5d1e;

    error VerifierNotFound(bytes4 selector);
    error InvalidProof();

    function verifyProof(bytes32 programVKey, bytes calldata publicValues, bytes calldata proofBytes) external pure {
        bytes4 selector = bytes4(proofBytes[:4]);
        if (selector != SELECTOR) revert VerifierNotFound(selector);
        if (
            proofBytes.length != 36
                || bytes32(proofBytes[4:]) != keccak256(abi.encode(programVKey, sha256(publicValues)))
        ) revert InvalidProof();
    }
}

/// @title ZiskVerifierDouble
/// @notice TEST DOUBLE of ZisK's ZiskVerifier (tests and devnet only, never production): same interface, same
///         public-input hashing (`sha256(programVK ‖ publicValues ‖ rootCVadcopFinal) mod r`), same decoding of the
///         proof as `uint256[24]`, same `InvalidProof()` revert; the "proof" is valid iff its first word equals the
///         public input (instead of a PLONK check).
contract ZiskVerifierDouble is IZiskVerifier {
    uint256 internal constant _RFIELD =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    error InvalidProof();

    function hashPublicValues(bytes32 programVK, bytes32 rootCVadcopFinal, bytes calldata publicValues)
        public
        pure
        returns (uint256)
    {
        return uint256(sha256(abi.encodePacked(programVK, publicValues, rootCVadcopFinal))) % _RFIELD;
    }

    function verifySnarkProof(
        bytes32 programVK,
        bytes32 rootCVadcopFinal,
        bytes calldata publicValues,
        bytes calldata proofBytes
    ) external pure {
        uint256 digest = hashPublicValues(programVK, rootCVadcopFinal, publicValues);
        uint256[24] memory proofDecoded = abi.decode(proofBytes, (uint256[24]));
        if (proofDecoded[0] != digest) revert InvalidProof();
    }
}

/// @title AcceptAllVerifierDouble
/// @notice TEST DOUBLE: an IProofVerifier that accepts every proof (gas measurements excluding the verifier, and
///         policy tests). Never deployed outside tests.
contract AcceptAllVerifierDouble is IProofVerifier {
    function verify(bytes calldata, bytes calldata) external pure {}

    function proofSystem() external pure returns (bytes32) {
        return keccak256("TEST_ACCEPT_ALL");
    }
}

/// @title ExactProofVerifierDouble
/// @notice TEST DOUBLE: an IProofVerifier accepting exactly `proof == keccak256(publicValues) ‖ tag` (so fuzz
///         tests can produce valid and invalid proofs cheaply), reverting with `Rejected()` otherwise.
contract ExactProofVerifierDouble is IProofVerifier {
    bytes32 public immutable tag;

    error Rejected();

    constructor(bytes32 tag_) {
        tag = tag_;
    }

    function verify(bytes calldata publicValues, bytes calldata proof) external view {
        if (keccak256(proof) != keccak256(abi.encodePacked(keccak256(publicValues), tag))) revert Rejected();
    }

    function proofSystem() external view returns (bytes32) {
        return tag;
    }
}
