// The matching engine of one market: a balance-agnostic limit order book with strict price-time
// priority, every time in force of types.ts, lazy good-till-time expiry, self-trade prevention, amend,
// cancel by id / client id / owner, and market data helpers. Accounts, balances, fees and signatures are
// the STF's business (node/clob/stf): it calls this API and turns the reported events into balance
// changes and receipts. docs/stf.md, section "Order book and matching", is the normative description.
//
// Hot-path discipline: place / cancel / amend allocate nothing once warm. Orders and levels are pooled;
// results are written into caller-owned, reusable `BookResult` objects.

import { BookSide, ChangeLog, NumMap, Order, OwnerIndex, PriceLevel, type RestingOrder } from "./book.ts";
import { UnprovenReadError } from "./errors.ts";
import { MAX_AMOUNT, SelfTradePrevention, Side, TimeInForce } from "./types.ts";

/**
 * Stateless execution (docs/stf.md "Witness for stateless execution"): how a partial book proves what it
 * does not hold. `order` / `client` are called when a lookup by order id / (owner, client id) finds nothing
 * and must throw UnprovenReadError unless the witness proves the answer.
 */
export interface BookProof {
  order(id: number): void;
  client(owner: number, clientId: number): void;
}

export type { RestingOrder } from "./book.ts";

/** An order submitted to `OrderBook.place`. The caller may reuse one object for every call. */
export interface IncomingOrder {
  /** Order id (u53), assigned by the caller; must not equal the id of a resting order of this book. */
  id: number;
  /** Dense account index of the owner. */
  owner: number;
  side: Side;
  tif: TimeInForce;
  /** Limit price in ticks; for MARKET the protection (worst acceptable) price. */
  price: number;
  /** Size in lots, >= 1. */
  size: number;
  stp: SelfTradePrevention;
  /** Good-till-time (L1 seconds); 0 = none. Rejected when `expiry != 0 && expiry <= now`. */
  expiry: number;
  /** Client order id; 0 = none. */
  clientId: number;
  /** Priority sequence the order gets if (and when) it rests. */
  priority: number;
}

/** Final state of the incoming order of `place`, or of the order named by `amend` / `cancel*`. */
export const BookStatus = {
  /** place: fully filled, nothing rests. */
  FILLED: 0,
  /** place: the remainder (`rested` lots) rests in the book; amend: the order rests with its new price/size. */
  RESTED: 1,
  /** place: the remainder (`cancelled` lots) was cancelled, see `reason`; some lots may have filled. */
  CANCELLED: 2,
  /** Nothing changed (no event, no state change), see `reason`. */
  REJECTED: 3,
  /** cancel / cancel-all / cancel-by-client-id: the order(s) were removed. */
  REMOVED: 4,
} as const;
export type BookStatus = (typeof BookStatus)[keyof typeof BookStatus];

/** Why an order was rejected or its remainder cancelled. Stable numeric codes. */
export const BookReason = {
  NONE: 0,
  /** POST_ONLY would have crossed a live resting order. */
  POST_ONLY_WOULD_CROSS: 1,
  /** FOK could not be filled completely by trades. */
  FOK_UNFILLABLE: 2,
  /** IOC / MARKET remainder after matching. */
  IOC_REMAINDER: 3,
  /** Self-trade prevention EXPIRE_TAKER or EXPIRE_BOTH cancelled the taker's remainder. */
  SELF_TRADE: 4,
  /** An order id that is already resting in this book. */
  DUPLICATE_ORDER_ID: 5,
  /** A non-zero client id already used by a resting order of the same owner in this book. */
  DUPLICATE_CLIENT_ID: 6,
  /** Size not an integer in [1, MAX_AMOUNT]. */
  INVALID_SIZE: 7,
  /** Price not an integer in [0, MAX_AMOUNT]. */
  INVALID_PRICE: 8,
  /** place: the order's own expiry has passed (`expiry != 0 && expiry <= now`); amend: the order is expired. */
  EXPIRED: 9,
  /** No resting order with that id (or client id). */
  NOT_FOUND: 10,
  /** amend: the new price would cross a live resting order of the other side. */
  AMEND_WOULD_CROSS: 11,
  /** Unknown side, time in force or STP mode, or an id outside [0, MAX_AMOUNT]. */
  INVALID_PARAMS: 12,
} as const;
export type BookReason = (typeof BookReason)[keyof typeof BookReason];

