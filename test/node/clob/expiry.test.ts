// Eager expiry (docs/stf.md "Expiry (eager)"): the batch whose clock passes an order's expiry removes it
// before anything else runs, releases its lock and reports it; at most MAX_EXPIRIES_PER_BATCH per batch,
// the rest spill into the next batches and are never matched nor shown in the meantime. Checked on the
// STF, market data, the state commitment and stateless re-execution from witnesses.

import { expect } from "chai";
import { MAX_EXPIRIES_PER_BATCH } from "../../../node/clob/expiry.ts";
import { MarketData } from "../../../node/clob/marketdata.ts";
import { ErrorCode } from "../../../node/clob/errors.ts";
import { OrderStatus } from "../../../node/clob/receipts.ts";
import { type BatchResult } from "../../../node/clob/stf.ts";
import { Side, type L1Message, type Tx } from "../../../node/clob/types.ts";
import { StateCommitment, hex } from "../../../node/state/commitment.ts";
import { allLeaves } from "../../../node/state/derive.ts";
import { Tag } from "../../../node/state/leaves.ts";
import { applyAndWitness, verifyWitness } from "../../../node/state/witness.ts";
import { BASE, Chain, QUOTE, Trader, checkInvariants, deposit, makeKeys, setMarket } from "./stf-helpers.ts";

const LOT = 100; // DEFAULT_MARKET.lotSize

/** A chain with market 1, its commitment and market data, where every batch is also re-executed from its witness. */
function setup(traders: number) {
  const chain = new Chain();
  const ts = makeKeys(traders, "expiry").map((k) => new Trader(k));
  const sc = StateCommitment.fromState(chain.state);
  const md = MarketData.fromState(chain.state);
  const run = (txs: Tx[], msgs: L1Message[] = [], at?: number): BatchResult => {
    chain.now = at ?? chain.now + 1;
    const batch = { index: chain.state.batchIndex + 1, timestamp: chain.now, txs };
    const pre = sc.root();
    const { root, witness, result } = applyAndWitness(sc, chain.state, batch, msgs);
    expect(hex(root), "incremental root = rebuild").to.equal(hex(StateCommitment.fromState(chain.state).root()));
    expect(hex(verifyWitness(witness.bytes, pre, batch, msgs).postRoot), "stateless re-execution").to.equal(hex(root));
    md.applyBatch(batch, result);
    checkInvariants(chain.state);
    return result;
  };
  run([], [setMarket(1), ...ts.flatMap((t) => [deposit(t.address, BASE, 10_000_000), deposit(t.address, QUOTE, 1_000_000_000)])]);
  return { chain, ts, sc, md, run };
}

const expiryLeaves = (chain: Chain) => [...allLeaves(chain.state)].filter((e) => e[0] === Tag.EXPIRY).length;

