// Benchmark of the CLOB matching engine (node/clob/engine.ts) against nodejs-order-book@10.1.1.
//
//   npm run bench -- clob [--ops N] [--peer-ops N] [--reps N] [--warm F] [--seed S] [--only 1k|100k|1m]
//   defaults: --ops 2000000 --peer-ops 200000 --reps 3 --warm 3 --seed 42
//
// Workload generator (seeded xorshift32; documented in docs/benchmarks.md, section "clob"):
// - One market, fixed reference mid M = 1,000,000 ticks. A passive price is M -/+ d for a bid/ask with
//   d = 1 + floor(2000 * u^3 / 2^30), u uniform in [0, 1024): prices cluster at the touch (about 8% of
//   orders at d = 1, 37% within 100 ticks, 79% within 1000) and spread over 2000 levels per side.
// - Order sizes: 1..20 lots uniform, one order in ten 20..119 lots. Passive orders come from 1,000 maker
//   accounts, aggressive ones from 100,000 taker accounts (self-trade prevention almost never fires).
// - Pre-fill: `depth` passive GTC orders (half bids, half asks).
// - Operation mix (per op, by a uniform draw in [0, 100)):
//   60% limit GTC (one in ten marketable: priced 0..2 ticks through the opposite best, so it trades and
//       may rest its remainder; the others passive as above),
//   25% cancel of a resting order,
//   10% amend of a resting order (half size down keeping priority, one fifth size up, the rest a price
//       move of 1..3 ticks clamped so it never crosses),
//    5% taker flow: 3 of 5 market orders, 2 of 5 IOC limits at the opposite best price.
// - Cancel / amend targets: 95% by age, 5% uniformly among all resting orders. The age (in limit
//   submissions since the target was submitted) follows the GOOG 2012-06-21 LOBSTER day (AGE_BUCKETS:
//   56% within 10 submissions, 96% within 100); an aged-out or dead pick is redrawn (up to 4 times) and
//   then falls back to uniform. 5% uniform matches the GOOG share of deletions and executions that name an
//   order older than the file.
// - Stationary depth: the generator runs the real engine as an oracle and sizes market orders to consume
//   about 7 resting orders, scaled by how far the resting count is from the target (a proportional
//   controller), so the book stays at the target depth (+-2%). Cancels and amends always name an order
//   that rests at that moment (known from the oracle's events).
// Method: the recorded operation arrays are replayed on a fresh OrderBook per depth (1k, 100k, 1M resting
// orders): pre-fill and `warm x depth` warm-up ops untimed (the pre-fill's old orders near the touch are
// traded away and the book reaches its stationary regime), then `--ops` ops timed. Throughput is ops per
// CPU-second of the process (process.cpuUsage, user + system, all threads: one-core figure that stays
// meaningful on a shared machine; wall time is printed beside it), best of `--reps` replays. The peer
// replays the same pre-fill, warm-up and the first `--peer-ops` timed ops at 100k (once; it is slow); the
// ratio divides our 100k figure by its rate (ours on the same short range is printed too).
// nodejs-order-book's modify always re-queues (no priority-keeping size-down), so its queues may drift from
// ours on amended orders; the op sequence is identical.
//
// Last line: {"bench":"clob","ops_per_s_1k":N,"ops_per_s_100k":N,"ops_per_s_1m":N,
//             "peer_ops_per_s_100k":N,"ratio_vs_peer_100k":x}

import { OrderBook as PeerBook } from "nodejs-order-book";
import { BookResult, BookStatus, type IncomingOrder, OrderBook } from "../node/clob/engine.ts";
import { SelfTradePrevention, Side, TimeInForce } from "../node/clob/types.ts";
import { XorShift32 as Rng } from "../node/sim/rng.ts";

const MID = 1_000_000;
const RANGE = 2000;
const OP_LIMIT = 0;
const OP_CANCEL = 1;
const OP_AMEND = 2;
const OP_MARKET = 3;
const OP_IOC = 4;
const MARKET_BUY_PROTECTION = 2 ** 31;

/** A recorded operation stream (struct of arrays). */
interface Ops {
  n: number;
  kind: Uint8Array;
  id: Int32Array;
  side: Uint8Array;
  price: Int32Array;
  size: Int32Array;
  owner: Int32Array;
}

