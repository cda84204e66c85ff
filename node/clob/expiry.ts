// The STF's expiry index (docs/stf.md "Expiry (eager)"): every resting order with `expiry != 0`, ordered by
// (expiry, order id). At the start of every batch the STF takes the due entries (expiry <= now) in that
// order, at most MAX_EXPIRIES_PER_BATCH of them, and removes their orders. The state commitment holds the
// same index as EXPIRY leaves (node/state/leaves.ts), so a stateless executor reads it from a witness
// through another ExpiryIndex (node/state/witness.ts).

/** Most orders the expiry sweep of one batch removes; the rest spill into the next batches. */
export const MAX_EXPIRIES_PER_BATCH = 1024;

export interface ExpiryEntry {
  expiry: number;
  orderId: number;
  market: number;
}

/** What the STF needs of an expiry index. */
export interface ExpiryIndex {
  /** A resting order with `expiry != 0` was added to a book. */
  add(expiry: number, orderId: number, market: number): void;
  /**
   * The first `max` entries with `expiry <= now`, ascending (expiry, id), of orders that still rest; they
   * leave the index (the caller removes their orders).
   */
  takeDue(now: number, max: number): ExpiryEntry[];
  /** The first entry of a resting order, or undefined (after takeDue: the first one left). */
  peek(): ExpiryEntry | undefined;
}

/**
 * The full node's index: a binary min-heap on (expiry, id). Orders that left the book some other way
 * (filled, cancelled) are dropped lazily, when they reach the top or when the heap is compacted (once it
 * has doubled since the last compaction), so the cost per resting GTT order is O(log n) amortized.
 */
export class ExpiryHeap implements ExpiryIndex {
  private exp = new Float64Array(1024);
  private ids = new Float64Array(1024);
  private mkt = new Uint32Array(1024);
  private n = 0;
  private compactAt = 4096;
  private readonly live: (market: number, orderId: number) => boolean;

  /** `live(market, id)`: whether that order still rests. */
  constructor(live: (market: number, orderId: number) => boolean) {
    this.live = live;
  }

  get size(): number {
    return this.n;
  }

  add(expiry: number, orderId: number, market: number): void {
    if (this.n >= this.compactAt) this.compact();
    if (this.n === this.exp.length) this.grow();
    let i = this.n++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(expiry, orderId, this.exp[p], this.ids[p])) break;
      this.exp[i] = this.exp[p];
      this.ids[i] = this.ids[p];
      this.mkt[i] = this.mkt[p];
      i = p;
    }
    this.exp[i] = expiry;
    this.ids[i] = orderId;
    this.mkt[i] = market;
  }

  takeDue(now: number, max: number): ExpiryEntry[] {
    const out: ExpiryEntry[] = [];
    while (out.length < max && this.n > 0 && this.exp[0] <= now) {
      const e = { expiry: this.exp[0], orderId: this.ids[0], market: this.mkt[0] };
      this.pop();
      if (this.live(e.market, e.orderId)) out.push(e);
    }
    return out;
  }

  peek(): ExpiryEntry | undefined {
    while (this.n > 0 && !this.live(this.mkt[0], this.ids[0])) this.pop();
    return this.n === 0 ? undefined : { expiry: this.exp[0], orderId: this.ids[0], market: this.mkt[0] };
  }

  /** Every live entry with `expiry <= now`, ascending (not for hot paths: market data after a spill). */
  due(now: number): ExpiryEntry[] {
    const out: ExpiryEntry[] = [];
    for (let i = 0; i < this.n; i++) {
      if (this.exp[i] <= now && this.live(this.mkt[i], this.ids[i])) out.push({ expiry: this.exp[i], orderId: this.ids[i], market: this.mkt[i] });
    }
    return out.sort((a, b) => a.expiry - b.expiry || a.orderId - b.orderId);
  }

  private less(e1: number, i1: number, e2: number, i2: number): boolean {
    return e1 < e2 || (e1 === e2 && i1 < i2);
  }

  private pop(): void {
    const last = --this.n;
    if (last === 0) return;
    const e = this.exp[last];
    const id = this.ids[last];
    const m = this.mkt[last];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= last) break;
      if (c + 1 < last && this.less(this.exp[c + 1], this.ids[c + 1], this.exp[c], this.ids[c])) c++;
      if (!this.less(this.exp[c], this.ids[c], e, id)) break;
      this.exp[i] = this.exp[c];
      this.ids[i] = this.ids[c];
      this.mkt[i] = this.mkt[c];
      i = c;
    }
    this.exp[i] = e;
    this.ids[i] = id;
    this.mkt[i] = m;
  }

  private grow(): void {
    const cap = 2 * this.exp.length;
    const e = new Float64Array(cap);
    e.set(this.exp);
    this.exp = e;
    const d = new Float64Array(cap);
    d.set(this.ids);
    this.ids = d;
    const m = new Uint32Array(cap);
    m.set(this.mkt);
    this.mkt = m;
  }

  /** Drop the entries of orders that no longer rest and rebuild the heap. */
  private compact(): void {
    const entries: [number, number, number][] = [];
    for (let i = 0; i < this.n; i++) if (this.live(this.mkt[i], this.ids[i])) entries.push([this.exp[i], this.ids[i], this.mkt[i]]);
    this.n = 0;
    for (const [e, id, m] of entries) {
      if (this.n === this.exp.length) this.grow();
      this.n++;
      this.exp[this.n - 1] = e;
      this.ids[this.n - 1] = id;
      this.mkt[this.n - 1] = m;
    }
    for (let i = (this.n >> 1) - 1; i >= 0; i--) this.siftDown(i);
    this.compactAt = Math.max(4096, 2 * this.n);
  }

  private siftDown(i: number): void {
    const e = this.exp[i];
    const id = this.ids[i];
    const m = this.mkt[i];
    for (;;) {
      let c = 2 * i + 1;
      if (c >= this.n) break;
      if (c + 1 < this.n && this.less(this.exp[c + 1], this.ids[c + 1], this.exp[c], this.ids[c])) c++;
      if (!this.less(this.exp[c], this.ids[c], e, id)) break;
      this.exp[i] = this.exp[c];
      this.ids[i] = this.ids[c];
      this.mkt[i] = this.mkt[c];
      i = c;
    }
    this.exp[i] = e;
    this.ids[i] = id;
    this.mkt[i] = m;
  }
}
