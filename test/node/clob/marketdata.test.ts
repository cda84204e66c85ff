// Market data derived from receipts (node/clob/marketdata.ts) must agree with the engine's own book after
// every batch (best bid/ask, every depth level), and candles must equal a brute-force OHLCV of the fills.

import { expect } from "chai";
import { MarketData } from "../../../node/clob/marketdata.ts";
import { L1MessageKind, Side, TimeInForce, type Tx } from "../../../node/clob/types.ts";
import { BASE, Chain, QUOTE, Trader, deposit, makeKeys, setMarket } from "./stf-helpers.ts";

describe("clob/marketdata", () => {
  it("levels, best prices, trades and candles follow the book through a random stream", () => {
    let seed = 4242;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const chain = new Chain();
    const traders = makeKeys(5, "md").map((k) => new Trader(k));
    const msgs = [setMarket(1)];
    for (const t of traders) msgs.push(deposit(t.address, BASE, 10_000_000), deposit(t.address, QUOTE, 10_000_000_000));
    const md = new MarketData({ intervals: [10, 60] });
    let r = chain.batch([], msgs);
    md.applyBatch({ index: chain.state.batchIndex, timestamp: chain.now }, r);
    const fills: { ts: number; price: number; size: number; notional: number }[] = [];
    let late: MarketData | undefined;
    for (let b = 0; b < 150; b++) {
      const txs: Tx[] = [];
      for (let i = 0; i < 10; i++) {
        const t = traders[rnd(traders.length)];
        const book = chain.state.markets.get(1)!.book;
        const idx = chain.state.account(t.address)!.index;
        const mine = [...book.ordersOf(idx)];
        const k = rnd(10);
        if (k < 6) {
          const side = rnd(2) as Side;
          const price = 1000 + (side === Side.BUY ? -rnd(10) + 2 : rnd(10) - 2);
          txs.push(t.place({ side, price, size: 1 + rnd(30), tif: rnd(5) === 0 ? TimeInForce.IOC : TimeInForce.GTC, expiry: rnd(8) === 0 ? chain.now + 3 : 0 }));
        } else if (k < 8 && mine.length > 0) txs.push(t.cancel(mine[rnd(mine.length)].id));
        else if (mine.length > 0) {
          const o = mine[rnd(mine.length)];
          txs.push(t.amend(o.id, o.price + rnd(3) - 1, 1 + rnd(40)));
        }
      }
      const l1 = rnd(20) === 0 ? [{ kind: L1MessageKind.FORCED_CANCEL, account: traders[0].address, market: 1, orderId: 0 } as const] : [];
      r = chain.batch(txs, l1, {}, 1 + rnd(7));
      md.applyBatch({ index: chain.state.batchIndex, timestamp: chain.now }, r);
      late?.applyBatch({ index: chain.state.batchIndex, timestamp: chain.now }, r);
      if (b === 50) late = MarketData.fromState(chain.state);
      for (const x of r.receipts.txs()) for (const f of x.fills) fills.push({ ts: chain.now, price: f.price, size: f.size, notional: f.notional });
      const book = chain.state.markets.get(1)!.book;
      for (const side of [Side.BUY, Side.SELL]) {
        const want = book.depth(side, 1000);
        expect(md.depth(1, side, 1000)).to.deep.equal(want);
        if (late !== undefined) expect(late.depth(1, side, 1000)).to.deep.equal(want);
      }
      expect(md.bestBid(1)?.price ?? -1).to.equal(book.bestBid());
      expect(md.bestAsk(1)?.price ?? -1).to.equal(book.bestAsk());
    }
    expect(fills.length).to.be.greaterThan(100);
    const trades = md.trades(1, 1_000_000);
    expect(trades.map((t) => [t.timestamp, t.price, t.size])).to.deep.equal(fills.map((f) => [f.ts, f.price, f.size]));
    for (const interval of [10, 60]) {
      const want = new Map<number, { open: number; high: number; low: number; close: number; volume: number; quoteVolume: number; trades: number }>();
      for (const f of fills) {
        const s = Math.floor(f.ts / interval) * interval;
        const c = want.get(s);
        if (c === undefined) want.set(s, { open: f.price, high: f.price, low: f.price, close: f.price, volume: f.size, quoteVolume: f.notional, trades: 1 });
        else {
          c.high = Math.max(c.high, f.price);
          c.low = Math.min(c.low, f.price);
          c.close = f.price;
          c.volume += f.size;
          c.quoteVolume += f.notional;
          c.trades++;
        }
      }
      expect(md.candles(1, interval, 1_000_000)).to.deep.equal([...want].map(([start, c]) => ({ start, ...c })));
    }
    expect(md.lastPrice(1)).to.equal(fills.at(-1)!.price);
  });
});
