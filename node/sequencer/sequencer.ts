// The sequencer (docs/sequencer.md): admission, durable acknowledgement, soft execution, batch sealing and
// rebuilding soft state on the canonical order.
//
// - submit(bytes): the admission pool (worker threads) recovers the signer; results are handled in
//   submission order; admit() of the STF resolves the account; the nonce decides ready / park / reject.
//   A ready transaction executes at once on the soft state (BatchExecutor of the open batch, with the
//   exact header the batch will carry: index, timestamp = the clock, L1 message range); every accepted
//   transaction is written to the WAL (group commit, fsync) and only then acknowledged.
// - seal(): closes the open batch (its header is fixed when it opens) and records it in the WAL, so a
//   restart replays it with the same header; the proposer (proposer.ts) posts sealed batches in order.
// - onCanonical(update): derivation reports the canonical state and what it included. When the canonical
//   batches are our sealed batches, nothing is re-executed; otherwise (another proposer's batch, a reorg,
//   a skipped batch) soft state is rebuilt on the canonical state and every pending transaction is
//   re-applied in its old order or dropped with a reason. Subscribers are told every change.
// - Confirmation levels: queued -> soft -> included -> safe -> proven, or dropped (with a DropReason).

import { bytesToHex, domainSeparator, recoverAddress, txHashFromDigest, txSigningHash } from "../clob/eip712.ts";
import { ErrorCode } from "../clob/errors.ts";
import { type Fill, type OrderUpdate, type ReceiptLog, type TxReceipt } from "../clob/receipts.ts";
import { cloneState, type ClobState } from "../clob/state.ts";
import { BatchExecutor, admit, type Admitted } from "../clob/stf.ts";
import { MAX_DRIFT, isTradingKind, type Address, type L1Message, type Tx } from "../clob/types.ts";
import { HEADER_BYTES, MAX_TXS_PER_BATCH } from "../codec/batch.ts";
import { decodeTx, encodeTx } from "../codec/tx.ts";
import { MAX_PACKED_DATA_BYTES } from "../da/packing.ts";
import { AdmissionPool, type AdmissionJob } from "./admission.ts";
import { warmSoftExecution } from "./warmup.ts";
import { DropReason, PoolCode, SequencerError, codeName } from "./errors.ts";
import { Mempool, type Level, type MempoolLimits, type PoolTx } from "./mempool.ts";
import { Wal, loadLegacy, undoneKey, undoneRecord, type RecordWriter } from "./wal.ts";
import type { ClassicLevel } from "classic-level";
import path from "node:path";

/** An L1 block the sequencer builds on. */
export interface L1Head {
  number: number;
  hash: `0x${string}`;
  timestamp: number;
}

/** What the sequencer needs from L1 (the integrator implements it over node/l1's follower). */
export interface SequencerL1 {
  /** The L1 head the next batch builds on (its timestamp bounds the batch clock). */
  head(): L1Head;
  /** Queued L1 messages from queue position `from` on, as far as the head has them, in queue order. */
  messages(from: number): readonly L1Message[];
}

/** When a batch is sealed (docs/sequencer.md "Batch building"). */
export interface SealPolicy {
  /** Seal at this many transactions (default 4096, at most 16 384). */
  maxTxs: number;
  /** Seal before the estimated encoded size passes this (default: what 6 blobs carry). */
  maxBytes: number;
  /** Seal a non-empty batch this long after it opened (default 2000 ms). */
  maxAgeMs: number;
  /** Hold a batch that is due while the blob base fee is above this (wei; default: no limit)... */
  maxBlobBaseFee: bigint;
  /** ...but at most this long after it opened (default 60 000 ms; kept well inside MAX_DRIFT). */
  maxFeeWaitMs: number;
}

export const DEFAULT_SEAL_POLICY: SealPolicy = {
  maxTxs: 4096,
  maxBytes: MAX_PACKED_DATA_BYTES,
  maxAgeMs: 2000,
  maxBlobBaseFee: 2n ** 255n,
  maxFeeWaitMs: 60_000,
};

/** A batch whose contents and header are fixed (open or sealed). */
export interface SoftBatch {
  index: number;
  /** The batch clock: header timestamp and the STF's `now`. */
  timestamp: number;
  l1MsgStart: number;
  l1MsgEnd: number;
  l1Messages: readonly L1Message[];
  /** L1 block the batch was opened on. */
  l1Origin: L1Head;
  txs: PoolTx[];
  receipts: ReceiptLog;
  /** Conservative encoded size estimate (bytes). */
  bytes: number;
  openedAt: number;
  sealed: boolean;
}

export type SubmitResult =
  | { verdict: "valid"; hash: string; level: Level; batchIndex: number; duplicate?: boolean; receipt?: () => TxReceipt | undefined }
  | { verdict: "invalid"; hash?: string; code: ErrorCode | PoolCode; reason: string }
  | { verdict: "error"; code: string; message: string };

export type SequencerEvent =
  /** A transaction was executed on the soft state (first time or again after a rebuild). */
  | { type: "receipt"; hash: string; level: "soft"; batchIndex: number; receipt: TxReceipt; reexecuted: boolean }
  /** A transaction's confirmation level changed (queued, included, safe, proven, dropped). */
  | { type: "status"; hash: string; level: Level; batchIndex: number; drop?: PoolTx["drop"] }
  | { type: "trade"; level: "soft"; batchIndex: number; fill: Fill }
  | { type: "book"; level: "soft"; batchIndex: number; update: OrderUpdate }
  | { type: "sealed"; batch: SoftBatch }
  /**
   * Soft state is being rebuilt on the canonical state: what was soft in batches above `batchIndex` is void.
   * Emitted before the rebuild's drops and re-executions (which follow as `status` and `receipt` events).
   */
  | { type: "rebuilding"; batchIndex: number }
  /** Soft state was rebuilt on the canonical state at `canonicalBatch`. */
  | { type: "rebuilt"; canonicalBatch: number; reexecuted: number; dropped: number };

