// Prover errors with stable codes (docs/proving.md "Errors"). A driver tells "retry later" (temporary)
// from "this range can never be proven as asked" (fatal) by the code.
export type ProverErrorCode =
  | "INPUT" // the range input is inconsistent (wrong pre-state, messages, data or witness): I1-I4 or a bad witness
  | "STATE_MISMATCH" // stateless re-execution disagrees with the node's own state (root or withdrawals)
  | "NOT_READY" // the node has not derived (or kept) what the range needs yet
  | "BACKEND" // the proving backend failed (process exit, bad output, missing proof file)
  | "TIMEOUT" // the backend ran out of time
  | "ABORTED" // the job was cancelled (shutdown)
  | "SUBMIT" // the L1 submission reverted or failed
  | "FUNDS" // the node's L1 balance is below the bond plus prover.minBalanceGwei: fund the key
  | "CONFIG"; // the backend is misconfigured (no signer key, unknown verifier id, missing program)

/** Codes worth retrying after a delay. */
const TEMPORARY: ReadonlySet<ProverErrorCode> = new Set(["NOT_READY", "BACKEND", "TIMEOUT", "SUBMIT", "FUNDS"]);

export class ProverError extends Error {
  readonly code: ProverErrorCode;
  constructor(code: ProverErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ProverError";
    this.code = code;
  }
  /** True if the same job may succeed later (a new attempt, a restarted process, a new L1 block). */
  get temporary(): boolean {
    return TEMPORARY.has(this.code);
  }
}
