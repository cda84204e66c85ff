// The prover role's engine (issue 17 items 1-2, docs/proving.md "The prover role"): follows Settlement,
// cuts batch ranges by the aggregation policy (policy.ts), proves them with the configured backends
// (backend.ts), wraps the proofs in the VerifierPolicy envelope (envelope.ts) and finalizes them on
// Settlement, with each step of a job persisted (jobs.ts) so a restart resumes the same range.
//
// Optimistic claims (docs/proving.md "Optimistic claims"): with `mode` optimistic the range's public values
// (the node's own re-execution, checked against its state) are proposed to the DisputeGame with the proposer
// bond instead of being proven; the claim is followed to its window end and resolved (finalizing the range),
// defended with the backends' proof if challenged, and the bond withdrawn. With `both` the claim is proposed
// first and the validity proof submitted when ready: whichever finalizes first wins, the claim's bond comes
// back either way. Every claim's bond is followed until it is settled (jobs.ts `claim`).
//
// Inputs come from the node's own store: the prover inputs derivation recorded with `proverInputs`
// (node/derive/prover-input.ts), the state roots and withdrawals it derived. The range's base is what
// Settlement holds (lastBatch, lastStateRoot, lastBatchChain); the node's root at lastBatch must equal it,
// else the node disagrees with L1 finality and the prover stops proving (STATE_MISMATCH, logged, metric).
import { bytesToHex, decodeErrorResult, formatEther, hexToBytes, keccak256, parseEventLogs, toHex, type Address, type Hex, type PublicClient, type WalletClient } from "viem";
import type { Registry } from "prom-client";
import { creditOf, l1Now, prove as proveClaim, resolve as resolveClaim, withdrawBond, type ActionContext, type Wallet } from "../challenger/actions.ts";
import { ChallengerError } from "../challenger/errors.ts";
import { ClaimBook, ClaimStatus, CLAIM_STATUS_NAME, isOpen, type ClaimInfo } from "../challenger/claims.ts";
import { decodePublicValues, encodePublicValues } from "../derive/commitment.ts";
import { decodeBatchInput } from "../derive/prover-input.ts";
import { disputeGameAbi, settlementAbi, verifierPolicyAbi } from "../l1/contracts.ts";
import { moduleLogger, type Logger } from "../log.ts";
import { executeChecked } from "./attest.ts";
import { PROOF_SYSTEM_TAG, type ProofBackend, type ProofSystem, type RangeInput } from "./backend.ts";
import { encodeEnvelope } from "./envelope.ts";
import { ProverError } from "./errors.ts";
import type { RangeExecution } from "./execute.ts";
import { JOB_STATES, type JobState, type JobStore, type ProofJob } from "./jobs.ts";
import { proverMetrics, type ProverMetrics } from "./metrics.ts";
import { decideRange, type AggregationPolicy, type Decision } from "./policy.ts";
import { WakeableSleep } from "../wakeable-sleep.ts";

/** What the prover reads of the node's store (StateStore satisfies it). */
export interface ProverInputSource {
  proverInput(batchIndex: number): Promise<Uint8Array | undefined>;
  stateRoot(batchIndex: number): Promise<Uint8Array | undefined>;
  head(): { batchIndex: number } | null;
  pruneProverInputs(batchIndex: number): Promise<void>;
  /** The node's withdrawal records of batches [first, last] (checked against a re-execution before a claim). */
  withdrawalsInRange(first: number, last: number): Promise<unknown[]>;
}

/** How ranges reach finality: validity proofs, optimistic claims, or both (the first to finalize wins). */
export type SettlementMode = "validity" | "optimistic" | "both";
export const SETTLEMENT_MODES: readonly SettlementMode[] = ["validity", "optimistic", "both"];

