// SoftNode: a NodeView (node-view.ts) over the real STF, in process. It admits each signed transaction
// (canonical signature, recovered signer, nonce), executes it at once into an open batch with the STF's
// BatchExecutor (soft execution: the receipt is the STF's own), seals batches by size or by `seal()`, and
// applies queued L1 messages (deposits, market changes) at the start of the next batch. Confirmation
// levels advance when its owner reports L1 progress (`markLevel`). It keeps the indexes the API reads
// (orders, fills, trades, candles, tx receipts) for `retainBatches` batches (0 = all, the archive setting).
//
// It is what the RPC tests, the fuzzer and the bench run against, and a reference for a sequencer's
// NodeView: no WAL and no L1 here (docs/api.md "Node view").
//
// Proofs (docs/api.md "Proofs"): each sealed batch is committed into the state trie (node/state
// StateCommitment, the same root derivation and the guest compute) and handed to a ProofKeeper with its
// withdrawals; `markLevel(b, "proven")` finalizes the range since the last one in it.

import { domainSeparatorCached, isWellFormed, recoverAddress, txHashFromDigest, txSigningHash, bytesToHex } from "../clob/eip712.ts";
import { ERROR_NAME, ErrorCode, isRejection } from "../clob/errors.ts";
import { OrderStatus, ReceiptStatus, type TxReceipt } from "../clob/receipts.ts";
import { type ClobState, createGenesisState } from "../clob/state.ts";
import { BatchExecutor, admit } from "../clob/stf.ts";
import { StateCommitment } from "../state/commitment.ts";
import { ProofKeeper } from "./proof-keeper.ts";
import { L1MessageKind, MarketStatus, TxKind, isTradingKind, type Address, type Eip712Domain, type L1Message, type Tx } from "../clob/types.ts";
import type {
  BatchInfo, BookLevel, BookSnapshot, Candle, ConfirmationLevel, DepositInfo, FillInfo, MarketInfo, NodeEvent, NodeView,
  OrderInfo, OrderUpdateInfo, ProofInfo, SubmitResult, SyncInfo, Trade, TxInfo, Balances,
  FinalizedRange, ProofAt, ProofRefusal, StateProofInfo, WithdrawalProofInfo,
} from "./node-view.ts";

export interface SoftNodeOptions {
  domain: Eip712Domain;
  feeAccount?: Address;
  /** The batch clock (L1 seconds); default wall-clock seconds. Never goes back in a batch header. */
  now?: () => number;
  /** A batch is sealed once it holds this many transactions (default 10,000). */
  maxBatchTxs?: number;
  /** Batches whose receipts, orders and fills stay queryable; 0 keeps all (archive). Default 0. */
  retainBatches?: number;
  /** Candle intervals in seconds (default 60, 300, 3600, 86400). */
  candleIntervals?: number[];
  /** Trades and candles kept per market (default 1000). */
  keepTrades?: number;
  /**
   * Commit each sealed batch into the state trie and keep the finalized trie, for state roots and state
   * proofs (default true). Off, sealing costs no hashing and state proofs are refused (PROOF_UNAVAILABLE);
   * withdrawal proofs are still served.
   */
  stateProofs?: boolean;
}

interface OrderRec extends OrderInfo {
  /** Index in its account's history list (for pruning). */
  placedBatch: number;
}

interface BatchRec {
  info: BatchInfo;
  txHashes: string[];
}

const MARKET_STATUS: Record<number, MarketInfo["status"]> = {
  [MarketStatus.ACTIVE]: "active",
  [MarketStatus.CANCEL_ONLY]: "cancel-only",
  [MarketStatus.HALTED]: "halted",
};
const STATUS_NAME = ["accepted", "failed", "rejected"] as const;