function allocOps(n: number): Ops {
  return {
    n: 0,
    kind: new Uint8Array(n),
    id: new Int32Array(n),
    side: new Uint8Array(n),
    price: new Int32Array(n),
    size: new Int32Array(n),
    owner: new Int32Array(n),
  };
}

function record(o: Ops, kind: number, id: number, side: number, price: number, size: number, owner: number): void {
  const i = o.n++;
  o.owner[i] = owner;
  o.kind[i] = kind;
  o.id[i] = id;
  o.side[i] = side;
  o.price[i] = price;
  o.size[i] = size;
}

function passiveOffset(rng: Rng): number {
  const u = rng.int(1024);
  return 1 + Math.floor((RANGE * u * u * u) / 2 ** 30);
}

function orderSize(rng: Rng): number {
  return rng.int(10) === 0 ? 20 + rng.int(100) : 1 + rng.int(20);
}
const MEAN_SIZE = 0.9 * 10.5 + 0.1 * 69.5;

/**
 * Age of a cancel / amend target, counted in limit submissions since the target was submitted (1 = the
 * latest). Piecewise-uniform fit of the GOOG 2012-06-21 LOBSTER day, where the age of deleted / partially
 * cancelled orders has P(<=1) 13%, P(<=5) 41%, P(<=10) 56%, P(<=50) 90%, P(<=100) 96%, P(<=1000) 99.9%.
 */
const AGE_BUCKETS: [number, number, number][] = [
  // [cumulative per-mille, lo, hi]
  [134, 1, 1], [233, 2, 2], [413, 3, 5], [564, 6, 10], [718, 11, 20],
  [896, 21, 50], [962, 51, 100], [985, 101, 200], [997, 201, 500], [1000, 501, 1000],
];
function sampleAge(rng: Rng): number {
  const u = rng.int(1000);
  for (const [cum, lo, hi] of AGE_BUCKETS) if (u < cum) return lo + rng.int(hi - lo + 1);
  return 1;
}
const RING = 1024;
/**
 * Share (%) of cancel / amend targets drawn uniformly from all resting orders instead of by age: on the GOOG
 * day 4.95% of deletions and executions name an order submitted before the file starts (older than any age
 * the file can show).
 */
const UNIFORM_TARGET_PCT = 5;

/** Passive liquidity comes from 1,000 maker accounts. */
function makerOwner(rng: Rng): number {
  return 1 + rng.int(1000);
}
/** Aggressive flow comes from 100,000 other accounts, so self-trade prevention almost never fires. */
function takerOwner(rng: Rng): number {
  return 1001 + rng.int(100_000);
}

/** A recorded workload: the pre-fill, the operation stream, and the first id the stream never uses. */
export interface Generated {
  prefill: Ops;
  ops: Ops;
  maxId: number;
}

