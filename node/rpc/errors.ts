// The RPC's error table (docs/api.md "Errors"): every error the server answers with is one of these rows.
// JSON-RPC 2.0 / EIP-1474 codes where one fits, our own codes (-32010 and below) for the trading cases;
// a transaction the STF refused carries the STF's own code and name (docs/stf.md "Error codes") in
// error.data. Codes never change meaning once published; new rows are appended.

import { ERROR_NAME, ErrorCode } from "../clob/errors.ts";

export const RpcErrors = {
  INVALID_JSON: { code: -32700, message: "invalid JSON" },
  INVALID_REQUEST: { code: -32600, message: "invalid request" },
  METHOD_NOT_FOUND: { code: -32601, message: "unknown method" },
  INVALID_PARAMS: { code: -32602, message: "bad params" },
  INTERNAL: { code: -32603, message: "internal error" },
  NOT_FOUND: { code: -32001, message: "resource not found" },
  TX_REJECTED: { code: -32003, message: "transaction rejected" },
  RATE_LIMITED: { code: -32005, message: "rate limited" },
  BAD_SIGNATURE: { code: -32010, message: "bad signature" },
  NONCE_REPLAYED: { code: -32011, message: "replayed nonce" },
  NONCE_GAP: { code: -32012, message: "nonce ahead of the account's next nonce" },
  INSUFFICIENT_BALANCE: { code: -32013, message: "insufficient balance" },
  MARKET_HALTED: { code: -32014, message: "market halted" },
  TOO_LARGE: { code: -32015, message: "too large" },
  UNAUTHORIZED: { code: -32016, message: "not authenticated" },
  NOT_FINALIZED: { code: -32020, message: "not yet finalized" },
  PROOF_UNAVAILABLE: { code: -32021, message: "no proof kept for that state" },
} as const;
export type RpcErrorName = keyof typeof RpcErrors;

/** The codes of the table, for checks (the fuzzer asserts every answer is one of them). */
export const RPC_ERROR_CODES: ReadonlySet<number> = new Set(Object.values(RpcErrors).map((e) => e.code));

export interface RpcErrorData {
  /** The STF's error code when the STF refused a transaction (docs/stf.md). */
  stfCode?: number;
  stfName?: string;
  /** Whether the refused transaction consumed its nonce (STF failures do, rejections do not). */
  nonceConsumed?: boolean;
  txHash?: string;
  /** What was wrong, for bad params / limits (a JSON pointer-like path and the rule). */
  reason?: string;
  [k: string]: unknown;
}

export class RpcError extends Error {
  readonly code: number;
  readonly data: RpcErrorData | undefined;
  readonly errorName: RpcErrorName;
  constructor(name: RpcErrorName, data?: RpcErrorData, message?: string) {
    super(message ?? RpcErrors[name].message);
    this.name = "RpcError";
    this.errorName = name;
    this.code = RpcErrors[name].code;
    this.data = data;
  }
  toJSON(): { code: number; message: string; data?: RpcErrorData } {
    return this.data === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, data: this.data };
  }
}

/** The table row for an STF error code (a refused transaction). */
export function rowOfStfCode(code: number): RpcErrorName {
  switch (code) {
    case ErrorCode.INVALID_SIGNATURE:
    case ErrorCode.WRONG_SIGNER:
      return "BAD_SIGNATURE";
    case ErrorCode.NONCE_TOO_LOW:
      return "NONCE_REPLAYED";
    case ErrorCode.NONCE_TOO_HIGH:
      return "NONCE_GAP";
    case ErrorCode.INSUFFICIENT_BALANCE:
      return "INSUFFICIENT_BALANCE";
    case ErrorCode.MARKET_HALTED:
    case ErrorCode.MARKET_CANCEL_ONLY:
      return "MARKET_HALTED";
    case ErrorCode.MALFORMED:
      return "INVALID_PARAMS";
    default:
      return "TX_REJECTED";
  }
}

/** An RpcError for a transaction the STF refused with `code`. */
export function stfError(code: number, extra: RpcErrorData = {}): RpcError {
  return new RpcError(rowOfStfCode(code), { stfCode: code, stfName: ERROR_NAME[code] ?? "UNKNOWN", ...extra });
}
