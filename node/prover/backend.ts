// The proof backend interface (issue 17 item 1, docs/proving.md "Backends"). A backend turns the inputs of a
// contiguous batch range (firstBatch-1, lastBatch] into the 320-byte public values of docs/l1-messages.md
// and one proof for one verifier of the VerifierPolicy (contracts/verifiers): `attest` (k-of-n EIP-712
// signatures for AttestationVerifier), `sp1` (SP1 proof bytes for SP1VerifierAdapter), `zisk` (ZisK proof
// bytes for ZiskVerifierAdapter). The envelope that carries one part per verifier is built by envelope.ts.
//
// The range input is what the zkVM guest reads (docs/proving.md "The program"): the claim's base, and per
// batch c(i)'s preimage fields, the batch data, the L1 messages and the pre-state witness.
import type { Address, Hex } from "viem";
import type { Hash, PublicValues } from "../derive/commitment.ts";
import type { BatchInput } from "../derive/prover-input.ts";

export type { BatchInput };

/** A contiguous batch range and its base: what a proof covers. */
export interface RangeInput {
  /** State root after batch firstBatch-1 (Settlement.lastStateRoot when the range is next to finalize). */
  prevStateRoot: Hash;
  /** b(firstBatch-1). */
  prevBatchChain: Hash;
  /** Batches firstBatch..lastBatch in order. */
  batches: BatchInput[];
  /** The account that submits (bound in the public values against front-running). */
  prover: Address;
}

/** The proof systems a backend can produce (the tags the verifiers report through `proofSystem()`). */
export type ProofSystem = "attest" | "sp1" | "zisk";

/** keccak256 tags of IProofVerifier.proofSystem() per backend: maps a policy's verifier ids to backends. */
export const PROOF_SYSTEM_TAG: Record<ProofSystem, string> = {
  attest: "ATTESTATION",
  sp1: "SP1",
  zisk: "ZISK",
};

/** One proof of one range for one verifier. */
export interface ProofResult {
  system: ProofSystem;
  /** The 320-byte public values (docs/l1-messages.md). */
  publicValues: Uint8Array;
  /** Decoded public values (for logs, status and checks). */
  values: PublicValues;
  /** The verifier's proof bytes: one envelope part (envelope.ts adds the policy's framing). */
  proof: Hex;
  /** What it cost: wall time, attempts, and what the backend reports (cycles, prover-network cost). */
  stats: ProofStats;
}

export interface ProofStats {
  ms: number;
  attempts: number;
  /** zkVM cycles or instructions, when the backend reports them. */
  cycles?: number;
  /** Prover-network cost as reported (e.g. PROVE credits), when the backend reports it. */
  cost?: string;
}

/**
 * A proof backend. `prove` resolves with the proof of exactly the range given, or rejects with a
 * ProverError (errors.ts): INPUT / STATE_MISMATCH never succeed on retry; NOT_READY, BACKEND, TIMEOUT may.
 * An aborted `signal` stops the work (child processes are killed) and rejects with ABORTED.
 */
export interface ProofBackend {
  readonly system: ProofSystem;
  prove(range: RangeInput, signal?: AbortSignal): Promise<ProofResult>;
}
