// node/da: data availability for batches. Public surface (docs/da.md):
//   packBlobs / unpackBlobs           batch bytes <-> 1..6 field-element-safe blobs (total, typed errors)
//   computeSidecars / versionedHash   KZG commitments, proofs (blob or cell), versioned hashes (c-kzg 4.1.0)
//   wrapBlobTx / decodeBlobTx / verifyBlobTx   blob tx network wrappers v0 (EIP-4844) and v1 (EIP-7594)
//   chooseDataMode / initialFees / bumpFees   blob-vs-calldata decision and fee policy
//   BlobPoster                        propose to the Inbox (blob or calldata tx), fee bumps, BatchProposed
//   BlobFetcher + sources             beacon API -> archive URLs -> IPFS, each blob verified against L1
//   HeliaBackup / KuboBackup          IPFS backup of batch bytes (raw CIDv1), pinning and GC
//   ArchiveStore / startArchiveServer the blob archive operators run (GET <base>/<versionedHash>)
export {
  packBlobs,
  unpackBlobs,
  blobsNeeded,
  BYTES_PER_BLOB,
  FIELD_ELEMENTS_PER_BLOB,
  PAYLOAD_BYTES_PER_BLOB,
  MAX_BLOBS_PER_BATCH,
  MAX_PACKED_DATA_BYTES,
  PACKING_VERSION,
  PACKING_HEADER_BYTES,
  type UnpackResult,
  type UnpackError,
  type UnpackErrorCode,
} from "./packing.ts";
export { computeSidecarsOffThread, warmKzgThread } from "./kzg-thread.ts";
export {
  loadKzg,
  kzgSetupMs,
  viemKzgInstance,
  versionedHash,
  blobCommitment,
  blobProof,
  computeSidecars,
  computeVersionedHashes,
  checkBlob,
  cellProofs,
  ensureProofs,
  verifyCellProofs,
  verifyBlobProofs,
  checkBlobsWithRecords,
  encodeKzgRecord,
  decodeKzgRecord,
  KZG_RECORD_BYTES,
  type KzgRecord,
  CELLS_PER_EXT_BLOB,
  BYTES_PER_CELL,
  type BlobSidecars,
  type BlobCheck,
  type BlobWrapper,
  type ProofCheck,
} from "./kzg.ts";
export {
  wrapBlobTx,
  decodeBlobTx,
  verifyBlobTx,
  detectBlobWrapper,
  isWrapperRejection,
  OSAKA_TIMES,
  P256VERIFY_ADDRESS,
  BLOB_TX_TYPE,
  WRAPPER_VERSION_CELL_PROOFS,
  RlpError,
  type DecodedBlobTx,
  type DecodeBlobTxError,
  type BlobTxCheck,
  type WrapperDecision,
} from "./blobtx.ts";
export {
  chooseDataMode,
  initialFees,
  bumpFees,
  calldataGas,
  DEFAULT_FEE_POLICY,
  DEFAULT_GAS_MODEL,
  GAS_PER_BLOB,
  type FeePolicy,
  type TxFees,
  type L1FeeSnapshot,
  type DataModeDecision,
  type DataModeGasModel,
} from "./fees.ts";
export { BlobPoster, PostError, parseBatchProposed, type BlobPosterOptions, type ProposeOptions, type ProposeResult, type BatchProposedEvent } from "./poster.ts";
export {
  BlobFetcher,
  BeaconBlobSource,
  ArchiveBlobSource,
  ArchiveKzgSource,
  IpfsBlobSource,
  SourceError,
  DataUnavailableError,
  standardSources,
  calldataBatchFromInput,
  type BlobRequest,
  type BlobSource,
  type KzgRecordSource,
  type SourceAnswer,
  type FetchedBatch,
  type BlobFetcherOptions,
  type BeaconSourceOptions,
  type ArchiveSourceOptions,
} from "./fetcher.ts";
export { HeliaBackup, KuboBackup, IpfsError, createIpfsBackup, retentionPolicy, rawCid, parseCid, type IpfsBackup, type PinInfo, type PinMetadata } from "./ipfs.ts";
export { ArchiveStore, startArchiveServer, type ArchiveServer } from "./archive.ts";
export { inboxAbi, DATA_KIND_BLOBS, DATA_KIND_CALLDATA } from "../l1/contracts.ts";
export { daMetrics, type DaMetrics } from "./metrics.ts";
export { createDa, type Da, type DaSetupOptions } from "./setup.ts";