/** What rb_proofStatus shows of the prover (node/app/view.ts). */
export interface ProverStatusInfo {
  mode: SettlementMode;
  account: Address;
  finalizedBatch: number;
  derivedBatch: number;
  jobs: Record<JobState, number>;
  /** Seconds from the newest batch of the last range this prover finalized being proposed to its finalization. */
  lastFinalitySeconds: number | null;
  /** Wei of this prover's bonds in open claims. */
  bondsAtStakeWei: string;
  /** This prover's claims whose bond is still at stake. */
  openClaims: { claimId: number; firstBatch: number; lastBatch: number; status: string; windowEnd: number; deadline: number }[];
  balanceWei: string;
  /** The balance is below prover.minBalanceGwei (plus the bond when claiming). */
  lowBalance: boolean;
  lastError: { code: string; message: string } | null;
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
  /** validity (default): Settlement.finalize; optimistic: DisputeGame claims; both: a claim, then the proof. */
  mode?: SettlementMode;
  /** The DisputeGame: required for optimistic | both; when given, this prover's claims are always followed. */
  disputeGame?: Address;
  /** First L1 block that may hold the game's ClaimProposed (the deployment block). */
  fromBlock?: number;
  /** Balance margin kept on the key beyond a bond (wei, default 0); below it the balance is reported low. */
  minBalanceWei?: bigint;
  /** The re-execution behind an optimistic claim (default execute.ts `executeRange`; prover.executor). */
  execute?: (range: RangeInput) => RangeExecution;
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

/**
 * The verifier id of each proof system in Settlement's current VerifierPolicy (by the verifiers'
 * proofSystem() tags); a system the policy cannot verify is a CONFIG error.
 */
export async function verifierIds(l1: PublicClient, settlement: Address, systems: readonly ProofSystem[]): Promise<Map<ProofSystem, number>> {
  const policy = await l1.readContract({ address: settlement, abi: settlementAbi, functionName: "policy" });
  const verifiers = await l1.readContract({ address: policy, abi: verifierPolicyAbi, functionName: "verifiers" });
  const tags = await Promise.all(verifiers.map((v) => l1.readContract({ address: v, abi: verifierPolicyAbi, functionName: "proofSystem" })));
  const ids = new Map<ProofSystem, number>();
  for (const system of systems) {
    const id = tags.findIndex((t) => t === keccak256(toHex(PROOF_SYSTEM_TAG[system])));
    if (id < 0) throw new ProverError("CONFIG", `prover: the verifier policy has no ${PROOF_SYSTEM_TAG[system]} verifier for backend ${system}`);
    ids.set(system, id);
  }
  return ids;
}

export class Prover {
  private readonly o: ProverOptions;
  private readonly log: Logger;
  private readonly m: ProverMetrics;
  private readonly account: Address;
  private ids: Map<ProofSystem, number> | null = null;
  private running = false;
  private loop: Promise<void> | null = null;
  private abort = new AbortController();
  /** The loop's poll and backoff pause, cut short by stop(). */
  private readonly pause = new WakeableSleep();
  private lastDecision: Decision | undefined;
  private readonly mode: SettlementMode;
  /** DisputeGame access (claims, bonds); undefined without a game. */
  private readonly game: { ctx: ActionContext; book: ClaimBook } | undefined;
  private balance = 0n;
  private finalized = 0;
  private low = false;
  private lastFinality: number | null = null;
  private lastError: { code: string; message: string } | null = null;
  private info: ProverStatusInfo;

  constructor(o: ProverOptions) {
    if (o.backends.length === 0) throw new ProverError("CONFIG", "prover: no backend configured");
    if (o.wallet.account === undefined) throw new ProverError("CONFIG", "prover: the wallet has no account");
    this.mode = o.mode ?? "validity";
    if (this.mode !== "validity" && o.disputeGame === undefined) throw new ProverError("CONFIG", `prover: settlement mode ${this.mode} needs the DisputeGame address`);
    this.o = o;
    this.account = o.wallet.account.address.toLowerCase() as Address;
    this.log = (o.logger ?? moduleLogger("prover")).child({ component: "prover" });
    this.m = proverMetrics(o.registry);
    this.game = o.disputeGame === undefined ? undefined : {
      ctx: { client: o.l1, wallet: o.wallet as Wallet, game: o.disputeGame },
      book: new ClaimBook({ client: o.l1, game: o.disputeGame, fromBlock: o.fromBlock ?? 0 }),
    };
    this.info = {
      mode: this.mode, account: this.account, finalizedBatch: 0, derivedBatch: 0, jobs: Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>,
      lastFinalitySeconds: null, bondsAtStakeWei: "0", openClaims: [], balanceWei: "0", lowBalance: false, lastError: null,
    };
  }

