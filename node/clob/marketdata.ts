// Market data derived from STF receipts: best bid/ask, depth by price level, recent trades and OHLCV
// candles bucketed by L1 timestamp. A consumer of `BatchResult`s (outside the pure STF core): the RPC
// feeds it every applied batch (soft or derived) and serves its views. It can be bootstrapped from a state
// snapshot (`fromState`) and then follows receipts only. Expired orders leave the levels in the batch whose
// clock passes their expiry (docs/stf.md "Expiry (eager)"): by the sweep's EXPIRED updates, or, for orders
// the sweep left for later batches, by the batch result's `expiredUnswept` list.

import type { ClobState } from "./state.ts";
import type { OrderUpdate } from "./receipts.ts";
import type { BatchResult } from "./stf.ts";
import { Side } from "./types.ts";

export interface Trade {
  market: number;
  batchIndex: number;
  /** L1 timestamp of the batch. */
  timestamp: number;
  price: number;
  size: number;
  notional: number;
  takerSide: Side;
  takerOrderId: number;
  makerOrderId: number;
}

export interface Candle {
  /** Bucket start: floor(timestamp / interval) * interval. */
  start: number;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Base volume in lots. */
  volume: number;
  /** Quote volume (sum of notionals). */
  quoteVolume: number;
  trades: number;
}

export interface Level {
  price: number;
  /** Total remaining lots. */
  size: number;
  orders: number;
}

export interface MarketDataOptions {
  /** Candle intervals in seconds (default 60, 300, 3600, 86400). */
  intervals?: number[];
  /** Trades kept per market (default 1000). */
  maxTrades?: number;
  /** Candles kept per market and interval (default 1000). */
  maxCandles?: number;
}

/** One side's aggregated levels: a price -> level map plus prices sorted best first. */
class SideLevels {
  readonly byPrice = new Map<number, Level>();
  /** Sorted best first (bids descending, asks ascending). */
  readonly prices: number[] = [];
  private readonly desc: boolean;
  constructor(desc: boolean) {
    this.desc = desc;
  }
  private better(a: number, b: number): boolean {
    return this.desc ? a > b : a < b;
  }
  private indexOf(price: number): number {
    let lo = 0;
    let hi = this.prices.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.better(this.prices[mid], price)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  add(price: number, size: number, orders: number): void {
    let l = this.byPrice.get(price);
    if (l === undefined) {
      l = { price, size: 0, orders: 0 };
      this.byPrice.set(price, l);
      this.prices.splice(this.indexOf(price), 0, price);
    }
    l.size += size;
    l.orders += orders;
    if (l.size <= 0 || l.orders <= 0) {
      this.byPrice.delete(price);
      this.prices.splice(this.indexOf(price), 1);
    }
  }
}

interface Tracked {
  side: Side;
  price: number;
  remaining: number;
}

class MarketView {
  readonly bids = new SideLevels(true);
  readonly asks = new SideLevels(false);
  readonly trades: Trade[] = [];
  /** interval -> candles oldest first. */
  readonly candles = new Map<number, Candle[]>();
  last = 0;
  side(s: Side): SideLevels {
    return s === Side.BUY ? this.bids : this.asks;
  }
}

export class MarketData {
  private readonly markets = new Map<number, MarketView>();
  /** Resting orders as last reported: orderId -> side/price/remaining (plus the market in the key map). */
  private readonly orders = new Map<number, Tracked & { market: number }>();
  readonly intervals: number[];
  private readonly maxTrades: number;
  private readonly maxCandles: number;
  /** Last batch index applied. */
  batchIndex = 0;

  constructor(opts: MarketDataOptions = {}) {
    this.intervals = opts.intervals ?? [60, 300, 3600, 86400];
    this.maxTrades = opts.maxTrades ?? 1000;
    this.maxCandles = opts.maxCandles ?? 1000;
  }

  /** Levels initialized from the books of a state (trades and candles start empty). */
  static fromState(state: ClobState, opts: MarketDataOptions = {}): MarketData {
    const md = new MarketData(opts);
    md.batchIndex = state.batchIndex;
    for (const [id, m] of state.markets) {
      const v = md.view(id);
      for (const o of m.book.orders()) {
        if (o.expiry !== 0 && o.expiry <= state.timestamp) continue; // expired, not yet swept
        v.side(o.side).add(o.price, o.size, 1);
        md.orders.set(o.id, { market: id, side: o.side, price: o.price, remaining: o.size });
      }
    }
    return md;
  }

