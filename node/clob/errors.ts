// Stable error codes of the CLOB STF. docs/stf.md ("Error codes") is normative; the numbers never change
// meaning once published (new codes are appended). Receipts carry the number.

export const ErrorCode = {
  /** Accepted. */
  OK: 0,

  // --- Rejections: nothing changes, the nonce is NOT consumed (status REJECTED). ---
  /** A field is not representable: not a safe integer, out of its EIP-712 type range or above MAX_AMOUNT,
   *  bad address, signature component of the wrong length, unknown tx kind. */
  MALFORMED: 1,
  /** r or s outside [1, n-1], s > n/2 (high-s, malleable), v not 0/1, or public-key recovery failed. */
  INVALID_SIGNATURE: 2,
  /** The recovered signer is not `tx.account`. */
  WRONG_SIGNER: 3,
  /** tx.nonce < account nonce (replay). */
  NONCE_TOO_LOW: 4,
  /** tx.nonce > account nonce (future). */
  NONCE_TOO_HIGH: 5,

  // --- Failures: authenticated, nonce consumed, nothing else changes (status FAILED). ---
  UNKNOWN_MARKET: 10,
  MARKET_HALTED: 11,
  MARKET_CANCEL_ONLY: 12,
  INVALID_SIDE: 13,
  INVALID_TIF: 14,
  INVALID_STP: 15,
  /** price < 1 tick. */
  INVALID_PRICE: 16,
  /** size < 1 lot. */
  INVALID_SIZE: 17,
  /** size below the market's minimum size. */
  BELOW_MIN_SIZE: 18,
  /** GTT expiry <= the batch timestamp at placement. */
  EXPIRY_IN_PAST: 19,
  /** clientId already used by a resting order of the account in the market. */
  DUPLICATE_CLIENT_ID: 20,
  /** An intermediate value (notional, lock, base amount) exceeds MAX_AMOUNT. */
  OVERFLOW: 21,
  /** The available balance does not cover the amount to lock or withdraw. */
  INSUFFICIENT_BALANCE: 22,
  /** A POST_ONLY order would cross a live resting order. */
  POST_ONLY_WOULD_CROSS: 23,
  /** A FOK order cannot be filled completely. */
  FOK_NOT_FILLED: 24,
  /** No resting order with that id (or client id) belonging to the account in that market. */
  ORDER_NOT_FOUND: 25,
  /** clientId 0 given where a client id is required. */
  INVALID_CLIENT_ID: 26,
  /** Withdrawal amount 0. */
  INVALID_AMOUNT: 27,
  /** Withdrawal recipient is the zero address. */
  INVALID_RECIPIENT: 28,
  /** The account already has the maximum number of resting orders in the market. */
  TOO_MANY_OPEN_ORDERS: 29,
  /** Amend of a resting order whose GTT expiry has passed (cancel it instead). */
  ORDER_EXPIRED: 30,
  /** The amended price would cross a live resting order of the other side (an amend never trades). */
  AMEND_WOULD_CROSS: 31,
  /** APPROVE_AGENT / REVOKE_AGENT naming the zero address or the account itself. */
  INVALID_AGENT: 32,
  /** APPROVE_AGENT of a new agent while 8 active agents are listed. */
  TOO_MANY_AGENTS: 33,
  /** REVOKE_AGENT of an address that is not listed. */
  AGENT_NOT_FOUND: 34,

  // --- L1 message outcomes (receipts of L1 messages; an L1 message is never "rejected"). ---
  /** SET_MARKET with invalid parameters, or an update changing an immutable field. */
  INVALID_MARKET_PARAMS: 40,
  /** DEPOSIT that would push the asset's L2 supply above MAX_AMOUNT: refunded as a withdrawal. */
  SUPPLY_OVERFLOW: 41,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Name of a code, for logs and RPC. */
export const ERROR_NAME: Record<number, string> = Object.fromEntries(
  Object.entries(ErrorCode).map(([k, v]) => [v, k]),
);

/** Codes that leave the nonce unconsumed (the transaction is not attributable to the account). */
export function isRejection(code: number): boolean {
  return code >= 1 && code <= 9;
}