export class SoftNode implements NodeView {
  readonly state: ClobState;
  private readonly sep: Uint8Array;
  private readonly now: () => number;
  private readonly maxBatchTxs: number;
  private readonly retain: number;
  private readonly intervals: number[];
  private readonly keepTrades: number;
  private ex: BatchExecutor | null = null;
  private open: BatchRec | null = null;
  private pendingL1: { msg: L1Message; queueIndex: number }[] = [];
  private nextQueueIndex = 0;
  private readonly listeners = new Set<(e: NodeEvent) => void>();
  // indexes
  private readonly txs = new Map<string, TxInfo>();
  private readonly batches = new Map<number, BatchRec>();
  private readonly orders = new Map<number, OrderRec>();
  private readonly ordersByAccount = new Map<string, number[]>();
  private readonly fillsByAccount = new Map<string, FillInfo[]>();
  private readonly tradesByMarket = new Map<number, Trade[]>();
  private readonly candlesByMarket = new Map<number, Map<number, Candle[]>>();
  private readonly deposits = new Map<number, DepositInfo>();
  private readonly depositsOfTx = new Map<string, number[]>();
  /** The state trie at the latest sealed batch (null: stateProofs off). */
  private readonly head: StateCommitment | null;
  private readonly proofs: ProofKeeper;
  // confirmation watermarks: highest batch at each level
  private included = 0;
  private safe = 0;
  private proven = 0;

  constructor(opts: SoftNodeOptions) {
    this.state = createGenesisState({ domain: opts.domain, feeAccount: opts.feeAccount });
    this.sep = domainSeparatorCached(this.state.config.domain);
    this.now = opts.now ?? (() => Math.floor(Date.now() / 1000));
    this.maxBatchTxs = opts.maxBatchTxs ?? 10_000;
    this.retain = opts.retainBatches ?? 0;
    this.intervals = opts.candleIntervals ?? [60, 300, 3600, 86400];
    this.keepTrades = opts.keepTrades ?? 1000;
    this.head = opts.stateProofs === false ? null : StateCommitment.fromState(this.state);
    this.proofs = new ProofKeeper(this.head, this.state);
  }

  // ------------------------------------------------------------------------------------------ writes

  /**
   * Queues an L1 message (as derivation would see it); applied at the start of the next batch. `l1TxHash`:
   * the L1 transaction that queued it (rb_getDepositsByTx).
   */
  enqueueL1(msg: L1Message, l1TxHash?: string): number {
    const queueIndex = this.nextQueueIndex++;
    this.pendingL1.push({ msg, queueIndex });
    if (msg.kind === L1MessageKind.DEPOSIT) {
      const tx = l1TxHash?.toLowerCase() ?? null;
      const d: DepositInfo = { queueIndex, l1TxHash: tx, account: msg.account.toLowerCase(), asset: msg.asset, amount: msg.amount, state: "queued", batchIndex: 0, level: null };
      this.deposits.set(queueIndex, d);
      if (tx !== null) {
        const list = this.depositsOfTx.get(tx);
        if (list === undefined) this.depositsOfTx.set(tx, [queueIndex]);
        else list.push(queueIndex);
      }
      this.emit({ type: "deposit", deposit: { ...d } });
    }
    return queueIndex;
  }

  async submit(tx: Tx): Promise<SubmitResult> {
    return this.submitSync(tx);
  }

  /** Admission and soft execution of one transaction (synchronous; `submit` wraps it). */
  submitSync(tx: Tx): SubmitResult {
    if (!isWellFormed(tx)) return { ok: false, code: ErrorCode.MALFORMED, txHash: null, nonceConsumed: false, tx: null };
    const digest = txSigningHash(this.sep, tx);
    const txHash = bytesToHex(txHashFromDigest(digest, tx.sig));
    const signer = recoverAddress(digest, tx.sig);
    const st = this.state;
    const a = admit(st, tx, signer);
    const reject = (code: number): SubmitResult => ({ ok: false, code, txHash, nonceConsumed: false, tx: null });
    if (signer === null) return reject(ErrorCode.INVALID_SIGNATURE);
    // the STF's authorization rule (docs/stf.md), checked before a batch is opened for a tx that cannot pass
    if (signer !== a.address) {
      const acct = a.account < 0 ? undefined : st.accounts[a.account];
      const now = this.ex !== null ? this.ex.now : Math.max(st.timestamp, this.now());
      if (!isTradingKind(tx.kind) || acct === undefined || !acct.agentActive(signer, now)) return reject(ErrorCode.WRONG_SIGNER);
    }
    const expected = a.account < 0 ? 0 : st.accounts[a.account].nonce;
    if (tx.nonce < expected) return reject(ErrorCode.NONCE_TOO_LOW);
    if (tx.nonce > expected) return reject(ErrorCode.NONCE_TOO_HIGH);
    const ex = this.ensureOpen();
    // prices of orders an amend may move (their old level changes too)
    const oldPrices = new Map<number, number>();
    const amends = tx.kind === TxKind.AMEND ? [tx] : tx.kind === TxKind.BULK ? tx.actions.filter((x) => x.op === TxKind.AMEND) : [];
    for (const x of amends) {
      const o = this.orders.get((x as { orderId: number }).orderId);
      if (o !== undefined) oldPrices.set(o.orderId, o.price);
    }
    const row = ex.applyTx(tx, a);
    const r = ex.receipts.tx(row);
    // the STF authenticates (own key or an active agent): a refusal here changed nothing
    if (r.status === ReceiptStatus.REJECTED) return reject(r.code);
    const info = this.record(r, txHash, tx, oldPrices);
    if (this.open!.txHashes.length >= this.maxBatchTxs) this.seal();
    if (r.status === ReceiptStatus.ACCEPTED) return { ok: true, tx: info };
    return { ok: false, code: r.code, txHash, nonceConsumed: !isRejection(r.code), tx: info };
  }

