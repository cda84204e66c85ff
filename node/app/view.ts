// The composed node's NodeView (node/rpc/node-view.ts): what the RPC serves, read from the running roles.
//
// - State reads (markets, books, balances, nonces, open orders) come from one ClobState: the sequencer's
//   soft state on a sequencing node, the derived canonical state on a follower.
// - Receipts, orders, fills, trades and candles are indexed as transactions execute: from the sequencer's
//   soft receipts (sequencing node) or from derivation's batch receipts (follower). A reorg or a rebuild of
//   soft state first rolls back every record of the batches it voids (`rollBack`), so what executes again
//   is indexed as if the first execution never happened (docs/api.md "Rollbacks").
// - With a history index (node/app/history.ts, the composed node) memory keeps only what is soft or not
//   yet written (batches above `floor`: min(included, the store's committed head)) and what is hot (recent
//   trades and candles; resting orders through the index); canonical history is read from LevelDB, so
//   neither start time nor memory grows with it. Without one (benchmarks, tests) everything stays in
//   memory for `retainBatches`.
// - Confirmation levels: soft (executed here) -> included (derived from an L1 block) -> safe (that block is
//   at or below L1's finalized block) -> proven (reported by a prover role through `markProven`).
// - submit: the transaction's canonical bytes go through the sequencer (admission workers, WAL, soft
//   execution); a follower refuses with TX_REJECTED (it does not sequence).
import { ErrorCode, isRejection } from "../clob/errors.ts";
import type { L1Receipt, ReceiptLog, TxReceipt } from "../clob/receipts.ts";
import type { ClobState } from "../clob/state.ts";
import { MarketStatus, type Eip712Domain, type L1Message, type Tx, L1MessageKind } from "../clob/types.ts";
import { encodeTx } from "../codec/tx.ts";
import type {
  Balances, BatchInfo, BookLevel, BookSnapshot, Candle, ConfirmationLevel, DepositInfo, FillInfo, MarketInfo, NodeEvent, NodeView,
  OrderInfo, OrderUpdateInfo, ProofInfo, SubmitResult, SyncInfo, Trade, TxInfo, ProofAt, StateProofInfo, ProofRefusal, FinalizedRange,
  WithdrawalProofInfo, RollupStatus, TxDrop,
} from "../rpc/node-view.ts";
import { RpcError } from "../rpc/errors.ts";
import { warmSoftExecution, type Sequencer } from "../sequencer/index.ts";
import type { HistoryIndex } from "./history.ts";
import { DEFAULT_CANDLE_INTERVALS, candleWith, fillRecsOf, placedOrders, tradeOf, txInfoOf, type FillRec, type TradeRec } from "./history-records.ts";
import { OrderStore } from "./order-store.ts";
import { TxStore } from "./tx-store.ts";

export interface NodeStateViewOptions {
  domain: Eip712Domain;
  /** The state reads are served from (soft state on a sequencer, canonical state on a follower). */
  state: () => ClobState;
  /** The sequencer on a sequencing node (submit goes through it); undefined on a follower. */
  sequencer: () => Sequencer | undefined;
  /** Told the sequencer's verdict on every submitted transaction (admission metrics). */
  onVerdict?: (verdict: "valid" | "invalid" | "error") => void;
  /** Batches whose receipts, orders and fills stay queryable; 0 keeps all. Default 10 000. */
  retainBatches?: number;
  candleIntervals?: number[];
  /** Trades and candles kept per market (default 1000). */
  keepTrades?: number;
  /** L1, derivation, mempool and reorg figures (rb_rollupStatus); the RPC answers null for what is absent. */
  rollup?: () => Partial<RollupStatus>;
  /** Balance, order, exit and withdrawal proofs (node/app/proofs.ts); without it they are refused. */
  proofs?: () => ProofSource | undefined;
  /** Canonical history on disk (the store's indexer); call `load()` before serving. Without it all stays in memory. */
  history?: HistoryIndex;
}

/** What serves proofs to the view (node/app/proofs.ts NodeProofs). */
export interface ProofSource {
  stateProof(key: Uint8Array, at: ProofAt, level: (b: number) => ConfirmationLevel): StateProofInfo | ProofRefusal;
  finalized(): FinalizedRange;
  withdrawal(withdrawalId: number, open: { batchIndex: number; nextWithdrawalId: number } | null): WithdrawalProofInfo | ProofRefusal | null;
}

/** A batch's transactions with their hashes, as they executed (soft or derived). */
export interface ExecutedBatch {
  index: number;
  timestamp: number;
  l1MsgStart: number;
  messages: readonly L1Message[];
  txs: readonly { hash: string; tx: Tx }[];
  receipts: ReceiptLog;
}

const MARKET_STATUS: Record<number, MarketInfo["status"]> = {
  [MarketStatus.ACTIVE]: "active",
  [MarketStatus.CANCEL_ONLY]: "cancel-only",
  [MarketStatus.HALTED]: "halted",
};
const NO_PROOFS = "this node was started without a proof keeper (docs/api.md \"Proofs\")";
interface BatchRec {
  info: BatchInfo;
  txHashes: string[];
}

/**
 * A market's candles before batch `batch` traded in it: the newest candle of each interval (in the view's
 * interval order; undefined: none yet), copied. A rollback to below `batch` puts them back (exact undo).
 */
interface CandleMark {
  batch: number;
  last: (Candle | undefined)[];
}
/** Candle marks kept per market at most (older ones go; a rollback below them reads the history index). */
const MAX_CANDLE_MARKS = 4096;

