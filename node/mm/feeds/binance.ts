// Binance USD-M futures market data (combined stream: <symbol>@depth@0ms, @trade, @bookTicker, plus the
// REST depth snapshot) normalized to RefEvents, with the documented order-book sync and quality checks.
// docs/market-maker.md "Reference prices / Binance".
//
// Book sync (Binance "How to manage a local order book correctly", USD-M): buffer diffs until a snapshot
// {lastUpdateId L}; drop diffs with u < L; the first applied diff must have U <= L <= u; each later diff's
// `pu` must equal the previous diff's `u`, otherwise it is a GAP: the book is cleared and a new snapshot is
// needed (`needsSnapshot`). Quantity "0" removes a level.

import { type FeedParser, type FeedSink, QualityIssueKind, type RefLevel, bookUncrossed, parseFeedObject } from "./types.ts";

const SOURCE = "binance";

interface DepthDiff {
  U: number;
  u: number;
  pu: number;
  E: number;
  b: [string, string][];
  a: [string, string][];
}

export interface BinanceParserOptions {
  symbol: string;
  /** Levels per side in emitted book events (default 20). */
  levels?: number;
}

export class BinanceParser implements FeedParser {
  readonly source = SOURCE;
  readonly symbol: string;
  private readonly levels: number;
  private readonly bids = new Map<number, number>();
  private readonly asks = new Map<number, number>();
  private synced = false;
  private lastU = -1;
  private snapshotId = -1;
  private buffer: DepthDiff[] = [];
  private lastTradeMs = -1;
  private lastTickerU = -1;
  /** True until a snapshot arrived after start or after a gap. */
  needsSnapshot = true;

  constructor(opts: BinanceParserOptions) {
    this.symbol = opts.symbol.toUpperCase();
    this.levels = opts.levels ?? 20;
  }

  reset(): void {
    this.bids.clear();
    this.asks.clear();
    this.synced = false;
    this.lastU = -1;
    this.snapshotId = -1;
    this.buffer = [];
    this.lastTradeMs = -1;
    this.lastTickerU = -1;
    this.needsSnapshot = true;
  }

  parse(raw: string, recvMs: number, sink: FeedSink): void {
    const m = parseFeedObject(raw, SOURCE, recvMs, sink);
    if (m === undefined) return;
    if ("lastUpdateId" in m) return this.snapshot(m, recvMs, sink);
    const data = (typeof m.data === "object" && m.data !== null ? m.data : m) as Record<string, unknown>;
    switch (data.e) {
      case "depthUpdate":
        return this.depth(data, recvMs, sink);
      case "trade":
        return this.trade(data, recvMs, sink);
      case "bookTicker":
        return this.ticker(data, recvMs, sink);
      default:
        return; // other streams and subscription acks are not ours
    }
  }

  /** The REST snapshot `{lastUpdateId, E, T, bids, asks}` (recorded in the stream, or fetched live). */
  snapshot(m: Record<string, unknown>, recvMs: number, sink: FeedSink): void {
    const L = Number(m.lastUpdateId);
    if (!Number.isSafeInteger(L) || !Array.isArray(m.bids) || !Array.isArray(m.asks)) return this.malformed(sink, recvMs, "bad snapshot");
    this.bids.clear();
    this.asks.clear();
    for (const [p, q] of m.bids as [string, string][]) setLevel(this.bids, p, q);
    for (const [p, q] of m.asks as [string, string][]) setLevel(this.asks, p, q);
    this.snapshotId = L;
    this.synced = false;
    this.needsSnapshot = false;
    const pending = this.buffer;
    this.buffer = [];
    for (const d of pending) this.applyDiff(d, recvMs, sink);
  }

  private depth(d: Record<string, unknown>, recvMs: number, sink: FeedSink): void {
    const diff = d as unknown as DepthDiff;
    if (![diff.U, diff.u, diff.pu, diff.E].every(Number.isSafeInteger) || !Array.isArray(diff.b) || !Array.isArray(diff.a)) {
      return this.malformed(sink, recvMs, "bad depthUpdate");
    }
    if (this.needsSnapshot) {
      this.buffer.push(diff);
      if (this.buffer.length > 10_000) this.buffer.shift();
      return;
    }
    this.applyDiff(diff, recvMs, sink);
  }