/** What happened to a resting (maker) order. */
export const MakerEventKind = {
  /** A trade: `size` lots traded at `price`, the maker has `remaining` lots left (0 = filled out, removed). */
  FILL: 0,
  /** The maker was expired (`expiry <= now`) when met and removed with `remaining` lots. `size` = remaining. */
  EXPIRED: 1,
  /** Self-trade prevention (EXPIRE_MAKER / EXPIRE_BOTH) removed the maker with `remaining` lots. */
  STP_CANCELLED: 2,
  /** Self-trade prevention DECREMENT reduced maker and taker by `size` lots without a trade. */
  STP_DECREMENTED: 3,
  /** The order was removed by cancel / cancel-by-client-id / cancel-all; `remaining` lots unlocked. */
  CANCELLED: 4,
} as const;
export type MakerEventKind = (typeof MakerEventKind)[keyof typeof MakerEventKind];

/** One event on a resting order, in the order it happened. */
export class MakerEvent {
  kind: MakerEventKind = MakerEventKind.FILL;
  orderId = 0;
  owner = 0;
  side: Side = Side.BUY;
  /** The order's price (the trade price for FILL). */
  price = 0;
  /** Lots traded (FILL), decremented (STP_DECREMENTED) or removed (EXPIRED, STP_CANCELLED, CANCELLED). */
  size = 0;
  /** The maker's remaining size after the event; 0 means it left the book. */
  remaining = 0;
  clientId = 0;
  expiry = 0;
  priority = 0;
}

/**
 * Reusable result of every mutating call. Valid until the next call that writes into the same object.
 * Size conservation for place: `size == filled + decremented + rested + cancelled` (0 on REJECTED).
 */
export class BookResult {
  status: BookStatus = BookStatus.REJECTED;
  reason: BookReason = BookReason.NONE;
  /** Lots of the taker filled by trades. */
  filled = 0;
  /** Sum over fills of price * size (quote ticks x lots); exact while below 2^53 (`notionalOverflow` otherwise). */
  filledNotional = 0;
  /** True if `filledNotional` left the safe-integer range (the STF must reject such a transaction). */
  notionalOverflow = false;
  /** Lots of the taker removed by STP DECREMENT. */
  decremented = 0;
  /** Lots now resting (place: the remainder; amend: the new size). */
  rested = 0;
  /** Lots of the taker cancelled (IOC/MARKET remainder, STP). */
  cancelled = 0;
  /** True for amend when the order kept its queue position. */
  priorityKept = false;
  /** Events on resting orders: entries [0, eventCount) of `events`. */
  eventCount = 0;
  readonly events: MakerEvent[] = [];

  /** @internal */
  reset(): void {
    this.status = BookStatus.REJECTED;
    this.reason = BookReason.NONE;
    this.filled = 0;
    this.filledNotional = 0;
    this.notionalOverflow = false;
    this.decremented = 0;
    this.rested = 0;
    this.cancelled = 0;
    this.priorityKept = false;
    this.eventCount = 0;
  }

  /** @internal Next event slot. */
  push(kind: MakerEventKind, o: Order, size: number): MakerEvent {
    let e: MakerEvent;
    if (this.eventCount < this.events.length) e = this.events[this.eventCount];
    else {
      e = new MakerEvent();
      this.events.push(e);
    }
    this.eventCount++;
    e.kind = kind;
    e.orderId = o.id;
    e.owner = o.owner;
    e.side = o.side;
    e.price = o.price;
    e.size = size;
    e.remaining = o.size;
    e.clientId = o.clientId;
    e.expiry = o.expiry;
    e.priority = o.priority;
    return e;
  }
}

/** One aggregated depth level. */
export interface DepthLevel {
  price: number;
  /** Total remaining lots at the price. */
  size: number;
  /** Number of resting orders at the price. */
  orders: number;
}