export class NodeStateView implements NodeView {
  private readonly o: NodeStateViewOptions;
  private readonly retain: number;
  private readonly intervals: number[];
  private readonly keepTrades: number;
  private readonly listeners = new Set<(e: NodeEvent) => void>();
  /**
   * Transactions as the view keeps them: where each one's receipt already is (its batch's ReceiptLog row),
   * its answer built when asked for; or, without a log, the answer itself. Keeping the answer objects of
   * every soft transaction was most of what each acknowledged order left on the heap (docs/benchmarks.md "rpc").
   */
  private readonly txs = new TxStore();
  /**
   * The answers `onTx` built in this event-loop turn, for `submit` to return instead of building them again
   * (the sequencer announces a WAL group's receipts and then answers its submits in the same turn). Cleared
   * at the end of the turn: it holds nothing across turns.
   */
  private readonly fresh = new Map<string, TxInfo>();
  private readonly batches = new Map<number, BatchRec>();
  private readonly orders = new OrderStore();
  /** Order ids by account in placement order. */
  private readonly ordersByAccount = new Map<string, number[]>();
  private readonly fillsByAccount = new Map<string, FillRec[]>();
  private readonly tradesByMarket = new Map<number, TradeRec[]>();
  private readonly candlesByMarket = new Map<number, Map<number, Candle[]>>();
  /** Per market, a mark per batch that traded in it, oldest first (rollBack's candle undo). */
  private readonly candleMarks = new Map<number, CandleMark[]>();
  /** The marks undo rollbacks to this batch or later; below it the history index's candles are read. */
  private candleMarksFrom = 0;
  private readonly deposits = new Map<number, DepositInfo>();
  private included = 0;
  private safe = 0;
  private proven = 0;
  private readonly proofParts = new Map<"prover" | "challenger", () => object>();
  private readonly history: HistoryIndex | undefined;
  /** With a history index: batches up to here are read from it, not from memory. */
  private floor = 0;
  /** Batches written before this view started: their level changes are not announced (no one saw them). */
  private eventFloor = 0;
  /** Level announcements read from the index, in order. */
  private announcing: Promise<void> = Promise.resolve();

  constructor(o: NodeStateViewOptions) {
    this.o = o;
    this.retain = o.retainBatches ?? 10_000;
    this.intervals = o.candleIntervals ?? [...DEFAULT_CANDLE_INTERVALS];
    this.keepTrades = o.keepTrades ?? 1000;
    this.history = o.history;
  }

  /**
   * With a history index: starts from what the store holds (call once, before feeding or serving). Recent
   * trades and candles of every market come back from the index; everything else is read when asked for.
   */
  async load(): Promise<void> {
    const h = this.history;
    if (h === undefined) return;
    this.floor = this.eventFloor = this.candleMarksFrom = h.committed();
    for (const market of this.o.state().marketIds()) {
      const trades = await h.recentTrades(market, this.keepTrades);
      if (trades.length > 0) this.tradesByMarket.set(market, trades);
      const byInterval = new Map<number, Candle[]>();
      for (const i of this.intervals) byInterval.set(i, await h.recentCandles(market, i, this.keepTrades));
      if ([...byInterval.values()].some((l) => l.length > 0)) this.candlesByMarket.set(market, byInterval);
    }
  }

  /**
   * Whether order `id` has a record soft execution of batch `batchIndex` can change: in memory, else a resting
   * order's canonical record copied in (a batch the index has not staged yet builds on the index's latest state).
   */
  private orderFor(id: number, batchIndex: number): boolean {
    if (this.orders.has(id)) return true;
    if (this.history === undefined || batchIndex <= this.history.staged()) return false;
    const c = this.history.openOrder(id);
    if (c !== undefined) this.orders.set(c);
    return c !== undefined;
  }

  // ------------------------------------------------------------------------------------------ feeding

  /** An L1 message seen on L1 (deposits become `queued`). */
  onL1Message(queueIndex: number, msg: L1Message): void {
    if (msg.kind !== L1MessageKind.DEPOSIT || this.deposits.has(queueIndex)) return;
    const d: DepositInfo = { queueIndex, account: msg.account.toLowerCase(), asset: msg.asset, amount: msg.amount, state: "queued", batchIndex: 0, level: null, l1TxHash: null };
    this.deposits.set(queueIndex, d);
    this.emit({ type: "deposit", deposit: { ...d } });
  }

  /**
   * A batch opened (soft) or derived: its L1 messages' outcomes (deposits credited or refunded) and the
   * orders its expiry sweep removed (`expired`, ReceiptLog.expired()).
   */
  onBatchOpened(
    index: number, timestamp: number, l1MsgStart: number, msgs: readonly L1Message[], l1: readonly L1Receipt[], txCount: number, open: boolean,
    expired: readonly OrderUpdateInfo[] = [],
  ): void {
    msgs.forEach((m, i) => this.onL1Message(l1MsgStart + i, m));
    let rec = this.batches.get(index);
    if (rec === undefined) {
      rec = { info: { batchIndex: index, timestamp, txCount, l1Messages: l1.length, level: "soft", open }, txHashes: [] };
      this.batches.set(index, rec);
    } else {
      rec.info.timestamp = timestamp;
      rec.info.open = open;
      rec.info.l1Messages = l1.length;
    }
    const touched: { market: number; side: number; price: number }[] = [];
    for (const u of expired) {
      if (this.orderFor(u.orderId, index)) this.orders.update(u.orderId, u, index);
      touched.push({ market: u.market, side: u.side, price: u.price });
    }
    for (let i = 0; i < l1.length; i++) {
      const r = l1[i]!;
      const d = this.deposits.get(l1MsgStart + i);
      if (d !== undefined && d.batchIndex !== index) {
        d.state = r.code === ErrorCode.OK ? "credited" : "refunded";
        d.batchIndex = index;
        d.level = this.levelOf(index);
        this.emit({ type: "deposit", deposit: { ...d } });
      }
      for (const u of r.orders) {
        if (this.orderFor(u.orderId, index)) this.orders.update(u.orderId, u, index);
        touched.push({ market: u.market, side: u.side, price: u.price });
      }
    }
    if (touched.length > 0) this.emit({ type: "book", touched, batchIndex: index });
    this.emit({ type: "batch", batch: { ...rec.info, level: this.levelOf(index) } });
  }

