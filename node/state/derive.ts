// Leaf changes of one batch, derived from the pre-state leaves it touched and the post-state entities the
// batch marked dirty (ClobState.dirty). This is what the stateless witness executor runs (pre-state read
// from the witness alone, books holding only the orders the batch read); the node runs it too when it
// builds a witness (pre-state read from its trie), and tests check it against the node's fast path
// (fastderive.ts) on every batch.
//
// What makes a partial book enough: every derived value (level count/total/head/tail, FIFO `prev`
// pointers, the per-side level list, best prices, per-account open-order counts) is computed as
// "pre-state leaf value + the batch's changes", walking the pre-state linked lists only through leaves the
// batch changed (which the witness holds). Nothing is read from the post-state book structure except the
// dirty orders themselves (getOrder).

import type { ClobState } from "../clob/state.ts";
import { Side } from "../clob/types.ts";
import {
  type LeafBatch,
  type AccountLeaf,
  type LevelLeaf,
  type MarketLeaf,
  NONE,
  type OrderLeaf,
  accountKey,
  assetKey,
  clientKey,
  encodeAccount,
  encodeAsset,
  encodeClient,
  encodeGlobals,
  encodeLevel,
  encodeMarket,
  encodeOrder,
  globalsKey,
  levelKey,
  marketKey,
  orderKey,
} from "./leaves.ts";

/** Read access to the pre-state (the state before the batch). */
export interface PreView {
  /** Called once with everything derive() will ask for first, so implementations can batch lookups. */
  prefetch?(orderIds: number[], accountIndexes: number[]): void;
  order(id: number): OrderLeaf | undefined;
  /**
   * Asked only for an order that left its pre-state place in this batch: the id of an order behind it in
   * its pre-state queue such that every order in between left its place too, or 0 if every order behind
   * it did. The closest successor qualifies; the node may answer with a later one (what its change log
   * knows), which gives derive() the same result since it skips orders that left.
   */
  orderSucc(id: number): number;
  level(market: number, side: number, price: number): LevelLeaf | undefined;
  /** Price of the closest pre-state level strictly better than `price` on that side, NONE if none. */
  levelBetter(market: number, side: number, price: number): number;
  market(id: number): MarketLeaf | undefined;
  /** The pre-state account leaf of account `index` (undefined: the account did not exist). */
  account(index: number): AccountLeaf | undefined;
}

export interface LevelChange {
  market: number;
  side: number;
  price: number;
  /** Non-empty before / after the batch. */
  before: boolean;
  after: boolean;
}

/** The batch's effect on the trie, plus what the full node needs to update its shadow indexes. */
export interface Derived {
  puts: Uint8Array[];
  /** Further puts as one buffer (the fast path writes all its puts here, `puts` stays empty). */
  putBatch?: LeafBatch;
  /** Keys of deleted leaves. */
  dels: Uint8Array[];
  /** Orders that left their pre-state position (removed, or moved to another position). */
  removed: number[];
  levels: LevelChange[];
}

interface LevelWork {
  market: number;
  side: number;
  price: number;
  pre: LevelLeaf | undefined;
  dCount: number;
  dTotal: number;
  removed: Set<number>;
  appended: OrderLeaf[];
  inplace: number[];
  count: number;
  total: number;
  head: number;
  tail: number;
}

const better = (side: number, a: number, b: number) => (side === Side.BUY ? a > b : a < b);

function postOrder(state: ClobState, market: number, id: number): OrderLeaf | undefined {
  const o = state.markets.get(market)?.book.getOrder(id);
  if (o === undefined) return undefined;
  return {
    id: o.id,
    market,
    owner: o.owner,
    side: o.side,
    price: o.price,
    size: o.size,
    expiry: o.expiry,
    clientId: o.clientId,
    priority: o.priority,
    prev: 0,
  };
}

export class InsufficientWitness extends Error {}

