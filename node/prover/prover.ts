// The prover role's engine (issue 17 items 1-2, docs/proving.md "The prover role"): follows Settlement,
// cuts batch ranges by the aggregation policy (policy.ts), proves them with the configured backends
// (backend.ts), wraps the proofs in the VerifierPolicy envelope (envelope.ts) and finalizes them on
// Settlement, with each step of a job persisted (jobs.ts) so a restart resumes the same range.
//
// Inputs come from the node's own store: the prover inputs derivation recorded with `proverInputs`
// (node/derive/prover-input.ts), the state roots and withdrawals it derived. The range's base is what
// Settlement holds (lastBatch, lastStateRoot, lastBatchChain); the node's root at lastBatch must equal it,
// else the node disagrees with L1 finality and the prover stops proving (STATE_MISMATCH, logged, metric).
import { bytesToHex, decodeErrorResult, keccak256, toHex, type Address, type Hex, type PublicClient, type WalletClient } from "viem";
import type { Registry } from "prom-client";
import { decodeBatchInput } from "../derive/prover-input.ts";
import { settlementAbi, verifierPolicyAbi } from "../l1/contracts.ts";
import { moduleLogger, type Logger } from "../log.ts";
import { PROOF_SYSTEM_TAG, type ProofBackend, type ProofSystem, type RangeInput } from "./backend.ts";
import { encodeEnvelope } from "./envelope.ts";
import { ProverError } from "./errors.ts";
import { JOB_STATES, type JobStore, type ProofJob } from "./jobs.ts";
import { proverMetrics, type ProverMetrics } from "./metrics.ts";
import { decideRange, type AggregationPolicy, type Decision } from "./policy.ts";

/** What the prover reads of the node's store (StateStore satisfies it). */
export interface ProverInputSource {
  proverInput(batchIndex: number): Promise<Uint8Array | undefined>;
  stateRoot(batchIndex: number): Promise<Uint8Array | undefined>;
  head(): { batchIndex: number } | null;
  pruneProverInputs(batchIndex: number): Promise<void>;
}

export interface ProverOptions {
  l1: PublicClient;
  /** Signs and sends the submissions; its account is the `prover` of the public values. */
  wallet: WalletClient;
  settlement: Address;
  source: ProverInputSource;
  jobs: JobStore;
  /** The backends to run; each must match a verifier of the policy (by proofSystem()). */
  backends: ProofBackend[];
  policy: AggregationPolicy;
  /** Sleep between steps when idle (ms, default 1000). */
  pollMs?: number;
  /** Attempts per job before it is marked failed (temporary errors; default 5). */
  maxAttempts?: number;
  logger?: Logger;
  registry?: Registry;
}

/** The on-chain base a range continues from. */
interface SettlementHead {
  lastBatch: number;
  lastStateRoot: Hex;
  lastBatchChain: Hex;
}

export type StepResult = "idle" | "progress";

export class Prover {
  private readonly o: ProverOptions;
  private readonly log: Logger;
  private readonly m: ProverMetrics;
  private readonly account: Address;
  private ids: Map<ProofSystem, number> | null = null;
  private running = false;
  private loop: Promise<void> | null = null;
  private abort = new AbortController();
  private wake: (() => void) | null = null;
  private lastDecision: Decision | undefined;

  constructor(o: ProverOptions) {
    if (o.backends.length === 0) throw new ProverError("CONFIG", "prover: no backend configured");
    if (o.wallet.account === undefined) throw new ProverError("CONFIG", "prover: the wallet has no account");
    this.o = o;
    this.account = o.wallet.account.address.toLowerCase() as Address;
    this.log = (o.logger ?? moduleLogger("prover")).child({ component: "prover" });
    this.m = proverMetrics(o.registry);
  }

  /** The prover's account (the `prover` of its public values). */
  address(): Address {
    return this.account;
  }

