// Seeded order stream shaped like the embedded market maker's flow, for `npm run bench -- da` and the codec
// tests (docs/benchmarks.md, section "da", describes it). Not a benchmark itself (no `main`).
//
// Participants: `makers` market-maker accounts quoting a ladder of `levels` orders per side in each of
// `markets` markets, and `takers` accounts sending occasional IOC/MARKET orders. Every account uses
// sequential nonces starting from a seeded value in [10_000, 1_000_000). Each step picks a market, moves
// its mid by a seeded random walk (30%: +-1..3 ticks), then one event:
//   takers (5%):  IOC (or MARKET, 1 in 4) order crossing the touch; it "fills" the best maker order on the
//                 other side, which leaves the book (so later cancels reference other ids).
//   makers (95%): a maker short of its ladder on a side places a POST_ONLY order at the touch (or one level
//                 behind per missing level) with the next client id, no expiry (10%: expiry = now + 30..90 s);
//                 otherwise: 45% amend its oldest order to the current touch (30% also a new size),
//                 30% cancel its oldest order by id, 8% cancel by client id, 2% cancel all its orders in
//                 the market, 15% place an extra order one tick behind the touch.
// Order ids follow the STF rule assumed here: a global counter (starting at 7,000,000) incremented by every
// PLACE; an amend keeps the id. Prices are ticks around per-market mids, sizes lots from a small menu.
// Signatures are real: EIP-712 digests (node/clob/eip712.ts) signed with native secp256k1.
// With `bulk: n` the makers' actions are grouped into BULK transactions (docs/stf.md "BULK"): each maker's
// actions, in stream order, across every market it quotes, collect into its pending quote cycle, which is
// signed and emitted as one BULK (one nonce, one signature) when it holds n actions, at the position of its
// last action; the rest are flushed at the end of the stream. Takers' orders stay single transactions.
// `orders` then counts orders (bulk actions plus single transactions), not transactions.

import { keccak_256 } from "@noble/hashes/sha3.js";
import { Rng } from "../codec/fuzz.ts";
import { addressOfPrivateKey, signTx } from "../clob/eip712.ts";
import { SelfTradePrevention, Side, TimeInForce, TxKind, type Address, type Eip712Domain, type Tx } from "../clob/types.ts";

export interface StreamOptions {
  seed?: number;
  orders?: number;
  makers?: number;
  takers?: number;
  markets?: number;
  levels?: number;
  /** L1 timestamp the stream starts at (expiries are relative to it). */
  timestamp?: number;
  /** Sign with real EIP-712 signatures (default true); false leaves deterministic dummy low-s signatures. */
  sign?: boolean;
  /** Group each maker's actions into BULKs of up to this many actions (0 = single transactions). */
  bulk?: number;
}

export const STREAM_DEFAULTS = {
  seed: 42,
  orders: 20_000,
  makers: 4,
  takers: 4,
  markets: 3,
  levels: 3,
  timestamp: 1_750_000_000,
  sign: true,
  bulk: 0,
} as const;

export const BENCH_DOMAIN: Eip712Domain = { chainId: 31337, verifyingContract: "0x5fbdb2315678afecb367f032d93f642f64180aa3" };

interface Resting {
  id: number;
  market: number;
  side: Side;
  price: number;
  size: number;
  clientId: number;
}

interface Account {
  key: Uint8Array;
  address: Address;
  nonce: number;
  clientId: number;
  orders: Resting[]; // oldest first
  /** Actions of the current quote cycle (bulk mode). */
  pending: Record<string, unknown>[];
  maker: boolean;
}

const SIZES = [10, 10, 20, 25, 50, 50, 100, 200] as const;