/** An integer enum code in [0, max]. */
function isCode(x: number, max: number): boolean {
  return Number.isInteger(x) && x >= 0 && x <= max;
}

function isAmount(x: number): boolean {
  return Number.isSafeInteger(x) && x >= 0 && x <= MAX_AMOUNT;
}

/**
 * The order book and matching engine of one market.
 *
 * Prices are ticks, sizes lots, all integers; ids, owners, client ids, expiries and priorities are supplied
 * by the caller. The book never holds a crossed state: after every call the best bid is below the best
 * ask (lazily expired orders included).
 */
export class OrderBook {
  /** Bids (best = highest price). */
  private readonly bids: BookSide;
  /** Asks (best = lowest price). */
  private readonly asks: BookSide;
  private readonly byId = new NumMap<Order>();
  /** Every owner's resting order ids. */
  private readonly owners = new OwnerIndex();
  /** Owner index -> clientId -> order, for owners with resting orders that carry a client id. */
  private readonly clients: (Map<number, Order> | undefined)[] = [];
  private readonly orderPool: Order[] = [];
  private log: ChangeLog | null = null;
  /** Stateless execution only: proofs for misses and completeness (null in a full book). */
  private proof: BookProof | null = null;
  private gaps = 0;

  constructor() {
    const levelPool: PriceLevel[] = [];
    this.bids = new BookSide(true, levelPool);
    this.asks = new BookSide(false, levelPool);
  }

  // ------------------------------------------------------------------ change tracking

  /**
   * Keep (or stop keeping) a ChangeLog of what every mutation touches, for a state commitment that
   * re-encodes only that. Costs a flag test per mutation when off.
   */
  trackChanges(on: boolean): void {
    if (on === (this.log !== null)) return;
    this.log = on ? new ChangeLog() : null;
  }

  /** @internal The change log since the last clearChanges(), or null when not tracking. */
  changes(): ChangeLog | null {
    return this.log;
  }

  /**
   * Empty the change log (the STF calls it at batch start). `priorityFloor`: the next priority the caller
   * will give; orders joining a queue from now on have at least this priority.
   */
  clearChanges(priorityFloor: number): void {
    this.log?.clear(priorityFloor);
  }

  /** `o`'s size changed in place. */
  private changed(o: Order): void {
    const g = this.log;
    if (g === null) return;
    g.order(o);
    g.level(o.level!);
  }

  /** Append `o` to `lvl` (no other order's predecessor changes). */
  private pushTo(lvl: PriceLevel, o: Order): void {
    const g = this.log;
    if (g !== null) {
      g.order(o);
      g.level(lvl);
    }
    lvl.push(o);
  }

  /** Unlink `o` from `lvl` (its successor's predecessor changes). */
  private unlinkFrom(lvl: PriceLevel, o: Order): void {
    const g = this.log;
    if (g !== null) {
      g.unlink(o);
      g.level(lvl);
    }
    lvl.unlink(o);
  }

  // ------------------------------------------------------------------ queries

  /** Number of resting orders. */
  get orderCount(): number {
    return this.byId.size;
  }

  /** The resting order with this id, or undefined. */
  getOrder(id: number): RestingOrder | undefined {
    const o = this.byId.get(id);
    if (o === undefined && this.proof !== null) this.proof.order(id);
    return o;
  }

  /** The owner's resting order with this non-zero client id, or undefined. */
  findByClientId(owner: number, clientId: number): RestingOrder | undefined {
    if (clientId === 0) return undefined;
    const o = this.clients[owner]?.get(clientId);
    if (o === undefined && this.proof !== null) this.proof.client(owner, clientId);
    return o;
  }

  // ------------------------------------------------------------------ partial books (stateless execution)

  /**
   * @internal Make this a partial book rebuilt from a witness: misses are checked by `proof`, cancelAll
   * requires every order of the owner to be present, and gaps (insertGap) mark unproven queue positions.
   */
  setProof(proof: BookProof): void {
    this.proof = proof;
  }

