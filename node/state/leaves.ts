// Canonical leaf encodings of the state trie (docs/stf.md "State commitment"). Every leaf is
// `tag (1) || key fields || value fields`, all integers big-endian, fixed width; the key part has a fixed
// length per tag (KEY_LEN); where a key sits in the trie is keypath.ts. NONE (absent price / pointer) is 0xff * 8.

import { readMarketParams, type AgentEntry, type BalanceTable } from "../clob/state.ts";
import type { Address, MarketParams } from "../clob/types.ts";

export const Tag = { GLOBALS: 1, ASSET: 2, MARKET: 3, ACCOUNT: 4, ORDER: 5, LEVEL: 6, CLIENT: 7 } as const;
export type Tag = (typeof Tag)[keyof typeof Tag];

const KEY_LEN = [-1, 1, 5, 5, 21, 9, 14, 17];

/** Length of the key part (tag included) of a leaf with this tag; -1 for an unknown tag. */
export function keyLen(tag: number): number {
  return tag >= 1 && tag <= 7 ? KEY_LEN[tag] : -1;
}

/** Price / pointer sentinel "none" (encoded 0xff * 8). */
export const NONE = -1;

export interface GlobalsLeaf {
  chainId: number;
  verifyingContract: Address;
  feeAccount: Address;
  batchIndex: number;
  timestamp: number;
  l1MessagesConsumed: number;
  nextOrderId: number;
  nextPriority: number;
  nextWithdrawalId: number;
  accountCount: number;
}
export interface AssetLeaf {
  id: number;
  supply: number;
}
export interface MarketLeaf {
  id: number;
  params: MarketParams;
  /** Best bid / ask price in ticks, NONE when that side is empty. */
  bestBid: number;
  bestAsk: number;
}
export interface AccountLeaf {
  address: Address;
  index: number;
  nonce: number;
  /** [asset, available, locked], ascending asset: every entry of the account's balance map. */
  balances: [number, number, number][];
  /** [market, resting order count], ascending market, count > 0 only. */
  openOrders: [number, number][];
  /** The account's agent list (docs/stf.md "Accounts"), ascending address. */
  agents: AgentEntry[];
}
export interface OrderLeaf {
  id: number;
  market: number;
  owner: number;
  side: number;
  price: number;
  size: number;
  expiry: number;
  clientId: number;
  priority: number;
  /** Id of the previous order in the same price level's FIFO queue, 0 for the head. */
  prev: number;
}
export interface LevelLeaf {
  market: number;
  side: number;
  price: number;
  count: number;
  total: number;
  head: number;
  tail: number;
  /** Price of the next worse non-empty level on the same side, NONE for the worst. */
  next: number;
}
export interface ClientLeaf {
  market: number;
  owner: number;
  clientId: number;
  orderId: number;
}

// ---- writer / reader ----

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const HEXVAL = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  HEXVAL["0123456789abcdef".charCodeAt(i)] = i;
  HEXVAL["0123456789ABCDEF".charCodeAt(i)] = i;
}

/**
 * A batch of leaf encodings stored back to back in one buffer (the commit hot path): while a batch is the
 * active sink (setLeafSink), leaf encoders append to it and return an empty array instead of allocating
 * one buffer and one view per leaf. Keys (orderKey, ...) are never written to the sink.
 */
export class LeafBatch {
  data = new Uint8Array(1 << 21);
  /** A view of `data` for multi-byte big-endian stores. */
  view = new DataView(this.data.buffer);
  /** Start offset of leaf i is offs[i], its end offs[i + 1]; length = count + 1. */
  offs = new Uint32Array(1 << 15);
  count = 0;
  get bytes(): number {
    return this.offs[this.count];
  }
  reserve(n: number): number {
    const at = this.offs[this.count];
    if (at + n > this.data.length) {
      const d = new Uint8Array(Math.max(2 * this.data.length, at + n));
      d.set(this.data.subarray(0, at));
      this.data = d;
      this.view = new DataView(d.buffer);
    }
    if (this.count + 2 > this.offs.length) {
      const o = new Uint32Array(2 * this.offs.length);
      o.set(this.offs);
      this.offs = o;
    }
    return at;
  }
  /** Leaf i as a view (no copy). */
  leaf(i: number): Uint8Array {
    return this.data.subarray(this.offs[i], this.offs[i + 1]);
  }
  *[Symbol.iterator](): Generator<Uint8Array> {
    for (let i = 0; i < this.count; i++) yield this.leaf(i);
  }
}

