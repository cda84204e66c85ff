// The `attest` backend (issue 17 item 1, docs/proving.md "The attest backend"): the devnet default. It
// re-executes the range statelessly from its witnesses with the node's own code (execute.ts), checks every
// post-state root and the range's withdrawals against the node's own derived state, and only then signs the
// public values for AttestationVerifier: EIP-712 `Attestation(bytes32 publicValuesHash)` under the domain
// {name "Rollbook Attestation", version "1", chainId, verifyingContract: the verifier}, one 65-byte r‖s‖v
// signature per configured signer key, ordered by signer address ascending (the contract requires it).
// With k keys configured the proof carries k signatures; the contract's threshold decides if k suffices.
import { bytesToHex, concat, keccak256, type Address, type Hex } from "viem";
import type { LocalAccount } from "viem/accounts";
import { encodePublicValues } from "../derive/commitment.ts";
import type { ProofBackend, ProofResult, RangeInput } from "./backend.ts";
import { ProverError } from "./errors.ts";
import { executeRange, type RangeExecution } from "./execute.ts";

/** What the attest backend reads of the node's own state (StateStore satisfies it). */
export interface NodeStateView {
  /** The node's state root after batch `i`, or undefined if not derived (yet). */
  stateRoot(batchIndex: number): Promise<Uint8Array | undefined>;
  /** The node's withdrawal records of batches [first, last] in batch order. */
  withdrawalsInRange(first: number, last: number): Promise<unknown[]>;
}

export interface AttestOptions {
  /** The signers this node holds (at least one): private-key accounts, or the node's own LocalAccount. */
  signers: readonly LocalAccount[];
  /** L1 chain id (EIP-712 domain). */
  chainId: number;
  /** The AttestationVerifier's address (EIP-712 verifyingContract). */
  verifier: Address;
  /** The node's derived state, checked against the re-execution. */
  state: NodeStateView;
  /**
   * The stateless re-execution (default: the node's own code, execute.ts `executeRange`); native.ts
   * `nativeExecutor()` runs the Rust guest's native runner instead, the program the zkVMs prove.
   */
  execute?: (range: RangeInput) => RangeExecution;
}

export const ATTESTATION_TYPES = { Attestation: [{ name: "publicValuesHash", type: "bytes32" }] } as const;

/** Signs `publicValues` with every account, ascending by address: the AttestationVerifier proof bytes. */
export async function signAttestation(accounts: readonly LocalAccount[], chainId: number, verifier: Address, publicValues: Uint8Array): Promise<Hex> {
  const sorted = [...accounts].sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
  const sigs = await Promise.all(
    sorted.map((a) =>
      a.signTypedData({
        domain: { name: "Rollbook Attestation", version: "1", chainId, verifyingContract: verifier },
        types: ATTESTATION_TYPES,
        primaryType: "Attestation",
        message: { publicValuesHash: keccak256(publicValues) },
      }),
    ),
  );
  return concat(sigs);
}

export class AttestBackend implements ProofBackend {
  readonly system = "attest" as const;
  private readonly o: AttestOptions;
  private readonly accounts: readonly LocalAccount[];

  constructor(o: AttestOptions) {
    if (o.signers.length === 0) throw new ProverError("CONFIG", "attest: no signer key configured");
    this.o = o;
    this.accounts = o.signers;
    if (new Set(this.accounts.map((a) => a.address)).size !== this.accounts.length) throw new ProverError("CONFIG", "attest: duplicate signer key");
  }

  /** The signer addresses, ascending. */
  signers(): Address[] {
    return this.accounts.map((a) => a.address).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
  }

  async prove(range: RangeInput, signal?: AbortSignal): Promise<ProofResult> {
    const t0 = performance.now();
    if (signal?.aborted) throw new ProverError("ABORTED", "attest: aborted");
    const ex = await executeChecked(range, this.o.state, this.o.execute);
    if (signal?.aborted) throw new ProverError("ABORTED", "attest: aborted");
    const publicValues = encodePublicValues(ex.values);
    const proof = await signAttestation(this.accounts, this.o.chainId, this.o.verifier, publicValues);
    return { system: "attest", publicValues, values: ex.values, proof, stats: { ms: performance.now() - t0, attempts: 1 } };
  }
}

/**
 * Re-executes the range statelessly (execute.ts) and checks every post-state root and the range's
 * withdrawals against the node's own state: the public values the node stands behind (the attest backend
 * signs them; the optimistic path claims them). A difference is STATE_MISMATCH.
 */
export async function executeChecked(range: RangeInput, state: NodeStateView, execute: (range: RangeInput) => RangeExecution = executeRange): Promise<RangeExecution> {
  const ex = execute(range);
  const first = ex.values.firstBatch;
  for (let k = 0; k < ex.roots.length; k++) {
    const i = first + k;
    const mine = await state.stateRoot(i);
    if (mine === undefined) throw new ProverError("NOT_READY", `attest: the node has no state root for batch ${i}`);
    if (bytesToHex(mine) !== ex.roots[k]) {
      throw new ProverError("STATE_MISMATCH", `attest: batch ${i} re-executes to ${ex.roots[k]}, the node derived ${bytesToHex(mine)}`);
    }
  }
  const mine = JSON.stringify(await state.withdrawalsInRange(first, ex.values.lastBatch));
  if (mine !== JSON.stringify(ex.withdrawals)) throw new ProverError("STATE_MISMATCH", `attest: the withdrawals of batches ${first}..${ex.values.lastBatch} differ from the node's`);
  return ex;
}
