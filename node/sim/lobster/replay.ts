// LOBSTER replay: feeds a NASDAQ LOBSTER day (message file + orderbook file, plain or gzipped) through the
// real order book of the STF (node/clob/engine.ts) and measures how well it reproduces the published book.
//
// Mapping of LOBSTER events onto OrderBook operations (file format: LOBSTER_SampleFiles_ReadMe.txt):
//   1 submission          -> place(GTC limit, the file's order id, side, price, size)
//   2 partial cancel      -> amend(id, same price, size - cancelled): size down keeps queue priority
//   3 deletion            -> cancel(id)
//   4 visible execution   -> execute(id, size): executes against that specific resting order
//   5 hidden execution, 6 cross trade, 7 trading halt -> the visible book is not touched
// A message file only carries events inside its depth, so orders resting from before the file starts, or
// drifting into view from deeper levels, are unknown. They are held as *anonymous quantity per price*: one
// anonymous resting order per (side, price), owned by a reserved owner. Events naming an unknown order
// reduce the anonymous quantity at their price. After each row is compared, the book is re-synchronized
// to that row: inside the row's visible price range every level gets anonymous quantity = row size - known
// size (known orders the row cannot hold are dropped, oldest first), and levels absent from the row are
// cleared; deeper levels are kept as they are.
//
// Agreement is a one-step check of every event: the book after applying message k to the synchronized
// state of row k-1 must equal row k. Level i agrees when price and size at level i are equal on both sides
// (an empty level equals LOBSTER's dummy level). Row 0 has no predecessor and is not scored. FIFO
// agreement: for visible executions of known orders, the fraction where the executed order was the oldest
// known order resting at its price.
//
// Streaming: both files are read line by line through zlib (constant memory in the file length; the
// book holds only the resting orders).

import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import { BookResult, BookStatus, type IncomingOrder, OrderBook, type RestingOrder } from "../../clob/engine.ts";
import { SelfTradePrevention, Side, TimeInForce } from "../../clob/types.ts";

/** Owner index of orders that appear in the message file. */
const KNOWN = 1;
/** Owner index of the anonymous quantity. */
const ANON = 2;
/** Anonymous orders get ids above every LOBSTER id. */
const ANON_ID_BASE = 2 ** 50;
/** LOBSTER's dummy prices for empty levels. */
const DUMMY_ASK = 9999999999;
const DUMMY_BID = -9999999999;
/** Levels kept per side beyond which stale out-of-view orders are dropped, and how often (rows). */
const MAX_LEVELS_KEPT = 100;
const TRIM_EVERY = 1000;

export interface ReplayStats {
  /** Rows scored (every row after the first). */
  rows: number;
  /** Levels compared per side. */
  levels: number;
  /** Per level, rows where price and size agreed on both sides. */
  levelMatches: number[];
  /** level_agreement[i] = levelMatches[i] / rows. */
  levelAgreement: number[];
  /** Visible executions of known orders, and how many hit the oldest known order at their price. */
  fifoChecks: number;
  fifoHits: number;
  fifoAgreement: number;
  /** Message counts by LOBSTER type (index = type). */
  messagesByType: number[];
  /** Events that named an order unknown to the book (handled through anonymous quantity). */
  unknownOrderEvents: number;
  /** Known orders reduced because an unknown order's event exceeded the anonymous quantity at its price. */
  knownChargedForUnknown: number;
  /** Submissions that crossed the book (should not happen after synchronization). */
  crossingSubmissions: number;
  /** Known orders dropped by synchronization (stale: changed outside the visible depth). */
  knownDroppedBySync: number;
  /** Trading-halt messages. */
  halts: number;
}

export interface ReplayOptions {
  /** Levels to compare (default: all levels of the orderbook file). */
  levels?: number;
  /** Stop after this many rows (default: all). */
  maxRows?: number;
}

function lines(path: string): AsyncIterator<string> {
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  const input = path.endsWith(".gz") ? raw.pipe(createGunzip()) : raw;
  return createInterface({ input, crlfDelay: Infinity })[Symbol.asyncIterator]();
}

