// Avellaneda & Stoikov (2008), "High-frequency trading in a limit order book", Quantitative Finance
// 8(3): the reservation price and the optimal total spread of the finite-horizon model with exponential
// utility and fill intensity A e^{-k delta}. docs/market-maker.md "Avellaneda-Stoikov".
//
// Units: s, r, spread in ticks; q in lots; gamma in 1/(tick lot); sigma in ticks/sqrt(s); tau in s;
// k in 1/tick.

/** r = s - q gamma sigma^2 tau. */
export function asReservationPrice(s: number, q: number, gamma: number, sigma: number, tau: number): number {
  return s - q * gamma * sigma * sigma * tau;
}

/** delta_a + delta_b = gamma sigma^2 tau + (2 / gamma) ln(1 + gamma / k). */
export function asOptimalSpread(gamma: number, sigma: number, tau: number, k: number): number {
  return gamma * sigma * sigma * tau + (2 / gamma) * Math.log(1 + gamma / k);
}

export interface Quote {
  /** Reservation (indifference) price, ticks. */
  reservation: number;
  /** Distance of the bid below / the ask above the reservation price, ticks (before the ladder). */
  bidDepth: number;
  askDepth: number;
}

/** Symmetric quotes around the reservation price: bid = r - spread/2, ask = r + spread/2. */
export function asQuote(s: number, q: number, gamma: number, sigma: number, tau: number, k: number, out: Quote): Quote {
  out.reservation = asReservationPrice(s, q, gamma, sigma, tau);
  const half = asOptimalSpread(gamma, sigma, tau, k) / 2;
  out.bidDepth = half;
  out.askDepth = half;
  return out;
}
