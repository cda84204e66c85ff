// Live P&L attribution of one market, in quote units. docs/market-maker.md "P&L attribution".
//
// With m the mark (fair value, ticks), T the tick value (quote units per tick per lot), a fill of side s
// (+1 we bought) of q lots at price p with fee f (quote units, negative = rebate):
//   spread capture     += s (m - p) q T                       (at the fill, against the mark)
//   fees               += -f
// and on every mark change m -> m', with inventory Q and Y the signed lots of fills younger than the
// adverse-selection horizon H:
//   adverse selection  += Y (m' - m) T
//   inventory carry    += (Q - Y) (m' - m) T
// total = cash + Q m T = spread + fees + adverse selection + carry exactly (summation by parts), where
// cash = -sum(s p q T + f). `check()` returns that identity's residual.

export interface PnlSnapshot {
  spread: number;
  adverse: number;
  carry: number;
  fees: number;
  total: number;
  /** cash + inventory value, computed independently of the components. */
  markToMarket: number;
  inventory: number;
  peak: number;
  drawdown: number;
}

interface Young {
  t: number;
  q: number;
}

export class PnlAttribution {
  readonly tickValue: number;
  readonly horizonS: number;
  spread = 0;
  adverse = 0;
  carry = 0;
  fees = 0;
  cash = 0;
  inventory = 0;
  mark = Number.NaN;
  peak = 0;
  fills = 0;
  private young: Young[] = [];
  private youngHead = 0;
  private youngQ = 0;

  constructor(tickValue: number, horizonS: number) {
    this.tickValue = tickValue;
    this.horizonS = horizonS;
  }

  /** A new mark at time t. */
  onMark(t: number, mark: number): void {
    this.expire(t);
    if (!Number.isNaN(this.mark)) {
      const dv = (mark - this.mark) * this.tickValue;
      this.adverse += this.youngQ * dv;
      this.carry += (this.inventory - this.youngQ) * dv;
    }
    this.mark = mark;
    this.trackPeak();
  }

  /** One of our fills at time t; side +1 we bought. Needs a mark first. */
  onFill(t: number, side: 1 | -1, price: number, size: number, fee: number): void {
    if (Number.isNaN(this.mark)) this.mark = price;
    this.expire(t);
    const q = side * size;
    this.spread += side * (this.mark - price) * size * this.tickValue;
    this.fees -= fee;
    this.cash -= q * price * this.tickValue + fee;
    this.inventory += q;
    this.young.push({ t, q });
    this.youngQ += q;
    this.fills++;
    this.trackPeak();
  }

  /**
   * Inventory the fills did not explain (found in the account's balances after a soft-state rebuild,
   * runtime.ts reconcile): `lots` (signed) are booked at the mark as if traded there with no fee, so the
   * inventory moves and the P&L and its attribution do not (the fill's true price is unknown).
   */
  reconcile(lots: number): void {
    if (lots === 0) return;
    if (Number.isNaN(this.mark)) throw new Error("reconcile needs a mark");
    this.cash -= lots * this.mark * this.tickValue;
    this.inventory += lots;
  }

  get total(): number {
    return this.spread + this.adverse + this.carry + this.fees;
  }

  get markToMarket(): number {
    return this.cash + (Number.isNaN(this.mark) ? 0 : this.inventory * this.mark * this.tickValue);
  }

  /** markToMarket - total (0 up to rounding). */
  check(): number {
    return this.markToMarket - this.total;
  }

  snapshot(): PnlSnapshot {
    const total = this.total;
    return {
      spread: this.spread, adverse: this.adverse, carry: this.carry, fees: this.fees, total,
      markToMarket: this.markToMarket, inventory: this.inventory, peak: this.peak, drawdown: this.peak - total,
    };
  }

  private trackPeak(): void {
    const t = this.total;
    if (t > this.peak) this.peak = t;
  }

  private expire(t: number): void {
    const y = this.young;
    let i = this.youngHead;
    while (i < y.length && y[i]!.t + this.horizonS <= t) {
      this.youngQ -= y[i]!.q;
      i++;
    }
    if (i > 64 && i * 2 > y.length) {
      this.young = y.slice(i);
      i = 0;
    }
    this.youngHead = i;
    if (this.youngHead === this.young.length) this.youngQ = 0; // no drift from float sums
  }
}