export function deriveChanges(state: ClobState, pv: PreView): Derived {
  const d = state.dirty;
  const puts: Uint8Array[] = [];
  const dels: Uint8Array[] = [];
  const removedAll: number[] = [];
  const levelChanges: LevelChange[] = [];

  const accountSet = new Set<number>(d.accounts.toArray());
  const dirtyOrders = d.orders.entries().sort((a, b) => a[0] - b[0]);
  pv.prefetch?.(dirtyOrders.map((e) => e[0]), [...accountSet]);

  // 1. dirty orders -> per-level work
  const levels = new Map<string, LevelWork>();
  const lvKey = (m: number, s: number, p: number) => `${m}:${s}:${p}`;
  const work = (m: number, s: number, p: number): LevelWork => {
    const k = lvKey(m, s, p);
    let w = levels.get(k);
    if (w === undefined) {
      w = {
        market: m, side: s, price: p, pre: pv.level(m, s, p), dCount: 0, dTotal: 0,
        removed: new Set(), appended: [], inplace: [], count: 0, total: 0, head: 0, tail: 0,
      };
      levels.set(k, w);
    }
    return w;
  };
  const preOrders = new Map<number, OrderLeaf>();
  const postOrders = new Map<number, OrderLeaf>();
  /** owner -> market -> delta of resting orders */
  const openDelta = new Map<number, Map<number, number>>();
  const addOpen = (owner: number, m: number, x: number) => {
    let mm = openDelta.get(owner);
    if (mm === undefined) openDelta.set(owner, (mm = new Map()));
    mm.set(m, (mm.get(m) ?? 0) + x);
    accountSet.add(owner);
  };
  for (const [id, m] of dirtyOrders) {
    const pre = pv.order(id);
    const post = postOrder(state, m, id);
    if (pre === undefined && post === undefined) continue;
    if (pre !== undefined) preOrders.set(id, pre);
    if (post !== undefined) postOrders.set(id, post);
    const moved = pre !== undefined && post !== undefined && (pre.price !== post.price || pre.priority !== post.priority || pre.side !== post.side);
    if (pre !== undefined && (post === undefined || moved)) {
      const w = work(pre.market, pre.side, pre.price);
      w.removed.add(id);
      w.dCount--;
      w.dTotal -= pre.size;
      removedAll.push(id);
    }
    if (post !== undefined && (pre === undefined || moved)) {
      const w = work(m, post.side, post.price);
      w.appended.push(post);
      w.dCount++;
      w.dTotal += post.size;
    }
    if (pre !== undefined && post !== undefined && !moved) {
      const w = work(m, post.side, post.price);
      w.inplace.push(id);
      w.dTotal += post.size - pre.size;
    }
    if (pre !== undefined) addOpen(pre.owner, pre.market, -1);
    if (post !== undefined) addOpen(post.owner, m, 1);
    if (pre !== undefined && pre.clientId !== 0 && !(post !== undefined && post.clientId === pre.clientId)) {
      dels.push(clientKey(pre.market, pre.owner, pre.clientId));
    }
    if (post !== undefined && post.clientId !== 0 && !(pre !== undefined && pre.clientId === post.clientId)) {
      puts.push(encodeClient({ market: m, owner: post.owner, clientId: post.clientId, orderId: id }));
    }
    if (post === undefined) dels.push(orderKey(id));
  }

  // 2. per level: aggregates, head, tail, FIFO prev pointers. The post-state queue is the pre-state queue
  // without the orders that left their place (R), then the appended ones by priority (A).
  const newPrev = new Map<number, number>();
  const preOrder = (id: number): OrderLeaf => {
    const o = preOrders.get(id) ?? pv.order(id);
    if (o === undefined) throw new InsufficientWitness(`order ${id} missing from the pre-state`);
    return o;
  };
  for (const w of levels.values()) {
    const R = w.removed;
    const A = w.appended.sort((a, b) => a.priority - b.priority);
    /** Closest pre-state predecessor of `x` that keeps its place (0: none). */
    const stayingPred = (x: number) => {
      let p = preOrder(x).prev;
      while (p !== 0 && R.has(p)) p = preOrder(p).prev;
      return p;
    };
    /** Closest pre-state successor of `r` (in R) that keeps its place (0: none). */
    const stayingSucc = (r: number) => {
      let s = pv.orderSucc(r);
      while (s !== 0 && R.has(s)) s = pv.orderSucc(s);
      return s;
    };
    for (const x of w.inplace) newPrev.set(x, stayingPred(x));
    for (const r of R) {
      const s = stayingSucc(r);
      if (s !== 0 && !newPrev.has(s)) newPrev.set(s, stayingPred(r));
    }
    let last = w.pre === undefined ? 0 : w.pre.tail;
    if (last !== 0 && R.has(last)) last = stayingPred(last);
    for (let i = 0; i < A.length; i++) newPrev.set(A[i].id, i > 0 ? A[i - 1].id : last);
    let head = w.pre === undefined ? 0 : w.pre.head;
    if (head !== 0 && R.has(head)) head = stayingSucc(head);
    w.count = (w.pre?.count ?? 0) + w.dCount;
    w.total = (w.pre?.total ?? 0) + w.dTotal;
    w.head = head !== 0 ? head : A.length > 0 ? A[0].id : 0;
    w.tail = A.length > 0 ? A[A.length - 1].id : last;
    if (w.count < 0 || w.total < 0 || (w.count === 0) !== (w.head === 0) || (w.count === 0) !== (w.tail === 0)) {
      throw new InsufficientWitness(`inconsistent level ${w.market}/${w.side}/${w.price}: count ${w.count} head ${w.head} tail ${w.tail}`);
    }
  }
  for (const [id, prev] of newPrev) {
    // An untouched order whose predecessor changed keeps its other fields.
    puts.push(encodeOrder({ ...(postOrders.get(id) ?? preOrder(id)), prev }));
  }

  // 3. level lists per (market, side) and best prices
  const bySide = new Map<string, LevelWork[]>();
  for (const w of levels.values()) {
    const k = `${w.market}:${w.side}`;
    let arr = bySide.get(k);
    if (arr === undefined) bySide.set(k, (arr = []));
    arr.push(w);
  }
  const marketBest = new Map<number, [number, number]>();
  for (const arr of bySide.values()) {
    const m = arr[0].market;
    const side = arr[0].side;
    const preMarket = pv.market(m);
    const preBest = preMarket === undefined ? NONE : side === Side.BUY ? preMarket.bestBid : preMarket.bestAsk;
    const removedLv = new Set<number>();
    const created: number[] = [];
    for (const w of arr) {
      const before = w.pre !== undefined;
      const after = w.count > 0;
      if (before && !after) removedLv.add(w.price);
      if (!before && after) created.push(w.price);
      if (before !== after) levelChanges.push({ market: m, side, price: w.price, before, after });
    }
    created.sort((a, b) => (better(side, a, b) ? -1 : 1)); // best first
    const preLevel = (p: number) => {
      const l = levels.get(lvKey(m, side, p))?.pre ?? pv.level(m, side, p);
      if (l === undefined) throw new InsufficientWitness(`level ${m}/${side}/${p} missing from the pre-state`);
      return l;
    };
    const skipLv = (q: number) => {
      while (q !== NONE && removedLv.has(q)) q = preLevel(q).next;
      return q;
    };
    const closestCreatedWorse = (p: number) => {
      for (const c of created) if (better(side, p, c)) return c;
      return NONE;
    };
    const closestCreatedBetter = (p: number) => {
      let r = NONE;
      for (const c of created) if (better(side, c, p)) r = c;
      return r;
    };
    const preFloor = (p: number) => {
      // closest surviving pre-state level strictly better than p
      let b = pv.levelBetter(m, side, p);
      while (b !== NONE && removedLv.has(b)) b = pv.levelBetter(m, side, b);
      return b;
    };
    const postNext = (p: number, pre: LevelLeaf | undefined) => {
      let q: number;
      if (pre !== undefined) q = pre.next;
      else {
        const b = pv.levelBetter(m, side, p);
        q = b === NONE ? preBest : preLevel(b).next;
      }
      q = skipLv(q);
      const c = closestCreatedWorse(p);
      return c !== NONE && (q === NONE || better(side, c, q)) ? c : q;
    };
    const postPred = (p: number) => {
      const b = preFloor(p);
      const c = closestCreatedBetter(p);
      return c !== NONE && (b === NONE || better(side, b, c)) ? c : b;
    };
    const written = new Set<number>();
    for (const w of arr) {
      if (w.count === 0) {
        dels.push(levelKey(m, side, w.price));
        continue;
      }
      written.add(w.price);
      puts.push(encodeLevel({
        market: m, side, price: w.price, count: w.count, total: w.total, head: w.head, tail: w.tail,
        next: postNext(w.price, w.pre),
      }));
    }
    for (const p of [...removedLv, ...created]) {
      const q = postPred(p);
      if (q === NONE || written.has(q)) continue;
      written.add(q);
      const pre = preLevel(q);
      puts.push(encodeLevel({ ...pre, next: postNext(q, pre) }));
    }
    let best = skipLv(preBest);
    if (created.length > 0 && (best === NONE || better(side, created[0], best))) best = created[0];
    let mb = marketBest.get(m);
    if (mb === undefined) {
      mb = preMarket === undefined ? [NONE, NONE] : [preMarket.bestBid, preMarket.bestAsk];
      marketBest.set(m, mb);
    }
    mb[side === Side.BUY ? 0 : 1] = best;
  }

  // 4. markets
  const marketSet = new Set<number>(d.markets);
  for (const m of marketBest.keys()) marketSet.add(m);
  for (const m of [...marketSet].sort((a, b) => a - b)) {
    const mk = state.markets.get(m);
    if (mk === undefined) continue;
    let mb = marketBest.get(m);
    if (mb === undefined) {
      const pre = pv.market(m);
      mb = pre === undefined ? [NONE, NONE] : [pre.bestBid, pre.bestAsk];
    }
    puts.push(encodeMarket({ id: m, params: mk.params, bestBid: mb[0], bestAsk: mb[1] }));
  }

  // 5. accounts
  for (const idx of [...accountSet].sort((a, b) => a - b)) {
    const acct = state.accounts[idx];
    if (acct === undefined) throw new InsufficientWitness(`account ${idx} missing`);
    const balances = acct.balances();
    const counts = new Map<number, number>();
    const delta = openDelta.get(idx);
    const pre = pv.account(idx);
    if (pre !== undefined) for (const [m, c] of pre.openOrders) counts.set(m, c);
    if (delta !== undefined) for (const [m, x] of delta) counts.set(m, (counts.get(m) ?? 0) + x);
    const openOrders: [number, number][] = [];
    for (const [m, c] of counts) {
      if (c < 0) throw new InsufficientWitness(`negative open order count of account ${idx}`);
      if (c > 0) openOrders.push([m, c]);
    }
    openOrders.sort((a, b) => a[0] - b[0]);
    puts.push(encodeAccount({ address: acct.address, index: idx, nonce: acct.nonce, balances, openOrders, agents: acct.agents }));
  }

  // 6. assets and globals
  for (const id of [...d.assets].sort((a, b) => a - b)) {
    const a = state.assets.get(id);
    if (a !== undefined) puts.push(encodeAsset({ id, supply: a.supply }));
  }
  if (d.globals) puts.push(encodeGlobals(globalsOf(state)));

  return { puts, dels, removed: removedAll, levels: levelChanges };
}