/** Generate the pre-fill and the operation stream for a target depth, using the engine as an oracle. */
export function generate(depth: number, nOps: number, seed: number): Generated {
  const rng = new Rng(seed);
  const oracle = new OrderBook();
  const res = new BookResult();
  const inc: IncomingOrder = {
    id: 0, owner: 0, side: Side.BUY, tif: TimeInForce.GTC, price: 0, size: 0,
    stp: SelfTradePrevention.EXPIRE_MAKER, expiry: 0, clientId: 0, priority: 0,
  };
  const maxIds = depth + nOps + 1;
  // Live set with O(1) insert / remove / uniform pick.
  const live = new Int32Array(maxIds);
  const pos = new Int32Array(maxIds + 1).fill(-1);
  let nLive = 0;
  const add = (id: number) => {
    pos[id] = nLive;
    live[nLive++] = id;
  };
  const del = (id: number) => {
    const p = pos[id];
    if (p < 0) return;
    const last = live[--nLive];
    live[p] = last;
    pos[last] = p;
    pos[id] = -1;
  };
  const track = (id: number) => {
    for (let i = 0; i < res.eventCount; i++) {
      const e = res.events[i];
      if (e.remaining === 0) del(e.orderId);
    }
    if (id > 0 && res.status === BookStatus.RESTED) add(id);
  };
  // Recently submitted limit order ids (ring), for age-skewed cancel / amend targets.
  const recent = new Int32Array(RING);
  let nSubmitted = 0;
  const pickTarget = (): number => {
    if (rng.int(100) >= UNIFORM_TARGET_PCT) {
      for (let tries = 0; tries < 4; tries++) {
        const age = sampleAge(rng);
        if (age > nSubmitted || age > RING) break;
        const id = recent[(nSubmitted - age) & (RING - 1)];
        if (pos[id] >= 0) return id;
      }
    }
    return live[rng.int(nLive)];
  };
  let nextId = 1;
  let prio = 0;
  const prefill = allocOps(depth);
  for (let i = 0; i < depth; i++) {
    const side = i & 1;
    const d = passiveOffset(rng);
    const price = side === Side.BUY ? MID - d : MID + d;
    const size = orderSize(rng);
    const id = nextId++;
    const owner = makerOwner(rng);
    record(prefill, OP_LIMIT, id, side, price, size, owner);
    inc.owner = owner;
    inc.id = id; inc.side = side as Side; inc.tif = TimeInForce.GTC; inc.price = price; inc.size = size; inc.priority = ++prio;
    oracle.place(inc, 0, res);
    track(id);
  }
  const ops = allocOps(nOps);
  for (let i = 0; i < nOps; i++) {
    const r = rng.int(100);
    const side = rng.int(2) as Side;
    if (r < 60 || nLive === 0) {
      let price: number;
      let owner: number;
      const oppBest = side === Side.BUY ? oracle.bestAsk() : oracle.bestBid();
      if (rng.int(10) === 0 && oppBest >= 0) {
        price = side === Side.BUY ? oppBest + rng.int(3) : oppBest - rng.int(3);
        owner = takerOwner(rng);
      } else {
        const d = passiveOffset(rng);
        price = side === Side.BUY ? MID - d : MID + d;
        owner = makerOwner(rng);
      }
      const size = orderSize(rng);
      const id = nextId++;
      record(ops, OP_LIMIT, id, side, price, size, owner);
      inc.owner = owner;
      inc.id = id; inc.side = side; inc.tif = TimeInForce.GTC; inc.price = price; inc.size = size; inc.priority = ++prio;
      oracle.place(inc, 0, res);
      track(id);
      recent[nSubmitted++ & (RING - 1)] = id;
    } else if (r < 85) {
      const id = pickTarget();
      record(ops, OP_CANCEL, id, 0, 0, 0, 0);
      oracle.cancel(id);
      del(id);
    } else if (r < 95) {
      const id = pickTarget();
      const o = oracle.getOrder(id)!;
      let price = o.price;
      let size = o.size;
      const m = rng.int(10);
      if (m < 5) size = 1 + rng.int(size);
      else if (m < 7) size += 1 + rng.int(10);
      else {
        const step = 1 + rng.int(3);
        price += rng.int(2) === 0 ? step : -step;
        if (o.side === Side.BUY) {
          const ba = oracle.bestAsk();
          if (ba >= 0 && price >= ba) price = ba - 1;
        } else {
          const bb = oracle.bestBid();
          if (bb >= 0 && price <= bb) price = bb + 1;
        }
      }
      record(ops, OP_AMEND, id, o.side, price, size, 0);
      oracle.amend(id, price, size, ++prio, 0, res);
      track(0);
    } else {
      const err = nLive / depth - 1;
      const k = Math.min(50, Math.max(1, 7 + 100 * err));
      const size = Math.max(1, Math.round(MEAN_SIZE * k));
      const owner = takerOwner(rng);
      inc.owner = owner;
      if (r < 98) {
        record(ops, OP_MARKET, 0, side, 0, size, owner);
        inc.tif = TimeInForce.MARKET;
        inc.price = side === Side.BUY ? MARKET_BUY_PROTECTION : 0;
        inc.id = nextId++;
      } else {
        const oppBest = side === Side.BUY ? oracle.bestAsk() : oracle.bestBid();
        const price = oppBest >= 0 ? oppBest : MID;
        const id = nextId++;
        record(ops, OP_IOC, id, side, price, size, owner);
        inc.tif = TimeInForce.IOC;
        inc.price = price;
        inc.id = id;
      }
      inc.side = side; inc.size = size; inc.priority = ++prio;
      oracle.place(inc, 0, res);
      track(0);
    }
  }
  return { prefill, ops, maxId: nextId };
}

/**
 * Elapsed time of a timed section: `cpuNs` is the process's CPU time (user + system, all threads, so GC
 * helper threads count too) and is what throughput is computed from: it is the one-core figure and stays
 * meaningful on a shared, loaded machine. `wallNs` is reported beside it.
 */
