// Reason codes of the codec. docs/batch-format.md ("Invalid batches") is normative.
//
// Decoding is total: every byte string decodes either to a value or to one of these codes. The numeric
// codes are stable (they are logged, stored with no-op batches and used in cross-implementation test
// vectors); new codes are only ever appended. Which code a bad input gets is determined by the order of
// checks in the decoding procedure of docs/batch-format.md; only valid/invalid is consensus-critical.

export const DecodeReason = {
  /** Input longer than MAX_BATCH_BYTES (or, for a single tx, MAX_TX_BYTES). */
  TOO_LARGE: 1,
  /** Input ended inside a field. */
  TRUNCATED: 2,
  /** Unknown batch version byte. */
  BAD_VERSION: 3,
  /** Unknown compression algorithm id. */
  BAD_COMPRESSION: 4,
  /** The compressed section is not a single well-formed stream of its algorithm (frame rules, trailing bytes). */
  BAD_COMPRESSED_FRAME: 5,
  /** The decompressor rejected the stream (corrupt data). */
  DECOMPRESS_FAILED: 6,
  /** Declared records length above MAX_RECORDS_BYTES. */
  RECORDS_TOO_LARGE: 7,
  /** Decompressed (or stored) records length differs from the declared length. */
  RECORDS_LENGTH_MISMATCH: 8,
  /** A varint longer than 8 bytes. */
  VARINT_TOO_LONG: 9,
  /** A varint with a redundant trailing zero byte (non-canonical, overlong). */
  VARINT_NON_CANONICAL: 10,
  /** A value outside its field's range (types.ts / docs/batch-format.md). */
  FIELD_RANGE: 11,
  /** Header l1MsgStart > l1MsgEnd. */
  BAD_L1_RANGE: 12,
  /** txCount above MAX_TXS_PER_BATCH. */
  TOO_MANY_TXS: 13,
  /** Unknown transaction kind. */
  BAD_KIND: 14,
  /** A flag bit that this kind does not define is set. */
  RESERVED_FLAG: 15,
  /** Account reference beyond the dictionary (other than the next new index). */
  BAD_ACCOUNT_REF: 16,
  /** A new dictionary entry repeats an address already in the dictionary. */
  DUPLICATE_ACCOUNT: 17,
  /** Dictionary would exceed MAX_ACCOUNTS_PER_BATCH. */
  TOO_MANY_ACCOUNTS: 18,
  /** NONCE_SEQ on an account's first transaction in the batch. */
  NONCE_NO_PREVIOUS: 19,
  /** An explicit value where the encoding rules require the short form (e.g. a nonce delta of 0). */
  NON_CANONICAL: 20,
  /** Signature s above n/2 (EIP-2 high-s; also makes EIP-2098 compact form ambiguous). */
  HIGH_S: 21,
  /** Bytes left over after the last field. */
  TRAILING_BYTES: 22,
  /** Single-tx encoding: signature v byte other than 0 or 1. */
  BAD_SIG_V: 23,
  /** Input is not a Uint8Array. */
  NOT_BYTES: 24,
  /** A bug: an unexpected exception inside the decoder (never expected; the fuzzer asserts it never happens). */
  INTERNAL: 99,
} as const;
export type DecodeReason = (typeof DecodeReason)[keyof typeof DecodeReason];

const NAMES = new Map<number, string>(Object.entries(DecodeReason).map(([k, v]) => [v, k]));

/** The name of a reason code, e.g. 11 -> "FIELD_RANGE". */
export function reasonName(code: number): string {
  return NAMES.get(code) ?? `UNKNOWN_${code}`;
}

/** Internal: thrown inside decoders, caught at their top level and turned into a result. Not an Error (no stack capture). */
export class Invalid {
  readonly reason: DecodeReason;
  readonly offset: number;
  constructor(reason: DecodeReason, offset: number) {
    this.reason = reason;
    this.offset = offset;
  }
}

/** Thrown by encoders for values that cannot be encoded (caller bug or unvalidated input). */
export class CodecError extends Error {
  override name = "CodecError";
}

/** A CodecError for a batch that is well-formed but over a cap (txs, addresses, records or total bytes). */
export class CapacityError extends CodecError {
  override name = "CapacityError";
}