export function globalsOf(state: ClobState) {
  return {
    chainId: state.config.domain.chainId,
    verifyingContract: state.config.domain.verifyingContract,
    feeAccount: state.config.feeAccount,
    batchIndex: state.batchIndex,
    timestamp: state.timestamp,
    l1MessagesConsumed: state.l1MessagesConsumed,
    nextOrderId: state.nextOrderId,
    nextPriority: state.nextPriority,
    nextWithdrawalId: state.nextWithdrawalId,
    accountCount: state.accounts.length,
  };
}

/** Every leaf of a full state (genesis, snapshots, restarts, and the reference in tests). */
export function* allLeaves(state: ClobState): Generator<Uint8Array> {
  yield encodeGlobals(globalsOf(state));
  for (const id of state.assetIds()) yield encodeAsset({ id, supply: state.assets.get(id)!.supply });
  const open = new Map<number, Map<number, number>>();
  for (const m of state.marketIds()) {
    const book = state.markets.get(m)!.book;
    yield encodeMarket({ id: m, params: state.markets.get(m)!.params, bestBid: book.bestBid(), bestAsk: book.bestAsk() });
    // book.orders(): bids best first, then asks best first, FIFO within a level.
    let lv: LevelLeaf | null = null;
    const flushLevel = function* (nextPrice: number): Generator<Uint8Array> {
      if (lv !== null) {
        lv.next = nextPrice;
        yield encodeLevel(lv);
      }
    };
    for (const o of book.orders()) {
      let mm = open.get(o.owner);
      if (mm === undefined) open.set(o.owner, (mm = new Map()));
      mm.set(m, (mm.get(m) ?? 0) + 1);
      if (o.clientId !== 0) yield encodeClient({ market: m, owner: o.owner, clientId: o.clientId, orderId: o.id });
      const sameLevel = lv !== null && lv.side === o.side && lv.price === o.price;
      if (!sameLevel) {
        yield* flushLevel(lv !== null && lv.side === o.side ? o.price : NONE);
        lv = { market: m, side: o.side, price: o.price, count: 0, total: 0, head: o.id, tail: 0, next: NONE };
      }
      yield encodeOrder({
        id: o.id, market: m, owner: o.owner, side: o.side, price: o.price, size: o.size,
        expiry: o.expiry, clientId: o.clientId, priority: o.priority, prev: sameLevel ? lv!.tail : 0,
      });
      lv!.count++;
      lv!.total += o.size;
      lv!.tail = o.id;
    }
    yield* flushLevel(NONE);
  }
  for (const a of state.accounts) {
    const openOrders: [number, number][] = [...(open.get(a.index) ?? [])].sort((x, y) => x[0] - y[0]);
    yield encodeAccount({ address: a.address, index: a.index, nonce: a.nonce, balances: a.balances(), openOrders, agents: a.agents });
  }
}

export { accountKey, assetKey, globalsKey, levelKey, marketKey, orderKey, clientKey };

/** Every put of a Derived, whichever form it is in. */
export function* allPuts(d: Derived): Generator<Uint8Array> {
  yield* d.puts;
  if (d.putBatch !== undefined) yield* d.putBatch;
}
