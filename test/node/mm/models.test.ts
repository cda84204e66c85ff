// Quoting models against their closed forms, and the properties the issue asks for: the reservation price
// moves against inventory; spreads widen with volatility and with the regime. Anchor selection.

import { expect } from "chai";
import { validateMakerConfig } from "../../../node/mm/config.ts";
import { Regime } from "../../../node/mm/estimators/regime.ts";
import { AnchorSelector, compositeLiquidityFactor } from "../../../node/mm/models/anchor.ts";
import { asOptimalSpread, asQuote, asReservationPrice } from "../../../node/mm/models/avellaneda.ts";
import { applyAdjustments } from "../../../node/mm/models/cartea.ts";
import { glftCoefficients, glftQuote } from "../../../node/mm/models/glft.ts";
import { MarketQuoter } from "../../../node/mm/quoter.ts";
import { DEFAULT_ANCHOR } from "../../../node/mm/config.ts";

const q0 = () => ({ reservation: 0, bidDepth: 0, askDepth: 0 });

describe("mm models", () => {
  it("Avellaneda-Stoikov: closed forms; the reservation price moves against inventory; spread grows with sigma", () => {
    const [s, g, sig, tau, k] = [1000, 0.01, 3, 10, 0.2];
    expect(asReservationPrice(s, 5, g, sig, tau)).to.be.closeTo(1000 - 5 * 0.01 * 9 * 10, 1e-12);
    expect(asOptimalSpread(g, sig, tau, k)).to.be.closeTo(0.01 * 9 * 10 + 200 * Math.log(1.05), 1e-12);
    let prev = Infinity;
    for (let q = -20; q <= 20; q += 5) {
      const r = asReservationPrice(s, q, g, sig, tau);
      expect(r).to.be.below(prev);
      expect(Math.sign(s - r)).to.equal(Math.sign(q));
      prev = r;
    }
    expect(asOptimalSpread(g, 6, tau, k)).to.be.above(asOptimalSpread(g, 3, tau, k));
    const out = asQuote(s, 2, g, sig, tau, k, q0());
    expect(out.bidDepth).to.equal(out.askDepth);
    expect(out.reservation).to.equal(asReservationPrice(s, 2, g, sig, tau));
  });

  it("GLFT: the closed-form approximation; skew per unit inventory; wider with sigma", () => {
    const [g, sig, A, k] = [0.05, 4, 1.5, 0.3];
    const c = glftCoefficients(g, sig, A, k);
    const c1 = Math.log(1 + g / k) / g;
    const c2 = Math.sqrt((g / (2 * A * k)) * (1 + g / k) ** (1 + k / g));
    expect(c.c1).to.be.closeTo(c1, 1e-12);
    expect(c.c2).to.be.closeTo(c2, 1e-12);
    expect(c.halfSpread).to.be.closeTo(c1 + (sig * c2) / 2, 1e-12);
    expect(c.skew).to.be.closeTo(sig * c2, 1e-12);
    // Gueant's delta_b(q) = c1 + (2q+1)/2 sigma c2 and delta_a(q) = c1 - (2q-1)/2 sigma c2, around s
    for (const q of [-3, 0, 2]) {
      const o = glftQuote(500, q, g, sig, A, k, q0());
      expect(500 - (o.reservation - o.bidDepth)).to.be.closeTo(c1 + ((2 * q + 1) / 2) * sig * c2, 1e-9);
      expect(o.reservation + o.askDepth - 500).to.be.closeTo(c1 - ((2 * q - 1) / 2) * sig * c2, 1e-9);
    }
    expect(glftQuote(500, 1, g, sig, A, k, q0()).reservation).to.be.below(glftQuote(500, 0, g, sig, A, k, q0()).reservation);
    expect(glftCoefficients(g, 8, A, k).halfSpread).to.be.above(c.halfSpread);
  });

  it("Cartea-Jaimungal adjustments: adverse selection per side, jump risk, jump drift", () => {
    const q = applyAdjustments({ reservation: 100, bidDepth: 2, askDepth: 2 }, { adverseBid: 1.5, adverseAsk: -1, jumpRate: 0.1, jumpAbs: 20, jumpMean: -10, quoteLife: 2 });
    expect(q.bidDepth).to.be.closeTo(2 + 1.5 + 0.1 * 2 * 20, 1e-12);
    expect(q.askDepth).to.be.closeTo(2 + 0 + 0.1 * 2 * 20, 1e-12);
    expect(q.reservation).to.be.closeTo(100 - 0.1 * 2 * 10, 1e-12);
  });

  describe("through the quote pipeline", () => {
    const cfg = validateMakerConfig({
      references: [{ name: "r", source: "synthetic", symbol: "X" }],
      markets: [{ market: 1, references: ["r"], model: "glft" }, { market: 2, references: ["r"], model: "as", gamma: 0.001, tauS: 5 }],
    });
    const top = { bestBid: -1, bestAsk: -1 };
    function quoter(m: number, sigmaScale: number): MarketQuoter {
      const q = new MarketQuoter(cfg.markets[m - 1]!, cfg);
      let p = 60_000;
      for (let i = 0; i < 400; i++) {
        p *= 1 + sigmaScale * 1e-5 * (i % 2 === 0 ? 1 : -1);
        q.onBook(0, { kind: "book", source: "r", symbol: "X", exchMs: i * 500, recvMs: i * 500, bids: [{ price: p - 0.05, size: 1 }], asks: [{ price: p + 0.05, size: 1 }], depth: "top" });
      }
      return q;
    }
    function spread(q: MarketQuoter, t = 200_000): number {
      const l = q.target(t, "", top);
      return l.asks[0]!.price - l.bids[0]!.price;
    }

    for (const m of [1, 2]) {
      it(`market ${m} (${m === 1 ? "GLFT" : "AS"}): spreads widen with volatility and regime; quotes skew against inventory`, () => {
        const calm = quoter(m, 1);
        const wild = quoter(m, 4);
        expect(spread(wild)).to.be.above(spread(calm));
        const base = spread(calm);
        for (const r of [Regime.HIGH, Regime.EXTREME]) {
          calm.est.regimes.regime = r;
          expect(spread(calm), `regime ${r}`).to.be.above(base);
        }
        calm.est.regimes.regime = Regime.NORMAL;
        const flat = calm.target(200_000, "", top);
        const flatBid = flat.bids[0]!.price;
        const flatAsk = flat.asks[0]!.price;
        calm.pnl.onFill(200, 1, flatBid, 30, 0); // long 30 lots
        const long = calm.target(200_000, "", top);
        expect(long.bids[0]!.price).to.be.below(flatBid);
        expect(long.asks[0]!.price).to.be.below(flatAsk);
        const bidLots = long.bids.reduce((s, l) => s + l.size, 0);
        const askLots = long.asks.reduce((s, l) => s + l.size, 0);
        expect(bidLots).to.be.below(askLots);
      });
    }
  });

  it("composite liquidity factor: thin and gappy books score worse", () => {
    const o = { refSize: 2, levels: 5, dScale: 1 };
    const lv = (p0: number, step: number, sizes: number[], dir: number) => sizes.map((s, i) => ({ price: p0 + dir * step * i, size: s }));
    const thick = compositeLiquidityFactor(lv(99.99, 0.01, [5, 5, 5, 5, 5], -1), lv(100.01, 0.01, [5, 5, 5, 5, 5], 1), o);
    const thin = compositeLiquidityFactor(lv(99.99, 0.01, [0.5, 0.5, 0.5, 0.5, 0.5], -1), lv(100.01, 0.01, [0.5, 0.5, 0.5, 0.5, 0.5], 1), o);
    const gappy = compositeLiquidityFactor(lv(99.99, 0.2, [5, 5, 5, 5, 5], -1), lv(100.01, 0.2, [5, 5, 5, 5, 5], 1), o);
    const lumpy = compositeLiquidityFactor(lv(99.99, 0.01, [0.1, 9, 0.1, 9, 0.1], -1), lv(100.01, 0.01, [0.1, 9, 0.1, 9, 0.1], 1), o);
    expect(thin).to.be.above(thick);
    expect(gappy).to.be.above(thick);
    expect(lumpy).to.be.above(thick);
  });

  it("anchor selection: the stable, liquid instrument anchors by rolling vote; a stale one is skipped", () => {
    const sel = new AnchorSelector(2, { ...DEFAULT_ANCHOR, window: 5, staleS: 2 });
    const book = (mid: number) => ({
      bids: [0, 1, 2, 3, 4].map((i) => ({ price: mid - 0.5 - i, size: 3 })),
      asks: [0, 1, 2, 3, 4].map((i) => ({ price: mid + 0.5 + i, size: 3 })),
    });
    let anchor = -1;
    for (let i = 0; i < 100; i++) {
      const t = i * 0.1;
      const jittery = book(100 + (i % 2 === 0 ? 1 : -1));
      const steady = book(100);
      sel.onBook(0, t, jittery.bids, jittery.asks);
      sel.onBook(1, t, steady.bids, steady.asks);
      anchor = sel.decide(t);
    }
    expect(anchor).to.equal(1);
    expect(sel.forecasts[0]).to.be.above(sel.forecasts[1]!);
    // instrument 1 goes silent: after staleS it cannot vote, instrument 0 takes over once it leads the window
    for (let i = 100; i < 200; i++) {
      const t = i * 0.1;
      const b = book(100);
      sel.onBook(0, t, b.bids, b.asks);
      anchor = sel.decide(t);
    }
    expect(anchor).to.equal(0);
    expect(Number.isNaN(sel.scores[1]!)).to.equal(true);
  });
});
