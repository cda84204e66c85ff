// Reference-price feeds of the market maker: normalized events, parsers, live adapters, replay, synthetic.
export * from "./types.ts";
export { BinanceParser, binanceSnapshotPath, binanceStreamPath } from "./binance.ts";
export { HyperliquidParser, hyperliquidSubscriptions } from "./hyperliquid.ts";
export { BinanceFeed, HyperliquidFeed, WsFeed } from "./live.ts";
export { type RecordedMessage, ReplaySource, loadRecording } from "./replay.ts";
export { type SyntheticOptions, SyntheticSource } from "./synthetic.ts";
export { type PullSource, RetimedSource } from "./retimed.ts";
