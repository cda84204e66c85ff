// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IProofVerifier} from "./IProofVerifier.sol";
import {ISP1Verifier} from "./ISP1Verifier.sol";
import {TimelockedGovernance} from "../libraries/TimelockedGovernance.sol";

/// @title SP1VerifierAdapter
/// @notice {IProofVerifier} for SP1 proofs: forwards to `ISP1Verifier.verifyProof` on a pinned SP1 verifier
///         gateway with the pinned program verification key. The SP1 guest commits the 320-byte public values
///         verbatim (`commit_slice`), so they are passed through unchanged.
/// @dev The vkey is a public input of the SP1 verifier's BN254 SNARK, so a vkey at or above the scalar field modulus
///      could never verify (the verifier reverts with `PublicInputNotInField()`): it is refused here
///      ({VKeyNotInField}). The vkey changes only through governance with a delay: {proposeProgramVKey} -> wait `changeDelay` ->
///      {applyProgramVKey}. The gateway is immutable: to change it, deploy a new adapter and swap it in the policy.
contract SP1VerifierAdapter is IProofVerifier, TimelockedGovernance {
    /// @notice Proof system tag.
    bytes32 public constant PROOF_SYSTEM = keccak256("SP1");

    /// @notice The SP1 verifier gateway (or a single SP1 verifier).
    ISP1Verifier public immutable gateway;

    /// @notice Verification key of the rollup's SP1 guest program.
    bytes32 public programVKey;

    /// @notice The program vkey changed.
    event ProgramVKeyUpdated(bytes32 oldProgramVKey, bytes32 newProgramVKey);

    /// @notice BN254 scalar field modulus r: every SNARK public input must be below it.
    uint256 public constant BN254_SCALAR_FIELD =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @notice A zero address or key was given.
    error ZeroValue();
    /// @notice The vkey is not below the BN254 scalar field modulus: no proof for it could ever verify.
    error VKeyNotInField(bytes32 programVKey);

    /// @param gateway_ SP1VerifierGateway address.
    /// @param programVKey_ Initial guest program vkey.
    /// @param owner_ Governance (TimelockController).
    /// @param changeDelay_ Delay of vkey changes, seconds.
    constructor(ISP1Verifier gateway_, bytes32 programVKey_, address owner_, uint64 changeDelay_)
        TimelockedGovernance(owner_, changeDelay_)
    {
        if (address(gateway_) == address(0)) revert ZeroValue();
        _validateVKey(programVKey_);
        gateway = gateway_;
        programVKey = programVKey_;
        emit ProgramVKeyUpdated(bytes32(0), programVKey_);
    }

    /// @inheritdoc IProofVerifier
    /// @dev Reverts with the gateway's or the SP1 verifier's own error (`RouteNotFound`, `RouteIsFrozen`,
    ///      `WrongVerifierSelector`, `InvalidExitCode`, `InvalidVkRoot`, `ProofInvalid`, ...) if the proof is invalid.
    function verify(bytes calldata publicValues, bytes calldata proof) external view {
        gateway.verifyProof(programVKey, publicValues, proof);
    }

    /// @inheritdoc IProofVerifier
    function proofSystem() external pure returns (bytes32) {
        return PROOF_SYSTEM;
    }

    /// @notice Governance proposes a new program vkey; applicable after `changeDelay`.
    function proposeProgramVKey(bytes32 newProgramVKey) external onlyOwner returns (bytes32 changeId) {
        _validateVKey(newProgramVKey);
        return _proposeChange(abi.encodeCall(this.applyProgramVKey, (newProgramVKey)));
    }

    /// @notice Applies a proposed vkey once its delay has passed (callable by anyone).
    function applyProgramVKey(bytes32 newProgramVKey) external {
        _applyChange(abi.encodeCall(this.applyProgramVKey, (newProgramVKey)));
        emit ProgramVKeyUpdated(programVKey, newProgramVKey);
        programVKey = newProgramVKey;
    }

    function _validateVKey(bytes32 vkey) private pure {
        if (vkey == bytes32(0)) revert ZeroValue();
        if (uint256(vkey) >= BN254_SCALAR_FIELD) revert VKeyNotInField(vkey);
    }
}