  /** Seals the open batch (opening one first if L1 messages wait). Returns its index, or 0 if none. */
  seal(): number {
    if (this.ex === null && this.pendingL1.length > 0) this.ensureOpen();
    const ex = this.ex;
    const open = this.open;
    if (ex === null || open === null) return 0;
    const res = ex.finish();
    const b = open.info.batchIndex;
    this.proofs.batch(b, this.head === null ? null : this.head.commitBatch(this.state), res.withdrawals);
    this.ex = null;
    this.open = null;
    open.info.open = false;
    this.emit({ type: "batch", batch: { ...open.info } });
    this.prune(open.info.batchIndex);
    return open.info.batchIndex;
  }

  /**
   * Records L1 progress: every batch up to `batchIndex` reached at least `level`. Emits the level changes
   * of their transactions and the batch events.
   */
  markLevel(batchIndex: number, level: Exclude<ConfirmationLevel, "soft">): void {
    const sealed = this.state.batchIndex - (this.ex === null ? 0 : 1);
    const upTo = Math.min(batchIndex, sealed);
    const from = level === "included" ? this.included : level === "safe" ? this.safe : this.proven;
    if (upTo <= from) return;
    if (level === "proven") {
      this.proofs.finalize(upTo);
      this.proven = upTo;
    }
    if (level === "proven" || level === "safe") this.safe = Math.max(this.safe, upTo);
    this.included = Math.max(this.included, upTo);
    for (let b = from + 1; b <= upTo; b++) {
      const rec = this.batches.get(b);
      if (rec === undefined) continue;
      rec.info.level = this.levelOf(b);
      for (const h of rec.txHashes) {
        const t = this.txs.get(h);
        if (t !== undefined) {
          t.level = rec.info.level;
          this.emit({ type: "txLevel", txHash: h, account: t.account, batchIndex: b, level: rec.info.level, reexecuted: false });
        }
      }
      this.emit({ type: "batch", batch: { ...rec.info } });
      for (const d of this.deposits.values()) if (d.batchIndex === b) d.level = rec.info.level;
    }
  }

  /** The post-state root of sealed batch `b` (0: genesis), or null when `b` is not sealed (or stateProofs is off). */
  stateRoot(b: number): string | null {
    return this.proofs.stateRoot(b);
  }

  /** The withdrawal root sealed, unfinalized batches first..last would be finalized with (a prover's public value). */
  withdrawalRoot(first: number, last: number): string {
    return this.proofs.withdrawalRoot(first, last);
  }

  private ensureOpen(): BatchExecutor {
    if (this.ex !== null) return this.ex;
    const st = this.state;
    const index = st.batchIndex + 1;
    const timestamp = Math.max(st.timestamp, this.now());
    const l1 = this.pendingL1;
    this.pendingL1 = [];
    const ex = new BatchExecutor(st, { index, timestamp }, l1.map((p) => p.msg), {}, 256);
    this.ex = ex;
    const rec: BatchRec = { info: { batchIndex: index, timestamp, txCount: 0, l1Messages: l1.length, level: "soft", open: true }, txHashes: [] };
    this.open = rec;
    this.batches.set(index, rec);
    const l1r = ex.receipts.l1();
    const touched: { market: number; side: number; price: number }[] = [];
    for (let i = 0; i < l1.length; i++) {
      const r = l1r[i];
      const d = this.deposits.get(l1[i].queueIndex);
      if (d !== undefined) {
        d.state = r.code === ErrorCode.OK ? "credited" : "refunded";
        d.batchIndex = index;
        d.level = "soft";
        this.emit({ type: "deposit", deposit: { ...d } });
      }
      for (const u of r.orders) {
        const o = this.orders.get(u.orderId);
        if (o !== undefined) this.applyUpdate(o, u, index);
        touched.push({ market: u.market, side: u.side, price: u.price });
      }
    }
    if (touched.length > 0) this.emit({ type: "book", touched, batchIndex: index });
    this.emit({ type: "batch", batch: { ...rec.info } });
    return ex;
  }

