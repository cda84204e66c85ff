// WebSocket subscription feeds (docs/api.md "Subscriptions"). Channels and their subscription ids:
//   book:<market>           a snapshot, then deltas; each delta has seq = previous seq + 1 and carries the
//                           absolute size of every level that changed (size 0: gone), so a gap is visible
//                           and one rb_getBook (which returns its seq) resynchronizes
//   trades:<market>         trades per tick;   candles:<market>:<interval>   the current candle per tick
//   orders / fills / txs    the authenticated account's order updates, fills, tx confirmation levels
//   batches                 batch sealed / level changes with the proof status
// A rollback (an L1 reorg, soft state rebuilt on another proposer's batch; NodeEvent `rollback`) is told on
// every channel, in order with what follows (docs/api.md "Rollbacks"): book feeds send a full snapshot
// as their next message (seq + 1), trades and account channels a `rollback` message listing what was undone,
// candle feeds the recomputed candles from the first one that changed.
// Public market data is coalesced per tick and serialized once into one Buffer, framed once as a WebSocket
// message (ws-frame.ts), and that same frame is written to every subscriber: the subscription id is the
// channel key, the same for all of them, so nothing is per subscriber but the socket write (with fan-out
// processes, not even that on this thread: an id appended to the tick's IPC message, fanout.ts).
//
// The tick adapts (docs/api.md "Subscriptions"): a change after a quiet spell goes out at the end of the
// event-loop turn that made it; while changes keep coming, ticks are spaced by an interval between
// `minMs` (rpc.tickMs) and `maxMs` (rpc.maxTickMs) chosen so that the socket writes of one tick take at most
// FANOUT_CPU_SHARE of the interval on the process that writes them: interval = writes per process x CPU
// per write (measured where the writes happen, ws-frame.ts WriteCost) / share. Few subscribers: short
// ticks; many: fewer, larger messages, up to the latency bound maxMs.

import { Counter, Gauge, type Registry } from "prom-client";
import type { BookLevel, NodeEvent, NodeView, Trade } from "./node-view.ts";
import { type LagHistogram, nowMs } from "./lag.ts";
import { SharedMessage } from "./ws-frame.ts";

/** Of one tick's socket writes, the CPU share of a core they may take before the tick lengthens. */
export const FANOUT_CPU_SHARE = 0.25;

/** Where the CPU cost of the fan-out's writes is read: this thread's TurnCorker, or the fan-out processes. */
export interface WriteCostSource {
  /** CPU us per socket write, measured. */
  readonly usPerWrite: number;
  /** Processes the writes are spread over (evenly: connections go to the one with the fewest). */
  readonly parallel: number;
  /** Socket writes made so far. */
  readonly writes: number;
  /** ms from a tick to the end of each socket write that carried its message (lag.ts). */
  readonly lag: LagHistogram;
}

/** Per registry, the Feeds its metrics read (closed ones are dropped on the next scrape or registration). */
const reported = new WeakMap<Registry, Set<Feeds>>();

/**
 * Reports `feeds` in the feed metrics of `registry` (registered on first use): the current tick spacing,
 * the ticks and subscriber messages written, the socket writes made and their CPU per write, read from
 * the registry's open feeds on scrape (normally one).
 */
