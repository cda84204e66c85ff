// The market maker's reference-price vocabulary: every source (Binance, Hyperliquid, replay, synthetic)
// produces these events, and data-quality problems are reported beside them, never silently dropped.
// docs/market-maker.md "Reference prices".

/** A price level: price and size in the source's own units (e.g. USDT and BTC), best first. */
export interface RefLevel {
  price: number;
  size: number;
}

export interface RefBookEvent {
  kind: "book";
  /** Source name ("binance", "hyperliquid", "synthetic"). */
  source: string;
  symbol: string;
  /** Exchange timestamp (ms since epoch). */
  exchMs: number;
  /** Local receive time (ms since epoch; the recorded receive time in a replay). */
  recvMs: number;
  /** Bids best (highest) first, asks best (lowest) first; "top" books carry one level each. */
  bids: RefLevel[];
  asks: RefLevel[];
  depth: "top" | "levels";
}

export interface RefTradeEvent {
  kind: "trade";
  source: string;
  symbol: string;
  exchMs: number;
  recvMs: number;
  price: number;
  size: number;
  /** +1: the aggressor bought (lifted the ask); -1: the aggressor sold. */
  aggressor: 1 | -1;
  tradeId: number;
}

export type RefEvent = RefBookEvent | RefTradeEvent;

export const QualityIssueKind = {
  /** No book update for longer than the stale limit (local clock). */
  STALE: "stale",
  /** Best bid >= best ask: the event is dropped. */
  CROSSED: "crossed",
  /** A sequence gap (Binance pu != previous u): the book is rebuilt from a new snapshot. */
  GAP: "gap",
  /** An exchange timestamp or sequence number below one already seen: the event is dropped. */
  OUT_OF_ORDER: "out_of_order",
  /** A message that does not parse or lacks a field: dropped. */
  MALFORMED: "malformed",
} as const;
export type QualityIssueKind = (typeof QualityIssueKind)[keyof typeof QualityIssueKind];

export interface QualityIssue {
  kind: QualityIssueKind;
  source: string;
  recvMs: number;
  detail: string;
}

/** Receives a parser's output. */
export interface FeedSink {
  event(ev: RefEvent): void;
  issue(issue: QualityIssue): void;
}

/** `raw` parsed as a JSON object; undefined once it is reported MALFORMED to `sink` (not JSON, not an object). */
export function parseFeedObject(raw: string, source: string, recvMs: number, sink: FeedSink): Record<string, unknown> | undefined {
  let msg: unknown;
  try {
    msg = JSON.parse(raw);
  } catch {
    sink.issue({ kind: QualityIssueKind.MALFORMED, source, recvMs, detail: "not JSON" });
    return undefined;
  }
  if (typeof msg === "object" && msg !== null) return msg as Record<string, unknown>;
  sink.issue({ kind: QualityIssueKind.MALFORMED, source, recvMs, detail: "not an object" });
  return undefined;
}

/** Turns one raw message of a source into normalized events and issues. */
export interface FeedParser {
  readonly source: string;
  parse(raw: string, recvMs: number, sink: FeedSink): void;
  /** Forgets all stream state (after a reconnect). */
  reset(): void;
}

/** Collects a parser's output in arrays (replay, tests). */
export class CollectSink implements FeedSink {
  readonly events: RefEvent[] = [];
  readonly issues: QualityIssue[] = [];
  event(ev: RefEvent): void {
    this.events.push(ev);
  }
  issue(issue: QualityIssue): void {
    this.issues.push(issue);
  }
}

/** True when the book has both sides and best bid < best ask. */
export function bookUncrossed(bids: readonly RefLevel[], asks: readonly RefLevel[]): boolean {
  return bids.length > 0 && asks.length > 0 && bids[0]!.price < asks[0]!.price;
}

/**
 * Staleness check of one source on the local clock: `check(nowMs)` reports one STALE issue when no book
 * event arrived for more than `staleMs`, and reports again only after the source recovered.
 */
export class StaleMonitor {
  readonly source: string;
  readonly staleMs: number;
  private lastMs = Number.NaN;
  stale = false;
  constructor(source: string, staleMs: number) {
    this.source = source;
    this.staleMs = staleMs;
  }
  /** Pass every event through here. */
  seen(ev: RefEvent): void {
    if (ev.kind !== "book") return;
    this.lastMs = ev.recvMs;
    this.stale = false;
  }
  check(nowMs: number, sink: FeedSink): boolean {
    if (!Number.isNaN(this.lastMs) && nowMs - this.lastMs > this.staleMs && !this.stale) {
      this.stale = true;
      sink.issue({ kind: QualityIssueKind.STALE, source: this.source, recvMs: nowMs, detail: `no book for ${nowMs - this.lastMs} ms` });
    }
    return this.stale;
  }
}