  /** Maps each backend to its verifier id in the current policy (VerifierPolicy.verifiers + proofSystem). */
  async policyIds(): Promise<Map<ProofSystem, number>> {
    if (this.ids !== null) return this.ids;
    const l1 = this.o.l1;
    const policy = await l1.readContract({ address: this.o.settlement, abi: settlementAbi, functionName: "policy" });
    const verifiers = await l1.readContract({ address: policy, abi: verifierPolicyAbi, functionName: "verifiers" });
    const tags = await Promise.all(verifiers.map((v) => l1.readContract({ address: v, abi: verifierPolicyAbi, functionName: "proofSystem" })));
    const ids = new Map<ProofSystem, number>();
    for (const b of this.o.backends) {
      const tag = keccak256(toHex(PROOF_SYSTEM_TAG[b.system]));
      const id = tags.findIndex((t) => t === tag);
      if (id < 0) throw new ProverError("CONFIG", `prover: the verifier policy has no ${PROOF_SYSTEM_TAG[b.system]} verifier for backend ${b.system}`);
      ids.set(b.system, id);
    }
    this.ids = ids;
    return ids;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    this.loop = this.run();
  }

  /** Stops after aborting the current step (running backends are cancelled; the job stays persisted). */
  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    this.wake?.();
    await this.loop;
    this.loop = null;
  }

  /** The last aggregation decision (for status). */
  status(): { lastDecision: Decision | undefined; running: boolean } {
    return { lastDecision: this.lastDecision, running: this.running };
  }

  private async run(): Promise<void> {
    let backoff = 0;
    while (this.running) {
      try {
        const r = await this.step(this.abort.signal);
        backoff = 0;
        if (r === "idle") await this.sleep(this.o.pollMs ?? 1000);
      } catch (err) {
        if (!this.running) break;
        const e = err instanceof ProverError ? err : new ProverError("BACKEND", (err as Error)?.message ?? String(err), { cause: err });
        this.m.errors.inc({ code: e.code });
        backoff = Math.min(backoff === 0 ? 500 : backoff * 2, 30_000);
        this.log.warn({ err: e.message, code: e.code, retryInMs: backoff }, "prover step failed");
        await this.sleep(backoff);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
    });
  }

  /** Reads Settlement's finalized head. */
  async settlementHead(): Promise<SettlementHead> {
    const read = <F extends "lastBatch" | "lastStateRoot" | "lastBatchChain">(functionName: F) =>
      this.o.l1.readContract({ address: this.o.settlement, abi: settlementAbi, functionName });
    const [lastBatch, lastStateRoot, lastBatchChain] = await Promise.all([read("lastBatch"), read("lastStateRoot"), read("lastBatchChain")]);
    return { lastBatch: Number(lastBatch), lastStateRoot, lastBatchChain };
  }

  /**
   * One step: advance the oldest unfinished job by one state, or cut a new range. Returns "idle" when
   * there is nothing to do now. Throws ProverError on a temporary failure (the job stays as it was).
   */
  async step(signal?: AbortSignal): Promise<StepResult> {
    const head = await this.settlementHead();
    this.m.finalizedBatch.set(head.lastBatch);
    const derived = this.o.source.head()?.batchIndex ?? 0;
    this.m.derivedBatch.set(derived);
    const open = await this.o.jobs.unfinished();
    await this.updateJobGauge();
    const job = open[0];
    if (job !== undefined) return this.advance(job, head, signal);
    if (head.lastBatch > 0) await this.o.source.pruneProverInputs(head.lastBatch);
    const next = head.lastBatch + 1;
    let oldestAtMs: number | undefined;
    if (derived >= next) {
      const input = await this.o.source.proverInput(next);
      if (input !== undefined) oldestAtMs = decodeBatchInput(input).commitment.l1Timestamp * 1000;
    }
    const d = decideRange(this.o.policy, { nextBatch: next, derivedBatch: derived, oldestAtMs, gasPriceWei: await this.o.l1.getGasPrice(), nowMs: Date.now() });
    this.lastDecision = d;
    if (d.action === "wait") return "idle";
    const newest = await this.o.source.proverInput(d.lastBatch);
    const created = await this.o.jobs.create(d.firstBatch, d.lastBatch, Date.now(), newest === undefined ? undefined : decodeBatchInput(newest).commitment.l1Timestamp * 1000);
    this.log.info({ job: created.id, firstBatch: d.firstBatch, lastBatch: d.lastBatch, reason: d.reason }, "range cut");
    await this.updateJobGauge();
    return "progress";
  }

  private async updateJobGauge(): Promise<void> {
    const all = await this.o.jobs.list();
    for (const s of JOB_STATES) this.m.jobs.set({ state: s }, all.filter((j) => j.state === s).length);
  }

  private async setState(job: ProofJob, state: ProofJob["state"], extra: Partial<ProofJob> = {}): Promise<StepResult> {
    Object.assign(job, extra, { state });
    await this.o.jobs.put(job);
    this.log.info({ job: job.id, state, firstBatch: job.firstBatch, lastBatch: job.lastBatch }, "job state");
    await this.updateJobGauge();
    return "progress";
  }

  /** Records a failure; a fatal one (or too many attempts) fails the job, a temporary one is rethrown. */
  private async failure(job: ProofJob, e: ProverError): Promise<StepResult> {
    job.attempts++;
    job.error = { code: e.code, message: e.message };
    this.m.errors.inc({ code: e.code });
    if (e.code === "ABORTED") {
      await this.o.jobs.put(job);
      throw e;
    }
    if (!e.temporary || job.attempts >= (this.o.maxAttempts ?? 5)) {
      this.log.error({ job: job.id, code: e.code, err: e.message }, "job failed");
      return this.setState(job, "failed");
    }
    await this.o.jobs.put(job);
    throw e;
  }

  private async advance(job: ProofJob, head: SettlementHead, signal?: AbortSignal): Promise<StepResult> {
    // Someone (this prover before a restart, or another) finalized past the job.
    if (head.lastBatch >= job.lastBatch && job.state !== "submitted") return this.setState(job, "finalized", { error: undefined });
    if (job.state !== "submitted" && job.firstBatch !== head.lastBatch + 1) {
      return this.failure(job, new ProverError("INPUT", `range ${job.firstBatch}..${job.lastBatch} no longer continues Settlement at ${head.lastBatch}`));
    }
    try {
      switch (job.state) {
        case "proving":
          return await this.prove(job, head, signal);
        case "proven":
          return await this.submit(job);
        case "submitted":
          return await this.confirm(job, head);
        default:
          return "idle";
      }
    } catch (err) {
      if (err instanceof ProverError) return this.failure(job, err);
      throw err;
    }
  }

  /** The range input of batches [first, last] on Settlement's base; checks the base against the node. */
  async rangeInput(first: number, last: number, head: SettlementHead): Promise<RangeInput> {
    const mine = await this.o.source.stateRoot(head.lastBatch);
    if (mine === undefined) throw new ProverError("NOT_READY", `the node has no state root for finalized batch ${head.lastBatch}`);
    if (bytesToHex(mine) !== head.lastStateRoot) {
      throw new ProverError("STATE_MISMATCH", `Settlement finalized ${head.lastStateRoot} at batch ${head.lastBatch}, the node derived ${bytesToHex(mine)}`);
    }
    const batches = [];
    for (let i = first; i <= last; i++) {
      const raw = await this.o.source.proverInput(i);
      if (raw === undefined) throw new ProverError("NOT_READY", `no prover input for batch ${i} (derivation without proverInputs, or not derived yet)`);
      batches.push(decodeBatchInput(raw));
    }
    return { prevStateRoot: head.lastStateRoot, prevBatchChain: head.lastBatchChain, batches, prover: this.account };
  }

  private async prove(job: ProofJob, head: SettlementHead, signal?: AbortSignal): Promise<StepResult> {
    const ids = await this.policyIds();
    const range = await this.rangeInput(job.firstBatch, job.lastBatch, head);
    for (const b of this.o.backends) {
      if (job.proofs.some((p) => p.system === b.system)) continue; // proven before a restart
      const t0 = performance.now();
      let r;
      try {
        r = await b.prove(range, signal);
      } catch (err) {
        this.m.proveSeconds.observe({ system: b.system, outcome: "error" }, (performance.now() - t0) / 1000);
        throw err;
      }
      this.m.proveSeconds.observe({ system: b.system, outcome: "ok" }, (performance.now() - t0) / 1000);
      const pv = bytesToHex(r.publicValues);
      if (job.publicValues !== undefined && job.publicValues !== pv) throw new ProverError("STATE_MISMATCH", `${b.system} proved other public values than the job's first proof`);
      job.publicValues = pv;
      job.proofs.push({ system: b.system, id: ids.get(b.system)!, proof: r.proof, stats: r.stats });
      await this.o.jobs.put(job); // each proof survives a restart
      this.log.info({ job: job.id, system: b.system, ms: Math.round(r.stats.ms), cycles: r.stats.cycles, cost: r.stats.cost, attempts: r.stats.attempts }, "range proven");
    }
    return this.setState(job, "proven", { envelope: encodeEnvelope(job.proofs.map((p) => ({ id: p.id, proof: p.proof }))), error: undefined });
  }

  private async submit(job: ProofJob): Promise<StepResult> {
    const args = [job.publicValues!, job.envelope!] as const;
    let request;
    try {
      ({ request } = await this.o.l1.simulateContract({ address: this.o.settlement, abi: settlementAbi, functionName: "finalize", args, account: this.o.wallet.account! }));
    } catch (err) {
      throw new ProverError("SUBMIT", `Settlement.finalize would revert: ${revertName(err)}`, { cause: err });
    }
    const txHash = await this.o.wallet.writeContract(request);
    this.log.info({ job: job.id, tx: txHash }, "finalize submitted");
    return this.setState(job, "submitted", { txHash });
  }

  private async confirm(job: ProofJob, head: SettlementHead): Promise<StepResult> {
    let rc;
    try {
      rc = await this.o.l1.waitForTransactionReceipt({ hash: job.txHash!, timeout: 60_000 });
    } catch (err) {
      // Not mined (dropped or still pending): resubmit unless the range is final by other means.
      if (head.lastBatch >= job.lastBatch) return this.setState(job, "finalized");
      this.log.warn({ job: job.id, tx: job.txHash, err: (err as Error).message }, "submission not mined: resubmitting");
      return this.setState(job, "proven", { txHash: undefined });
    }
    const gasUsed = Number(rc.gasUsed);
    const feeWei = rc.gasUsed * rc.effectiveGasPrice;
    this.m.gasUsed.inc({ kind: "finalize" }, gasUsed);
    this.m.feesGwei.inc({ kind: "finalize" }, Number(feeWei) / 1e9);
    if (rc.status !== "success") {
      const now = await this.settlementHead();
      if (now.lastBatch >= job.lastBatch) return this.setState(job, "finalized", { gasUsed, feeWei: feeWei.toString() });
      return this.failure(job, new ProverError("SUBMIT", `finalize reverted in ${rc.transactionHash}`));
    }
    this.m.rangesFinalized.inc({ path: "validity" });
    if (job.newestBatchAt !== undefined) this.m.finalitySeconds.observe(Math.max(0, Date.now() - job.newestBatchAt) / 1000);
    this.log.info({ job: job.id, firstBatch: job.firstBatch, lastBatch: job.lastBatch, gasUsed, feeGwei: Number(feeWei) / 1e9 }, "range finalized");
    return this.setState(job, "finalized", { gasUsed, feeWei: feeWei.toString(), error: undefined });
  }
}

/** The custom error name of a revert (the policy's and verifiers' errors are in the ABIs), or its message. */
function revertName(err: unknown): string {
  const data = findData(err);
  if (data !== undefined) {
    for (const abi of [settlementAbi, verifierPolicyAbi]) {
      try {
        const d = decodeErrorResult({ abi, data });
        return `${d.errorName}(${(d.args ?? []).map(String).join(", ")})`;
      } catch {
        /* next ABI */
      }
    }
  }
  return (err as Error)?.message?.split("\n")[0] ?? String(err);
}

function findData(err: unknown): Hex | undefined {
  for (let e = err as { data?: unknown; cause?: unknown } | undefined; e !== undefined && e !== null; e = e.cause as typeof e) {
    if (typeof e.data === "string" && e.data.startsWith("0x")) return e.data as Hex;
    if (typeof e.data === "object" && e.data !== null && typeof (e.data as { data?: unknown }).data === "string") return (e.data as { data: Hex }).data;
  }
  return undefined;
}
