// The node's canonical history on disk (docs/api.md "Order history and retention", docs/operator.md
// "Storage"): key-value indexes in the state store's LevelDB, staged in the SAME atomic write as the batch
// they index (node/state/store.ts StoreIndexer), pruned with its receipts, undone by its rollback.
//
//   'H' 't' hash32                      -> be64 batch | be32 index      a transaction's receipt (rb_getTx)
//   'H' 'b' be64 batch                  -> be64 ts | be32 txs | be32 l1 | txs x hash32   the batch (rb_getBatch)
//   'H' 'a' account20 be64 orderId      -> ''                           the account's orders (rb_getOrderHistory)
//   'H' 'q' be64 orderId                -> OrderRec JSON                a resting order (rewritten as it changes)
//   'H' 'o' be64 orderId                -> OrderRec JSON                a finished order (written once)
//   'H' 'f' account20 be64 batch        -> FillRec[] JSON               the account's fills in that batch (rb_getFills)
//   'H' 'r' be32 market be64 batch      -> TradeRec[] JSON              the market's trades in that batch
//   'H' 'c' be32 market be32 interval be64 start -> Candle JSON         candles (not pruned: one per interval)
//   'H' 'u' be64 batch                  -> IndexUndo                    what the batch wrote: rollback and pruning
//
// In memory it keeps only what is hot: resting orders' records (bounded by the books) and each market's
// current candle per interval, both needed to stage the next batch synchronously, and finished orders until
// their write lands; reads of everything else go to LevelDB through a small LRU of decoded receipt logs.
import { decodeBatch } from "../codec/batch.ts";
import { txHash } from "../clob/eip712.ts";
import type { ReceiptLog, TxReceipt } from "../clob/receipts.ts";
import type { Eip712Domain, Tx } from "../clob/types.ts";
import type { Candle } from "../rpc/node-view.ts";
import type { BatchCommit, StateStore, StoreIndexer, WriteOps } from "../state/store.ts";
import { applyUpdate, candleWith, fillRecsOf, placedOrders, tradeOf, type FillRec, type OrderRec, type TradeRec } from "./history-records.ts";

const H = 0x48;
const T_TX = 0x74, T_BATCH = 0x62, T_ACCT = 0x61, T_OPEN = 0x71, T_DONE = 0x6f, T_FILLS = 0x66, T_TRADES = 0x72, T_CANDLE = 0x63, T_UNDO = 0x75;

function key(t: number, ...parts: (Buffer | number)[]): Buffer {
  const bufs = parts.map((p) => (typeof p === "number" ? be64(p) : p));
  return Buffer.concat([Buffer.from([H, t]), ...bufs]);
}
function be64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}
function be32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}
/** 0x-hex (an address or a hash) as bytes. */
function hexBytes(h: string): Buffer {
  return Buffer.from(h.startsWith("0x") ? h.slice(2) : h, "hex");
}
/** Account addresses as key bytes (few accounts, many keys). */
const accountBytes = new Map<string, Buffer>();
function acct(a: string): Buffer {
  let b = accountBytes.get(a);
  if (b === undefined) {
    b = hexBytes(a);
    if (accountBytes.size > 100_000) accountBytes.clear();
    accountBytes.set(a, b);
  }
  return b;
}
function json(v: unknown): Buffer {
  return Buffer.from(JSON.stringify(v));
}
function parse<T>(b: Buffer): T {
  return JSON.parse(b.toString()) as T;
}
/** The first key after every key starting with `prefix`. */
function after(prefix: Buffer): Buffer {
  const b = Buffer.from(prefix);
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i]! < 0xff) {
      b[i]!++;
      return b.subarray(0, i + 1);
    }
  }
  return Buffer.from([0xff, 0xff]);
}

/**
 * What one batch wrote to the index: keys it created (dropped by rollback and by retention), accounts' order
 * entries of orders it placed (dropped by rollback) and of orders it finished (dropped by retention, with the
 * finished record), and the prior values of keys it rewrote (restored by rollback).
 */
