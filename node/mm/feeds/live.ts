// Live WebSocket adapters: a reconnecting WebSocket (Node's global WebSocket) feeding a FeedParser.
// BinanceFeed also fetches the REST depth snapshot when the parser needs one (start and every gap);
// HyperliquidFeed sends its subscriptions on open. docs/market-maker.md "Reference prices".

import { BinanceParser, binanceSnapshotPath, binanceStreamPath } from "./binance.ts";
import { HyperliquidParser, hyperliquidSubscriptions } from "./hyperliquid.ts";
import { type FeedParser, type FeedSink, QualityIssueKind } from "./types.ts";

export interface WsFeedOptions {
  url: string;
  parser: FeedParser;
  sink: FeedSink;
  /** Called on every (re)connect with a function that sends a text frame. */
  onOpen?: (send: (text: string) => void) => void;
  /** Called after every parsed message (Binance uses it to fetch snapshots). */
  afterMessage?: () => void;
  /** Reconnect delay bounds in ms (doubling from min to max; default 250..10_000). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Clock for receive times (default Date.now). */
  now?: () => number;
}

/** A reconnecting WebSocket that passes every text message to a parser. */
export class WsFeed {
  private ws: WebSocket | null = null;
  private stopped = true;
  private delay: number;
  private timer: NodeJS.Timeout | null = null;
  private readonly opts: WsFeedOptions;
  private readonly now: () => number;
  /** Connections opened so far (reconnects included). */
  connects = 0;
  messages = 0;

  constructor(opts: WsFeedOptions) {
    this.opts = opts;
    this.delay = opts.reconnectMinMs ?? 250;
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.ws?.close();
    this.ws = null;
  }

  private connect(): void {
    const ws = new WebSocket(this.opts.url);
    this.ws = ws;
    ws.addEventListener("open", () => {
      this.connects++;
      this.delay = this.opts.reconnectMinMs ?? 250;
      this.opts.parser.reset();
      this.opts.onOpen?.((text) => ws.send(text));
    });
    ws.addEventListener("message", (e: MessageEvent) => {
      if (typeof e.data !== "string") return;
      this.messages++;
      this.opts.parser.parse(e.data, this.now(), this.opts.sink);
      this.opts.afterMessage?.();
    });
    ws.addEventListener("close", () => {
      if (this.ws === ws) this.ws = null;
      if (this.stopped) return;
      this.timer = setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, this.opts.reconnectMaxMs ?? 10_000);
    });
    ws.addEventListener("error", () => {
      /* a close event follows */
    });
  }
}

export interface BinanceFeedOptions {
  symbol: string;
  sink: FeedSink;
  /** WebSocket base, default wss://fstream.binance.com */
  wsBase?: string;
  /** REST base, default https://fapi.binance.com */
  restBase?: string;
  levels?: number;
  now?: () => number;
}

/** Binance USD-M: combined depth/trade/bookTicker stream plus REST snapshots. */
export class BinanceFeed {
  readonly parser: BinanceParser;
  private readonly ws: WsFeed;
  private fetching = false;
  private readonly opts: BinanceFeedOptions;
  private readonly now: () => number;
  snapshots = 0;

  constructor(opts: BinanceFeedOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.parser = new BinanceParser({ symbol: opts.symbol, levels: opts.levels });
    this.ws = new WsFeed({
      url: `${opts.wsBase ?? "wss://fstream.binance.com"}${binanceStreamPath(opts.symbol)}`,
      parser: this.parser,
      sink: opts.sink,
      now: this.now,
      onOpen: () => void this.fetchSnapshot(),
      afterMessage: () => {
        if (this.parser.needsSnapshot) void this.fetchSnapshot();
      },
    });
  }

  start(): void {
    this.ws.start();
  }
  stop(): void {
    this.ws.stop();
  }

  private async fetchSnapshot(): Promise<void> {
    if (this.fetching) return;
    this.fetching = true;
    try {
      const res = await fetch(`${this.opts.restBase ?? "https://fapi.binance.com"}${binanceSnapshotPath(this.opts.symbol)}`);
      const body = (await res.json()) as Record<string, unknown>;
      this.snapshots++;
      this.parser.snapshot(body, this.now(), this.opts.sink);
    } catch (err) {
      this.opts.sink.issue({ kind: QualityIssueKind.MALFORMED, source: "binance", recvMs: this.now(), detail: `snapshot: ${(err as Error).message}` });
    } finally {
      this.fetching = false;
    }
  }
}

/** Hyperliquid: l2Book + trades subscriptions for one coin. */
export class HyperliquidFeed {
  readonly parser: HyperliquidParser;
  private readonly ws: WsFeed;
  constructor(opts: { coin: string; sink: FeedSink; url?: string; now?: () => number }) {
    this.parser = new HyperliquidParser({ coin: opts.coin });
    this.ws = new WsFeed({
      url: opts.url ?? "wss://api.hyperliquid.xyz/ws",
      parser: this.parser,
      sink: opts.sink,
      now: opts.now,
      onOpen: (send) => {
        for (const s of hyperliquidSubscriptions(opts.coin)) send(s);
      },
    });
  }
  start(): void {
    this.ws.start();
  }
  stop(): void {
    this.ws.stop();
  }
}