/** What derivation reports after it committed canonical batches (or rolled back). */
export interface CanonicalUpdate {
  /** The canonical state at its head batch. Read, and cloned when soft state is rebuilt. */
  state: ClobState;
  /** The batches committed since the last update, in order: index, clock, L1 range and tx hashes. */
  batches: readonly { index: number; timestamp: number; l1MsgStart: number; l1MsgEnd: number; txHashes: readonly string[] }[];
  /** True when the canonical chain was rolled back (L1 reorg): soft state is always rebuilt. */
  reorg?: boolean;
  /** With `reorg`: the transactions of the canonical batches the rollback undid (undoneTxs), in batch order. */
  undone?: readonly UndoneTx[];
}

/** A transaction of a canonical batch that a rollback undid, ready to be pending again. */
export interface UndoneTx {
  hash: string;
  tx: Tx;
  /** Canonical single-tx bytes. */
  bytes: Uint8Array;
  /** The account (the WAL's signer field: authorization was checked, as admission does). */
  signer: Address;
  /** The undone batch that held it. */
  batchIndex: number;
}

/**
 * The transactions of the canonical batches a rollback undoes that can be pending again, in batch order:
 * signature recovered, signed by the account or by an agent of it active on `state`, the canonical state
 * BEFORE the rollback (the one that executed them). Others never executed and are left out.
 */
export function undoneTxs(state: ClobState, batches: readonly { index: number; txs: readonly Tx[] }[]): UndoneTx[] {
  const separator = domainSeparator(state.config.domain);
  const out: UndoneTx[] = [];
  for (const b of batches) {
    for (const tx of b.txs) {
      const digest = txSigningHash(separator, tx);
      const signer = recoverAddress(digest, tx.sig);
      if (signer === null) continue;
      const a = admit(state, tx, signer);
      if (a.address === undefined) continue;
      if (a.signer !== a.address && !(isTradingKind(tx.kind) && a.account >= 0 && state.accounts[a.account]!.agentActive(signer, state.timestamp))) continue;
      out.push({ hash: bytesToHex(txHashFromDigest(digest, tx.sig)), tx, bytes: encodeTx(tx), signer: a.address, batchIndex: b.index });
    }
  }
  return out;
}

/**
 * The store records (mempool prefix `p:`, wal.ts) that keep `undone` pending through a restart: the rollback
 * writes them in its atomic write; Sequencer.open replays them before its WAL's pending transactions.
 */
export function undoneRecords(undone: readonly UndoneTx[]): [string, Uint8Array][] {
  return undone.map((u, i) => undoneRecord(u.hash, i + 1, u.signer, u.bytes));
}

export interface SequencerOptions {
  /**
   * The node's LevelDB (StateStore.db): the WAL's directory defaults to its location + ".wal", and WAL
   * records an earlier version kept in it (prefix `p:`) are replayed once and deleted.
   */
  db: ClassicLevel<Buffer, Buffer>;
  /** WAL segment directory (default: the db's location + ".wal"). */
  walDir?: string;
  /** Rotate the WAL to a new segment past this many bytes (default 64 MiB). */
  walSegmentBytes?: number;
  /** Least milliseconds between the starts of two WAL group writes (default 0; node/sequencer/wal.ts WalOptions.groupIntervalMs). */
  walGroupIntervalMs?: number;
  /** The canonical state the node derived (not mutated; cloned). */
  canonical: ClobState;
  l1: SequencerL1;
  seal?: Partial<SealPolicy>;
  limits?: Partial<MempoolLimits>;
  /** Admission worker threads (default 2). */
  threads?: number;
  /**
   * Synthetic orders run through the order path at start (warmup.ts: soft execution on a scratch state on
   * this thread, admission in each worker thread), so the first traders after a (re)start do not wait for
   * the JIT; default 0 (the node's configuration: `sequencer.warmUpOrders`).
   */
  warmUp?: number;
  /** fsync WAL groups (default true). */
  sync?: boolean;
  /** Clock for batch ages and parking (ms; default performance.now). Never the batch clock. */
  now?: () => number;
  /** Retained answers for finished (included or dropped) transactions (default 200 000). */
  maxAnswers?: number;
  /**
   * Most admissions (admit, soft execution, WAL record) handled in one event-loop turn (default 64): a
   * longer backlog continues in the next turn (setImmediate), so WAL completions, acknowledgements and new
   * requests interleave with it instead of waiting behind hundreds of executions. Order is unchanged.
   */
  drainSlice?: number;
  /**
   * The L1 address that will propose the batches (the proposing transaction's sender, committed in c(i)):
   * soft execution credits it the proposer reward exactly as derivation will. Omitted: no reward moves
   * (only right when batches are proposed by an account that is not known yet, e.g. tests).
   */
  proposer?: Address;
  /**
   * The canonical batch holding transaction `hash`, if the store holds it as included (the composed node:
   * its history index). At open, a transaction the WAL or a rollback's records hold as pending that the
   * canonical history already includes (a batch including it again was derived while the sequencer was
   * stopped) is answered `included` in that batch instead of executed and dropped NONCE_TAKEN.
   */
  includedBatch?: (hash: string) => Promise<number | undefined>;
}

/**
 * One submission: its admission work, then (accepted) what waits for its WAL group, answered and
 * announced when the group is durable. One object per transaction.
 */
interface Slot extends AdmissionJob {
  resolve: (r: SubmitResult) => void;
  /** The transaction decoded from `bytes`, when the submitter had it (else admission decodes them). */
  tx: Tx | undefined;
  /** The accepted transaction. */
  p: PoolTx | null;
  /** Parked txs of the account that `p` made executable (executed right after it), if any. */
  promoted: PoolTx[] | null;
  /** `p` was parked in a nonce gap on admission. */
  parked: boolean;
}

/** The `valid` answer: a class so the receipt accessor is a prototype method, not a closure per tx. */
class ValidResult {
  readonly verdict = "valid" as const;
  readonly hash: string;
  readonly level: Level;
  readonly batchIndex: number;
  duplicate?: boolean;
  private readonly p: PoolTx;
  constructor(p: PoolTx, duplicate: boolean) {
    this.p = p;
    this.hash = p.hash;
    this.level = p.level;
    this.batchIndex = p.batchIndex;
    if (duplicate) this.duplicate = true;
  }
  receipt(): TxReceipt | undefined {
    const p = this.p;
    return p.receipts !== undefined && p.row >= 0 && p.level === "soft" ? p.receipts.tx(p.row) : undefined;
  }
}

