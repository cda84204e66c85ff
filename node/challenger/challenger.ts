// The challenger role (docs/disputes.md): one step reads every claim of the DisputeGame, judges the open
// ones against the node's own derivation (verdict.ts), and acts:
//   wrong claim, pending, window open       -> challenge (posting the challenger bond); with a proof
//                                              backend, also counter-prove, so the right result finalizes
//                                              and the bonds are credited at once
//   right claim, challenged, before deadline -> prove it (any proposer's, the node's own included), with the
//                                              proof backend
//   challenged by us, deadline passed        -> resolve (collect both bonds)
//   right claim, pending, window over        -> resolve (finalizes it; `resolveAccepted`)
//   credit on the DisputeGame                -> withdraw
// Only L1 decides: statuses and clocks are re-read every step, so a restart or a second challenger just
// finds less to do. A failed transaction is counted and retried on a later step.
import { EventEmitter } from "node:events";
import type { Address, PublicClient } from "viem";
import type { Registry } from "prom-client";
import { moduleLogger, type Logger } from "../log.ts";
import type { StateStore } from "../state/store.ts";
import { challenge, counterProve, creditOf, l1Now, prove, resolve, withdrawBond, type ActionContext, type RangeProver, type SentTx, type Wallet } from "./actions.ts";
import { ClaimBook, ClaimStatus, CLAIM_STATUS_NAME, isOpen, type ClaimInfo } from "./claims.ts";
import { challengerMetrics, type ChallengerMetrics } from "./metrics.ts";
import { Judge, type Verdict } from "./verdict.ts";
import { WakeableSleep } from "../wakeable-sleep.ts";

export interface ChallengerOptions {
  client: PublicClient;
  /** Signs challenges, proofs, resolutions and withdrawals; undefined: watch and report only. */
  wallet?: Wallet;
  game: Address;
  inbox: Address;
  /** Deployment block. */
  fromBlock: number;
  /** A store filled by a Deriver following the same L1 (the challenger's own or the node's). */
  store: StateStore;
  /** Proof backend: defends right claims, counter-proves wrong ones. */
  prover?: RangeProver;
  /** Counter-prove wrong claims when a prover is configured (default true). */
  counterProve?: boolean;
  /** Resolve right pending claims once their window is over (default true). */
  resolveAccepted?: boolean;
  /** Withdraw credit as soon as there is some (default true). */
  autoWithdraw?: boolean;
  pollIntervalMs?: number;
  logger?: Logger;
  registry?: Registry;
}

export type ChallengerAction = "challenge" | "prove" | "counter_prove" | "resolve" | "withdraw";

export interface ActionEvent {
  action: ChallengerAction;
  claimId: number | undefined;
  tx: SentTx;
}

/** What rb_proofStatus shows of the challenger (node/rpc/results.ts ChallengerStatus). */
export interface ChallengerStatusInfo {
  account: Address | null;
  /** Claims on the DisputeGame by status. */
  claims: Record<string, number>;
  bondsAtStakeWei: string;
  creditWei: string;
  /** True when a proof backend is configured (it can defend and counter-prove). */
  proves: boolean;
  /** Transactions sent by this process. */
  actions: number;
}

export interface ChallengerEvents {
  verdict: [{ claim: ClaimInfo; verdict: Verdict }];
  action: [ActionEvent];
}

export class Challenger extends EventEmitter<ChallengerEvents> {
  readonly claims: ClaimBook;
  readonly judge: Judge;
  private readonly o: ChallengerOptions;
  private readonly ctx: ActionContext;
  private readonly log: Logger;
  private readonly metrics: ChallengerMetrics;
  private readonly me: Address | undefined;
  /** Claims we already counter-proved or proved in this process (the receipt's status change may lag a step). */
  private readonly done = new Set<string>();
  private running = false;
  private loop: Promise<void> | null = null;
  /** The loop's poll pause, cut short by stop(). */
  private readonly pause = new WakeableSleep();
  private info: ChallengerStatusInfo;
  private sent = 0;

  constructor(o: ChallengerOptions) {
    super();
    this.o = o;
    this.ctx = { client: o.client, wallet: o.wallet, game: o.game };
    this.claims = new ClaimBook({ client: o.client, game: o.game, fromBlock: o.fromBlock });
    this.judge = new Judge({ client: o.client, inbox: o.inbox, fromBlock: o.fromBlock, store: o.store });
    this.log = (o.logger ?? moduleLogger("challenger")).child({ component: "challenger" });
    this.metrics = challengerMetrics(o.registry);
    this.me = o.wallet?.account.address.toLowerCase() as Address | undefined;
    this.info = { account: this.me ?? null, claims: {}, bondsAtStakeWei: "0", creditWei: "0", proves: o.prover !== undefined, actions: 0 };
  }

  /** Status for rb_proofStatus, as of the last step. */
  statusInfo(): ChallengerStatusInfo {
    return this.info;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.pause.wake();
    await this.loop;
    this.loop = null;
  }

