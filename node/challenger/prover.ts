// The challenger's view of node/prover: a RangeProver over any ProofBackend (attest, sp1, zisk). It reads the
// batches' prover inputs that derivation recorded (Deriver option `proverInputs`), asks the backend for the
// proof of the node's own result on the claim's base, and wraps it in the VerifierPolicy envelope under the
// backend's verifier id. The backend re-executes and checks against the node's state: it never proves a
// result the node did not derive, so a wrong claim cannot get a proof from here.
import { bytesToHex } from "viem";
import { decodeBatchInput, type BatchInput } from "../derive/prover-input.ts";
import type { ProofBackend } from "../prover/backend.ts";
import { encodeEnvelope } from "../prover/envelope.ts";
import type { StateStore } from "../state/store.ts";
import type { ProveRange, RangeProof, RangeProver } from "./actions.ts";
import { ChallengerError } from "./errors.ts";

export function backendProver(backend: ProofBackend, store: StateStore, verifierId: number): RangeProver {
  return {
    async prove(r: ProveRange): Promise<RangeProof> {
      const batches: BatchInput[] = [];
      for (let i = r.firstBatch; i <= r.lastBatch; i++) {
        const bytes = await store.proverInput(i);
        if (bytes === undefined) throw new ChallengerError("NOT_DERIVED", `no prover input for batch ${i} (derive with proverInputs)`);
        batches.push(decodeBatchInput(bytes));
      }
      const res = await backend.prove({ prevStateRoot: r.prevStateRoot, prevBatchChain: r.prevBatchChain, batches, prover: r.prover });
      return { publicValues: bytesToHex(res.publicValues), proof: encodeEnvelope([{ id: verifierId, proof: res.proof }]) };
    },
  };
}
