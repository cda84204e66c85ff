// The derivation pipeline (ARCHITECTURE.md "node/derive", docs/derivation.md): L1 traversal -> Inbox events
// and the L1 message queue -> batch data (node/da) -> batch validity -> decode (node/codec) -> STF
// (node/clob) -> state root (node/state) -> one atomic commit (node/state/store.ts). Every node that follows
// the same L1 reaches the same state: invalid batches from any proposer are no-op batches (their L1 messages
// still apply), decided from L1 data alone.
//
// One step handles one L1 block: its data is fetched completely before anything executes (so a temporary
// error retries the block without having changed state), then its messages are queued and its batches
// executed in log order. Near the head the blocks of one step are one atomic write; while syncing history,
// blocks accumulate into one write until `historyCommitBatches` batches or `historyCommitLeaves` leaf
// operations (a follower need not fsync after every batch of history), and that write runs while the next
// group executes. Blocks above the L1 finalized block are committed with undo records, so a reorg rolls
// the store back to the common ancestor and derivation continues from there.
import { EventEmitter } from "node:events";
import type { Address, Hex, PublicClient } from "viem";
import type { Registry } from "prom-client";
import type { ClobState, ChainConfig } from "../clob/state.ts";
import { createGenesisState } from "../clob/state.ts";
import { applyBatch, type Withdrawal } from "../clob/stf.ts";
import type { Derived } from "../state/derive.ts";
import type { ReceiptLog } from "../clob/receipts.ts";
import { TxKind, type L1Message, type Tx } from "../clob/types.ts";
import type { BlobFetcher, IpfsBackup } from "../da/index.ts";
import { L1Follower, L1RpcError, type L1BlockRef, type L1Client } from "../l1/follower.ts";
import { StateCommitment, hex } from "../state/commitment.ts";
import { StateStore, StoreError, type L1BlockRecord, type StoreWrite } from "../state/store.ts";
import { moduleLogger, type Logger } from "../log.ts";
import { BATCH_VALIDITY_NAME, BatchValidity, InputMismatch, checkBatchValidity, type ValidityResult } from "./validity.ts";
import { DataKind, blobDataHash, type BatchCommitment } from "./commitment.ts";
import { reasonName } from "../codec/errors.ts";
import { decodeBatch } from "../codec/batch.ts";
import { DeriveError, critical, temporary } from "./errors.ts";
import { InboxEvents, type BlockEvents, type Proposal } from "./inbox-events.ts";
import { deriveMetrics, type DeriveMetrics } from "./metrics.ts";
import { DataRetrieval, type BatchData } from "./retrieval.ts";
import { encodeBatchInput } from "./prover-input.ts";
import { applyBatchRecording, buildWitness } from "../state/witness.ts";
import { L1Traversal } from "./traversal.ts";
import { SignerRecovery, admittedFrom, type RecoveredSigners } from "./recovery.ts";
import { domainSeparator } from "../clob/eip712.ts";
import { WakeableSleep } from "../wakeable-sleep.ts";

const ZERO32 = `0x${"00".repeat(32)}` as Hex;