interface IndexUndo {
  created: Buffer[];
  placed: Buffer[];
  finished: Buffer[];
  changed: [Buffer, Buffer | null][];
}

function encodeUndo(u: IndexUndo): Buffer {
  const parts: Buffer[] = [];
  const list = (l: Buffer[]): void => {
    parts.push(be32(l.length));
    for (const k of l) parts.push(Buffer.from([k.length]), k);
  };
  list(u.created);
  list(u.placed);
  list(u.finished);
  parts.push(be32(u.changed.length));
  for (const [k, prev] of u.changed) {
    parts.push(Buffer.from([k.length]), k, be32(prev === null ? 0xffffffff : prev.length));
    if (prev !== null) parts.push(prev);
  }
  return Buffer.concat(parts);
}

function decodeUndo(b: Buffer): IndexUndo {
  let p = 0;
  const bytes = (n: number): Buffer => {
    if (p + n > b.length) throw new Error("history: undo record truncated");
    const out = b.subarray(p, p + n);
    p += n;
    return out;
  };
  const list = (): Buffer[] => {
    const n = bytes(4).readUInt32BE(0);
    const out: Buffer[] = [];
    for (let i = 0; i < n; i++) out.push(bytes(bytes(1)[0]!));
    return out;
  };
  const created = list(), placed = list(), finished = list();
  const n = bytes(4).readUInt32BE(0);
  const changed: [Buffer, Buffer | null][] = [];
  for (let i = 0; i < n; i++) {
    const k = bytes(bytes(1)[0]!);
    const len = bytes(4).readUInt32BE(0);
    changed.push([k, len === 0xffffffff ? null : bytes(len)]);
  }
  return { created, placed, finished, changed };
}

/** A small least-recently-used map. */
export class Lru<K, V> {
  private readonly m = new Map<K, V>();
  private readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  get(k: K): V | undefined {
    const v = this.m.get(k);
    if (v !== undefined) {
      this.m.delete(k);
      this.m.set(k, v);
    }
    return v;
  }
  set(k: K, v: V): void {
    this.m.delete(k);
    this.m.set(k, v);
    if (this.m.size > this.max) this.m.delete(this.m.keys().next().value as K);
  }
  clear(): void {
    this.m.clear();
  }
}

/** A batch's transactions and their hashes, handed over before its commit is staged (derivation's onBatch). */
export interface IndexedBatch {
  index: number;
  timestamp: number;
  txs: readonly Tx[];
  hashes: readonly string[];
}

export interface HistoryOptions {
  /** The EIP-712 domain (hashes of a batch that was not handed over, from its stored data). */
  domain: Eip712Domain;
  /** The store's receipt retention (StoreOptions.keepReceipts; 0 = archive: keep all). */
  keepReceipts: number;
  /** Candle intervals, seconds (the view's). */
  candleIntervals: readonly number[];
  /** Decoded receipt logs kept for transaction reads (default 16 batches). */
  receiptCache?: number;
}

/** A stored batch: its header figures and transaction hashes in order. */
export interface StoredBatch {
  batchIndex: number;
  timestamp: number;
  txCount: number;
  l1Messages: number;
  hashes: string[];
}

export class HistoryIndex implements StoreIndexer {
  private readonly o: HistoryOptions;
  private store: StateStore | undefined;
  /** Resting orders (canonical, as staged). */
  private readonly resting = new Map<number, OrderRec>();
  /** Orders finished in staged batches whose write has not landed yet. */
  private readonly pendingDone = new Map<number, { rec: OrderRec; batch: number }>();
  /** The current candle per market and interval ("market:interval"), as staged. */
  private readonly candles = new Map<string, Candle>();
  private readonly prepared = new Map<number, IndexedBatch>();
  private readonly receiptLogs: Lru<number, ReceiptLog>;
  private committedHead = 0;
  private stagedHead = 0;

