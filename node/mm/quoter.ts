// One market's quoting pipeline: reference books of the candidate instruments -> anchor choice -> fair
// value in ticks -> estimators -> model (Avellaneda-Stoikov or GLFT) -> Cartea-Jaimungal adjustments ->
// regime and burst widening -> ladder -> differ. Synchronous and allocation-light: this is the quote
// cycle the `mm` benchmark times. docs/market-maker.md "Quote cycle".

import type { MakerAction, OrderSide, TopOfBook } from "./actions.ts";
import type { MarketMakerConfig, MarketMakerMarketConfig } from "./config.ts";
import { type DiffResult, RateLimiter, diffLadder } from "./differ.ts";
import { BurstLevel } from "./estimators/flow.ts";
import { MarketEstimator } from "./estimators/market.ts";
import type { RefBookEvent, RefLevel, RefTradeEvent } from "./feeds/types.ts";
import { type Ladder, type LadderParams, buildLadder } from "./ladder.ts";
import { AnchorSelector } from "./models/anchor.ts";
import { type Quote, asQuote } from "./models/avellaneda.ts";
import { applyAdjustments } from "./models/cartea.ts";
import { glftQuote } from "./models/glft.ts";
import { OrderTracker } from "./orders.ts";
import { PnlAttribution } from "./pnl.ts";

export class MarketQuoter {
  readonly cfg: MarketMakerMarketConfig;
  readonly market: number;
  readonly est: MarketEstimator;
  readonly tracker: OrderTracker;
  readonly pnl: PnlAttribution;
  readonly anchor: AnchorSelector;
  readonly limiter: RateLimiter;
  /** Global reference indexes of the candidate instruments, in config order. */
  readonly refs: readonly number[];
  /** EWMA of log(mid_i / mid_0) per candidate (basis to the first candidate). */
  readonly basis: Float64Array;
  private readonly mids: Float64Array;
  anchorIdx = 0;
  /** Receive time (ms) of the last anchor book. */
  lastRefMs = Number.NEGATIVE_INFINITY;
  readonly quote: Quote = { reservation: Number.NaN, bidDepth: Number.NaN, askDepth: Number.NaN };
  readonly ladder: Ladder = { bids: [], asks: [] };
  readonly ladderParams: LadderParams;
  pulled = "";
  private readonly convBids: RefLevel[] = [];
  private readonly convAsks: RefLevel[] = [];

  constructor(cfg: MarketMakerMarketConfig, global: MarketMakerConfig) {
    this.cfg = cfg;
    this.market = cfg.market;
    this.est = new MarketEstimator(cfg.estimator);
    this.tracker = new OrderTracker(cfg.market);
    this.pnl = new PnlAttribution(cfg.tickValue, cfg.pnlHorizonS);
    this.refs = cfg.references.map((n) => global.references.findIndex((r) => r.name === n));
    this.anchor = new AnchorSelector(this.refs.length, global.anchor);
    this.basis = new Float64Array(this.refs.length);
    this.mids = new Float64Array(this.refs.length).fill(Number.NaN);
    this.limiter = new RateLimiter(global.rate.actionsPerSec, global.rate.burst);
    this.ladderParams = { ...cfg.ladder, k: cfg.k };
  }

  /** Candidate index of a global reference index (-1: not ours). */
  candidate(ref: number): number {
    return this.refs.indexOf(ref);
  }

  onBook(i: number, ev: RefBookEvent): void {
    const t = ev.recvMs / 1000;
    if (ev.depth === "levels" || ev.bids.length > 1) this.anchor.onBook(i, t, ev.bids, ev.asks);
    const mid = (ev.bids[0]!.price + ev.asks[0]!.price) / 2;
    this.mids[i] = mid;
    if (i > 0 && !Number.isNaN(this.mids[0]!)) {
      const b = Math.log(mid / this.mids[0]!);
      this.basis[i] = this.basis[i] === 0 ? b : 0.95 * this.basis[i]! + 0.05 * b;
    }
    if (i !== this.anchorIdx) return;
    const f = this.cfg.priceScale * Math.exp(-this.basis[i]!);
    convert(ev.bids, f, this.convBids);
    convert(ev.asks, f, this.convAsks);
    this.est.onBook(t, this.convBids, this.convAsks);
    this.lastRefMs = ev.recvMs;
  }

