// node/mm: the embedded market maker (docs/market-maker.md).
//   feeds/        reference prices: Binance and Hyperliquid parsers and live WebSocket adapters, replay of
//                 recorded samples (fixtures/), seeded synthetic GBM-with-jumps; data-quality issues
//   estimators/   mid, micro-price, EWMA and multi-window volatility, regime, Hawkes flow intensities,
//                 flow and book imbalance, markouts (adverse selection), burst detection
//   models/       Avellaneda-Stoikov, GLFT, Cartea-Jaimungal adjustments, anchor selection (arXiv:2507.05749)
//   ladder.ts     target ladder (always valid);  differ.ts  fewest actions + rate limit
//   orders.ts     own orders and in-flight bulks with confirmation levels
//   risk.ts       limits, gates, kill switch;  pnl.ts  P&L attribution;  metrics.ts  prom-client
//   actions.ts    the MakerExchange interface (bulk actions, own events, top of book)
//   quoter.ts     one market's quote cycle;  maker.ts  MarketMaker (all markets, risk, status)
//   config.ts     validated configuration with defaults
//   runtime.ts    the `mm` role in the node: MakerRuntime, startMarketMaker (sequencer-exchange.ts: bulks
//                 signed by the agent key through the sequencer; references.ts: inputs from config)
//   admin-routes.ts  GET /mm/status, POST /mm/kill, POST /mm/reset (admin listener, bearer token, CORS)
//   devnet.ts     the devnet's maker keys and prepareMakerAccount
export * from "./actions.ts";
export * from "./config.ts";
export { type DiffParams, type DiffResult, RateLimiter, diffLadder, rateLimit } from "./differ.ts";
export { type Ladder, type LadderInput, type LadderLevel, type LadderParams, buildLadder, ladderProblem } from "./ladder.ts";
export { type MakerStatus, MarketMaker, type MarketMakerOptions, type MarketStatus } from "./maker.ts";
export { type MakerMetrics, makerMetrics } from "./metrics.ts";
export { type OwnOrder, OrderTracker } from "./orders.ts";
export { type PnlSnapshot, PnlAttribution } from "./pnl.ts";
export { MarketQuoter } from "./quoter.ts";
export { KILL_REASONS, type KillRecord, KillReason, type RiskLimits, RiskManager } from "./risk.ts";
export { MarketEstimator, type EstimatorConfig } from "./estimators/market.ts";
export { REGIME_NAMES, Regime, RegimeDetector } from "./estimators/regime.ts";
export { asOptimalSpread, asQuote, asReservationPrice, type Quote } from "./models/avellaneda.ts";
export { glftCoefficients, glftQuote } from "./models/glft.ts";
export { applyAdjustments } from "./models/cartea.ts";
export { AnchorSelector, compositeLiquidityFactor } from "./models/anchor.ts";
export { mmAdminRoutes, type MmAdminOptions } from "./admin-routes.ts";
export { DEVNET_CHAIN_ID, DEVNET_MAKER, type PreparedMaker, type PrepareMakerOptions, prepareMakerAccount } from "./devnet.ts";
export { MakerRuntimeError } from "./errors.ts";
export { FIXTURES, PullInput, type ReferenceInput, type ReferenceSink, referenceInput } from "./references.ts";
export { MakerRuntime, type MakerRuntimeOptions, type MarketMakerDeps, type RuntimeStatus, type RuntimeMarketStatus, parsePrivateKey, startMarketMaker } from "./runtime.ts";
export { SequencerExchange, type SequencerPort, SubmitError } from "./sequencer-exchange.ts";
