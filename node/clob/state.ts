// The CLOB state: markets (params + order book), assets, accounts with dense indexes and per-asset
// balances, global counters, and the per-batch record of what changed (`dirty`). docs/stf.md ("State")
// is normative. Everything here is plain data plus the engine's OrderBook; the transition rules live in
// stf.ts.

import { keccak_256 } from "@noble/hashes/sha3.js";
import { OrderBook, type RestingOrder } from "./engine.ts";
import { isAddress } from "./eip712.ts";
import type { Address, Eip712Domain, MarketParams } from "./types.ts";

/** Maximum resting orders of one account in one market (TOO_MANY_OPEN_ORDERS beyond). */
export const MAX_OPEN_ORDERS_PER_MARKET = 1000;

/** The fee account used when the genesis config names none: 0x...fee (nobody holds its key; documented). */
export const DEFAULT_FEE_ACCOUNT: Address = "0x0000000000000000000000000000000000000fee";

/** Chain-level constants fixed at genesis. */
export interface ChainConfig {
  /** EIP-712 domain: the L1 chain id and the Inbox address. */
  domain: Eip712Domain;
  /** Account that collects fees and pays maker rebates; account index 0. */
  feeAccount: Address;
}

/**
 * Every account's balances in typed arrays, no per-balance objects: one entry per (account, asset) the
 * account has held, the entries of an account chained in ascending asset order from its head. Entries are
 * created on first credit/lock and never removed (an entry of zeros is still state).
 */
export class BalanceTable {
  /** Entry e: available at 2e, locked at 2e + 1. */
  amounts = new Float64Array(2048);
  private assets = new Uint32Array(1024);
  /** Entry -> next entry of the same account (-1: last). */
  private nexts = new Int32Array(1024);
  /** Account index -> first entry (-1: none). */
  private heads = new Int32Array(1024).fill(-1);
  private size = 0;

  /** First entry of `account` (-1: none). */
  first(account: number): number {
    return account < this.heads.length ? this.heads[account] : -1;
  }

  next(e: number): number {
    return this.nexts[e];
  }

  asset(e: number): number {
    return this.assets[e];
  }

  /** The entry of (account, asset), -1 if the account never held the asset. */
  find(account: number, asset: number): number {
    let e = this.first(account);
    while (e >= 0 && this.assets[e] < asset) e = this.nexts[e];
    return e >= 0 && this.assets[e] === asset ? e : -1;
  }

  /** The entry of (account, asset), created (zeros) if missing. */
  entry(account: number, asset: number): number {
    let prev = -1;
    let e = this.first(account);
    while (e >= 0 && this.assets[e] < asset) {
      prev = e;
      e = this.nexts[e];
    }
    if (e >= 0 && this.assets[e] === asset) return e;
    const n = this.alloc(account);
    this.assets[n] = asset;
    this.nexts[n] = e;
    if (prev < 0) this.heads[account] = n;
    else this.nexts[prev] = n;
    return n;
  }

  private alloc(account: number): number {
    if (account >= this.heads.length) {
      let cap = this.heads.length * 2;
      while (cap <= account) cap *= 2;
      const h = new Int32Array(cap).fill(-1);
      h.set(this.heads);
      this.heads = h;
    }
    if (this.size === this.assets.length) {
      const cap = 2 * this.size;
      const a = new Uint32Array(cap);
      a.set(this.assets);
      this.assets = a;
      const n = new Int32Array(cap);
      n.set(this.nexts);
      this.nexts = n;
      const m = new Float64Array(2 * cap);
      m.set(this.amounts);
      this.amounts = m;
    }
    return this.size++;
  }
}

/** One agent key of an account: it may sign trading transactions while `expiry > now`. */
export interface AgentEntry {
  agent: Address;
  expiry: number;
}
const NO_AGENTS: AgentEntry[] = [];