export function feedMetrics(registry: Registry, feeds: Feeds): void {
  const known = reported.get(registry);
  if (known !== undefined) {
    for (const x of known) if (x.isClosed) known.delete(x);
    known.add(feeds);
    return;
  }
  const set = new Set([feeds]);
  reported.set(registry, set);
  const registers = [registry];
  const open = (): Feeds[] => {
    for (const x of set) if (x.isClosed) set.delete(x);
    return [...set];
  };
  const sum = (f: (x: Feeds) => number): number => open().reduce((a, x) => a + f(x), 0);
  const total = (name: string, help: string, f: (x: Feeds) => number) => new Counter({
    name, help, registers,
    collect() {
      this.reset();
      this.inc(sum(f));
    },
  });
  new Gauge({
    name: "rollbook_rpc_feed_tick_interval_ms", help: "Current spacing of the subscription feeds' ticks (ms, between rpc.tickMs and rpc.maxTickMs)", registers,
    collect() {
      this.set(Math.max(0, ...open().map((x) => x.intervalMs)));
    },
  });
  total("rollbook_rpc_feed_ticks_total", "Feed ticks that wrote at least one subscriber message", (x) => x.ticks);
  total("rollbook_rpc_feed_messages_total", "Subscription messages written (one per subscriber per message)", (x) => x.sent);
  total("rollbook_rpc_fanout_socket_writes_total", "Socket writes of the WebSocket connections (one system call each)", (x) => x.writeCost?.writes ?? 0);
  new Gauge({
    name: "rollbook_rpc_fanout_write_cpu_us", help: "Measured CPU time per socket write (us), what the tick spacing is computed from", registers,
    collect() {
      this.set(Math.max(0, ...open().map((x) => x.writeCost?.usPerWrite ?? 0)));
    },
  });
}

/** Levels per side a rollback's book snapshot carries (all of them, in practice). */
const RESYNC_DEPTH = 1_000_000;
/** Candles a rollback's candle message may carry at most. */
const RESYNC_CANDLES = 10_000;

/** The tick's bounds, ms. */
export interface TickBounds {
  minMs: number;
  maxMs: number;
}

/** Where a subscription's messages go (a WebSocket connection, which enforces its own buffer bound). */
export interface Sink {
  send(data: Buffer | string): void;
  /** The same message as to every other subscriber of the channel (written as its prebuilt frame). */
  sendShared(m: SharedMessage): void;
  /**
   * The sink is now a member of public channel `channel` (book, trades, candles) / no longer is: with
   * `Feeds.publish` set, a tick's message goes to the channel once and the transport writes it to the
   * members it was told of (fan-out processes keep the membership, fanout.ts).
   */
  join?(channel: string): void;
  leave?(channel: string): void;
}

interface BookFeed {
  seq: number;
  /** A rollback changed the book: the next message is a full snapshot. */
  resync: boolean;
  dirty: Map<number, { side: number; price: number }>;
  /** ms time of the first change in the pending delta (latency measurement). */
  changedAt: number;
  batchIndex: number;
  subs: Set<Sink>;
  /** Subscribed, snapshot not yet sent: not written to until it is (the snapshot carries their seq). */
  waiting: Set<Sink>;
}

/** A subscription message; `stamp`: the time (lag.ts nowMs) of the tick that made it, if one did. */
const frame = (id: string, payload: string, stamp = NaN): SharedMessage =>
  new SharedMessage(Buffer.from(`{"jsonrpc":"2.0","method":"rb_subscription","params":{"subscription":"${id}","result":${payload}}}`), stamp);

export class Feeds {
  private readonly view: NodeView;
  private readonly books = new Map<number, BookFeed>();
  private readonly trades = new Map<number, { pending: Trade[]; subs: Set<Sink> }>();
  /** `from`: after a rollback, the start of the first candle it changed (the next message resends from there). */
  private readonly candles = new Map<string, { market: number; interval: number; dirty: boolean; from: number | null; subs: Set<Sink> }>();
  private readonly accounts = { orders: new Map<string, Set<Sink>>(), fills: new Map<string, Set<Sink>>(), txs: new Map<string, Set<Sink>>() };
  private readonly batchSubs = new Set<Sink>();
  private readonly stopEvents: () => void;
  private readonly bounds: TickBounds;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  /** performance.now() at which the scheduled tick is due. */
  private due = 0;
  private closed = false;
  /** performance.now() of the last tick. */
  private lastTick = -Infinity;
  /** The current spacing of ticks, ms (adapts after each tick). */
  intervalMs: number;
  /**
   * Publishes a tick's message of a public channel to its members in one call (set with fan-out processes,
   * which hold the channel membership the sinks' join/leave reported); null: written sink by sink.
   */
  publish: ((channel: string, m: SharedMessage) => void) | null = null;
  /**
   * Told at the end of a tick that published something: the transport sends it on now (fan-out processes:
   * the IPC message goes out from the tick, not at the end of the event-loop turn, which on a busy RPC
   * thread is after the rest of its I/O round).
   */
  onPublished: (() => void) | null = null;
  /** Where the write cost is read; null: the writes are assumed free (ticks at `minMs`). */
  writeCost: WriteCostSource | null = null;
  /** Messages written (for metrics and tests). */
  sent = 0;
  /** Ticks that wrote something (for metrics and benches). */
  ticks = 0;
  /**
   * Told after each tick that wrote a book delta: ms from the first change the oldest delta carries to now
   * (the part of a subscriber's delivery latency spent before the write), and the messages written.
   */
  onTick: ((delayMs: number, writes: number, lateMs: number) => void) | null = null;
  /** ms between the last tick's due time and its run (the event loop's lateness). */
  lateMs = 0;