  /**
   * One executed transaction (soft receipt, or a derived batch's receipt): `r` is row `at.row` of
   * `at.log` when given (the view keeps that reference, not the answer; the log must not be reset while
   * the view serves the batch).
   */
  onTx(batchIndex: number, timestamp: number, txHash: string, tx: Tx, r: TxReceipt, at?: { log: ReceiptLog; row: number }): TxInfo {
    const k = this.txs.slot(txHash);
    const knownBatch = k < 0 ? -1 : this.txs.batchAt(k);
    const knownDropped = k >= 0 && this.txs.droppedAt(k);
    // Re-executed in another batch (a rebuild on another proposer's batch or after a reorg): it leaves the
    // batch it was soft in, so forgetting that batch (eviction, rollback, pruning) does not forget it.
    if (k >= 0 && knownBatch !== batchIndex) this.leaveBatch(txHash, knownBatch);
    const info = txInfoOf(txHash, batchIndex, r, this.levelOf(batchIndex));
    if (this.fresh.size === 0) setImmediate(() => this.fresh.clear());
    this.fresh.set(txHash, info);
    if (at === undefined) this.txs.set(txHash, batchIndex, r.account, undefined, -1, info);
    else this.txs.set(txHash, batchIndex, r.account, at.log, at.row, undefined);
    let rec = this.batches.get(batchIndex);
    if (rec === undefined) {
      rec = { info: { batchIndex, timestamp, txCount: 0, l1Messages: 0, level: "soft", open: true }, txHashes: [] };
      this.batches.set(batchIndex, rec);
    }
    // A transaction seen for the first time or before in another batch is not in this batch's list: no
    // scan of the list (it holds every transaction of the open batch, so a scan per transaction is quadratic).
    if (k < 0 || knownBatch !== batchIndex || !rec.txHashes.includes(txHash)) {
      rec.txHashes.push(txHash);
      rec.info.txCount = rec.txHashes.length;
    }
    const touched: { market: number; side: number; price: number }[] = [];
    // Records are made once per execution: a rollback (rollBack, a rebuild) forgets the execution it undid, and
    // a transaction answered dropped that a derived batch includes after all executes here for the first time.
    if (k < 0 || knownDropped) {
      for (const o of placedOrders(tx, r, batchIndex, txHash)) {
        this.orders.set(o);
        let list = this.ordersByAccount.get(r.account);
        if (list === undefined) this.ordersByAccount.set(r.account, (list = []));
        list.push(o.orderId);
      }
      for (const f of fillRecsOf(r, batchIndex, txHash)) {
        if (this.orderFor(f.takerOrderId, batchIndex)) this.orders.addFilled(f.takerOrderId, f.size);
        if (this.orderFor(f.makerOrderId, batchIndex)) this.orders.addFilled(f.makerOrderId, f.size);
        this.pushFill(f.taker, f);
        if (f.maker !== f.taker) this.pushFill(f.maker, f);
        this.trade(tradeOf(f, timestamp), f.notional);
      }
    }
    for (const u of r.orders) {
      if (this.orderFor(u.orderId, batchIndex)) this.orders.update(u.orderId, u, batchIndex);
      touched.push({ market: u.market, side: u.side, price: u.price });
    }
    this.emit({ type: "tx", tx: info, timestamp });
    if (touched.length > 0) this.emit({ type: "book", touched, batchIndex });
    return info;
  }

  /** A whole derived batch (follower): its L1 messages, then its transactions in order. */
  onDerivedBatch(b: ExecutedBatch): void {
    this.onBatchOpened(b.index, b.timestamp, b.l1MsgStart, b.messages, b.receipts.l1(), b.txs.length, false, b.receipts.expired());
    for (let i = 0; i < b.txs.length; i++) this.onTx(b.index, b.timestamp, b.txs[i]!.hash, b.txs[i]!.tx, b.receipts.tx(i), { log: b.receipts, row: i });
  }

  /** Whether the view has seen batch `index` open. */
  hasBatch(index: number): boolean {
    return this.batches.has(index);
  }

  /** Whether the view indexed transaction `txHash`'s execution (a drop answer is not one). */
  hasTx(txHash: string): boolean {
    const k = this.txs.slot(txHash);
    return k >= 0 && !this.txs.droppedAt(k);
  }