/** Generates the stream (signed unless sign: false). */
export function generateMmStream(options: StreamOptions = {}): Tx[] {
  const o = { ...STREAM_DEFAULTS, ...options };
  const rng = new Rng(o.seed);
  const mkAccount = (i: number): Account => {
    const key = keccak_256(new TextEncoder().encode(`rollbook-bench-da-${o.seed}-${i}`));
    return { key, address: addressOfPrivateKey(key), nonce: rng.int(10_000, 999_999), clientId: rng.int(1, 1_000_000), orders: [], pending: [], maker: i < 1000 };
  };
  const makers = Array.from({ length: o.makers }, (_, i) => mkAccount(i));
  const takers = Array.from({ length: o.takers }, (_, i) => mkAccount(1000 + i));
  const markets = Array.from({ length: o.markets }, (_, i) => ({ id: i + 1, mid: rng.int(2_000, 6_000_000) }));
  let nextOrderId = 7_000_000;
  const txs: Tx[] = [];
  const dummy = (): Tx["sig"] => {
    const s = rng.bytes(32);
    s[0]! &= 0x7f;
    return { r: rng.bytes(32), s, v: (rng.u32() & 1) as 0 | 1 };
  };
  let count = 0; // orders emitted (bulk actions count one each)
  const push = (acct: Account, body: Record<string, unknown>): void => {
    const tx = { ...body, account: acct.address, nonce: acct.nonce++, sig: undefined } as unknown as Tx;
    txs.push(o.sign ? signTx(BENCH_DOMAIN, tx, acct.key) : ((tx.sig = dummy()), tx));
  };
  const flush = (acct: Account): void => {
    if (acct.pending.length === 0) return;
    push(acct, { kind: TxKind.BULK, actions: acct.pending });
    acct.pending = [];
  };
  const emit = (acct: Account, body: Record<string, unknown>): void => {
    count++;
    if (o.bulk > 0 && acct.maker) {
      const { kind, ...fields } = body;
      acct.pending.push({ op: kind, ...fields });
      if (acct.pending.length >= o.bulk) flush(acct);
    } else push(acct, body);
  };
  const touch = (mid: number, side: Side): number => (side === Side.BUY ? mid - 1 : mid + 1);
  const place = (acct: Account, market: number, side: Side, price: number, size: number, tif: TimeInForce, clientId: number, expiry: number): void => {
    const id = nextOrderId++;
    emit(acct, {
      kind: TxKind.PLACE,
      market,
      side,
      tif,
      price,
      size,
      expiry,
      clientId,
      stp: tif === TimeInForce.POST_ONLY ? SelfTradePrevention.EXPIRE_MAKER : SelfTradePrevention.EXPIRE_TAKER,
    });
    if (tif === TimeInForce.GTC || tif === TimeInForce.POST_ONLY) acct.orders.push({ id, market, side, price, size, clientId });
  };

  while (count < o.orders) {
    const m = rng.pick(markets);
    if (rng.next() < 0.3) m.mid = Math.max(10, m.mid + (rng.next() < 0.5 ? -1 : 1) * rng.int(1, 3));
    if (rng.next() < 0.05) {
      // taker
      const t = rng.pick(takers);
      const side: Side = rng.next() < 0.5 ? Side.BUY : Side.SELL;
      const market = rng.next() < 0.25 ? TimeInForce.MARKET : TimeInForce.IOC;
      const price = side === Side.BUY ? m.mid + 5 : m.mid - 5;
      place(t, m.id, side, price, rng.pick(SIZES), market, 0, 0);
      // fill the best maker order on the other side
      const other = side === Side.BUY ? Side.SELL : Side.BUY;
      let best: { acct: Account; i: number } | undefined;
      for (const mk of makers) {
        mk.orders.forEach((r, i) => {
          if (r.market !== m.id || r.side !== other) return;
          const b = best && best.acct.orders[best.i]!;
          if (!b || (other === Side.SELL ? r.price < b.price : r.price > b.price)) best = { acct: mk, i };
        });
      }
      if (best) best.acct.orders.splice(best.i, 1);
      continue;
    }
    const mk = rng.pick(makers);
    const mine = mk.orders.filter((r) => r.market === m.id);
    const side: Side = rng.next() < 0.5 ? Side.BUY : Side.SELL;
    const onSide = mine.filter((r) => r.side === side).length;
    const expiry = () => (rng.next() < 0.1 ? o.timestamp + Math.floor(count / 50) + rng.int(30, 90) : 0);
    if (onSide < o.levels) {
      const behind = side === Side.BUY ? -onSide : onSide;
      place(mk, m.id, side, touch(m.mid, side) + behind, rng.pick(SIZES), TimeInForce.POST_ONLY, mk.clientId++, expiry());
      continue;
    }
    const u = rng.next();
    const oldest = mine[0]!;
    if (u < 0.45) {
      const price = touch(m.mid, oldest.side);
      const size = rng.next() < 0.3 ? rng.pick(SIZES) : oldest.size;
      emit(mk, { kind: TxKind.AMEND, market: m.id, orderId: oldest.id, price, size });
      oldest.price = price;
      oldest.size = size;
      mk.orders.splice(mk.orders.indexOf(oldest), 1);
      mk.orders.push(oldest); // now the most recently touched
    } else if (u < 0.75) {
      emit(mk, { kind: TxKind.CANCEL, market: m.id, orderId: oldest.id });
      mk.orders.splice(mk.orders.indexOf(oldest), 1);
    } else if (u < 0.83) {
      emit(mk, { kind: TxKind.CANCEL_BY_CLIENT_ID, market: m.id, clientId: oldest.clientId });
      mk.orders.splice(mk.orders.indexOf(oldest), 1);
    } else if (u < 0.85) {
      emit(mk, { kind: TxKind.CANCEL_ALL, market: m.id });
      mk.orders = mk.orders.filter((r) => r.market !== m.id);
    } else {
      const behind = side === Side.BUY ? -1 : 1;
      place(mk, m.id, side, touch(m.mid, side) + behind, rng.pick(SIZES), TimeInForce.POST_ONLY, mk.clientId++, expiry());
    }
  }
  for (const mk of makers) flush(mk);
  return txs;
}

/** Orders in a stream: a BULK counts its actions, every other transaction one. */
export function orderCount(txs: readonly Tx[]): number {
  let n = 0;
  for (const t of txs) n += t.kind === TxKind.BULK ? t.actions.length : 1;
  return n;
}
