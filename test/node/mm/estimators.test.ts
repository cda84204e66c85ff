// Estimators event by event: prices, volatility, regime (hysteresis, dwell), Hawkes flow, imbalance,
// bursts, markouts, jumps.

import { expect } from "chai";
import { BurstLevel, FlowImbalance, FlowIntensity, bookImbalance, detectBurst } from "../../../node/mm/estimators/flow.ts";
import { MarketEstimator } from "../../../node/mm/estimators/market.ts";
import { MarkoutEstimator } from "../../../node/mm/estimators/markouts.ts";
import { microPrice, midPrice } from "../../../node/mm/estimators/price.ts";
import { Regime, RegimeDetector } from "../../../node/mm/estimators/regime.ts";
import { EwmaVol, MultiWindowVol } from "../../../node/mm/estimators/vol.ts";
import { DEFAULT_ESTIMATOR } from "../../../node/mm/config.ts";
import { Rng } from "../../../node/quant/rng.ts";

describe("mm estimators", () => {
  it("mid and micro-price", () => {
    expect(midPrice(100, 102)).to.equal(101);
    expect(microPrice(100, 3, 102, 1)).to.equal((100 * 1 + 102 * 3) / 4);
    expect(microPrice(100, 0, 102, 0)).to.equal(101);
    expect(microPrice(100, 9, 102, 1)).to.be.above(101);
  });

  it("EWMA and windowed volatility recover the sigma of a simulated path", () => {
    const rng = new Rng(1);
    const sigma = 2e-4;
    const ewma = new EwmaVol({ halfLifeS: 200, minDtS: 0.5, initialSigma: 1e-5 });
    const win = new MultiWindowVol({ windowsS: [60, 600], minDtS: 0.5 });
    let x = Math.log(60_000);
    for (let t = 0; t <= 3000; t += 1) {
      ewma.update(t, Math.exp(x));
      win.update(t, Math.exp(x));
      x += sigma * rng.normal();
    }
    expect(ewma.sigma / sigma).to.be.within(0.85, 1.15);
    expect(win.sigma(1) / sigma).to.be.within(0.9, 1.1);
    expect(win.sigma(0) / sigma).to.be.within(0.7, 1.3);
  });

  it("windowed volatility forgets returns older than the window", () => {
    const win = new MultiWindowVol({ windowsS: [10, 100], minDtS: 1 });
    let p = 100;
    for (let t = 0; t <= 50; t++) {
      win.update(t, p);
      p *= t < 20 ? 1.01 : 1;
    }
    expect(win.sigma(0)).to.equal(0);
    expect(win.sigma(1)).to.be.above(0);
  });

  it("regime: escalates at once, steps down one level after the dwell time and below the hysteresis band", () => {
    const r = new RegimeDetector({ thresholds: [1, 2, 3], hysteresis: 0.2, minDwellS: 10 });
    expect(r.update(0, 1.5)).to.equal(Regime.NORMAL);
    expect(r.update(1, 3.5)).to.equal(Regime.EXTREME);
    expect(r.update(5, 0.5)).to.equal(Regime.EXTREME); // dwell
    expect(r.update(12, 2.9)).to.equal(Regime.EXTREME); // inside the band (3 * 0.8 = 2.4)
    expect(r.update(13, 2.3)).to.equal(Regime.HIGH);
    expect(r.update(14, 0.1)).to.equal(Regime.HIGH); // dwell again
    expect(r.update(24, 0.1)).to.equal(Regime.NORMAL);
    expect(r.update(34, 0.1)).to.equal(Regime.LOW);
    expect(r.update(35, 1.1)).to.equal(Regime.NORMAL);
  });

  it("Hawkes flow: self- and cross-excitation; burst widens then pulls; flow and book imbalance", () => {
    const f = new FlowIntensity({ mu: 0.5, selfExcite: 0.6, crossExcite: 0.1, beta: 1.5 });
    f.trade(0, 1);
    expect(f.buy(0)).to.be.closeTo(1.1, 1e-12);
    expect(f.sell(0)).to.be.closeTo(0.6, 1e-12);
    const opts = { oneSided: 0.75, widenRate: 6, pullRate: 15 };
    const out = { side: 0 as 1 | -1 | 0, level: BurstLevel.NONE as BurstLevel };
    let t = 0;
    let widened = false;
    for (let i = 0; i < 200 && out.level !== BurstLevel.PULL; i++) {
      t += 0.02;
      f.trade(t, -1);
      detectBurst(f.buy(t), f.sell(t), opts, out);
      if (out.level === BurstLevel.WIDEN) widened = true;
    }
    expect(widened).to.equal(true);
    expect(out).to.deep.equal({ side: -1, level: BurstLevel.PULL });
    // decays back
    detectBurst(f.buy(t + 30), f.sell(t + 30), opts, out);
    expect(out.level).to.equal(BurstLevel.NONE);
    const imb = new FlowImbalance(5);
    imb.trade(0, 1, 2);
    imb.trade(0, -1, 1);
    expect(imb.value(0)).to.be.closeTo(1 / 3, 1e-12);
    expect(bookImbalance([{ price: 1, size: 3 }, { price: 0.9, size: 1 }], [{ price: 2, size: 1 }], 5)).to.equal(0.6);
  });

  it("markouts: adverse selection per side and horizon from the fair value after each horizon", () => {
    const m = new MarkoutEstimator({ horizonsS: [1, 5], alpha: 0.5 });
    m.fill(0, 1, 100); // we bought at fair 100
    m.fill(0, -1, 100); // and sold
    m.mark(1, 97); // fair fell 3 ticks after 1 s
    expect(m.get(1, 0)).to.equal(3); // our buy was picked off
    expect(m.get(-1, 0)).to.equal(-3); // our sell gained
    expect(m.get(1, 1)).to.equal(0); // 5 s horizon not yet
    m.mark(5, 95);
    expect(m.get(1, 1)).to.equal(5);
    m.fill(6, 1, 95);
    m.mark(7, 96);
    expect(m.get(1, 0)).to.equal(0.5 * 3 + 0.5 * -1);
  });

  it("market estimator: books drive mid, vol and regime; a large move counts as a jump", () => {
    const e = new MarketEstimator(DEFAULT_ESTIMATOR);
    let p = 600_000;
    for (let t = 0; t < 60; t += 0.5) {
      p *= 1 + 2e-5 * Math.sin(t);
      e.onBook(t, [{ price: p - 5, size: 2 }], [{ price: p + 5, size: 1 }]);
    }
    expect(e.mid).to.be.closeTo(p, 1e-6);
    expect(e.micro).to.be.above(e.mid);
    expect(e.jumpRate).to.equal(0);
    e.onBook(60.5, [{ price: p * 1.01 - 5, size: 1 }], [{ price: p * 1.01 + 5, size: 1 }]);
    expect(e.jumpRate).to.be.above(0);
    expect(e.jumpMean).to.be.closeTo(Math.log(1.01), 1e-4);
    expect(e.regime).to.be.at.least(Regime.HIGH);
  });
});
