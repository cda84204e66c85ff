// Full-node fast path of derive(): the same leaf changes as deriveChanges() (derive.ts), computed from the
// engine's complete in-memory book (FIFO links, level aggregates, sorted level arrays) instead of from
// pre-state leaves. It needs no trie lookups and no leaf decoding, which makes it several times cheaper.
// What to re-encode comes from each book's ChangeLog (OrderBook.trackChanges, enabled by the commitment):
// the engine lists every order and level a mutation touches while they are in cache, so this pass looks
// nothing up by id. Equality with the generic derivation is tested on every batch of the witness tests (the
// stateless executor uses the generic one) and by full rebuilds in the commitment tests.
//
// It reads engine internals (Order.prev, PriceLevel, BookSide, ChangeLog): see `bookInternals`.

import type { BookSide, ChangeLog, Order, PriceLevel } from "../clob/book.ts";
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

/** Signed level position of an order: price for bids, -price-1 for asks. */
export const levelPos = (side: number, price: number) => (side === Side.BUY ? price : -price - 1);

export interface Shadow {
  /** nextOrderId of the committed state: orders with smaller ids that were resting then are committed. */
  committedNextOrderId: number;
  /** Address bytes of accounts 0 .. addrCount-1, 20 each, by index (addresses never change). */
  addrBytes: Uint8Array;
  addrCount: number;
  /**
   * With many markets: account index -> markets where it has resting orders (committed state), so an
   * account's open-order counts are gathered from those markets only. null while there are few markets.
   */
  accountMarkets: (number[] | undefined)[] | null;
  /** `${market}:${side}` -> ascending prices of the non-empty levels. */
  levelLists: Map<string, number[]>;
  /** One bit per account index: the accounts to re-encode, collected in index order (scratch, kept zero). */
  accountMarks: Uint32Array;
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
  const levels: LevelChange[] = [];
  // Accounts whose open-order counts changed (an order of theirs appeared or left), besides the dirty ones;
  // duplicates are dropped after sorting.
  const owners: number[] = [];
  // Few markets: an account's counts are read from every book. Many: only from the markets it had orders
  // in plus those of its orders this batch touched.
  if (state.markets.size > MANY_MARKETS && sh.accountMarkets === null) sh.accountMarkets = accountMarketsOf(state);
  if (state.markets.size <= MANY_MARKETS) sh.accountMarkets = null;
  const ownerMk = sh.accountMarkets === null ? null : new Map<number, number[]>();
  const noteOwner = (owner: number, m: number) => {
    owners.push(owner);
    if (ownerMk === null) return;
    const a = ownerMk.get(owner);
    if (a === undefined) ownerMk.set(owner, [m]);
    else if (!a.includes(m)) a.push(m);
  };
  const committed = sh.committedNextOrderId;
  const markets = new Set<number>(d.markets);

