// Geometric Brownian motion with compound-Poisson lognormal jumps (Merton 1976), stepped exactly in log
// space. Used by the market maker's seeded synthetic reference source and by simulations.
// docs/market-maker.md "Synthetic source" gives the formula and units.

import type { Rng } from "./rng.ts";

export interface JumpDiffusionParams {
  /** Drift per second (continuously compounded, of the price itself: E[S_t] = S_0 e^{mu t}). */
  mu: number;
  /** Diffusive volatility per sqrt(second). */
  sigma: number;
  /** Jump intensity (jumps per second). */
  jumpRate: number;
  /** Mean of the log jump size. */
  jumpMean: number;
  /** Standard deviation of the log jump size. */
  jumpStd: number;
}

/** E[e^J - 1] for J ~ N(jumpMean, jumpStd^2): the jump compensator kappa. */
export function jumpCompensator(p: JumpDiffusionParams): number {
  return Math.exp(p.jumpMean + 0.5 * p.jumpStd * p.jumpStd) - 1;
}

/**
 * One exact step of length dt seconds:
 *   ln S_{t+dt} = ln S_t + (mu - sigma^2/2 - jumpRate*kappa) dt + sigma sqrt(dt) Z + sum_{i<N} J_i,
 *   N ~ Poisson(jumpRate dt), J_i ~ N(jumpMean, jumpStd^2).
 * Returns the new price and the number of jumps in the step.
 */
export function stepJumpDiffusion(s: number, dt: number, p: JumpDiffusionParams, rng: Rng): { price: number; jumps: number } {
  const kappa = jumpCompensator(p);
  let x = (p.mu - 0.5 * p.sigma * p.sigma - p.jumpRate * kappa) * dt + p.sigma * Math.sqrt(dt) * rng.normal();
  const n = p.jumpRate > 0 ? rng.poisson(p.jumpRate * dt) : 0;
  for (let i = 0; i < n; i++) x += p.jumpMean + p.jumpStd * rng.normal();
  return { price: s * Math.exp(x), jumps: n };
}