/** The replay state machine; `step` takes one message row and its orderbook row. */
export class LobsterReplay {
  readonly book = new OrderBook();
  private readonly res = new BookResult();
  private readonly inc: IncomingOrder = {
    id: 0, owner: KNOWN, side: Side.BUY, tif: TimeInForce.GTC, price: 0, size: 0,
    stp: SelfTradePrevention.DECREMENT, expiry: 0, clientId: 0, priority: 0,
  };
  private priority = 0;
  private nextAnonId = ANON_ID_BASE;
  /** price -> anonymous order id, per side. */
  private readonly anon = [new Map<number, number>(), new Map<number, number>()];
  // Scratch buffers for levels.
  private readonly px: number[] = [];
  private readonly sz: number[] = [];
  private readonly px2: number[] = [];
  private readonly sz2: number[] = [];
  private fileLevels = 0;
  private messages = 0;
  readonly stats: ReplayStats;

  constructor(levels: number) {
    this.stats = {
      rows: 0, levels, levelMatches: new Array(levels).fill(0), levelAgreement: [], fifoChecks: 0, fifoHits: 0,
      fifoAgreement: 0, messagesByType: new Array(8).fill(0), unknownOrderEvents: 0, crossingSubmissions: 0,
      knownDroppedBySync: 0, knownChargedForUnknown: 0, halts: 0,
    };
  }

  /** Apply one message, score against its row (unless it is the first), then synchronize to the row. */
  step(msg: string, row: string): void {
    const m = msg.split(",");
    const type = Number(m[1]);
    const id = Number(m[2]);
    const size = Number(m[3]);
    const price = Number(m[4]);
    const side: Side = Number(m[5]) === 1 ? Side.BUY : Side.SELL;
    const r = row.split(",").map(Number);
    if (this.fileLevels === 0) this.fileLevels = r.length >> 2;
    if (type >= 0 && type < this.stats.messagesByType.length) this.stats.messagesByType[type]++;
    this.apply(type, id, size, price, side);
    if (this.messages++ > 0) this.score(r);
    this.sync(r);
    if (this.messages % TRIM_EVERY === 0) this.trim();
  }

  /**
   * Bound memory: orders that drift out of view and are cancelled there never get a message, so levels
   * far beyond the visible depth are dropped (only the nearest MAX_LEVELS_KEPT per side are kept).
   */
  private trim(): void {
    for (const side of [Side.BUY, Side.SELL] as const) {
      const levels = this.book.depth(side, Number.MAX_SAFE_INTEGER);
      for (let i = MAX_LEVELS_KEPT; i < levels.length; i++) this.clearLevel(side, levels[i].price, false);
    }
  }

  private apply(type: number, id: number, size: number, price: number, side: Side): void {
    const book = this.book;
    switch (type) {
      case 1: {
        const inc = this.inc;
        const opp = side === Side.BUY ? book.bestAsk() : book.bestBid();
        if (opp >= 0 && (side === Side.BUY ? opp <= price : opp >= price)) this.stats.crossingSubmissions++;
        if (book.getOrder(id) !== undefined) book.cancel(id);
        inc.id = id;
        inc.side = side;
        inc.price = price;
        inc.size = size;
        inc.priority = ++this.priority;
        book.place(inc, 0, this.res);
        return;
      }
      case 2: {
        const o = book.getOrder(id);
        if (o === undefined || o.owner !== KNOWN) return this.reduceAnon(side, price, size);
        const have = o.size;
        if (size < have) book.amend(id, o.price, have - size, o.priority, 0, this.res);
        else {
          book.cancel(id);
          if (size > have) this.reduceAnon(side, price, size - have);
        }
        return;
      }
      case 3: {
        const o = book.getOrder(id);
        if (o === undefined || o.owner !== KNOWN) return this.reduceAnon(side, price, size);
        const have = o.size;
        book.cancel(id);
        // The venue's remaining size of the order is authoritative for the level total.
        if (size > have) this.reduceAnon(side, price, size - have);
        else if (size < have) this.addAnon(side, price, have - size);
        return;
      }
      case 4: {
        const o = book.getOrder(id);
        if (o === undefined || o.owner !== KNOWN) return this.reduceAnon(side, price, size);
        this.stats.fifoChecks++;
        for (const x of book.levelOrders(o.side, o.price)) {
          if (x.owner !== KNOWN) continue;
          if (x.id === id) this.stats.fifoHits++;
          break;
        }
        const have = o.size;
        book.execute(id, size, this.res);
        if (size > have) this.reduceAnon(side, price, size - have);
        return;
      }
      case 7:
        this.stats.halts++;
        return;
      default:
        return; // 5 hidden execution, 6 cross trade: the visible book does not change
    }
  }