  private levelOf(b: number): ConfirmationLevel {
    return b <= this.proven ? "proven" : b <= this.safe ? "safe" : b <= this.included ? "included" : "soft";
  }

  private applyUpdate(o: OrderRec, u: OrderUpdateInfo, batchIndex: number): void {
    o.price = u.price;
    o.remaining = u.remaining;
    o.updatedBatch = batchIndex;
    o.level = "soft";
    if (u.status === OrderStatus.AMENDED) o.size = o.filled + u.remaining;
    if (u.remaining > 0) o.state = o.filled > 0 ? "partially-filled" : "open";
    else if (u.status === OrderStatus.FILLED) o.state = "filled";
    else if (u.status === OrderStatus.EXPIRED) o.state = "expired";
    else o.state = "cancelled";
  }

  /** Indexes one executed transaction and emits its events. */
  private record(r: TxReceipt, txHash: string, tx: Tx, oldPrices: ReadonlyMap<number, number>): TxInfo {
    const open = this.open!;
    const batchIndex = open.info.batchIndex;
    const account = r.account;
    const fills: FillInfo[] = r.fills.map((f) => ({
      market: f.market, price: f.price, size: f.size, notional: f.notional, takerOrderId: f.takerOrderId, makerOrderId: f.makerOrderId,
      taker: f.taker, maker: f.maker, takerSide: f.takerSide, takerFee: f.takerFee, makerFee: f.makerFee, batchIndex, txHash, level: "soft",
    }));
    const info: TxInfo = {
      txHash, account, signer: r.signer, nonce: r.nonce, kind: r.kind, status: STATUS_NAME[r.status], code: r.code, codeName: ERROR_NAME[r.code] ?? "UNKNOWN",
      orderId: r.orderId, withdrawalId: r.withdrawalId, batchIndex, index: r.index, level: "soft", fills, orders: r.orders,
      actions: r.actions.map((x) => ({ op: x.op, status: x.status === ReceiptStatus.ACCEPTED ? "accepted" : "failed", code: x.code, codeName: ERROR_NAME[x.code] ?? "UNKNOWN", orderId: x.orderId })),
    };
    this.txs.set(txHash, info);
    open.txHashes.push(txHash);
    open.info.txCount++;
    const touched: { market: number; side: number; price: number }[] = [];
    const placed: [number, { market: number; side: number; price: number; size: number; clientId: number }][] = [];
    if (tx.kind === TxKind.PLACE && r.orderId !== 0) placed.push([r.orderId, tx]);
    if (tx.kind === TxKind.BULK) {
      r.actions.forEach((ar, i) => {
        const act = tx.actions[i];
        if (ar.orderId !== 0 && act.op === TxKind.PLACE) placed.push([ar.orderId, act]);
      });
    }
    for (const [orderId, p] of placed) {
      const o: OrderRec = {
        orderId, market: p.market, account, side: p.side, price: p.price, size: p.size, filled: 0, remaining: 0,
        clientId: p.clientId, state: "open", batchIndex, txHash, level: "soft", updatedBatch: batchIndex, placedBatch: batchIndex,
      };
      this.orders.set(o.orderId, o);
      let list = this.ordersByAccount.get(account);
      if (list === undefined) this.ordersByAccount.set(account, (list = []));
      list.push(o.orderId);
    }
    for (const f of fills) {
      const t = this.orders.get(f.takerOrderId);
      if (t !== undefined) t.filled += f.size;
      const m = this.orders.get(f.makerOrderId);
      if (m !== undefined) m.filled += f.size;
      this.pushFill(f.taker, f);
      if (f.maker !== f.taker) this.pushFill(f.maker, f);
      this.trade({
        market: f.market, price: f.price, size: f.size, takerSide: f.takerSide, takerOrderId: f.takerOrderId,
        makerOrderId: f.makerOrderId, batchIndex, timestamp: open.info.timestamp, level: "soft",
      }, f.notional);
    }
    for (const u of r.orders) {
      const o = this.orders.get(u.orderId);
      const oldPrice = u.status === OrderStatus.AMENDED ? oldPrices.get(u.orderId) : undefined;
      if (oldPrice !== undefined && oldPrice !== u.price) touched.push({ market: u.market, side: u.side, price: oldPrice });
      if (o !== undefined) this.applyUpdate(o, u, batchIndex);
      touched.push({ market: u.market, side: u.side, price: u.price });
    }
    this.emit({ type: "tx", tx: info, timestamp: open.info.timestamp });
    if (touched.length > 0) this.emit({ type: "book", touched, batchIndex });
    return info;
  }

