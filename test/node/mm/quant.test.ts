// node/quant: Hawkes intensities and forecasts against closed forms and the mean ODE, matrix exponential,
// the jump diffusion's mean.

import { expect } from "chai";
import { jumpCompensator, stepJumpDiffusion } from "../../../node/quant/gbm.ts";
import { MultiHawkes, hawkesExpectedCounts, stationaryIntensity } from "../../../node/quant/hawkes.ts";
import { expm, matMul, solve } from "../../../node/quant/linalg.ts";
import { Rng } from "../../../node/quant/rng.ts";
import { quantile } from "../../../node/quant/stats.ts";

describe("quant", () => {
  it("univariate Hawkes forecast equals the closed form", () => {
    const mu = 0.8;
    const alpha = 1.2;
    const beta = 3;
    const p = { mu: [mu], alpha: [[alpha]], beta };
    const linf = mu / (1 - alpha / beta);
    expect(stationaryIntensity(p)[0]).to.be.closeTo(linf, 1e-12);
    for (const l0 of [0.5, linf, 4, 10]) {
      for (const h of [0.1, 1, 5]) {
        const k = beta - alpha;
        const want = linf * h + ((l0 - linf) * (1 - Math.exp(-k * h))) / k;
        expect(hawkesExpectedCounts(p, [l0], h)[0]).to.be.closeTo(want, 1e-9);
      }
    }
  });

  it("bivariate forecast equals the integral of the mean ODE y' = (alpha - beta I) y + beta mu", () => {
    const p = { mu: [0.5, 0.3], alpha: [[0.9, 0.4], [0.2, 1.1]], beta: 2.5 };
    const l0 = [3, 0.7];
    const h = 2;
    const n = 200_000;
    const dt = h / n;
    let y = [...l0];
    const count = [0, 0];
    for (let s = 0; s < n; s++) {
      // midpoint rule
      const f = (v: number[]) => [0, 1].map((i) => p.alpha[i]![0]! * v[0]! + p.alpha[i]![1]! * v[1]! - p.beta * v[i]! + p.beta * p.mu[i]!);
      const k1 = f(y);
      const mid = y.map((v, i) => v + (dt / 2) * k1[i]!);
      const k2 = f(mid);
      const next = y.map((v, i) => v + dt * k2[i]!);
      for (let i = 0; i < 2; i++) count[i]! += (dt * (y[i]! + next[i]!)) / 2;
      y = next;
    }
    const got = hawkesExpectedCounts(p, l0, h);
    expect(got[0]).to.be.closeTo(count[0]!, 1e-6);
    expect(got[1]).to.be.closeTo(count[1]!, 1e-6);
  });

  it("the cached total forecast equals the sum of the closed-form counts", () => {
    const p = { mu: [0.5, 0.3, 0.2], alpha: [[0.9, 0.4, 0.1], [0.2, 1.1, 0.3], [0.1, 0.1, 0.5]], beta: 2.5 };
    const h = new MultiHawkes(p);
    h.event(0, 1);
    h.event(2, 1.2);
    h.event(1, 1.3);
    for (const [hz, t] of [[0.5, 1.3], [2, 1.5], [2, 4]] as const) {
      const want = hawkesExpectedCounts(p, h.intensities(t), hz).reduce((a, b) => a + b, 0);
      expect(h.forecastTotal(hz, t)).to.be.closeTo(want, 1e-10);
    }
  });

  it("online intensities jump by alpha at an event (self and cross) and decay at rate beta", () => {
    const h = new MultiHawkes({ mu: [1, 2], alpha: [[0.5, 0.2], [0.3, 0.7]], beta: 4 });
    h.event(0, 10);
    expect(h.intensity(0, 10)).to.be.closeTo(1.5, 1e-12);
    expect(h.intensity(1, 10)).to.be.closeTo(2.3, 1e-12);
    expect(h.intensity(0, 10.25)).to.be.closeTo(1 + 0.5 * Math.exp(-1), 1e-12);
    h.event(1, 10.25);
    expect(h.intensity(1, 10.25)).to.be.closeTo(2 + 0.3 * Math.exp(-1) + 0.7, 1e-12);
  });

  it("expm and solve", () => {
    const th = 0.7;
    const r = expm([[0, th], [-th, 0]]);
    expect(r[0]![0]).to.be.closeTo(Math.cos(th), 1e-13);
    expect(r[0]![1]).to.be.closeTo(Math.sin(th), 1e-13);
    const big = expm([[3, 0], [0, -2]]);
    expect(big[0]![0]).to.be.closeTo(Math.exp(3), 1e-10);
    expect(big[1]![1]).to.be.closeTo(Math.exp(-2), 1e-13);
    const a = [[4, 1], [2, 3]];
    const x = solve(a, [1, 2]);
    const back = matMul(a, [[x[0]!], [x[1]!]]);
    expect(back[0]![0]).to.be.closeTo(1, 1e-12);
    expect(back[1]![0]).to.be.closeTo(2, 1e-12);
  });

  it("jump diffusion: E[S_T] = S_0 e^{mu T} (the jump compensator keeps the drift)", () => {
    const rng = new Rng(3);
    const p = { mu: 0.05, sigma: 0.2, jumpRate: 2, jumpMean: -0.05, jumpStd: 0.1 };
    expect(jumpCompensator(p)).to.be.closeTo(Math.exp(-0.05 + 0.005) - 1, 1e-15);
    let sum = 0;
    const n = 40_000;
    let jumps = 0;
    for (let i = 0; i < n; i++) {
      const r = stepJumpDiffusion(100, 1, p, rng);
      sum += r.price;
      jumps += r.jumps;
    }
    expect(sum / n).to.be.closeTo(100 * Math.exp(0.05), 0.6);
    expect(jumps / n).to.be.closeTo(2, 0.05);
    expect(quantile([5, 1, 3, 2, 4], 0.5)).to.equal(3);
  });
});