  private applyDiff(d: DepthDiff, recvMs: number, sink: FeedSink): void {
    if (!this.synced) {
      if (d.u < this.snapshotId) return; // older than the snapshot
      if (d.U > this.snapshotId) {
        // the snapshot is older than the first diff we hold: we missed updates in between
        this.gap(sink, recvMs, `first diff U=${d.U} after snapshot ${this.snapshotId}`);
        return;
      }
      this.synced = true;
    } else if (d.u <= this.lastU) {
      sink.issue({ kind: QualityIssueKind.OUT_OF_ORDER, source: SOURCE, recvMs, detail: `depth u=${d.u} <= ${this.lastU}` });
      return;
    } else if (d.pu !== this.lastU) {
      this.gap(sink, recvMs, `pu=${d.pu} != previous u=${this.lastU}`);
      return;
    }
    this.lastU = d.u;
    for (const [p, q] of d.b) setLevel(this.bids, p, q);
    for (const [p, q] of d.a) setLevel(this.asks, p, q);
    const bids = topLevels(this.bids, this.levels, true);
    const asks = topLevels(this.asks, this.levels, false);
    if (!bookUncrossed(bids, asks)) {
      sink.issue({ kind: QualityIssueKind.CROSSED, source: SOURCE, recvMs, detail: `depth u=${d.u} bid ${bids[0]?.price} ask ${asks[0]?.price}` });
      return;
    }
    sink.event({ kind: "book", source: SOURCE, symbol: this.symbol, exchMs: d.E, recvMs, bids, asks, depth: "levels" });
  }

  private gap(sink: FeedSink, recvMs: number, detail: string): void {
    sink.issue({ kind: QualityIssueKind.GAP, source: SOURCE, recvMs, detail });
    this.bids.clear();
    this.asks.clear();
    this.synced = false;
    this.needsSnapshot = true;
    this.lastU = -1;
  }

  private trade(d: Record<string, unknown>, recvMs: number, sink: FeedSink): void {
    const price = Number(d.p);
    const size = Number(d.q);
    const t = Number(d.T);
    if (!(price > 0) || !(size > 0) || !Number.isFinite(t) || typeof d.m !== "boolean") return this.malformed(sink, recvMs, "bad trade");
    if (t < this.lastTradeMs) {
      sink.issue({ kind: QualityIssueKind.OUT_OF_ORDER, source: SOURCE, recvMs, detail: `trade T=${t} < ${this.lastTradeMs}` });
      return;
    }
    this.lastTradeMs = t;
    // m: the buyer is the maker, so the aggressor sold
    sink.event({ kind: "trade", source: SOURCE, symbol: this.symbol, exchMs: t, recvMs, price, size, aggressor: d.m ? -1 : 1, tradeId: Number(d.t) });
  }

  private ticker(d: Record<string, unknown>, recvMs: number, sink: FeedSink): void {
    const u = Number(d.u);
    const bid = { price: Number(d.b), size: Number(d.B) };
    const ask = { price: Number(d.a), size: Number(d.A) };
    if (!Number.isSafeInteger(u) || ![bid.price, bid.size, ask.price, ask.size].every(Number.isFinite)) return this.malformed(sink, recvMs, "bad bookTicker");
    if (u < this.lastTickerU) {
      sink.issue({ kind: QualityIssueKind.OUT_OF_ORDER, source: SOURCE, recvMs, detail: `bookTicker u=${u} < ${this.lastTickerU}` });
      return;
    }
    this.lastTickerU = u;
    if (!(bid.price < ask.price)) {
      sink.issue({ kind: QualityIssueKind.CROSSED, source: SOURCE, recvMs, detail: `bookTicker bid ${bid.price} ask ${ask.price}` });
      return;
    }
    sink.event({ kind: "book", source: SOURCE, symbol: this.symbol, exchMs: Number(d.E), recvMs, bids: [bid], asks: [ask], depth: "top" });
  }

  private malformed(sink: FeedSink, recvMs: number, detail: string): void {
    sink.issue({ kind: QualityIssueKind.MALFORMED, source: SOURCE, recvMs, detail });
  }
}

function setLevel(side: Map<number, number>, p: string, q: string): void {
  const price = Number(p);
  const size = Number(q);
  if (!Number.isFinite(price) || !Number.isFinite(size)) return;
  if (size === 0) side.delete(price);
  else side.set(price, size);
}

/** Best n levels of a side (a partial selection: n passes over the map, n is small). */
function topLevels(side: Map<number, number>, n: number, desc: boolean): RefLevel[] {
  const prices = [...side.keys()].sort(desc ? (a, b) => b - a : (a, b) => a - b);
  const out: RefLevel[] = [];
  for (let i = 0; i < prices.length && i < n; i++) out.push({ price: prices[i]!, size: side.get(prices[i]!)! });
  return out;
}

/** Combined-stream URL path of the three streams the parser reads. */
export function binanceStreamPath(symbol: string): string {
  const s = symbol.toLowerCase();
  return `/stream?streams=${s}@depth@0ms/${s}@trade/${s}@bookTicker`;
}

/** REST path of the depth snapshot. */
export function binanceSnapshotPath(symbol: string, limit = 1000): string {
  return `/fapi/v1/depth?symbol=${symbol.toUpperCase()}&limit=${limit}`;
}
