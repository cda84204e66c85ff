// Proof jobs persisted in LevelDB (issue 17 item 1, docs/proving.md "Jobs"): a job is one batch range on its
// way to finality. Its range is fixed when it is created, so a prover that restarts (crash, SIGKILL,
// upgrade) resumes the same range from its last recorded state instead of cutting a new one:
//
//   proving ──> proven ──> submitted ──> finalized          (validity: Settlement.finalize)
//      │           │            │
//      └───────────┴────────────┴──> failed (a fatal error; the next job starts again from Settlement)
//   proving ──> claimed ──> finalized | failed                 (optimistic: a DisputeGame claim, no proof
//                                                               unless challenged)
//
// With `prover.settlement` optimistic or both, a job also carries its DisputeGame claim (`claim`): the claim
// id, the bond, its clock and status, followed until the bond is settled (returned, won or lost), even after
// the job itself is finished (both: the validity proof may finalize first and the claim's bond comes back
// at its window end).
//
// `proving` keeps the proofs already obtained (per system) so a restart re-runs only the missing ones;
// `submitted` keeps the L1 transaction hash so a restart waits for that receipt before sending anything.
// Every transition is one LevelDB put (fsync), the key is be64(firstBatch) ‖ be64(created) so jobs list in
// range order.
import { ClassicLevel } from "classic-level";
import type { Hex } from "viem";
import type { ProofSystem, ProofStats } from "./backend.ts";

export type JobState = "proving" | "proven" | "submitted" | "claimed" | "finalized" | "failed";
export const JOB_STATES: readonly JobState[] = ["proving", "proven", "submitted", "claimed", "finalized", "failed"];

/** The job's optimistic claim on the DisputeGame (prover.settlement optimistic | both). */
export interface JobClaim {
  claimId: number;
  /** The propose transaction (undefined when an existing claim of ours was adopted after a crash). */
  txHash?: Hex;
  /** The proposer bond posted (wei, decimal string). */
  bondWei: string;
  /** End of the challenge window, L1 seconds. */
  windowEnd: number;
  /** Proof deadline once challenged (L1 seconds, 0 before). */
  deadline: number;
  /** Last status read (pending | challenged | accepted | proven | challenger-won | disproven). */
  status: string;
  /** True once the bond is no longer at stake (claim closed: returned, won or lost). */
  settled: boolean;
  /** Gas and fee (wei) of the propose, resolve and proveClaim transactions this prover sent. */
  gasUsed: number;
  feeWei: string;
}

export interface JobProof {
  system: ProofSystem;
  /** The verifier id in the policy. */
  id: number;
  proof: Hex;
  stats: ProofStats;
}

export interface ProofJob {
  /** Unique: `${firstBatch}-${lastBatch}-${createdAt}`. */
  id: string;
  firstBatch: number;
  lastBatch: number;
  state: JobState;
  createdAt: number;
  updatedAt: number;
  /** Newest L1 timestamp (ms) of a batch of the range: for time to finality. */
  newestBatchAt?: number;
  /** The 320-byte public values (hex) once a backend produced them. */
  publicValues?: Hex;
  proofs: JobProof[];
  /** The policy envelope, once every required proof is in. */
  envelope?: Hex;
  txHash?: Hex;
  /** L1 cost of the submission once mined: gas used and the fee paid (wei, decimal string). */
  gasUsed?: number;
  feeWei?: string;
  attempts: number;
  error?: { code: string; message: string };
  /** Why no claim was proposed for the range (both: low balance; the validity proof goes on). */
  claimSkipped?: string;
  /** The optimistic claim of the range, if one was proposed (or adopted). */
  claim?: JobClaim;
  /** How the range finalized: validity (Settlement.finalize) or optimistic (the claim); absent if by others. */
  path?: "validity" | "optimistic";
}

function key(firstBatch: number, createdAt: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64BE(BigInt(firstBatch));
  b.writeBigUInt64BE(BigInt(createdAt), 8);
  return b;
}

export class JobStore {
  private readonly db: ClassicLevel<Buffer, string>;
  private constructor(path: string) {
    this.db = new ClassicLevel<Buffer, string>(path, { keyEncoding: "buffer", valueEncoding: "utf8" });
  }

  static async open(path: string): Promise<JobStore> {
    const s = new JobStore(path);
    await s.db.open();
    return s;
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  /** Creates a job for batches [firstBatch, lastBatch] in state `proving`. */
  async create(firstBatch: number, lastBatch: number, now = Date.now(), newestBatchAt?: number): Promise<ProofJob> {
    const job: ProofJob = {
      id: `${firstBatch}-${lastBatch}-${now}`, firstBatch, lastBatch, state: "proving", createdAt: now, updatedAt: now,
      newestBatchAt, proofs: [], attempts: 0,
    };
    await this.put(job);
    return job;
  }

  /** Writes the job (fsync): every state change goes through here. */
  async put(job: ProofJob): Promise<void> {
    job.updatedAt = Math.max(job.updatedAt, Date.now());
    await this.db.put(key(job.firstBatch, job.createdAt), JSON.stringify(job), { sync: true });
  }

  /** Every job, by first batch then creation time. */
  async list(): Promise<ProofJob[]> {
    const out: ProofJob[] = [];
    for await (const v of this.db.values()) out.push(JSON.parse(v) as ProofJob);
    return out;
  }

  /** The unfinished jobs (proving, proven, submitted, claimed), oldest first. */
  async unfinished(): Promise<ProofJob[]> {
    return (await this.list()).filter((j) => j.state !== "finalized" && j.state !== "failed");
  }

  /** Jobs whose claim still has a bond at stake (open on the DisputeGame), whatever the job's state. */
  async openClaims(): Promise<ProofJob[]> {
    return (await this.list()).filter((j) => j.claim !== undefined && !j.claim.settled);
  }

  /** Deletes finished jobs whose last batch is at or below `batchIndex`, keeping the newest `keep`. */
  async prune(batchIndex: number, keep = 100): Promise<void> {
    const done = (await this.list()).filter((j) => (j.state === "finalized" || j.state === "failed") && j.lastBatch <= batchIndex && (j.claim === undefined || j.claim.settled));
    const ops = this.db.batch();
    for (const j of done.slice(0, Math.max(0, done.length - keep))) ops.del(key(j.firstBatch, j.createdAt));
    if (ops.length === 0) {
      void ops.close();
      return;
    }
    await ops.write();
  }
}