  constructor(o: HistoryOptions) {
    this.o = o;
    this.receiptLogs = new Lru(o.receiptCache ?? 16);
  }

  // ------------------------------------------------------------------------------------ StoreIndexer

  async open(store: StateStore): Promise<void> {
    this.store = store;
    this.committedHead = this.stagedHead = store.head()?.batchIndex ?? 0;
    await this.reload();
  }

  /** Hands over batch `b`'s transactions and hashes before its commit is staged. */
  prepare(b: IndexedBatch): void {
    this.prepared.set(b.index, b);
  }

  batch(ops: WriteOps, c: BatchCommit): void {
    const b = c.batchIndex;
    this.stagedHead = b;
    const given = this.prepared.get(b);
    this.prepared.delete(b);
    const batch = given ?? this.fromData(c);
    const u: IndexUndo = { created: [], placed: [], finished: [], changed: [] };
    const put = (k: Buffer, v: Buffer): void => {
      ops.put(k, v);
      u.created.push(k);
    };
    // The batch record: header figures and hashes.
    const hdr = Buffer.alloc(16);
    hdr.writeBigUInt64BE(BigInt(batch.timestamp), 0);
    hdr.writeUInt32BE(batch.hashes.length, 8);
    hdr.writeUInt32BE(c.receipts?.l1Count ?? 0, 12);
    const hashBytes = Buffer.from(batch.hashes.map((h) => h.slice(2)).join(""), "hex");
    put(key(T_BATCH, b), Buffer.concat([hdr, hashBytes]));
    const receipts = c.receipts;
    if (receipts !== undefined) this.stageReceipts(ops, u, put, b, batch, hashBytes, receipts, c.undo !== undefined);
    if (c.undo !== undefined || this.o.keepReceipts > 0) ops.put(key(T_UNDO, b), encodeUndo(u));
  }