interface DropRecord {
  reason: DropReason;
  code?: number;
}

export class Sequencer {
  readonly pool: Mempool;
  readonly wal: Wal;
  readonly policy: SealPolicy;
  private readonly admission: AdmissionPool;
  private readonly l1: SequencerL1;
  private readonly clock: () => number;
  private readonly maxAnswers: number;
  private readonly drainSlice: number;
  private drainScheduled = false;
  private readonly proposer: Address | undefined;
  private readonly listeners = new Set<(e: SequencerEvent) => void>();

  /** The soft state: canonical + sealed batches + the open batch. */
  private soft: ClobState;
  private canonicalBatch: number;
  private open: SoftBatch | null = null;
  private executor: BatchExecutor | null = null;
  /** Sealed, not yet canonical, in index order. */
  private readonly sealedBatches: SoftBatch[] = [];
  /** Finished answers (included / dropped), oldest first, for pruning. */
  private readonly answered: string[] = [];
  private answeredHead = 0;
  /** Submissions in admission order waiting for their worker result. */
  private slots: Slot[] = [];
  private slotHead = 0;
  /** Acknowledgements waiting for the WAL group whose completion promise is `done`. */
  private acks: { done: Promise<void>; items: Slot[] } | null = null;
  private seq = 0;
  /** Canonical batches recorded by commitKeys and not yet reported by onCanonical (kept across rotations). */
  private readonly canonPending = new Map<number, readonly string[]>();
  private readonly db: ClassicLevel<Buffer, Buffer>;
  private closed = false;
  private fatal: unknown = null;

  private constructor(opts: SequencerOptions) {
    this.pool = new Mempool(opts.limits);
    this.db = opts.db;
    this.wal = new Wal(opts.walDir ?? path.resolve(opts.db.location) + ".wal", { sync: opts.sync, segmentBytes: opts.walSegmentBytes, groupIntervalMs: opts.walGroupIntervalMs });
    this.wal.snapshot = (w) => this.snapshot(w);
    this.policy = { ...DEFAULT_SEAL_POLICY, ...opts.seal };
    this.policy.maxTxs = Math.min(this.policy.maxTxs, MAX_TXS_PER_BATCH);
    this.policy.maxBytes = Math.min(this.policy.maxBytes, MAX_PACKED_DATA_BYTES);
    this.l1 = opts.l1;
    this.clock = opts.now ?? (() => performance.now());
    this.maxAnswers = opts.maxAnswers ?? 200_000;
    this.drainSlice = Math.max(1, opts.drainSlice ?? 64);
    this.proposer = opts.proposer === undefined ? undefined : (opts.proposer.toLowerCase() as Address);
    this.includedBatch = opts.includedBatch;
    if (this.policy.maxFeeWaitMs + this.policy.maxAgeMs >= MAX_DRIFT * 1000) {
      throw new SequencerError("BAD_POLICY", `maxAgeMs + maxFeeWaitMs must stay below MAX_DRIFT (${MAX_DRIFT} s): a batch must land within MAX_DRIFT of its clock`);
    }
    this.soft = cloneState(opts.canonical);
    this.canonicalBatch = opts.canonical.batchIndex;
    this.admission = new AdmissionPool({ separator: domainSeparator(opts.canonical.config.domain), threads: opts.threads, onDone: () => this.drain(), warmUp: Math.min(opts.warmUp ?? 0, 1024) });
    this.warmUpOrders = opts.warmUp ?? 0;
    this.warmUpMs = warmSoftExecution(opts.canonical.config.domain, this.warmUpOrders).ms;
  }

  private readonly includedBatch: SequencerOptions["includedBatch"];
  /** Synthetic orders the start-up warm-up ran (`SequencerOptions.warmUp`); the view warms its own code with as many. */
  readonly warmUpOrders: number;
  /** Milliseconds the main thread's warm-up took at start (0 without one). */
  readonly warmUpMs: number;

  /** Opens the sequencer and replays the WAL: sealed batches with their exact headers, then loose txs. */
  static async open(opts: SequencerOptions): Promise<Sequencer> {
    const s = new Sequencer(opts);
    await s.recover();
    return s;
  }

  // ------------------------------------------------------------------------------------ reading

  /** The soft state (read only). */
  softState(): ClobState {
    return this.soft;
  }
  /** Next nonce of `account` on the soft state (lowercase address). */
  nextNonce(account: string): number {
    const i = this.soft.accountIndex.get(account.toLowerCase());
    return i === undefined ? 0 : this.soft.accounts[i]!.nonce;
  }
  /** Sealed batches not yet canonical, oldest first. */
  sealed(): readonly SoftBatch[] {
    return this.sealedBatches;
  }
  /** The open batch, if any. */
  openBatch(): SoftBatch | null {
    return this.open;
  }
  /** The answer for a transaction the pool knows (pending, or recently finished). */
  status(hash: string): { level: Level; batchIndex: number; drop?: PoolTx["drop"]; receipt?: TxReceipt } | undefined {
    const p = this.pool.byHash.get(hash);
    if (p === undefined) return undefined;
    const receipt = p.level === "soft" && p.receipts !== undefined && p.row >= 0 ? p.receipts.tx(p.row) : undefined;
    return { level: p.level, batchIndex: p.batchIndex, drop: p.drop, receipt };
  }

