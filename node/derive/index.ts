// node/derive: derivation of the L2 state from L1 (docs/derivation.md). Public surface:
//   Deriver                     open(store, L1 client, Inbox, DA) -> start/stop/status/syncToHead, events
//                               "batch" (DerivedBatch), "reorg" (ReorgInfo), "error" (critical DeriveError)
//   DeriveError                 errors with a level: temporary | reset | critical, and a stable code
//   checkBatchValidity          batch validity V1-V6 (no-op on failure) and input consistency I1-I4 (validity.ts)
//   stages                      L1Traversal -> InboxEvents -> DataRetrieval (used by Deriver)
//   deriveMetrics               Prometheus metrics (L1 head/lag, batches, reorgs, errors, batch time)
export { Deriver, type DeriverOptions, type CanonicalBatchInput, type UndoneBatch, type DerivedBatch, type ReorgInfo, type SyncStatus, type DeriverEvents } from "./deriver.ts";
export { DeriveError, type DeriveErrorLevel, type DeriveErrorCode } from "./errors.ts";
export { checkBatchValidity, BatchValidity, BATCH_VALIDITY_NAME, InputMismatch, type ValidityInput, type ValidityResult } from "./validity.ts";
export { L1Traversal } from "./traversal.ts";
export { InboxEvents, type BlockEvents, type Proposal } from "./inbox-events.ts";
export { DataRetrieval, type BatchData } from "./retrieval.ts";
export { deriveMetrics, type DeriveMetrics } from "./metrics.ts";
export { encodeBatchInput, decodeBatchInput, type BatchInput } from "./prover-input.ts";
