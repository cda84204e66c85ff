// Storage primitives of one market's order book: orders, price levels with intrusive FIFO queues, the
// sorted price-level index of each side, the per-owner order sets and the integer-keyed hash table behind
// the id and price indexes. Matching lives in engine.ts.
//
// Everything here is balance-agnostic and deterministic: integer values only, no clocks or randomness;
// every iteration order that reaches a result is defined by prices, queue positions and priorities (hash
// tables are only looked up, never iterated for results). Objects are pooled and recycled, so the hot path
// (place / cancel / amend) allocates nothing once the pools are warm.

import { Side } from "./types.ts";

/**
 * A resting order as callers see it. Objects are owned by the book: read fields freely, never write them,
 * and do not keep a reference after the order has left the book (objects are recycled; copy the fields you
 * need before the next mutating call on the same book).
 */
export interface RestingOrder {
  /** Order id (u53), assigned by the caller; unique among the book's resting orders. */
  readonly id: number;
  /** Dense account index of the owner, assigned by the caller; used for self-trade prevention. */
  readonly owner: number;
  readonly side: Side;
  /** Price in ticks. */
  readonly price: number;
  /** Remaining size in lots (always >= 1 while resting). */
  readonly size: number;
  /** L1 timestamp in seconds; the order is expired once `expiry != 0 && expiry <= now`. 0 = never. */
  readonly expiry: number;
  /** Client order id; 0 = none. Unique among the owner's resting orders in this book. */
  readonly clientId: number;
  /** Priority sequence: the caller-supplied monotone number assigned when the order gained queue priority. */
  readonly priority: number;
}

/** @internal Mutable order record with its intrusive links. */
export class Order implements RestingOrder {
  id = 0;
  owner = 0;
  side: Side = Side.BUY;
  price = 0;
  size = 0;
  expiry = 0;
  clientId = 0;
  priority = 0;
  /** Previous / next order in the price level's FIFO queue. */
  prev: Order | null = null;
  next: Order | null = null;
  /** The level the order rests in; null once removed. */
  level: PriceLevel | null = null;
  /** Slot in the book's OwnerIndex segment of its owner. */
  ownerPos = 0;
  /** Epoch of the ChangeLog that last listed it (see ChangeLog.epoch). */
  logEpoch = 0;
}

/** @internal One price level of one side: a FIFO queue of orders plus aggregates. */
export class PriceLevel {
  price = 0;
  head: Order | null = null;
  tail: Order | null = null;
  /** Number of orders in the queue. */
  count = 0;
  /** Sum of the orders' remaining sizes (lots). */
  total = 0;
  /** The side it belongs to (set when taken into use). */
  isBid = false;
  /** Epoch of the ChangeLog that last listed it. */
  logEpoch = 0;

  /** Append at the tail (lowest time priority). */
  push(o: Order): void {
    o.level = this;
    o.next = null;
    o.prev = this.tail;
    if (this.tail === null) this.head = o;
    else this.tail.next = o;
    this.tail = o;
    this.count++;
    this.total += o.size;
  }

  /** Insert keeping the queue sorted by ascending priority (scans from the tail: O(1) when in order). */
  insertByPriority(o: Order): void {
    let after = this.tail;
    while (after !== null && after.priority > o.priority) after = after.prev;
    if (after === this.tail) {
      this.push(o);
      return;
    }
    o.level = this;
    o.prev = after;
    o.next = after === null ? this.head : after.next;
    if (after === null) this.head = o;
    else after.next = o;
    o.next!.prev = o;
    this.count++;
    this.total += o.size;
  }

  /** Unlink `o` (which must be in this level). */
  unlink(o: Order): void {
    const p = o.prev;
    const n = o.next;
    if (p === null) this.head = n;
    else p.next = n;
    if (n === null) this.tail = p;
    else n.prev = p;
    o.prev = null;
    o.next = null;
    o.level = null;
    this.count--;
    this.total -= o.size;
  }
}

