// Public surface of node/codec: transaction and batch encoding (docs/batch-format.md).
// Blob packing and KZG live in node/da.

export {
  BATCH_VERSION,
  HEADER_BYTES,
  MAX_ACCOUNTS_PER_BATCH,
  MAX_BATCH_BYTES,
  MAX_TXS_PER_BATCH,
  SIGNATURE_BYTES,
  decodeBatch,
  encodeBatch,
  fitTxs,
  type Batch,
  type BatchHeader,
  type DecodeBatchResult,
  type EncodeOptions,
  type Hash,
} from "./batch.ts";
export { Compression, MAX_RECORDS_BYTES } from "./compress.ts";
export { CapacityError, CodecError, DecodeReason, reasonName } from "./errors.ts";
export {
  MAX_TX_BYTES,
  TX_BYTES,
  decodeTx,
  encodeTx,
  isCanonicalAddress,
  isCanonicalHash,
  isLowS,
  txEncodingProblem,
  type DecodeTxResult,
} from "./tx.ts";