  constructor(view: NodeView, tick: TickBounds) {
    this.view = view;
    this.bounds = { minMs: tick.minMs, maxMs: Math.max(tick.minMs, tick.maxMs) };
    this.intervalMs = this.bounds.minMs;
    this.stopEvents = view.subscribe((e) => this.onEvent(e));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.stopEvents();
  }

  /** Something is pending for the next tick: schedules it (end of this turn if the last one is old enough). */
  private schedule(): void {
    if (this.timer !== null || this.immediate !== null || this.closed) return;
    const now = performance.now();
    this.due = Math.max(now, this.lastTick + this.intervalMs);
    const wait = this.due - now;
    if (wait <= 0) this.immediate = setImmediate(this.tick);
    else (this.timer = setTimeout(this.tick, Math.ceil(wait))).unref();
  }

  private readonly tick = (): void => {
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    this.lateMs = performance.now() - this.due;
    this.flush();
  };

  /**
   * A change while a tick is overdue (its timer not run: the event loop is busy with I/O, which is when
   * changes arrive) ticks at once instead of after the rest of that I/O.
   */
  private tickIfOverdue(): void {
    if (this.timer !== null && performance.now() >= this.due) this.tick();
  }

  /** The book feed's sequence number of a market (the seq of its last delta). */
  bookSeq(market: number): number {
    return this.books.get(market)?.seq ?? 0;
  }

  private book(market: number): BookFeed {
    let b = this.books.get(market);
    if (b === undefined) this.books.set(market, (b = { seq: 0, resync: false, dirty: new Map(), changedAt: 0, batchIndex: 0, subs: new Set(), waiting: new Set() }));
    return b;
  }

  // ------------------------------------------------------------------------------------ subscribe

  /** Adds `sink` to a public channel; returns the subscription id. Sends the book snapshot first. */
  subscribeBook(sink: Sink, market: number, depth: number): string {
    const b = this.book(market);
    b.waiting.add(sink);
    const id = `book:${market}`;
    // After the subscribe answer (sent from a microtask). The snapshot and its seq are read at the same
    // moment and the sink gets no delta before it, so the next delta (seq + 1) applies on top of it.
    setImmediate(() => {
      if (!b.waiting.delete(sink)) return;
      b.subs.add(sink);
      sink.join?.(id);
      const snap = this.view.book(market, depth);
      const payload = { type: "snapshot", market, seq: b.seq, batchIndex: snap?.batchIndex ?? 0, bids: snap?.bids ?? [], asks: snap?.asks ?? [] };
      sink.send(frame(id, JSON.stringify(payload)).payload);
    });
    return id;
  }

  subscribeTrades(sink: Sink, market: number): string {
    let t = this.trades.get(market);
    if (t === undefined) this.trades.set(market, (t = { pending: [], subs: new Set() }));
    t.subs.add(sink);
    sink.join?.(`trades:${market}`);
    return `trades:${market}`;
  }