/**
 * @internal What changed in one book since the last clear, for a state commitment that re-encodes only
 * that (node/state/fastderive.ts; OrderBook.trackChanges). Mutations list what they touch while it is in
 * cache. Objects are still recycled at once (a fresh object would be a cache miss), so a listed order may
 * have become another order since: readers take `orders` for their current state only, and removals from
 * `removed`, recorded at removal time.
 */
let nextLogEpoch = 1;

export class ChangeLog {
  /** Orders added, changed or moved, and orders whose FIFO predecessor changed (each object once). */
  readonly orders: Order[] = [];
  /** Removed orders: id, owner, clientId, expiry per removal. */
  readonly removed: number[] = [];
  /** Levels whose count, total, head, tail or existence changed, as positions: price for bids, -price-1 for asks. */
  readonly levels: number[] = [];
  /**
   * Every unlink from a queue, as (order id, successor id): the successor at that moment, 0 if it had none
   * or if the successor joined its queue after the clear (priority >= priorityFloor). For an order resting
   * since the clear, its first entry names the closest order behind it that was still in its pre-clear
   * place then: what a derivation from pre-state leaves needs to find the neighbour a removal relinks.
   */
  readonly unlinked: number[] = [];
  /** Priorities below this were given before the clear (the state's nextPriority at batch start). */
  priorityFloor = 0;
  /**
   * An object is listed iff its logEpoch equals this. Epochs are unique across all logs, so clearing is a
   * new epoch and touches no listed object.
   */
  epoch = nextLogEpoch++;

  order(o: Order): void {
    if (o.logEpoch === this.epoch) return;
    o.logEpoch = this.epoch;
    this.orders.push(o);
  }

  level(l: PriceLevel): void {
    if (l.logEpoch === this.epoch) return;
    l.logEpoch = this.epoch;
    this.levels.push(l.isBid ? l.price : -l.price - 1);
  }

  removal(o: Order): void {
    this.removed.push(o.id, o.owner, o.clientId, o.expiry);
  }

  /**
   * `o` is about to leave its queue: its successor's predecessor changes. `o` itself is not listed: it is
   * either removed (recorded by `removal`) or re-queued, which lists it again (pushTo).
   */
  unlink(o: Order): void {
    const n = o.next;
    if (n !== null) this.order(n);
    this.unlinked.push(o.id, n !== null && n.priority < this.priorityFloor ? n.id : 0);
  }

  clear(priorityFloor: number): void {
    this.epoch = nextLogEpoch++;
    this.priorityFloor = priorityFloor;
    this.orders.length = this.removed.length = this.levels.length = this.unlinked.length = 0;
  }
}

/**
 * @internal One side of the book. Active levels are kept in an array sorted from the worst price to the
 * best, so the touch is the last element: the best level is O(1), levels near the touch are inserted and
 * removed at the array's end, and a price is found through a NumMap. A level that empties away from the touch
 * stays in place (lazy removal, reused if the price comes back); empty levels are popped as soon as they
 * reach the touch and compacted when they outnumber the live ones. Invariant: the last element, if any, is
 * non-empty.
 */
export class BookSide {
  readonly isBid: boolean;
  /** Levels sorted worst -> best (bids ascending price, asks descending price). */
  readonly levels: PriceLevel[] = [];
  readonly byPrice = new NumMap<PriceLevel>();
  /** Number of empty levels still in `levels`. */
  emptyCount = 0;
  private readonly levelPool: PriceLevel[];

  constructor(isBid: boolean, levelPool: PriceLevel[]) {
    this.isBid = isBid;
    this.levelPool = levelPool;
  }

  /** The best non-empty level, or null. */
  best(): PriceLevel | null {
    const n = this.levels.length;
    return n === 0 ? null : this.levels[n - 1];
  }

  /** True when price `a` is strictly better than price `b` for this side. */
  better(a: number, b: number): boolean {
    return this.isBid ? a > b : a < b;
  }

