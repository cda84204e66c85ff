// Hyperliquid public WebSocket market data (l2Book and trades subscriptions) normalized to RefEvents.
// docs/market-maker.md "Reference prices / Hyperliquid".
//
// l2Book messages are whole books (up to 20 levels a side) stamped with `time` (ms); a time below the
// last one is OUT_OF_ORDER and dropped. Trades come in arrays; side "B" means the aggressor bought, "A"
// that it sold. Trade ids are not sequential, so trade gaps cannot be detected; trades older than the
// last seen trade time are OUT_OF_ORDER (the first trades message after subscribing is a snapshot of
// recent trades: accepted, in time order).

import { type FeedParser, type FeedSink, QualityIssueKind, type RefLevel, bookUncrossed, parseFeedObject } from "./types.ts";

const SOURCE = "hyperliquid";

export class HyperliquidParser implements FeedParser {
  readonly source = SOURCE;
  readonly coin: string;
  private lastBookMs = -1;
  private lastTradeMs = -1;
  constructor(opts: { coin: string }) {
    this.coin = opts.coin;
  }

  reset(): void {
    this.lastBookMs = -1;
    this.lastTradeMs = -1;
  }

  parse(raw: string, recvMs: number, sink: FeedSink): void {
    const m: { channel?: unknown; data?: unknown } | undefined = parseFeedObject(raw, SOURCE, recvMs, sink);
    if (m === undefined) return;
    if (m.channel === "l2Book") return this.book(m.data, recvMs, sink);
    if (m.channel === "trades") return this.trades(m.data, recvMs, sink);
    // subscriptionResponse, pong, other channels: not market data
  }

  private book(data: unknown, recvMs: number, sink: FeedSink): void {
    const d = data as { coin?: unknown; levels?: unknown; time?: unknown } | null;
    if (!d || d.coin !== this.coin) return;
    const time = Number(d.time);
    if (!Number.isFinite(time) || !Array.isArray(d.levels) || d.levels.length !== 2) return this.malformed(sink, recvMs, "bad l2Book");
    const bids = levels(d.levels[0]);
    const asks = levels(d.levels[1]);
    if (bids === null || asks === null) return this.malformed(sink, recvMs, "bad l2Book level");
    if (time < this.lastBookMs) {
      sink.issue({ kind: QualityIssueKind.OUT_OF_ORDER, source: SOURCE, recvMs, detail: `l2Book time ${time} < ${this.lastBookMs}` });
      return;
    }
    this.lastBookMs = time;
    if (!bookUncrossed(bids, asks)) {
      sink.issue({ kind: QualityIssueKind.CROSSED, source: SOURCE, recvMs, detail: `l2Book bid ${bids[0]?.price} ask ${asks[0]?.price}` });
      return;
    }
    sink.event({ kind: "book", source: SOURCE, symbol: this.coin, exchMs: time, recvMs, bids, asks, depth: "levels" });
  }

  private trades(data: unknown, recvMs: number, sink: FeedSink): void {
    if (!Array.isArray(data)) return this.malformed(sink, recvMs, "bad trades");
    for (const t of data as Record<string, unknown>[]) {
      if (t?.coin !== this.coin) continue;
      const price = Number(t.px);
      const size = Number(t.sz);
      const time = Number(t.time);
      if (!(price > 0) || !(size > 0) || !Number.isFinite(time) || (t.side !== "A" && t.side !== "B")) {
        this.malformed(sink, recvMs, "bad trade");
        continue;
      }
      if (time < this.lastTradeMs) {
        sink.issue({ kind: QualityIssueKind.OUT_OF_ORDER, source: SOURCE, recvMs, detail: `trade time ${time} < ${this.lastTradeMs}` });
        continue;
      }
      this.lastTradeMs = time;
      sink.event({ kind: "trade", source: SOURCE, symbol: this.coin, exchMs: time, recvMs, price, size, aggressor: t.side === "B" ? 1 : -1, tradeId: Number(t.tid) });
    }
  }

  private malformed(sink: FeedSink, recvMs: number, detail: string): void {
    sink.issue({ kind: QualityIssueKind.MALFORMED, source: SOURCE, recvMs, detail });
  }
}

function levels(raw: unknown): RefLevel[] | null {
  if (!Array.isArray(raw)) return null;
  const out: RefLevel[] = [];
  for (const l of raw as { px?: unknown; sz?: unknown }[]) {
    const price = Number(l?.px);
    const size = Number(l?.sz);
    if (!(price > 0) || !(size >= 0)) return null;
    out.push({ price, size });
  }
  return out;
}

/** The subscription messages the live adapter sends after connecting. */
export function hyperliquidSubscriptions(coin: string): string[] {
  return [
    JSON.stringify({ method: "subscribe", subscription: { type: "l2Book", coin } }),
    JSON.stringify({ method: "subscribe", subscription: { type: "trades", coin } }),
  ];
}
