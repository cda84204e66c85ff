// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ISP1Verifier} from "../../../contracts/verifiers/ISP1Verifier.sol";
import {IZiskVerifier, IZiskVerifierV13} from "../../../contracts/verifiers/IZiskVerifier.sol";
import {IProofVerifier} from "../../../contracts/verifiers/IProofVerifier.sol";

/// @title SP1GatewayDouble
/// @notice TEST DOUBLE of Succinct's SP1VerifierGateway (tests and devnet only, never production): the same routing by
///         the proof's first 4 bytes, the same `addRoute` / `freezeRoute` (owner only) and the same errors
///         (`RouteNotFound(bytes4)`, `RouteIsFrozen(bytes4)`, `RouteAlreadyExists(address)`,
///         `SelectorCannotBeZero()`) as succinctlabs/sp1-contracts `SP1VerifierGateway`.
contract SP1GatewayDouble is ISP1Verifier {
    struct VerifierRoute {
        address verifier;
        bool frozen;
    }

    address public immutable owner;
    mapping(bytes4 selector => VerifierRoute) public routes;

    event RouteAdded(bytes4 selector, address verifier);
    event RouteFrozen(bytes4 selector, address verifier);

    error RouteAlreadyExists(address verifier);
    error RouteNotFound(bytes4 selector);
    error RouteIsFrozen(bytes4 selector);
    error SelectorCannotBeZero();
    error NotOwner();

    constructor() {
        owner = msg.sender;
    }

    function verifyProof(bytes32 programVKey, bytes calldata publicValues, bytes calldata proofBytes) external view {
        bytes4 selector = bytes4(proofBytes[:4]);
        VerifierRoute memory route = routes[selector];
        if (route.verifier == address(0)) revert RouteNotFound(selector);
        if (route.frozen) revert RouteIsFrozen(selector);
        ISP1Verifier(route.verifier).verifyProof(programVKey, publicValues, proofBytes);
    }

    function addRoute(address verifier) external {
        if (msg.sender != owner) revert NotOwner();
        bytes4 selector = bytes4(SP1VerifierDouble(verifier).VERIFIER_HASH());
        if (selector == bytes4(0)) revert SelectorCannotBeZero();
        if (routes[selector].verifier != address(0)) revert RouteAlreadyExists(routes[selector].verifier);
        routes[selector] = VerifierRoute(verifier, false);
        emit RouteAdded(selector, verifier);
    }

    function freezeRoute(bytes4 selector) external {
        if (msg.sender != owner) revert NotOwner();
        VerifierRoute storage route = routes[selector];
        if (route.verifier == address(0)) revert RouteNotFound(selector);
        if (route.frozen) revert RouteIsFrozen(selector);
        route.frozen = true;
        emit RouteFrozen(selector, route.verifier);
    }
}

/// @title SP1VerifierDouble
/// @notice TEST DOUBLE of an SP1 v6 verifier (`SP1Verifier` of sp1-contracts v6, Groth16 flavour): same proof layout
///         (`selector ‖ abi.encode(uint256 exitCode, uint256 vkRoot, uint256 nonce, uint256[8] proof)`), same checks in
///         the same order and the same errors (`WrongVerifierSelector(bytes4,bytes4)`, `InvalidExitCode()`,
///         `InvalidVkRoot()`, then the gnark verifier's `PublicInputNotInField()` / `ProofInvalid()`), with a fake
///         pairing check: the proof is valid iff its first word is `keccak256(abi.encode(inputs)) mod r` over the five
///         public inputs `(programVKey, sha256(publicValues) & (2^253-1), exitCode, vkRoot, nonce)`.
contract SP1VerifierDouble is ISP1Verifier {
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @notice Selector `0x5d1e5d1e` = first 4 bytes of this hash.
    bytes32 public constant VERIFIER_HASH = 0x5d1e5d1e0000000000000000000000000000000000000000000000000000d0b1;
    bytes32 public constant VK_ROOT = 0x0000000000000000000000000000000000000000000000000000000000561d07;

    error WrongVerifierSelector(bytes4 received, bytes4 expected);
    error InvalidExitCode();
    error InvalidVkRoot();
    error PublicInputNotInField();
    error ProofInvalid();

    function hashPublicValues(bytes calldata publicValues) public pure returns (bytes32) {
        return sha256(publicValues) & bytes32(uint256((1 << 253) - 1));
    }

    function verifyProof(bytes32 programVKey, bytes calldata publicValues, bytes calldata proofBytes) external pure {
        bytes4 received = bytes4(proofBytes[:4]);
        bytes4 expected = bytes4(VERIFIER_HASH);
        if (received != expected) revert WrongVerifierSelector(received, expected);
        (uint256 exitCode, uint256 vkRoot, uint256 nonce, uint256[8] memory proof) =
            abi.decode(proofBytes[4:], (uint256, uint256, uint256, uint256[8]));
        uint256[5] memory inputs =
            [uint256(programVKey), uint256(hashPublicValues(publicValues)), exitCode, vkRoot, nonce];
        if (exitCode != 0) revert InvalidExitCode();
        if (vkRoot != uint256(VK_ROOT)) revert InvalidVkRoot();
        for (uint256 i = 0; i < 5; ++i) {
            if (inputs[i] >= R) revert PublicInputNotInField();
        }
        if (proof[0] != uint256(keccak256(abi.encode(inputs))) % R) revert ProofInvalid();
    }
}

/// @title ZiskVerifierDouble
/// @notice TEST DOUBLE of ZisK v1.0's ZiskVerifier (tests and devnet only, never production): same 4-argument
///         interface, same public-input hashing (`sha256(programVK ‖ publicValues ‖ rootCVadcopFinal) mod r`), same
///         decoding of the proof as `uint256[24]`, same `InvalidProof()` revert; the "proof" is valid iff its first
///         word equals the public input (instead of a PLONK check).
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

/// @title ZiskVerifierV13Double
/// @notice TEST DOUBLE of ZisK v1.3's ZiskVerifier: the 3-argument `verifySnarkProof(bytes32 programVK, bytes
///         publicValues, bytes proofBytes)` (selector 0xe2be39b9) with `rootCVadcopFinal` fixed inside the verifier;
///         otherwise as {ZiskVerifierDouble}.
contract ZiskVerifierV13Double is IZiskVerifierV13 {
    uint256 internal constant _RFIELD =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    bytes32 public immutable rootCVadcopFinal;

    error InvalidProof();

    constructor(bytes32 rootCVadcopFinal_) {
        rootCVadcopFinal = rootCVadcopFinal_;
    }

    function verifySnarkProof(bytes32 programVK, bytes calldata publicValues, bytes calldata proofBytes)
        external
        view
    {
        uint256 digest = uint256(sha256(abi.encodePacked(programVK, publicValues, rootCVadcopFinal))) % _RFIELD;
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