  /**
   * @internal Put a gap marker at `price` on `side`, queued by `priority` among the restored orders: a
   * place in the queue (or a whole level) the witness does not prove. Any walk that reaches it (matching,
   * post-only / amend cross checks, FOK checks, `orders()`) throws UnprovenReadError. A gap is an order
   * with a negative id that is always expired (expiry -1), so the walks test for it only on their expired
   * branch; it is in no index and never reported.
   */
  insertGap(side: Side, price: number, priority: number): void {
    const o = this.alloc(-++this.gaps, -1, side, price, 1, -1, 0, priority);
    (side === Side.BUY ? this.bids : this.asks).levelAt(price).insertByPriority(o);
  }

  /** Number of resting orders of `owner`. */
  ownerOrderCount(owner: number): number {
    return this.owners.count(owner);
  }

  /**
   * @internal For a partial book rebuilt from a witness, which holds only some of an owner's orders:
   * make ownerOrderCount report the owner's real count (from its ACCOUNT leaf). Later additions and
   * removals adjust it as usual.
   */
  setOwnerOrderCount(owner: number, count: number): void {
    this.owners.setCount(owner, count);
  }

  /** The owner's resting orders by ascending priority sequence (then id): oldest queue priority first. */
  *ordersOf(owner: number): IterableIterator<RestingOrder> {
    yield* this.sortedOrdersOf(owner);
  }

  /** A sorted copy of the owner's resting orders (ascending priority, then id). O(k log k). */
  private sortedOrdersOf(owner: number): Order[] {
    const ids = this.owners.ids(owner);
    const out: Order[] = new Array(ids.length);
    for (let i = 0; i < ids.length; i++) out[i] = this.byId.get(ids[i])!;
    return out.sort(byPriority);
  }

  /** Best bid price in ticks, or -1 if there are no bids. */
  bestBid(): number {
    const l = this.bids.best();
    return l === null ? -1 : l.price;
  }

  /** Best ask price in ticks, or -1 if there are no asks. */
  bestAsk(): number {
    const l = this.asks.best();
    return l === null ? -1 : l.price;
  }

  /** Total lots resting at `price` on `side` (0 if none). */
  sizeAt(side: Side, price: number): number {
    return (side === Side.BUY ? this.bids : this.asks).byPrice.get(price)?.total ?? 0;
  }

  /** Up to `n` non-empty levels of `side`, best first, aggregated. Lazily expired orders are included. */
  depth(side: Side, n: number): DepthLevel[] {
    const out: DepthLevel[] = [];
    const levels = (side === Side.BUY ? this.bids : this.asks).levels;
    for (let i = levels.length - 1; i >= 0 && out.length < n; i--) {
      const l = levels[i];
      if (l.count > 0) out.push({ price: l.price, size: l.total, orders: l.count });
    }
    return out;
  }

  /**
   * Allocation-free depth: writes up to `n` levels (best first) into `prices`/`sizes` and returns how many
   * were written.
   */
  depthInto(side: Side, n: number, prices: number[] | Float64Array, sizes: number[] | Float64Array): number {
    const levels = (side === Side.BUY ? this.bids : this.asks).levels;
    let k = 0;
    for (let i = levels.length - 1; i >= 0 && k < n; i--) {
      const l = levels[i];
      if (l.count > 0) {
        prices[k] = l.price;
        sizes[k] = l.total;
        k++;
      }
    }
    return k;
  }

  /** The orders resting at `price` on `side` in FIFO (time priority) order. */
  *levelOrders(side: Side, price: number): IterableIterator<RestingOrder> {
    const l = (side === Side.BUY ? this.bids : this.asks).byPrice.get(price);
    for (let o = l?.head ?? null; o !== null; ) {
      const next: Order | null = o.next;
      yield o;
      o = next;
    }
  }

  /**
   * Every resting order in a canonical order defined by data only: bids best price first, then asks best
   * price first; FIFO within a level.
   */
  *orders(): IterableIterator<RestingOrder> {
    yield* this.sideOrders(Side.BUY);
    yield* this.sideOrders(Side.SELL);
  }