  subscribeCandles(sink: Sink, market: number, interval: number): string {
    const key = `${market}:${interval}`;
    let c = this.candles.get(key);
    if (c === undefined) this.candles.set(key, (c = { market, interval, dirty: false, from: null, subs: new Set() }));
    c.subs.add(sink);
    sink.join?.(`candles:${key}`);
    return `candles:${key}`;
  }

  subscribeAccount(sink: Sink, channel: "orders" | "fills" | "txs", account: string): string {
    const m = this.accounts[channel];
    let s = m.get(account);
    if (s === undefined) m.set(account, (s = new Set()));
    s.add(sink);
    return channel;
  }

  subscribeBatches(sink: Sink): string {
    this.batchSubs.add(sink);
    return "batches";
  }

  /** Removes `sink` from the subscription `id`. */
  unsubscribe(sink: Sink, id: string, account: string | null): void {
    const [ch, a, b] = id.split(":");
    if (ch === "book" || ch === "trades" || ch === "candles") sink.leave?.(id);
    if (ch === "book") {
      const b = this.books.get(Number(a));
      b?.subs.delete(sink);
      b?.waiting.delete(sink);
    } else if (ch === "trades") this.trades.get(Number(a))?.subs.delete(sink);
    else if (ch === "candles") this.candles.get(`${a}:${b}`)?.subs.delete(sink);
    else if (ch === "batches") this.batchSubs.delete(sink);
    else if ((ch === "orders" || ch === "fills" || ch === "txs") && account !== null) {
      const m = this.accounts[ch];
      const s = m.get(account);
      s?.delete(sink);
      if (s?.size === 0) m.delete(account);
    }
  }

  // ------------------------------------------------------------------------------------ events

  private onEvent(e: NodeEvent): void {
    switch (e.type) {
      case "book": {
        for (const t of e.touched) {
          const b = this.book(t.market);
          if (b.dirty.size === 0) b.changedAt = Date.now();
          b.dirty.set(t.side === 0 ? t.price : -t.price - 1, { side: t.side, price: t.price });
          b.batchIndex = e.batchIndex;
        }
        this.schedule();
        this.tickIfOverdue();
        return;
      }
      case "tx": {
        const tx = e.tx;
        for (const f of tx.fills) {
          const t = this.trades.get(f.market);
          if (t !== undefined && t.subs.size > 0) {
            t.pending.push({ market: f.market, price: f.price, size: f.size, takerSide: f.takerSide, takerOrderId: f.takerOrderId, makerOrderId: f.makerOrderId, batchIndex: tx.batchIndex, timestamp: e.timestamp, level: "soft" });
            this.schedule();
          }
          for (const c of this.candles.values()) {
            if (c.market !== f.market) continue;
            c.dirty = true;
            this.schedule();
          }
        }
        if (this.accounts.orders.size > 0 && tx.orders.length > 0) {
          const by = new Map<string, typeof tx.orders>();
          for (const u of tx.orders) {
            if (!this.accounts.orders.has(u.account)) continue;
            let l = by.get(u.account);
            if (l === undefined) by.set(u.account, (l = []));
            l.push(u);
          }
          for (const [acct, updates] of by) {
            this.sendAll(this.accounts.orders.get(acct), frame("orders", JSON.stringify({ type: "orders", txHash: tx.txHash, batchIndex: tx.batchIndex, level: tx.level, updates })));
          }
        }
        if (this.accounts.fills.size > 0 && tx.fills.length > 0) {
          const by = new Map<string, typeof tx.fills>();
          for (const f of tx.fills) {
            for (const acct of f.maker === f.taker ? [f.taker] : [f.taker, f.maker]) {
              if (!this.accounts.fills.has(acct)) continue;
              let l = by.get(acct);
              if (l === undefined) by.set(acct, (l = []));
              l.push(f);
            }
          }
          for (const [acct, fills] of by) this.sendAll(this.accounts.fills.get(acct), frame("fills", JSON.stringify({ type: "fills", txHash: tx.txHash, fills })));
        }
        const own = this.accounts.txs.get(tx.account);
        if (own !== undefined) {
          this.sendAll(own, frame("txs", JSON.stringify({ type: "tx", txHash: tx.txHash, status: tx.status, code: tx.code, codeName: tx.codeName, batchIndex: tx.batchIndex, level: tx.level, reexecuted: false })));
        }
        return;
      }
      case "txLevel": {
        const own = this.accounts.txs.get(e.account);
        if (own !== undefined) {
          this.sendAll(own, frame("txs", JSON.stringify({ type: "txLevel", txHash: e.txHash, batchIndex: e.batchIndex, level: e.level, reexecuted: e.reexecuted })));
        }
        return;
      }
      case "txDropped": {
        const own = this.accounts.txs.get(e.account);
        if (own !== undefined) this.sendAll(own, frame("txs", JSON.stringify({ type: "txDropped", txHash: e.txHash, reason: e.drop.reason, code: e.drop.code })));
        return;
      }
      case "batch":
        if (this.batchSubs.size > 0) this.sendAll(this.batchSubs, frame("batches", JSON.stringify({ type: "batch", batch: e.batch, proof: this.view.proofStatus() })));
        return;
      case "deposit":
        return;
      case "rollback":
        this.onRollback(e);
        return;
    }
  }

