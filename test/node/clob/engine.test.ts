import { expect } from "chai";
import {
  BookReason,
  BookResult,
  BookStatus,
  type IncomingOrder,
  MakerEventKind,
  OrderBook,
  type RestingOrder,
} from "../../../node/clob/engine.ts";
import { NumMap, Order, OwnerIndex } from "../../../node/clob/book.ts";
import { SelfTradePrevention as STP, Side, TimeInForce as TIF } from "../../../node/clob/types.ts";

let nextId = 1;
let nextPrio = 1;

function order(p: Partial<IncomingOrder>): IncomingOrder {
  return {
    id: nextId++,
    owner: 1,
    side: Side.BUY,
    tif: TIF.GTC,
    price: 100,
    size: 10,
    stp: STP.EXPIRE_MAKER,
    expiry: 0,
    clientId: 0,
    priority: nextPrio++,
    ...p,
  };
}

/** Place and return a snapshot of the result (events copied). */
function place(b: OrderBook, p: Partial<IncomingOrder>, now = 0) {
  const o = order(p);
  const r = b.place(o, now, new BookResult());
  return { ...r, id: o.id, events: r.events.slice(0, r.eventCount).map((e) => ({ ...e })) };
}

function sell(b: OrderBook, price: number, size: number, owner = 1, extra: Partial<IncomingOrder> = {}, now = 0) {
  return place(b, { side: Side.SELL, price, size, owner, ...extra }, now);
}
function buy(b: OrderBook, price: number, size: number, owner = 1, extra: Partial<IncomingOrder> = {}, now = 0) {
  return place(b, { side: Side.BUY, price, size, owner, ...extra }, now);
}

/** All resting orders as [id, side, price, size] in canonical order. */
function snapshot(b: OrderBook): number[][] {
  return [...b.orders()].map((o) => [o.id, o.side, o.price, o.size]);
}

function fills(r: ReturnType<typeof place>) {
  return r.events.filter((e) => e.kind === MakerEventKind.FILL).map((e) => [e.orderId, e.price, e.size, e.remaining]);
}