  /** The settlement mode. */
  settlementMode(): SettlementMode {
    return this.mode;
  }

  /** Status for rb_proofStatus, as of the last step. */
  statusInfo(): ProverStatusInfo {
    return this.info;
  }

  /** The prover's account (the `prover` of its public values). */
  address(): Address {
    return this.account;
  }

  /** Maps each backend to its verifier id in the current policy (VerifierPolicy.verifiers + proofSystem). */
  async policyIds(): Promise<Map<ProofSystem, number>> {
    this.ids ??= await verifierIds(this.o.l1, this.o.settlement, this.o.backends.map((b) => b.system));
    return this.ids;
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
    this.pause.wake();
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
        if (r === "idle") await this.pause.sleep(this.o.pollMs ?? 1000);
      } catch (err) {
        if (!this.running) break;
        const e = err instanceof ProverError ? err : new ProverError("BACKEND", (err as Error)?.message ?? String(err), { cause: err });
        this.m.errors.inc({ code: e.code });
        backoff = Math.min(backoff === 0 ? 500 : backoff * 2, 30_000);
        this.log.warn({ err: e.message, code: e.code, retryInMs: backoff }, "prover step failed");
        await this.pause.sleep(backoff);
      }
    }
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
    try {
      return await this.stepOnce(signal);
    } catch (err) {
      const e = err as { code?: string; message?: string };
      this.lastError = { code: e.code ?? "BACKEND", message: e.message ?? String(err) };
      throw err;
    } finally {
      await this.refreshStatus().catch(() => undefined);
    }
  }

  private async stepOnce(signal?: AbortSignal): Promise<StepResult> {
    const head = await this.settlementHead();
    this.finalized = head.lastBatch;
    this.m.finalizedBatch.set(head.lastBatch);
    const derived = this.o.source.head()?.batchIndex ?? 0;
    this.m.derivedBatch.set(derived);
    await this.checkBalance();
    if (this.game !== undefined && (await this.tendClaims(this.game, signal)) === "progress") return "progress";
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
    // Ages are measured from L1 timestamps: "now" is never before the L1 head (a clock behind L1's, or a
    // test that moved L1 time forward, must not hold ranges back).
    const d = decideRange(this.o.policy, { nextBatch: next, derivedBatch: derived, oldestAtMs, gasPriceWei: await this.o.l1.getGasPrice(), nowMs: Math.max(Date.now(), (await l1Now(this.o.l1)) * 1000) });
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

  /** Reads the key's balance; reports (log once per crossing, gauge) when it is below the margin. */
  private async checkBalance(): Promise<void> {
    this.balance = await this.o.l1.getBalance({ address: this.account });
    this.m.balanceWei.set(Number(this.balance));
    const min = this.o.minBalanceWei ?? 0n;
    const low = this.balance < min;
    this.m.balanceLow.set(low ? 1 : 0);
    if (low && !this.low) this.log.error({ account: this.account, balanceEth: formatEther(this.balance), minEth: formatEther(min) }, "prover balance below its margin (prover.minBalanceGwei): fund the key");
    if (!low && this.low) this.log.info({ account: this.account, balanceEth: formatEther(this.balance) }, "prover balance back above its margin");
    this.low = low;
  }

  private async refreshStatus(): Promise<void> {
    const all = await this.o.jobs.list();
    const jobs = Object.fromEntries(JOB_STATES.map((s) => [s, all.filter((j) => j.state === s).length])) as Record<JobState, number>;
    const open = all.filter((j) => j.claim !== undefined && !j.claim.settled);
    const stake = open.reduce((a, j) => a + BigInt(j.claim!.bondWei), 0n);
    this.m.bondsAtStake.set(Number(stake));
    const byStatus = new Map<string, number>();
    for (const j of all) if (j.claim !== undefined) byStatus.set(j.claim.status, (byStatus.get(j.claim.status) ?? 0) + 1);
    this.m.claims.reset();
    for (const [status, n] of byStatus) this.m.claims.set({ status }, n);
    this.info = {
      mode: this.mode, account: this.account, finalizedBatch: this.finalized,
      derivedBatch: this.o.source.head()?.batchIndex ?? 0, jobs, lastFinalitySeconds: this.lastFinality, bondsAtStakeWei: stake.toString(),
      openClaims: open.map((j) => ({ claimId: j.claim!.claimId, firstBatch: j.firstBatch, lastBatch: j.lastBatch, status: j.claim!.status, windowEnd: j.claim!.windowEnd, deadline: j.claim!.deadline })),
      balanceWei: this.balance.toString(), lowBalance: this.low, lastError: this.lastError,
    };
  }

  private recordTx(kind: string, tx: { gasUsed: bigint; feeWei: bigint }, job?: ProofJob): void {
    this.m.gasUsed.inc({ kind }, Number(tx.gasUsed));
    this.m.feesGwei.inc({ kind }, Number(tx.feeWei) / 1e9);
    if (job?.claim !== undefined) {
      job.claim.gasUsed += Number(tx.gasUsed);
      job.claim.feeWei = (BigInt(job.claim.feeWei) + tx.feeWei).toString();
    }
  }

  private observeFinality(job: ProofJob): void {
    if (job.newestBatchAt === undefined) return;
    const s = Math.max(0, Date.now() - job.newestBatchAt) / 1000;
    this.lastFinality = Math.round(s);
    this.m.finalitySeconds.observe(s);
  }

  /**
   * Follows every claim of this prover whose bond is at stake: resolves it at its window end, defends it
   * with a proof when challenged, records how it closed; then withdraws any credit (returned and won
   * bonds). One transaction per step at most ("progress"); a failed action is logged and retried later.
   */
  private async tendClaims(game: { ctx: ActionContext; book: ClaimBook }, signal?: AbortSignal): Promise<StepResult> {
    const jobs = await this.o.jobs.openClaims();
    const now = jobs.length === 0 ? 0 : await l1Now(this.o.l1);
    for (const job of jobs) {
      const cl = job.claim!;
      const c = await game.book.get(cl.claimId).catch((e: unknown) => {
        if (e instanceof ChallengerError && e.code === "UNKNOWN_CLAIM") return undefined;
        throw e;
      });
      if (c === undefined || c.publicValues.toLowerCase() !== job.publicValues?.toLowerCase()) {
        // An L1 reorg removed the claim: claim again (the job goes back to proving if it waited on it).
        this.log.warn({ job: job.id, claim: cl.claimId }, "own claim no longer on L1 (reorg): claiming again");
        job.claim = undefined;
        return this.setState(job, job.state === "claimed" ? "proving" : job.state);
      }
      cl.status = CLAIM_STATUS_NAME[c.status];
      cl.windowEnd = c.windowEnd;
      cl.deadline = c.deadline;
      try {
        if (c.status === ClaimStatus.Pending) {
          if (now + 1 < c.windowEnd) continue;
          const tx = await resolveClaim(game.ctx, c);
          this.recordTx("resolve", tx, job);
          await this.o.jobs.put(job);
          this.log.info({ job: job.id, claim: c.id, tx: tx.hash, gasUsed: Number(tx.gasUsed), feeGwei: Number(tx.feeWei) / 1e9 }, "own claim resolved after its window");
          return "progress";
        }
        if (c.status === ClaimStatus.Challenged && now + 1 < c.deadline) {
          await this.defend(job, c, signal);
          return "progress";
        }
        // Otherwise closed, or challenged and past its deadline unproven: lost, whoever resolves it.
      } catch (err) {
        if (err instanceof ProverError && err.code === "ABORTED") throw err;
        const code = (err as { code?: string }).code ?? "CLAIM_ACTION";
        this.m.errors.inc({ code });
        this.lastError = { code, message: (err as Error).message };
        this.log.warn({ job: job.id, claim: c.id, code, err: (err as Error).message }, "own claim: action failed; retrying on a later step");
        continue;
      }
      // The bond is settled one way or the other.
      cl.settled = true;
      await this.o.jobs.put(job);
      const won = c.status === ClaimStatus.Accepted || c.status === ClaimStatus.Proven;
      if (won) this.log.info({ job: job.id, claim: c.id, status: cl.status, bondEth: formatEther(BigInt(cl.bondWei)) }, "own claim closed: bond returned");
      else {
        this.m.errors.inc({ code: "CLAIM_LOST" });
        this.lastError = { code: "CLAIM_LOST", message: `claim ${c.id} closed ${cl.status}` };
        this.log.error({ job: job.id, claim: c.id, status: cl.status, bondEth: formatEther(BigInt(cl.bondWei)) }, "own claim lost: bond forfeited");
      }
      return "progress";
    }
    // Credit comes from this prover's claims: a validity-only prover that never claimed leaves the account's
    // credit to whoever else uses the key (the challenger role withdraws its own).
    if (this.mode === "validity" && !(await this.o.jobs.list()).some((j) => j.claim !== undefined)) return "idle";
    const credit = await creditOf(game.ctx, this.account);
    if (credit === 0n) return "idle";
    try {
      const tx = await withdrawBond(game.ctx);
      this.recordTx("withdraw", tx);
      this.m.bondsWithdrawnWei.inc(Number(tx.amount));
      this.log.info({ tx: tx.hash, amountEth: formatEther(tx.amount), gasUsed: Number(tx.gasUsed), feeGwei: Number(tx.feeWei) / 1e9 }, "bonds withdrawn from the DisputeGame");
      return "progress";
    } catch (err) {
      // Another role of this node (the challenger) may have withdrawn the same credit first.
      this.log.warn({ err: (err as Error).message }, "withdrawing credit failed; retrying on a later step");
      return "idle";
    }
  }

  /** Defends this prover's challenged claim: proves its range with the backends (on the claim's base). */
  private async defend(job: ProofJob, c: ClaimInfo, signal?: AbortSignal): Promise<void> {
    this.log.warn({ job: job.id, claim: c.id, challenger: c.challenger, deadline: c.deadline }, "own claim challenged: proving it");
    if (job.envelope === undefined) {
      const pv = decodePublicValues(hexToBytes(job.publicValues!))!;
      const range = await this.inputs(job.firstBatch, job.lastBatch, pv.prevStateRoot, pv.prevBatchChain);
      await this.ensureProofs(job, range, signal);
    }
    const tx = await proveClaim(this.game!.ctx, c, { prove: async () => ({ publicValues: job.publicValues!, proof: job.envelope! }) });
    this.recordTx("prove_claim", tx, job);
    await this.o.jobs.put(job);
    this.log.info({ job: job.id, claim: c.id, tx: tx.hash, gasUsed: Number(tx.gasUsed), feeGwei: Number(tx.feeWei) / 1e9 }, "own claim proven");
  }

  /**
   * Proposes the job's range as an optimistic claim: the node's own re-execution (checked against its
   * state), with exactly the game's proposer bond, if the balance keeps its margin. An open claim of ours
   * with the same public values (sent before a crash, not yet recorded) is adopted instead of proposing twice.
   */
  private async proposeClaim(job: ProofJob, head: SettlementHead): Promise<StepResult> {
    const game = this.game!;
    const range = await this.rangeInput(job.firstBatch, job.lastBatch, head);
    const pv = bytesToHex(encodePublicValues((await executeChecked(range, this.o.source, this.o.execute)).values));
    if (job.publicValues !== undefined && job.publicValues !== pv) throw new ProverError("STATE_MISMATCH", `job ${job.id}: the re-execution differs from the job's public values`);
    job.publicValues = pv;
    const next = this.mode === "optimistic" ? "claimed" : "proving";
    const mine = (await game.book.refresh()).find((c) => c.proposer === this.account && isOpen(c.status) && c.publicValues.toLowerCase() === pv.toLowerCase());
    if (mine !== undefined) {
      this.log.warn({ job: job.id, claim: mine.id }, "adopting an open claim of ours with these public values (sent before a restart)");
      return this.setState(job, next, { claim: this.claimRecord(mine, undefined, mine.proposerBond), error: undefined });
    }
    const bond = await this.o.l1.readContract({ address: game.ctx.game, abi: disputeGameAbi, functionName: "proposerBond" });
    const min = this.o.minBalanceWei ?? 0n;
    if (this.balance < bond + min) {
      const e = new ProverError("FUNDS", `balance ${formatEther(this.balance)} ETH of ${this.account} is below the proposer bond ${formatEther(bond)} ETH + margin ${formatEther(min)} ETH: fund the key`);
      this.m.balanceLow.set(1);
      if (this.mode === "optimistic") throw e;
      this.m.errors.inc({ code: e.code });
      this.log.error({ job: job.id, err: e.message }, "no claim for this range (validity proof only)");
      job.claimSkipped = e.message;
      await this.o.jobs.put(job);
      return "progress";
    }
    let request;
    try {
      ({ request } = await this.o.l1.simulateContract({ address: game.ctx.game, abi: disputeGameAbi, functionName: "propose", args: [pv], value: bond, account: this.o.wallet.account! }));
    } catch (err) {
      throw new ProverError("SUBMIT", `DisputeGame.propose would revert: ${revertName(err)}`, { cause: err });
    }
    const hash = await this.o.wallet.writeContract(request);
    let rc;
    try {
      rc = await this.o.l1.waitForTransactionReceipt({ hash, timeout: 60_000 });
    } catch (err) {
      throw new ProverError("SUBMIT", `claim ${hash} not mined: ${(err as Error).message}`, { cause: err });
    }
    const fee = { gasUsed: rc.gasUsed, feeWei: rc.gasUsed * rc.effectiveGasPrice };
    this.recordTx("propose_claim", fee);
    const [ev] = parseEventLogs({ abi: disputeGameAbi, logs: rc.logs, eventName: "ClaimProposed" });
    if (rc.status !== "success" || ev === undefined) throw new ProverError("SUBMIT", `DisputeGame.propose reverted in ${hash}`);
    const c = await game.book.get(Number(ev.args.claimId));
    const claim = { ...this.claimRecord(c, hash, bond), gasUsed: Number(fee.gasUsed), feeWei: fee.feeWei.toString() };
    this.log.info({ job: job.id, claim: c.id, firstBatch: job.firstBatch, lastBatch: job.lastBatch, bondEth: formatEther(bond), windowEnd: c.windowEnd, tx: hash, gasUsed: Number(fee.gasUsed), feeGwei: Number(fee.feeWei) / 1e9 }, "claim proposed");
    return this.setState(job, next, { claim, error: undefined });
  }

  private claimRecord(c: ClaimInfo, txHash: Hex | undefined, bond: bigint): NonNullable<ProofJob["claim"]> {
    return { claimId: c.id, txHash, bondWei: bond.toString(), windowEnd: c.windowEnd, deadline: c.deadline, status: CLAIM_STATUS_NAME[c.status], settled: false, gasUsed: 0, feeWei: "0" };
  }

  /**
   * A `claimed` job (optimistic): finished once Settlement is past its range (by its claim, or by someone
   * else: the claim's bond is still followed by tendClaims); until then it waits for the claim to close.
   */
  private async followClaim(job: ProofJob, head: SettlementHead): Promise<StepResult> {
    const cl = job.claim;
    if (head.lastBatch >= job.lastBatch) return this.finalizedBy(job);
    if (cl !== undefined && !cl.settled) return "idle"; // tendClaims resolves or defends it
    return this.failure(job, new ProverError("INPUT", `claim ${cl?.claimId} of ${job.firstBatch}..${job.lastBatch} closed ${cl?.status ?? "missing"} without finalizing it`));
  }

  /** Settlement is past the job's range: by the job's own claim (accepted or proven), or by someone else. */
  private finalizedBy(job: ProofJob): Promise<StepResult> {
    const cl = job.claim;
    if (cl === undefined || !(cl.status === "accepted" || cl.status === "proven")) return this.setState(job, "finalized", { error: undefined });
    this.m.rangesFinalized.inc({ path: "optimistic" });
    this.observeFinality(job);
    this.log.info({ job: job.id, claim: cl.claimId, firstBatch: job.firstBatch, lastBatch: job.lastBatch }, "range finalized by its claim");
    return this.setState(job, "finalized", { path: "optimistic", error: undefined });
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
    if (e.code === "ABORTED" || e.code === "FUNDS") {
      if (e.code === "FUNDS") job.attempts--; // waiting for funds is not an attempt
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
    if (job.state === "claimed") return this.followClaim(job, head);
    // Someone (this prover before a restart, or another) finalized past the job.
    if (head.lastBatch >= job.lastBatch && job.state !== "submitted") return this.finalizedBy(job);
    if (job.state !== "submitted" && job.firstBatch !== head.lastBatch + 1) {
      return this.failure(job, new ProverError("INPUT", `range ${job.firstBatch}..${job.lastBatch} no longer continues Settlement at ${head.lastBatch}`));
    }
    try {
      switch (job.state) {
        case "proving":
          if (this.mode !== "validity" && job.claim === undefined && job.claimSkipped === undefined) return await this.proposeClaim(job, head);
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
    return this.inputs(first, last, head.lastStateRoot, head.lastBatchChain);
  }

  /** The range input of batches [first, last] on the given base (a claim's base when defending it). */
  private async inputs(first: number, last: number, prevStateRoot: Hex, prevBatchChain: Hex): Promise<RangeInput> {
    const batches = [];
    for (let i = first; i <= last; i++) {
      const raw = await this.o.source.proverInput(i);
      if (raw === undefined) throw new ProverError("NOT_READY", `no prover input for batch ${i} (derivation without proverInputs, or not derived yet)`);
      batches.push(decodeBatchInput(raw));
    }
    return { prevStateRoot, prevBatchChain, batches, prover: this.account };
  }

  private async prove(job: ProofJob, head: SettlementHead, signal?: AbortSignal): Promise<StepResult> {
    await this.ensureProofs(job, await this.rangeInput(job.firstBatch, job.lastBatch, head), signal);
    return this.setState(job, "proven", { error: undefined });
  }

  /** Runs the backends the job has no proof from yet (each proof persisted), then builds the envelope. */
  private async ensureProofs(job: ProofJob, range: RangeInput, signal?: AbortSignal): Promise<void> {
    const ids = await this.policyIds();
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
    job.envelope = encodeEnvelope(job.proofs.map((p) => ({ id: p.id, proof: p.proof })));
    await this.o.jobs.put(job);
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
    this.observeFinality(job);
    this.log.info({ job: job.id, firstBatch: job.firstBatch, lastBatch: job.lastBatch, gasUsed, feeGwei: Number(feeWei) / 1e9 }, "range finalized");
    return this.setState(job, "finalized", { gasUsed, feeWei: feeWei.toString(), path: "validity", error: undefined });
  }
}

/** The custom error name of a revert (the policy's and verifiers' errors are in the ABIs), or its message. */
function revertName(err: unknown): string {
  const data = findData(err);
  if (data !== undefined) {
    for (const abi of [settlementAbi, verifierPolicyAbi, disputeGameAbi]) {
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