  /** What was answered above `e.batchIndex` is void: every channel is told (the file's header). */
  private onRollback(e: Extract<NodeEvent, { type: "rollback" }>): void {
    for (const b of this.books.values()) b.resync = true;
    for (const [market, t] of this.trades) {
      t.pending = t.pending.filter((x) => x.batchIndex <= e.batchIndex);
      const voided = e.trades.filter((x) => x.market === market);
      if (voided.length > 0 && t.subs.size > 0) {
        this.publishTo(`trades:${market}`, t.subs, frame(`trades:${market}`, JSON.stringify({ type: "rollback", market, batchIndex: e.batchIndex, trades: voided })));
      }
    }
    for (const x of e.candles) {
      const c = this.candles.get(`${x.market}:${x.interval}`);
      if (c === undefined) continue;
      c.from = Math.min(c.from ?? x.from, x.from);
      c.dirty = true;
    }
    const orders = new Map<string, { voided: typeof e.voidedOrders; restored: typeof e.restoredOrders }>();
    const byAccount = (acct: string) => {
      let o = orders.get(acct);
      if (o === undefined) orders.set(acct, (o = { voided: [], restored: [] }));
      return o;
    };
    for (const o of e.voidedOrders) if (this.accounts.orders.has(o.account)) byAccount(o.account).voided.push(o);
    for (const o of e.restoredOrders) if (this.accounts.orders.has(o.account)) byAccount(o.account).restored.push(o);
    for (const [acct, o] of orders) {
      this.sendAll(this.accounts.orders.get(acct), frame("orders", JSON.stringify({ type: "rollback", batchIndex: e.batchIndex, voided: o.voided, restored: o.restored })));
    }
    const fills = new Map<string, typeof e.fills>();
    for (const f of e.fills) {
      for (const acct of f.maker === f.taker ? [f.taker] : [f.taker, f.maker]) {
        if (!this.accounts.fills.has(acct)) continue;
        let l = fills.get(acct);
        if (l === undefined) fills.set(acct, (l = []));
        l.push(f);
      }
    }
    for (const [acct, l] of fills) this.sendAll(this.accounts.fills.get(acct), frame("fills", JSON.stringify({ type: "rollback", batchIndex: e.batchIndex, fills: l })));
    this.schedule();
  }