  /**
   * The sequencer dropped an acknowledged transaction (a rebuild on another proposer's batch or after a
   * reorg; a nonce-gap timeout): its answer becomes `dropped` with the reason, it leaves its soft batch, and
   * the account's `txs` subscribers are told. `tx` is the transaction when the view no longer holds its
   * execution (a rebuild's rollback forgot it first), `batchIndex` the batch it was soft in.
   */
  onDropped(txHash: string, drop: TxDrop, tx?: Tx, batchIndex = 0): void {
    const k = this.txs.slot(txHash);
    const info = k >= 0 ? { ...this.infoOf(txHash, k), fills: [], orders: [], actions: [] } : tx !== undefined ? droppedShell(txHash, tx) : undefined;
    if (info === undefined) return;
    if (k < 0) info.batchIndex = batchIndex;
    info.status = "dropped";
    info.level = "soft";
    info.code = drop.code ?? 0;
    info.codeName = drop.reason;
    info.drop = drop;
    this.txs.set(txHash, info.batchIndex, info.account, undefined, -1, info);
    this.fresh.delete(txHash);
    if (k >= 0) this.leaveBatch(txHash, info.batchIndex);
    this.emit({ type: "txDropped", txHash, account: info.account, drop });
  }

  /** Takes `txHash` out of batch `index`'s list (it was dropped, or executed again in another batch). */
  private leaveBatch(txHash: string, index: number): void {
    const rec = this.batches.get(index);
    if (rec === undefined) return;
    const i = rec.txHashes.indexOf(txHash);
    if (i < 0) return;
    rec.txHashes.splice(i, 1);
    rec.info.txCount = rec.txHashes.length;
  }

  /**
   * Everything answered for batches above `batchIndex` is void: an L1 reorg rolled the canonical chain back
   * to it (the history index was rolled back in the same write as the store), or the sequencer is rebuilding
   * its soft state (soft-index.ts: the batches above are soft, the canonical batch that displaced them is
   * indexed next, then what executes again). Afterwards every answer is what a view that never saw those
   * batches gives: their receipts, fills and trades are forgotten, orders they placed are gone, orders
   * placed earlier are back to their state at `batchIndex` (the history index's record: a view without one
   * keeps such an order as last updated, docs/api.md), candles are put back (CandleMark, or the history
   * index's after a reorg below what the marks cover), deposits they credited are queued again. Subscribers
   * get one `rollback` event with what was undone.
   */
  rollBack(batchIndex: number): void {
    let changed = false;
    for (const [index, rec] of this.batches) {
      if (index <= batchIndex) continue;
      changed = true;
      this.batches.delete(index);
      for (const h of rec.txHashes) this.forgetExecuted(h);
    }
    const voidedOrders: OrderInfo[] = [];
    const restoredOrders: OrderInfo[] = [];
    const voided = new Set<number>();
    const accounts = new Set<string>();
    for (const id of this.orders.ids()) {
      if (this.orders.updatedIn(id) <= batchIndex) continue;
      if (this.orders.placedIn(id) > batchIndex) {
        const o = this.orders.get(id)!;
        this.orders.delete(id);
        voidedOrders.push({ ...o, level: this.levelOf(o.updatedBatch) });
        voided.add(id);
        accounts.add(o.account);
        continue;
      }
      const c = this.history?.stagedOrder(id);
      if (c === undefined) continue;
      // The canonical record serves it again (orderFor copies it when a later batch changes it).
      this.orders.delete(id);
      restoredOrders.push({ ...c, level: this.levelOf(c.updatedBatch) });
    }
    for (const acct of accounts) {
      const keep = (this.ordersByAccount.get(acct) ?? []).filter((id) => !voided.has(id));
      if (keep.length === 0) this.ordersByAccount.delete(acct);
      else this.ordersByAccount.set(acct, keep);
    }
    const fills = new Set<FillRec>();
    for (const [acct, list] of this.fillsByAccount) {
      const keep = list.filter((f) => f.batchIndex <= batchIndex || (fills.add(f), false));
      if (keep.length === list.length) continue;
      if (keep.length === 0) this.fillsByAccount.delete(acct);
      else this.fillsByAccount.set(acct, keep);
    }
    const trades: Trade[] = [];
    for (const [market, list] of this.tradesByMarket) {
      const keep = list.filter((t) => t.batchIndex <= batchIndex || (trades.push({ ...t, level: this.levelOf(t.batchIndex) }), false));
      if (keep.length < list.length) this.tradesByMarket.set(market, keep);
    }
    const candles = this.rollBackCandles(batchIndex);
    for (const d of this.deposits.values()) {
      if (d.batchIndex <= batchIndex) continue;
      d.state = "queued";
      d.batchIndex = 0;
      d.level = null;
      this.emit({ type: "deposit", deposit: { ...d } });
    }
    this.included = Math.min(this.included, batchIndex);
    this.safe = Math.min(this.safe, batchIndex);
    this.floor = Math.min(this.floor, batchIndex);
    this.eventFloor = Math.min(this.eventFloor, batchIndex);
    if (!changed && voidedOrders.length + restoredOrders.length + fills.size + trades.length + candles.length === 0) return;
    this.emit({
      type: "rollback", batchIndex, trades, fills: [...fills].map((f) => ({ ...f, level: this.levelOf(f.batchIndex) })), voidedOrders, restoredOrders, candles,
    });
  }

  /** Puts every market's candles back to what they were after batch `batchIndex`; returns what changed. */
  private rollBackCandles(batchIndex: number): { market: number; interval: number; from: number }[] {
    const out: { market: number; interval: number; from: number }[] = [];
    const h = this.history;
    const fromIndex = batchIndex < this.candleMarksFrom && h !== undefined;
    for (const [market, byInterval] of this.candlesByMarket) {
      const marks = this.candleMarks.get(market) ?? [];
      const k = marks.findIndex((m) => m.batch > batchIndex);
      if (!fromIndex && k < 0) continue;
      this.intervals.forEach((interval, i) => {
        // After a reorg below the marks, the history index was rolled back with the store: its newest
        // candle is the one at `batchIndex`.
        const before = fromIndex ? h.currentCandle(market, interval) : marks[k]!.last[i];
        const list = byInterval.get(interval)!;
        const from = before?.start ?? 0;
        while (list.length > 0 && list.at(-1)!.start >= from) list.pop();
        if (before !== undefined) list.push({ ...before });
        out.push({ market, interval, from });
      });
      if (fromIndex) marks.length = 0;
      else marks.length = k;
    }
    if (fromIndex) this.candleMarksFrom = batchIndex;
    return out;
  }