  /**
   * An event removed `size` lots of an order the book does not know at `price`: take them from the
   * anonymous quantity there, and any excess from known orders at that price (oldest first). Known orders
   * can only be over-counted at a synchronized level if they changed outside the file's view.
   */
  private reduceAnon(side: Side, price: number, size: number): void {
    this.stats.unknownOrderEvents++;
    const aid = this.anon[side].get(price);
    if (aid !== undefined) {
      const o = this.book.getOrder(aid)!;
      if (size < o.size) {
        this.book.amend(aid, price, o.size - size, o.priority, 0, this.res);
        return;
      }
      size -= o.size;
      this.removeAnon(side, price);
    }
    while (size > 0) {
      let oldest: RestingOrder | undefined;
      for (const o of this.book.levelOrders(side, price)) {
        oldest = o;
        break;
      }
      if (oldest === undefined) return;
      this.stats.knownChargedForUnknown++;
      if (size < oldest.size) {
        this.book.amend(oldest.id, price, oldest.size - size, oldest.priority, 0, this.res);
        return;
      }
      size -= oldest.size;
      this.book.cancel(oldest.id);
    }
  }

  private addAnon(side: Side, price: number, size: number): void {
    const aid = this.anon[side].get(price);
    this.setAnon(side, price, size + (aid === undefined ? 0 : this.book.getOrder(aid)!.size));
  }

  private removeAnon(side: Side, price: number): void {
    const aid = this.anon[side].get(price);
    if (aid === undefined) return;
    this.book.cancel(aid);
    this.anon[side].delete(price);
  }

  private setAnon(side: Side, price: number, size: number): void {
    const aid = this.anon[side].get(price);
    if (aid === undefined) {
      if (size === 0) return;
      const inc = this.inc;
      const id = this.nextAnonId++;
      inc.id = id;
      inc.owner = ANON;
      inc.side = side;
      inc.price = price;
      inc.size = size;
      inc.priority = ++this.priority;
      this.book.place(inc, 0, this.res);
      inc.owner = KNOWN;
      if (this.res.status === BookStatus.RESTED) this.anon[side].set(price, id);
      return;
    }
    if (size === 0) return this.removeAnon(side, price);
    const o = this.book.getOrder(aid)!;
    if (o.size !== size) this.book.amend(aid, price, size, o.priority, 0, this.res);
  }

  /** Compare the book's top levels with row `r`. */
  private score(r: number[]): void {
    const L = this.stats.levels;
    const s = this.stats;
    s.rows++;
    const na = this.book.depthInto(Side.SELL, L, this.px2, this.sz2);
    const askP = this.px2;
    const askS = this.sz2;
    const nb = this.book.depthInto(Side.BUY, L, this.px, this.sz);
    for (let i = 0; i < L; i++) {
      const ra = r[4 * i];
      const ras = r[4 * i + 1];
      const rb = r[4 * i + 2];
      const rbs = r[4 * i + 3];
      const askOk = ra === DUMMY_ASK || ras === 0 ? i >= na : i < na && askP[i] === ra && askS[i] === ras;
      const bidOk = rb === DUMMY_BID || rbs === 0 ? i >= nb : i < nb && this.px[i] === rb && this.sz[i] === rbs;
      if (askOk && bidOk) s.levelMatches[i]++;
    }
  }