  for (const [m, mk] of state.markets) {
    const book = mk.book;
    const { bids, asks } = bookInternals(book);
    let log: BookChanges | null = book.changes();
    if (log === null) {
      // A market new since the last commit: every order and level in it is new.
      book.trackChanges(true);
      log = wholeBook(bids, asks);
    }
    if (log.orders.length === 0 && log.levels.length === 0) continue;
    markets.add(m);

    // Removals recorded by the engine: delete the committed orders (and their client ids).
    const rm = log.removed;
    for (let k = 0; k < rm.length; k += 3) {
      const id = rm[k];
      if (id >= committed) continue; // created and gone within the batch
      removed.push(id);
      dels.push(orderKey(id));
      if (rm[k + 2] !== 0) dels.push(clientKey(m, rm[k + 1], rm[k + 2]));
      noteOwner(rm[k + 1], m);
    }
    // Listed orders: re-encode the ones resting now (an object may have been recycled into a new order;
    // either way its current state is what counts).
    const orders = log.orders;
    for (let k = 0; k < orders.length; k++) {
      const o = orders[k];
      if (o.level === null) continue;
      const id = o.id;
      emit(encodeOrderFields(id, m, o.owner, o.side, o.price, o.size, o.expiry, o.clientId, o.priority, o.prev === null ? 0 : o.prev.id));
      if (id >= committed) {
        noteOwner(o.owner, m);
        if (o.clientId !== 0) emit(encodeClient({ market: m, owner: o.owner, clientId: o.clientId, orderId: id }));
      }
    }

    // Levels: aggregates from the engine; existence changes re-encode the closest better neighbour.
    const done = new Set<number>();
    const extra: number[] = [];
    const encodeLvl = (side: number, price: number, lvl: PriceLevel) => {
      emit(encodeLevel({
        market: m, side, price, count: lvl.count, total: lvl.total, head: lvl.head!.id, tail: lvl.tail!.id,
        next: nextWorse(side === Side.BUY ? bids : asks, price),
      }));
    };
    const lv = log.levels;
    for (let k = 0; k < lv.length; k++) {
      const pos = lv[k];
      if (done.has(pos)) continue; // a level dropped and re-created at the same price
      done.add(pos);
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
  sh.committedNextOrderId = state.nextOrderId;

  for (const m of [...markets].sort((a, b) => a - b)) {
    const mk = state.markets.get(m);
    if (mk === undefined) continue;
    emit(encodeMarket({ id: m, params: mk.params, bestBid: mk.book.bestBid(), bestAsk: mk.book.bestAsk() }));
  }

  addAddresses(state, sh);
  const books = state.marketIds().map((m) => [m, state.markets.get(m)!.book] as const);
  const open: number[] = [];
  // Ascending index (accounts were allocated in index order, so this walks the heap far more locally),
  // each account once: a bit per account, then a scan of the words.
  const da = d.accounts;
  const marks = accountMarksFor(sh, state.accounts.length);
  for (let i = 0; i < da.size; i++) {
    const idx = da.at(i);
    marks[idx >>> 5] |= 1 << (idx & 31);
  }
  for (let i = 0; i < owners.length; i++) marks[owners[i] >>> 5] |= 1 << (owners[i] & 31);
  for (let wi = 0; wi < marks.length; wi++) {
    let word = marks[wi];
    if (word === 0) continue;
    marks[wi] = 0;
    while (word !== 0) {
      const bit = 31 - Math.clz32(word & -word);
      word &= word - 1;
      emit(accountLeaf(state, sh, books, ownerMk, open, 32 * wi + bit));
    }
  }
  for (const id of d.assets) {
    const a = state.assets.get(id);
    if (a !== undefined) emit(encodeAsset({ id, supply: a.supply }));
  }
  if (d.globals) emit(encodeGlobals(globalsOf(state)));
  return { puts, dels, removed, levels };
}

/** The leaf of account `idx`, its open-order counts gathered from the books (see Shadow.accountMarkets). */
function accountLeaf(
  state: ClobState, sh: Shadow, books: (readonly [number, OrderBook])[], ownerMk: Map<number, number[]> | null,
  open: number[], idx: number,
): Uint8Array {
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
  const acct = state.accounts[idx];
  return encodeAccountFrom(sh.addrBytes, idx, acct.nonce, state.balances, open, 20 * idx, acct.agents);
}

/** Shadow.accountMarks with room for `n` accounts. */
function accountMarksFor(sh: Shadow, n: number): Uint32Array {
  const words = (n + 31) >>> 5;
  if (sh.accountMarks.length < words) sh.accountMarks = new Uint32Array(Math.max(words, 2 * sh.accountMarks.length));
  return sh.accountMarks;
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
    committedNextOrderId: state.nextOrderId,
    addrBytes: new Uint8Array(0),
    addrCount: 0,
    accountMarkets: state.markets.size > MANY_MARKETS ? accountMarketsOf(state) : null,
    levelLists: new Map(),
    accountMarks: new Uint32Array(0),
  };
  for (const [m, mk] of state.markets) {
    mk.book.trackChanges(true);
    const { bids, asks } = bookInternals(mk.book);
    for (const bs of [bids, asks]) {
      const list: number[] = [];
      for (const lvl of bs.levels) {
        if (lvl.count === 0) continue;
        list.push(lvl.price);
      }
      list.sort((a, b) => a - b);
      sh.levelLists.set(`${m}:${bs.isBid ? Side.BUY : Side.SELL}`, list);
    }
  }
  addAddresses(state, sh);
  return sh;
}

/** Append the address bytes of accounts created since the last call. */
function addAddresses(state: ClobState, sh: Shadow): void {
  const n = state.accounts.length;
  if (n === sh.addrCount) return;
  if (20 * n > sh.addrBytes.length) {
    const b = new Uint8Array(Math.max(20 * n, 2 * sh.addrBytes.length));
    b.set(sh.addrBytes);
    sh.addrBytes = b;
  }
  for (let i = sh.addrCount; i < n; i++) sh.addrBytes.set(Buffer.from(state.accounts[i].address.slice(2), "hex"), 20 * i);
  sh.addrCount = n;
}

/** What fast derive reads of a book's change log. */
type BookChanges = Pick<ChangeLog, "orders" | "removed" | "levels">;

/** Every resting order and non-empty level of a book, as a change log (a market new since the last commit). */
function wholeBook(bids: BookSide, asks: BookSide): BookChanges {
  const orders: Order[] = [];
  const levels: number[] = [];
  for (const bs of [bids, asks]) {
    for (const lvl of bs.levels) {
      if (lvl.count === 0) continue;
      levels.push(bs.isBid ? lvl.price : -lvl.price - 1);
      for (let o = lvl.head; o !== null; o = o.next) orders.push(o);
    }
  }
  return { orders, removed: [], levels };
}
