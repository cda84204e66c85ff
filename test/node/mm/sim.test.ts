// The market maker over the real STF (node/clob applyBatch through the in-process LocalExchange) for more
// than 30 batches with a taker agent: two-sided every batch, inventory within limits, P&L attribution
// adding up to the P&L (and that P&L equal to the change of the maker's STF balances at the mark), and
// the kill switch pulling every quote within one batch.

import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Registry } from "prom-client";
import { signTx } from "../../../node/clob/eip712.ts";
import { TxKind } from "../../../node/clob/types.ts";
import { MarketMaker } from "../../../node/mm/maker.ts";
import { KillReason } from "../../../node/mm/risk.ts";
import { BASE_FUNDS, DOMAIN, MARKETS, QUOTE_FUNDS, START_S, Taker, flush, key, makeExchange, makerConfig, marketParams, syntheticSource } from "./support/setup.ts";

describe("mm: simulation over the real STF", function () {
  this.timeout(120_000);

  it("quotes two-sided for 40 batches against a taker, inventory within limits, attribution adds up, kill pulls all within one batch", async () => {
    const makerKey = key("maker");
    const takerKey = key("taker");
    const ex = makeExchange(makerKey, [takerKey]);
    const cfg = makerConfig();
    const registry = new Registry();
    let nowMs = START_S * 1000;
    const mm = new MarketMaker({ config: cfg, exchange: ex, clock: () => nowMs, registry });
    const src = syntheticSource(11);
    const taker = new Taker(takerKey, 5);
    let pending = src.next();
    let fills = 0;
    ex.subscribe((e) => {
      if (e.kind === "fill") fills++;
    });
    const BATCHES = 40;
    for (let b = 1; b <= BATCHES; b++) {
      nowMs = ex.now * 1000;
      while (pending.recvMs <= nowMs) {
        mm.onReference(0, pending);
        pending = src.next();
      }
      mm.cycle(nowMs);
      if (b > 1) for (const tx of taker.orders(ex, 0.5)) ex.submitTx(tx);
      ex.produceBatch(1);
      nowMs = ex.now * 1000;
      await flush();
      for (const m of MARKETS) {
        const orders = ex.ordersOf(m, makerKey.address);
        expect(orders.some((o) => o.side === 0), `batch ${b} market ${m}: a bid rests`).to.equal(true);
        expect(orders.some((o) => o.side === 1), `batch ${b} market ${m}: an ask rests`).to.equal(true);
        const q = mm.quoters.find((x) => x.market === m)!;
        const p = marketParams(m);
        const baseLots = (ex.balance(makerKey.address, p.baseAsset) - BASE_FUNDS) / p.lotSize;
        expect(q.pnl.inventory, `batch ${b} market ${m}: tracked inventory = STF balance`).to.equal(baseLots);
        expect(Math.abs(baseLots)).to.be.at.most(cfg.limits.maxPosition);
        const mark = q.pnl.mark;
        if (!Number.isNaN(mark)) {
          const stfValue = ex.balance(makerKey.address, p.quoteAsset) - QUOTE_FUNDS + baseLots * mark * p.tickSize;
          const scale = 1 + Math.abs(stfValue);
          expect(Math.abs(q.pnl.markToMarket - stfValue) / scale, `batch ${b}: P&L = STF balance change at the mark`).to.be.below(1e-9);
          expect(Math.abs(q.pnl.check()) / scale, `batch ${b}: components add up`).to.be.below(1e-9);
        }
      }
    }
    expect(fills, "the taker traded with the maker").to.be.greaterThan(20);
    const st = mm.status(nowMs);
    for (const m of st.markets) {
      const s = m.pnl;
      expect(s.spread + s.adverse + s.carry + s.fees).to.be.closeTo(s.total, 1e-6 * (1 + Math.abs(s.total)));
      expect(s.fees, "maker rebates were earned").to.be.greaterThan(0);
    }
    expect(st.killed).to.equal(false);
    const metrics = await registry.metrics();
    expect(metrics).to.match(/rollbook_mm_inventory_lots\{market="1"\}/);
    expect(metrics).to.match(/rollbook_mm_kill_switch 0/);
    // every metric the alert rules use exists
    const rules = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), "../../../docker/prometheus/mm-alerts.yml"), "utf8");
    const used = new Set(rules.match(/rollbook_mm_[a-z_]+/g));
    expect(used.size).to.be.greaterThan(6);
    for (const name of used) expect(metrics, name).to.include(`# TYPE ${name} `);

    // kill: one bulk with one CANCEL_ALL per market, every quote gone after the next batch
    const bulksBefore = ex.bulks.length;
    mm.kill("test", nowMs);
    for (const tx of taker.orders(ex, 0.5)) ex.submitTx(tx);
    ex.produceBatch(1);
    await flush();
    const killBulks = ex.bulks.slice(bulksBefore);
    expect(killBulks).to.have.length(1);
    expect(killBulks[0]!.map((a) => a.kind)).to.deep.equal(MARKETS.map(() => "cancelAll"));
    for (const m of MARKETS) expect(ex.ordersOf(m, makerKey.address), `market ${m} empty after the kill batch`).to.have.length(0);
    const after = mm.status(ex.now * 1000);
    expect(after.killed).to.equal(true);
    expect(after.killCancel).to.equal("soft");
    expect(after.kills.map((k) => k.reason)).to.deep.equal([KillReason.MANUAL]);
    // killed: cycles send nothing until the reset
    expect(mm.cycle(ex.now * 1000)).to.have.length(0);
    mm.reset("test-operator", ex.now * 1000);
    expect(mm.cycle(ex.now * 1000).length).to.be.greaterThan(0);

    // the maker's bulks are signed by its agent key, which cannot withdraw (docs/stf.md "Authentication")
    const account = ex.state.account(makerKey.address)!;
    const withdraw = signTx(DOMAIN, {
      kind: TxKind.WITHDRAW, account: makerKey.address, nonce: account.nonce, sig: { r: new Uint8Array(32), s: new Uint8Array(32), v: 0 },
      asset: 1, amount: 1, recipient: ex.agent.address,
    }, ex.agent.priv);
    ex.submitTx(withdraw);
    const before = ex.balance(makerKey.address, 1);
    ex.produceBatch(1);
    expect(ex.balance(makerKey.address, 1)).to.equal(before);
  });
});
