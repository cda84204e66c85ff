// Full-node fast path of derive(): the same leaf changes as deriveChanges() (derive.ts), computed from the
// engine's complete in-memory book (FIFO links, level aggregates, sorted level arrays) instead of from
// pre-state leaves. It needs no trie lookups and no leaf decoding, which makes it several times cheaper.
// Equality with the generic derivation is tested on every batch of the witness tests (the stateless
// executor uses the generic one) and by full rebuilds in the commitment tests.
//
// It reads engine internals (Order.prev/next, PriceLevel, BookSide): see `bookInternals`.

import type { Order, PriceLevel, BookSide } from "../clob/book.ts";
import type { OrderBook } from "../clob/engine.ts";
import type { ClobState } from "../clob/state.ts";
import { Side } from "../clob/types.ts";
import type { Derived, LevelChange } from "./derive.ts";
import { globalsOf } from "./derive.ts";
import {
  LeafBatch,
  NONE,
  setLeafSink,
  clientKey,
  encodeAsset,
  encodeClient,
  encodeGlobals,
  encodeLevel,
  encodeMarket,
  encodeAccountFrom,
  encodeOrderFields,
  levelKey,
  orderKey,
} from "./leaves.ts";

/** The engine structures this module reads (private in OrderBook; see the report to the engine owners). */
export function bookInternals(book: OrderBook): { bids: BookSide; asks: BookSide } {
  return book as unknown as { bids: BookSide; asks: BookSide };
}

/** The engine's order object (RestingOrder is the public view of book.ts's Order, with its FIFO links). */
const orderOf = (book: OrderBook, id: number) => book.getOrder(id) as Order | undefined;

/** Signed level position of an order: price for bids, -price-1 for asks. */
export const levelPos = (side: number, price: number) => (side === Side.BUY ? price : -price - 1);

/**
 * What the committed state says about each resting order beyond its engine object: its FIFO predecessor,
 * its level, owner and client id. Kept in typed-array pages indexed by order id (ids are dense and never
 * reused), so a million orders add no objects for the GC to trace.
 */
export class OrderShadow {
  private static readonly BITS = 12;
  private static readonly SIZE = 1 << OrderShadow.BITS;
  private readonly pages: (Float64Array | undefined)[] = [];
  private readonly live: number[] = [];
  count = 0;
  /** Page layout: 4 fields x SIZE: prev, pos, owner, clientId; pos NaN = absent. */
  private page(id: number, create: boolean): Float64Array | undefined {
    const pi = Math.floor(id / OrderShadow.SIZE);
    let p = this.pages[pi];
    if (p === undefined && create) {
      p = new Float64Array(4 * OrderShadow.SIZE).fill(NaN);
      this.pages[pi] = p;
      this.live[pi] = 0;
    }
    return p;
  }
  has(id: number): boolean {
    const p = this.page(id, false);
    return p !== undefined && !Number.isNaN(p[OrderShadow.SIZE + (id % OrderShadow.SIZE)]);
  }
  set(id: number, prev: number, pos: number, owner: number, clientId: number): void {
    const p = this.page(id, true)!;
    const i = id % OrderShadow.SIZE;
    const S = OrderShadow.SIZE;
    if (Number.isNaN(p[S + i])) {
      this.live[Math.floor(id / S)]++;
      this.count++;
    }
    p[i] = prev;
    p[S + i] = pos;
    p[2 * S + i] = owner;
    p[3 * S + i] = clientId;
  }
  delete(id: number): void {
    const S = OrderShadow.SIZE;
    const pi = Math.floor(id / S);
    const p = this.pages[pi];
    const i = id % S;
    if (p === undefined || Number.isNaN(p[S + i])) return;
    p[S + i] = NaN;
    this.count--;
    if (--this.live[pi] === 0) this.pages[pi] = undefined;
  }
  /** Predecessor id (0: head or absent). */
  prev(id: number): number {
    const p = this.page(id, false);
    if (p === undefined) return 0;
    const i = id % OrderShadow.SIZE;
    return Number.isNaN(p[OrderShadow.SIZE + i]) ? 0 : p[i];
  }
  setPrev(id: number, prev: number): void {
    const p = this.page(id, false);
    if (p !== undefined) p[id % OrderShadow.SIZE] = prev;
  }
  pos(id: number): number {
    return this.page(id, false)![OrderShadow.SIZE + (id % OrderShadow.SIZE)];
  }
  owner(id: number): number {
    return this.page(id, false)![2 * OrderShadow.SIZE + (id % OrderShadow.SIZE)];
  }
  clientId(id: number): number {
    return this.page(id, false)![3 * OrderShadow.SIZE + (id % OrderShadow.SIZE)];
  }
}

