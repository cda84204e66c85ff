// Property tests of the order book: random order streams (seeded PRNG) are applied to the engine and to a
// deliberately naive reference model (arrays, sort, linear scans; FOK decided by trial on a copy). After
// every operation the results, the event lists and the whole book must agree; the book must never be
// crossed; sizes must be conserved; and replaying a stream must give identical results.

import { expect } from "chai";
import {
  BookReason,
  BookResult,
  BookStatus,
  type IncomingOrder,
  MakerEventKind,
  OrderBook,
} from "../../../node/clob/engine.ts";
import { MAX_AMOUNT, SelfTradePrevention as STP, Side, TimeInForce as TIF } from "../../../node/clob/types.ts";
import { XorShift32 as Rng } from "../../../node/sim/rng.ts";

interface ROrder {
  id: number;
  owner: number;
  side: Side;
  price: number;
  size: number;
  expiry: number;
  clientId: number;
  priority: number;
  /** Queue joining counter (FIFO position). */
  seq: number;
}

interface RResult {
  status: number;
  reason: number;
  filled: number;
  decremented: number;
  rested: number;
  cancelled: number;
  events: number[][]; // [kind, id, price, size, remaining]
}

const ok = (x: number) => Number.isSafeInteger(x) && x >= 0 && x <= MAX_AMOUNT;

/** The naive reference: a flat array of orders; best/FIFO found by sorting on every step. */
class RefBook {
  orders: ROrder[] = [];
  seq = 0;

  clone(): RefBook {
    const c = new RefBook();
    c.orders = this.orders.map((o) => ({ ...o }));
    c.seq = this.seq;
    return c;
  }

  static better(side: Side, a: ROrder, b: ROrder): number {
    if (a.price !== b.price) return side === Side.BUY ? b.price - a.price : a.price - b.price;
    return a.seq - b.seq;
  }

  sorted(side: Side): ROrder[] {
    return this.orders.filter((o) => o.side === side).sort((a, b) => RefBook.better(side, a, b));
  }

  canonical(): number[][] {
    return [...this.sorted(Side.BUY), ...this.sorted(Side.SELL)].map((o) => [o.id, o.side, o.price, o.size, o.priority]);
  }

  removeOrder(o: ROrder): void {
    this.orders.splice(this.orders.indexOf(o), 1);
  }

  static res(): RResult {
    return { status: BookStatus.REJECTED, reason: 0, filled: 0, decremented: 0, rested: 0, cancelled: 0, events: [] };
  }