describe("clob engine: OrderBook", () => {
  let b: OrderBook;
  beforeEach(() => {
    b = new OrderBook();
  });

  describe("limit orders and matching", () => {
    it("rests a non-crossing GTC order and reports best bid/ask and depth", () => {
      const r1 = buy(b, 99, 5);
      const r2 = sell(b, 101, 7);
      expect(r1.status).to.equal(BookStatus.RESTED);
      expect(r1.rested).to.equal(5);
      expect(r2.status).to.equal(BookStatus.RESTED);
      expect(b.bestBid()).to.equal(99);
      expect(b.bestAsk()).to.equal(101);
      buy(b, 99, 3);
      buy(b, 98, 1);
      expect(b.depth(Side.BUY, 5)).to.deep.equal([
        { price: 99, size: 8, orders: 2 },
        { price: 98, size: 1, orders: 1 },
      ]);
      expect(b.depth(Side.BUY, 1)).to.have.length(1);
      expect(b.orderCount).to.equal(4);
    });

    it("fills at the maker's price, partial fills across levels, remainder rests (GTC)", () => {
      const a = sell(b, 101, 5, 2);
      const c = sell(b, 102, 5, 2);
      const d = sell(b, 103, 5, 2);
      const r = buy(b, 102, 12, 3);
      expect(fills(r)).to.deep.equal([
        [a.id, 101, 5, 0],
        [c.id, 102, 5, 0],
      ]);
      expect(r.status).to.equal(BookStatus.RESTED);
      expect(r.filled).to.equal(10);
      expect(r.filledNotional).to.equal(101 * 5 + 102 * 5);
      expect(r.rested).to.equal(2);
      expect(b.bestBid()).to.equal(102);
      expect(b.bestAsk()).to.equal(103);
      expect(b.getOrder(d.id)!.size).to.equal(5);
    });

    it("is FIFO within a level and partially fills the last maker", () => {
      const a = sell(b, 100, 3, 2);
      const c = sell(b, 100, 4, 3);
      const d = sell(b, 100, 5, 4);
      const r = buy(b, 100, 8, 9);
      expect(fills(r)).to.deep.equal([
        [a.id, 100, 3, 0],
        [c.id, 100, 4, 0],
        [d.id, 100, 1, 4],
      ]);
      expect(r.status).to.equal(BookStatus.FILLED);
      expect([...b.levelOrders(Side.SELL, 100)].map((o) => [o.id, o.size])).to.deep.equal([[d.id, 4]]);
    });

    it("a sell walks bids from the highest price down", () => {
      const a = buy(b, 98, 1, 2);
      const c = buy(b, 100, 1, 2);
      const d = buy(b, 99, 1, 2);
      const r = sell(b, 90, 3, 3);
      expect(fills(r).map((f) => f[0])).to.deep.equal([c.id, d.id, a.id]);
      expect(b.bestBid()).to.equal(-1);
    });

    it("IOC: remainder cancelled", () => {
      sell(b, 100, 4, 2);
      const r = buy(b, 100, 10, 3, { tif: TIF.IOC });
      expect(r.status).to.equal(BookStatus.CANCELLED);
      expect(r.reason).to.equal(BookReason.IOC_REMAINDER);
      expect([r.filled, r.cancelled, r.rested]).to.deep.equal([4, 6, 0]);
      expect(b.orderCount).to.equal(0);
    });

    it("IOC that does not cross cancels everything", () => {
      sell(b, 101, 4, 2);
      const r = buy(b, 100, 10, 3, { tif: TIF.IOC });
      expect(r.status).to.equal(BookStatus.CANCELLED);
      expect(r.cancelled).to.equal(10);
      expect(b.orderCount).to.equal(1);
    });

    it("MARKET respects its protection price", () => {
      sell(b, 100, 2, 2);
      sell(b, 105, 2, 2);
      sell(b, 110, 2, 2);
      const r = buy(b, 105, 10, 3, { tif: TIF.MARKET });
      expect(r.filled).to.equal(4);
      expect(r.cancelled).to.equal(6);
      expect(r.reason).to.equal(BookReason.IOC_REMAINDER);
      expect(b.bestAsk()).to.equal(110);
      // A market sell with protection price 0 takes any bid.
      buy(b, 1, 3, 2);
      const s = sell(b, 0, 2, 3, { tif: TIF.MARKET });
      expect(s.status).to.equal(BookStatus.FILLED);
    });

    it("rejects invalid input without changing anything", () => {
      sell(b, 100, 2, 2, { clientId: 7 });
      const before = snapshot(b);
      expect(buy(b, 100, 0).reason).to.equal(BookReason.INVALID_SIZE);
      expect(buy(b, 100, 1.5).reason).to.equal(BookReason.INVALID_SIZE);
      expect(buy(b, 100, 2 ** 53).reason).to.equal(BookReason.INVALID_SIZE);
      expect(buy(b, -1, 1).reason).to.equal(BookReason.INVALID_PRICE);
      expect(buy(b, 100, 1, 1, { tif: 9 as never }).reason).to.equal(BookReason.INVALID_PARAMS);
      expect(buy(b, 100, 1, 1, { stp: 9 as never }).reason).to.equal(BookReason.INVALID_PARAMS);
      expect(buy(b, 100, 1, 1, { tif: 1.5 as never }).reason).to.equal(BookReason.INVALID_PARAMS);
      expect(buy(b, 100, 1, 1, { side: 2 as never }).reason).to.equal(BookReason.INVALID_PARAMS);
      expect(buy(b, 100, 1, 1, { id: -1 }).reason).to.equal(BookReason.INVALID_PARAMS);
      expect(buy(b, 100, 1, 1, { id: 2 ** 53 }).reason).to.equal(BookReason.INVALID_PARAMS);
      const firstId = [...b.orders()][0].id;
      expect(buy(b, 100, 1, 3, { id: firstId }).reason).to.equal(BookReason.DUPLICATE_ORDER_ID);
      expect(buy(b, 90, 1, 2, { clientId: 7 }).reason).to.equal(BookReason.DUPLICATE_CLIENT_ID);
      expect(buy(b, 100, 1, 3, { expiry: 50 }, 50).reason).to.equal(BookReason.EXPIRED);
      for (const r of [buy(b, 100, 0)]) expect(r.status).to.equal(BookStatus.REJECTED);
      expect(snapshot(b)).to.deep.equal(before);
      // The same client id is fine for another owner.
      expect(buy(b, 90, 1, 3, { clientId: 7 }).status).to.equal(BookStatus.RESTED);
    });
  });

  describe("POST_ONLY", () => {
    it("rests when it does not cross", () => {
      sell(b, 101, 1, 2);
      const r = buy(b, 100, 5, 3, { tif: TIF.POST_ONLY });
      expect(r.status).to.equal(BookStatus.RESTED);
      expect(b.bestBid()).to.equal(100);
    });

    it("is rejected if it would cross, nothing changes", () => {
      sell(b, 101, 1, 2);
      const before = snapshot(b);
      const r = buy(b, 101, 5, 3, { tif: TIF.POST_ONLY });
      expect(r.status).to.equal(BookStatus.REJECTED);
      expect(r.reason).to.equal(BookReason.POST_ONLY_WOULD_CROSS);
      expect(r.events).to.have.length(0);
      expect(snapshot(b)).to.deep.equal(before);
    });

    it("crossing only expired makers: removes them and rests", () => {
      const e = sell(b, 100, 1, 2, { expiry: 10 });
      const live = sell(b, 102, 1, 2);
      const r = buy(b, 101, 5, 3, { tif: TIF.POST_ONLY }, 10);
      expect(r.status).to.equal(BookStatus.RESTED);
      expect(r.events.map((x) => [x.kind, x.orderId, x.size])).to.deep.equal([[MakerEventKind.EXPIRED, e.id, 1]]);
      expect(b.bestAsk()).to.equal(102);
      expect(b.getOrder(live.id)).to.not.equal(undefined);
    });

    it("an expired maker in front of a live one at a crossing price still rejects", () => {
      sell(b, 100, 1, 2, { expiry: 10 });
      sell(b, 100, 1, 2);
      const r = buy(b, 100, 5, 3, { tif: TIF.POST_ONLY }, 10);
      expect(r.reason).to.equal(BookReason.POST_ONLY_WOULD_CROSS);
      expect(b.orderCount).to.equal(2);
    });
  });

  describe("FOK", () => {
    it("fills completely across levels", () => {
      sell(b, 100, 3, 2);
      sell(b, 101, 3, 2);
      const r = buy(b, 101, 6, 3, { tif: TIF.FOK });
      expect(r.status).to.equal(BookStatus.FILLED);
      expect(r.filled).to.equal(6);
      expect(b.orderCount).to.equal(0);
    });

    it("unfillable leaves the book unchanged", () => {
      sell(b, 100, 3, 2);
      sell(b, 101, 3, 2);
      sell(b, 102, 3, 2);
      const before = snapshot(b);
      const r = buy(b, 101, 7, 3, { tif: TIF.FOK });
      expect(r.status).to.equal(BookStatus.REJECTED);
      expect(r.reason).to.equal(BookReason.FOK_UNFILLABLE);
      expect(snapshot(b)).to.deep.equal(before);
    });

    it("does not count expired makers and leaves them in place when unfillable", () => {
      sell(b, 100, 5, 2, { expiry: 10 });
      sell(b, 100, 3, 2);
      const before = snapshot(b);
      expect(buy(b, 100, 4, 3, { tif: TIF.FOK }, 10).reason).to.equal(BookReason.FOK_UNFILLABLE);
      expect(snapshot(b)).to.deep.equal(before);
      const r = buy(b, 100, 3, 3, { tif: TIF.FOK }, 10);
      expect(r.status).to.equal(BookStatus.FILLED);
      expect(r.events.map((e) => e.kind)).to.deep.equal([MakerEventKind.EXPIRED, MakerEventKind.FILL]);
    });

    it("with STP in the way: EXPIRE_MAKER skips own orders, other modes make it unfillable", () => {
      sell(b, 100, 5, 3); // own
      sell(b, 100, 3, 2);
      const before = snapshot(b);
      for (const stp of [STP.EXPIRE_TAKER, STP.EXPIRE_BOTH, STP.DECREMENT]) {
        const r = buy(b, 100, 3, 3, { tif: TIF.FOK, stp });
        expect(r.reason, `stp ${stp}`).to.equal(BookReason.FOK_UNFILLABLE);
        expect(snapshot(b)).to.deep.equal(before);
      }
      // EXPIRE_MAKER: 4 would need the own order's lots: unfillable, unchanged.
      expect(buy(b, 100, 4, 3, { tif: TIF.FOK, stp: STP.EXPIRE_MAKER }).reason).to.equal(BookReason.FOK_UNFILLABLE);
      expect(snapshot(b)).to.deep.equal(before);
      const r = buy(b, 100, 3, 3, { tif: TIF.FOK, stp: STP.EXPIRE_MAKER });
      expect(r.status).to.equal(BookStatus.FILLED);
      expect(r.events.map((e) => [e.kind, e.size])).to.deep.equal([
        [MakerEventKind.STP_CANCELLED, 5],
        [MakerEventKind.FILL, 3],
      ]);
    });

    it("own order behind enough liquidity does not matter", () => {
      sell(b, 100, 3, 2);
      sell(b, 100, 5, 3); // own, behind
      const r = buy(b, 100, 3, 3, { tif: TIF.FOK, stp: STP.EXPIRE_TAKER });
      expect(r.status).to.equal(BookStatus.FILLED);
      expect(b.orderCount).to.equal(1);
    });
  });

  describe("self-trade prevention", () => {
    function setup() {
      const own = sell(b, 100, 4, 1);
      const other = sell(b, 100, 4, 2);
      return { own, other };
    }

    it("EXPIRE_MAKER cancels the resting order and continues", () => {
      const { own, other } = setup();
      const r = buy(b, 100, 6, 1, { stp: STP.EXPIRE_MAKER });
      expect(r.events.map((e) => [e.kind, e.orderId, e.size, e.remaining])).to.deep.equal([
        [MakerEventKind.STP_CANCELLED, own.id, 4, 0],
        [MakerEventKind.FILL, other.id, 4, 0],
      ]);
      expect(r.status).to.equal(BookStatus.RESTED);
      expect([r.filled, r.rested]).to.deep.equal([4, 2]);
      expect(b.getOrder(own.id)).to.equal(undefined);
    });

    it("EXPIRE_TAKER cancels the incoming remainder, maker untouched", () => {
      const other = sell(b, 99, 2, 2);
      const own = sell(b, 100, 4, 1);
      const r = buy(b, 100, 6, 1, { stp: STP.EXPIRE_TAKER });
      expect(fills(r)).to.deep.equal([[other.id, 99, 2, 0]]);
      expect(r.status).to.equal(BookStatus.CANCELLED);
      expect(r.reason).to.equal(BookReason.SELF_TRADE);
      expect([r.filled, r.cancelled, r.rested]).to.deep.equal([2, 4, 0]);
      expect(b.getOrder(own.id)!.size).to.equal(4);
    });

    it("EXPIRE_BOTH cancels both", () => {
      const { own, other } = setup();
      const r = buy(b, 100, 6, 1, { stp: STP.EXPIRE_BOTH });
      expect(r.events.map((e) => [e.kind, e.orderId])).to.deep.equal([[MakerEventKind.STP_CANCELLED, own.id]]);
      expect(r.status).to.equal(BookStatus.CANCELLED);
      expect(r.cancelled).to.equal(6);
      expect(b.getOrder(own.id)).to.equal(undefined);
      expect(b.getOrder(other.id)!.size).to.equal(4);
    });

    it("DECREMENT reduces both by the overlap without a trade", () => {
      const { own, other } = setup();
      const r = buy(b, 100, 6, 1, { stp: STP.DECREMENT });
      expect(r.events.map((e) => [e.kind, e.orderId, e.size, e.remaining])).to.deep.equal([
        [MakerEventKind.STP_DECREMENTED, own.id, 4, 0],
        [MakerEventKind.FILL, other.id, 2, 2],
      ]);
      expect(r.status).to.equal(BookStatus.FILLED);
      expect([r.filled, r.decremented]).to.deep.equal([2, 4]);
    });

    it("DECREMENT smaller than the maker keeps the maker's priority", () => {
      const { own, other } = setup();
      const r = buy(b, 100, 3, 1, { stp: STP.DECREMENT });
      expect(r.status).to.equal(BookStatus.CANCELLED);
      expect(r.reason).to.equal(BookReason.SELF_TRADE);
      expect([r.filled, r.decremented, r.cancelled]).to.deep.equal([0, 3, 0]);
      expect([...b.levelOrders(Side.SELL, 100)].map((o) => [o.id, o.size])).to.deep.equal([
        [own.id, 1],
        [other.id, 4],
      ]);
      expect(b.sizeAt(Side.SELL, 100)).to.equal(5);
    });
  });

  describe("expiry during matching", () => {
    it("removes makers with expiry <= now when met and reports them", () => {
      const e1 = sell(b, 100, 2, 2, { expiry: 50 });
      const e2 = sell(b, 100, 2, 2, { expiry: 51 });
      const r = buy(b, 100, 3, 3, {}, 50);
      expect(r.events.map((e) => [e.kind, e.orderId, e.size, e.remaining])).to.deep.equal([
        [MakerEventKind.EXPIRED, e1.id, 2, 0],
        [MakerEventKind.FILL, e2.id, 2, 0],
      ]);
      expect(r.rested).to.equal(1);
    });

    it("expired orders not reached stay (lazy)", () => {
      sell(b, 100, 2, 2);
      const far = sell(b, 105, 2, 2, { expiry: 10 });
      buy(b, 100, 1, 3, {}, 20);
      expect(b.getOrder(far.id)).to.not.equal(undefined);
      expect(b.cancel(far.id)!.size).to.equal(2);
    });
  });

  describe("amend", () => {
    it("size down at the same price keeps priority", () => {
      const a = sell(b, 100, 5, 2);
      const c = sell(b, 100, 5, 3);
      const prio = b.getOrder(a.id)!.priority;
      const r = b.amend(a.id, 100, 2, nextPrio++, 0, new BookResult());
      expect(r.status).to.equal(BookStatus.RESTED);
      expect(r.priorityKept).to.equal(true);
      expect([...b.levelOrders(Side.SELL, 100)].map((o) => [o.id, o.size])).to.deep.equal([
        [a.id, 2],
        [c.id, 5],
      ]);
      expect(b.sizeAt(Side.SELL, 100)).to.equal(7);
      expect(b.getOrder(a.id)!.priority).to.equal(prio);
    });

    it("size up loses priority and takes the new priority sequence", () => {
      const a = sell(b, 100, 5, 2);
      const c = sell(b, 100, 5, 3);
      const r = b.amend(a.id, 100, 6, 999, 0, new BookResult());
      expect(r.priorityKept).to.equal(false);
      expect([...b.levelOrders(Side.SELL, 100)].map((o) => o.id)).to.deep.equal([c.id, a.id]);
      expect(b.getOrder(a.id)!.priority).to.equal(999);
    });

    it("price change loses priority and moves level", () => {
      const a = sell(b, 100, 5, 2);
      const c = sell(b, 101, 5, 3);
      b.amend(a.id, 101, 5, 1000, 0, new BookResult());
      expect(b.bestAsk()).to.equal(101);
      expect([...b.levelOrders(Side.SELL, 101)].map((o) => o.id)).to.deep.equal([c.id, a.id]);
      expect(b.depth(Side.SELL, 10)).to.deep.equal([{ price: 101, size: 10, orders: 2 }]);
    });

    it("rejects a crossing amend, unknown ids, bad sizes and expired orders; nothing changes", () => {
      const a = buy(b, 99, 5, 2, { expiry: 30 });
      sell(b, 101, 5, 3);
      const before = snapshot(b);
      const r = new BookResult();
      expect(b.amend(a.id, 101, 5, 1, 0, r).reason).to.equal(BookReason.AMEND_WOULD_CROSS);
      expect(b.amend(12345, 99, 5, 1, 0, r).reason).to.equal(BookReason.NOT_FOUND);
      expect(b.amend(a.id, 99, 0, 1, 0, r).reason).to.equal(BookReason.INVALID_SIZE);
      expect(b.amend(a.id, -5, 1, 1, 0, r).reason).to.equal(BookReason.INVALID_PRICE);
      expect(b.amend(a.id, 98, 1, 1, 30, r).reason).to.equal(BookReason.EXPIRED);
      expect(r.status).to.equal(BookStatus.REJECTED);
      expect(snapshot(b)).to.deep.equal(before);
    });

    it("an amend crossing only expired orders removes them and rests", () => {
      const a = buy(b, 99, 5, 2);
      const e = sell(b, 101, 5, 3, { expiry: 10 });
      const r = b.amend(a.id, 101, 5, 77, 10, new BookResult());
      expect(r.status).to.equal(BookStatus.RESTED);
      expect(r.eventCount).to.equal(1);
      expect(r.events[0].kind).to.equal(MakerEventKind.EXPIRED);
      expect(r.events[0].orderId).to.equal(e.id);
      expect(b.bestBid()).to.equal(101);
      expect(b.bestAsk()).to.equal(-1);
    });
  });

  describe("cancel", () => {
    it("by id", () => {
      const a = buy(b, 99, 5, 2);
      const c = buy(b, 99, 6, 2);
      const o = b.cancel(a.id)!;
      expect([o.id, o.size, o.side, o.price]).to.deep.equal([a.id, 5, Side.BUY, 99]);
      expect(b.cancel(a.id)).to.equal(undefined);
      expect(b.depth(Side.BUY, 5)).to.deep.equal([{ price: 99, size: 6, orders: 1 }]);
      b.cancel(c.id);
      expect(b.bestBid()).to.equal(-1);
      expect(b.orderCount).to.equal(0);
    });

    it("by client id", () => {
      const a = buy(b, 99, 5, 2, { clientId: 42 });
      buy(b, 98, 5, 3, { clientId: 42 });
      expect(b.findByClientId(2, 42)!.id).to.equal(a.id);
      expect(b.cancelByClientId(2, 43)).to.equal(undefined);
      expect(b.cancelByClientId(2, 42)!.id).to.equal(a.id);
      expect(b.findByClientId(2, 42)).to.equal(undefined);
      expect(b.findByClientId(3, 42)).to.not.equal(undefined);
      // The client id is free again once its order left the book.
      expect(buy(b, 97, 1, 2, { clientId: 42 }).status).to.equal(BookStatus.RESTED);
    });

    it("a filled-out order frees its client id", () => {
      sell(b, 100, 1, 2, { clientId: 5 });
      buy(b, 100, 1, 3);
      expect(b.findByClientId(2, 5)).to.equal(undefined);
    });

    it("all of an owner's orders, oldest first, others untouched", () => {
      const a = buy(b, 99, 1, 2);
      const o = buy(b, 98, 1, 3);
      const c = sell(b, 105, 2, 2);
      const d = buy(b, 97, 3, 2);
      b.amend(a.id, 96, 1, nextPrio++, 0, new BookResult()); // a loses priority: now newest
      const r = b.cancelAll(2, new BookResult());
      expect(r.status).to.equal(BookStatus.REMOVED);
      expect(r.events.slice(0, r.eventCount).map((e) => [e.kind, e.orderId, e.size])).to.deep.equal([
        [MakerEventKind.CANCELLED, c.id, 2],
        [MakerEventKind.CANCELLED, d.id, 3],
        [MakerEventKind.CANCELLED, a.id, 1],
      ]);
      expect(snapshot(b).map((x) => x[0])).to.deep.equal([o.id]);
      expect(b.ownerOrderCount(2)).to.equal(0);
      expect(b.cancelAll(2, r).eventCount).to.equal(0);
      expect(b.cancelAll(12345, r).eventCount).to.equal(0);
    });
  });

  describe("execute and restore", () => {
    it("execute fills a specific order regardless of queue position", () => {
      sell(b, 100, 5, 2);
      const c = sell(b, 100, 5, 3);
      const r = new BookResult();
      expect(b.execute(c.id, 3, r)).to.equal(3);
      expect(r.events[0].remaining).to.equal(2);
      expect(b.execute(c.id, 9, r)).to.equal(2);
      expect(b.getOrder(c.id)).to.equal(undefined);
      expect(b.execute(c.id, 1, r)).to.equal(0);
    });

    it("restore rebuilds a book with FIFO by priority", () => {
      const src = new OrderBook();
      for (let i = 0; i < 20; i++) {
        src.place(order({ owner: i % 3, side: i % 2 === 0 ? Side.BUY : Side.SELL, price: i % 2 === 0 ? 90 + (i % 5) : 110 - (i % 5), size: 1 + i, clientId: i }), 0, new BookResult());
      }
      const dst = new OrderBook();
      const plain = (o: RestingOrder) => ({ id: o.id, owner: o.owner, side: o.side, price: o.price, size: o.size, expiry: o.expiry, clientId: o.clientId, priority: o.priority });
      const all = [...src.orders()].map(plain);
      for (const o of [...all].reverse()) dst.restore(o);
      expect([...dst.orders()].map(plain)).to.deep.equal(all);
      expect(() => dst.restore(all[0])).to.throw(/duplicate/);
      expect(() => dst.restore({ ...all[0], id: 999999, clientId: 0, side: Side.BUY, price: 200 })).to.throw(/crossed/);
    });
  });

  it("reuses result objects: a second call overwrites the first", () => {
    const r = new BookResult();
    sell(b, 100, 1, 2);
    sell(b, 101, 1, 2);
    b.place(order({ side: Side.BUY, price: 101, size: 2, owner: 3 }), 0, r);
    expect(r.eventCount).to.equal(2);
    b.place(order({ side: Side.BUY, price: 90, size: 2, owner: 3 }), 0, r);
    expect(r.eventCount).to.equal(0);
    expect(r.filled).to.equal(0);
    expect(r.status).to.equal(BookStatus.RESTED);
  });

  it("many levels: sparse prices, deep cancels, and compaction keep the index consistent", () => {
    const ids: number[] = [];
    for (let p = 1000; p < 1400; p += 3) ids.push(buy(b, p, 1, 2).id);
    for (let p = 2000; p > 1500; p -= 7) sell(b, p, 1, 2);
    // cancel every other bid from the deep end, then re-add some
    for (let i = 0; i < ids.length; i += 2) b.cancel(ids[i]);
    for (let p = 1001; p < 1400; p += 9) buy(b, p, 2, 3);
    const depth = b.depth(Side.BUY, 1000);
    for (let i = 1; i < depth.length; i++) expect(depth[i].price).to.be.lessThan(depth[i - 1].price);
    const total = depth.reduce((s, l) => s + l.orders, 0);
    expect(total).to.equal([...b.orders()].filter((o) => o.side === Side.BUY).length);
    expect(b.bestBid()).to.equal(depth[0].price);
    expect(b.bestAsk()).to.equal(1503);
  });
});