let sink: LeafBatch | null = null;
/** Make leaf encoders append to `b` (null: return separate arrays). Returns the previous sink. */
export function setLeafSink(b: LeafBatch | null): LeafBatch | null {
  const prev = sink;
  sink = b;
  return prev;
}
const NO_LEAF = new Uint8Array(0);

/** The single writer all encoders use (they are not reentrant). */
class Writer {
  b: Uint8Array = NO_LEAF;
  v: DataView = new DataView(NO_LEAF.buffer);
  p = 0;
  private end = 0;
  private toSink = false;
  /** Scratch for encodings that are not written to a sink; done() copies them out. */
  private scratch = new Uint8Array(256);
  private scratchView = new DataView(this.scratch.buffer);
  /** Start a leaf (to the sink when one is active and `leaf`) or a key of `n` bytes. */
  start(n: number, leaf: boolean): this {
    if (leaf && sink !== null) {
      const at = sink.reserve(n);
      this.b = sink.data;
      this.v = sink.view;
      this.p = at;
      this.end = at + n;
      this.toSink = true;
    } else {
      // Written to the scratch and copied into a fresh array by done(): a DataView over a small fresh
      // array would move its bytes off the V8 heap (a malloc per key, and external memory for the GC).
      if (n > this.scratch.length) {
        this.scratch = new Uint8Array(Math.max(n, 2 * this.scratch.length));
        this.scratchView = new DataView(this.scratch.buffer);
      }
      this.b = this.scratch;
      this.v = this.scratchView;
      this.p = 0;
      this.end = n;
      this.toSink = false;
    }
    return this;
  }
  u8(n: number): this {
    this.b[this.p++] = n;
    return this;
  }
  u16(n: number): this {
    this.b[this.p++] = n >>> 8;
    this.b[this.p++] = n & 255;
    return this;
  }
  u32(n: number): this {
    this.v.setUint32(this.p, n >>> 0);
    this.p += 4;
    return this;
  }
  i32(n: number): this {
    return this.u32(n >>> 0);
  }
  u64(n: number): this {
    // The common case stays small enough for the optimizing compiler to inline every field write of a leaf.
    if (n === n >>> 0) {
      const p = this.p;
      this.v.setUint32(p, 0);
      this.v.setUint32(p + 4, n);
      this.p = p + 8;
      return this;
    }
    return this.u64Wide(n);
  }
  /** u64 of a value of 2^32 or more (or not a u64: throws). */
  private u64Wide(n: number): this {
    if (n === NONE) {
      this.b.fill(0xff, this.p, this.p + 8);
      this.p += 8;
      return this;
    }
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`leaf: not a u64 in range: ${n}`);
    const hi = Math.floor(n / 0x100000000);
    this.u32(hi);
    return this.u32(n >>> 0);
  }
  raw(bytes: Uint8Array): this {
    this.b.set(bytes, this.p);
    this.p += bytes.length;
    return this;
  }
  raw20(bytes: Uint8Array, off: number): this {
    const b = this.b;
    const p = this.p;
    for (let i = 0; i < 20; i++) b[p + i] = bytes[off + i];
    this.p = p + 20;
    return this;
  }
  addr(a: string): this {
    if (a.length !== 42) throw new Error("leaf: bad address");
    const b = this.b;
    for (let i = 0; i < 20; i++) {
      const h = HEXVAL[a.charCodeAt(2 + 2 * i)];
      const l = HEXVAL[a.charCodeAt(3 + 2 * i)];
      if (h < 0 || l < 0) throw new Error("leaf: bad address");
      b[this.p + i] = (h << 4) | l;
    }
    this.p += 20;
    return this;
  }
  done(): Uint8Array {
    if (this.p !== this.end) throw new Error("leaf: length mismatch");
    if (this.toSink) {
      sink!.offs[++sink!.count] = this.end;
      return NO_LEAF;
    }
    const n = this.end;
    const out = new Uint8Array(n);
    // keys (at most 21 bytes): a byte loop, without the subarray object `set` would need
    if (n <= 64) for (let i = 0; i < n; i++) out[i] = this.b[i];
    else out.set(this.b.subarray(0, n));
    return out;
  }

}

