// Coded errors of the challenger role and the `rollup-node claims` command (docs/disputes.md). A caller
// tells "wait and retry" (NOT_DERIVED) from "refused" (the rest) by the code; nothing here is thrown for
// a state a claim is merely in: those are verdicts and statuses, not errors.
export type ChallengerErrorCode =
  | "UNKNOWN_CLAIM" // no claim with this id on the DisputeGame
  | "WRONG_STATUS" // the claim's status does not allow the action (e.g. challenge a closed claim)
  | "WINDOW_CLOSED" // challenge after windowEnd, or prove after the deadline
  | "TOO_EARLY" // resolve before windowEnd / deadline
  | "NOT_DERIVED" // the node has not derived the claim's range yet: no verdict
  | "CLAIM_VALID" // refusing to challenge a claim the node computes as correct (override with --force)
  | "CLAIM_INVALID" // refusing to prove a claim whose public values differ from the node's result
  | "NO_KEY" // an L1 transaction is needed and no key is configured
  | "NO_BACKEND" // proving needs a proof backend and none is configured
  | "NOTHING_TO_WITHDRAW" // no credit on the DisputeGame
  | "TX_REVERTED" // the L1 transaction reverted
  | "NOTHING_TO_EXIT" // desert mode: the account has no balance in the finalized state
  | "ROOT_MISMATCH" // the state derived from L1 for the finalized batch does not have the finalized root
  | "BAD_ARGUMENT"; // malformed command-line input

export class ChallengerError extends Error {
  readonly code: ChallengerErrorCode;
  constructor(code: ChallengerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ChallengerError";
    this.code = code;
  }
}