  /** A batch was sealed (no more transactions). */
  onSealed(index: number): void {
    const rec = this.batches.get(index);
    if (rec === undefined) return;
    rec.info.open = false;
    this.emit({ type: "batch", batch: { ...rec.info, level: this.levelOf(index) } });
    this.prune(index);
  }

  /** Derivation reached `included`; L1 finality makes batches up to `safe` safe. */
  setLevels(included: number, safe: number): void {
    this.moveLevels(included, safe, this.proven);
  }

  /** A prover finalized batches up to `batchIndex` on L1. */
  markProven(batchIndex: number): void {
    if (batchIndex <= this.proven) return;
    const prevProven = this.proven;
    this.proven = batchIndex;
    this.moveLevels(Math.max(this.included, batchIndex), Math.max(this.safe, batchIndex), prevProven);
  }

  /** New levels; announces every transaction and batch whose level changed (`prevProven`: before this move). */
  private moveLevels(included: number, safe: number, prevProven: number): void {
    const prevIncluded = this.included;
    const prevSafe = this.safe;
    this.included = Math.max(included, this.proven);
    this.safe = Math.min(Math.max(safe, this.proven), this.included);
    const from = Math.min(prevIncluded, prevSafe) + 1;
    const to = Math.max(this.included, prevIncluded);
    const before = (b: number): ConfirmationLevel => (b <= prevProven ? "proven" : b <= prevSafe ? "safe" : b <= prevIncluded ? "included" : "soft");
    for (let b = Math.max(1, from); b <= to; b++) {
      const level = this.levelOf(b);
      const rec = this.batches.get(b);
      if (rec === undefined) {
        // Written to the index: announced from it (in order) when someone listens and the view saw it happen.
        if (b <= this.floor && b > this.eventFloor && level !== before(b) && this.listeners.size > 0) this.announce(b, level);
        continue;
      }
      if (rec.info.level === level) continue;
      rec.info.level = level;
      for (const h of rec.txHashes) {
        const k = this.txs.slot(h);
        if (k < 0) continue;
        this.emit({ type: "txLevel", txHash: h, account: this.txs.accountAt(k), batchIndex: b, level, reexecuted: false });
      }
      for (const d of this.deposits.values()) if (d.batchIndex === b) d.level = level;
      this.emit({ type: "batch", batch: { ...rec.info } });
    }
    // No rollback goes below the safe batch: the candle marks of batches up to it are not needed.
    for (const marks of this.candleMarks.values()) {
      let k = 0;
      while (k < marks.length && marks[k]!.batch <= this.safe) k++;
      if (k > 0) marks.splice(0, k);
    }
    this.evict();
  }

  /** Announces the level of a batch the history index holds: its transactions, then the batch. */
  private announce(b: number, level: ConfirmationLevel): void {
    const h = this.history!;
    for (const d of this.deposits.values()) if (d.batchIndex === b) d.level = level;
    this.announcing = this.announcing.then(async () => {
      const rec = await h.batchRecord(b);
      if (rec === undefined) return;
      const log = await h.receiptLog(b);
      rec.hashes.forEach((txHash, i) => {
        const account = log !== undefined && i < log.txCount ? log.tx(i).account : "";
        this.emit({ type: "txLevel", txHash, account, batchIndex: b, level, reexecuted: false });
      });
      this.emit({ type: "batch", batch: { batchIndex: b, timestamp: rec.timestamp, txCount: rec.txCount, l1Messages: rec.l1Messages, level, open: false } });
    }).catch(() => undefined);
  }

  /**
   * With a history index: forgets what the index now serves, every batch up to min(included, the store's
   * committed head), keeping what is soft or not yet written.
   */
  private evict(): void {
    const h = this.history;
    if (h === undefined) return;
    const floor = Math.min(this.included, h.committed());
    if (floor <= this.floor) return;
    this.floor = floor;
    for (const [index, rec] of this.batches) {
      if (index > floor || rec.info.open) continue;
      this.batches.delete(index);
      for (const x of rec.txHashes) this.forgetExecuted(x);
    }
    for (const [acct, list] of this.fillsByAccount) {
      const keep = list.filter((f) => f.batchIndex > floor);
      if (keep.length === 0) this.fillsByAccount.delete(acct);
      else if (keep.length < list.length) this.fillsByAccount.set(acct, keep);
    }
    for (const id of this.orders.ids()) if (this.orders.updatedIn(id) <= floor) this.orders.delete(id);
    for (const [acct, list] of this.ordersByAccount) {
      // Placed above the floor: the index does not list it yet (a record a rollback restored is the index's).
      const keep = list.filter((id) => (this.orders.has(id) ? this.orders.placedIn(id) : (h.stagedOrder(id)?.batchIndex ?? 0)) > floor);
      if (keep.length === 0) this.ordersByAccount.delete(acct);
      else if (keep.length < list.length) this.ordersByAccount.set(acct, keep);
    }
  }