export interface DeriverOptions {
  /** L1 execution client (blocks, logs, transactions). */
  client: PublicClient;
  inbox: Address;
  /** First L1 block that may hold Inbox events (the deployment block). */
  startBlock: number;
  /** Genesis chain config: EIP-712 domain {chainId, Inbox} and fee account (docs/stf.md "State"). */
  genesis: Pick<ChainConfig, "domain"> & { feeAccount?: Address };
  /** An open store (the deriver does not close it). */
  store: StateStore;
  fetcher: BlobFetcher;
  ipfs?: IpfsBackup;
  /** L1 blocks to stay behind the head (default 0). */
  confirmations?: number;
  /** Sleep between polls when caught up, ms (default 1000). */
  pollIntervalMs?: number;
  /** While more than `historyLagBlocks` behind the head, commit every this many batches (default 32)... */
  historyCommitBatches?: number;
  /** ... or once this many distinct state leaves are staged, whichever comes first (default 16,384). */
  historyCommitLeaves?: number;
  /**
   * Batches derived as final (at or below the L1 finalized block) write their leaf changes as one record each
   * (the store's leaf log, StoreWrite BatchCommit.logged) instead of one LevelDB key per leaf (default true).
   * The log is folded into leaves (StateStore.fold) before the first batch committed with undo records,
   * when it reaches `foldBytes`, when the loop is idle and at stop().
   */
  logLeaves?: boolean;
  /** Fold the leaf log once its records reach this many bytes (default 64 MiB: bounds the memory of a fold and the time of a load). */
  foldBytes?: number;
  /** How far behind the head counts as syncing history (default 64 blocks). */
  historyLagBlocks?: number;
  /** L1 blocks fetched per request while syncing history (headers in parallel, logs in one call; default 256). */
  historyRangeBlocks?: number;
  /** Record each batch's prover input (witness included; node/derive/prover-input.ts) with its commit. */
  proverInputs?: boolean;
  /**
   * Keep each valid batch's data as posted with its commit (StateStore batchData, pruned with the receipts),
   * so the node can index its transactions again after a restart (node/app). Default false.
   */
  keepBatchData?: boolean;
  /**
   * Worker threads recovering the signers of batches fetched ahead while the main thread executes (default
   * 0: the STF recovers inline). Results are identical either way (docs/derivation.md "Signer recovery pipeline").
   */
  recoveryThreads?: number;
  /** Batches whose data is fetched (and, with recovery threads, whose signers are recovered) ahead of execution (default 4). */
  prefetchBatches?: number;
  /** Receipts kept with each batch ("full", default) or not built at all ("none"). */
  receipts?: "full" | "none";
  /** Replace the L1 client used by the follower (tests inject failures). */
  followerClient?: L1Client;
  /**
   * Called for every batch as it executes (before its commit is staged), for a sequencer on the same store
   * (node/app): returns the mempool (WAL) keys the batch's atomic commit deletes.
   */
  onBatch?: (b: CanonicalBatchInput) => readonly string[];
  /**
   * Called on a reorg before the store rolls back, with the valid batches the rollback undoes (with this hook
   * set, their data is kept with their undo records) in batch order: returns mempool records (StoreWrite `mempool.put`: key
   * without the `p:` prefix, value) written in the rollback's own atomic write. A sequencer on the same
   * store (node/app) keeps the undone transactions there, so none is lost if the node stops at any point.
   */
  onRollback?: (undone: readonly UndoneBatch[]) => readonly [string, Uint8Array][];
  logger?: Logger;
  registry?: Registry;
}

/** A batch as derivation executes it: header fields and its transactions (none for an invalid batch). */
export interface CanonicalBatchInput {
  index: number;
  timestamp: number;
  l1MsgStart: number;
  l1MsgEnd: number;
  txs: readonly Tx[];
  /** The L1 messages the batch consumes, decoded, in queue order. */
  messages: readonly L1Message[];
}

/** A valid batch a rollback undoes: its index and transactions, in batch order. */
export interface UndoneBatch {
  index: number;
  txs: readonly Tx[];
}

/** What happened to one derived batch. */
export interface DerivedBatch {
  batchIndex: number;
  root: Hex;
  l1Block: number;
  l1Hash: Hex;
  proposer: Address;
  valid: boolean;
  /** Why the batch is a no-op: a packing/decode reason or a validity rule. */
  invalidReason?: string;
  txCount: number;
  l1MessageCount: number;
  receipts?: ReceiptLog;
  /** The proposing L1 transaction, its data (EIP-4844 versioned hashes, or calldata), posted bytes and IPFS CID (binary, 0x: none). */
  l1Tx: Hex;
  blobHashes: readonly Hex[];
  calldata: boolean;
  bytes: number;
  ipfsCid: Hex;
  /** Orders placed (Place transactions and Bulk place actions). */
  orders: number;
  /** The batch's leaf changes (valid only during the event: copy what you keep) and its withdrawals. */
  derived: Derived;
  withdrawals: readonly Withdrawal[];
}

export interface ReorgInfo {
  fromL1: number;
  toL1: number;
  fromBatch: number;
  toBatch: number;
}

export interface SyncStatus {
  l1Head: number | undefined;
  l1Safe: number | undefined;
  l1Finalized: number | undefined;
  /** Last L1 block derived (and its hash). */
  l1Derived: number;
  l1DerivedHash: Hex;
  /** Blocks between the L1 head and the last derived block. */
  lag: number | undefined;
  batchIndex: number;
  stateRoot: Hex;
  /** Batches derived but not yet written (history sync). */
  pendingBatches: number;
  running: boolean;
  lastError?: { level: string; code: string; message: string };
}

export interface DeriverEvents {
  batch: [DerivedBatch];
  reorg: [ReorgInfo];
  error: [DeriveError];
}