  /** The resting orders of one side, best price first, FIFO within a level. */
  *sideOrders(s: Side): IterableIterator<RestingOrder> {
    for (const side of [s === Side.BUY ? this.bids : this.asks]) {
      const levels = side.levels;
      for (let i = levels.length - 1; i >= 0; i--) {
        for (let o = levels[i].head; o !== null; ) {
          const next: Order | null = o.next;
          if (o.id < 0) throw gapError(o);
          yield o;
          o = next;
        }
      }
    }
  }

  // ------------------------------------------------------------------ place

  /**
   * Submit an order. Writes the outcome into `r` (reset first) and returns it. See docs/stf.md
   * "Order book and matching" for the exact rules; in short:
   * - validation (REJECTED, nothing changes): size in [1, MAX], price in [0, MAX], known tif/stp, id not
   *   resting, client id (if non-zero) not used by a resting order of the owner, not already expired;
   * - POST_ONLY: REJECTED if any live (non-expired) opposite order rests at a crossing price; otherwise
   *   expired crossing makers are removed (EXPIRED events) and the order rests;
   * - FOK: REJECTED unless the match below would fill the whole size by trades; then it runs;
   * - matching walks crossing levels best first, FIFO within a level: expired makers are removed, self
   *   matches follow the taker's STP mode, other makers trade at the maker's price;
   * - the remainder rests (GTC) or is cancelled (IOC, MARKET; or by STP).
   */
  place(inc: IncomingOrder, now: number, r: BookResult): BookResult {
    r.reset();
    const size = inc.size;
    const price = inc.price;
    if (!isAmount(size) || size === 0) return reject(r, BookReason.INVALID_SIZE);
    if (!isAmount(price)) return reject(r, BookReason.INVALID_PRICE);
    const tif = inc.tif;
    const stp = inc.stp;
    if (!isCode(tif, 4) || !isCode(stp, 3) || (inc.side !== Side.BUY && inc.side !== Side.SELL) || !isAmount(inc.id)) {
      return reject(r, BookReason.INVALID_PARAMS);
    }
    if (this.byId.has(inc.id)) return reject(r, BookReason.DUPLICATE_ORDER_ID);
    if (inc.clientId !== 0 && this.findByClientId(inc.owner, inc.clientId) !== undefined) {
      return reject(r, BookReason.DUPLICATE_CLIENT_ID);
    }
    if (inc.expiry !== 0 && inc.expiry <= now) return reject(r, BookReason.EXPIRED);

    const isBuy = inc.side === Side.BUY;
    const opp = isBuy ? this.asks : this.bids;

    if (tif === TimeInForce.POST_ONLY) {
      if (this.crossesLive(opp, isBuy, price, now)) return reject(r, BookReason.POST_ONLY_WOULD_CROSS);
      this.purgeCrossing(opp, isBuy, price, r);
      this.rest(inc, size, r);
      return r;
    }
    if (tif === TimeInForce.FOK && !this.fokFillable(opp, isBuy, price, size, inc.owner, stp, now)) {
      return reject(r, BookReason.FOK_UNFILLABLE);
    }

    // ---- matching
    let rem = size;
    const owner = inc.owner;
    let takerKilled = false;
    outer: while (rem > 0) {
      const lvl = opp.best();
      if (lvl === null) break;
      const lp = lvl.price;
      if (isBuy ? lp > price : lp < price) break;
      let m = lvl.head;
      while (m !== null) {
        const next: Order | null = m.next;
        if (m.expiry !== 0 && m.expiry <= now) {
          if (m.id < 0) throw gapError(m);
          r.push(MakerEventKind.EXPIRED, m, m.size).remaining = 0;
          this.remove(m, opp);
        } else if (m.owner === owner) {
          if (stp === SelfTradePrevention.DECREMENT) {
            const q = m.size < rem ? m.size : rem;
            m.size -= q;
            lvl.total -= q;
            this.changed(m);
            rem -= q;
            r.decremented += q;
            r.push(MakerEventKind.STP_DECREMENTED, m, q);
            if (m.size === 0) this.remove(m, opp);
          } else if (stp === SelfTradePrevention.EXPIRE_TAKER) {
            takerKilled = true;
            break outer;
          } else {
            r.push(MakerEventKind.STP_CANCELLED, m, m.size).remaining = 0;
            this.remove(m, opp);
            if (stp === SelfTradePrevention.EXPIRE_BOTH) {
              takerKilled = true;
              break outer;
            }
          }
        } else {
          const q = m.size < rem ? m.size : rem;
          m.size -= q;
          lvl.total -= q;
          this.changed(m);
          rem -= q;
          r.filled += q;
          const n = r.filledNotional + lp * q;
          if (n > MAX_AMOUNT) r.notionalOverflow = true;
          r.filledNotional = n;
          r.push(MakerEventKind.FILL, m, q);
          if (m.size === 0) this.remove(m, opp);
        }
        if (rem === 0) break outer;
        m = next;
      }
      // `lvl` is exhausted (and was popped by remove) only if its queue emptied; otherwise loop re-reads best.
    }

    if (rem === 0) {
      r.status = r.filled === 0 && r.decremented > 0 ? BookStatus.CANCELLED : BookStatus.FILLED;
      if (r.filled === 0 && r.decremented > 0) r.reason = BookReason.SELF_TRADE;
      return r;
    }
    if (takerKilled) {
      r.cancelled = rem;
      r.status = BookStatus.CANCELLED;
      r.reason = BookReason.SELF_TRADE;
      return r;
    }
    if (tif === TimeInForce.GTC) {
      this.rest(inc, rem, r);
      return r;
    }
    r.cancelled = rem;
    r.status = BookStatus.CANCELLED;
    r.reason = BookReason.IOC_REMAINDER;
    return r;
  }