  /** Make the visible part of the book equal row `r` (see the header comment). */
  private sync(r: number[]): void {
    const F = this.fileLevels;
    for (const side of [Side.SELL, Side.BUY] as const) {
      const off = side === Side.SELL ? 0 : 2;
      const dummy = side === Side.SELL ? DUMMY_ASK : DUMMY_BID;
      const rowP: number[] = [];
      const rowS: number[] = [];
      for (let i = 0; i < F; i++) {
        const p = r[4 * i + off];
        const q = r[4 * i + off + 1];
        if (p === dummy || q === 0) break;
        rowP.push(p);
        rowS.push(q);
      }
      const full = rowP.length === F;
      const limit = full ? rowP[F - 1] : side === Side.SELL ? Infinity : -Infinity;
      const inRange = (p: number) => (side === Side.SELL ? p <= limit : p >= limit);
      // Clear book levels inside the visible range that the row does not have.
      for (;;) {
        const n = this.book.depthInto(side, F + 1, this.px, this.sz);
        let cleared = false;
        for (let i = 0; i < n && inRange(this.px[i]); i++) {
          const p = this.px[i];
          if (rowP.indexOf(p) >= 0) continue;
          this.clearLevel(side, p);
          cleared = true;
        }
        if (!cleared) break;
      }
      // Set anonymous quantity = row size - known size at each row level.
      for (let i = 0; i < rowP.length; i++) {
        const p = rowP[i];
        const aid = this.anon[side].get(p);
        const anonSize = aid === undefined ? 0 : this.book.getOrder(aid)!.size;
        let known = this.book.sizeAt(side, p) - anonSize;
        if (known > rowS[i]) {
          // Known orders the row cannot hold changed outside the visible depth: drop the oldest.
          for (const o of [...this.book.levelOrders(side, p)]) {
            if (known <= rowS[i]) break;
            if (o.owner !== KNOWN) continue;
            known -= o.size;
            this.book.cancel(o.id);
            this.stats.knownDroppedBySync++;
          }
        }
        this.setAnon(side, p, rowS[i] - known);
      }
    }
  }

  private clearLevel(side: Side, price: number, countDropped = true): void {
    for (const o of [...this.book.levelOrders(side, price)]) {
      if (o.owner === KNOWN && countDropped) this.stats.knownDroppedBySync++;
      this.book.cancel(o.id);
    }
    this.anon[side].delete(price);
  }

  finish(): ReplayStats {
    const s = this.stats;
    s.levelAgreement = s.levelMatches.map((x) => (s.rows === 0 ? 0 : x / s.rows));
    s.fifoAgreement = s.fifoChecks === 0 ? 0 : s.fifoHits / s.fifoChecks;
    return s;
  }
}

/** Stream both files through a `LobsterReplay`. */
export async function replayLobster(messagePath: string, orderbookPath: string, opts: ReplayOptions = {}): Promise<ReplayStats> {
  const msgs = lines(messagePath);
  const rows = lines(orderbookPath);
  let replay: LobsterReplay | undefined;
  let n = 0;
  for (;;) {
    const [m, b] = await Promise.all([msgs.next(), rows.next()]);
    if (m.done || b.done) {
      if (m.done !== b.done) throw new Error(`line count mismatch after ${n} rows`);
      break;
    }
    if (m.value.length === 0) continue;
    if (replay === undefined) {
      const fileLevels = b.value.split(",").length >> 2;
      replay = new LobsterReplay(Math.min(opts.levels ?? fileLevels, fileLevels));
    }
    replay.step(m.value, b.value);
    if (opts.maxRows !== undefined && ++n >= opts.maxRows) break;
  }
  await msgs.return?.();
  await rows.return?.();
  return (replay ?? new LobsterReplay(opts.levels ?? 10)).finish();
}