export class Account {
  readonly index: number;
  /** Lowercase 0x address. */
  readonly address: Address;
  /** Next expected nonce (shared by the account's own key and its agents). */
  nonce = 0;
  /**
   * Agent keys (docs/stf.md "Accounts"): at most MAX_AGENTS_PER_ACCOUNT, ascending address, expired entries
   * included until pruned. Empty for most accounts (one shared empty array until the first approval).
   */
  agents: AgentEntry[] = NO_AGENTS;
  /** @internal DirtySet epoch in which this account was last recorded as dirty (not state). */
  dirtyEpoch = 0;
  private readonly table: BalanceTable;

  constructor(index: number, address: Address, table: BalanceTable) {
    this.index = index;
    this.address = address;
    this.table = table;
  }

  available(asset: number): number {
    const e = this.table.find(this.index, asset);
    return e < 0 ? 0 : this.table.amounts[2 * e];
  }

  locked(asset: number): number {
    const e = this.table.find(this.index, asset);
    return e < 0 ? 0 : this.table.amounts[2 * e + 1];
  }

  /** [asset, available, locked] of every asset the account has held, ascending asset (not for hot paths). */
  balances(): [number, number, number][] {
    const t = this.table;
    const out: [number, number, number][] = [];
    for (let e = t.first(this.index); e >= 0; e = t.next(e)) out.push([t.asset(e), t.amounts[2 * e], t.amounts[2 * e + 1]]);
    return out;
  }

  /** True iff `signer` is listed as an agent with `expiry > now`. */
  agentActive(signer: string, now: number): boolean {
    const ag = this.agents;
    for (let i = 0; i < ag.length; i++) if (ag[i].agent === signer) return ag[i].expiry > now;
    return false;
  }

  /** Sets the balance of `asset` (state reconstruction: deserialization, copies, witnesses). */
  setBalance(asset: number, available: number, locked: number): void {
    const e = this.table.entry(this.index, asset);
    this.table.amounts[2 * e] = available;
    this.table.amounts[2 * e + 1] = locked;
  }
}

export class Market {
  readonly id: number;
  params: MarketParams;
  readonly book: OrderBook;
  constructor(id: number, params: MarketParams, book = new OrderBook()) {
    this.id = id;
    this.params = params;
    this.book = book;
  }
}

export class AssetState {
  readonly id: number;
  /** Sum over all accounts of available + locked (equals deposits credited minus withdrawals). */
  supply = 0;
  constructor(id: number) {
    this.id = id;
  }
}

/**
 * A list of account indexes reused from batch to batch: clearing keeps its buffer, so the hot path
 * allocates nothing once it has grown to a batch's size.
 */
export class IndexList {
  private items = new Int32Array(1024);
  size = 0;

  push(x: number): void {
    if (this.size === this.items.length) {
      const a = new Int32Array(2 * this.items.length);
      a.set(this.items);
      this.items = a;
    }
    this.items[this.size++] = x;
  }

  at(i: number): number {
    return this.items[i];
  }

  clear(): void {
    this.size = 0;
  }

  /** A copy of the entries (not for hot paths). */
  toArray(): number[] {
    return Array.from(this.items.subarray(0, this.size));
  }
}

/**
 * Orders a batch created, changed or removed: per market a typed list of ids, kept from batch to batch (so
 * recording allocates nothing once grown). An id may be recorded more than once; `ids` drops repeats.
 */
export class DirtyOrders {
  private readonly lists = new Map<number, { ids: Float64Array; size: number }>();
  private lastMarket = -1;
  private last: { ids: Float64Array; size: number } | undefined;

  /** Record that order `id` of `market` may have changed. */
  add(id: number, market: number): void {
    let l = this.last;
    if (market !== this.lastMarket) {
      l = this.lists.get(market);
      if (l === undefined) this.lists.set(market, (l = { ids: new Float64Array(1024), size: 0 }));
      this.lastMarket = market;
      this.last = l;
    }
    if (l!.size === l!.ids.length) {
      const a = new Float64Array(2 * l!.size);
      a.set(l!.ids);
      l!.ids = a;
    }
    l!.ids[l!.size++] = id;
  }