interface Timing {
  cpuNs: number;
  wallNs: number;
}

function startTimer(): { stop(): Timing } {
  const w0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  return {
    stop() {
      const c = process.cpuUsage(c0);
      return { cpuNs: (c.user + c.system) * 1000, wallNs: Number(process.hrtime.bigint() - w0) };
    },
  };
}

const rate = (n: number, t: Timing) => Math.round(n / (t.cpuNs / 1e9));
const fmt = (n: number, t: Timing) =>
  `${n} ops in ${(t.cpuNs / 1e6).toFixed(0)} ms CPU (${(t.wallNs / 1e6).toFixed(0)} ms wall) = ` +
  `${rate(n, t).toLocaleString("en-US")} ops/s`;

/**
 * Replay a generated stream on our engine: the pre-fill and the first `warm` ops untimed (the book reaches
 * its stationary regime), then ops [warm, ops.n) timed. Returns the timing and the final order count.
 */
export function runOurs(g: Generated, warm: number, n: number): Timing & { count: number } {
  const book = new OrderBook();
  const res = new BookResult();
  const inc: IncomingOrder = {
    id: 0, owner: 0, side: Side.BUY, tif: TimeInForce.GTC, price: 0, size: 0,
    stp: SelfTradePrevention.EXPIRE_MAKER, expiry: 0, clientId: 0, priority: 0,
  };
  const st = { prio: 0, marketId: g.maxId }; // market orders get ids the recorded stream never uses
  const p = g.prefill;
  for (let i = 0; i < p.n; i++) {
    inc.id = p.id[i]; inc.owner = p.owner[i]; inc.side = p.side[i] as Side; inc.tif = TimeInForce.GTC;
    inc.price = p.price[i]; inc.size = p.size[i]; inc.priority = ++st.prio;
    book.place(inc, 0, res);
  }
  replayOurs(book, res, inc, st, g.ops, 0, warm);
  const t = startTimer();
  replayOurs(book, res, inc, st, g.ops, warm, warm + n);
  return { ...t.stop(), count: book.orderCount };
}

function replayOurs(
  book: OrderBook, res: BookResult, inc: IncomingOrder, st: { prio: number; marketId: number }, ops: Ops, from: number, to: number,
): void {
  const { kind, id, side, price, size, owner } = ops;
  let prio = st.prio;
  for (let i = from; i < to; i++) {
    switch (kind[i]) {
      case OP_LIMIT:
        inc.id = id[i]; inc.owner = owner[i]; inc.side = side[i] as Side; inc.tif = TimeInForce.GTC;
        inc.price = price[i]; inc.size = size[i]; inc.priority = ++prio;
        book.place(inc, 0, res);
        break;
      case OP_CANCEL:
        book.cancel(id[i]);
        break;
      case OP_AMEND:
        book.amend(id[i], price[i], size[i], ++prio, 0, res);
        break;
      case OP_MARKET:
        inc.id = st.marketId++; inc.owner = owner[i]; inc.side = side[i] as Side; inc.tif = TimeInForce.MARKET;
        inc.price = side[i] === Side.BUY ? MARKET_BUY_PROTECTION : 0; inc.size = size[i]; inc.priority = ++prio;
        book.place(inc, 0, res);
        break;
      default:
        inc.id = id[i]; inc.owner = owner[i]; inc.side = side[i] as Side; inc.tif = TimeInForce.IOC;
        inc.price = price[i]; inc.size = size[i]; inc.priority = ++prio;
        book.place(inc, 0, res);
    }
  }
  st.prio = prio;
}

/** The same on nodejs-order-book (string ids prepared before timing). */
function runPeer(g: Generated, warm: number, n: number): Timing {
  const book = new PeerBook();
  const sid: string[] = new Array(g.maxId + 1);
  for (let i = 0; i <= g.maxId; i++) sid[i] = String(i);
  const p = g.prefill;
  for (let i = 0; i < p.n; i++) {
    book.limit({ id: sid[p.id[i]], side: SIDE_NAME[p.side[i]] as never, size: p.size[i], price: p.price[i] });
  }
  replayPeer(book, sid, g.ops, 0, warm);
  const t = startTimer();
  replayPeer(book, sid, g.ops, warm, warm + n);
  return t.stop();
}

const SIDE_NAME = ["buy", "sell"] as const;

