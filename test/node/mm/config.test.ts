// Market maker configuration: defaults filled per market, every problem reported at once with its key.

import { expect } from "chai";
import { MakerConfigError, validateMakerConfig } from "../../../node/mm/config.ts";

describe("mm config", () => {
  it("fills defaults and keeps overrides", () => {
    const c = validateMakerConfig({
      references: [{ name: "bn", source: "binance", symbol: "BTCUSDT" }, { name: "hl", source: "hyperliquid", symbol: "BTC" }],
      markets: [{ market: 1, references: ["bn", "hl"], model: "as", ladder: { levels: 6 } }],
    });
    expect(c.markets[0]!.model).to.equal("as");
    expect(c.markets[0]!.ladder.levels).to.equal(6);
    expect(c.markets[0]!.ladder.depthRatio).to.be.greaterThan(1);
    expect(c.limits.maxPosition).to.be.greaterThan(0);
    expect(c.cycleMs).to.equal(250);
  });

  it("reports every problem with its key", () => {
    let err: unknown;
    try {
      validateMakerConfig({
        references: [{ name: "bn", source: "nasdaq", symbol: "X" }],
        limits: { maxPosition: -1 },
        markets: [{ market: 1, references: ["zz"], model: "bs", gamma: 0, ladder: { levels: 0, sizeSkew: 2 } }, { market: 1, references: ["bn"] }],
      });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(MakerConfigError);
    const p = (err as MakerConfigError).problems;
    expect((err as MakerConfigError).code).to.equal("MM_CONFIG_INVALID");
    for (const key of [
      "mm.references[0].source", "mm.limits.maxPosition", "mm.markets[0].references", "mm.markets[0].model", "mm.markets[0].gamma",
      "mm.markets[0].ladder.levels", "mm.markets[0].ladder.sizeSkew", "mm.markets[1].market",
    ]) expect(p.some((x) => x.startsWith(key)), `${key} in ${p.join("; ")}`).to.equal(true);
    expect(() => validateMakerConfig(null)).to.throw(MakerConfigError);
  });
});
