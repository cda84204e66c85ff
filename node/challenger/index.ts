// node/challenger: the dispute side of settlement (docs/disputes.md). Public surface:
//   startChallenger(deps)     the challenger role for node/app's registry (role.ts)
//   Challenger                watches claims, judges them, challenges / proves / resolves / withdraws
//   ClaimBook, ClaimStatus    the DisputeGame's claims (events + live status)
//   Judge, Verdict            the node's public values for a range from L1 data alone, and the verdict
//   challenge, prove, counterProve, resolve, withdrawBond   one L1 action each (also used by the CLI)
//   backendProver             a RangeProver over a node/prover ProofBackend
//   runClaims, runExitProof   `rollup-node claims ...`, `rollup-node exit-proof ...` (cli.ts)
//   finalizedState, exitProofFrom   desert mode: the exit proof from the last finalized state (exit.ts)
//   ChallengerError           coded errors
export { startChallenger, type ChallengerDeps, type ChallengerHandle } from "./role.ts";
export { Challenger, type ChallengerOptions, type ChallengerAction, type ActionEvent } from "./challenger.ts";
export { ClaimBook, ClaimStatus, CLAIM_STATUS_NAME, isOpen, type ClaimInfo } from "./claims.ts";
export { Judge, JUDGED_FIELDS, type Verdict, type JudgedField } from "./verdict.ts";
export { challenge, prove, counterProve, resolve, withdrawBond, creditOf, l1Now, type ActionContext, type RangeProver, type RangeProof, type ProveRange, type Wallet } from "./actions.ts";
export { backendProver } from "./prover.ts";
export { openDerivedSource, genesisOf, type DerivedSource } from "./source.ts";
export { runClaims, runExitProof, CLAIMS_HELP, EXIT_PROOF_HELP } from "./cli.ts";
export { finalizedState, finalizedPosition, exitProofFrom, captureStateAt, type ExitProof } from "./exit.ts";
export { challengerMetrics, type ChallengerMetrics } from "./metrics.ts";
export { ChallengerError, type ChallengerErrorCode } from "./errors.ts";