  // ------------------------------------------------------------------ cancel / amend

  /**
   * Remove the resting order `id`. Returns the removed order (valid until the next mutating call) or
   * undefined if no such order rests. Cancelling a lazily expired order succeeds like any other.
   */
  cancel(id: number): RestingOrder | undefined {
    const o = this.byId.get(id);
    if (o === undefined) return undefined;
    this.remove(o, o.side === Side.BUY ? this.bids : this.asks);
    return o;
  }

  /** Cancel the owner's resting order with this non-zero client id (see `cancel`). */
  cancelByClientId(owner: number, clientId: number): RestingOrder | undefined {
    const o = this.findByClientId(owner, clientId);
    return o === undefined ? undefined : this.cancel(o.id);
  }

  /**
   * Remove every resting order of `owner`, in ascending priority (ties by id): oldest queue priority first.
   * One CANCELLED event per order in `r`; status REMOVED (also when there was none: eventCount 0).
   * Cost is O(k log k) in the owner's k orders, independent of the book.
   */
  cancelAll(owner: number, r: BookResult): BookResult {
    r.reset();
    r.status = BookStatus.REMOVED;
    const mine = this.sortedOrdersOf(owner);
    if (this.proof !== null && mine.length !== this.owners.count(owner)) {
      throw new UnprovenReadError(`witness: ${this.owners.count(owner) - mine.length} orders of owner ${owner} missing`);
    }
    for (let i = 0; i < mine.length; i++) {
      const o = mine[i];
      r.push(MakerEventKind.CANCELLED, o, o.size).remaining = 0;
      this.remove(o, o.side === Side.BUY ? this.bids : this.asks);
    }
    return r;
  }