function replayPeer(book: PeerBook, sid: string[], ops: Ops, from: number, to: number): void {
  const { kind, id, side, price, size } = ops;
  for (let i = from; i < to; i++) {
    switch (kind[i]) {
      case OP_LIMIT:
        book.limit({ id: sid[id[i]], side: SIDE_NAME[side[i]] as never, size: size[i], price: price[i] });
        break;
      case OP_CANCEL:
        book.cancel(sid[id[i]]);
        break;
      case OP_AMEND:
        book.modify(sid[id[i]], { price: price[i], size: size[i] });
        break;
      case OP_MARKET:
        book.market({ side: SIDE_NAME[side[i]] as never, size: size[i] });
        break;
      default:
        book.limit({ id: sid[id[i]], side: SIDE_NAME[side[i]] as never, size: size[i], price: price[i], timeInForce: "IOC" as never });
    }
  }
}

/** Run `fn` `n` times (each on a fresh book) and keep the fastest: the least disturbed by other processes. */
function best<T extends Timing>(n: number, fn: () => T): T {
  let b = fn();
  for (let i = 1; i < n; i++) {
    const t = fn();
    if (t.cpuNs < b.cpuNs) b = t;
  }
  return b;
}

function arg(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? Number(args[i + 1]) : dflt;
}

function mix(ops: Ops): string {
  const c = [0, 0, 0, 0, 0];
  for (let i = 0; i < ops.n; i++) c[ops.kind[i]]++;
  const pct = (x: number) => ((100 * x) / ops.n).toFixed(1);
  return `limit ${pct(c[0])}%, cancel ${pct(c[1])}%, amend ${pct(c[2])}%, market ${pct(c[3])}%, ioc ${pct(c[4])}%`;
}

export function main(args: string[]): void {
  const nOps = arg(args, "--ops", 2_000_000);
  const peerOps = arg(args, "--peer-ops", 200_000);
  const seed = arg(args, "--seed", 42);
  const reps = arg(args, "--reps", 3);
  const warmFactor = arg(args, "--warm", 3);
  const out: Record<string, number> = {};

  // Warm up the JIT on a small book so the first measured depth is not penalized.
  {
    const w = generate(1000, 200_000, seed + 1);
    runOurs(w, 0, w.ops.n);
  }

  const only = args.indexOf("--only") >= 0 ? args[args.indexOf("--only") + 1] : undefined;
  let peerInput: Generated | undefined;
  let peerWarm = 0;
  for (const [label, depth] of [["1k", 1_000], ["100k", 100_000], ["1m", 1_000_000]] as const) {
    if (only !== undefined && only !== label) continue;
    const warm = Math.round(depth * warmFactor);
    const g = generate(depth, warm + nOps, seed);
    const r = best(reps, () => runOurs(g, warm, nOps));
    out[`ops_per_s_${label}`] = rate(nOps, r);
    console.log(`clob ${label.padStart(4)} resting: ${fmt(nOps, r)} (after ${warm} warm-up ops; final resting ${r.count}; ${mix(g.ops)})`);
    if (depth === 100_000) {
      peerInput = g;
      peerWarm = warm;
    }
  }
  if (only !== undefined) return; // profiling aid: one depth, no peer, no summary line

  const g = peerInput!;
  const n = Math.min(peerOps, nOps);
  const ours = best(reps, () => runOurs(g, peerWarm, n));
  const peer = runPeer(g, peerWarm, n);
  const peerRate = rate(n, peer);
  console.log(`nodejs-order-book@10.1.1 100k resting: ${fmt(n, peer)} (after the same ${peerWarm} warm-up ops)`);
  console.log(`ours on the same ${n} ops:             ${fmt(n, ours)}`);
  // Ratio: our 100k figure (best of `reps` over `--ops` ops) against the peer on the first `--peer-ops` ops
  // of the same stream. (Our time on the peer's short range alone is a few tens of ms, where one GC pause
  // would dominate; it is printed above for reference.)
  const ratio = Math.round((out.ops_per_s_100k / peerRate) * 100) / 100;
  console.log(
    JSON.stringify({
      bench: "clob",
      ops_per_s_1k: out.ops_per_s_1k,
      ops_per_s_100k: out.ops_per_s_100k,
      ops_per_s_1m: out.ops_per_s_1m,
      peer_ops_per_s_100k: peerRate,
      ratio_vs_peer_100k: ratio,
    }),
  );
}
