// Adverse selection from markouts of the maker's own fills. docs/market-maker.md "Estimators / markouts".
//
// For a fill of side s (+1 our buy, -1 our sell) at time t with fair value m_t, the markout at horizon h is
// s * (m_{t+h} - m_t) (ticks; positive: the price moved our way). The adverse-selection estimate per side
// and horizon is an EWMA over fills of -markout (ticks, positive = we were picked off), weight `alpha`
// per resolved fill.

interface PendingFill {
  t: number;
  side: 1 | -1;
  mid: number;
}

export class MarkoutEstimator {
  readonly horizons: readonly number[];
  private readonly alpha: number;
  /** queues[h]: fills waiting for horizon h, in time order. */
  private readonly queues: PendingFill[][];
  private readonly heads: number[];
  /** adverse[side][h], side 0 = our buys, 1 = our sells. */
  readonly adverse: [Float64Array, Float64Array];
  readonly counts: [Uint32Array, Uint32Array];
  /** Sum of markouts resolved so far per side/horizon (ticks x fills) for reporting. */
  constructor(opts: { horizonsS: readonly number[]; alpha: number }) {
    this.horizons = [...opts.horizonsS];
    this.alpha = opts.alpha;
    this.queues = this.horizons.map(() => []);
    this.heads = this.horizons.map(() => 0);
    this.adverse = [new Float64Array(this.horizons.length), new Float64Array(this.horizons.length)];
    this.counts = [new Uint32Array(this.horizons.length), new Uint32Array(this.horizons.length)];
  }

  fill(t: number, side: 1 | -1, mid: number): void {
    const f = { t, side, mid };
    for (const q of this.queues) q.push(f);
  }

  /** Resolves every fill whose horizon has passed at time t with fair value `mid`. */
  mark(t: number, mid: number): void {
    for (let h = 0; h < this.horizons.length; h++) {
      const q = this.queues[h]!;
      let i = this.heads[h]!;
      const hz = this.horizons[h]!;
      while (i < q.length && q[i]!.t + hz <= t) {
        const f = q[i]!;
        const as = -f.side * (mid - f.mid);
        const s = f.side === 1 ? 0 : 1;
        const n = this.counts[s][h]!;
        this.adverse[s][h] = n === 0 ? as : (1 - this.alpha) * this.adverse[s][h]! + this.alpha * as;
        this.counts[s][h] = n + 1;
        i++;
      }
      if (i > 256 && i * 2 > q.length) {
        q.splice(0, i);
        i = 0;
      }
      this.heads[h] = i;
    }
  }

  /** Adverse selection (ticks) of our fills on `side` (+1 buys, -1 sells) at horizon index h; 0 before data. */
  get(side: 1 | -1, h: number): number {
    return this.adverse[side === 1 ? 0 : 1][h]!;
  }
}