  place(inc: IncomingOrder, now: number): RResult {
    const r = RefBook.res();
    const rej = (reason: number) => ({ ...RefBook.res(), reason });
    if (!ok(inc.size) || inc.size === 0) return rej(BookReason.INVALID_SIZE);
    if (!ok(inc.price)) return rej(BookReason.INVALID_PRICE);
    if (this.orders.some((o) => o.id === inc.id)) return rej(BookReason.DUPLICATE_ORDER_ID);
    if (inc.clientId !== 0 && this.orders.some((o) => o.owner === inc.owner && o.clientId === inc.clientId)) {
      return rej(BookReason.DUPLICATE_CLIENT_ID);
    }
    if (inc.expiry !== 0 && inc.expiry <= now) return rej(BookReason.EXPIRED);
    const opp = inc.side === Side.BUY ? Side.SELL : Side.BUY;
    const crosses = (o: ROrder) => (inc.side === Side.BUY ? o.price <= inc.price : o.price >= inc.price);
    const expired = (o: ROrder) => o.expiry !== 0 && o.expiry <= now;
    if (inc.tif === TIF.POST_ONLY) {
      const crossing = this.sorted(opp).filter(crosses);
      if (crossing.some((o) => !expired(o))) return rej(BookReason.POST_ONLY_WOULD_CROSS);
      for (const o of crossing) {
        r.events.push([MakerEventKind.EXPIRED, o.id, o.price, o.size, 0]);
        this.removeOrder(o);
      }
      this.rest(inc, inc.size);
      r.status = BookStatus.RESTED;
      r.rested = inc.size;
      return r;
    }
    if (inc.tif === TIF.FOK) {
      const trial = this.clone().place({ ...inc, tif: TIF.IOC }, now);
      if (trial.filled !== inc.size) return rej(BookReason.FOK_UNFILLABLE);
    }
    let rem = inc.size;
    let killed = false;
    while (rem > 0) {
      const m = this.sorted(opp).filter(crosses)[0];
      if (m === undefined) break;
      if (expired(m)) {
        r.events.push([MakerEventKind.EXPIRED, m.id, m.price, m.size, 0]);
        this.removeOrder(m);
      } else if (m.owner === inc.owner) {
        if (inc.stp === STP.EXPIRE_TAKER) {
          killed = true;
          break;
        }
        if (inc.stp === STP.DECREMENT) {
          const q = Math.min(m.size, rem);
          m.size -= q;
          rem -= q;
          r.decremented += q;
          r.events.push([MakerEventKind.STP_DECREMENTED, m.id, m.price, q, m.size]);
          if (m.size === 0) this.removeOrder(m);
        } else {
          r.events.push([MakerEventKind.STP_CANCELLED, m.id, m.price, m.size, 0]);
          this.removeOrder(m);
          if (inc.stp === STP.EXPIRE_BOTH) {
            killed = true;
            break;
          }
        }
      } else {
        const q = Math.min(m.size, rem);
        m.size -= q;
        rem -= q;
        r.filled += q;
        r.events.push([MakerEventKind.FILL, m.id, m.price, q, m.size]);
        if (m.size === 0) this.removeOrder(m);
      }
    }
    if (rem === 0) {
      if (r.filled > 0) r.status = BookStatus.FILLED;
      else {
        r.status = BookStatus.CANCELLED;
        r.reason = BookReason.SELF_TRADE;
      }
    } else if (killed) {
      r.status = BookStatus.CANCELLED;
      r.reason = BookReason.SELF_TRADE;
      r.cancelled = rem;
    } else if (inc.tif === TIF.GTC) {
      this.rest(inc, rem);
      r.status = BookStatus.RESTED;
      r.rested = rem;
    } else {
      r.status = BookStatus.CANCELLED;
      r.reason = BookReason.IOC_REMAINDER;
      r.cancelled = rem;
    }
    return r;
  }

  rest(inc: IncomingOrder, size: number): void {
    const { id, owner, side, price, expiry, clientId, priority } = inc;
    this.orders.push({ id, owner, side, price, size, expiry, clientId, priority, seq: this.seq++ });
  }

  cancel(id: number): ROrder | undefined {
    const o = this.orders.find((x) => x.id === id);
    if (o !== undefined) this.removeOrder(o);
    return o;
  }

  cancelAll(owner: number): RResult {
    const r = { ...RefBook.res(), status: BookStatus.REMOVED };
    const mine = this.orders.filter((o) => o.owner === owner).sort((a, b) => a.seq - b.seq);
    for (const o of mine) {
      r.events.push([MakerEventKind.CANCELLED, o.id, o.price, o.size, 0]);
      this.removeOrder(o);
    }
    return r;
  }

  amend(id: number, price: number, size: number, prio: number, now: number): RResult {
    const rej = (reason: number) => ({ ...RefBook.res(), reason });
    const o = this.orders.find((x) => x.id === id);
    if (o === undefined) return rej(BookReason.NOT_FOUND);
    if (!ok(size) || size === 0) return rej(BookReason.INVALID_SIZE);
    if (!ok(price)) return rej(BookReason.INVALID_PRICE);
    if (o.expiry !== 0 && o.expiry <= now) return rej(BookReason.EXPIRED);
    const r = { ...RefBook.res(), status: BookStatus.RESTED, rested: size };
    if (price === o.price && size <= o.size) {
      o.size = size;
      return r;
    }
    if (price !== o.price) {
      const crosses = (m: ROrder) => (o.side === Side.BUY ? m.price <= price : m.price >= price);
      const opp = o.side === Side.BUY ? Side.SELL : Side.BUY;
      const crossing = this.sorted(opp).filter(crosses);
      if (crossing.some((m) => m.expiry === 0 || m.expiry > now)) return rej(BookReason.AMEND_WOULD_CROSS);
      for (const m of crossing) {
        r.events.push([MakerEventKind.EXPIRED, m.id, m.price, m.size, 0]);
        this.removeOrder(m);
      }
    }
    o.price = price;
    o.size = size;
    o.priority = prio;
    o.seq = this.seq++;
    return r;
  }
}