  /**
   * Change the price and/or size of resting order `id` (`newSize` is the new total remaining size).
   * - REJECTED (nothing changes): unknown id (NOT_FOUND), invalid size/price, the order is expired
   *   (EXPIRED: `expiry != 0 && expiry <= now`), or the new price would cross a live opposite order
   *   (AMEND_WOULD_CROSS). An amend never trades.
   * - Same price and `newSize <= size`: the size is reduced in place, priority kept (`priorityKept`).
   * - Otherwise the order loses priority: it moves to the tail of the level at `newPrice` with priority
   *   `newPriority`. Expired opposite orders at crossing prices are removed
   *   first (EXPIRED events), exactly as for a POST_ONLY placement.
   * On success status is RESTED, `rested` the new size; the event list holds only EXPIRED removals.
   */
  amend(id: number, newPrice: number, newSize: number, newPriority: number, now: number, r: BookResult): BookResult {
    r.reset();
    const o = this.byId.get(id);
    if (o === undefined) return reject(r, BookReason.NOT_FOUND);
    if (!isAmount(newSize) || newSize === 0) return reject(r, BookReason.INVALID_SIZE);
    if (!isAmount(newPrice)) return reject(r, BookReason.INVALID_PRICE);
    if (o.expiry !== 0 && o.expiry <= now) return reject(r, BookReason.EXPIRED);
    const isBuy = o.side === Side.BUY;
    const own = isBuy ? this.bids : this.asks;
    if (newPrice === o.price) {
      r.status = BookStatus.RESTED;
      r.rested = newSize;
      const lvl = o.level!;
      if (newSize <= o.size) {
        lvl.total -= o.size - newSize;
        o.size = newSize;
        this.changed(o);
        r.priorityKept = true;
        return r;
      }
      // Size up at the same price: to the tail (cannot cross: the order already rests there).
      this.unlinkFrom(lvl, o);
      o.size = newSize;
      o.priority = newPriority;
      this.pushTo(lvl, o);
      return r;
    }
    const opp = isBuy ? this.asks : this.bids;
    if (this.crossesLive(opp, isBuy, newPrice, now)) return reject(r, BookReason.AMEND_WOULD_CROSS);
    this.purgeCrossing(opp, isBuy, newPrice, r);
    r.status = BookStatus.RESTED;
    r.rested = newSize;
    const old = o.level!;
    this.unlinkFrom(old, o);
    own.afterRemove(old);
    o.price = newPrice;
    o.size = newSize;
    o.priority = newPriority;
    this.pushTo(own.levelAt(newPrice), o);
    return r;
  }

  /**
   * Execute `size` lots against the specific resting order `id` (not more than it has), outside price-time
   * matching. Used by market-data replay (a venue's report that this order traded) and available to
   * callers that settle an externally determined match. Reports one FILL event (and no taker state).
   * Returns the lots executed (0 if the order is unknown).
   */
  execute(id: number, size: number, r: BookResult): number {
    r.reset();
    const o = this.byId.get(id);
    if (o === undefined || !isAmount(size) || size === 0) return 0;
    const q = size < o.size ? size : o.size;
    o.size -= q;
    o.level!.total -= q;
    this.changed(o);
    r.filled = q;
    r.filledNotional = o.price * q;
    r.status = BookStatus.FILLED;
    r.push(MakerEventKind.FILL, o, q);
    if (o.size === 0) this.remove(o, o.side === Side.BUY ? this.bids : this.asks);
    return q;
  }

  /**
   * Insert a resting order as-is, without matching (restoring a book from stored state). The order is
   * placed in its level by ascending priority. Throws on a duplicate id / client id, an invalid field, or
   * if it would cross the opposite side: restored state must be a valid book.
   */
  restore(o: RestingOrder): void {
    if (!isAmount(o.size) || o.size === 0 || !isAmount(o.price) || !isAmount(o.id)) throw new Error("restore: invalid order");
    if (this.byId.has(o.id)) throw new Error(`restore: duplicate order id ${o.id}`);
    if (o.clientId !== 0 && this.findByClientId(o.owner, o.clientId) !== undefined) {
      throw new Error(`restore: duplicate client id ${o.clientId} of owner ${o.owner}`);
    }
    const isBuy = o.side === Side.BUY;
    const ob = (isBuy ? this.asks : this.bids).best();
    if (ob !== null && (isBuy ? ob.price <= o.price : ob.price >= o.price)) throw new Error("restore: crossed");
    const n = this.alloc(o.id, o.owner, o.side, o.price, o.size, o.expiry, o.clientId, o.priority);
    const lvl = (isBuy ? this.bids : this.asks).levelAt(o.price);
    lvl.insertByPriority(n);
    if (this.log !== null) {
      this.log.order(n);
      if (n.next !== null) this.log.order(n.next);
      this.log.level(lvl);
    }
    this.index(n);
  }

  // ------------------------------------------------------------------ internals

