// The ladder is always valid (seeded random inputs): integer prices and sizes, bids strictly descending,
// asks strictly ascending, never crossed, never at or through the other participants' touch, within the
// size and position budgets, sizes skewed against inventory.

import { expect } from "chai";
import { type LadderParams, buildLadder, ladderProblem } from "../../../node/mm/ladder.ts";
import { Rng } from "../../../node/quant/rng.ts";

describe("mm ladder (property)", () => {
  it("3000 random inputs give valid ladders", () => {
    const rng = new Rng(2024);
    for (let n = 0; n < 3000; n++) {
      const p: LadderParams = {
        levels: 1 + rng.int(8), depthRatio: 1 + rng.uniform() * 2, minStepTicks: 1 + rng.int(3), sideSize: 1 + rng.int(100),
        maxLevelSize: 3 + rng.int(40), minSize: 1 + rng.int(3), k: 0.001 + rng.uniform(), maxPosition: 1 + rng.int(200), sizeSkew: rng.uniform(),
      };
      const mid = 2 + rng.uniform() * (rng.uniform() < 0.1 ? 20 : 1e6);
      const others = rng.uniform() < 0.5;
      const obb = others ? Math.max(1, Math.floor(mid - rng.uniform() * 5)) : -1;
      const oba = others ? obb + 1 + rng.int(5) : -1;
      const inventory = Math.round((rng.uniform() * 2 - 1) * p.maxPosition * 1.2);
      const x = {
        reservation: mid + (rng.uniform() - 0.5) * 50, bidDepth: rng.uniform() * 30 + 1e-6, askDepth: rng.uniform() * 30 + 1e-6, inventory,
        adverseBid: (rng.uniform() - 0.3) * 10, adverseAsk: (rng.uniform() - 0.3) * 10, pullBid: rng.uniform() < 0.05, pullAsk: rng.uniform() < 0.05,
        otherBestBid: obb, otherBestAsk: oba,
      };
      const l = buildLadder(p, x);
      const ctx = JSON.stringify({ p, x, l });
      expect(ladderProblem(l, p.minSize), ctx).to.equal(null);
      if (others && l.bids.length > 0) expect(l.bids[0]!.price, ctx).to.be.below(oba);
      if (others && l.asks.length > 0) expect(l.asks[0]!.price, ctx).to.be.above(obb);
      for (const lv of [...l.bids, ...l.asks]) expect(lv.size, ctx).to.be.at.most(p.maxLevelSize);
      const bidLots = l.bids.reduce((s, v) => s + v.size, 0);
      const askLots = l.asks.reduce((s, v) => s + v.size, 0);
      // a full fill never takes the inventory past the limit
      expect(inventory + bidLots, ctx).to.be.at.most(Math.max(p.maxPosition, inventory));
      expect(inventory - askLots, ctx).to.be.at.least(Math.min(-p.maxPosition, inventory));
      if (x.pullBid) expect(l.bids).to.have.length(0);
      if (x.pullAsk) expect(l.asks).to.have.length(0);
      if (inventory >= p.maxPosition) expect(l.bids, ctx).to.have.length(0);
      if (inventory <= -p.maxPosition) expect(l.asks, ctx).to.have.length(0);
    }
  });

  it("sizes lean against inventory and prices round outward to ticks", () => {
    const p: LadderParams = { levels: 4, depthRatio: 1.5, minStepTicks: 1, sideSize: 40, maxLevelSize: 40, minSize: 1, k: 0.1, maxPosition: 100, sizeSkew: 1 };
    const base = { reservation: 1000.5, bidDepth: 2.2, askDepth: 2.2, adverseBid: 0, adverseAsk: 0, pullBid: false, pullAsk: false, otherBestBid: -1, otherBestAsk: -1 };
    const flat = buildLadder(p, { ...base, inventory: 0 });
    expect(flat.bids[0]!.price).to.equal(Math.floor(1000.5 - 2.2));
    expect(flat.asks[0]!.price).to.equal(Math.ceil(1000.5 + 2.2));
    const sum = (l: { size: number }[]) => l.reduce((s, v) => s + v.size, 0);
    expect(sum(flat.bids)).to.equal(sum(flat.asks));
    const long = buildLadder(p, { ...base, inventory: 50 });
    expect(sum(long.bids)).to.be.below(sum(long.asks));
    const short = buildLadder(p, { ...base, inventory: -50 });
    expect(sum(short.bids)).to.be.above(sum(short.asks));
  });
});