const SINGLE = new Writer();
/** Writer for a key (never to the sink). */
function WK(n: number): Writer {
  return SINGLE.start(n, false);
}
/** Writer for a leaf (to the active sink, if any). */
function WL(n: number): Writer {
  return SINGLE.start(n, true);
}

class R {
  private readonly b: Uint8Array;
  p = 0;
  constructor(b: Uint8Array) {
    this.b = b;
  }
  need(n: number): void {
    if (this.p + n > this.b.length) throw new Error("leaf: truncated");
  }
  u8(): number {
    this.need(1);
    return this.b[this.p++];
  }
  u16(): number {
    this.need(2);
    const v = (this.b[this.p] << 8) | this.b[this.p + 1];
    this.p += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const b = this.b;
    const p = this.p;
    this.p += 4;
    return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
  }
  i32(): number {
    return this.u32() | 0;
  }
  u64(): number {
    const hi = this.u32();
    const lo = this.u32();
    if (hi === 0xffffffff && lo === 0xffffffff) return NONE;
    const n = hi * 0x100000000 + lo;
    if (!Number.isSafeInteger(n)) throw new Error("leaf: u64 out of range");
    return n;
  }
  addr(): Address {
    this.need(20);
    let s = "0x";
    for (let i = 0; i < 20; i++) s += HEX[this.b[this.p + i]];
    this.p += 20;
    return s as Address;
  }
  end(): void {
    if (this.p !== this.b.length) throw new Error("leaf: trailing bytes");
  }
}

// ---- keys ----

export function globalsKey(): Uint8Array {
  return Uint8Array.of(Tag.GLOBALS);
}
export function assetKey(id: number): Uint8Array {
  return WK(5).u8(Tag.ASSET).u32(id).done();
}
export function marketKey(id: number): Uint8Array {
  return WK(5).u8(Tag.MARKET).u32(id).done();
}
export function accountKey(address: string): Uint8Array {
  return WK(21).u8(Tag.ACCOUNT).addr(address).done();
}
export function orderKey(id: number): Uint8Array {
  return WK(9).u8(Tag.ORDER).u64(id).done();
}
export function levelKey(market: number, side: number, price: number): Uint8Array {
  return WK(14).u8(Tag.LEVEL).u32(market).u8(side).u64(price).done();
}
export function clientKey(market: number, owner: number, clientId: number): Uint8Array {
  return WK(17).u8(Tag.CLIENT).u32(market).u32(owner).u64(clientId).done();
}

// ---- encoders ----

