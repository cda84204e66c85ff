// Risk over the real STF: every kill reason fires (from real inputs: fills, reference moves, silence,
// action counts, a runtime limit change, the manual trigger), records its reason, and one bulk of one
// CANCEL_ALL per market pulls every quote within the next batch; quoting resumes only after the explicit
// reset. Gates (stale reference, extreme regime) pull quotes without killing.

import { expect } from "chai";
import type { MarketMakerConfig } from "../../../node/mm/config.ts";
import { MarketMaker } from "../../../node/mm/maker.ts";
import { KILL_REASONS, type KillReason, RiskManager } from "../../../node/mm/risk.ts";
import { DEFAULT_LIMITS } from "../../../node/mm/config.ts";
import { Regime } from "../../../node/mm/estimators/regime.ts";
import type { RefEvent } from "../../../node/mm/feeds/types.ts";
import type { LocalExchange } from "./support/local-exchange.ts";
import { MARKETS, START_S, Taker, flush, key, makeExchange, makerConfig, syntheticSource } from "./support/setup.ts";

class Harness {
  readonly maker = key("risk-maker");
  readonly ex: LocalExchange;
  readonly mm: MarketMaker;
  readonly taker = new Taker(key("risk-taker"), 3);
  private readonly src = syntheticSource(21);
  private pending: RefEvent;
  feed = true;
  shift = 1;
  lean = 0.5;
  trade = true;
  constructor(cfg: MarketMakerConfig) {
    this.ex = makeExchange(this.maker, [this.taker.key]);
    this.mm = new MarketMaker({ config: cfg, exchange: this.ex, clock: () => this.ex.now * 1000 });
    this.pending = this.src.next();
  }
  private shifted(e: RefEvent): RefEvent {
    if (this.shift === 1 || e.kind !== "book") return e;
    const f = (l: { price: number; size: number }) => ({ price: l.price * this.shift, size: l.size });
    return { ...e, bids: e.bids.map(f), asks: e.asks.map(f) };
  }
  async batch(dt = 1): Promise<void> {
    const now = this.ex.now * 1000;
    while (this.pending.recvMs <= now) {
      if (this.feed) this.mm.onReference(0, this.shifted(this.pending));
      this.pending = this.src.next();
    }
    this.mm.cycle(now);
    if (this.trade) for (const tx of this.taker.orders(this.ex, this.lean)) this.ex.submitTx(tx);
    this.ex.produceBatch(dt);
    await flush();
  }
  quotes(): number {
    return MARKETS.reduce((s, m) => s + this.ex.ordersOf(m, this.maker.address).length, 0);
  }
  twoSided(): boolean {
    return MARKETS.every((m) => {
      const o = this.ex.ordersOf(m, this.maker.address);
      return o.some((x) => x.side === 0) && o.some((x) => x.side === 1);
    });
  }
}