  /** `undoable`: the batch may be rolled back, so record what its rewritten keys held before. */
  private stageReceipts(ops: WriteOps, u: IndexUndo, put: (k: Buffer, v: Buffer) => void, b: number, batch: IndexedBatch, hashBytes: Buffer, receipts: ReceiptLog, undoable: boolean): void {
    // Orders this batch changes: working copies, with their record before the batch.
    const dirty = new Map<number, { rec: OrderRec; wasOpen: boolean }>();
    const get = (id: number): OrderRec | undefined => {
      const d = dirty.get(id);
      if (d !== undefined) return d.rec;
      const o = this.resting.get(id);
      if (o === undefined) return undefined;
      const rec = { ...o };
      dirty.set(id, { rec, wasOpen: true });
      return rec;
    };
    const update = (upd: TxReceipt["orders"]): void => {
      for (const x of upd) {
        const o = get(x.orderId);
        if (o !== undefined) applyUpdate(o, x, b);
      }
    };
    update(receipts.expired());
    for (const r of receipts.l1()) update(r.orders);
    const fillsByAccount = new Map<string, FillRec[]>();
    const tradesByMarket = new Map<number, TradeRec[]>();
    // Candles this batch writes, with their value before it (null: new).
    const candlesTouched = new Map<string, { k: Buffer; prev: Buffer | null; c: Candle }>();
    const n = Math.min(receipts.txCount, batch.txs.length);
    for (let i = 0; i < n; i++) {
      const r = receipts.tx(i);
      const h = batch.hashes[i]!;
      const loc = Buffer.alloc(12);
      loc.writeBigUInt64BE(BigInt(b), 0);
      loc.writeUInt32BE(i, 8);
      put(key(T_TX, hashBytes.subarray(32 * i, 32 * i + 32)), loc);
      for (const rec of placedOrders(batch.txs[i]!, r, b, h)) {
        dirty.set(rec.orderId, { rec, wasOpen: false });
        const k = key(T_ACCT, acct(rec.account), rec.orderId);
        ops.put(k, Buffer.alloc(0));
        u.placed.push(k);
      }
      for (const f of fillRecsOf(r, b, h)) {
        const t = get(f.takerOrderId);
        if (t !== undefined) t.filled += f.size;
        const m = get(f.makerOrderId);
        if (m !== undefined) m.filled += f.size;
        for (const a of f.maker !== f.taker ? [f.taker, f.maker] : [f.taker]) {
          let l = fillsByAccount.get(a);
          if (l === undefined) fillsByAccount.set(a, (l = []));
          l.push(f);
        }
        const trade = tradeOf(f, batch.timestamp);
        let tl = tradesByMarket.get(f.market);
        if (tl === undefined) tradesByMarket.set(f.market, (tl = []));
        tl.push(trade);
        for (const interval of this.o.candleIntervals) {
          const ck = `${f.market}:${interval}`;
          const cur = this.candles.get(ck);
          const start = trade.timestamp - (trade.timestamp % interval);
          const k = candleKey(f.market, interval, start);
          const kh = k.toString("latin1");
          if (!candlesTouched.has(kh)) candlesTouched.set(kh, { k, prev: cur !== undefined && cur.start === start ? json(cur) : null, c: cur! });
          const next = candleWith(cur, trade, f.notional, interval);
          candlesTouched.get(kh)!.c = next;
          this.candles.set(ck, next);
        }
      }
      update(r.orders);
    }
    for (const [id, { rec, wasOpen }] of dirty) {
      const qk = key(T_OPEN, id);
      const prev = wasOpen && undoable ? json(this.resting.get(id)) : null;
      if (rec.remaining > 0) {
        ops.put(qk, json(rec));
        if (undoable) u.changed.push([qk, prev]);
        this.resting.set(id, rec);
        continue;
      }
      if (wasOpen) {
        ops.del(qk);
        if (undoable) u.changed.push([qk, prev]);
        this.resting.delete(id);
      }
      put(key(T_DONE, id), json(rec));
      u.finished.push(key(T_ACCT, acct(rec.account), id));
      this.pendingDone.set(id, { rec, batch: b });
    }
    for (const [a, l] of fillsByAccount) put(key(T_FILLS, acct(a), b), json(l));
    for (const [m, l] of tradesByMarket) put(key(T_TRADES, be32(m), b), json(l));
    for (const { k, prev, c } of candlesTouched.values()) {
      if (undoable) u.changed.push([k, prev]);
      ops.put(k, json(c));
    }
  }

  /** A batch that was not handed over: its transactions from the stored data, hashed here. */
  private fromData(c: BatchCommit): IndexedBatch {
    const dec = c.batchData === undefined ? undefined : decodeBatch(c.batchData);
    const txs = dec?.ok === true ? dec.batch.txs : [];
    return { index: c.batchIndex, timestamp: dec?.ok === true ? dec.batch.header.timestamp : 0, txs, hashes: txs.map((t) => txHash(this.o.domain, t)) };
  }

  async prune(ops: WriteOps, floor: number): Promise<void> {
    for await (const [k, v] of this.db().iterator({ gte: key(T_UNDO, 0), lt: key(T_UNDO, floor) })) {
      const u = decodeUndo(v);
      for (const x of u.created) ops.del(x);
      for (const x of u.finished) ops.del(x);
      ops.del(k);
    }
  }

  async undo(ops: WriteOps, i: number): Promise<void> {
    const v = await this.db().get(key(T_UNDO, i));
    if (v === undefined) return;
    const u = decodeUndo(v);
    for (const x of u.created) ops.del(x);
    for (const x of u.placed) ops.del(x);
    for (const [k, prev] of u.changed) {
      if (prev === null) ops.del(k);
      else ops.put(k, prev);
    }
    ops.del(key(T_UNDO, i));
  }

