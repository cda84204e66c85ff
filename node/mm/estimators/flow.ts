// Order-flow estimators: buy/sell Hawkes intensities with self- and cross-excitation, flow imbalance,
// book imbalance, and one-sided aggressive burst detection. docs/market-maker.md "Estimators / flow".

import { MultiHawkes, type HawkesParams } from "../../quant/hawkes.ts";
import type { RefLevel } from "../feeds/types.ts";

export const BUY = 0;
export const SELL = 1;

/** Two-type Hawkes process of aggressive buys (0) and sells (1). */
export class FlowIntensity {
  readonly hawkes: MultiHawkes;
  constructor(p: { mu: number; selfExcite: number; crossExcite: number; beta: number }) {
    const params: HawkesParams = {
      mu: [p.mu, p.mu],
      alpha: [
        [p.selfExcite, p.crossExcite],
        [p.crossExcite, p.selfExcite],
      ],
      beta: p.beta,
    };
    this.hawkes = new MultiHawkes(params);
  }
  trade(t: number, aggressor: 1 | -1): void {
    this.hawkes.event(aggressor === 1 ? BUY : SELL, t);
  }
  buy(t: number): number {
    return this.hawkes.intensity(BUY, t);
  }
  sell(t: number): number {
    return this.hawkes.intensity(SELL, t);
  }
}

/** Time-decayed signed volume over total volume, in [-1, 1] (+1: all aggressive buying). */
export class FlowImbalance {
  private readonly halfLife: number;
  private signed = 0;
  private total = 0;
  private t = Number.NaN;
  constructor(halfLifeS: number) {
    this.halfLife = halfLifeS;
  }
  trade(t: number, aggressor: 1 | -1, size: number): void {
    this.decay(t);
    this.signed += aggressor * size;
    this.total += size;
  }
  value(t: number): number {
    this.decay(t);
    return this.total > 0 ? this.signed / this.total : 0;
  }
  private decay(t: number): void {
    if (!Number.isNaN(this.t) && t > this.t) {
      const w = Math.exp((-Math.LN2 * (t - this.t)) / this.halfLife);
      this.signed *= w;
      this.total *= w;
    }
    if (Number.isNaN(this.t) || t > this.t) this.t = t;
  }
}

/** (sum of bid sizes - sum of ask sizes) / total over the best `levels` levels, in [-1, 1]. */
export function bookImbalance(bids: readonly RefLevel[], asks: readonly RefLevel[], levels: number): number {
  let b = 0;
  let a = 0;
  for (let i = 0; i < levels && i < bids.length; i++) b += bids[i]!.size;
  for (let i = 0; i < levels && i < asks.length; i++) a += asks[i]!.size;
  return a + b > 0 ? (b - a) / (a + b) : 0;
}

export const BurstLevel = { NONE: 0, WIDEN: 1, PULL: 2 } as const;
export type BurstLevel = (typeof BurstLevel)[keyof typeof BurstLevel];

export interface BurstOptions {
  /** Share of the total intensity one side must hold (e.g. 0.8). */
  oneSided: number;
  /** Intensity (events/s) of that side above which quotes on the side it hits widen. */
  widenRate: number;
  /** Intensity above which they are pulled. */
  pullRate: number;
}

export interface Burst {
  /** +1: aggressive buyers (asks at risk), -1: aggressive sellers (bids at risk), 0 none. */
  side: 1 | -1 | 0;
  level: BurstLevel;
}

/**
 * One-sided aggressive burst (the spot analogue of a liquidation cascade): one side's Hawkes intensity
 * holds at least `oneSided` of the total and exceeds `widenRate` (WIDEN) or `pullRate` (PULL).
 */
export function detectBurst(lambdaBuy: number, lambdaSell: number, o: BurstOptions, out: Burst): Burst {
  const total = lambdaBuy + lambdaSell;
  out.side = 0;
  out.level = BurstLevel.NONE;
  if (total <= 0) return out;
  const side = lambdaBuy >= lambdaSell ? 1 : -1;
  const l = side === 1 ? lambdaBuy : lambdaSell;
  if (l / total < o.oneSided || l < o.widenRate) return out;
  out.side = side;
  out.level = l >= o.pullRate ? BurstLevel.PULL : BurstLevel.WIDEN;
  return out;
}