  /** The level at `price`, creating (and indexing) it when missing. */
  levelAt(price: number): PriceLevel {
    let lvl = this.byPrice.get(price);
    if (lvl !== undefined) {
      if (lvl.count === 0) this.emptyCount--;
      return lvl;
    }
    lvl = this.levelPool.pop() ?? new PriceLevel();
    lvl.price = price;
    lvl.isBid = this.isBid;
    this.byPrice.set(price, lvl);
    const levels = this.levels;
    const n = levels.length;
    // Fast path: a new best price (the common case for aggressive quoting) is a push.
    if (n === 0 || this.better(price, levels[n - 1].price)) {
      levels.push(lvl);
      return lvl;
    }
    // Binary search the first index whose price is better than `price` (worst -> best order).
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.better(levels[mid].price, price)) hi = mid;
      else lo = mid + 1;
    }
    levels.splice(lo, 0, lvl);
    return lvl;
  }

  /**
   * Called after an order left `lvl`. Pops empty levels at the touch; leaves deeper empty levels in place
   * (counted) and compacts when they dominate.
   */
  afterRemove(lvl: PriceLevel): void {
    if (lvl.count !== 0) return;
    const levels = this.levels;
    if (levels[levels.length - 1] === lvl) {
      this.drop(levels.pop()!);
      while (levels.length > 0 && levels[levels.length - 1].count === 0) {
        this.drop(levels.pop()!);
        this.emptyCount--;
      }
      return;
    }
    this.emptyCount++;
    if (this.emptyCount > 64 && this.emptyCount * 2 > levels.length) this.compact();
  }

  private drop(lvl: PriceLevel): void {
    this.byPrice.delete(lvl.price);
    lvl.head = lvl.tail = null;
    lvl.total = 0;
    // recycled: if reused for another price in this batch, it must be listed again under that price
    lvl.logEpoch = 0;
    this.levelPool.push(lvl);
  }

  /** Remove every empty level (O(levels)). */
  compact(): void {
    const levels = this.levels;
    let w = 0;
    for (let r = 0; r < levels.length; r++) {
      const lvl = levels[r];
      if (lvl.count === 0) this.drop(lvl);
      else levels[w++] = lvl;
    }
    levels.length = w;
    this.emptyCount = 0;
  }
}

/**
 * @internal The resting order ids of every owner of one book, in one typed pool: owner w's ids sit in its
 * segment pool[start[w] .. start[w] + used[w]), unordered, each order knowing its slot (Order.ownerPos).
 * A removal turns its slot into a hole on the owner's free list (the hole stores the next free slot as
 * -(next + 2), -1 ending the list) and an addition takes a hole before growing the segment, so slots never
 * move within a segment: adding and removing touch the order itself and typed arrays, never another order
 * or a per-owner object (those were cache misses on every place and cancel). A full segment moves to the
 * end of the pool at twice the size, slots kept; the pool drops abandoned segments when they fill half of
 * it. A segment is as large as its owner's most orders at once. Callers that need the orders (cancel-all,
 * iteration) resolve the ids and sort by priority.
 */
export class OwnerIndex {
  private pool = new Float64Array(1 << 12);
  private top = 0;
  /** Pool slots in abandoned segments. */
  private wasted = 0;
  private start = new Int32Array(256);
  private used = new Int32Array(256);
  private cap = new Int32Array(256);
  /** First free slot of each owner's segment, -1: none. */
  private free = new Int32Array(256).fill(-1);
  /** Resting orders per owner (what ownerOrderCount reports). */
  private live = new Int32Array(256);

  /** Number of `owner`'s resting orders. */
  count(owner: number): number {
    return owner < this.live.length ? this.live[owner] : 0;
  }

  /**
   * Override `owner`'s count: a partial book rebuilt from a witness holds only some of the owner's orders
   * but must report the real count. Later additions and removals adjust it as usual.
   */
  setCount(owner: number, n: number): void {
    if (owner >= this.cap.length) this.growOwners(owner);
    this.live[owner] = n;
  }

  /** Ids of `owner`'s orders (unordered). */
  ids(owner: number): number[] {
    const out: number[] = [];
    if (owner >= this.cap.length) return out;
    const s = this.start[owner];
    for (let i = 0; i < this.used[owner]; i++) if (this.pool[s + i] >= 0) out.push(this.pool[s + i]);
    return out;
  }