/** A proposal's data, fetched ahead, and its signers being recovered on a worker. */
interface Fetched {
  data: BatchData;
  signers?: Promise<RecoveredSigners | undefined>;
}

interface Prepared {
  proposal: Proposal;
  data: BatchData;
  signers?: Promise<RecoveredSigners | undefined>;
  /** c(i) as committed by the Inbox (event + proposing block). */
  commitment: BatchCommitment;
  /** b(i-1). */
  parentChain: Hex;
}

export class Deriver extends EventEmitter<DeriverEvents> {
  readonly store: StateStore;
  readonly follower: L1Follower;
  private readonly o: DeriverOptions;
  private readonly log: Logger;
  private readonly metrics: DeriveMetrics;
  private readonly traversal: L1Traversal;
  private readonly events: InboxEvents;
  private readonly retrieval: DataRetrieval;
  private state: ClobState;
  private commitment: StateCommitment;
  /** Position after the last derived block. */
  private cursor: L1BlockRecord;
  /** L1 messages seen and not yet consumed, by index. */
  private queue = new Map<number, Uint8Array>();
  private pending: StoreWrite | null = null;
  /** The last write submitted (history sync: written while the next group executes) and its completion. */
  private submitted: { w: StoreWrite; done: Promise<void> } | null = null;
  private running = false;
  private loop: Promise<void> | null = null;
  /** The loop's poll and backoff pause, cut short by stop(). */
  private readonly pause = new WakeableSleep();
  private lastError: DeriveError | undefined;
  private prunedAt = -1;
  /** Blocks fetched ahead with their events (history sync), not derived yet. */
  private ahead: BlockEvents[] = [];
  /** Data of upcoming proposals being fetched, by `<block hash>:<batch index>`. */
  private prefetched = new Map<string, Promise<Fetched>>();
  private readonly recovery: SignerRecovery | undefined;
  /** Where the time goes (ms, cumulative since open): for `npm run bench -- follower` and operators. */
  readonly stats = { l1Ms: 0, fetchMs: 0, recoveryWaitMs: 0, decodeMs: 0, stfMs: 0, rootMs: 0, commitMs: 0, foldMs: 0, batches: 0, txs: 0 };

  private constructor(o: DeriverOptions, loaded: { state: ClobState; commitment: StateCommitment }, cursor: L1BlockRecord, queue: Map<number, Uint8Array>) {
    super();
    this.o = o;
    this.store = o.store;
    this.log = (o.logger ?? moduleLogger("derive")).child({ component: "deriver" });
    this.metrics = deriveMetrics(o.registry);
    this.follower = new L1Follower(o.followerClient ?? o.client, { confirmations: o.confirmations });
    this.traversal = new L1Traversal(this.follower, cursor);
    this.events = new InboxEvents(o.client, o.inbox);
    this.retrieval = new DataRetrieval({ client: o.client, fetcher: o.fetcher, ipfs: o.ipfs });
    this.state = loaded.state;
    this.commitment = loaded.commitment;
    this.cursor = cursor;
    this.queue = queue;
    const threads = o.recoveryThreads ?? 0;
    this.recovery = threads > 0 ? new SignerRecovery(domainSeparator(loaded.state.config.domain), threads) : undefined;
  }

  /**
   * Opens derivation on `store`: an empty store starts from the genesis state at the block before
   * `startBlock`; otherwise the stored state and L1 cursor are loaded (root checked) and derivation resumes.
   */
  static async open(o: DeriverOptions): Promise<Deriver> {
    const store = o.store;
    let loaded = await store.load();
    let cursor = (await store.l1Cursor()) as L1BlockRecord | undefined;
    if (loaded === null || cursor === undefined) {
      if (loaded !== null) throw critical("STORE", "store has a state but no L1 cursor: not a derivation store");
      const state = createGenesisState({ domain: o.genesis.domain, feeAccount: o.genesis.feeAccount });
      const commitment = StateCommitment.fromState(state);
      const follower = new L1Follower(o.followerClient ?? o.client);
      const base = o.startBlock > 0 ? await follower.blockByNumber(o.startBlock - 1) : undefined;
      if (o.startBlock > 0 && base === undefined) throw critical("L1_RPC", `L1 block ${o.startBlock - 1} not found`);
      const ref: L1BlockRef = base ?? { number: -1, hash: ZERO32, parentHash: ZERO32, timestamp: 0 };
      cursor = { ...ref, batchIndex: 0, messageCount: 0, batchChain: ZERO32, queueHash: ZERO32 };
      await store.writeFullState(commitment, 0);
      await store.begin().l1Block(cursor).write();
      loaded = { state, commitment, head: store.head()! };
    }
    const queue = new Map<number, Uint8Array>();
    for (const [i, m] of await store.l1Messages(loaded.state.l1MessagesConsumed)) queue.set(i, m);
    const d = new Deriver(o, loaded, cursor, queue);
    await d.recovery?.ready(); // the recovery threads have loaded their code before the first batch
    return d;
  }