export function encodeGlobals(g: GlobalsLeaf): Uint8Array {
  return WL(105)
    .u8(Tag.GLOBALS)
    .u64(g.chainId)
    .addr(g.verifyingContract)
    .addr(g.feeAccount)
    .u64(g.batchIndex)
    .u64(g.timestamp)
    .u64(g.l1MessagesConsumed)
    .u64(g.nextOrderId)
    .u64(g.nextPriority)
    .u64(g.nextWithdrawalId)
    .u64(g.accountCount)
    .done();
}
export function encodeAsset(a: AssetLeaf): Uint8Array {
  return WL(13).u8(Tag.ASSET).u32(a.id).u64(a.supply).done();
}
export function encodeMarket(m: MarketLeaf): Uint8Array {
  const p = m.params;
  return WL(62)
    .u8(Tag.MARKET)
    .u32(m.id)
    .u32(p.baseAsset)
    .u32(p.quoteAsset)
    .u64(p.lotSize)
    .u64(p.tickSize)
    .u64(p.minSize)
    .i32(p.makerFeePpm)
    .u32(p.takerFeePpm)
    .u8(p.status)
    .u64(m.bestBid)
    .u64(m.bestAsk)
    .done();
}
export function encodeAccount(a: AccountLeaf): Uint8Array {
  if (a.balances.length > 0xffff || a.openOrders.length > 0xffff || a.agents.length > 0xff) throw new Error("leaf: account too large");
  const w = WL(21 + 16 + 2 + 20 * a.balances.length + 2 + 8 * a.openOrders.length + 1 + 28 * a.agents.length);
  w.u8(Tag.ACCOUNT).addr(a.address).u64(a.index).u64(a.nonce).u16(a.balances.length);
  for (const [asset, av, lk] of a.balances) w.u32(asset).u64(av).u64(lk);
  w.u16(a.openOrders.length);
  for (const [m, c] of a.openOrders) w.u32(m).u32(c);
  w.u8(a.agents.length);
  for (const e of a.agents) w.addr(e.agent).u64(e.expiry);
  return w.done();
}
/** encodeOrder without an intermediate object (hot path). */
export function encodeOrderFields(
  id: number, market: number, owner: number, side: number, price: number, size: number,
  expiry: number, clientId: number, priority: number, prev: number,
): Uint8Array {
  return WL(66).u8(Tag.ORDER).u64(id).u32(market).u32(owner).u8(side).u64(price).u64(size).u64(expiry)
    .u64(clientId).u64(priority).u64(prev).done();
}

/**
 * encodeAccount straight from the balance table (node/clob/state.ts) and the account's per-market
 * open-order counts given as a flat [market, count, ...] list in ascending market order (hot path).
 */
/** `address`: hex, or 20 bytes at `addrOff` of a byte array. */
export function encodeAccountFrom(
  address: string | Uint8Array, index: number, nonce: number, balances: BalanceTable, open: number[], addrOff = 0,
  agents: readonly AgentEntry[] = [],
): Uint8Array {
  let nb = 0;
  for (let e = balances.first(index); e >= 0; e = balances.next(e)) nb++;
  const nm = open.length >> 1;
  if (nb > 0xffff || nm > 0xffff || agents.length > 0xff) throw new Error("leaf: account too large");
  const w = WL(42 + 20 * nb + 8 * nm + 28 * agents.length);
  w.u8(Tag.ACCOUNT);
  if (typeof address === "string") w.addr(address);
  else w.raw20(address, addrOff);
  w.u64(index).u64(nonce).u16(nb);
  const m = balances.amounts;
  for (let e = balances.first(index); e >= 0; e = balances.next(e)) w.u32(balances.asset(e)).u64(m[2 * e]).u64(m[2 * e + 1]);
  w.u16(nm);
  for (let i = 0; i < open.length; i += 2) w.u32(open[i]).u32(open[i + 1]);
  w.u8(agents.length);
  for (let i = 0; i < agents.length; i++) w.addr(agents[i].agent).u64(agents[i].expiry);
  return w.done();
}

export function encodeOrder(o: OrderLeaf): Uint8Array {
  return WL(66)
    .u8(Tag.ORDER)
    .u64(o.id)
    .u32(o.market)
    .u32(o.owner)
    .u8(o.side)
    .u64(o.price)
    .u64(o.size)
    .u64(o.expiry)
    .u64(o.clientId)
    .u64(o.priority)
    .u64(o.prev)
    .done();
}
export function encodeLevel(l: LevelLeaf): Uint8Array {
  return WL(50)
    .u8(Tag.LEVEL)
    .u32(l.market)
    .u8(l.side)
    .u64(l.price)
    .u32(l.count)
    .u64(l.total)
    .u64(l.head)
    .u64(l.tail)
    .u64(l.next)
    .done();
}
export function encodeClient(c: ClientLeaf): Uint8Array {
  return WL(25).u8(Tag.CLIENT).u32(c.market).u32(c.owner).u64(c.clientId).u64(c.orderId).done();
}

// ---- decoders ----

