// All estimators of one market, updated event by event from the reference feed (prices already in the
// local market's ticks) and from the maker's own fills. docs/market-maker.md "Estimators".

import type { RefLevel } from "../feeds/types.ts";
import { BurstLevel, type Burst, type BurstOptions, FlowImbalance, FlowIntensity, bookImbalance, detectBurst } from "./flow.ts";
import { MarkoutEstimator } from "./markouts.ts";
import { microPrice, midPrice } from "./price.ts";
import { type Regime, RegimeDetector, type RegimeOptions } from "./regime.ts";
import { EwmaVol, MultiWindowVol } from "./vol.ts";

export interface EstimatorConfig {
  vol: { halfLifeS: number; minDtS: number; initialSigma: number; windowsS: readonly number[] };
  regime: RegimeOptions;
  hawkes: { mu: number; selfExcite: number; crossExcite: number; beta: number };
  flowHalfLifeS: number;
  bookLevels: number;
  markout: { horizonsS: readonly number[]; alpha: number };
  burst: BurstOptions;
  /** A sampled return beyond jumpSigmas * sigma * sqrt(dt) counts as a jump. */
  jump: { sigmas: number; halfLifeS: number };
}

export class MarketEstimator {
  readonly cfg: EstimatorConfig;
  bid = Number.NaN;
  ask = Number.NaN;
  bidSize = 0;
  askSize = 0;
  /** Mid and micro-price (ticks). */
  mid = Number.NaN;
  micro = Number.NaN;
  /** Time (s) of the last book update. */
  lastBookT = Number.NaN;
  bookImb = 0;
  readonly ewma: EwmaVol;
  readonly windows: MultiWindowVol;
  readonly regimes: RegimeDetector;
  readonly flow: FlowIntensity;
  readonly flowImb: FlowImbalance;
  readonly markouts: MarkoutEstimator;
  readonly burst: Burst = { side: 0, level: BurstLevel.NONE };
  /** Jump rate (per s) and mean absolute / signed jump (log units), EWMA. */
  jumpRate = 0;
  jumpAbs = 0;
  jumpMean = 0;
  private lastJumpT = Number.NaN;
  private lastLogMid = Number.NaN;
  private lastMidT = Number.NaN;

  constructor(cfg: EstimatorConfig) {
    this.cfg = cfg;
    this.ewma = new EwmaVol({ halfLifeS: cfg.vol.halfLifeS, minDtS: cfg.vol.minDtS, initialSigma: cfg.vol.initialSigma });
    this.windows = new MultiWindowVol({ windowsS: cfg.vol.windowsS, minDtS: cfg.vol.minDtS });
    this.regimes = new RegimeDetector(cfg.regime);
    this.flow = new FlowIntensity(cfg.hawkes);
    this.flowImb = new FlowImbalance(cfg.flowHalfLifeS);
    this.markouts = new MarkoutEstimator({ horizonsS: cfg.markout.horizonsS, alpha: cfg.markout.alpha });
  }

  /** Top of book plus levels (ticks and sizes), best first. */
  onBook(t: number, bids: readonly RefLevel[], asks: readonly RefLevel[]): void {
    const b = bids[0]!;
    const a = asks[0]!;
    this.bid = b.price;
    this.ask = a.price;
    this.bidSize = b.size;
    this.askSize = a.size;
    this.mid = midPrice(b.price, a.price);
    this.micro = microPrice(b.price, b.size, a.price, a.size);
    this.lastBookT = t;
    if (bids.length > 1 || asks.length > 1) this.bookImb = bookImbalance(bids, asks, this.cfg.bookLevels);
    else this.bookImb = bookImbalance(bids, asks, 1);
    this.onMid(t, this.mid);
  }

  /** A fair-value update without a book (the anchor's price for a market quoting off another instrument). */
  onMid(t: number, mid: number): void {
    this.mid = mid;
    if (Number.isNaN(this.micro)) this.micro = mid;
    const sampled = this.ewma.update(t, mid);
    this.windows.update(t, mid);
    if (sampled) {
      const x = Math.log(mid);
      if (!Number.isNaN(this.lastLogMid)) this.jumpCheck(t, x - this.lastLogMid, t - this.lastMidT);
      this.lastLogMid = x;
      this.lastMidT = t;
    } else if (Number.isNaN(this.lastLogMid)) {
      this.lastLogMid = Math.log(mid);
      this.lastMidT = t;
    }
    this.regimes.update(t, this.ewma.sigma);
    this.markouts.mark(t, mid);
  }

  onTrade(t: number, aggressor: 1 | -1, size: number): void {
    this.flow.trade(t, aggressor);
    this.flowImb.trade(t, aggressor, size);
  }

  /** One of our fills (side +1 we bought) at time t; markouts use the fair value at that time. */
  onOwnFill(t: number, side: 1 | -1): void {
    if (!Number.isNaN(this.mid)) this.markouts.fill(t, side, this.mid);
  }

  /** Refreshes time-dependent outputs (burst) at time t. */
  refresh(t: number): void {
    detectBurst(this.flow.buy(t), this.flow.sell(t), this.cfg.burst, this.burst);
    // jump rate decays between jumps
    if (!Number.isNaN(this.lastJumpT) && t > this.lastJumpT) {
      const w = Math.exp((-Math.LN2 * (t - this.lastJumpT)) / this.cfg.jump.halfLifeS);
      this.jumpRate *= w;
      this.lastJumpT = t;
    }
  }

  get sigma(): number {
    return this.ewma.sigma;
  }
  get regime(): Regime {
    return this.regimes.regime;
  }

  private jumpCheck(t: number, r: number, dt: number): void {
    const threshold = this.cfg.jump.sigmas * this.ewma.sigma * Math.sqrt(Math.max(dt, 1e-9));
    if (Math.abs(r) <= threshold) return;
    const hl = this.cfg.jump.halfLifeS;
    if (!Number.isNaN(this.lastJumpT)) this.jumpRate *= Math.exp((-Math.LN2 * (t - this.lastJumpT)) / hl);
    // each jump adds 1/(mean life) to the rate: a steady rate r of jumps converges to r
    this.jumpRate += Math.LN2 / hl;
    this.jumpAbs = this.jumpAbs === 0 ? Math.abs(r) : 0.8 * this.jumpAbs + 0.2 * Math.abs(r);
    this.jumpMean = this.jumpMean === 0 ? r : 0.8 * this.jumpMean + 0.2 * r;
    this.lastJumpT = t;
  }
}