  private pushFill(account: string, f: FillInfo): void {
    let list = this.fillsByAccount.get(account);
    if (list === undefined) this.fillsByAccount.set(account, (list = []));
    list.push(f);
  }

  private trade(t: Trade, notional: number): void {
    let list = this.tradesByMarket.get(t.market);
    if (list === undefined) this.tradesByMarket.set(t.market, (list = []));
    list.push(t);
    if (list.length > 2 * this.keepTrades) list.splice(0, list.length - this.keepTrades);
    let byInterval = this.candlesByMarket.get(t.market);
    if (byInterval === undefined) {
      byInterval = new Map(this.intervals.map((i) => [i, []]));
      this.candlesByMarket.set(t.market, byInterval);
    }
    for (const [interval, candles] of byInterval) {
      const start = t.timestamp - (t.timestamp % interval);
      let c = candles.at(-1);
      if (c === undefined || c.start !== start) {
        c = { start, open: t.price, high: t.price, low: t.price, close: t.price, volume: 0, quoteVolume: 0, trades: 0 };
        candles.push(c);
        if (candles.length > 2 * this.keepTrades) candles.splice(0, candles.length - this.keepTrades);
      }
      if (t.price > c.high) c.high = t.price;
      if (t.price < c.low) c.low = t.price;
      c.close = t.price;
      c.volume += t.size;
      c.quoteVolume += notional;
      c.trades++;
    }
  }

  /** Drops what is older than the retention window (receipts, batches, closed orders, fills). */
  private prune(latest: number): void {
    if (this.retain === 0) return;
    const floor = latest - this.retain;
    const old = this.batches.get(floor);
    if (old === undefined) return;
    this.batches.delete(floor);
    for (const h of old.txHashes) this.txs.delete(h);
    for (const [acct, list] of this.fillsByAccount) {
      let k = 0;
      while (k < list.length && list[k].batchIndex <= floor) k++;
      if (k > 0) list.splice(0, k);
      if (list.length === 0) this.fillsByAccount.delete(acct);
    }
    for (const [acct, list] of this.ordersByAccount) {
      const keep = list.filter((id) => {
        const o = this.orders.get(id);
        if (o === undefined) return false;
        if (o.remaining === 0 && o.updatedBatch <= floor) {
          this.orders.delete(id);
          return false;
        }
        return true;
      });
      if (keep.length === 0) this.ordersByAccount.delete(acct);
      else this.ordersByAccount.set(acct, keep);
    }
  }

  private emit(e: NodeEvent): void {
    for (const l of this.listeners) l(e);
  }

  // ------------------------------------------------------------------------------------------ reads

  domain(): Eip712Domain {
    return this.state.config.domain;
  }

  markets(): MarketInfo[] {
    return this.state.marketIds().map((id) => {
      const p = this.state.markets.get(id)!.params;
      return {
        market: id, baseAsset: p.baseAsset, quoteAsset: p.quoteAsset, lotSize: p.lotSize, tickSize: p.tickSize, minSize: p.minSize,
        makerFeePpm: p.makerFeePpm, takerFeePpm: p.takerFeePpm, status: MARKET_STATUS[p.status] ?? "halted",
      };
    });
  }

  book(market: number, depth: number): BookSnapshot | null {
    const m = this.state.markets.get(market);
    if (m === undefined) return null;
    return { market, batchIndex: this.state.batchIndex, bids: m.book.depth(0, depth), asks: m.book.depth(1, depth) };
  }

  level(market: number, side: number, price: number): BookLevel {
    const m = this.state.markets.get(market);
    if (m === undefined) return { price, size: 0, orders: 0 };
    let orders = 0;
    for (const _ of m.book.levelOrders(side as 0 | 1, price)) orders++;
    return { price, size: m.book.sizeAt(side as 0 | 1, price), orders };
  }