async function killScenario(reason: KillReason): Promise<void> {
  const limits: Record<string, number> = {};
  if (reason === "order_rate") limits.maxActionsPerMin = 60;
  if (reason === "fill_rate") limits.maxFillsPerMin = 8;
  if (reason === "daily_loss") limits.maxDailyLoss = 20_000;
  if (reason === "drawdown") limits.maxDrawdown = 20_000;
  if (reason === "stale_reference") limits.killStaleS = 20;
  const h = new Harness(makerConfig({ limits: { ...makerConfig().limits, ...limits } }));
  // quote first, without trading (the rate limits would trip on their own otherwise)
  h.trade = false;
  await h.batch();
  await h.batch();
  expect(h.twoSided(), "quoting before the trigger").to.equal(true);
  expect(h.mm.risk.killed).to.equal(false);
  const kills = () => h.mm.risk.kills.map((k) => k.reason);
  const bulksBefore = h.ex.bulks.length;
  let guard = 0;
  const step = async (dt = 1) => {
    await h.batch(dt);
    if (++guard > 80) throw new Error(`${reason} never fired; kills: ${kills().join(",")}`);
  };
  switch (reason) {
    case "manual":
      h.mm.kill("operator request");
      break;
    case "position_limit":
    case "notional_limit":
      h.trade = true;
      h.lean = 0; // the taker sells into our bids: we get long
      while (Math.abs(h.mm.quoters[0]!.pnl.inventory) < 10) await step();
      // an operator lowers the limit at run time (config reload)
      if (reason === "position_limit") h.mm.risk.limits.maxPosition = 5;
      else h.mm.risk.limits.maxNotional = 1e6;
      break;
    case "daily_loss":
    case "drawdown":
      h.trade = true;
      h.lean = 0;
      while (!h.mm.risk.killed && Math.abs(h.mm.quoters[0]!.pnl.inventory) < 20) await step();
      h.trade = false;
      h.shift = 0.99; // the reference drops 1% against our long inventory
      break;
    case "order_rate":
      break; // quoting alone sends more than 60 actions a minute
    case "fill_rate":
      h.trade = true;
      break;
    case "stale_reference":
      h.feed = false;
      break;
  }
  while (!h.mm.risk.killed) await step(reason === "stale_reference" ? 4 : 1);
  expect(kills()[0], `first kill reason (all: ${kills().join(",")})`).to.equal(reason);
  // the kill's bulk (sent synchronously by the cycle that tripped it, or by kill()) is executed by the next batch at the latest
  if (h.quotes() > 0) {
    h.trade = false;
    await h.batch();
  }
  expect(h.quotes(), "every quote pulled").to.equal(0);
  const killBulks = h.ex.bulks.slice(bulksBefore).filter((b) => b.every((a) => a.kind === "cancelAll"));
  expect(killBulks).to.have.length(1);
  expect(killBulks[0]!.map((a) => a.market)).to.deep.equal(MARKETS);
  expect(h.mm.status().killCancel).to.be.oneOf(["soft", "included", "safe", "proven"]);
  // stays down until the explicit reset
  h.trade = false;
  h.feed = true;
  h.shift = 1;
  h.mm.risk.limits.maxPosition = DEFAULT_LIMITS.maxPosition;
  h.mm.risk.limits.maxNotional = DEFAULT_LIMITS.maxNotional;
  h.mm.risk.limits.maxActionsPerMin = 100_000;
  h.mm.risk.limits.maxFillsPerMin = 100_000;
  h.mm.risk.limits.maxDailyLoss = 1e12;
  h.mm.risk.limits.maxDrawdown = 1e12;
  await h.batch();
  await h.batch();
  expect(h.quotes()).to.equal(0);
  if (reason === "position_limit" || reason === "notional_limit" || reason === "daily_loss" || reason === "drawdown") return;
  h.mm.reset("risk-test");
  await h.batch();
  await h.batch();
  expect(h.twoSided(), "quoting again after the reset").to.equal(true);
}

describe("mm risk and kill switch over the real STF", function () {
  this.timeout(120_000);
  for (const reason of KILL_REASONS) it(`kill reason ${reason} fires and pulls every quote within one batch`, () => killScenario(reason));

  it("gates: a stale reference and an extreme regime pull quotes without killing; quoting resumes", async () => {
    const h = new Harness(makerConfig());
    h.trade = false;
    await h.batch();
    await h.batch();
    expect(h.twoSided()).to.equal(true);
    h.feed = false;
    for (let i = 0; i < 4; i++) await h.batch(2);
    expect(h.quotes()).to.equal(0);
    expect(h.mm.status().markets[0]!.pulled).to.equal("stale_reference");
    expect(h.mm.risk.killed).to.equal(false);
    h.feed = true;
    await h.batch();
    await h.batch();
    expect(h.twoSided()).to.equal(true);
    for (const q of h.mm.quoters) q.est.regimes.regime = Regime.EXTREME;
    h.mm.cycle(h.ex.now * 1000);
    h.ex.produceBatch(1);
    await flush();
    expect(h.quotes()).to.equal(0);
    expect(h.mm.status().markets[0]!.pulled).to.equal("regime");
    expect(h.mm.risk.killed).to.equal(false);
  });

  it("a condition that persists while killed is recorded once; the manual trigger always is", () => {
    const r = new RiskManager({ ...DEFAULT_LIMITS, maxPosition: 1 });
    const input = { market: 1, inventory: 5, notional: 0, refAgeS: 0, regime: 1 };
    r.checkMarket(0, input);
    r.checkMarket(1, input);
    r.kill("manual", "x", 2);
    expect(r.kills.map((k) => k.reason)).to.deep.equal(["position_limit", "manual"]);
    r.reset("op", 3, 0);
    r.checkMarket(4, input);
    expect(r.kills.map((k) => k.reason)).to.deep.equal(["position_limit", "manual", "position_limit"]);
    expect(r.resets).to.deep.equal([{ by: "op", atMs: 3 }]);
    // a reference never seen pulls but does not kill
    const fresh = new RiskManager(DEFAULT_LIMITS);
    expect(fresh.checkMarket(0, { ...input, inventory: 0, refAgeS: Infinity })).to.deep.equal({ pull: true, reason: "stale_reference" });
    expect(fresh.killed).to.equal(false);
  });
});

void START_S;
