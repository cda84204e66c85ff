// Reference inputs of the running maker, built from the `references` of its configuration: the recorded
// replays (looped and re-timed onto the node's clock: the devnet default, so prices move), the seeded
// synthetic source, and the live Binance / Hyperliquid WebSocket adapters. One interface for all:
// pull sources deliver what is due at each poll, live ones deliver as messages arrive.
// docs/market-maker.md "In the node".

import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ReferenceConfig } from "./config.ts";
import { BinanceParser } from "./feeds/binance.ts";
import { HyperliquidParser } from "./feeds/hyperliquid.ts";
import { BinanceFeed, HyperliquidFeed } from "./feeds/live.ts";
import { ReplaySource, loadRecording } from "./feeds/replay.ts";
import { type PullSource, RetimedSource } from "./feeds/retimed.ts";
import { SyntheticSource } from "./feeds/synthetic.ts";
import type { QualityIssue, RefEvent } from "./feeds/types.ts";

export interface ReferenceSink {
  event(e: RefEvent): void;
  issue(i: QualityIssue): void;
}

export interface ReferenceInput {
  /** Starts delivering (live adapters connect). */
  start(sink: ReferenceSink): void;
  /** Delivers what is due at nowMs (pull sources). */
  poll(nowMs: number): void;
  stop(): void;
}

/** The shipped recorded samples (node/mm/fixtures). */
export const FIXTURES = {
  binance: path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "binance-btcusdt-usdm-20240808.jsonl.gz"),
  hyperliquid: path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "hyperliquid-btc-20250126.jsonl.gz"),
} as const;

/** A pull source (replay, synthetic) played on the node's clock from `startMs` on. */
export class PullInput implements ReferenceInput {
  private readonly src: RetimedSource;
  private sink: ReferenceSink | null = null;
  private readonly issues: () => readonly QualityIssue[];
  private issuesSeen = 0;
  constructor(src: PullSource, startMs: number, issues: () => readonly QualityIssue[] = () => []) {
    this.src = new RetimedSource(src, startMs);
    this.issues = issues;
  }
  start(sink: ReferenceSink): void {
    this.sink = sink;
  }
  poll(nowMs: number): void {
    const sink = this.sink;
    if (sink === null) return;
    this.src.until(nowMs, (e) => sink.event(e));
    const all = this.issues();
    while (this.issuesSeen < all.length) sink.issue(all[this.issuesSeen++]!);
  }
  stop(): void {
    this.sink = null;
  }
}

/** A live adapter (BinanceFeed, HyperliquidFeed): events arrive as the venue sends them. */
class LiveInput implements ReferenceInput {
  private feed: { start(): void; stop(): void } | null = null;
  private readonly make: (sink: ReferenceSink) => { start(): void; stop(): void };
  constructor(make: (sink: ReferenceSink) => { start(): void; stop(): void }) {
    this.make = make;
  }
  start(sink: ReferenceSink): void {
    this.feed = this.make(sink);
    this.feed.start();
  }
  poll(): void {}
  stop(): void {
    this.feed?.stop();
    this.feed = null;
  }
}

/** The input of one configured reference, starting at `startMs` on the clock `now`. */
export function referenceInput(r: ReferenceConfig, startMs: number, now: () => number): ReferenceInput {
  switch (r.source) {
    case "replay": {
      const venue = r.venue ?? "binance";
      const parser = venue === "binance" ? new BinanceParser({ symbol: r.symbol }) : new HyperliquidParser({ coin: r.symbol });
      const replay = new ReplaySource(loadRecording(r.file ?? FIXTURES[venue]), parser, { loop: true });
      return new PullInput(replay, startMs, () => replay.issues);
    }
    case "synthetic":
      return new PullInput(new SyntheticSource({
        seed: r.seed ?? 1, symbol: r.symbol, start: r.start ?? 100, startMs, dtMs: 200,
        process: { mu: 0, sigma: 1e-4, jumpRate: 0.01, jumpMean: 0, jumpStd: 5e-4 },
      }), startMs);
    case "binance":
      return new LiveInput((sink) => new BinanceFeed({ symbol: r.symbol, sink, wsBase: r.url, restBase: r.restUrl, now }));
    case "hyperliquid":
      return new LiveInput((sink) => new HyperliquidFeed({ coin: r.symbol, sink, url: r.url, now }));
  }
}
