// Multivariate Hawkes processes with exponential kernels: online intensities event by event and closed-
// form forecasts of expected event counts. Used by node/mm (buy/sell order-flow intensities, burst
// detection, top-of-book event forecasts for anchor selection). docs/market-maker.md "Hawkes".
//
// Model (d event types, time in seconds):
//   lambda_i(t) = mu_i + sum_j alpha_ij * sum_{t_k^j < t} exp(-beta (t - t_k^j))
// mu_i: baseline (events/s); alpha_ij: jump of lambda_i at an event of type j (events/s); beta: decay
// (1/s), shared by all pairs so forecasts have a closed form. Stationary iff the spectral radius of
// alpha/beta is below 1; then lambda_inf = (I - alpha/beta)^{-1} mu.

import { type Matrix, expm, identity, matAdd, matScale, matVec, solve } from "./linalg.ts";

export interface HawkesParams {
  mu: readonly number[];
  alpha: readonly (readonly number[])[];
  beta: number;
}

export class MultiHawkes {
  readonly d: number;
  readonly params: HawkesParams;
  /** Excitation state: excess[i] = lambda_i(t) - mu_i at time `t`. */
  private readonly excess: Float64Array;
  private t = Number.NaN;

  constructor(params: HawkesParams) {
    const d = params.mu.length;
    if (params.alpha.length !== d || params.alpha.some((r) => r.length !== d)) throw new RangeError("alpha must be d x d");
    if (!(params.beta > 0)) throw new RangeError("beta must be > 0");
    this.d = d;
    this.params = params;
    this.excess = new Float64Array(d);
  }

  /** Decays the state to time t (seconds, non-decreasing; an earlier t is treated as t = last). */
  advance(t: number): void {
    if (Number.isNaN(this.t)) {
      this.t = t;
      return;
    }
    const dt = t - this.t;
    if (dt <= 0) return;
    const f = Math.exp(-this.params.beta * dt);
    for (let i = 0; i < this.d; i++) this.excess[i]! *= f;
    this.t = t;
  }

  /** Records an event of type j at time t (after advancing to t). */
  event(j: number, t: number, mark = 1): void {
    this.advance(t);
    const a = this.params.alpha;
    for (let i = 0; i < this.d; i++) this.excess[i]! += a[i]![j]! * mark;
  }

  /** lambda_i at time t (t >= last event time; does not change the state). */
  intensity(i: number, t: number = this.t): number {
    const dt = Number.isNaN(this.t) ? 0 : Math.max(0, t - this.t);
    return this.params.mu[i]! + this.excess[i]! * Math.exp(-this.params.beta * dt);
  }

  intensities(t: number = this.t): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.d; i++) out.push(this.intensity(i, t));
    return out;
  }

  /** Expected number of events of each type in (t, t + h] given the history (closed form, below). */
  forecast(h: number, t: number = this.t): number[] {
    return hawkesExpectedCounts(this.params, this.intensities(t), h);
  }

  private cacheH = Number.NaN;
  private cacheM: Matrix = [];
  private cacheYInf: number[] = [];

  /**
   * Sum over types of the expected counts in (t, t + h]: the same closed form with the matrix part
   * B^{-1}(e^{Bh} - I) and lambda_inf computed once per horizon (they depend only on the parameters), so
   * a call is one d x d matrix-vector product and allocates nothing.
   */
  forecastTotal(h: number, t: number = this.t): number {
    if (h !== this.cacheH) {
      const d = this.d;
      const p = this.params;
      const b: Matrix = matAdd(p.alpha as Matrix, identity(d), -p.beta);
      const e = matAdd(expm(matScale(b, h)), identity(d), -1);
      // M = B^{-1} E, column by column
      const cols = identity(d).map((_, j) => solve(b, e.map((row) => row[j]!)));
      this.cacheM = identity(d).map((_, i) => cols.map((c) => c[i]!));
      this.cacheYInf = stationaryIntensity(p);
      this.cacheH = h;
    }
    const dt = Number.isNaN(this.t) ? 0 : Math.max(0, t - this.t);
    const f = Math.exp(-this.params.beta * dt);
    let total = 0;
    for (let i = 0; i < this.d; i++) {
      let x = this.cacheYInf[i]! * h;
      const row = this.cacheM[i]!;
      for (let j = 0; j < this.d; j++) x += row[j]! * (this.params.mu[j]! + this.excess[j]! * f - this.cacheYInf[j]!);
      total += x;
    }
    return total;
  }

  reset(): void {
    this.excess.fill(0);
    this.t = Number.NaN;
  }
}

/** lambda_inf = (I - alpha/beta)^{-1} mu (throws if I - alpha/beta is singular). */
export function stationaryIntensity(p: HawkesParams): number[] {
  const d = p.mu.length;
  const m: Matrix = matAdd(identity(d), matScale(p.alpha as Matrix, 1 / p.beta), -1);
  return solve(m, p.mu);
}

/**
 * E[N(t+h) - N(t) | F_t] for each type. With y(s) = E[lambda(t+s)], dy/ds = (alpha - beta I) y + beta mu,
 * so with B = alpha - beta I and y_inf = lambda_inf:
 *   y(s) = y_inf + e^{B s} (lambda(t) - y_inf),
 *   E[count] = y_inf h + B^{-1} (e^{B h} - I) (lambda(t) - y_inf).
 * Univariate: lambda_inf h + (lambda_0 - lambda_inf) (1 - e^{-(beta - alpha) h}) / (beta - alpha).
 */
export function hawkesExpectedCounts(p: HawkesParams, lambdaNow: readonly number[], h: number): number[] {
  const d = p.mu.length;
  const yInf = stationaryIntensity(p);
  const b: Matrix = matAdd(p.alpha as Matrix, identity(d), -p.beta);
  const e = matAdd(expm(matScale(b, h)), identity(d), -1);
  const dev = lambdaNow.map((l, i) => l - yInf[i]!);
  const v = matVec(e, dev);
  const x = solve(b, v);
  return yInf.map((y, i) => y * h + x[i]!);
}