  onTrade(i: number, ev: RefTradeEvent): void {
    if (i === this.anchorIdx) this.est.onTrade(ev.recvMs / 1000, ev.aggressor, ev.size);
  }

  /** Fair value (ticks): the micro-price of the anchor, basis-corrected and scaled. */
  get fair(): number {
    return this.est.micro;
  }

  /**
   * Estimators + models + ladder: the target ladder at nowMs. `pull` empties both sides (risk gate);
   * `top` is the book's top for the post-only clamp.
   */
  target(nowMs: number, pull: string, top: TopOfBook): Ladder {
    const t = nowMs / 1000;
    if (this.refs.length > 1) this.anchorIdx = this.anchor.decide(t);
    const est = this.est;
    est.refresh(t);
    const s = est.micro;
    const cfg = this.cfg;
    const q = this.quote;
    if (pull !== "" || Number.isNaN(s)) {
      this.pulled = pull !== "" ? pull : "no_reference";
      this.ladder.bids.length = 0;
      this.ladder.asks.length = 0;
      return this.ladder;
    }
    this.pulled = "";
    const sigma = est.sigma * s;
    const inv = this.pnl.inventory;
    if (cfg.model === "as") asQuote(s, inv, cfg.gamma, sigma, cfg.tauS, cfg.k, q);
    else glftQuote(s, inv / cfg.quoteUnit, cfg.gamma, sigma, cfg.A, cfg.k, q);
    const h = cfg.adverseHorizon;
    applyAdjustments(q, {
      adverseBid: est.markouts.get(1, h), adverseAsk: est.markouts.get(-1, h),
      jumpRate: est.jumpRate, jumpAbs: est.jumpAbs * s, jumpMean: est.jumpMean * s, quoteLife: cfg.quoteLifeS,
    });
    const w = cfg.regimeWiden[est.regime]!;
    q.bidDepth = Math.max(q.bidDepth * w, cfg.minHalfSpreadTicks);
    q.askDepth = Math.max(q.askDepth * w, cfg.minHalfSpreadTicks);
    let pullBid = false;
    let pullAsk = false;
    const burst = est.burst;
    if (burst.level !== BurstLevel.NONE) {
      // aggressive buyers lift asks; aggressive sellers hit bids
      if (burst.side === 1) {
        if (burst.level === BurstLevel.PULL) pullAsk = true;
        else q.askDepth *= cfg.burstWiden;
      } else if (burst.side === -1) {
        if (burst.level === BurstLevel.PULL) pullBid = true;
        else q.bidDepth *= cfg.burstWiden;
      }
    }
    return buildLadder(this.ladderParams, {
      reservation: q.reservation, bidDepth: q.bidDepth, askDepth: q.askDepth, inventory: inv,
      adverseBid: est.markouts.get(1, h), adverseAsk: est.markouts.get(-1, h), pullBid, pullAsk,
      otherBestBid: this.othersBest(0, top.bestBid), otherBestAsk: this.othersBest(1, top.bestAsk),
    }, this.ladder);
  }

  /** The differ against our live orders. */
  diff(): DiffResult {
    return diffLadder(this.market, this.tracker.orders(), this.ladder, this.cfg.diff, () => this.tracker.newClientId());
  }

  /** Target + diff in one call (what the quote cycle does per market). */
  plan(nowMs: number, pull: string, top: TopOfBook): MakerAction[] {
    this.target(nowMs, pull, top);
    return this.diff().actions;
  }

  /** The book's best on a side unless that price is one of our own orders (then unknown: -1). */
  private othersBest(side: OrderSide, best: number): number {
    if (best < 0) return -1;
    for (const o of this.tracker.orders()) if (o.side === side && o.price === best) return -1;
    return best;
  }
}

function convert(src: readonly RefLevel[], f: number, dst: RefLevel[]): void {
  while (dst.length < src.length) dst.push({ price: 0, size: 0 });
  dst.length = src.length;
  for (let i = 0; i < src.length; i++) {
    dst[i]!.price = src[i]!.price * f;
    dst[i]!.size = src[i]!.size;
  }
}