  /** True if a live (non-expired) order rests on `opp` at a price crossing `price`. */
  private crossesLive(opp: BookSide, isBuy: boolean, price: number, now: number): boolean {
    const levels = opp.levels;
    for (let i = levels.length - 1; i >= 0; i--) {
      const l = levels[i];
      if (isBuy ? l.price > price : l.price < price) return false;
      for (let m = l.head; m !== null; m = m.next) {
        if (m.expiry === 0 || m.expiry > now) return true;
        if (m.id < 0) throw gapError(m);
      }
    }
    return false;
  }

  /** Remove every order of `opp` at prices crossing `price` (all expired: callers checked crossesLive). */
  private purgeCrossing(opp: BookSide, isBuy: boolean, price: number, r: BookResult): void {
    for (;;) {
      const l = opp.best();
      if (l === null || (isBuy ? l.price > price : l.price < price)) return;
      const m = l.head!;
      r.push(MakerEventKind.EXPIRED, m, m.size).remaining = 0;
      this.remove(m, opp);
    }
  }

  /** Would matching fill `size` completely by trades? Mirrors the matching loop without mutating. */
  private fokFillable(
    opp: BookSide,
    isBuy: boolean,
    price: number,
    size: number,
    owner: number,
    stp: SelfTradePrevention,
    now: number,
  ): boolean {
    let need = size;
    const levels = opp.levels;
    for (let i = levels.length - 1; i >= 0; i--) {
      const l = levels[i];
      if (isBuy ? l.price > price : l.price < price) return false;
      for (let m = l.head; m !== null; m = m.next) {
        if (m.expiry !== 0 && m.expiry <= now) {
          if (m.id < 0) throw gapError(m);
          continue;
        }
        if (m.owner === owner) {
          if (stp === SelfTradePrevention.EXPIRE_MAKER) continue;
          return false;
        }
        need -= m.size;
        if (need <= 0) return true;
      }
    }
    return false;
  }

  /** Rest `size` lots of `inc` at its price (tail of the level). */
  private rest(inc: IncomingOrder, size: number, r: BookResult): void {
    const o = this.alloc(inc.id, inc.owner, inc.side, inc.price, size, inc.expiry, inc.clientId, inc.priority);
    this.pushTo((inc.side === Side.BUY ? this.bids : this.asks).levelAt(inc.price), o);
    this.index(o);
    r.rested = size;
    r.status = BookStatus.RESTED;
  }

  private alloc(
    id: number,
    owner: number,
    side: Side,
    price: number,
    size: number,
    expiry: number,
    clientId: number,
    priority: number,
  ): Order {
    const o = this.orderPool.pop() ?? new Order();
    o.id = id;
    o.owner = owner;
    o.side = side;
    o.price = price;
    o.size = size;
    o.expiry = expiry;
    o.clientId = clientId;
    o.priority = priority;
    return o;
  }

  private index(o: Order): void {
    this.byId.set(o.id, o);
    this.owners.add(o);
    if (o.clientId !== 0) {
      let m = this.clients[o.owner];
      if (m === undefined) this.clients[o.owner] = m = new Map();
      m.set(o.clientId, o);
    }
  }

  /** Take `o` out of every structure and recycle it (its fields stay readable until reused). */
  private remove(o: Order, side: BookSide): void {
    const lvl = o.level!;
    this.unlinkFrom(lvl, o);
    side.afterRemove(lvl);
    this.byId.delete(o.id);
    this.owners.remove(o);
    if (o.clientId !== 0) {
      const m = this.clients[o.owner]!;
      m.delete(o.clientId);
      if (m.size === 0) this.clients[o.owner] = undefined;
    }
    if (this.log !== null) this.log.removal(o);
    this.orderPool.push(o);
  }
}

function gapError(o: Order): UnprovenReadError {
  return new UnprovenReadError(`witness: an unproven part of the ${o.side === Side.BUY ? "bid" : "ask"} queue at price ${o.price} is needed`);
}

function byPriority(a: Order, b: Order): number {
  return a.priority - b.priority || a.id - b.id;
}

function reject(r: BookResult, reason: BookReason): BookResult {
  r.status = BookStatus.REJECTED;
  r.reason = reason;
  return r;
}
