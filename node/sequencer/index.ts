// node/sequencer: mempool, admission on worker threads, durable acknowledgements (WAL), soft execution,
// batch sealing, proposing and soft-state rebuilds (docs/sequencer.md). Public surface:
//   Sequencer            submit / status / subscribe / softState / sealIfDue / seal / commitKeys / onCanonical / rebuild
//   Proposer             posts sealed batches in order with node/da's BlobPoster (IPFS backup included)
//   Mempool, Wal, AdmissionPool   the parts, for tests and tools
//   undoneTxs / undoneRecords   the transactions a rollback undoes, kept in the rollback's store write
//   DropReason, PoolCode, SequencerError
//   warmSoftExecution    synthetic orders through the order path on a scratch state (start-up warm-up)
export {
  Sequencer,
  DEFAULT_SEAL_POLICY,
  undoneTxs,
  undoneRecords,
  type UndoneTx,
  type SequencerOptions,
  type SequencerL1,
  type SequencerEvent,
  type SubmitResult,
  type SoftBatch,
  type SealPolicy,
  type CanonicalUpdate,
  type L1Head,
} from "./sequencer.ts";
export { Mempool, DEFAULT_LIMITS, type Level, type PoolTx, type MempoolLimits } from "./mempool.ts";
export { Wal, RecordWriter, readSegment, type WalContents, type WalOptions } from "./wal.ts";
export { AdmissionPool, type AdmissionJob } from "./admission.ts";
export { DropReason, PoolCode, SequencerError } from "./errors.ts";
export { Proposer, type ProposerOptions, type InboxReader, type Proposal } from "./proposer.ts";
export { sequencerOptionsFromConfig } from "./options.ts";
export { warmSoftExecution, type WarmTx, type WarmUp } from "./warmup.ts";
