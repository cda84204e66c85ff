// Multi-instrument anchor selection after Nittur Anantha, Jain, Goyal & Misra (2025), "High Frequency
// Quoting Under Liquidity Constraints", arXiv:2507.05749 v1. The paper's abstract: multivariate Hawkes
// processes model the clustering and cross-excitation of top-of-book events and forecast short-term price
// stability; a Composite Liquidity Factor (CLF) estimates slippage from book structure (price
// discontinuities, depth variation across levels); a rolling vote turns both into the reference
// instrument whose price anchors the quotes of the others. The paper's full text could not be read here:
// the definitions below are ours, written down in docs/market-maker.md "Anchor selection".
//
// Per instrument i:
//   events: 4-type Hawkes of top-of-book changes (bid up, bid down, ask up, ask down), shared params;
//   N_i = expected number of top-of-book price changes in the next h seconds (closed form, quant/hawkes);
//   CLF_i = S_i(Q) + G_i + D_i with, in basis points of the mid,
//     S_i(Q): average over both sides of (VWAP of a market order of size Q - touch) / mid,
//     G_i:    mean price gap between adjacent levels within the best L levels / mid,
//     D_i:    coefficient of variation of the sizes of those levels (dimensionless, scaled by dScale bps).
//   score_i = wH * N_i / sum N + wC * CLF_i / sum CLF  (lower is better; an instrument with a stale or
//             missing book cannot vote or be voted for);
// every decision casts one vote for argmin score; the anchor is the instrument with most votes among the
// last W decisions (ties keep the current anchor, then the lowest index).

import { MultiHawkes } from "../../quant/hawkes.ts";
import type { RefLevel } from "../feeds/types.ts";

export const TOB_BID_UP = 0;
export const TOB_BID_DOWN = 1;
export const TOB_ASK_UP = 2;
export const TOB_ASK_DOWN = 3;

export interface ClfOptions {
  /** Reference order size (source units) for the slippage term. */
  refSize: number;
  /** Levels considered for gaps and depth variation. */
  levels: number;
  /** Basis points charged per unit coefficient of variation. */
  dScale: number;
}

/** Composite Liquidity Factor of a book (bps; lower = more liquid). Infinity when a side cannot fill Q. */
export function compositeLiquidityFactor(bids: readonly RefLevel[], asks: readonly RefLevel[], o: ClfOptions): number {
  if (bids.length === 0 || asks.length === 0) return Number.POSITIVE_INFINITY;
  const mid = (bids[0]!.price + asks[0]!.price) / 2;
  const sb = slippage(bids, o.refSize);
  const sa = slippage(asks, o.refSize);
  const s = ((sb + sa) / 2 / mid) * 1e4;
  const g = ((meanGap(bids, o.levels) + meanGap(asks, o.levels)) / 2 / mid) * 1e4;
  const d = ((cv(bids, o.levels) + cv(asks, o.levels)) / 2) * o.dScale;
  return s + g + d;
}

/** |VWAP of size q walked through `side` - touch|; the unfilled remainder is charged at the last level + its gap. */
function slippage(side: readonly RefLevel[], q: number): number {
  const touch = side[0]!.price;
  let left = q;
  let cost = 0;
  for (const l of side) {
    const take = Math.min(left, l.size);
    cost += take * Math.abs(l.price - touch);
    left -= take;
    if (left <= 0) break;
  }
  if (left > 0) {
    const last = side[side.length - 1]!.price;
    const worst = Math.abs(last - touch) * 2 + Math.abs(touch) * 1e-3;
    cost += left * worst;
  }
  return cost / q;
}

function meanGap(side: readonly RefLevel[], levels: number): number {
  const n = Math.min(levels, side.length);
  if (n < 2) return 0;
  return Math.abs(side[n - 1]!.price - side[0]!.price) / (n - 1);
}

function cv(side: readonly RefLevel[], levels: number): number {
  const n = Math.min(levels, side.length);
  if (n < 2) return 0;
  let s = 0;
  for (let i = 0; i < n; i++) s += side[i]!.size;
  const m = s / n;
  if (m <= 0) return 0;
  let v = 0;
  for (let i = 0; i < n; i++) v += (side[i]!.size - m) ** 2;
  return Math.sqrt(v / n) / m;
}

