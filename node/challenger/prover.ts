// The challenger's view of node/prover: a RangeProver over the ProofBackends (attest, sp1, zisk). It reads the
// batches' prover inputs that derivation recorded (Deriver option `proverInputs`), asks the backend for the
// proof of the node's own result on the claim's base, and wraps it in the VerifierPolicy envelope under the
// backend's verifier id. The backend re-executes and checks against the node's state: it never proves a
// result the node did not derive, so a wrong claim cannot get a proof from here.
import { bytesToHex, type Hex } from "viem";
import { decodeBatchInput, type BatchInput } from "../derive/prover-input.ts";
import type { ProofBackend } from "../prover/backend.ts";
import { encodeEnvelope } from "../prover/envelope.ts";
import type { StateStore } from "../state/store.ts";
import type { ProveRange, RangeProof, RangeProver } from "./actions.ts";
import { ChallengerError } from "./errors.ts";

/** One envelope part: a backend and its verifier id in the VerifierPolicy. */
export interface PolicyPart {
  backend: ProofBackend;
  id: number;
}

/** A RangeProver over one backend (one envelope part). */
export function backendProver(backend: ProofBackend, store: StateStore, verifierId: number): RangeProver {
  return policyProver([{ backend, id: verifierId }], store);
}

/**
 * A RangeProver over every configured backend: each proves the range, all must agree on the public
 * values, and the envelope carries one part per backend, ids ascending (what a policy requiring several
 * proof systems needs).
 */
export function policyProver(parts: readonly PolicyPart[], store: StateStore): RangeProver {
  if (parts.length === 0) throw new ChallengerError("NO_BACKEND", "no proof backend configured");
  const sorted = [...parts].sort((a, b) => a.id - b.id);
  return {
    async prove(r: ProveRange): Promise<RangeProof> {
      const batches: BatchInput[] = [];
      for (let i = r.firstBatch; i <= r.lastBatch; i++) {
        const bytes = await store.proverInput(i);
        if (bytes === undefined) throw new ChallengerError("NOT_DERIVED", `no prover input for batch ${i} (derive with proverInputs)`);
        batches.push(decodeBatchInput(bytes));
      }
      const range = { prevStateRoot: r.prevStateRoot, prevBatchChain: r.prevBatchChain, batches, prover: r.prover };
      let publicValues: Hex | undefined;
      const envelope = [];
      for (const p of sorted) {
        const res = await p.backend.prove(range);
        const pv = bytesToHex(res.publicValues);
        if (publicValues !== undefined && pv !== publicValues) throw new ChallengerError("CLAIM_INVALID", `${p.backend.system} proved other public values than ${sorted[0]!.backend.system}`);
        publicValues = pv;
        envelope.push({ id: p.id, proof: res.proof });
      }
      return { publicValues: publicValues!, proof: encodeEnvelope(envelope) };
    },
  };
}