function engineResult(r: BookResult): RResult {
  const events: number[][] = [];
  for (let i = 0; i < r.eventCount; i++) {
    const e = r.events[i];
    events.push([e.kind, e.orderId, e.price, e.size, e.remaining]);
  }
  return {
    status: r.status,
    reason: r.reason,
    filled: r.filled,
    decremented: r.decremented,
    rested: r.rested,
    cancelled: r.cancelled,
    events,
  };
}

function canonical(b: OrderBook): number[][] {
  return [...b.orders()].map((o) => [o.id, o.side, o.price, o.size, o.priority]);
}

interface RunOpts {
  seed: number;
  ops: number;
  owners: number;
  spread: number;
  checkRef: boolean;
}

/** Apply a random stream; returns a transcript of every result (for the determinism check). */
function run(opts: RunOpts): string[] {
  const rng = new Rng(opts.seed);
  const book = new OrderBook();
  const ref = new RefBook();
  const res = new BookResult();
  const inc: IncomingOrder = {
    id: 0, owner: 0, side: Side.BUY, tif: TIF.GTC, price: 0, size: 0, stp: STP.EXPIRE_MAKER, expiry: 0, clientId: 0, priority: 0,
  };
  const transcript: string[] = [];
  let now = 1000;
  let nextId = 1;
  let prio = 1;
  const mid = 1000;
  const live: number[] = []; // ids possibly resting (may be stale)

  for (let step = 0; step < opts.ops; step++) {
    now += rng.int(3);
    const k = rng.int(100);
    let eng: RResult;
    let rr: RResult | undefined;
    let what: string;
    if (k < 55) {
      inc.id = rng.int(50) === 0 && live.length > 0 ? live[rng.int(live.length)] : nextId++;
      inc.owner = 1 + rng.int(opts.owners);
      inc.side = rng.int(2) === 0 ? Side.BUY : Side.SELL;
      const t = rng.int(20);
      inc.tif = t < 11 ? TIF.GTC : t < 14 ? TIF.IOC : t < 16 ? TIF.FOK : t < 19 ? TIF.POST_ONLY : TIF.MARKET;
      const off = rng.int(opts.spread) - (inc.tif === TIF.MARKET ? -opts.spread : 2);
      inc.price = inc.side === Side.BUY ? mid + off - opts.spread / 2 : mid - off + opts.spread / 2;
      if (rng.int(200) === 0) inc.price = -1;
      inc.size = rng.int(100) === 0 ? 0 : 1 + rng.int(rng.int(4) === 0 ? 60 : 12);
      inc.stp = rng.int(4) as STP;
      inc.expiry = rng.int(4) === 0 ? now + rng.int(40) - 2 : 0;
      inc.clientId = rng.int(3) === 0 ? 1 + rng.int(6) : 0;
      inc.priority = prio++;
      eng = engineResult(book.place(inc, now, res));
      if (opts.checkRef) rr = ref.place({ ...inc }, now);
      if (eng.status === BookStatus.RESTED) live.push(inc.id);
      what = `place ${JSON.stringify(inc)}`;
      // Size conservation of the taker.
      if (eng.status !== BookStatus.REJECTED) {
        expect(eng.filled + eng.decremented + eng.rested + eng.cancelled, what).to.equal(inc.size);
        if (inc.tif === TIF.FOK) expect(eng.filled, what).to.equal(inc.size);
      }
      // Fills never violate the taker's limit and walk prices monotonically worse.
      let last = -1;
      for (const e of eng.events) {
        if (e[0] !== MakerEventKind.FILL) continue;
        expect(inc.side === Side.BUY ? e[2] <= inc.price : e[2] >= inc.price, what).to.equal(true);
        if (last >= 0) expect(inc.side === Side.BUY ? e[2] >= last : e[2] <= last, what).to.equal(true);
        last = e[2];
      }
    } else if (k < 78) {
      const id = live.length > 0 && rng.int(10) !== 0 ? live[rng.int(live.length)] : 1 + rng.int(nextId);
      const o = book.cancel(id);
      eng = { ...RefBook.res(), status: o ? BookStatus.REMOVED : BookStatus.REJECTED, events: o ? [[MakerEventKind.CANCELLED, o.id, o.price, o.size, 0]] : [] };
      if (opts.checkRef) {
        const x = ref.cancel(id);
        rr = { ...RefBook.res(), status: x ? BookStatus.REMOVED : BookStatus.REJECTED, events: x ? [[MakerEventKind.CANCELLED, x.id, x.price, x.size, 0]] : [] };
      }
      what = `cancel ${id}`;
    } else if (k < 81) {
      const owner = 1 + rng.int(opts.owners);
      const cid = 1 + rng.int(6);
      const o = book.cancelByClientId(owner, cid);
      eng = { ...RefBook.res(), status: o ? BookStatus.REMOVED : BookStatus.REJECTED, events: o ? [[MakerEventKind.CANCELLED, o.id, o.price, o.size, 0]] : [] };
      if (opts.checkRef) {
        const t = ref.orders.find((x) => x.owner === owner && x.clientId === cid);
        const x = t ? ref.cancel(t.id) : undefined;
        rr = { ...RefBook.res(), status: x ? BookStatus.REMOVED : BookStatus.REJECTED, events: x ? [[MakerEventKind.CANCELLED, x.id, x.price, x.size, 0]] : [] };
      }
      what = `cancelByClientId ${owner} ${cid}`;
    } else if (k < 82) {
      const owner = 1 + rng.int(opts.owners);
      eng = engineResult(book.cancelAll(owner, res));
      if (opts.checkRef) rr = ref.cancelAll(owner);
      what = `cancelAll ${owner}`;
    } else {
      const id = live.length > 0 && rng.int(10) !== 0 ? live[rng.int(live.length)] : 1 + rng.int(nextId);
      const o = book.getOrder(id);
      let price = o ? o.price : mid;
      let size = o ? o.size : 5;
      const m = rng.int(4);
      if (m === 0) size = Math.max(0, size - rng.int(size + 1));
      else if (m === 1) size += 1 + rng.int(5);
      else price += rng.int(9) - 4;
      if (rng.int(20) === 0) size = 0;
      const p = prio++;
      eng = engineResult(book.amend(id, price, size, p, now, res));
      if (opts.checkRef) rr = ref.amend(id, price, size, p, now);
      what = `amend ${id} ${price} ${size}`;
    }

    transcript.push(JSON.stringify(eng));
    if (opts.checkRef) {
      expect(eng, `step ${step}: ${what}`).to.deep.equal(rr);
      expect(canonical(book), `book after step ${step}: ${what}`).to.deep.equal(ref.canonical());
    }
    // Never crossed, aggregates consistent.
    const bb = book.bestBid();
    const ba = book.bestAsk();
    if (bb >= 0 && ba >= 0) expect(bb, `crossed after step ${step}: ${what}`).to.be.lessThan(ba);
    if (step % 64 === 0) {
      for (const side of [Side.BUY, Side.SELL]) {
        const d = book.depth(side, 1 << 30);
        const count = d.reduce((s, l) => s + l.orders, 0);
        const total = d.reduce((s, l) => s + l.size, 0);
        const os = [...book.orders()].filter((o) => o.side === side);
        expect(count).to.equal(os.length);
        expect(total).to.equal(os.reduce((s, o) => s + o.size, 0));
      }
      for (let i = live.length - 1; i >= 0; i--) if (book.getOrder(live[i]) === undefined) live.splice(i, 1);
    }
  }
  return transcript;
}

describe("clob engine: property tests (random streams vs a naive reference)", () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`seed ${seed}: engine equals the reference after every op; never crossed; sizes conserved`, () => {
      run({ seed, ops: 3000, owners: seed % 2 === 0 ? 2 : 5, spread: seed % 3 === 0 ? 40 : 10, checkRef: true });
    });
  }

  it("replaying the same stream gives identical results", () => {
    const a = run({ seed: 77, ops: 20000, owners: 4, spread: 16, checkRef: false });
    const b = run({ seed: 77, ops: 20000, owners: 4, spread: 16, checkRef: false });
    expect(a.length).to.equal(b.length);
    expect(a.join("\n") === b.join("\n")).to.equal(true);
  });
});
