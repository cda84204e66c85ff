// Coded errors of the operator commands (snapshot, asset, market): the CLI prints `code: message` (or
// {"error":{code,message}} with --json) and exits 1; nothing is written when one is thrown.
export type OpsErrorCode =
  | "USAGE"
  | "L1_UNREACHABLE"
  | "NO_DEPLOYMENT"
  | "WRONG_CHAIN"
  | "NO_STATE"
  | "STORE_NOT_EMPTY"
  | "BAD_SNAPSHOT"
  | "CHECKSUM_MISMATCH"
  | "NOT_FINALIZED"
  | "ROOT_MISMATCH"
  | "L1_MISMATCH"
  | "L1_NOT_FINAL"
  | "BAD_PARAMS"
  | "ALREADY_EXISTS"
  | "UNKNOWN_ASSET"
  | "NO_KEY"
  | "NOT_READY"
  | "TX_FAILED";

export class OpsError extends Error {
  readonly code: OpsErrorCode;
  constructor(code: OpsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "OpsError";
    this.code = code;
  }
}