  /** Starts the background loop (idempotent). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops the loop after the current step, writes what is pending (the leaf log folded) and stops the recovery threads. */
  async stop(): Promise<void> {
    this.running = false;
    this.pause.wake();
    await this.loop;
    this.loop = null;
    await this.flush();
    await this.fold();
    await this.recovery?.close();
  }

  /** The current sync status. */
  status(): SyncStatus {
    const tips = this.follower.tips();
    return {
      l1Head: tips?.head.number,
      l1Safe: tips?.safe?.number,
      l1Finalized: tips?.finalized?.number,
      l1Derived: this.cursor.number,
      l1DerivedHash: this.cursor.hash,
      lag: tips === undefined ? undefined : Math.max(0, tips.head.number - this.cursor.number),
      batchIndex: this.state.batchIndex,
      stateRoot: hex(this.commitment.root()),
      pendingBatches: this.pending?.batches ?? 0,
      running: this.running,
      lastError: this.lastError === undefined ? undefined : { level: this.lastError.level, code: this.lastError.code, message: this.lastError.message },
    };
  }

  /** The last derived L1 block with the batch and queue positions after it. */
  cursorBlock(): L1BlockRecord {
    return this.cursor;
  }

  /** Raw L1 messages seen and not yet consumed by a batch, from queue index `from` on, in order. */
  queuedMessages(from: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let i = from; this.queue.has(i); i++) out.push(this.queue.get(i)!);
    return out;
  }

  /** The in-memory state at the last derived batch (read-only for callers). */
  current(): { state: ClobState; commitment: StateCommitment } {
    return { state: this.state, commitment: this.commitment };
  }

  /**
   * Derives until caught up with the L1 head (minus confirmations) and writes everything: for tests, tools
   * and benchmarks. Temporary errors are retried up to `retries` times; reset errors are handled.
   */
  async syncToHead(retries = 20): Promise<SyncStatus> {
    let failures = 0;
    for (;;) {
      try {
        if ((await this.step()) === "idle") break;
        failures = 0;
      } catch (err) {
        const e = this.classify(err);
        if (e.level === "critical" || ++failures > retries) throw e;
        await sleep(100);
      }
    }
    await this.flush();
    return this.status();
  }

  /**
   * One step: derive the next L1 block, or handle a reorg. Returns "idle" when there is no new block.
   * Throws DeriveError (temporary: retry; critical: stop).
   */
  async step(): Promise<"progress" | "idle"> {
    if (this.ahead.length === 0) {
      let blocks: L1BlockRef[] | "wait";
      const t = performance.now();
      try {
        // Finalized history: logs of a window; more than one block behind: a linked range of headers; else one block.
        const tips = this.follower.tips();
        const fin = tips?.finalized;
        // More than one block behind: a range of headers (linked by parent hash) and their logs in one request.
        const behind = tips === undefined ? 0 : tips.head.number - this.follower.confirmations - this.cursor.number;
        if (fin !== undefined && fin.number > this.cursor.number && this.cursor.number >= 0 && (await this.follower.blockByNumber(this.cursor.number))?.hash === this.cursor.hash) {
          // Finalized history cannot reorg: one log request per range, headers only where there are events.
          const to = Math.min(fin.number, this.cursor.number + (this.o.historyRangeBlocks ?? 256) * 8);
          this.ahead = await this.events.finalizedRange(this.cursor.number + 1, to, (n) => this.follower.blockByNumber(n));
          blocks = this.ahead.map((e) => e.block);
        } else {
          blocks = behind > 1 ? await this.traversal.nextRange(Math.min(behind, this.o.historyRangeBlocks ?? 256)) : await this.traversal.next().then((b) => (b === "wait" ? b : [b]));
          if (blocks !== "wait") this.ahead = await this.events.ofRange(blocks);
        }
      } catch (err) {
        if (err instanceof DeriveError && err.level === "reset") {
          await this.flush();
          await this.reorg(err.message);
          return "progress";
        }
        throw err;
      } finally {
        this.stats.l1Ms += performance.now() - t;
      }
      const tips = this.follower.tips();
      if (tips !== undefined) {
        this.metrics.l1Head.set(tips.head.number);
        this.metrics.l1Lag.set(Math.max(0, tips.head.number - this.cursor.number));
      }
      if (blocks === "wait") {
        await this.flush();
        await this.pruneFinal();
        return "idle";
      }
    }
    await this.deriveBlock(this.ahead[0]!, this.ahead.length === 1);
    this.ahead.shift();
    return "progress";
  }

  // ------------------------------------------------------------------------------------------ internals

  private async run(): Promise<void> {
    let backoff = 0;
    while (this.running) {
      try {
        const r = await this.step();
        backoff = 0;
        this.lastError = undefined;
        if (r === "idle") {
          await this.fold(); // caught up: the leaf log of the history just synced becomes leaves
          await this.pause.sleep(this.o.pollIntervalMs ?? 1000);
        }
      } catch (err) {
        const e = this.classify(err);
        this.lastError = e;
        if (e.level === "critical") {
          this.log.error({ err: e.message, code: e.code }, "derivation stopped");
          this.running = false;
          this.emit("error", e);
          break;
        }
        backoff = Math.min(backoff === 0 ? 250 : backoff * 2, 10_000);
        this.log.warn({ err: e.message, code: e.code, retryInMs: backoff }, "derivation step failed, retrying");
        await this.pause.sleep(backoff);
      }
    }
  }

  private classify(err: unknown): DeriveError {
    const e = err instanceof DeriveError ? err : err instanceof L1RpcError ? temporary("L1_RPC", err.message, err) : err instanceof StoreError ? critical("STORE", err.message, err) : critical("STORE", `unexpected: ${(err as Error)?.stack ?? String(err)}`, err);
    this.metrics.errorsTotal.inc({ level: e.level, code: e.code });
    return e;
  }

  /** Derives one block; `last`: the last of the blocks fetched in one step (near the head, the write happens there). */
  private async deriveBlock(ev: BlockEvents, last: boolean): Promise<void> {
    const block = ev.block;
    let t: number;
    // Gather everything first (a temporary error here changes nothing), then execute.
    let messageCount = this.cursor.messageCount;
    for (const m of ev.messages) {
      if (Number(m.index) !== messageCount) throw critical("SEQUENCE", `L1 message ${m.index} in block ${block.number}, expected ${messageCount}`);
      messageCount++;
    }
    const prepared: Prepared[] = [];
    this.prefetch();
    let batchIndex = this.cursor.batchIndex;
    let chain = this.cursor.batchChain;
    let queueHash = this.cursor.queueHash;
    for (const p of ev.proposals) {
      if (Number(p.event.batchIndex) !== batchIndex + 1) throw critical("SEQUENCE", `batch ${p.event.batchIndex} in block ${block.number}, expected ${batchIndex + 1}`);
      t = performance.now();
      const key = `${block.hash}:${p.event.batchIndex}`;
      const pending = this.prefetched.get(key) ?? this.startFetch(p, block);
      this.prefetched.delete(key); // fetched once: a failure is retried with a new request
      const { data, signers } = await pending;
      this.stats.fetchMs += performance.now() - t;
      const e = p.event;
      const commitment: BatchCommitment = {
        index: Number(e.batchIndex),
        dataKind: e.dataKind as DataKind,
        dataHash: e.dataKind === DataKind.BLOBS ? blobDataHash(e.blobHashes) : e.calldataHash,
        l1MsgStart: Number(e.l1MsgStart),
        queueHashStart: queueHash,
        l1MsgEnd: Number(e.l1MsgEnd),
        queueHash: e.queueHash,
        l1Timestamp: block.timestamp,
        l1BlockNumber: block.number,
        proposer: e.proposer.toLowerCase() as Address,
      };
      prepared.push({ proposal: p, data, signers, commitment, parentChain: chain });
      queueHash = e.queueHash;
      batchIndex++;
      chain = p.event.batchChain;
    }

    // Execute and stage the write.
    const tips = this.follower.tips();
    const final = tips?.finalized !== undefined && block.number <= tips.finalized.number;
    const logged = final && this.o.logLeaves !== false;
    if (!logged && prepared.length > 0 && ((this.pending?.loggedBatches ?? 0) > 0 || this.store.loggedBatches > 0)) {
      // Leaves written directly (with undo records) follow logged batches: the log becomes leaves first.
      await this.flush();
      await this.fold();
    }
    const w = (this.pending ??= this.submitted?.w.next() ?? this.store.begin());
    for (const m of ev.messages) {
      const bytes = hexBytes(m.message);
      this.queue.set(Number(m.index), bytes);
      w.message(Number(m.index), bytes);
    }
    for (const p of prepared) {
      const checked = this.check(p); // decode while the batch's signers may still be recovering
      let signers: RecoveredSigners | undefined;
      if (p.signers !== undefined) {
        t = performance.now();
        signers = await p.signers;
        this.stats.recoveryWaitMs += performance.now() - t;
      }
      this.execute(p, checked, block, w, !final, logged, signers);
    }
    const record: L1BlockRecord = { ...block, batchIndex, messageCount, batchChain: chain, queueHash };
    w.l1Block(record);
    this.cursor = record;
    this.traversal.advance(block);
    this.metrics.l1Derived.set(block.number);

    const lag = tips === undefined ? 0 : tips.head.number - block.number;
    const history = lag > (this.o.historyLagBlocks ?? 64);
    if (!history && last) await this.flush();
    else if (w.batches >= (this.o.historyCommitBatches ?? 32) || w.stagedLeaves >= (this.o.historyCommitLeaves ?? 16_384)) await this.flush(false);
  }

  /**
   * Starts fetching the data of the next `prefetchBatches` proposals among the blocks fetched ahead (and
   * recovering their signers on the recovery threads), so that fetching and recovery overlap execution.
   */
  private prefetch(): void {
    const max = this.o.prefetchBatches ?? 4;
    let n = 0;
    for (const ev of this.ahead) {
      for (const p of ev.proposals) {
        if (n++ >= max) return;
        const key = `${ev.block.hash}:${p.event.batchIndex}`;
        if (!this.prefetched.has(key)) this.prefetched.set(key, this.startFetch(p, ev.block));
      }
    }
  }

  private startFetch(p: Proposal, block: L1BlockRef): Promise<Fetched> {
    const f = this.retrieval.fetch(p, block).then((data): Fetched => ({ data, signers: data.ok && this.recovery !== undefined ? this.recovery.recover(data.bytes) : undefined }));
    f.catch(() => undefined); // awaited (and its error handled) when the batch's block is derived
    return f;
  }

  /** Batch validity and decode of the next batch against the current state. */
  private check(p: Prepared): { v: ValidityResult; raw: Uint8Array[] } {
    const t0 = performance.now();
    const ev = p.proposal.event;
    const index = Number(ev.batchIndex);
    const c = p.commitment;
    const raw: Uint8Array[] = [];
    for (let i = c.l1MsgStart; i < c.l1MsgEnd; i++) {
      const m = this.queue.get(i);
      if (m === undefined) throw critical("SEQUENCE", `batch ${index} consumes L1 message ${i}, which was never seen`);
      raw.push(m);
    }
    let v;
    try {
      v = checkBatchValidity({
        commitment: c, parentChain: p.parentChain, data: p.data.ok ? p.data.bytes : new Uint8Array(0),
        versionedHashes: ev.blobHashes, messages: raw, pre: this.state,
      });
    } catch (err) {
      if (err instanceof InputMismatch) throw critical("SEQUENCE", `batch ${index}: ${err.message}`, err);
      throw err;
    }
    this.stats.decodeMs += performance.now() - t0;
    return { v, raw };
  }

  /** STF and state root of one checked batch; stages its commit in `w`. */
  private execute(p: Prepared, { v, raw }: { v: ValidityResult; raw: Uint8Array[] }, block: L1BlockRef, w: StoreWrite, undo: boolean, logged: boolean, signers: RecoveredSigners | undefined): void {
    const t1 = performance.now();
    const ev = p.proposal.event;
    const index = Number(ev.batchIndex);
    const c = p.commitment;
    let invalidReason: string | undefined;
    if (!p.data.ok) invalidReason = `UNDECODABLE_${p.data.reason}`;
    else if (v.outcome !== BatchValidity.VALID) {
      invalidReason = BATCH_VALIDITY_NAME[v.outcome]! + (v.reason === undefined ? "" : `_${reasonName(v.reason)}`);
    }
    const txs = v.batch.txs;
    const msgs = v.messages;
    const mempoolDel = this.o.onBatch?.({ index, timestamp: v.batch.timestamp, l1MsgStart: c.l1MsgStart, l1MsgEnd: c.l1MsgStart + msgs.length, txs, messages: msgs });
    // Signers recovered on a worker from the same bytes (hints: see recovery.ts); none for an invalid batch.
    const admitted = invalidReason === undefined ? admittedFrom(txs, signers) : undefined;
    const applyOptions = { receipts: this.o.receipts ?? "full", admitted } as const;
    let result;
    let proverInput: Uint8Array | undefined;
    if (this.o.proverInputs === true) {
      // The witness of the pre-state: the keys the batch reads, recorded while it executes (node/state/witness.ts).
      const rec = applyBatchRecording(this.state, v.batch, msgs, applyOptions);
      result = rec.result;
      const pvKeys: Uint8Array[] = [];
      const generic = this.commitment.deriveGeneric(this.state, pvKeys);
      const witness = buildWitness(this.commitment.trie, rec.reads, generic, pvKeys).bytes;
      proverInput = encodeBatchInput({
        commitment: c, data: p.data.ok ? p.data.bytes : new Uint8Array(0), versionedHashes: c.dataKind === DataKind.BLOBS ? [...ev.blobHashes] : undefined,
        blobs: c.dataKind === DataKind.BLOBS ? p.data.blobs : undefined, messages: raw, witness,
      });
    } else {
      result = applyBatch(this.state, v.batch, msgs, applyOptions);
    }
    const t2 = performance.now();
    const { root, derived, undo: undoRec } = this.commitment.commitBatch(this.state, { undo });
    const t3 = performance.now();
    this.stats.stfMs += t2 - t1;
    this.stats.rootMs += t3 - t2;
    this.stats.batches++;
    this.stats.txs += txs.length;
    for (let i = c.l1MsgStart; i < c.l1MsgEnd; i++) this.queue.delete(i);
    w.batch({
      batchIndex: index,
      root,
      derived,
      receipts: this.o.receipts === "none" ? undefined : result.receipts,
      withdrawals: result.withdrawals,
      undo: undoRec,
      logged,
      ...(mempoolDel !== undefined && mempoolDel.length > 0 ? { mempool: { del: [...mempoolDel] } } : {}),
      proverInput,
      ...(this.o.keepBatchData === true && invalidReason === undefined && p.data.ok ? { batchData: p.data.bytes } : {}),
      // Above L1-finalized, a valid batch's data stays with its undo record: a rollback hands its txs back (onRollback).
      ...(undo && this.o.onRollback !== undefined && invalidReason === undefined && p.data.ok ? { undoData: p.data.bytes } : {}),
    });
    this.stats.commitMs += performance.now() - t3; // staging the commit
    this.metrics.batchSeconds.observe((performance.now() - t1) / 1000);
    this.metrics.batchesTotal.inc({ result: invalidReason === undefined ? "valid" : "invalid" });
    this.metrics.batchIndex.set(index);
    if (invalidReason !== undefined) this.log.info({ batch: index, proposer: ev.proposer, reason: invalidReason }, "invalid batch: applied as a no-op (L1 messages only)");
    this.emit("batch", {
      batchIndex: index,
      root: hex(root),
      l1Block: block.number,
      l1Hash: block.hash,
      proposer: ev.proposer,
      valid: invalidReason === undefined,
      invalidReason,
      txCount: txs.length,
      l1MessageCount: msgs.length,
      receipts: this.o.receipts === "none" ? undefined : result.receipts,
      l1Tx: p.proposal.txHash,
      blobHashes: ev.blobHashes,
      calldata: c.dataKind !== DataKind.BLOBS,
      bytes: p.data.ok ? p.data.bytes.length : 0,
      ipfsCid: ev.ipfsCid,
      orders: placedOrders(txs),
      derived,
      withdrawals: result.withdrawals,
    });
  }

  /**
   * Writes the pending batches and blocks (one atomic write). With `wait` false (history sync) the write
   * runs while derivation goes on: at most one write is in flight (an earlier one is awaited first, so a
   * failure surfaces at the next flush), and writes land in order; a crash loses only what was not
   * written yet, which is derived again from the last durable cursor.
   */
  private async flush(wait = true): Promise<void> {
    const t = performance.now();
    try {
      const w = this.pending;
      if (w !== null) {
        this.pending = null;
        await this.settle();
        const done = w.write();
        done.catch(() => undefined); // awaited by the next flush or settle
        this.submitted = { w, done };
      }
      if (wait) await this.settle();
    } finally {
      this.stats.commitMs += performance.now() - t;
    }
    if (this.store.loggedBytes >= (this.o.foldBytes ?? 64 * 1024 * 1024)) await this.fold();
  }

  /** Folds the store's leaf log into leaves (after the writes submitted so far); a no-op without a log. */
  private async fold(): Promise<void> {
    if (this.store.loggedBatches === 0) return;
    const t = performance.now();
    try {
      await this.store.fold();
    } finally {
      this.stats.foldMs += performance.now() - t;
    }
  }

  /** Waits for the submitted write (rethrows its error). */
  private async settle(): Promise<void> {
    const s = this.submitted;
    if (s === null) return;
    try {
      await s.done;
    } finally {
      if (this.submitted === s) this.submitted = null;
    }
  }

  /** After a reset: find the common ancestor among the recorded blocks, roll back to it, reload. */
  private async reorg(reason: string): Promise<void> {
    const from = this.cursor;
    const ancestor = await this.follower
      .findCommonAncestor(from.number, async (n) => this.store.l1Block(n), (await this.store.firstL1Block()) ?? 0)
      .catch((err) => {
        throw new DeriveError("temporary", "L1_RPC", (err as Error).message, { cause: err });
      });
    if (ancestor === undefined) throw critical("NO_COMMON_ANCESTOR", `reorg below every recorded L1 block (from ${from.number}): ${reason}`);
    const target = ancestor as L1BlockRecord;
    const keep = this.o.onRollback === undefined ? [] : this.o.onRollback(await this.undoneBatches(target.batchIndex));
    try {
      await this.store.rollback(target.batchIndex, target, keep);
    } catch (err) {
      if (err instanceof StoreError && err.code === "NO_UNDO") throw critical("CANNOT_UNDO", `reorg to L1 block ${target.number} reaches a batch derived as final: ${err.message}`, err);
      throw err;
    }
    const loaded = await this.store.load();
    if (loaded === null) throw critical("STORE", "store empty after rollback");
    this.state = loaded.state;
    this.commitment = loaded.commitment;
    this.cursor = target;
    this.traversal.reset(target);
    this.ahead = [];
    this.prefetched.clear();
    this.queue = new Map();
    for (const [i, m] of await this.store.l1Messages(this.state.l1MessagesConsumed)) this.queue.set(i, m);
    this.metrics.reorgsTotal.inc();
    const info: ReorgInfo = { fromL1: from.number, toL1: target.number, fromBatch: from.batchIndex, toBatch: target.batchIndex };
    this.log.warn({ ...info, reason }, "L1 reorg: rolled back to the common ancestor");
    this.emit("reorg", info);
  }

  /** The valid batches after `batchIndex` a rollback to it undoes, decoded from the data kept with their undo records. */
  private async undoneBatches(batchIndex: number): Promise<UndoneBatch[]> {
    const out: UndoneBatch[] = [];
    for (const [index, data] of await this.store.undoneData(batchIndex)) {
      const d = decodeBatch(data);
      if (!d.ok) throw critical("STORE", `batch ${index}: the data kept with its undo record does not decode (${d.reasonName})`);
      out.push({ index, txs: d.batch.txs });
    }
    return out;
  }

  /** Drops undo and L1 block records that the L1 finalized block makes useless. */
  private async pruneFinal(): Promise<void> {
    const fin = this.follower.tips()?.finalized;
    if (fin === undefined || fin.number <= this.prunedAt || fin.number > this.cursor.number) return;
    const rec = await this.store.l1Block(fin.number);
    if (rec === undefined || rec.hash !== fin.hash) return;
    await this.store.pruneFinal(fin.number, rec.batchIndex);
    this.prunedAt = fin.number;
  }
}

/** Place transactions and Bulk place actions. */
function placedOrders(txs: readonly Tx[]): number {
  let n = 0;
  for (const tx of txs) {
    if (tx.kind === TxKind.PLACE) n++;
    else if (tx.kind === TxKind.BULK) for (const a of tx.actions) if (a.op === TxKind.PLACE) n++;
  }
  return n;
}

function hexBytes(h: Hex): Uint8Array {
  return Buffer.from(h.slice(2), "hex");
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
