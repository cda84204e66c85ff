// Derivation errors with a level (docs/derivation.md "Errors"), after op-node's derive/error.go:
//   temporary  retry the same step later (L1 RPC failure, blob data not available yet);
//   reset      the L1 chain changed under us: find the common ancestor, roll back, derive again;
//   critical   stop deriving and alert (the store is inconsistent, or L1 says something impossible).
// Invalid batch data is none of these: it is a deterministic outcome (a no-op batch), not an error.
export type DeriveErrorLevel = "temporary" | "reset" | "critical";

export type DeriveErrorCode =
  | "L1_RPC" // an L1 request failed
  | "DATA_UNAVAILABLE" // no DA source has the batch data (yet)
  | "LOGS_INCONSISTENT" // logs returned for another block than asked (the block was reorged meanwhile)
  | "REORG" // parent hash mismatch or the cursor block left the canonical chain
  | "NO_COMMON_ANCESTOR" // a reorg deeper than every L1 block the node recorded
  | "CANNOT_UNDO" // a reorg reaches a batch committed without undo record (derived as final)
  | "SEQUENCE" // Inbox events out of sequence (a skipped batch or message index)
  | "STORE"; // the local store failed or is inconsistent

export class DeriveError extends Error {
  readonly level: DeriveErrorLevel;
  readonly code: DeriveErrorCode;
  constructor(level: DeriveErrorLevel, code: DeriveErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DeriveError";
    this.level = level;
    this.code = code;
  }
}

export const temporary = (code: DeriveErrorCode, message: string, cause?: unknown) => new DeriveError("temporary", code, message, { cause });
export const critical = (code: DeriveErrorCode, message: string, cause?: unknown) => new DeriveError("critical", code, message, { cause });