  /** The answer for transaction `txHash` kept at slot `k` (built from its receipt log row, at its batch's level). */
  private infoOf(txHash: string, k: number): TxInfo {
    const b = this.txs.batchAt(k);
    return this.txs.infoAt(k) ?? txInfoOf(txHash, b, this.txs.logAt(k)!.tx(this.txs.rowAt(k)), this.levelOf(b));
  }

  /** Forgets transaction `txHash`'s execution (its batch is forgotten); a drop answer stays. */
  private forgetExecuted(txHash: string): void {
    const k = this.txs.slot(txHash);
    if (k >= 0 && !this.txs.droppedAt(k)) this.txs.delete(txHash);
  }

  /** The confirmation level of batch `b`. */
  levelOf(b: number): ConfirmationLevel {
    return b <= this.proven ? "proven" : b <= this.safe ? "safe" : b <= this.included ? "included" : "soft";
  }

  private pushFill(account: string, f: FillRec): void {
    let list = this.fillsByAccount.get(account);
    if (list === undefined) this.fillsByAccount.set(account, (list = []));
    list.push(f);
  }

  private trade(t: TradeRec, notional: number): void {
    let list = this.tradesByMarket.get(t.market);
    if (list === undefined) this.tradesByMarket.set(t.market, (list = []));
    list.push(t);
    if (list.length > 2 * this.keepTrades) list.splice(0, list.length - this.keepTrades);
    let byInterval = this.candlesByMarket.get(t.market);
    if (byInterval === undefined) this.candlesByMarket.set(t.market, (byInterval = new Map(this.intervals.map((i) => [i, []]))));
    let marks = this.candleMarks.get(t.market);
    if (marks === undefined) this.candleMarks.set(t.market, (marks = []));
    if (marks.length === 0 || marks[marks.length - 1]!.batch !== t.batchIndex) this.markCandles(marks, byInterval, t.batchIndex);
    for (const [interval, candles] of byInterval) {
      const last = candles.at(-1);
      const c = candleWith(last, t, notional, interval);
      if (c !== last) {
        candles.push(c);
        if (candles.length > 2 * this.keepTrades) candles.splice(0, candles.length - this.keepTrades);
      }
    }
  }

  /** Batch `batch` trades in a market for the first time: its candles before it (once per market and batch). */
  private markCandles(marks: CandleMark[], byInterval: Map<number, Candle[]>, batch: number): void {
    marks.push({ batch, last: this.intervals.map((i) => { const c = byInterval.get(i)?.at(-1); return c === undefined ? undefined : { ...c }; }) });
    if (marks.length > MAX_CANDLE_MARKS) this.candleMarksFrom = Math.max(this.candleMarksFrom, marks.shift()!.batch);
  }

  /** Without a history index: drops receipts, fills and finished orders older than the retention window. */
  private prune(latest: number): void {
    if (this.retain === 0 || this.history !== undefined) return;
    const floor = latest - this.retain;
    const old = this.batches.get(floor);
    if (old === undefined) return;
    this.batches.delete(floor);
    for (const h of old.txHashes) this.txs.delete(h);
    for (const [acct, list] of this.fillsByAccount) {
      let k = 0;
      while (k < list.length && list[k]!.batchIndex <= floor) k++;
      if (k > 0) list.splice(0, k);
      if (list.length === 0) this.fillsByAccount.delete(acct);
    }
    for (const [acct, list] of this.ordersByAccount) {
      const keep = list.filter((id) => {
        if (this.orders.remaining(id) === 0 && this.orders.updatedIn(id) <= floor) this.orders.delete(id);
        return this.orders.has(id);
      });
      if (keep.length === 0) this.ordersByAccount.delete(acct);
      else this.ordersByAccount.set(acct, keep);
    }
  }