  /**
   * The tick's messages after a rollback, before its deltas: each book it changed whole, as the next message
   * in sequence (LocalBook loads a snapshot), and each candle feed's candles from the first one it changed
   * (replacing what the subscriber has from there). What they carry is no longer pending.
   */
  private flushRollback(): void {
    for (const [market, b] of this.books) {
      if (!b.resync) continue;
      b.resync = false;
      b.dirty.clear();
      b.seq++;
      if (b.subs.size === 0) continue;
      const snap = this.view.book(market, RESYNC_DEPTH);
      const payload = JSON.stringify({ type: "snapshot", market, seq: b.seq, batchIndex: snap?.batchIndex ?? 0, bids: snap?.bids ?? [], asks: snap?.asks ?? [], rollback: true });
      this.publishTo(`book:${market}`, b.subs, frame(`book:${market}`, payload));
    }
    for (const [key, c] of this.candles) {
      if (c.from === null) continue;
      const from = c.from;
      c.from = null;
      c.dirty = false;
      const candles = this.view.candles(c.market, c.interval, RESYNC_CANDLES).filter((x) => x.start >= from);
      this.publishTo(`candles:${key}`, c.subs, frame(`candles:${key}`, JSON.stringify({ type: "candles", market: c.market, interval: c.interval, from, candles })));
    }
  }

  /** A tick's message of a public channel to its members: one publish, or sink by sink. */
  private publishTo(channel: string, subs: Set<Sink>, m: SharedMessage): void {
    if (this.publish === null) return this.sendAll(subs, m);
    if (subs.size === 0) return;
    this.publish(channel, m);
    this.sent += subs.size;
  }

  private sendAll(subs: Set<Sink> | undefined, m: SharedMessage): void {
    if (subs === undefined) return;
    for (const s of subs) {
      s.sendShared(m);
      this.sent++;
    }
  }

  /**
   * One tick: a delta per changed book, trades and candles, each serialized once; then the spacing of the
   * next tick from what this one wrote.
   */
  flush(): void {
    this.lastTick = performance.now();
    const stamp = nowMs();
    const tickAt = Math.round(stamp);
    const sent0 = this.sent;
    let oldest = Infinity;
    this.flushRollback();
    for (const [market, b] of this.books) {
      if (b.dirty.size === 0) continue;
      b.seq++;
      if (b.subs.size > 0) {
        const bids: BookLevel[] = [];
        const asks: BookLevel[] = [];
        for (const { side, price } of b.dirty.values()) (side === 0 ? bids : asks).push(this.view.level(market, side, price));
        bids.sort((x, y) => y.price - x.price);
        asks.sort((x, y) => x.price - y.price);
        const payload = JSON.stringify({ type: "delta", market, seq: b.seq, batchIndex: b.batchIndex, changedAt: b.changedAt, tickAt, bids, asks });
        this.publishTo(`book:${market}`, b.subs, frame(`book:${market}`, payload, stamp));
        oldest = Math.min(oldest, b.changedAt);
      }
      b.dirty.clear();
    }
    for (const [market, t] of this.trades) {
      if (t.pending.length === 0) continue;
      this.publishTo(`trades:${market}`, t.subs, frame(`trades:${market}`, JSON.stringify({ type: "trades", market, trades: t.pending }), stamp));
      t.pending = [];
    }
    for (const [key, c] of this.candles) {
      if (!c.dirty) continue;
      c.dirty = false;
      const candle = this.view.candles(c.market, c.interval, 1)[0];
      if (candle !== undefined) this.publishTo(`candles:${key}`, c.subs, frame(`candles:${key}`, JSON.stringify({ type: "candle", market: c.market, interval: c.interval, candle }), stamp));
    }
    const writes = this.sent - sent0;
    if (writes > 0) {
      this.ticks++;
      this.onPublished?.();
    }
    if (oldest !== Infinity) this.onTick?.(Date.now() - oldest, writes, this.lateMs);
    const cost = this.writeCost;
    const ms = cost === null ? 0 : (writes / cost.parallel) * cost.usPerWrite / 1000 / FANOUT_CPU_SHARE;
    this.intervalMs = Math.min(this.bounds.maxMs, Math.max(this.bounds.minMs, ms));
  }
}