describe("clob engine: change log (trackChanges, for the state commitment)", () => {
  const ids = (os: readonly RestingOrder[]) => os.map((o) => o.id).sort((x, y) => x - y);

  it("lists what each mutation touches, records removals and unlinks, and is off by default", () => {
    const b = new OrderBook();
    const a1 = sell(b, 100, 5, 1).id;
    const a2 = sell(b, 100, 5, 2).id;
    const a3 = sell(b, 100, 5, 3).id;
    const far = sell(b, 120, 5, 4, { clientId: 77 }).id;
    expect(b.changes()).to.equal(null);
    b.trackChanges(true);
    const log = b.changes()!;
    b.clearChanges(nextPrio);
    expect(log.orders.length + log.levels.length + log.removed.length + log.unlinked.length).to.equal(0);

    // cancel from the middle: its successor (predecessor pointer), the level; the removal and the unlink
    // (naming the successor) are recorded
    expect(b.cancel(a2)?.id).to.equal(a2);
    expect(ids(log.orders)).to.deep.equal([a3]);
    expect(log.removed).to.deep.equal([a2, 2, 0, 0]);
    expect(log.unlinked).to.deep.equal([a2, a3]);
    // asks are listed as -price-1
    expect(log.levels).to.deep.equal([-101]);
    // a partial fill of the head lists the maker; its level, already listed, is listed once
    buy(b, 100, 2, 9);
    expect(ids(log.orders)).to.deep.equal([a1, a3]);
    expect(log.levels).to.deep.equal([-101]);
    // a cancel with a client id records it; an untouched order is not listed
    b.cancel(far);
    expect(log.removed.slice(4)).to.deep.equal([far, 4, 77, 0]);
    expect(log.levels).to.deep.equal([-101, -121]);

    b.clearChanges(nextPrio);
    expect(log.orders.length + log.levels.length + log.unlinked.length + log.removed.length).to.equal(0);
    // a new order rests: only it is listed (the old tail's leaf does not change)
    const a4 = sell(b, 100, 1, 5).id;
    expect(ids(log.orders)).to.deep.equal([a4]);
    // the tail's predecessor leaves: its successor joined after the clear, so the unlink names none
    b.cancel(a3);
    expect(ids(log.orders)).to.deep.equal([a4]);
    expect(log.unlinked).to.deep.equal([a3, 0]);
    b.trackChanges(false);
    expect(b.changes()).to.equal(null);
  });

  it("a level dropped and re-created at the same price is listed once per position", () => {
    const b = new OrderBook();
    const x = buy(b, 99, 1, 1).id;
    b.trackChanges(true);
    b.cancel(x);
    buy(b, 98, 3, 2); // reuses the dropped level object at another price: listed again under it
    buy(b, 99, 3, 2);
    expect(b.changes()!.levels).to.deep.equal([99, 98, 99]);
  });
});

