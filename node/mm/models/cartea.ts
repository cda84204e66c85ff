// Cartea & Jaimungal style adjustments (Cartea, Jaimungal & Ricci 2014, "Buy low, sell high: a high
// frequency trading perspective", SIAM J. Financial Math. 5; Cartea, Jaimungal & Penalva 2015,
// "Algorithmic and High-Frequency Trading", ch. 10): a market order moves the mid against the maker it
// hits, so the optimal depth on each side grows by the expected adverse move on that side; jumps in the
// fair value add the expected jump loss over the quote's life, and a directional jump drift shifts the
// reservation price. docs/market-maker.md "Cartea-Jaimungal adjustments" writes our definitions down.

import type { Quote } from "./avellaneda.ts";

export interface AdjustmentInputs {
  /** Adverse selection (ticks) measured on our buys (bid fills) and sells (ask fills); <= 0 adds nothing. */
  adverseBid: number;
  adverseAsk: number;
  /** Jump intensity (1/s), mean absolute jump and mean signed jump (ticks). */
  jumpRate: number;
  jumpAbs: number;
  jumpMean: number;
  /** Expected life of a quote (s). */
  quoteLife: number;
}

/**
 * delta_b += max(0, AS_b) + lambda_J tau |J|,  delta_a += max(0, AS_a) + lambda_J tau |J|,
 * r += lambda_J tau E[J]. Mutates and returns `q`.
 */
export function applyAdjustments(q: Quote, a: AdjustmentInputs): Quote {
  const jumpRisk = a.jumpRate * a.quoteLife * a.jumpAbs;
  q.bidDepth += Math.max(0, a.adverseBid) + jumpRisk;
  q.askDepth += Math.max(0, a.adverseAsk) + jumpRisk;
  q.reservation += a.jumpRate * a.quoteLife * a.jumpMean;
  return q;
}