  clear(): void {
    for (const l of this.lists.values()) l.size = 0;
  }

  /** Ids of the markets with recorded orders, ascending. */
  markets(): number[] {
    const out: number[] = [];
    for (const [m, l] of this.lists) if (l.size > 0) out.push(m);
    return out.sort((a, b) => a - b);
  }

  /** The distinct recorded order ids of `market`, ascending (a view, valid until the next `add`). */
  ids(market: number): Float64Array {
    const l = this.lists.get(market);
    if (l === undefined) return new Float64Array(0);
    const v = l.ids.subarray(0, l.size).sort();
    let n = 0;
    for (let i = 0; i < v.length; i++) if (n === 0 || v[i] !== v[n - 1]) v[n++] = v[i];
    l.size = n;
    return v.subarray(0, n);
  }

  /** [order id, market] of every recorded order, by market then id (not for hot paths). */
  entries(): [number, number][] {
    const out: [number, number][] = [];
    for (const m of this.markets()) for (const id of this.ids(m)) out.push([id, m]);
    return out;
  }
}

/**
 * What a batch changed, for incremental commitment. Cleared by `beginBatch` (so it covers one batch:
 * its L1 messages and its transactions). Entries name things that MAY have changed; a named order may
 * have been removed (look it up in its market's book: absent = deleted leaf).
 */
export class DirtySet {
  /**
   * Indexes of the accounts whose leaf may have changed (created, nonce or a balance changed), each once,
   * in the order first marked (record them with `account`).
   */
  readonly accounts = new IndexList();
  /** Orders created, changed (size, price, priority) or removed, with their market. */
  readonly orders = new DirtyOrders();
  /** Market ids created or whose params changed. */
  readonly markets = new Set<number>();
  /** Asset ids created or whose supply changed. */
  readonly assets = new Set<number>();
  /** Global counters (next ids, batch index, timestamp, L1 message count, account count) changed. */
  globals = false;
  /** @internal Incremented by clear(); an account whose dirtyEpoch equals it is already in `accounts`. */
  epoch = 1;

  clear(): void {
    this.epoch++;
    this.accounts.clear();
    this.orders.clear();
    this.markets.clear();
    this.assets.clear();
    this.globals = false;
  }

  /** Record that the leaf of `a` may have changed (idempotent within a batch). */
  account(a: Account): void {
    if (a.dirtyEpoch !== this.epoch) {
      a.dirtyEpoch = this.epoch;
      this.accounts.push(a.index);
    }
  }
}

/** The global counters of a state. */
export type Counters = Pick<ClobState, "batchIndex" | "timestamp" | "l1MessagesConsumed" | "nextOrderId" | "nextPriority" | "nextWithdrawalId">;

export class ClobState {
  readonly config: ChainConfig;
  /** Index of the last applied batch (0 = genesis). */
  batchIndex = 0;
  /** The clock: header timestamp of the last valid batch (0 at genesis; an invalid batch keeps it). */
  timestamp = 0;
  /** Number of L1 messages consumed so far (the queue position). */
  l1MessagesConsumed = 0;
  /** Next order id (ids start at 1; 0 means "none"/"all" in messages). */
  nextOrderId = 1;
  /** Next priority sequence number given to an order that joins a queue. */
  nextPriority = 1;
  /** Next global withdrawal id (from 0, docs/l1-messages.md). */
  nextWithdrawalId = 0;

  /** market id -> market. Canonical iteration is by ascending id (see marketIds()). */
  readonly markets = new Map<number, Market>();
  /** asset id -> asset. Canonical iteration by ascending id. */
  readonly assets = new Map<number, AssetState>();
  /** Dense account table; index 0 is the fee account. */
  readonly accounts: Account[] = [];
  /** lowercase address -> account index. */
  readonly accountIndex = new Map<string, number>();
  /** The balances of all accounts. */
  readonly balances = new BalanceTable();