  async final(ops: WriteOps, batchIndex: number): Promise<void> {
    // With retention the records stay until pruning needs them; an archive node needs them only to roll back.
    if (this.o.keepReceipts > 0) return;
    for await (const k of this.db().keys({ gte: key(T_UNDO, 0), lte: key(T_UNDO, batchIndex) })) ops.del(k);
  }

  async reset(ops: WriteOps): Promise<void> {
    for await (const k of this.db().keys({ gte: Buffer.from([H]), lt: Buffer.from([H + 1]) })) ops.del(k);
    this.resting.clear();
    this.candles.clear();
    this.pendingDone.clear();
    this.receiptLogs.clear();
  }

  async written(head: number | null, rolledBack: boolean): Promise<void> {
    this.committedHead = head ?? 0;
    this.stagedHead = Math.max(this.stagedHead, this.committedHead);
    for (const [id, d] of this.pendingDone) if (d.batch <= this.committedHead) this.pendingDone.delete(id);
    if (rolledBack) {
      this.stagedHead = this.committedHead;
      this.prepared.clear();
      this.pendingDone.clear();
      this.receiptLogs.clear();
      await this.reload();
    }
  }

  /** Reads the hot state back from disk: resting orders and each market's current candles. */
  private async reload(): Promise<void> {
    this.resting.clear();
    this.candles.clear();
    const db = this.db();
    for await (const v of db.values({ gte: key(T_OPEN), lt: after(key(T_OPEN)) })) {
      const o = parse<OrderRec>(v);
      this.resting.set(o.orderId, o);
    }
    // Skip-scan: the newest candle of each (market, interval).
    let from = key(T_CANDLE);
    const end = after(key(T_CANDLE));
    for (;;) {
      let k: Buffer | undefined;
      for await (const x of db.keys({ gte: from, lt: end, limit: 1 })) k = x;
      if (k === undefined) break;
      const series = k.subarray(0, 10);
      for await (const v of db.values({ gte: series, lt: after(series), reverse: true, limit: 1 })) {
        const c = parse<Candle>(v);
        this.candles.set(`${k.readUInt32BE(2)}:${k.readUInt32BE(6)}`, c);
      }
      from = after(series);
    }
  }

  private db(): StateStore["db"] {
    if (this.store === undefined) throw new Error("history: the store is not open");
    return this.store.db;
  }

  // ------------------------------------------------------------------------------------------ reads

  /** The last batch whose write landed. */
  committed(): number {
    return this.committedHead;
  }

  /** The last batch staged (its write may not have landed yet). */
  staged(): number {
    return this.stagedHead;
  }

  /** A resting order (canonical, as staged), synchronously. */
  openOrder(orderId: number): OrderRec | undefined {
    return this.resting.get(orderId);
  }

  /** A resting order or one finished in a staged batch whose write has not landed (canonical, as staged), synchronously. */
  stagedOrder(orderId: number): OrderRec | undefined {
    return this.resting.get(orderId) ?? this.pendingDone.get(orderId)?.rec;
  }

  /** A market's newest candle of one interval (canonical, as staged), synchronously. */
  currentCandle(market: number, interval: number): Candle | undefined {
    return this.candles.get(`${market}:${interval}`);
  }

  /** An order by id: resting, finished in a staged batch, or finished on disk. */
  async order(orderId: number): Promise<OrderRec | undefined> {
    const o = this.resting.get(orderId) ?? this.pendingDone.get(orderId)?.rec;
    if (o !== undefined) return { ...o };
    const v = await this.db().get(key(T_DONE, orderId));
    return v === undefined ? undefined : parse<OrderRec>(v);
  }