  subscribe(fn: (e: SequencerEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(e: SequencerEvent): void {
    for (const fn of this.listeners) {
      try {
        fn(e);
      } catch {
        // a subscriber's failure is its own
      }
    }
  }

  // ------------------------------------------------------------------------------------ admission

  /**
   * Admits one transaction (canonical single-tx bytes, node/codec/tx.ts). Resolves after the WAL holds it
   * (valid), or with the reason it is never valid, or with an internal error. Never rejects. `tx`, when
   * given, must be what decodeTx gives for `bytes` (the RPC's fast path has it): it is not decoded again.
   */
  submit(bytes: Uint8Array, tx?: Tx): Promise<SubmitResult> {
    if (this.closed) return Promise.resolve({ verdict: "error", code: PoolCode.SHUTTING_DOWN, message: "sequencer is shutting down" });
    if (this.fatal !== null) return Promise.resolve({ verdict: "error", code: "WAL_FAILED", message: String(this.fatal) });
    return new Promise<SubmitResult>((resolve) => {
      const slot: Slot = { bytes, hash: "", signer: null, bad: false, done: false, resolve, tx, p: null, promoted: null, parked: false };
      this.slots.push(slot);
      this.admission.push(slot);
    });
  }

  /** Admissions waiting for a worker. */
  get admissionDepth(): number {
    return this.admission.depth;
  }
  /** Messages posted to the admission workers since start (one reply each). */
  get admissionMessages(): number {
    return this.admission.posted;
  }

  /** Handles finished admissions in submission order, at most `drainSlice` per turn (see the option). */
  private drain(): void {
    const slots = this.slots;
    let left = this.drainSlice;
    while (this.slotHead < slots.length && slots[this.slotHead]!.done) {
      if (left-- === 0) {
        if (!this.drainScheduled) {
          this.drainScheduled = true;
          setImmediate(this.drainLater);
        }
        break;
      }
      const slot = slots[this.slotHead]!;
      slots[this.slotHead++] = undefined!;
      let result: SubmitResult | Promise<SubmitResult> | undefined;
      try {
        result = this.admitOne(slot);
      } catch (err) {
        result = { verdict: "error", code: "INTERNAL", message: (err as Error).message };
      }
      if (result instanceof Promise) result.then(slot.resolve);
      else if (result !== undefined) slot.resolve(result);
    }
    if (this.slotHead > 1024 && this.slotHead * 2 > slots.length) {
      this.slots = slots.slice(this.slotHead);
      this.slotHead = 0;
    }
  }

  private readonly drainLater = (): void => {
    this.drainScheduled = false;
    this.drain();
  };

  /** The answer, or undefined when the slot is answered once its WAL group is durable (see acked). */
  private admitOne(slot: Slot): SubmitResult | Promise<SubmitResult> | undefined {
    if (slot.err !== undefined) return { verdict: "error", code: slot.err.code, message: slot.err.message };
    const r = slot;
    if (r.bad) return { verdict: "invalid", code: ErrorCode.MALFORMED, reason: "not a canonical, well-formed transaction" };
    if (this.closed) return { verdict: "error", code: PoolCode.SHUTTING_DOWN, message: "sequencer is shutting down" };
    const known = this.pool.byHash.get(r.hash);
    if (known !== undefined) return this.wal.flush().then(() => new ValidResult(known, true));
    if (r.signer === null) return { verdict: "invalid", hash: r.hash, code: ErrorCode.INVALID_SIGNATURE, reason: "signature recovery failed" };
    let tx = slot.tx;
    if (tx === undefined) {
      const decoded = decodeTx(slot.bytes);
      if (!decoded.ok) return { verdict: "invalid", hash: r.hash, code: ErrorCode.MALFORMED, reason: decoded.reasonName };
      tx = decoded.tx;
    }
    const a = admit(this.soft, tx, r.signer);
    if (a.address === undefined) return { verdict: "invalid", hash: r.hash, code: ErrorCode.MALFORMED, reason: "not well formed" };
    if (!this.authorized(tx, a)) return { verdict: "invalid", hash: r.hash, code: ErrorCode.WRONG_SIGNER, reason: `signed by ${r.signer}, neither the account nor an active agent of it` };
    const next = a.account < 0 ? 0 : this.soft.accounts[a.account]!.nonce;
    if (tx.nonce < next) return { verdict: "invalid", hash: r.hash, code: ErrorCode.NONCE_TOO_LOW, reason: `next nonce is ${next}` };
    const where = this.pool.place(a.address, tx.nonce, next);
    if (where !== "ready" && where !== "park") return { verdict: "invalid", hash: r.hash, code: where, reason: poolReason(where, this.pool.limits) };
    const p: PoolTx = {
      hash: r.hash, tx, bytes: slot.bytes, signer: a.address, account: a.address, seq: ++this.seq,
      // `receipts` in the literal: set later, it would move the object's fields to an out-of-object
      // property array (40 B more per acknowledged order for the scavenger to copy).
      level: "queued", batchIndex: 0, row: -1, receipts: undefined, parkedAt: 0,
    };
    if (where === "park" && !this.pool.park(p, this.clock())) {
      return { verdict: "invalid", hash: r.hash, code: ErrorCode.NONCE_TOO_HIGH, reason: `nonce ${tx.nonce} is already queued` };
    }
    const durable = this.wal.tx(p.seq, p.hash, p.signer, p.bytes);
    let promoted: PoolTx[] | null = null;
    if (where === "ready") {
      this.execute(p, a);
      if (this.pool.parked > 0) {
        promoted = [];
        this.promote(p.account, tx.nonce + 1, promoted);
      }
    }
    slot.p = p;
    slot.promoted = promoted;
    slot.parked = where === "park";
    this.awaitDurable(durable, slot);
    return undefined;
  }

  /** Registers an acknowledgement with its WAL group: one continuation per group, not per transaction. */
  private awaitDurable(done: Promise<void>, slot: Slot): void {
    let g = this.acks;
    if (g === null || g.done !== done) {
      const group = { done, items: [] as Slot[] };
      g = this.acks = group;
      done.then(
        () => this.acked(group.items),
        (err: unknown) => {
          const res = this.walFailed(err);
          for (const x of group.items) x.resolve(res);
        },
      );
    }
    g.items.push(slot);
  }

  /** A WAL group is durable: its transactions are announced (events after the write) and answered. */
  private acked(items: readonly Slot[]): void {
    if (this.acks !== null && this.acks.items === items) this.acks = null;
    const listening = this.listeners.size > 0;
    for (const slot of items) {
      const p = slot.p!;
      const promoted = slot.promoted;
      const parked = slot.parked;
      if (listening) {
        if (parked) this.emit({ type: "status", hash: p.hash, level: "queued", batchIndex: 0 });
        else this.announceOne(p, false);
        if (promoted !== null) for (const q of promoted) this.announceOne(q, false);
      }
      slot.resolve(new ValidResult(p, false));
    }
  }

  private walFailed(err: unknown): SubmitResult {
    this.fatal = err;
    return { verdict: "error", code: "WAL_FAILED", message: `write-ahead log failed: ${(err as Error).message ?? String(err)}` };
  }

  /**
   * The STF's signer rule at the clock the tx would execute with: the account itself, or for a trading
   * kind an agent of the account that is active at that clock (docs/stf.md "Authentication").
   */
  private authorized(tx: Tx, a: Admitted): boolean {
    if (a.signer === a.address) return true;
    if (a.signer === null || a.account < 0 || !isTradingKind(tx.kind)) return false;
    return this.soft.accounts[a.account]!.agentActive(a.signer, this.clock_());
  }

  /** The clock the next executed tx runs with: the open batch's, or the one a new batch would take. */
  private clock_(): number {
    return this.open !== null ? this.open.timestamp : Math.max(this.soft.timestamp, this.l1.head().timestamp);
  }

  /** Executes parked txs of `account` from `nonce` on while they are contiguous. */
  private promote(account: Address, nonce: number, out: PoolTx[]): void {
    for (;;) {
      const q = this.pool.unpark(account, nonce);
      if (q === undefined) return;
      const a = admit(this.soft, q.tx, q.signer);
      if (!this.authorized(q.tx, a)) {
        // Its agent was revoked or expired while it waited: it can never execute at this nonce.
        this.drop(q, { reason: DropReason.SIGNER_NOT_AUTHORIZED, code: ErrorCode.WRONG_SIGNER });
        return;
      }
      this.execute(q, a);
      out.push(q);
      nonce++;
    }
  }

  /** Soft execution of a ready tx in the open batch (opened, or sealed and reopened, as needed). */
  private execute(p: PoolTx, a: Admitted): void {
    const size = p.bytes.length - 1;
    if (this.open !== null && (this.open.txs.length + 1 > this.policy.maxTxs || this.open.bytes + size > this.policy.maxBytes)) this.seal();
    if (this.open === null) this.openBatch_();
    const b = this.open!;
    const row = this.executor!.applyTx(p.tx, a);
    p.level = "soft";
    p.batchIndex = b.index;
    p.row = row;
    p.receipts = b.receipts;
    b.txs.push(p);
    b.bytes += size;
    this.pool.addSoft(p);
  }

  private openBatch_(): void {
    const st = this.soft;
    const head = this.l1.head();
    const start = st.l1MessagesConsumed;
    const msgs = this.l1.messages(start);
    const b: SoftBatch = {
      index: st.batchIndex + 1,
      // The clock (docs/stf.md "The clock"): the L1 head's time, never before the previous clock. The batch
      // lands in a later block (V5 holds) and must land within MAX_DRIFT of it (V6).
      timestamp: Math.max(st.timestamp, head.timestamp),
      l1MsgStart: start,
      l1MsgEnd: start + msgs.length,
      l1Messages: msgs,
      l1Origin: head,
      txs: [],
      receipts: undefined!,
      bytes: HEADER_BYTES + 16,
      openedAt: this.clock(),
      sealed: false,
    };
    this.executor = new BatchExecutor(st, { index: b.index, timestamp: b.timestamp, proposer: this.proposer }, msgs, {}, this.policy.maxTxs);
    b.receipts = this.executor.receipts;
    this.open = b;
  }

  /** Receipt, trade and book events of executed txs (after their WAL write). */
  private announce(txs: readonly PoolTx[], reexecuted: boolean): void {
    if (this.listeners.size === 0) return;
    for (const p of txs) this.announceOne(p, reexecuted);
  }

  private announceOne(p: PoolTx, reexecuted: boolean): void {
    if (p.level !== "soft" || p.receipts === undefined || p.row < 0) return;
    const receipt = p.receipts.tx(p.row);
    this.emit({ type: "receipt", hash: p.hash, level: "soft", batchIndex: p.batchIndex, receipt, reexecuted });
    for (const fill of receipt.fills) this.emit({ type: "trade", level: "soft", batchIndex: p.batchIndex, fill });
    for (const update of receipt.orders) this.emit({ type: "book", level: "soft", batchIndex: p.batchIndex, update });
  }

  // ------------------------------------------------------------------------------------ batches

  /** Seals the open batch if the policy says so at `now` with this blob base fee; returns it or null. */
  sealIfDue(blobBaseFee = 0n): SoftBatch | null {
    const now = this.clock();
    this.expireParked(now);
    const pendingMsgs = this.l1.messages(this.soft.l1MessagesConsumed).length > 0;
    if (this.open === null) {
      // L1 messages (deposits) get a batch of their own when no transaction opens one.
      if (!pendingMsgs) return null;
      this.openBatch_();
    }
    const b = this.open!;
    const age = now - b.openedAt;
    const full = b.txs.length >= this.policy.maxTxs || b.bytes >= this.policy.maxBytes * 0.95;
    if (!full && age < this.policy.maxAgeMs) return null;
    if (blobBaseFee > this.policy.maxBlobBaseFee && age < this.policy.maxFeeWaitMs) return null;
    return this.seal();
  }

  /** Seals the open batch now (null if none). Its WAL record is written in the next group. */
  seal(): SoftBatch | null {
    const b = this.open;
    if (b === null) return null;
    this.executor!.finish(); // the proposer reward, as derivation credits it
    b.sealed = true;
    this.open = null;
    this.executor = null;
    this.sealedBatches.push(b);
    this.wal.seal(this.sealRecord(b)).catch((err: unknown) => this.walFailed(err));
    this.emit({ type: "sealed", batch: b });
    return b;
  }

  /** Transactions of `batch` as the STF and codec take them. */
  static txsOf(batch: SoftBatch): Tx[] {
    return batch.txs.map((p) => p.tx);
  }

  private sealRecord(b: SoftBatch): string {
    return JSON.stringify({ index: b.index, timestamp: b.timestamp, l1MsgStart: b.l1MsgStart, l1MsgEnd: b.l1MsgEnd, origin: b.l1Origin, proposer: this.proposer ?? null, txs: b.txs.map((p) => p.hash) });
  }

  /**
   * Derivation is about to commit canonical batch `index` with these tx hashes: the WAL records it (CANON,
   * written and fsynced before this returns), so a restart knows these transactions are included once the
   * store holds the batch. Returns the StateStore mempool keys the commit deletes (none: the WAL is not in
   * LevelDB; the interface stays for derivation). Never throws: a failed write stops acknowledging.
   */
  commitKeys(index: number, txHashes: readonly string[]): string[] {
    this.canonPending.set(index, txHashes);
    try {
      this.wal.canonical(index, txHashes);
    } catch (err) {
      // Derivation goes on; the sequencer stops acknowledging (WAL_FAILED) like after any WAL failure.
      this.walFailed(err);
    }
    return [];
  }

  /** The live state as WAL records: the first frame of every new segment (wal.ts "Rotation"). */
  private snapshot(w: RecordWriter): void {
    const live: PoolTx[] = [];
    for (const p of this.pool.byHash.values()) {
      if (p.level === "dropped" && p.drop !== undefined) w.drop(p.hash, JSON.stringify(p.drop));
      else if (p.level === "soft" || p.level === "queued") live.push(p);
    }
    live.sort((a, b) => a.seq - b.seq);
    for (const p of live) w.tx(p.seq, p.hash, p.signer, p.bytes);
    for (const b of this.sealedBatches) w.seal(this.sealRecord(b));
    for (const [index, hashes] of this.canonPending) w.canon(index, hashes);
  }

  private expireParked(now: number): void {
    for (const p of this.pool.expire(now)) this.drop(p, { reason: DropReason.GAP_TIMEOUT });
  }

  private drop(p: PoolTx, d: DropRecord): void {
    p.level = "dropped";
    p.drop = d;
    p.receipts = undefined;
    p.row = -1;
    this.wal.drop(p.hash, JSON.stringify(d)).catch((err: unknown) => this.walFailed(err));
    this.remember(p.hash);
    this.emit({ type: "status", hash: p.hash, level: "dropped", batchIndex: p.batchIndex, drop: d });
  }

  /** Keeps a finished answer; forgets (and deletes drop records of) the oldest beyond maxAnswers. */
  private remember(hash: string): void {
    this.answered.push(hash);
    while (this.answered.length - this.answeredHead > this.maxAnswers) {
      const old = this.answered[this.answeredHead]!;
      this.answered[this.answeredHead++] = undefined!;
      const p = this.pool.byHash.get(old);
      if (p !== undefined && p.level !== "soft" && p.level !== "queued") this.pool.forget(old);
    }
    if (this.answeredHead > 4096 && this.answeredHead * 2 > this.answered.length) {
      this.answered.splice(0, this.answeredHead);
      this.answeredHead = 0;
    }
  }

  // ------------------------------------------------------------------------------------ canonical order

  /**
   * Derivation committed canonical batches (their WAL entries deleted in the same commit, see commitKeys),
   * or rolled back. If the committed batches are exactly our oldest sealed batches, they become
   * `included` and soft state stays; otherwise soft state is rebuilt on `update.state` and every pending
   * transaction is re-applied in its old order, parked again, or dropped with a reason.
   */
  onCanonical(update: CanonicalUpdate): { rebuilt: boolean; reexecuted: number; dropped: number } {
    const included = new Map<string, number>();
    for (const b of update.batches) for (const h of b.txHashes) included.set(h, b.index);
    let matched = 0;
    if (update.reorg !== true) {
      while (matched < update.batches.length && matched < this.sealedBatches.length && sameBatch(this.sealedBatches[matched]!, update.batches[matched]!)) matched++;
    }
    const fast = matched === update.batches.length && update.state.batchIndex === (matched > 0 ? update.batches[matched - 1]!.index : this.canonicalBatch) && update.reorg !== true;
    for (const b of this.sealedBatches.splice(0, fast ? matched : 0)) {
      for (const p of b.txs) this.markIncluded(p, b.index, true);
    }
    this.canonicalBatch = update.state.batchIndex;
    // Included transactions leave the pool, so the next snapshot need not carry these CANON records; those
    // of batches a rollback undid are void.
    for (const i of this.canonPending.keys()) if (i <= this.canonicalBatch || update.reorg === true) this.canonPending.delete(i);
    if (fast) return { rebuilt: false, reexecuted: 0, dropped: 0 };
    return this.rebuild(update.state, included, update.undone);
  }

  /**
   * Rebuilds soft state on `canonical`: pending transactions (sealed, open, parked) in their execution
   * order; those in `included` become included; the others are re-applied, parked again, or dropped
   * (NONCE_TAKEN when the account's nonce moved past theirs).
   */
  rebuild(canonical: ClobState, included: ReadonlyMap<string, number> = new Map(), undone: readonly UndoneTx[] = []): { rebuilt: true; reexecuted: number; dropped: number } {
    // What was soft is void from the first soft batch on (after a rollback: from the canonical state's next batch).
    const firstSoft = this.sealedBatches[0]?.index ?? this.open?.index;
    const voidAbove = Math.min(canonical.batchIndex, firstSoft === undefined ? Infinity : firstSoft - 1);
    const reverted = this.revertedTxs(canonical.batchIndex, undone);
    const pending: PoolTx[] = [];
    for (const b of this.sealedBatches) {
      pending.push(...b.txs);
      this.wal.unseal(b.index).catch((err: unknown) => this.walFailed(err));
    }
    if (this.open !== null) pending.push(...this.open.txs);
    this.sealedBatches.length = 0;
    this.open = null;
    this.executor = null;
    for (const p of pending) this.pool.releaseSoft(p);
    pending.unshift(...reverted);
    pending.push(...this.pool.takeParked());
    this.soft = cloneState(canonical);
    this.canonicalBatch = canonical.batchIndex;
    this.emit({ type: "rebuilding", batchIndex: voidAbove });
    let reexecuted = 0;
    let dropped = 0;
    const executed: PoolTx[] = [];
    for (const p of pending) {
      const idx = included.get(p.hash);
      if (idx !== undefined) {
        this.markIncluded(p, idx, false);
        continue;
      }
      const r = this.reapply(p, executed);
      if (r === "dropped") dropped++;
    }
    reexecuted = executed.length;
    this.announce(executed, true);
    this.emit({ type: "rebuilt", canonicalBatch: canonical.batchIndex, reexecuted, dropped });
    return { rebuilt: true, reexecuted, dropped };
  }

  /**
   * Transactions a rollback to `batchIndex` undid: those the pool remembers as included in later batches, and
   * `undone` (read from the store's undo data: also after a restart, for other proposers' batches and for
   * answers the pool forgot); in batch order, back in the WAL, level queued. Once the WAL holds them, the
   * store records the rollback kept them in (undoneRecords) are deleted.
   */
  private revertedTxs(batchIndex: number, undone: readonly UndoneTx[]): PoolTx[] {
    const out = new Set<PoolTx>();
    for (let i = this.answeredHead; i < this.answered.length; i++) {
      const p = this.pool.byHash.get(this.answered[i]!);
      if (p === undefined || p.level === "dropped" || p.level === "queued" || p.level === "soft" || p.batchIndex <= batchIndex) continue;
      out.add(p);
    }
    for (const u of undone) {
      const known = this.pool.byHash.get(u.hash);
      if (known !== undefined && (known.level === "queued" || known.level === "soft")) continue; // pending already
      if (known !== undefined && known.level !== "dropped") {
        out.add(known);
        continue;
      }
      // Unknown, or a drop answer: pending again (the pool answers for it from now on).
      const p: PoolTx = { hash: u.hash, tx: u.tx, bytes: u.bytes, signer: u.signer, account: u.signer, seq: ++this.seq, level: "included", batchIndex: u.batchIndex, row: -1, parkedAt: 0 };
      this.pool.byHash.set(u.hash, p);
      out.add(p);
    }
    const requeued = this.requeue([...out], undone);
    if (undone.length > 0) {
      const keys = undone.map((u) => undoneKey(u.hash));
      this.wal.flush().then(
        () => this.db.batch(keys.map((key) => ({ type: "del" as const, key }))),
        () => undefined, // the WAL failed: the records stay for the next open
      ).catch(() => undefined);
    }
    return requeued;
  }

  /** Back to queued, in batch order (within a batch: the order of `undone`, else admission order), each in the WAL. */
  private requeue(out: PoolTx[], undone: readonly UndoneTx[]): PoolTx[] {
    const at = new Map<string, number>();
    undone.forEach((u, i) => at.set(u.hash, i));
    out.sort((a, b) => a.batchIndex - b.batchIndex || (at.get(a.hash) ?? -1) - (at.get(b.hash) ?? -1) || a.seq - b.seq);
    for (const p of out) {
      p.level = "queued";
      this.wal.tx(p.seq, p.hash, p.signer, p.bytes).catch((err: unknown) => this.walFailed(err));
    }
    return out;
  }

  /** Re-admits a pending tx on the current soft state (no WAL write: its entry is there). */
  private reapply(p: PoolTx, executed: PoolTx[]): "executed" | "parked" | "dropped" {
    const a = admit(this.soft, p.tx, p.signer);
    const next = a.account < 0 ? 0 : this.soft.accounts[a.account]!.nonce;
    p.receipts = undefined;
    p.row = -1;
    if (p.tx.nonce < next) {
      this.drop(p, { reason: DropReason.NONCE_TAKEN });
      return "dropped";
    }
    if (p.tx.nonce > next) {
      this.pool.park(p, this.clock());
      return "parked";
    }
    if (!this.authorized(p.tx, a)) {
      this.drop(p, { reason: DropReason.SIGNER_NOT_AUTHORIZED, code: ErrorCode.WRONG_SIGNER });
      return "dropped";
    }
    this.execute(p, a);
    executed.push(p);
    this.promote(p.account, p.tx.nonce + 1, executed);
    return "executed";
  }

  /** `inPool`: the tx still counts in the pool (a rebuild has taken its pending txs out already). */
  private markIncluded(p: PoolTx, batchIndex: number, inPool: boolean): void {
    if (inPool && p.level === "soft") this.pool.releaseSoft(p);
    else if (inPool && p.level === "queued") this.pool.unpark(p.account, p.tx.nonce);
    p.level = "included";
    p.batchIndex = batchIndex;
    p.receipts = undefined;
    p.row = -1;
    this.remember(p.hash);
    this.emit({ type: "status", hash: p.hash, level: "included", batchIndex });
  }

  /**
   * L1 finality moved: transactions of batches <= safeBatch are safe, of batches <= provenBatch proven.
   * Only answers the pool still holds are updated (older ones are the store's to answer).
   */
  setFinality(safeBatch: number, provenBatch: number): void {
    for (let i = this.answeredHead; i < this.answered.length; i++) {
      const p = this.pool.byHash.get(this.answered[i]!);
      if (p === undefined || p.level === "dropped") continue;
      const level: Level = p.batchIndex <= provenBatch ? "proven" : p.batchIndex <= safeBatch ? "safe" : p.level;
      if (level !== p.level && rank(level) > rank(p.level)) {
        p.level = level;
        this.emit({ type: "status", hash: p.hash, level, batchIndex: p.batchIndex });
      }
    }
  }

  // ------------------------------------------------------------------------------------ restart

  private async recover(): Promise<void> {
    const log = this.wal.load();
    const legacy = await loadLegacy(this.db);
    // The LevelDB WAL of an earlier version: its records were deleted by the commit that included them.
    for (const [h, e] of legacy.txs) if (!log.txs.has(h) && !log.drops.has(h)) log.txs.set(h, e);
    for (const [h, d] of legacy.drops) if (!log.txs.has(h)) log.drops.set(h, d);
    // Undone by a rollback (undoneRecords): pending again, whatever the log said of them before the rollback.
    const undone = new Set<string>();
    for (const [h, e] of legacy.undone) {
      log.drops.delete(h);
      log.txs.set(h, e);
      undone.add(h);
    }
    for (const json of legacy.seals) {
      const index = (JSON.parse(json) as { index: number }).index;
      if (!log.seals.has(index)) log.seals.set(index, json);
    }
    // Included: named by a CANON record of a batch the store has committed (later ones never committed).
    const included = new Set<string>();
    for (const [index, hashes] of log.canon) if (index <= this.canonicalBatch) for (const h of hashes) if (!undone.has(h)) included.add(h);
    for (const [hash, json] of log.drops) {
      let d: DropRecord;
      try {
        d = JSON.parse(json) as DropRecord;
      } catch {
        continue;
      }
      this.pool.byHash.set(hash, { hash, tx: undefined!, bytes: new Uint8Array(0), signer: "0x", account: "0x", seq: 0, level: "dropped", batchIndex: 0, row: -1, parkedAt: 0, drop: d });
      this.answered.push(hash);
    }
    const entries = new Map<string, PoolTx>();
    for (const [hash, e] of log.txs) {
      if (e.seq > this.seq) this.seq = e.seq;
      if (included.has(hash)) continue;
      const d = decodeTx(e.tx);
      if (!d.ok) continue;
      const signer = e.signer as Address;
      entries.set(hash, { hash, tx: d.tx, bytes: e.tx, signer, account: signer, seq: e.seq, level: "queued", batchIndex: 0, row: -1, receipts: undefined, parkedAt: 0 });
    }
    // Included by a batch derived while the sequencer was stopped (no CANON record names it): answered so.
    if (this.includedBatch !== undefined) {
      for (const p of [...entries.values()]) {
        const at = await this.includedBatch(p.hash);
        if (at === undefined || at > this.canonicalBatch) continue;
        entries.delete(p.hash);
        p.level = "included";
        p.batchIndex = at;
        this.pool.byHash.set(p.hash, p);
        this.remember(p.hash);
      }
    }
    const batches = [...log.seals].filter(([index]) => index > this.canonicalBatch).map(([, json]) => json);
    // Sealed batches, with their exact headers, as long as they follow on and their inputs are here.
    const records = batches.map((v) => JSON.parse(v) as {
      index: number; timestamp: number; l1MsgStart: number; l1MsgEnd: number; origin: L1Head; proposer: Address | null; txs: string[];
    }).sort((a, b) => a.index - b.index);
    let replaying = true;
    for (const rec of records) {
      const msgs = this.l1.messages(rec.l1MsgStart).slice(0, rec.l1MsgEnd - rec.l1MsgStart);
      const ptxs = rec.txs.map((h) => entries.get(h));
      const ok = replaying && (rec.proposer ?? undefined) === this.proposer && rec.index === this.soft.batchIndex + 1 && rec.l1MsgStart === this.soft.l1MessagesConsumed &&
        msgs.length === rec.l1MsgEnd - rec.l1MsgStart && rec.timestamp >= this.soft.timestamp &&
        this.l1.head().timestamp <= rec.timestamp + MAX_DRIFT && ptxs.every((p) => p !== undefined);
      if (!ok) {
        replaying = false; // not carried into the new segment: its transactions are loose again
        continue;
      }
      const ex = new BatchExecutor(this.soft, { index: rec.index, timestamp: rec.timestamp, proposer: this.proposer }, msgs, {}, ptxs.length);
      const b: SoftBatch = {
        index: rec.index, timestamp: rec.timestamp, l1MsgStart: rec.l1MsgStart, l1MsgEnd: rec.l1MsgEnd, l1Messages: msgs,
        l1Origin: rec.origin, txs: [], receipts: ex.receipts, bytes: HEADER_BYTES + 16, openedAt: this.clock(), sealed: true,
      };
      for (const p of ptxs as PoolTx[]) {
        p.row = ex.applyTx(p.tx, admit(this.soft, p.tx, p.signer));
        p.level = "soft";
        p.batchIndex = b.index;
        p.receipts = b.receipts;
        b.txs.push(p);
        b.bytes += p.bytes.length - 1;
        this.pool.addSoft(p);
        entries.delete(p.hash);
      }
      ex.finish();
      this.sealedBatches.push(b);
    }
    // Loose transactions: those a rollback undid in batch order, then the others in admission order.
    const loose = [...entries.values()].sort((a, b) => Number(undone.has(b.hash)) - Number(undone.has(a.hash)) || a.seq - b.seq);
    const executed: PoolTx[] = [];
    // Each is handled once: a tx is promoted only after it was parked earlier in this loop.
    for (const p of loose) this.reapply(p, executed);
    // A new segment holding exactly the live state; the replayed segments (and a torn tail) are deleted.
    await this.wal.rotate();
    if (legacy.keys.length > 0) await this.db.batch(legacy.keys.map((key) => ({ type: "del" as const, key })), { sync: true });
  }

  /** Stops admitting, waits for the WAL, stops the workers. */
  async close(): Promise<void> {
    this.closed = true;
    await this.wal.flush().catch(() => undefined);
    this.wal.close();
    await this.admission.close();
  }
}

function sameBatch(b: SoftBatch, c: CanonicalUpdate["batches"][number]): boolean {
  if (b.index !== c.index || b.timestamp !== c.timestamp || b.l1MsgStart !== c.l1MsgStart || b.l1MsgEnd !== c.l1MsgEnd) return false;
  if (b.txs.length !== c.txHashes.length) return false;
  for (let i = 0; i < b.txs.length; i++) if (b.txs[i]!.hash !== c.txHashes[i]) return false;
  return true;
}

function rank(l: Level): number {
  return ["queued", "soft", "included", "safe", "proven", "dropped"].indexOf(l);
}

function poolReason(code: PoolCode, l: MempoolLimits): string {
  switch (code) {
    case PoolCode.POOL_FULL:
      return `the pool holds its maximum of ${l.maxTxs} transactions`;
    case PoolCode.ACCOUNT_LIMIT:
      return `the account has ${l.maxPerAccount} transactions pending`;
    case PoolCode.GAP_TOO_LARGE:
      return `nonce more than ${l.maxNonceGap} ahead of the account's next nonce`;
    case PoolCode.PARKED_LIMIT:
      return `too many transactions waiting in nonce gaps`;
    default:
      return code;
  }
}

export { codeName, SequencerError };