  readonly dirty = new DirtySet();

  constructor(config: ChainConfig) {
    this.config = config;
  }

  /** Set the global counters from another state or a GLOBALS leaf (state reconstruction). */
  setCounters(c: Counters): void {
    this.batchIndex = c.batchIndex;
    this.timestamp = c.timestamp;
    this.l1MessagesConsumed = c.l1MessagesConsumed;
    this.nextOrderId = c.nextOrderId;
    this.nextPriority = c.nextPriority;
    this.nextWithdrawalId = c.nextWithdrawalId;
  }

  get feeAccount(): Account {
    return this.accounts[0];
  }

  account(address: string): Account | undefined {
    const i = this.accountIndex.get(address);
    return i === undefined ? undefined : this.accounts[i];
  }

  /** The account of `address` (lowercase), created with the next dense index if missing. */
  getOrCreateAccount(address: Address): Account {
    const i = this.accountIndex.get(address);
    if (i !== undefined) return this.accounts[i];
    const a = this.addAccount(this.accounts.length, address);
    this.dirty.account(a);
    // the account count is a globals field
    this.dirty.globals = true;
    return a;
  }

  /** Puts a new account at `index` (no dirty marks: state reconstruction and getOrCreateAccount). */
  addAccount(index: number, address: Address): Account {
    const a = new Account(index, address, this.balances);
    this.accounts[index] = a;
    this.accountIndex.set(address, index);
    return a;
  }

  asset(id: number): AssetState {
    let a = this.assets.get(id);
    if (a === undefined) {
      a = new AssetState(id);
      this.assets.set(id, a);
      this.dirty.assets.add(id);
    }
    return a;
  }

  marketIds(): number[] {
    return [...this.markets.keys()].sort((a, b) => a - b);
  }

  assetIds(): number[] {
    return [...this.assets.keys()].sort((a, b) => a - b);
  }
}

/** A fresh state: no markets, no assets, one account (index 0, the fee account). */
export function createGenesisState(config: { domain: Eip712Domain; feeAccount?: Address }): ClobState {
  const feeAccount = (config.feeAccount ?? DEFAULT_FEE_ACCOUNT).toLowerCase() as Address;
  if (!isAddress(feeAccount)) throw new Error("bad fee account");
  const domain = {
    chainId: config.domain.chainId,
    verifyingContract: config.domain.verifyingContract.toLowerCase() as Address,
  };
  if (!isAddress(domain.verifyingContract)) throw new Error("bad verifyingContract");
  const s = new ClobState({ domain, feeAccount });
  s.getOrCreateAccount(feeAccount);
  s.dirty.clear();
  return s;
}

/** Deep copy (order books rebuilt from their canonical order; priorities preserved). O(state). */
export function cloneState(src: ClobState): ClobState {
  const s = new ClobState({ domain: { ...src.config.domain }, feeAccount: src.config.feeAccount });
  s.setCounters(src);
  for (const [id, m] of src.markets) {
    const book = new OrderBook();
    for (const o of m.book.orders()) book.restore(o);
    s.markets.set(id, new Market(id, { ...m.params }, book));
  }
  for (const [id, a] of src.assets) {
    const b = new AssetState(id);
    b.supply = a.supply;
    s.assets.set(id, b);
  }
  for (const a of src.accounts) {
    const c = s.addAccount(a.index, a.address);
    c.nonce = a.nonce;
    if (a.agents.length > 0) c.agents = a.agents.map((e) => ({ ...e }));
    for (const [asset, av, lk] of a.balances()) c.setBalance(asset, av, lk);
  }
  copyDirty(src.dirty, s);
  return s;
}

