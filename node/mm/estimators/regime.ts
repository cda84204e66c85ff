// Volatility regime detector with hysteresis and a minimum dwell time. docs/market-maker.md
// "Estimators / regime".
//
// Regimes LOW < NORMAL < HIGH < EXTREME by sigma (per sqrt second) against ascending thresholds
// [t1, t2, t3]. Up: the regime rises at once to the highest level whose threshold sigma exceeds (safety
// first: no dwell for escalation). Down: only after `minDwellS` seconds in the current regime, and only
// while sigma < threshold * (1 - hysteresis) of the level being left (one level per step).

export const Regime = { LOW: 0, NORMAL: 1, HIGH: 2, EXTREME: 3 } as const;
export type Regime = (typeof Regime)[keyof typeof Regime];
export const REGIME_NAMES = ["low", "normal", "high", "extreme"] as const;

export interface RegimeOptions {
  /** Ascending sigma thresholds entering NORMAL, HIGH, EXTREME. */
  thresholds: readonly [number, number, number];
  /** Relative band below a threshold before leaving its regime (e.g. 0.2). */
  hysteresis: number;
  /** Minimum seconds in a regime before stepping down. */
  minDwellS: number;
}

export class RegimeDetector {
  private readonly o: RegimeOptions;
  regime: Regime = Regime.NORMAL;
  private since = Number.NaN;
  changes = 0;

  constructor(o: RegimeOptions) {
    const [a, b, c] = o.thresholds;
    if (!(a > 0 && a < b && b < c)) throw new RangeError("regime thresholds must be positive and ascending");
    this.o = o;
  }

  update(t: number, sigma: number): Regime {
    if (Number.isNaN(this.since)) this.since = t;
    const th = this.o.thresholds;
    let up: number = Regime.LOW;
    for (let i = 0; i < 3; i++) if (sigma > th[i]!) up = i + 1;
    if (up > this.regime) return this.set(up as Regime, t);
    if (this.regime > Regime.LOW && t - this.since >= this.o.minDwellS && sigma < th[this.regime - 1]! * (1 - this.o.hysteresis)) {
      return this.set((this.regime - 1) as Regime, t);
    }
    return this.regime;
  }

  private set(r: Regime, t: number): Regime {
    if (r !== this.regime) {
      this.regime = r;
      this.since = t;
      this.changes++;
    }
    return r;
  }
}