  order(orderId: number): OrderInfo | null {
    const o = this.orders.get(orderId);
    return o === undefined ? null : this.orderView(o);
  }

  private orderView(o: OrderRec): OrderInfo {
    const { placedBatch: _, ...rest } = o;
    return { ...rest, level: this.levelOf(o.updatedBatch) };
  }

  openOrders(account: string, market: number | null): OrderInfo[] {
    const a = this.state.account(account.toLowerCase());
    if (a === undefined) return [];
    const out: OrderInfo[] = [];
    for (const id of this.state.marketIds()) {
      if (market !== null && id !== market) continue;
      for (const ro of this.state.markets.get(id)!.book.ordersOf(a.index)) {
        const o = this.orders.get(ro.id);
        out.push(o !== undefined ? this.orderView(o) : {
          orderId: ro.id, market: id, account: a.address, side: ro.side, price: ro.price, size: ro.size, filled: 0, remaining: ro.size,
          clientId: ro.clientId, state: "open", batchIndex: 0, txHash: "", level: "soft", updatedBatch: 0,
        });
      }
    }
    return out.sort((x, y) => x.orderId - y.orderId);
  }

  orderHistory(account: string, limit: number): OrderInfo[] {
    const list = this.ordersByAccount.get(account.toLowerCase()) ?? [];
    const out: OrderInfo[] = [];
    for (let i = list.length - 1; i >= 0 && out.length < limit; i--) {
      const o = this.orders.get(list[i]);
      if (o !== undefined) out.push(this.orderView(o));
    }
    return out;
  }

  fills(account: string, limit: number): FillInfo[] {
    const list = this.fillsByAccount.get(account.toLowerCase()) ?? [];
    return list.slice(Math.max(0, list.length - limit)).reverse().map((f) => ({ ...f, level: this.levelOf(f.batchIndex) }));
  }

  balances(account: string): Balances {
    const a = this.state.account(account.toLowerCase());
    return {
      account: account.toLowerCase(),
      nonce: a?.nonce ?? 0,
      balances: (a?.balances() ?? []).map(([asset, available, locked]) => ({ asset, available, locked })),
      batchIndex: this.state.batchIndex,
      // with no batch open the soft state is batch batchIndex's state, at that batch's level
      level: this.ex === null ? this.levelOf(this.state.batchIndex) : "soft",
    };
  }

  nonce(account: string): number {
    return this.state.account(account.toLowerCase())?.nonce ?? 0;
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

  tx(txHash: string): TxInfo | null {
    const t = this.txs.get(txHash.toLowerCase());
    return t === undefined ? null : { ...t, level: this.levelOf(t.batchIndex), fills: t.fills.map((f) => ({ ...f, level: this.levelOf(t.batchIndex) })) };
  }

  batch(batchIndex: number): BatchInfo | null {
    const b = this.batches.get(batchIndex);
    return b === undefined ? null : { ...b.info, level: this.levelOf(batchIndex) };
  }

  sync(): SyncInfo {
    return { soft: this.state.batchIndex, included: this.included, safe: this.safe, proven: this.proven, sequencing: true };
  }

  proofStatus(): ProofInfo {
    return { provenBatch: this.proven, safeBatch: this.safe, includedBatch: this.included };
  }

  deposit(queueIndex: number): DepositInfo | null {
    const d = this.deposits.get(queueIndex);
    return d === undefined ? null : { ...d, level: d.batchIndex === 0 ? null : this.levelOf(d.batchIndex) };
  }

  stateProof(key: Uint8Array, at: ProofAt): StateProofInfo | ProofRefusal {
    return this.proofs.stateProof(key, at, (b) => this.levelOf(b));
  }

  finalized(): FinalizedRange {
    return this.proofs.finalized();
  }

  withdrawal(withdrawalId: number): WithdrawalProofInfo | ProofRefusal | null {
    return this.proofs.withdrawal(withdrawalId, this.open === null ? null : { batchIndex: this.open.info.batchIndex, nextWithdrawalId: this.state.nextWithdrawalId });
  }

  depositsByL1Tx(l1TxHash: string): DepositInfo[] {
    return (this.depositsOfTx.get(l1TxHash.toLowerCase()) ?? []).map((i) => this.deposit(i)!);
  }

  subscribe(listener: (e: NodeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