export interface Shadow {
  /** Every resting order of the committed state. */
  orders: OrderShadow;
  /** Account index -> address bytes (filled on first use; addresses never change). */
  accountAddr: Uint8Array[];
  /**
   * With many markets: account index -> markets where it has resting orders (committed state), so an
   * account's open-order counts are gathered from those markets only. null while there are few markets.
   */
  accountMarkets: (number[] | undefined)[] | null;
  /** `${market}:${side}` -> ascending prices of the non-empty levels. */
  levelLists: Map<string, number[]>;
}

/** Index of the first element >= x in the ascending array `a` (a level price list). */
export function lowerBound(a: number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first level in `levels` (sorted worst -> best) that is better than `price`. */
function firstBetter(side: BookSide, price: number): number {
  const levels = side.levels;
  let lo = 0;
  let hi = levels.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (side.better(levels[mid].price, price)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Price of the closest non-empty level strictly worse than `price`, NONE if none. */
function nextWorse(side: BookSide, price: number): number {
  const levels = side.levels;
  let i = firstBetter(side, price) - 1;
  // skip the level at `price` itself
  while (i >= 0 && (levels[i].price === price || levels[i].count === 0)) i--;
  return i >= 0 ? levels[i].price : NONE;
}

/** Price of the closest non-empty level strictly better than `price`, NONE if none. */
function nextBetter(side: BookSide, price: number): number {
  const levels = side.levels;
  let i = firstBetter(side, price);
  while (i < levels.length && levels[i].count === 0) i++;
  return i < levels.length ? levels[i].price : NONE;
}

export function fastDerive(state: ClobState, sh: Shadow): Derived {
  const batch = new LeafBatch();
  const prev = setLeafSink(batch);
  try {
    const d = fastDeriveIn(state, sh);
    d.putBatch = batch;
    return d;
  } finally {
    setLeafSink(prev);
  }
}

function fastDeriveIn(state: ClobState, sh: Shadow): Derived {
  const d = state.dirty;
  const puts: Uint8Array[] = [];
  // Leaf encoders append to the active LeafBatch and return an empty array; anything else is kept here.
  const emit = (e: Uint8Array) => {
    if (e.length > 0) puts.push(e);
  };
  const dels: Uint8Array[] = [];
  const removed: number[] = [];
  const nextOut: [number, number][] = [];
  const heads: number[] = [];
  const levels: LevelChange[] = [];
  // Accounts whose leaf is re-encoded: the dirty ones plus the owners of dirty orders (duplicates are
  // dropped after sorting).
  const owners: number[] = [];
  const so = sh.orders;
  // Few markets: an account's counts are read from every book. Many: only from the markets it had orders
  // in plus those of its orders this batch touched.
  if (state.markets.size > MANY_MARKETS && sh.accountMarkets === null) sh.accountMarkets = accountMarketsOf(state);
  if (state.markets.size <= MANY_MARKETS) sh.accountMarkets = null;
  const ownerMk = sh.accountMarkets === null ? null : new Map<number, number[]>();
  const noteOwner = (owner: number, m: number) => {
    if (ownerMk === null) return;
    const a = ownerMk.get(owner);
    if (a === undefined) ownerMk.set(owner, [m]);
    else if (!a.includes(m)) a.push(m);
  };

  // market -> levelPos set of levels to re-encode; orders to re-encode (with their market)
  const dirtyLevels = new Map<number, Set<number>>();
  // market -> orders to re-encode
  const encodeByMarket = new Map<number, Map<number, Order>>();
  const markets = new Set<number>(d.markets);
  let lastM = -1;
  let lastSet: Set<number> | undefined;
  const touchLevel = (m: number, pos: number) => {
    if (m !== lastM) {
      lastM = m;
      lastSet = dirtyLevels.get(m);
      if (lastSet === undefined) dirtyLevels.set(m, (lastSet = new Set()));
    }
    lastSet!.add(pos);
  };
  for (const m of d.orders.markets()) {
    const book = state.markets.get(m)!.book;
    const enc = new Map<number, Order>();
    encodeByMarket.set(m, enc);
    const ids = d.orders.ids(m);
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k];
      const o = orderOf(book, id);
      const had = so.has(id);
      if (!had && o === undefined) continue; // created and gone within the batch
      markets.add(m);
      let preClient = 0;
      let prePos = 0;
      let prePrev = 0;
      if (had) {
        if (ownerMk !== null) noteOwner(so.owner(id), m);
        prePos = so.pos(id);
        prePrev = so.prev(id);
        preClient = so.clientId(id);
        touchLevel(m, prePos);
        if (prePrev !== 0) {
          const po = orderOf(book, prePrev);
          if (po !== undefined) enc.set(prePrev, po);
        }
      }
      if (o === undefined) {
        removed.push(id);
        dels.push(orderKey(id));
        if (preClient !== 0) dels.push(clientKey(m, so.owner(id), preClient));
        so.delete(id);
        continue;
      }
      const pos = levelPos(o.side, o.price);
      const prevId = o.prev === null ? 0 : o.prev.id;
      if (had && (prePos !== pos || prePrev !== prevId)) removed.push(id);
      touchLevel(m, pos);
      enc.set(id, o);
      if (o.prev !== null) enc.set(prevId, o.prev);
      owners.push(o.owner);
      noteOwner(o.owner, m);
      if (o.clientId !== 0 && (!had || preClient !== o.clientId)) {
        emit(encodeClient({ market: m, owner: o.owner, clientId: o.clientId, orderId: id }));
      }
      so.set(id, prevId, pos, o.owner, o.clientId);
    }
  }
  encodeByMarket.forEach((orders, m) => {
    orders.forEach((o, id) => {
      const nx = o.next === null ? 0 : o.next.id;
      emit(encodeOrderFields(id, m, o.owner, o.side, o.price, o.size, o.expiry, o.clientId, o.priority, nx));
      if (nx !== 0) so.setPrev(nx, id);
      if (o.prev === null) so.setPrev(id, 0);
    });
  });

  // Levels: aggregates from the engine; existence changes re-encode the closest better neighbour.
  for (const [m, set] of dirtyLevels) {
    const book = state.markets.get(m)!.book;
    const { bids, asks } = bookInternals(book);
    const extra: number[] = [];
    const done = new Set<number>();
    const encodeLvl = (side: number, price: number, lvl: PriceLevel) => {
      const bs = side === Side.BUY ? bids : asks;
      emit(encodeLevel({
        market: m, side, price, count: lvl.count, total: lvl.total, head: lvl.head!.id, tail: lvl.tail!.id,
        next: nextWorse(bs, price),
      }));
      sh.orders.setPrev(lvl.head!.id, 0);
    };
    for (const pos of set) {
      const side = pos >= 0 ? Side.BUY : Side.SELL;
      const price = pos >= 0 ? pos : -pos - 1;
      const bs = side === Side.BUY ? bids : asks;
      const lvl = bs.byPrice.get(price);
      const after = lvl !== undefined && lvl.count > 0;
      const key = `${m}:${side}`;
      let list = sh.levelLists.get(key);
      if (list === undefined) sh.levelLists.set(key, (list = []));
      const i = lowerBound(list, price);
      const before = i < list.length && list[i] === price;
      done.add(pos);
      if (after) encodeLvl(side, price, lvl!);
      else if (before) dels.push(levelKey(m, side, price));
      if (before !== after) {
        levels.push({ market: m, side, price, before, after });
        if (after) list.splice(i, 0, price);
        else list.splice(i, 1);
        const b = nextBetter(bs, price);
        if (b !== NONE) extra.push(levelPos(side, b));
      }
    }
    for (const pos of extra) {
      if (done.has(pos)) continue;
      done.add(pos);
      const side = pos >= 0 ? Side.BUY : Side.SELL;
      const price = pos >= 0 ? pos : -pos - 1;
      encodeLvl(side, price, (side === Side.BUY ? bids : asks).byPrice.get(price)!);
    }
  }

  for (const m of [...markets].sort((a, b) => a - b)) {
    const mk = state.markets.get(m);
    if (mk === undefined) continue;
    emit(encodeMarket({ id: m, params: mk.params, bestBid: mk.book.bestBid(), bestAsk: mk.book.bestAsk() }));
  }

  const books = state.marketIds().map((m) => [m, state.markets.get(m)!.book] as const);
  const open: number[] = [];
  // Ascending index: accounts were allocated in index order, so this walks the heap far more locally.
  const da = d.accounts;
  const accts = new Int32Array(da.size + owners.length);
  for (let i = 0; i < da.size; i++) accts[i] = da.at(i);
  for (let i = 0; i < owners.length; i++) accts[da.size + i] = owners[i];
  accts.sort();
  for (let k = 0; k < accts.length; k++) {
    const idx = accts[k];
    if (k > 0 && idx === accts[k - 1]) continue;
    const acct = state.accounts[idx];
    open.length = 0;
    if (sh.accountMarkets === null) {
      for (const [m, book] of books) {
        const c = book.ownerOrderCount(idx);
        if (c > 0) open.push(m, c);
      }
    } else {
      const cand = [...(sh.accountMarkets[idx] ?? []), ...(ownerMk!.get(idx) ?? [])].sort((a, b) => a - b);
      const now: number[] = [];
      for (let i = 0; i < cand.length; i++) {
        if (i > 0 && cand[i] === cand[i - 1]) continue;
        const c = state.markets.get(cand[i])!.book.ownerOrderCount(idx);
        if (c > 0) {
          open.push(cand[i], c);
          now.push(cand[i]);
        }
      }
      sh.accountMarkets[idx] = now.length > 0 ? now : undefined;
    }
    let addr = sh.accountAddr[idx];
    if (addr === undefined) sh.accountAddr[idx] = addr = Buffer.from(acct.address.slice(2), "hex");
    emit(encodeAccountFrom(addr, idx, acct.nonce, state.balances, open));
  }
  for (const id of d.assets) {
    const a = state.assets.get(id);
    if (a !== undefined) emit(encodeAsset({ id, supply: a.supply }));
  }
  if (d.globals) emit(encodeGlobals(globalsOf(state)));
  return { puts, dels, removed, next: nextOut, heads, levels };
}

/** Above this many markets, accounts' open-order counts are gathered through Shadow.accountMarkets. */
export const MANY_MARKETS = 4;

function accountMarketsOf(state: ClobState): (number[] | undefined)[] {
  const out: (number[] | undefined)[] = [];
  for (const m of state.marketIds()) {
    for (const o of state.markets.get(m)!.book.orders()) {
      const a = out[o.owner];
      if (a === undefined) out[o.owner] = [m];
      else if (a[a.length - 1] !== m) a.push(m);
    }
  }
  return out;
}

/** Build the shadow indexes from a full state. */
export function buildShadow(state: ClobState): Shadow {
  const sh: Shadow = {
    orders: new OrderShadow(),
    accountAddr: [],
    accountMarkets: state.markets.size > MANY_MARKETS ? accountMarketsOf(state) : null,
    levelLists: new Map(),
  };
  for (const [m, mk] of state.markets) {
    const { bids, asks } = bookInternals(mk.book);
    for (const bs of [bids, asks]) {
      const side = bs.isBid ? Side.BUY : Side.SELL;
      const list: number[] = [];
      for (const lvl of bs.levels) {
        if (lvl.count === 0) continue;
        list.push(lvl.price);
        for (let o = lvl.head; o !== null; o = o.next) {
          sh.orders.set(o.id, o.prev === null ? 0 : o.prev.id, levelPos(side, o.price), o.owner, o.clientId);
        }
      }
      list.sort((a, b) => a - b);
      sh.levelLists.set(`${m}:${side}`, list);
    }
  }
  return sh;
}