  /** Add `o` (resting, of o.owner, id >= 0). */
  add(o: Order): void {
    const w = o.owner;
    if (w >= this.cap.length) this.growOwners(w);
    let i = this.free[w];
    if (i >= 0) {
      this.free[w] = -this.pool[this.start[w] + i] - 2;
    } else {
      if (this.used[w] === this.cap[w]) this.moveSegment(w);
      i = this.used[w]++;
    }
    this.pool[this.start[w] + i] = o.id;
    o.ownerPos = i;
    this.live[w]++;
  }

  remove(o: Order): void {
    const w = o.owner;
    this.pool[this.start[w] + o.ownerPos] = -this.free[w] - 2;
    this.free[w] = o.ownerPos;
    this.live[w]--;
  }

  /** Move w's full segment to the end of the pool at twice its size (slots keep their positions). */
  private moveSegment(w: number): void {
    const cap = this.cap[w];
    const ncap = cap === 0 ? 4 : 2 * cap;
    if (this.top + ncap > this.pool.length) this.growPool(ncap);
    const s = this.start[w];
    this.pool.copyWithin(this.top, s, s + this.used[w]);
    this.start[w] = this.top;
    this.top += ncap;
    this.wasted += cap;
    this.cap[w] = ncap;
  }

  /** Room for `need` more slots at the end: drop abandoned segments (slots keep their order), or grow. */
  private growPool(need: number): void {
    const old = this.pool;
    const live = this.top - this.wasted;
    const size = 2 * (live + need) > old.length ? 2 * Math.max(old.length, live + need) : old.length;
    const pool = new Float64Array(size);
    let top = 0;
    for (let w = 0; w < this.cap.length; w++) {
      const c = this.cap[w];
      if (c === 0) continue;
      pool.set(old.subarray(this.start[w], this.start[w] + this.used[w]), top);
      this.start[w] = top;
      top += c;
    }
    this.pool = pool;
    this.top = top;
    this.wasted = 0;
  }

  private growOwners(w: number): void {
    const n = Math.max(2 * this.cap.length, w + 1);
    const grow = (a: Int32Array, fill: number) => {
      const b = new Int32Array(n).fill(fill);
      b.set(a);
      return b;
    };
    this.start = grow(this.start, 0);
    this.used = grow(this.used, 0);
    this.cap = grow(this.cap, 0);
    this.free = grow(this.free, -1);
    this.live = grow(this.live, 0);
  }
}

/**
 * @internal Map from non-negative integer keys (order ids, prices) to objects: open addressing with linear
 * probing, keys and values interleaved in one array (a probe reads one cache line for both), load factor
 * <= 1/4, backward-shift deletion (no tombstones, so a stationary book never rehashes and allocates
 * nothing). Runs of 16 consecutive keys get consecutive slots from a home placed by Fibonacci hashing (the
 * top bits of a multiplicative hash) of the run number: order ids are usually assigned sequentially and
 * prices cluster, so a new key usually lands on a cache line its neighbours just touched (and sequential
 * runs are prefetcher-friendly), while strided patterns still spread. Measured on bench/clob.ts against
 * runs of 1, 4, 8, 32 and 64 and loads of 1/2 and 1/8.
 * Keys must be integers in [0, 2^53); -1 marks an empty entry.
 */
export class NumMap<V> {
  /** Entry i: key at 2i (-1 when empty), value at 2i + 1. */
  private t: unknown[];
  private mask: number;
  private shift: number;
  size = 0;
  /**
   * While growing: the previous table (-2 marks an entry moved or deleted since; probes pass it, while
   * empty slots still end them), and how many of its slots have been visited. Every insert and delete moves a few, so growing never stops the
   * caller for a full rehash (at a million orders that was a half-second stall); lookups try both tables.
   */
  private old: unknown[] | null = null;
  private oldMask = 0;
  private oldShift = 0;
  private moved = 0;

  constructor(capacity = 1024) {
    this.t = new Array(capacity * 2).fill(-1);
    this.mask = capacity - 1;
    this.shift = 32 - Math.log2(capacity);
  }

