// Own orders and in-flight bulks: acknowledgements, order events, confirmation levels up to proven;
// shutdown cancels everything and waits until the cancel-all is soft.

import { expect } from "chai";
import { ConfirmationLevel, type MakerAction } from "../../../node/mm/actions.ts";
import { MarketMaker } from "../../../node/mm/maker.ts";
import { OrderTracker } from "../../../node/mm/orders.ts";
import { MARKETS, flush, key, makeExchange, makerConfig, syntheticSource } from "./support/setup.ts";

describe("mm orders and in-flight tracking", () => {
  it("tracks places, amends and cancels through acks, events and confirmation levels", () => {
    const t = new OrderTracker(1);
    const a: MakerAction[] = [
      { kind: "place", market: 1, side: 0, price: 99, size: 5, clientId: t.newClientId(), postOnly: true },
      { kind: "place", market: 1, side: 1, price: 101, size: 5, clientId: t.newClientId(), postOnly: true },
    ];
    t.sent(1, a, 0);
    expect(t.orders().map((o) => o.pending)).to.deep.equal([1, 1]);
    expect(t.unacked()).to.equal(1);
    t.acked(1, { batch: 7, level: ConfirmationLevel.SOFT, results: [{ ok: true, code: "OK", orderId: 11 }, { ok: false, code: "POST_ONLY_WOULD_CROSS", orderId: 0 }] });
    expect(t.orders().map((o) => [o.orderId, o.pending])).to.deep.equal([[11, 0]]);
    expect(Object.fromEntries(t.failures)).to.deep.equal({ POST_ONLY_WOULD_CROSS: 1 });
    t.sent(2, [{ kind: "amend", market: 1, orderId: 11, price: 98, size: 4 }], 1);
    t.acked(2, { batch: 8, level: ConfirmationLevel.SOFT, results: [{ ok: true, code: "OK", orderId: 0 }] });
    expect(t.get(1)).to.include({ price: 98, size: 4, pending: 0 });
    // a partial fill arrives as an order event
    t.event({ kind: "order", market: 1, orderId: 11, clientId: 1, side: 0, price: 98, remaining: 3, level: ConfirmationLevel.SOFT });
    expect(t.restingLots(0)).to.equal(3);
    t.event({ kind: "confirm", batch: 7, level: ConfirmationLevel.SAFE });
    expect(t.inflight.get(1)!.level).to.equal(ConfirmationLevel.SAFE);
    expect(t.inflight.get(2)!.level).to.equal(ConfirmationLevel.SOFT);
    t.event({ kind: "confirm", batch: 8, level: ConfirmationLevel.PROVEN });
    expect(t.inflight.size).to.equal(0);
    t.sent(3, [{ kind: "cancel", market: 1, orderId: 11 }], 2);
    expect(t.get(1)!.cancelling).to.equal(true);
    t.acked(3, { batch: 9, level: ConfirmationLevel.SOFT, results: [{ ok: true, code: "OK", orderId: 0 }] });
    expect(t.orders()).to.deep.equal([]);
  });

  it("stop(): one CANCEL_ALL per market, resolves once it is soft", async () => {
    const makerKey = key("stop-maker");
    const ex = makeExchange(makerKey, []);
    const mm = new MarketMaker({ config: makerConfig(), exchange: ex, clock: () => ex.now * 1000 });
    const src = syntheticSource(4);
    for (let b = 0; b < 3; b++) {
      for (let e = src.next(); ; e = src.next()) {
        mm.onReference(0, e);
        if (e.recvMs > ex.now * 1000) break;
      }
      mm.cycle();
      ex.produceBatch(1);
      await flush();
    }
    expect(MARKETS.every((m) => ex.ordersOf(m, makerKey.address).length > 0)).to.equal(true);
    let done = false;
    const stopped = mm.stop().then(() => (done = true));
    await flush();
    expect(done).to.equal(false);
    ex.produceBatch(1);
    await stopped;
    expect(ex.bulks[ex.bulks.length - 1]).to.deep.equal(MARKETS.map((market) => ({ kind: "cancelAll", market })));
    for (const m of MARKETS) expect(ex.ordersOf(m, makerKey.address)).to.have.length(0);
  });
});