  private emit(e: NodeEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // a subscriber's failure is its own
      }
    }
  }

  // ------------------------------------------------------------------------------------------ NodeView

  domain(): Eip712Domain {
    return this.o.domain;
  }

  markets(): MarketInfo[] {
    const st = this.o.state();
    return st.marketIds().map((id) => {
      const p = st.markets.get(id)!.params;
      return {
        market: id, baseAsset: p.baseAsset, quoteAsset: p.quoteAsset, lotSize: p.lotSize, tickSize: p.tickSize, minSize: p.minSize,
        makerFeePpm: p.makerFeePpm, takerFeePpm: p.takerFeePpm, status: MARKET_STATUS[p.status] ?? "halted",
      };
    });
  }

  book(market: number, depth: number): BookSnapshot | null {
    const st = this.o.state();
    const m = st.markets.get(market);
    if (m === undefined) return null;
    return { market, batchIndex: st.batchIndex, bids: m.book.depth(0, depth), asks: m.book.depth(1, depth) };
  }

  level(market: number, side: number, price: number): BookLevel {
    const m = this.o.state().markets.get(market);
    if (m === undefined) return { price, size: 0, orders: 0 };
    let orders = 0;
    for (const _ of m.book.levelOrders(side as 0 | 1, price)) orders++;
    return { price, size: m.book.sizeAt(side as 0 | 1, price), orders };
  }

  async order(orderId: number): Promise<OrderInfo | null> {
    const o = this.orders.get(orderId) ?? (await this.history?.order(orderId));
    return o === undefined ? null : { ...o, level: this.levelOf(o.updatedBatch) };
  }

  openOrders(account: string, market: number | null): OrderInfo[] {
    const st = this.o.state();
    const a = st.account(account.toLowerCase());
    if (a === undefined) return [];
    const out: OrderInfo[] = [];
    for (const id of st.marketIds()) {
      if (market !== null && id !== market) continue;
      for (const ro of st.markets.get(id)!.book.ordersOf(a.index)) {
        const o = this.orders.get(ro.id) ?? this.history?.openOrder(ro.id);
        out.push(o !== undefined ? { ...o, level: this.levelOf(o.updatedBatch) } : {
          orderId: ro.id, market: id, account: a.address, side: ro.side, price: ro.price, size: ro.size, filled: 0, remaining: ro.size,
          clientId: ro.clientId, state: "open", batchIndex: 0, txHash: "", level: "soft", updatedBatch: 0,
        });
      }
    }
    return out.sort((x, y) => x.orderId - y.orderId);
  }

  async orderHistory(account: string, limit: number): Promise<OrderInfo[]> {
    const acct = account.toLowerCase();
    const list = this.ordersByAccount.get(acct) ?? [];
    const out: OrderInfo[] = [];
    const h = this.history;
    for (let i = list.length - 1; i >= 0 && out.length < limit; i--) {
      // A record a rollback restored is the history index's again.
      const o = this.orders.get(list[i]!) ?? (await h?.order(list[i]!));
      if (o !== undefined) out.push({ ...o, level: this.levelOf(o.updatedBatch) });
    }
    if (h === undefined || out.length >= limit) return out;
    for (const id of await h.orderIds(acct, limit - out.length, new Set(list))) {
      const o = this.orders.get(id) ?? (await h.order(id));
      if (o !== undefined) out.push({ ...o, level: this.levelOf(o.updatedBatch) });
    }
    return out;
  }

  async fills(account: string, limit: number): Promise<FillInfo[]> {
    const acct = account.toLowerCase();
    const list = this.fillsByAccount.get(acct) ?? [];
    const out = list.slice(Math.max(0, list.length - limit)).reverse();
    if (this.history !== undefined && out.length < limit) out.push(...(await this.history.fills(acct, this.floor, limit - out.length)));
    return out.map((f) => ({ ...f, level: this.levelOf(f.batchIndex) }));
  }

  balances(account: string): Balances {
    const st = this.o.state();
    const a = st.account(account.toLowerCase());
    return {
      account: account.toLowerCase(),
      nonce: a?.nonce ?? 0,
      balances: (a?.balances() ?? []).map(([asset, available, locked]) => ({ asset, available, locked })),
      batchIndex: st.batchIndex,
      level: this.levelOf(st.batchIndex),
    };
  }

  nonce(account: string): number {
    return this.o.state().account(account.toLowerCase())?.nonce ?? 0;
  }

  trades(market: number, limit: number): Trade[] {
    const list = this.tradesByMarket.get(market) ?? [];
    return list.slice(Math.max(0, list.length - limit)).map((t) => ({ ...t, level: this.levelOf(t.batchIndex) }));
  }

  candles(market: number, interval: number, limit: number): Candle[] {
    const list = this.candlesByMarket.get(market)?.get(interval) ?? [];
    return list.slice(Math.max(0, list.length - limit)).map((c) => ({ ...c }));
  }

  candleIntervals(): readonly number[] {
    return this.intervals;
  }

  async tx(txHash: string): Promise<TxInfo | null> {
    const h = txHash.toLowerCase();
    const k = this.txs.slot(h);
    if (k >= 0) {
      const t = this.infoOf(h, k);
      if (t.drop !== undefined) return { ...t };
      const level = this.levelOf(t.batchIndex);
      return { ...t, level, fills: t.fills.map((f) => ({ ...f, level })) };
    }
    const stored = await this.history?.tx(h);
    if (stored !== undefined) return txInfoOf(h, stored.batchIndex, stored.receipt, this.levelOf(stored.batchIndex));
    // A drop answer the sequencer recovered from its WAL (or dropped before the view indexed it).
    const seq = this.o.sequencer();
    const s = seq?.status(h);
    if (s?.level !== "dropped" || s.drop === undefined) return null;
    const p = seq!.pool.byHash.get(h);
    const info = droppedShell(h, p?.tx);
    info.drop = { reason: s.drop.reason, code: s.drop.code ?? null };
    info.code = s.drop.code ?? 0;
    info.codeName = s.drop.reason;
    return info;
  }

  async batch(batchIndex: number): Promise<BatchInfo | null> {
    const b = this.batches.get(batchIndex);
    if (b !== undefined) return { ...b.info, level: this.levelOf(batchIndex) };
    const r = await this.history?.batchRecord(batchIndex);
    return r === undefined ? null : { batchIndex, timestamp: r.timestamp, txCount: r.txCount, l1Messages: r.l1Messages, level: this.levelOf(batchIndex), open: false };
  }

  sync(): SyncInfo {
    return { soft: this.o.state().batchIndex, included: this.included, safe: this.safe, proven: this.proven, sequencing: this.o.sequencer() !== undefined };
  }

  proofStatus(): ProofInfo {
    const p: ProofInfo = { provenBatch: this.proven, safeBatch: this.safe, includedBatch: this.included };
    for (const [part, f] of this.proofParts) p[part] = f();
    return p;
  }

  /** A role (prover, challenger) adds its status to rb_proofStatus; undefined removes it. */
  reportProofStatus(part: "prover" | "challenger", f: (() => object) | undefined): void {
    if (f === undefined) this.proofParts.delete(part);
    else this.proofParts.set(part, f);
  }

  rollup(): Partial<RollupStatus> {
    return this.o.rollup?.() ?? {};
  }

  deposit(queueIndex: number): DepositInfo | null {
    const d = this.deposits.get(queueIndex);
    return d === undefined ? null : { ...d, level: d.batchIndex === 0 ? null : this.levelOf(d.batchIndex) };
  }

  depositsByL1Tx(l1TxHash: string): DepositInfo[] {
    const h = l1TxHash.toLowerCase();
    return [...this.deposits.values()].filter((d) => d.l1TxHash === h).map((d) => this.deposit(d.queueIndex)!);
  }

  // Proofs: served by the proof source (the composed node's keeper over the derived state); without one the
  // methods refuse with PROOF_UNAVAILABLE rather than serve a proof against an unchecked root.
  stateProof(key: Uint8Array, at: ProofAt): StateProofInfo | ProofRefusal {
    const p = this.o.proofs?.();
    if (p === undefined) return { refused: "unavailable", reason: NO_PROOFS, provenBatch: this.proven };
    return p.stateProof(key, at, (b) => this.levelOf(b));
  }

  finalized(): FinalizedRange {
    const p = this.o.proofs?.();
    if (p === undefined) throw new RpcError("PROOF_UNAVAILABLE", { reason: NO_PROOFS, provenBatch: this.proven });
    return p.finalized();
  }

  withdrawal(withdrawalId: number): WithdrawalProofInfo | ProofRefusal | null {
    const p = this.o.proofs?.();
    if (p === undefined) return { refused: "unavailable", reason: NO_PROOFS, provenBatch: this.proven };
    const st = this.o.state();
    return p.withdrawal(withdrawalId, { batchIndex: st.batchIndex, nextWithdrawalId: st.nextWithdrawalId });
  }

  submit(tx: Tx, bytes?: Uint8Array): Promise<SubmitResult> {
    const seq = this.o.sequencer();
    if (seq === undefined) return Promise.reject(new RpcError("TX_REJECTED", { reason: "this node only follows L1 (no sequencer role): submit to a sequencing node" }));
    // A promise chain, not an async function: one frame and one promise less per order.
    let verdict: ReturnType<Sequencer["submit"]>;
    try {
      verdict = bytes === undefined ? seq.submit(encodeTx(tx)) : seq.submit(bytes, tx);
    } catch (err) {
      return Promise.reject(err);
    }
    return verdict.then((r) => this.answer(tx, r));
  }

  /** The answer for `tx` from the sequencer's verdict `r` (throws the RpcErrors of submit). */
  private answer(tx: Tx, r: Awaited<ReturnType<Sequencer["submit"]>>): SubmitResult {
    this.o.onVerdict?.(r.verdict);
    if (r.verdict === "error") throw new RpcError("TX_REJECTED", { reason: `${r.code}: ${r.message}` });
    if (r.verdict === "invalid") {
      // The sequencer's own pool refusals (POOL_FULL, ACCOUNT_LIMIT, ...) are not STF codes.
      if (typeof r.code !== "number") throw new RpcError("TX_REJECTED", { reason: `${r.code}: ${r.reason}`, ...(r.hash === undefined ? {} : { txHash: r.hash }) });
      return { ok: false, code: r.code, txHash: r.hash ?? null, nonceConsumed: false, tx: null };
    }
    const k = this.txs.slot(r.hash);
    // The receipt is materialized only for a transaction the view has not indexed (usually it was announced
    // before its answer, and the answer `onTx` built is in `fresh`).
    const receipt = k < 0 ? r.receipt?.() : undefined;
    const info = k >= 0 ? (this.txs.infoAt(k) ?? this.fresh.get(r.hash) ?? this.infoOf(r.hash, k)) : (receipt !== undefined ? this.onTx(r.batchIndex, this.batches.get(r.batchIndex)?.info.timestamp ?? 0, r.hash, tx, receipt) : null);
    if (info === null) {
      // Parked behind a nonce gap: acknowledged (durable), executed when the missing nonces arrive.
      throw new RpcError("NONCE_GAP", { txHash: r.hash, queued: true, reason: "queued behind a nonce gap: executes when the missing nonces arrive" });
    }
    if (info.status === "accepted") return { ok: true, tx: info };
    return { ok: false, code: info.code, txHash: r.hash, nonceConsumed: !isRejection(info.code), tx: info };
  }

  subscribe(listener: (e: NodeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/**
 * Runs the view's indexing and its answers over `n` synthetic orders on a scratch view and state (the
 * start-up warm-up, docs/sequencer.md "Warm-up at start"): the first traders' orders then run optimized
 * code. Returns the milliseconds it took.
 */
export function warmNodeView(domain: Eip712Domain, n: number): number {
  const t0 = performance.now();
  const scratch = new NodeStateView({ domain, state: () => { throw new Error("scratch view: no state reads"); }, sequencer: () => undefined });
  warmSoftExecution(domain, n, (hash, tx, log, row, batchIndex, timestamp) => {
    if (!scratch.hasBatch(batchIndex)) scratch.onBatchOpened(batchIndex, timestamp, 0, [], [], 0, true);
    JSON.stringify(scratch.onTx(batchIndex, timestamp, hash, tx, log.tx(row), { log, row }));
  });
  return performance.now() - t0;
}

/** The answer for a dropped transaction the view never executed (from the transaction itself, if known). */
function droppedShell(txHash: string, tx: Tx | undefined): TxInfo {
  return {
    txHash, account: tx?.account.toLowerCase() ?? "", signer: "", nonce: tx?.nonce ?? 0, kind: tx?.kind ?? 0, status: "dropped", code: 0, codeName: "",
    orderId: 0, withdrawalId: -1, batchIndex: 0, index: -1, level: "soft", fills: [], orders: [], actions: [],
  };
}
