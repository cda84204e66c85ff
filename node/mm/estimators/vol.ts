// Volatility, event by event: EWMA of squared log returns and realized volatility over several windows.
// Returns are sampled at most every `minDtS` seconds (microstructure noise: every tick's bid/ask bounce
// would otherwise dominate). Units: volatility of the log price per sqrt(second).
// docs/market-maker.md "Estimators / volatility".

/** EWMA variance rate: v <- w v + (1 - w) r^2 / dt with w = 2^(-dt / halfLife). */
export class EwmaVol {
  private readonly halfLife: number;
  private readonly minDt: number;
  private lastT = Number.NaN;
  private lastX = Number.NaN;
  private v: number;
  samples = 0;
  constructor(opts: { halfLifeS: number; minDtS: number; initialSigma: number }) {
    this.halfLife = opts.halfLifeS;
    this.minDt = opts.minDtS;
    this.v = opts.initialSigma * opts.initialSigma;
  }
  /** Feeds the price at time t (seconds); returns true when a return was sampled. */
  update(t: number, price: number): boolean {
    const x = Math.log(price);
    if (Number.isNaN(this.lastT)) {
      this.lastT = t;
      this.lastX = x;
      return false;
    }
    const dt = t - this.lastT;
    if (dt < this.minDt) return false;
    const r = x - this.lastX;
    const w = Math.exp((-Math.LN2 * dt) / this.halfLife);
    this.v = w * this.v + (1 - w) * ((r * r) / dt);
    this.lastT = t;
    this.lastX = x;
    this.samples++;
    return true;
  }
  /** sigma per sqrt(second). */
  get sigma(): number {
    return Math.sqrt(this.v);
  }
}

/** Realized volatility over sliding windows: sqrt(sum of r^2 in the window / window length). */
export class MultiWindowVol {
  readonly windows: readonly number[];
  private readonly minDt: number;
  private times: Float64Array;
  private sq: Float64Array;
  private head = 0;
  private len = 0;
  private readonly starts: number[];
  private readonly sums: number[];
  private lastT = Number.NaN;
  private lastX = Number.NaN;
  private firstT = Number.NaN;

  constructor(opts: { windowsS: readonly number[]; minDtS: number }) {
    this.windows = [...opts.windowsS].sort((a, b) => a - b);
    this.minDt = opts.minDtS;
    this.times = new Float64Array(1024);
    this.sq = new Float64Array(1024);
    this.starts = this.windows.map(() => 0);
    this.sums = this.windows.map(() => 0);
  }

  update(t: number, price: number): void {
    const x = Math.log(price);
    if (Number.isNaN(this.lastT)) {
      this.lastT = t;
      this.lastX = x;
      this.firstT = t;
      return;
    }
    if (t - this.lastT < this.minDt) return;
    const r = x - this.lastX;
    this.lastT = t;
    this.lastX = x;
    this.push(t, r * r);
    for (let w = 0; w < this.windows.length; w++) this.sums[w]! += r * r;
    this.expire(t);
  }

  /** sigma per sqrt(second) over window i (the elapsed time when shorter than the window). */
  sigma(i: number): number {
    const span = Math.min(this.windows[i]!, this.lastT - this.firstT);
    return span > 0 ? Math.sqrt(Math.max(0, this.sums[i]!) / span) : 0;
  }

  private push(t: number, v: number): void {
    if (this.len === this.times.length) this.grow();
    const cap = this.times.length;
    const i = (this.head + this.len) % cap;
    this.times[i] = t;
    this.sq[i] = v;
    this.len++;
  }

  private expire(now: number): void {
    const cap = this.times.length;
    // starts[w] counts samples (from head) already outside window w
    for (let w = 0; w < this.windows.length; w++) {
      const cutoff = now - this.windows[w]!;
      while (this.starts[w]! < this.len) {
        const i = (this.head + this.starts[w]!) % cap;
        if (this.times[i]! > cutoff) break;
        this.sums[w]! -= this.sq[i]!;
        this.starts[w]!++;
      }
    }
    // drop samples outside the longest window
    const drop = this.starts[this.windows.length - 1]!;
    if (drop > 0) {
      this.head = (this.head + drop) % cap;
      this.len -= drop;
      for (let w = 0; w < this.windows.length; w++) this.starts[w]! -= drop;
    }
  }

  private grow(): void {
    const cap = this.times.length;
    const t = new Float64Array(cap * 2);
    const s = new Float64Array(cap * 2);
    for (let k = 0; k < this.len; k++) {
      t[k] = this.times[(this.head + k) % cap]!;
      s[k] = this.sq[(this.head + k) % cap]!;
    }
    this.times = t;
    this.sq = s;
    this.head = 0;
  }
}