describe("clob book: OwnerIndex (every owner's order ids in one typed pool)", () => {
  it("matches a model under random adds and removals across free-slot reuse, segment moves and pool compaction", () => {
    const idx = new OwnerIndex();
    const byId = new Map<number, Order>();
    const model = new Map<number, Set<number>>();
    let seed = 7;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    let nextId = 1;
    for (let step = 0; step < 60_000; step++) {
      const owner = rnd(40) === 0 ? 1000 + rnd(3000) : rnd(25);
      const mine = model.get(owner);
      if (mine !== undefined && mine.size > 0 && rnd(100) < 48) {
        const ids = [...mine];
        const id = ids[rnd(ids.length)];
        idx.remove(byId.get(id)!);
        byId.delete(id);
        mine.delete(id);
      } else {
        const o = new Order();
        o.id = nextId++;
        o.owner = owner;
        byId.set(o.id, o);
        idx.add(o);
        if (mine === undefined) model.set(owner, new Set([o.id]));
        else mine.add(o.id);
      }
      if (step % 5000 === 4999) {
        for (const [w, ids] of model) {
          expect(idx.ids(w).sort((a, b) => a - b)).to.deep.equal([...ids].sort((a, b) => a - b));
          expect(idx.count(w)).to.equal(ids.size);
        }
      }
    }
    expect(idx.ids(99_999)).to.deep.equal([]);
  });
});