  /** The account's order ids, newest first (at most `limit`, skipping `skip`). */
  async orderIds(account: string, limit: number, skip: ReadonlySet<number>): Promise<number[]> {
    const prefix = key(T_ACCT, hexBytes(account));
    const out: number[] = [];
    if (limit <= 0) return out;
    for await (const k of this.db().keys({ gte: prefix, lt: after(prefix), reverse: true })) {
      const id = Number(k.readBigUInt64BE(prefix.length));
      if (skip.has(id)) continue;
      out.push(id);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** The account's fills in batches up to `maxBatch`, newest first (at most `limit`). */
  async fills(account: string, maxBatch: number, limit: number): Promise<FillRec[]> {
    const prefix = key(T_FILLS, hexBytes(account));
    const out: FillRec[] = [];
    if (limit <= 0) return out;
    for await (const v of this.db().values({ gte: prefix, lte: Buffer.concat([prefix, be64(maxBatch)]), reverse: true })) {
      const l = parse<FillRec[]>(v);
      for (let i = l.length - 1; i >= 0 && out.length < limit; i--) out.push(l[i]!);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** The batch whose receipt of transaction `hash` the index holds (written), without reading the receipt. */
  async txBatch(hash: string): Promise<number | undefined> {
    const loc = await this.db().get(key(T_TX, hexBytes(hash)));
    return loc === undefined ? undefined : Number(loc.readBigUInt64BE(0));
  }

  /** A transaction's receipt by hash, with its batch. */
  async tx(hash: string): Promise<{ batchIndex: number; receipt: TxReceipt } | undefined> {
    const loc = await this.db().get(key(T_TX, hexBytes(hash)));
    if (loc === undefined) return undefined;
    const batchIndex = Number(loc.readBigUInt64BE(0));
    const log = await this.receiptLog(batchIndex);
    const i = loc.readUInt32BE(8);
    return log === undefined || i >= log.txCount ? undefined : { batchIndex, receipt: log.tx(i) };
  }

  /** A stored batch's header figures and hashes. */
  async batchRecord(batchIndex: number): Promise<StoredBatch | undefined> {
    const v = await this.db().get(key(T_BATCH, batchIndex));
    if (v === undefined) return undefined;
    const txCount = v.readUInt32BE(8);
    const hashes: string[] = [];
    for (let i = 0; i < txCount; i++) hashes.push(`0x${v.subarray(16 + 32 * i, 48 + 32 * i).toString("hex")}`);
    return { batchIndex, timestamp: Number(v.readBigUInt64BE(0)), txCount, l1Messages: v.readUInt32BE(12), hashes };
  }

  /** The receipt log of a batch (cached). */
  async receiptLog(batchIndex: number): Promise<ReceiptLog | undefined> {
    const hit = this.receiptLogs.get(batchIndex);
    if (hit !== undefined) return hit;
    const log = await this.store!.receipts(batchIndex);
    if (log !== undefined) this.receiptLogs.set(batchIndex, log);
    return log;
  }

  /** A market's newest trades, oldest first (at most `limit`). */
  async recentTrades(market: number, limit: number): Promise<TradeRec[]> {
    const prefix = key(T_TRADES, be32(market));
    const out: TradeRec[] = [];
    for await (const v of this.db().values({ gte: prefix, lt: after(prefix), reverse: true })) {
      const l = parse<TradeRec[]>(v);
      for (let i = l.length - 1; i >= 0 && out.length < limit; i--) out.push(l[i]!);
      if (out.length >= limit) break;
    }
    return out.reverse();
  }

  /** A market's newest candles of one interval, oldest first (at most `limit`). */
  async recentCandles(market: number, interval: number, limit: number): Promise<Candle[]> {
    const prefix = key(T_CANDLE, be32(market), be32(interval));
    const out: Candle[] = [];
    for await (const v of this.db().values({ gte: prefix, lt: after(prefix), reverse: true, limit })) out.push(parse<Candle>(v));
    return out.reverse();
  }

  /** Resting orders whose records are kept in memory (a figure for metrics and tests). */
  openCount(): number {
    return this.resting.size;
  }
}

function candleKey(market: number, interval: number, start: number): Buffer {
  return key(T_CANDLE, be32(market), be32(interval), start);
}