export type DecodedLeaf =
  | { tag: typeof Tag.GLOBALS; v: GlobalsLeaf }
  | { tag: typeof Tag.ASSET; v: AssetLeaf }
  | { tag: typeof Tag.MARKET; v: MarketLeaf }
  | { tag: typeof Tag.ACCOUNT; v: AccountLeaf }
  | { tag: typeof Tag.ORDER; v: OrderLeaf }
  | { tag: typeof Tag.LEVEL; v: LevelLeaf }
  | { tag: typeof Tag.CLIENT; v: ClientLeaf };

export function decodeLeaf(b: Uint8Array): DecodedLeaf {
  const r = new R(b);
  const tag = r.u8();
  let out: DecodedLeaf;
  switch (tag) {
    case Tag.GLOBALS:
      out = {
        tag,
        v: {
          chainId: r.u64(),
          verifyingContract: r.addr(),
          feeAccount: r.addr(),
          batchIndex: r.u64(),
          timestamp: r.u64(),
          l1MessagesConsumed: r.u64(),
          nextOrderId: r.u64(),
          nextPriority: r.u64(),
          nextWithdrawalId: r.u64(),
          accountCount: r.u64(),
        },
      };
      break;
    case Tag.ASSET:
      out = { tag, v: { id: r.u32(), supply: r.u64() } };
      break;
    case Tag.MARKET: {
      const id = r.u32();
      const params = readMarketParams(r);
      out = { tag, v: { id, params, bestBid: r.u64(), bestAsk: r.u64() } };
      break;
    }
    case Tag.ACCOUNT: {
      const address = r.addr();
      const index = r.u64();
      const nonce = r.u64();
      const nb = r.u16();
      const balances: [number, number, number][] = [];
      for (let i = 0; i < nb; i++) balances.push([r.u32(), r.u64(), r.u64()]);
      const nm = r.u16();
      const openOrders: [number, number][] = [];
      for (let i = 0; i < nm; i++) openOrders.push([r.u32(), r.u32()]);
      const na = r.u8();
      const agents: AgentEntry[] = [];
      for (let i = 0; i < na; i++) agents.push({ agent: r.addr(), expiry: r.u64() });
      out = { tag, v: { address, index, nonce, balances, openOrders, agents } };
      break;
    }
    case Tag.ORDER:
      out = {
        tag,
        v: {
          id: r.u64(),
          market: r.u32(),
          owner: r.u32(),
          side: r.u8(),
          price: r.u64(),
          size: r.u64(),
          expiry: r.u64(),
          clientId: r.u64(),
          priority: r.u64(),
          prev: r.u64(),
        },
      };
      break;
    case Tag.LEVEL:
      out = {
        tag,
        v: {
          market: r.u32(),
          side: r.u8(),
          price: r.u64(),
          count: r.u32(),
          total: r.u64(),
          head: r.u64(),
          tail: r.u64(),
          next: r.u64(),
        },
      };
      break;
    case Tag.CLIENT:
      out = { tag, v: { market: r.u32(), owner: r.u32(), clientId: r.u64(), orderId: r.u64() } };
      break;
    default:
      throw new Error(`leaf: unknown tag ${tag}`);
  }
  r.end();
  return out;
}

export function decodeOrder(b: Uint8Array): OrderLeaf {
  const d = decodeLeaf(b);
  if (d.tag !== Tag.ORDER) throw new Error("leaf: not an order");
  return d.v;
}
export function decodeLevel(b: Uint8Array): LevelLeaf {
  const d = decodeLeaf(b);
  if (d.tag !== Tag.LEVEL) throw new Error("leaf: not a level");
  return d.v;
}
export function decodeAccount(b: Uint8Array): AccountLeaf {
  const d = decodeLeaf(b);
  if (d.tag !== Tag.ACCOUNT) throw new Error("leaf: not an account");
  return d.v;
}
export function decodeMarket(b: Uint8Array): MarketLeaf {
  const d = decodeLeaf(b);
  if (d.tag !== Tag.MARKET) throw new Error("leaf: not a market");
  return d.v;
}
