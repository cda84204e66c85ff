// Gueant, Lehalle & Fernandez-Tapia (2013), "Dealing with the inventory risk: a solution to the market
// making problem", Math. Financ. Econ. 7(4), closed-form asymptotic approximation (Gueant 2017,
// "Optimal market making", Applied Math. Finance 24(2), eq. for xi = gamma):
//   delta_b(q) ~ c1 + (2q + 1)/2 * sigma c2,   delta_a(q) ~ c1 - (2q - 1)/2 * sigma c2
//   c1 = (1/gamma) ln(1 + gamma/k),   c2 = sqrt( gamma / (2 A k) * (1 + gamma/k)^(1 + k/gamma) )
// i.e. half-spread = c1 + sigma c2 / 2 and skew per unit of inventory = sigma c2.
// docs/market-maker.md "GLFT". Units: q in quote units (multiples of the quote size), A fills/s at
// zero depth, k 1/tick, gamma 1/(tick quote-unit), sigma ticks/sqrt(s); depths in ticks.

import type { Quote } from "./avellaneda.ts";

export interface GlftCoefficients {
  c1: number;
  c2: number;
  halfSpread: number;
  skew: number;
}

export function glftCoefficients(gamma: number, sigma: number, A: number, k: number): GlftCoefficients {
  const c1 = (1 / gamma) * Math.log(1 + gamma / k);
  const c2 = Math.sqrt((gamma / (2 * A * k)) * (1 + gamma / k) ** (1 + k / gamma));
  return { c1, c2, halfSpread: c1 + (sigma * c2) / 2, skew: sigma * c2 };
}

/** Quotes around the fair value s: bid depth = half + skew q, ask depth = half - skew q (reservation = s). */
export function glftQuote(s: number, q: number, gamma: number, sigma: number, A: number, k: number, out: Quote): Quote {
  const c = glftCoefficients(gamma, sigma, A, k);
  out.reservation = s - c.skew * q;
  out.bidDepth = c.halfSpread;
  out.askDepth = c.halfSpread;
  return out;
}