describe("clob book: NumMap (open-addressing index of ids and prices)", () => {
  const patterns: [string, (i: number) => number][] = [
    ["sequential", (i) => i + 1],
    ["stride 2^20", (i) => i * 2 ** 20],
    ["stride 16", (i) => i * 16],
    ["near 2^53", (i) => Number.MAX_SAFE_INTEGER - i * 7919],
    ["scattered", (i) => (Math.imul(i + 1, 0x45d9f3b) >>> 0) * 1024 + (i % 5)],
  ];
  for (const [name, key] of patterns) {
    it(`agrees with Map under inserts and deletes (${name} keys)`, () => {
      const m = new NumMap<{ k: number }>(16);
      const ref = new Map<number, { k: number }>();
      let s = 12345;
      const rnd = (n: number) => {
        s ^= s << 13;
        s ^= s >>> 17;
        s ^= s << 5;
        return (s >>> 0) % n;
      };
      let next = 0;
      for (let step = 0; step < 20000; step++) {
        if (ref.size > 0 && rnd(100) < 45) {
          // delete a random present key (walk the Map a bounded distance)
          let skip = rnd(Math.min(ref.size, 64));
          let victim = 0;
          for (const k of ref.keys()) {
            victim = k;
            if (skip-- === 0) break;
          }
          m.delete(victim);
          ref.delete(victim);
        } else {
          const k = key(next++);
          const v = { k };
          m.set(k, v);
          ref.set(k, v);
        }
        if (step % 997 === 0 || (step < 3000 && step % 7 === 0)) {
          expect(m.size).to.equal(ref.size);
          for (const [k, v] of ref) expect(m.get(k)).to.equal(v);
          expect(m.get(key(next + 5))).to.equal(undefined);
          expect(m.has(-1)).to.equal(false);
        }
      }
      m.delete(key(next + 1000)); // absent: no-op
      expect(m.size).to.equal(ref.size);
      for (const [k, v] of ref) expect(m.get(k)).to.equal(v);
    });
  }
});
