// node/prover: proof backends, jobs, aggregation and submission (docs/proving.md). Surface:
//   backend.ts   ProofBackend, RangeInput, ProofResult          execute.ts  stateless re-execution of a range
//   attest.ts    AttestBackend (k-of-n EIP-712)                 external.ts sp1 / zisk host CLIs
//   envelope.ts  VerifierPolicy envelope                        jobs.ts     persisted proof jobs
//   policy.ts    range aggregation                              prover.ts   the engine (cut, prove, finalize)
//   role.ts      startProver(config, deps), rangeExecutor        metrics.ts  prom-client metrics
//   native.ts    the Rust guest runner as the executor (prover.executor: native)
export { PROOF_SYSTEM_TAG, type BatchInput, type ProofBackend, type ProofResult, type ProofStats, type ProofSystem, type RangeInput } from "./backend.ts";
export { executeRange, type RangeExecution } from "./execute.ts";
export { AttestBackend, signAttestation, ATTESTATION_TYPES, type AttestOptions, type NodeStateView } from "./attest.ts";
export { ExternalBackend, type ExternalOptions } from "./external.ts";
export { GUEST_INPUT_MAGIC, encodeGuestInput } from "./guest-input.ts";
export { GUEST_RUNNER, GUEST_RUNNER_BUILD, buildGuestRunner, checkRunner, nativeExecutor, runWitnessRange, type NativeRangeRun } from "./native.ts";
export { encodeEnvelope, decodeEnvelope, ENVELOPE_VERSION, type EnvelopePart } from "./envelope.ts";
export { ProverError, type ProverErrorCode } from "./errors.ts";
export { JobStore, JOB_STATES, type JobState, type ProofJob, type JobProof } from "./jobs.ts";
export { decideRange, type AggregationPolicy, type PendingView, type Decision } from "./policy.ts";
export { Prover, type ProverOptions, type ProverInputSource, type StepResult } from "./prover.ts";
export { proverMetrics, type ProverMetrics } from "./metrics.ts";
export { rangeExecutor, startProver, type ProverDeps, type ProverHandle } from "./role.ts";
