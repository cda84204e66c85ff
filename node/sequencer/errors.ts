// Verdicts, drop reasons and errors of the sequencer (docs/sequencer.md "Admission" and "Drop reasons").
// Admission answers every submission with one of three verdicts (valid / never valid with the STF's error
// code / internal error); an acknowledged transaction later either lands in a batch or is dropped with one
// of the DropReason codes below, and that answer is durable.

import { ERROR_NAME, ErrorCode } from "../clob/errors.ts";

/** Why an acknowledged transaction will never be included. Stable strings (API and WAL records). */
export const DropReason = {
  /** Another transaction of the account with the same nonce was included first (competing proposer, reorg). */
  NONCE_TAKEN: "NONCE_TAKEN",
  /** Signed by an agent key that was revoked or expired before the transaction could execute. */
  SIGNER_NOT_AUTHORIZED: "SIGNER_NOT_AUTHORIZED",
  /** The transaction waited in a nonce gap longer than `parkTimeoutMs`. */
  GAP_TIMEOUT: "GAP_TIMEOUT",
} as const;
export type DropReason = (typeof DropReason)[keyof typeof DropReason];

/** Admission rejections that are not STF error codes (the pool's own limits). */
export const PoolCode = {
  POOL_FULL: "POOL_FULL",
  ACCOUNT_LIMIT: "ACCOUNT_LIMIT",
  GAP_TOO_LARGE: "GAP_TOO_LARGE",
  PARKED_LIMIT: "PARKED_LIMIT",
  SHUTTING_DOWN: "SHUTTING_DOWN",
} as const;
export type PoolCode = (typeof PoolCode)[keyof typeof PoolCode];

/** Root error of node/sequencer with a stable code. */
export class SequencerError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SequencerError";
    this.code = code;
  }
}

/** Name of an STF error code for messages. */
export function codeName(code: ErrorCode): string {
  return ERROR_NAME[code] ?? `code ${code}`;
}