function copyDirty(a: DirtySet, s: ClobState): void {
  const b = s.dirty;
  for (let i = 0; i < a.accounts.size; i++) b.account(s.accounts[a.accounts.at(i)]);
  for (const [id, m] of a.orders.entries()) b.orders.add(id, m);
  for (const x of a.markets) b.markets.add(x);
  for (const x of a.assets) b.assets.add(x);
  b.globals = a.globals;
}

// ---------------------------------------------------------------------------------------------------------
// Canonical serialization (snapshots, digests, test comparisons). Layout in docs/stf.md ("Canonical state
// serialization"). All integers are u64 big-endian unless noted; i32 for makerFeePpm.

class Writer {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  len = 0;
  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.len));
    this.buf = nb;
    this.view = new DataView(nb.buffer);
  }
  u64(n: number): void {
    this.ensure(8);
    this.view.setUint32(this.len, Math.floor(n / 0x100000000));
    this.view.setUint32(this.len + 4, n >>> 0);
    this.len += 8;
  }
  u32(n: number): void {
    this.ensure(4);
    this.view.setUint32(this.len, n >>> 0);
    this.len += 4;
  }
  i32(n: number): void {
    this.ensure(4);
    this.view.setInt32(this.len, n);
    this.len += 4;
  }
  u8(n: number): void {
    this.ensure(1);
    this.buf[this.len++] = n;
  }
  address(a: string): void {
    this.ensure(20);
    for (let i = 0; i < 20; i++) this.buf[this.len + i] = parseInt(a.slice(2 + 2 * i, 4 + 2 * i), 16);
    this.len += 20;
  }
  bytes(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

class Reader {
  private readonly view: DataView;
  private readonly b: Uint8Array;
  pos = 0;
  constructor(b: Uint8Array) {
    this.b = b;
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  u64(): number {
    const hi = this.view.getUint32(this.pos);
    const lo = this.view.getUint32(this.pos + 4);
    this.pos += 8;
    const n = hi * 0x100000000 + lo;
    if (!Number.isSafeInteger(n)) throw new Error("u64 out of range");
    return n;
  }
  u32(): number {
    const n = this.view.getUint32(this.pos);
    this.pos += 4;
    return n;
  }
  i32(): number {
    const n = this.view.getInt32(this.pos);
    this.pos += 4;
    return n;
  }
  u8(): number {
    if (this.pos >= this.b.length) throw new Error("truncated");
    return this.b[this.pos++];
  }
  address(): Address {
    if (this.pos + 20 > this.b.length) throw new Error("truncated");
    let s = "0x";
    for (let i = 0; i < 20; i++) s += this.b[this.pos + i].toString(16).padStart(2, "0");
    this.pos += 20;
    return s as Address;
  }
}

const SERIAL_VERSION = 2;

/**
 * Market params in their fixed field order, as both the canonical serialization and the MARKET leaf
 * (node/state/leaves.ts) lay them out; `r` supplies the integer reads with its own range checks.
 */
export function readMarketParams(r: { u8(): number; u32(): number; i32(): number; u64(): number }): MarketParams {
  return {
    baseAsset: r.u32(),
    quoteAsset: r.u32(),
    lotSize: r.u64(),
    tickSize: r.u64(),
    minSize: r.u64(),
    makerFeePpm: r.i32(),
    takerFeePpm: r.u32(),
    status: r.u8() as MarketParams["status"],
  };
}

/**
 * Canonical bytes of the whole state (not the Merkle root: that is node/state's). Two states are equal iff
 * their serializations are equal. The dirty set is not part of it.
 */
export function serializeState(s: ClobState): Uint8Array {
  const w = new Writer();
  w.u8(SERIAL_VERSION);
  w.u64(s.config.domain.chainId);
  w.address(s.config.domain.verifyingContract);
  w.address(s.config.feeAccount);
  w.u64(s.batchIndex);
  w.u64(s.timestamp);
  w.u64(s.l1MessagesConsumed);
  w.u64(s.nextOrderId);
  w.u64(s.nextPriority);
  w.u64(s.nextWithdrawalId);
  const aids = s.assetIds();
  w.u32(aids.length);
  for (const id of aids) {
    w.u32(id);
    w.u64(s.assets.get(id)!.supply);
  }
  w.u64(s.accounts.length);
  for (const a of s.accounts) {
    w.address(a.address);
    w.u64(a.nonce);
    const balances = a.balances();
    w.u32(balances.length);
    for (const [id, av, lk] of balances) {
      w.u32(id);
      w.u64(av);
      w.u64(lk);
    }
    w.u8(a.agents.length);
    for (const e of a.agents) {
      w.address(e.agent);
      w.u64(e.expiry);
    }
  }
  const mids = s.marketIds();
  w.u32(mids.length);
  for (const id of mids) {
    const m = s.markets.get(id)!;
    const p = m.params;
    w.u32(id);
    w.u32(p.baseAsset);
    w.u32(p.quoteAsset);
    w.u64(p.lotSize);
    w.u64(p.tickSize);
    w.u64(p.minSize);
    w.i32(p.makerFeePpm);
    w.u32(p.takerFeePpm);
    w.u8(p.status);
    w.u64(m.book.orderCount);
    for (const o of m.book.orders()) writeOrder(w, o);
  }
  return w.bytes();
}

function writeOrder(w: Writer, o: RestingOrder): void {
  w.u64(o.id);
  w.u64(o.owner);
  w.u8(o.side);
  w.u64(o.price);
  w.u64(o.size);
  w.u64(o.expiry);
  w.u64(o.clientId);
  w.u64(o.priority);
}

/** Inverse of serializeState (throws on malformed input). */
export function deserializeState(bytes: Uint8Array): ClobState {
  const r = new Reader(bytes);
  if (r.u8() !== SERIAL_VERSION) throw new Error("unknown state serialization version");
  const chainId = r.u64();
  const verifyingContract = r.address();
  const feeAccount = r.address();
  const s = new ClobState({ domain: { chainId, verifyingContract }, feeAccount });
  s.batchIndex = r.u64();
  s.timestamp = r.u64();
  s.l1MessagesConsumed = r.u64();
  s.nextOrderId = r.u64();
  s.nextPriority = r.u64();
  s.nextWithdrawalId = r.u64();
  const na = r.u32();
  for (let i = 0; i < na; i++) {
    const a = new AssetState(r.u32());
    a.supply = r.u64();
    s.assets.set(a.id, a);
  }
  const nacc = r.u64();
  for (let i = 0; i < nacc; i++) {
    const a = s.addAccount(i, r.address());
    a.nonce = r.u64();
    const nb = r.u32();
    for (let j = 0; j < nb; j++) a.setBalance(r.u32(), r.u64(), r.u64());
    const ng = r.u8();
    if (ng > 0) a.agents = Array.from({ length: ng }, () => ({ agent: r.address(), expiry: r.u64() }));
  }
  const nm = r.u32();
  for (let i = 0; i < nm; i++) {
    const id = r.u32();
    const m = new Market(id, readMarketParams(r));
    const no = r.u64();
    for (let j = 0; j < no; j++) {
      m.book.restore({
        id: r.u64(),
        owner: r.u64(),
        side: r.u8() as 0 | 1,
        price: r.u64(),
        size: r.u64(),
        expiry: r.u64(),
        clientId: r.u64(),
        priority: r.u64(),
      });
    }
    s.markets.set(id, m);
  }
  if (r.pos !== bytes.length) throw new Error("trailing bytes");
  return s;
}

/** keccak256 of the canonical serialization, 0x hex: a full-state fingerprint for tests and logs. */
export function stateDigest(s: ClobState): string {
  const h = keccak_256(serializeState(s));
  let out = "0x";
  for (const b of h) out += b.toString(16).padStart(2, "0");
  return out;
}