  private view(market: number): MarketView {
    let v = this.markets.get(market);
    if (v === undefined) {
      v = new MarketView();
      for (const i of this.intervals) v.candles.set(i, []);
      this.markets.set(market, v);
    }
    return v;
  }

  /** Consume one applied batch's receipts (in batch order). */
  applyBatch(header: { index: number; timestamp: number }, res: BatchResult): void {
    this.batchIndex = header.index;
    for (const u of res.receipts.expired()) this.update(u);
    for (const r of res.receipts.l1()) for (const u of r.orders) this.update(u);
    for (const r of res.receipts.txs()) {
      for (const f of r.fills) {
        const t: Trade = {
          market: f.market, batchIndex: header.index, timestamp: header.timestamp, price: f.price, size: f.size,
          notional: f.notional, takerSide: f.takerSide, takerOrderId: f.takerOrderId, makerOrderId: f.makerOrderId,
        };
        this.trade(t);
      }
      for (const u of r.orders) this.update(u);
    }
    for (const e of res.expiredUnswept ?? []) this.drop(e.orderId);
  }

  /** An order no longer shown (expired, its removal reported by a later batch). */
  private drop(orderId: number): void {
    const prev = this.orders.get(orderId);
    if (prev === undefined) return;
    this.view(prev.market).side(prev.side).add(prev.price, -prev.remaining, -1);
    this.orders.delete(orderId);
  }

  private update(u: OrderUpdate): void {
    const prev = this.orders.get(u.orderId);
    if (prev !== undefined) {
      this.view(prev.market).side(prev.side).add(prev.price, -prev.remaining, -1);
      this.orders.delete(u.orderId);
    }
    if (u.remaining > 0) {
      this.view(u.market).side(u.side).add(u.price, u.remaining, 1);
      this.orders.set(u.orderId, { market: u.market, side: u.side, price: u.price, remaining: u.remaining });
    }
  }

  private trade(t: Trade): void {
    const v = this.view(t.market);
    v.trades.push(t);
    if (v.trades.length > this.maxTrades) v.trades.splice(0, v.trades.length - this.maxTrades);
    v.last = t.price;
    for (const i of this.intervals) {
      const list = v.candles.get(i)!;
      const start = t.timestamp - (t.timestamp % i);
      let c = list.at(-1);
      if (c === undefined || c.start !== start) {
        c = { start, open: t.price, high: t.price, low: t.price, close: t.price, volume: 0, quoteVolume: 0, trades: 0 };
        list.push(c);
        if (list.length > this.maxCandles) list.splice(0, list.length - this.maxCandles);
      }
      if (t.price > c.high) c.high = t.price;
      if (t.price < c.low) c.low = t.price;
      c.close = t.price;
      c.volume += t.size;
      c.quoteVolume += t.notional;
      c.trades++;
    }
  }

  // ------------------------------------------------------------------------------------------- views

  marketIds(): number[] {
    return [...this.markets.keys()].sort((a, b) => a - b);
  }

  bestBid(market: number): Level | null {
    const s = this.markets.get(market)?.bids;
    return s === undefined || s.prices.length === 0 ? null : { ...s.byPrice.get(s.prices[0])! };
  }

  bestAsk(market: number): Level | null {
    const s = this.markets.get(market)?.asks;
    return s === undefined || s.prices.length === 0 ? null : { ...s.byPrice.get(s.prices[0])! };
  }

  /** Up to `n` levels of `side`, best first. */
  depth(market: number, side: Side, n: number): Level[] {
    const v = this.markets.get(market);
    if (v === undefined) return [];
    const s = v.side(side);
    return s.prices.slice(0, n).map((p) => ({ ...s.byPrice.get(p)! }));
  }

  /** The last `limit` trades, oldest first. */
  trades(market: number, limit = 100): Trade[] {
    const t = this.markets.get(market)?.trades ?? [];
    return t.slice(Math.max(0, t.length - limit));
  }

  lastPrice(market: number): number {
    return this.markets.get(market)?.last ?? 0;
  }

  /** The last `limit` candles of `interval` (one of `intervals`), oldest first. Empty buckets are absent. */
  candles(market: number, interval: number, limit = 100): Candle[] {
    const c = this.markets.get(market)?.candles.get(interval);
    if (c === undefined) return [];
    return c.slice(Math.max(0, c.length - limit)).map((x) => ({ ...x }));
  }
}