  private static homeOf(key: number, shift: number, mask: number): number {
    const run = Math.floor(key / 16);
    return ((Math.imul(run ^ ((run / 4294967296) | 0), 0x9e3779b1) >>> shift) + (key & 15)) & mask;
  }

  private home(key: number): number {
    return NumMap.homeOf(key, this.shift, this.mask);
  }

  get(key: number): V | undefined {
    const t = this.t;
    const mask = this.mask;
    for (let i = this.home(key); ; i = (i + 1) & mask) {
      const k = t[2 * i];
      if (k === -1) return this.old === null ? undefined : this.oldGet(key);
      if (k === key) return t[2 * i + 1] as V;
    }
  }

  has(key: number): boolean {
    return this.get(key) !== undefined;
  }

  /** Insert (the caller guarantees `key` is absent). */
  set(key: number, value: V): void {
    if (this.old !== null) this.migrate();
    else if ((this.size + 1) * 4 > this.mask + 1) this.startGrow();
    this.put(key, value);
    this.size++;
  }

  delete(key: number): void {
    if (this.old !== null) this.migrate();
    if (this.deleteIn(key)) this.size--;
    else if (this.old !== null && this.oldDelete(key)) this.size--;
  }

  private put(key: number, value: unknown): void {
    const t = this.t;
    const mask = this.mask;
    let i = this.home(key);
    while (t[2 * i] !== -1) i = (i + 1) & mask;
    t[2 * i] = key;
    t[2 * i + 1] = value;
  }

  /** Remove `key` from the current table; false if absent there. */
  private deleteIn(key: number): boolean {
    const t = this.t;
    const mask = this.mask;
    let i = this.home(key);
    for (;;) {
      const k = t[2 * i];
      if (k === -1) return false;
      if (k === key) break;
      i = (i + 1) & mask;
    }
    // Backward shift: move later members of the probe run into the hole when their home allows it.
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const k = t[2 * j] as number;
      if (k === -1) break;
      const h = this.home(k);
      const stays = i <= j ? i < h && h <= j : i < h || h <= j;
      if (stays) continue;
      t[2 * i] = k;
      t[2 * i + 1] = t[2 * j + 1];
      i = j;
    }
    t[2 * i] = -1;
    t[2 * i + 1] = -1;
    return true;
  }

  /** Slot of `key` in the previous table, -1 if absent. */
  private oldSlot(key: number): number {
    const o = this.old!;
    const mask = this.oldMask;
    for (let i = NumMap.homeOf(key, this.oldShift, mask); ; i = (i + 1) & mask) {
      const k = o[2 * i];
      if (k === -1) return -1;
      if (k === key) return i;
    }
  }

  private oldGet(key: number): V | undefined {
    const i = this.oldSlot(key);
    return i < 0 ? undefined : (this.old![2 * i + 1] as V);
  }

  private oldDelete(key: number): boolean {
    const i = this.oldSlot(key);
    if (i < 0) return false;
    this.old![2 * i] = -2;
    this.old![2 * i + 1] = -1;
    return true;
  }

  private startGrow(): void {
    this.old = this.t;
    this.oldMask = this.mask;
    this.oldShift = this.shift;
    this.moved = 0;
    const cap = (this.mask + 1) * 2;
    this.t = new Array(cap * 2).fill(-1);
    this.mask = cap - 1;
    this.shift--;
    this.migrate();
  }

  /**
   * Move the next slots of the previous table. 16 per call finishes before the new table (twice the size,
   * a quarter full at most when growing starts) could need to grow again.
   */
  private migrate(): void {
    const o = this.old!;
    const slots = this.oldMask + 1;
    const end = Math.min(slots, this.moved + 16);
    for (let i = this.moved; i < end; i++) {
      const k = o[2 * i] as number;
      if (k < 0) continue; // an empty slot stays one: it still ends the probe runs through it
      this.put(k, o[2 * i + 1]);
      o[2 * i] = -2;
      o[2 * i + 1] = -1;
    }
    this.moved = end;
    if (end === slots) this.old = null;
  }
}