export interface AnchorOptions {
  /** Hawkes of top-of-book events (per instrument): baseline, self- and cross-excitation (1/s), decay (1/s). */
  hawkes: { mu: number; selfExcite: number; crossExcite: number; beta: number };
  /** Forecast horizon (s). */
  horizonS: number;
  clf: ClfOptions;
  wHawkes: number;
  wClf: number;
  /** Votes kept. */
  window: number;
  /** An instrument whose last book is older than this (s) does not take part. */
  staleS: number;
}

interface Instrument {
  hawkes: MultiHawkes;
  bid: number;
  ask: number;
  clf: number;
  lastT: number;
}

/** Chooses which of n related instruments anchors the quotes. */
export class AnchorSelector {
  readonly n: number;
  private readonly o: AnchorOptions;
  private readonly inst: Instrument[] = [];
  private readonly votes: number[] = [];
  private readonly tally: number[];
  anchor = 0;
  /** Last scores (for status); NaN for an instrument that did not take part. */
  readonly scores: number[];
  readonly forecasts: number[];

  constructor(n: number, o: AnchorOptions) {
    this.n = n;
    this.o = o;
    const { mu, selfExcite: a, crossExcite: c, beta } = o.hawkes;
    for (let i = 0; i < n; i++) {
      this.inst.push({
        hawkes: new MultiHawkes({
          mu: [mu, mu, mu, mu],
          alpha: [
            [a, c, c, c],
            [c, a, c, c],
            [c, c, a, c],
            [c, c, c, a],
          ],
          beta,
        }),
        bid: Number.NaN,
        ask: Number.NaN,
        clf: Number.POSITIVE_INFINITY,
        lastT: Number.NEGATIVE_INFINITY,
      });
    }
    this.tally = new Array<number>(n).fill(0);
    this.scores = new Array<number>(n).fill(Number.NaN);
    this.forecasts = new Array<number>(n).fill(Number.NaN);
  }

  /** A book of instrument i at time t (s): records top-of-book events and refreshes its CLF. */
  onBook(i: number, t: number, bids: readonly RefLevel[], asks: readonly RefLevel[]): void {
    const s = this.inst[i]!;
    const bid = bids[0]!.price;
    const ask = asks[0]!.price;
    if (!Number.isNaN(s.bid)) {
      if (bid > s.bid) s.hawkes.event(TOB_BID_UP, t);
      else if (bid < s.bid) s.hawkes.event(TOB_BID_DOWN, t);
      if (ask > s.ask) s.hawkes.event(TOB_ASK_UP, t);
      else if (ask < s.ask) s.hawkes.event(TOB_ASK_DOWN, t);
    }
    s.bid = bid;
    s.ask = ask;
    s.lastT = t;
    if (bids.length > 1 && asks.length > 1) s.clf = compositeLiquidityFactor(bids, asks, this.o.clf);
  }

  /** One decision at time t: scores, one vote, the anchor by rolling majority. */
  decide(t: number): number {
    let sumN = 0;
    let sumC = 0;
    for (let i = 0; i < this.n; i++) {
      const s = this.inst[i]!;
      if (t - s.lastT > this.o.staleS || !Number.isFinite(s.clf)) {
        this.forecasts[i] = Number.NaN;
        continue;
      }
      this.forecasts[i] = s.hawkes.forecastTotal(this.o.horizonS, t);
      sumN += this.forecasts[i]!;
      sumC += s.clf;
    }
    let best = -1;
    for (let i = 0; i < this.n; i++) {
      if (Number.isNaN(this.forecasts[i]!)) {
        this.scores[i] = Number.NaN;
        continue;
      }
      const score = this.o.wHawkes * (sumN > 0 ? this.forecasts[i]! / sumN : 0) + this.o.wClf * (sumC > 0 ? this.inst[i]!.clf / sumC : 0);
      this.scores[i] = score;
      if (best < 0 || score < this.scores[best]!) best = i;
    }
    if (best < 0) return this.anchor;
    this.votes.push(best);
    this.tally[best]!++;
    if (this.votes.length > this.o.window) this.tally[this.votes.shift()!]!--;
    let lead = this.anchor;
    for (let i = 0; i < this.n; i++) if (this.tally[i]! > this.tally[lead]!) lead = i;
    // the current anchor must still be live to keep a tie
    if (Number.isNaN(this.forecasts[this.anchor]!) && lead === this.anchor) lead = best;
    this.anchor = lead;
    return lead;
  }

  /** The instrument's last mid (source units), NaN before its first book. */
  mid(i: number): number {
    const s = this.inst[i]!;
    return (s.bid + s.ask) / 2;
  }
  clf(i: number): number {
    return this.inst[i]!.clf;
  }
}