describe("eager expiry", () => {
  it("an expired order leaves depth in the batch whose clock passes its expiry, and its lock is released then", () => {
    const { chain, ts, md, run } = setup(2);
    const [a] = ts;
    const t0 = chain.now;
    const expiry = t0 + 10;
    const r = run([a.sell(100, 5, { expiry }), a.sell(101, 3)]);
    const gtt = r.receipts.tx(0).orderId;
    expect(chain.state.accounts[1].locked(BASE)).to.equal((5 + 3) * LOT);
    expect(expiryLeaves(chain)).to.equal(1);

    run([], [], expiry - 1); // one second before: still resting, still shown
    expect(md.depth(1, Side.SELL, 10).map((l) => l.price)).to.deep.equal([100, 101]);
    expect(chain.state.markets.get(1)!.book.getOrder(gtt)).to.not.equal(undefined);

    const res = run([], [], expiry); // the clock reaches the expiry: gone, funds free, reported
    expect(chain.state.markets.get(1)!.book.getOrder(gtt)).to.equal(undefined);
    expect(chain.state.accounts[1].locked(BASE)).to.equal(3 * LOT);
    expect(chain.state.accounts[1].available(BASE)).to.equal(10_000_000 - 3 * LOT);
    expect(md.depth(1, Side.SELL, 10).map((l) => l.price)).to.deep.equal([101]);
    expect(md.bestAsk(1)?.price).to.equal(101);
    const ex = res.receipts.expired();
    expect(ex.map((u) => [u.orderId, u.status, u.size, u.remaining])).to.deep.equal([[gtt, OrderStatus.EXPIRED, 5, 0]]);
    expect(res.expiredUnswept).to.deep.equal([]);
    expect(expiryLeaves(chain)).to.equal(0);
  });

  it("matching never touches an expired order: the sweep runs before the batch's transactions", () => {
    const { chain, ts, run } = setup(2);
    const [a, b] = ts;
    const expiry = chain.now + 5;
    const r = run([a.sell(100, 5, { expiry }), a.sell(101, 5)]);
    const [gtt, gtc] = [r.receipts.tx(0).orderId, r.receipts.tx(1).orderId];
    const res = run([b.buy(101, 5)], [], expiry);
    const tx = res.receipts.tx(0);
    expect(tx.fills.map((f) => [f.makerOrderId, f.price, f.size])).to.deep.equal([[gtc, 101, 5]]);
    expect(tx.orders.filter((u) => u.orderId === gtt)).to.deep.equal([]);
    expect(res.receipts.expired().map((u) => u.orderId)).to.deep.equal([gtt]);
  });

  it(`sweeps at most ${MAX_EXPIRIES_PER_BATCH} orders per batch; the rest are excluded from matching and market data until swept`, function () {
    this.timeout(120_000);
    const { chain, ts, md, run } = setup(3);
    const [a, b, c] = ts;
    const expiry = chain.now + 100;
    const n = MAX_EXPIRIES_PER_BATCH + 6;
    // Two owners (1000 resting orders per owner and market at most), prices 200.. so nothing crosses.
    const txs: Tx[] = [];
    for (let i = 0; i < n; i++) txs.push((i % 2 === 0 ? a : b).sell(200 + (i % 300), 1, { expiry }));
    const placed = run(txs).receipts.txs().map((t) => t.orderId);
    expect(placed.every((id) => id > 0)).to.equal(true);
    const live = run([c.sell(600, 1)]).receipts.tx(0).orderId;

    // The batch that passes the expiry: the first MAX by (expiry, id) are swept; 6 spill (ids last, prices
    // 324..329). A bid at 325 meets two of them: removed on contact as EXPIRED, never traded.
    // Also in that batch: an expired order the sweep left resting cannot be amended (ORDER_EXPIRED), and
    // cancelling it reports EXPIRED.
    const spilledAt = (k: number) => placed[MAX_EXPIRIES_PER_BATCH + k];
    const res = run([c.buy(325, 1), a.amend(spilledAt(2), 330, 1), a.cancel(spilledAt(2))], [], expiry);
    expect(res.receipts.tx(1).code).to.equal(ErrorCode.ORDER_EXPIRED);
    expect(res.receipts.tx(2).orders.map((u) => [u.orderId, u.status])).to.deep.equal([[spilledAt(2), OrderStatus.EXPIRED]]);
    expect(res.receipts.expired().map((u) => u.orderId)).to.deep.equal(placed.slice(0, MAX_EXPIRIES_PER_BATCH));
    const spilled = placed.slice(MAX_EXPIRIES_PER_BATCH);
    const tx = res.receipts.tx(0);
    expect(tx.fills).to.deep.equal([]);
    expect(tx.orders.filter((u) => u.status === OrderStatus.EXPIRED).map((u) => [u.orderId, u.price])).to.deep.equal([
      [spilled[0], 324],
      [spilled[1], 325],
    ]);
    expect(res.expiredUnswept.map((e) => e.orderId)).to.deep.equal(spilled.slice(3));
    expect(md.depth(1, Side.SELL, 1000).map((l) => l.price)).to.deep.equal([600]);
    // Market data shows none of the expired orders, only the live ask and the new bid.
    expect(md.depth(1, Side.SELL, 1000).map((l) => l.price)).to.deep.equal([600]);
    expect(md.depth(1, Side.BUY, 1000).map((l) => l.price)).to.deep.equal([325]);
    expect(chain.state.markets.get(1)!.book.getOrder(live)).to.not.equal(undefined);

    // The next batch sweeps what is left.
    const next = run([]);
    expect(next.receipts.expired().map((u) => u.orderId)).to.deep.equal(spilled.slice(3));
    expect(next.expiredUnswept).to.deep.equal([]);
    for (const id of placed) expect(chain.state.markets.get(1)!.book.getOrder(id)).to.equal(undefined);
    expect(expiryLeaves(chain)).to.equal(0);
    expect(chain.state.accounts[1].locked(BASE) + chain.state.accounts[2].locked(BASE)).to.equal(0);
  });
});