  /** One pass over every claim. Returns the actions taken. */
  async step(): Promise<ActionEvent[]> {
    const taken: ActionEvent[] = [];
    this.judge.forget(); // batch ends are re-read each step: an L1 reorg may have replaced them
    const all = await this.claims.refresh();
    const now = await l1Now(this.o.client);
    for (const c of all) {
      if (!isOpen(c.status)) continue;
      const verdict = await this.judge.judge(c.pv);
      this.metrics.verdictsTotal.inc({ result: verdict.kind });
      this.emit("verdict", { claim: c, verdict });
      const ev = await this.act(c, verdict, now);
      if (ev !== undefined) {
        taken.push(ev);
        await this.claims.get(c.id); // re-read its status and bonds for the metrics
      }
    }
    if (this.me !== undefined && this.o.autoWithdraw !== false) {
      const credit = await creditOf(this.ctx, this.me);
      if (credit > 0n) {
        const r = await this.attempt("withdraw", undefined, () => withdrawBond(this.ctx));
        if (r !== undefined) taken.push(r);
      }
    }
    await this.report();
    return taken;
  }

  private async act(c: ClaimInfo, v: Verdict, now: number): Promise<ActionEvent | undefined> {
    if (this.o.wallet === undefined) return undefined;
    const prover = this.o.prover;
    const mine = this.me !== undefined && c.challenger === this.me;
    if (c.status === ClaimStatus.Pending) {
      if (v.kind === "invalid" && now + 1 < c.windowEnd) {
        this.log.warn({ claim: c.id, range: [c.firstBatch, c.lastBatch], wrong: v.wrong, claimed: c.pv.newStateRoot, expected: v.expected.newStateRoot }, "wrong claim: challenging");
        const r = await this.attempt("challenge", c, () => challenge(this.ctx, c));
        if (r !== undefined) this.metrics.challengesTotal.inc();
        return r;
      }
      if (v.kind === "valid" && now + 1 >= c.windowEnd && this.o.resolveAccepted !== false) return this.attempt("resolve", c, () => resolve(this.ctx, c));
      return undefined;
    }
    // Challenged.
    if (now + 1 >= c.deadline) return mine ? this.attempt("resolve", c, () => resolve(this.ctx, c)) : undefined;
    if (prover === undefined) return undefined;
    if (v.kind === "valid" && !this.done.has(`prove:${c.id}`)) {
      this.log.info({ claim: c.id, challenger: c.challenger }, "right claim challenged: proving it");
      return this.attempt("prove", c, () => prove(this.ctx, c, prover));
    }
    if (v.kind === "invalid" && mine && this.o.counterProve !== false && !this.done.has(`counter_prove:${c.id}`)) {
      return this.attempt("counter_prove", c, () => counterProve(this.ctx, c, prover));
    }
    return undefined;
  }

  private async attempt(action: ChallengerAction, c: ClaimInfo | undefined, f: () => Promise<SentTx>): Promise<ActionEvent | undefined> {
    try {
      const tx = await f();
      this.metrics.actionsTotal.inc({ action, outcome: "ok" });
      this.sent++;
      if (c !== undefined) this.done.add(`${action}:${c.id}`);
      const ev: ActionEvent = { action, claimId: c?.id, tx };
      this.log.info({ action, claim: c?.id, tx: tx.hash, gasUsed: tx.gasUsed.toString(), feeGwei: Number(tx.feeWei) / 1e9 }, "dispute action sent");
      this.emit("action", ev);
      return ev;
    } catch (err) {
      this.metrics.actionsTotal.inc({ action, outcome: "failed" });
      this.log.warn({ action, claim: c?.id, err: (err as Error).message }, "dispute action failed; retrying on a later step");
      return undefined;
    }
  }

  private async report(): Promise<void> {
    const by = new Map<string, number>();
    let stake = 0n;
    for (const c of this.claims.list()) {
      const s = CLAIM_STATUS_NAME[c.status];
      by.set(s, (by.get(s) ?? 0) + 1);
      if (this.me !== undefined && isOpen(c.status)) {
        if (c.challenger === this.me) stake += c.challengerBond;
        if (c.proposer === this.me) stake += c.proposerBond;
      }
    }
    this.metrics.claimsWatched.reset();
    for (const [status, n] of by) this.metrics.claimsWatched.set({ status }, n);
    this.metrics.bondsAtStakeWei.set(Number(stake));
    const credit = this.me === undefined ? 0n : await creditOf(this.ctx, this.me);
    if (this.me !== undefined) this.metrics.creditWei.set(Number(credit));
    this.info = { account: this.me ?? null, claims: Object.fromEntries(by), bondsAtStakeWei: stake.toString(), creditWei: credit.toString(), proves: this.o.prover !== undefined, actions: this.sent };
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        await this.step();
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, "challenger step failed; retrying");
      }
      await this.pause.sleep(this.o.pollIntervalMs ?? 2000);
    }
  }
}
