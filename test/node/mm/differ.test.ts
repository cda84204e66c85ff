// The differ on hand-made cases (minimal action lists), its ordering (no intermediate state crosses our
// own orders: checked by replaying random diffs step by step), pending orders, the rate limiter and
// bulk chunking.

import { expect } from "chai";
import { type MakerAction, chunkActions } from "../../../node/mm/actions.ts";
import { RateLimiter, diffLadder, rateLimit } from "../../../node/mm/differ.ts";
import type { Ladder } from "../../../node/mm/ladder.ts";
import type { OwnOrder } from "../../../node/mm/orders.ts";
import { Rng } from "../../../node/quant/rng.ts";

let nextId = 100;
function live(side: 0 | 1, price: number, size: number, extra: Partial<OwnOrder> = {}): OwnOrder {
  const id = nextId++;
  return { clientId: id, orderId: id + 1000, side, price, size, pending: 0, cancelling: false, ...extra };
}
const P = { priceTol: 0, sizeTol: 0 };
function ids() {
  let c = 1;
  return () => c++;
}
const L = (bids: [number, number][], asks: [number, number][]): Ladder => ({
  bids: bids.map(([price, size]) => ({ price, size })),
  asks: asks.map(([price, size]) => ({ price, size })),
});

describe("mm differ", () => {
  it("no change: no actions", () => {
    const orders = [live(0, 99, 5), live(0, 98, 5), live(1, 101, 5)];
    const r = diffLadder(1, orders, L([[99, 5], [98, 5]], [[101, 5]]), P, ids());
    expect(r.actions).to.deep.equal([]);
    expect(r.kept).to.equal(3);
  });

  it("one level moved: one amend (not cancel + place)", () => {
    const a = live(1, 101, 5);
    const r = diffLadder(1, [live(0, 99, 5), a], L([[99, 5]], [[102, 5]]), P, ids());
    expect(r.actions).to.deep.equal([{ kind: "amend", market: 1, orderId: a.orderId, price: 102, size: 5 }]);
  });

  it("the whole ladder shifts by a tick: one amend per order, none kept", () => {
    const orders = [live(0, 99, 5), live(0, 98, 5), live(1, 101, 5), live(1, 102, 5)];
    const r = diffLadder(1, orders, L([[100, 5], [99, 5]], [[102, 5], [103, 5]]), P, ids());
    // 99 and 102 are already at target prices: kept; 98 -> 100 and 101 -> 103 are amends
    expect(r.actions.map((a) => a.kind)).to.deep.equal(["amend", "amend"]);
    expect(r.kept).to.equal(2);
  });

  it("same price, smaller size: an amend (priority kept); within tolerance: kept", () => {
    const b = live(0, 99, 10);
    const r = diffLadder(1, [b], L([[99, 6]], []), P, ids());
    expect(r.actions).to.deep.equal([{ kind: "amend", market: 1, orderId: b.orderId, price: 99, size: 6 }]);
    const r2 = diffLadder(1, [b], L([[99, 9], ], []), { priceTol: 0, sizeTol: 0.2 }, ids());
    expect(r2.actions).to.deep.equal([]);
    const r3 = diffLadder(1, [b], L([[100, 10]], []), { priceTol: 1, sizeTol: 0 }, ids());
    expect(r3.actions).to.deep.equal([]);
  });

  it("extra live orders are cancelled, missing levels placed, cancels first", () => {
    const extra = live(0, 95, 5);
    const r = diffLadder(1, [live(0, 99, 5), extra], L([[99, 5]], [[101, 3]]), P, ids());
    expect(r.actions).to.deep.equal([
      { kind: "cancel", market: 1, orderId: extra.orderId },
      { kind: "place", market: 1, side: 1, price: 101, size: 3, clientId: 1, postOnly: true },
    ]);
  });

  it("pending orders are left alone unless they would cross the new targets (cancel by client id)", () => {
    const pend = live(0, 99, 5, { orderId: 0, pending: 1 });
    expect(diffLadder(1, [pend], L([[98, 5]], [[101, 5]]), P, ids()).actions.filter((a) => a.kind !== "place")).to.deep.equal([]);
    const r = diffLadder(1, [pend], L([[97, 5]], [[99, 5]]), P, ids());
    expect(r.actions[0]).to.deep.equal({ kind: "cancelByClientId", market: 1, clientId: pend.clientId });
    const gone = live(0, 99, 5, { cancelling: true, pending: 1 });
    expect(diffLadder(1, [gone], L([], []), P, ids()).actions).to.deep.equal([]);
  });

  it("random diffs never cross our own orders at any step and reach the target exactly", () => {
    const rng = new Rng(77);
    for (let n = 0; n < 500; n++) {
      const mid = 1000 + rng.int(40);
      const mk = (side: 0 | 1, c: number, count: number) => {
        const out: [number, number][] = [];
        let p = side === 0 ? c - 1 - rng.int(3) : c + 1 + rng.int(3);
        for (let i = 0; i < count; i++) {
          out.push([p, 1 + rng.int(9)]);
          p = side === 0 ? p - 1 - rng.int(4) : p + 1 + rng.int(4);
        }
        return out;
      };
      const oldL = L(mk(0, mid, rng.int(5)), mk(1, mid, rng.int(5)));
      const newMid = mid + rng.int(21) - 10;
      const target = L(mk(0, newMid, rng.int(5)), mk(1, newMid, rng.int(5)));
      const book = new Map<number, { side: 0 | 1; price: number; size: number }>();
      const orders: OwnOrder[] = [];
      for (const l of oldL.bids) orders.push(live(0, l.price, l.size));
      for (const l of oldL.asks) orders.push(live(1, l.price, l.size));
      for (const o of orders) book.set(o.orderId, { side: o.side, price: o.price, size: o.size });
      const { actions } = diffLadder(1, orders, target, P, ids());
      let placed = 0;
      const crossed = () => {
        let bb = -Infinity;
        let ba = Infinity;
        for (const o of book.values()) {
          if (o.side === 0) bb = Math.max(bb, o.price);
          else ba = Math.min(ba, o.price);
        }
        return bb >= ba;
      };
      for (const a of actions) {
        if (a.kind === "cancel") book.delete(a.orderId);
        else if (a.kind === "amend") book.set(a.orderId, { ...book.get(a.orderId)!, price: a.price, size: a.size });
        else if (a.kind === "place") book.set(-++placed, { side: a.side, price: a.price, size: a.size });
        expect(crossed(), JSON.stringify({ oldL, target, actions })).to.equal(false);
      }
      const final = [...book.values()];
      const bids = final.filter((o) => o.side === 0).sort((x, y) => y.price - x.price).map((o) => [o.price, o.size]);
      const asks = final.filter((o) => o.side === 1).sort((x, y) => x.price - y.price).map((o) => [o.price, o.size]);
      expect(bids).to.deep.equal(target.bids.map((l) => [l.price, l.size]));
      expect(asks).to.deep.equal(target.asks.map((l) => [l.price, l.size]));
      // minimal: per side, at most max(live, target) actions
      expect(actions.length).to.be.at.most(Math.max(oldL.bids.length, target.bids.length) + Math.max(oldL.asks.length, target.asks.length));
    }
  });

  it("rate limit: cancels always pass, other actions wait for tokens; bulks hold at most 32 actions", () => {
    const lim = new RateLimiter(2, 3);
    const acts: MakerAction[] = [
      { kind: "cancel", market: 1, orderId: 1 },
      { kind: "place", market: 1, side: 0, price: 1, size: 1, clientId: 1, postOnly: true },
      { kind: "place", market: 1, side: 0, price: 2, size: 1, clientId: 2, postOnly: true },
      { kind: "place", market: 1, side: 0, price: 3, size: 1, clientId: 3, postOnly: true },
    ];
    expect(rateLimit(acts, lim, 0).map((a) => a.kind)).to.deep.equal(["cancel", "place", "place"]);
    expect(rateLimit(acts, lim, 0).map((a) => a.kind)).to.deep.equal(["cancel"]);
    expect(rateLimit(acts, lim, 1000).map((a) => a.kind)).to.deep.equal(["cancel"]); // 2 tokens earned, the cancel's debt ate them
    const many = Array.from({ length: 70 }, (_, i): MakerAction => ({ kind: "cancel", market: 1, orderId: i + 1 }));
    expect(chunkActions(many).map((b) => b.length)).to.deep.equal([32, 32, 6]);
  });
});
