// Witnesses for stateless execution (docs/stf.md "State commitment" / "Witness").
//
// A witness is the pre-state trie pruned to what one batch reads and writes, serialized in pre-order:
//   0x00                      EMPTY
//   0x01 hash(32)             HASH: an untouched subtree, known only by its hash
//   0x02 len(u16) leaf(len)   LEAF: a leaf encoding
//   0x03 c0 c1 c2 c3          NODE: an internal node, its four children follow
// Its root hash is the pre-state root. It holds every leaf the STF reads (accounts, markets, orders, price
// levels, client-id entries, globals, assets; absent keys are shown absent by an EMPTY or a LEAF of another
// key on their path), every leaf the batch writes, and enough structure around deleted leaves to collapse
// the trie (a single remaining sibling is expanded to show whether it is a leaf).
//
// verifyWitness() re-executes the batch from the witness alone: it rebuilds a partial ClobState from the
// witness leaves, runs the real STF on it, derives the leaf changes with the same code the node uses
// (derive.ts) and applies them to the pruned trie; the resulting root must equal the node's post root.

import { type ClobState } from "../clob/state.ts";
import { type ApplyOptions, type Batch, BatchExecutor, type BatchResult } from "../clob/stf.ts";
import { type L1Message, L1MessageKind, Side, type Tx, TxKind } from "../clob/types.ts";
import { type StateCommitment, stateFromLeaves } from "./commitment.ts";
import { type Derived, InsufficientWitness, type PreView, allPuts, deriveChanges } from "./derive.ts";
import { keyPath, keyPathsInto } from "./keypath.ts";
import {
  type AccountLeaf,
  type LevelLeaf,
  type MarketLeaf,
  NONE,
  type OrderLeaf,
  Tag,
  accountKey,
  assetKey,
  clientKey,
  decodeLeaf,
  globalsKey,
  keyLen,
  marketKey,
  orderKey,
} from "./leaves.ts";
import { type Trie, ZERO_HASH, digitAt, leafHashOf, nodeHashOf } from "./trie.ts";

type PNode =
  | { t: 0 }
  | { t: 1; h: Uint8Array; ref: number }
  | { t: 2; enc: Uint8Array; kp: Uint8Array }
  | { t: 3; c: PNode[]; h: Uint8Array | null };

const EMPTY: PNode = { t: 0 };

function eq32(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return false;
  return true;
}

function keyPathOfLeaf(enc: Uint8Array): Uint8Array {
  const kl = keyLen(enc[0]);
  if (kl <= 0 || kl > enc.length) throw new Error("witness: malformed leaf");
  return keyPath(enc.subarray(0, kl));
}

/** A trie of which only some parts are known. Opaque parts are resolved by `expand` or are an error. */
export class PartialTrie {
  root: PNode;
  private readonly expand: ((n: PNode & { t: 1 }) => PNode) | null;

  constructor(root: PNode, expand: ((n: PNode & { t: 1 }) => PNode) | null = null) {
    this.root = root;
    this.expand = expand;
  }

  private resolve(n: PNode): PNode {
    if (n.t !== 1) return n;
    if (this.expand === null) throw new InsufficientWitness("witness: an opaque subtree is needed");
    return this.expand(n);
  }

  put(enc: Uint8Array): void {
    const kp = keyPathOfLeaf(enc);
    const leaf: PNode = { t: 2, enc, kp };
    let parent: (PNode & { t: 3 }) | null = null;
    let pi = 0;
    let depth = 0;
    const set = (n: PNode) => {
      if (parent === null) this.root = n;
      else parent.c[pi] = n;
    };
    for (;;) {
      let node: PNode = parent === null ? this.root : parent.c[pi];
      if (node.t === 1) {
        node = this.resolve(node);
        set(node);
      }
      if (node.t === 0) return set(leaf);
      if (node.t === 2) {
        if (eq32(node.kp, kp)) return set(leaf);
        const old = node;
        for (;;) {
          const n: PNode & { t: 3 } = { t: 3, c: [EMPTY, EMPTY, EMPTY, EMPTY], h: null };
          set(n);
          const da = digitAt(old.kp, 0, depth);
          const db = digitAt(kp, 0, depth);
          if (da !== db) {
            n.c[da] = old;
            n.c[db] = leaf;
            return;
          }
          parent = n;
          pi = da;
          depth++;
        }
      }
      if (node.t !== 3) throw new InsufficientWitness("witness: opaque subtree on an updated path");
      node.h = null;
      parent = node;
      pi = digitAt(kp, 0, depth);
      depth++;
    }
  }

  delete(key: Uint8Array): void {
    const kp = keyPath(key);
    const stack: { n: PNode & { t: 3 }; i: number }[] = [];
    let parent: (PNode & { t: 3 }) | null = null;
    let pi = 0;
    let depth = 0;
    let node: PNode;
    for (;;) {
      node = parent === null ? this.root : parent.c[pi];
      if (node.t === 1) {
        node = this.resolve(node);
        if (parent === null) this.root = node;
        else parent.c[pi] = node;
      }
      if (node.t !== 3) break;
      pi = digitAt(kp, 0, depth);
      stack.push({ n: node, i: pi });
      parent = node;
      depth++;
    }
    if (node.t !== 2 || !eq32(node.kp, kp)) return; // absent: nothing to do
    if (stack.length === 0) {
      this.root = EMPTY;
      return;
    }
    stack[stack.length - 1].n.c[stack[stack.length - 1].i] = EMPTY;
    for (const s of stack) s.n.h = null;
    // Collapse: a node left with a single leaf is replaced by that leaf, upward.
    for (let k = stack.length - 1; k >= 0; k--) {
      const n = stack[k].n;
      let cnt = 0;
      let only = -1;
      for (let j = 0; j < 4; j++) {
        if (n.c[j].t !== 0) {
          cnt++;
          only = j;
        }
      }
      if (cnt !== 1) break;
      const child = this.resolve(n.c[only]);
      n.c[only] = child;
      if (child.t !== 2) break;
      if (k === 0) this.root = child;
      else stack[k - 1].n.c[stack[k - 1].i] = child;
    }
  }

  hash(n: PNode = this.root): Uint8Array {
    switch (n.t) {
      case 0:
        return ZERO_HASH;
      case 1:
        return n.h;
      case 2:
        return leafHashOf(n.enc);
      case 3:
        if (n.h === null) n.h = nodeHashOf(n.c.map((c) => this.hash(c)));
        return n.h;
    }
  }

  /** Every known leaf. */
  leaves(): Uint8Array[] {
    const out: Uint8Array[] = [];
    const walk = (n: PNode) => {
      if (n.t === 2) out.push(n.enc);
      else if (n.t === 3) n.c.forEach(walk);
    };
    walk(this.root);
    return out;
  }
}

// ---- serialization ----

export function serializeWitness(root: PNode): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  const push = (b: Uint8Array) => {
    parts.push(b);
    size += b.length;
  };
  const walk = (n: PNode) => {
    switch (n.t) {
      case 0:
        push(Uint8Array.of(0));
        break;
      case 1: {
        const b = new Uint8Array(33);
        b[0] = 1;
        b.set(n.h, 1);
        push(b);
        break;
      }
      case 2: {
        const b = new Uint8Array(3 + n.enc.length);
        b[0] = 2;
        b[1] = n.enc.length >> 8;
        b[2] = n.enc.length & 255;
        b.set(n.enc, 3);
        push(b);
        break;
      }
      case 3:
        push(Uint8Array.of(3));
        n.c.forEach(walk);
        break;
    }
  };
  walk(root);
  const out = new Uint8Array(size);
  let p = 0;
  for (const b of parts) {
    out.set(b, p);
    p += b.length;
  }
  return out;
}

export function parseWitness(bytes: Uint8Array): PartialTrie {
  let p = 0;
  const rd = (depth: number): PNode => {
    if (p >= bytes.length) throw new Error("witness: truncated");
    if (depth > 128) throw new Error("witness: too deep");
    const t = bytes[p++];
    switch (t) {
      case 0:
        return EMPTY;
      case 1: {
        if (p + 32 > bytes.length) throw new Error("witness: truncated");
        const h = bytes.slice(p, p + 32);
        p += 32;
        return { t: 1, h, ref: 0 };
      }
      case 2: {
        if (p + 2 > bytes.length) throw new Error("witness: truncated");
        const len = (bytes[p] << 8) | bytes[p + 1];
        p += 2;
        if (len === 0 || p + len > bytes.length) throw new Error("witness: bad leaf");
        const enc = bytes.slice(p, p + len);
        p += len;
        return { t: 2, enc, kp: keyPathOfLeaf(enc) };
      }
      case 3:
        return { t: 3, c: [rd(depth + 1), rd(depth + 1), rd(depth + 1), rd(depth + 1)], h: null };
      default:
        throw new Error(`witness: bad node tag ${t}`);
    }
  };
  const root = rd(0);
  if (p !== bytes.length) throw new Error("witness: trailing bytes");
  // Leaves must sit on their own key path.
  const check = (n: PNode, prefix: number[]) => {
    if (n.t === 2) {
      for (let i = 0; i < prefix.length; i++) if (digitAt(n.kp, 0, i) !== prefix[i]) throw new Error("witness: leaf off its path");
    } else if (n.t === 3) n.c.forEach((c, i) => check(c, [...prefix, i]));
  };
  check(root, []);
  return new PartialTrie(root);
}

// ---- generation (full node) ----

/** Read keys of one transaction that the dirty set does not show (lookups that changed nothing). */
function txReadKeys(state: ClobState, tx: Tx, now: number, out: Uint8Array[]): void {
  if (typeof tx !== "object" || tx === null || typeof tx.account !== "string") return;
  if (tx.kind === TxKind.BULK) {
    // Each action reads what the single transaction of its kind would (against the pre-bulk book).
    if (!Array.isArray(tx.actions)) return;
    for (const a of tx.actions) {
      if (a !== null && typeof a === "object") txReadKeys(state, { ...a, kind: a.op, account: tx.account, nonce: tx.nonce, sig: tx.sig } as Tx, now, out);
    }
    return;
  }
  const account = tx.account.toLowerCase();
  if (/^0x[0-9a-f]{40}$/.test(account)) out.push(accountKey(account));
  const t = tx as Tx & { market?: number; orderId?: number; clientId?: number; asset?: number };
  if (typeof t.orderId === "number" && Number.isSafeInteger(t.orderId) && t.orderId >= 0) out.push(orderKey(t.orderId));
  if (typeof t.asset === "number" && Number.isSafeInteger(t.asset) && t.asset >= 0 && t.asset <= 0xffffffff) out.push(assetKey(t.asset));
  if (typeof t.market === "number" && Number.isSafeInteger(t.market) && t.market >= 0 && t.market <= 0xffffffff) {
    out.push(marketKey(t.market));
    const owner = state.accountIndex.get(account);
    const m = state.markets.get(t.market);
    if (owner !== undefined && typeof t.clientId === "number" && t.clientId > 0 && Number.isSafeInteger(t.clientId)) {
      out.push(clientKey(t.market, owner, t.clientId));
      // The book answers client-id lookups from the resting order that holds the id: include it.
      const holder = m?.book.findByClientId(owner, t.clientId);
      if (holder !== undefined) out.push(orderKey(holder.id));
    }
    if (m !== undefined && (tx.kind === TxKind.PLACE || tx.kind === TxKind.AMEND)) {
      // Orders the book may read without changing them: the opposite side in matching order at crossing
      // prices (post-only / amend cross checks, FOK, a self-trade stop), up to the size plus one.
      let side: number;
      let price: number;
      let size: number;
      let ownerIdx = owner ?? -1;
      if (tx.kind === TxKind.PLACE) {
        side = tx.side;
        price = tx.price; // MARKET: the protection price bounds the walk the same way
        size = tx.size;
      } else {
        const o = m.book.getOrder(tx.orderId);
        if (o === undefined) return;
        side = o.side;
        price = tx.price;
        size = 0;
        ownerIdx = o.owner;
      }
      if (!Number.isSafeInteger(price) || !Number.isSafeInteger(size)) return;
      const opp = side === Side.BUY ? Side.SELL : Side.BUY;
      let need = size;
      let extra = 1;
      // Levels best first, fetched in growing chunks (most walks end within the first level or two).
      for (let done = 0, want = 4; ; want *= 4) {
        const levels = m.book.depth(opp as Side, want);
        for (; done < levels.length; done++) {
          const lvl = levels[done];
          if (side === Side.BUY ? lvl.price > price : lvl.price < price) return;
          for (const o of m.book.levelOrders(opp as Side, lvl.price)) {
            out.push(orderKey(o.id));
            // Expired orders are skipped (or removed) by the book; self orders may stop it: neither counts.
            if (o.owner === ownerIdx || (o.expiry !== 0 && o.expiry <= now)) continue;
            if (need > 0) need -= o.size;
            else if (extra-- <= 0) return;
          }
        }
        if (levels.length < want) break;
      }
    }
  }
}

function l1ReadKeys(state: ClobState, msg: L1Message, out: Uint8Array[]): void {
  const m = msg as L1Message & { account?: string; asset?: number; market?: number; orderId?: number };
  if (typeof m.account === "string" && /^0x[0-9a-fA-F]{40}$/.test(m.account)) out.push(accountKey(m.account.toLowerCase()));
  if (typeof m.asset === "number" && Number.isSafeInteger(m.asset) && m.asset >= 0 && m.asset <= 0xffffffff) out.push(assetKey(m.asset));
  if (typeof m.market === "number" && Number.isSafeInteger(m.market) && m.market >= 0 && m.market <= 0xffffffff) {
    out.push(marketKey(m.market));
    // A fee change re-locks every resting buy order of the market (docs/stf.md SET_MARKET): all of them
    // and their owners are read.
    const mk = state.markets.get(m.market);
    if (msg.kind === L1MessageKind.SET_MARKET && mk !== undefined) {
      for (const o of mk.book.orders()) {
        if (o.side !== Side.BUY) continue;
        out.push(orderKey(o.id));
        const a = state.accounts[o.owner];
        if (a !== undefined) out.push(accountKey(a.address));
      }
    }
  }
  if (typeof m.orderId === "number" && Number.isSafeInteger(m.orderId) && m.orderId > 0) out.push(orderKey(m.orderId));
}

/**
 * Apply a batch tx by tx (the same steps as applyBatch) while recording the keys each transaction reads,
 * for witness generation. Returns the STF result and the read keys per transaction (L1 messages first,
 * as one extra leading entry).
 */
export function applyBatchRecording(
  state: ClobState,
  batch: Batch,
  l1Messages: readonly L1Message[],
  options: ApplyOptions = {},
): { result: BatchResult; reads: Uint8Array[][] } {
  const l1Keys: Uint8Array[] = [globalsKey()];
  for (const m of l1Messages) l1ReadKeys(state, m, l1Keys);
  // The proposer reward moves fees from the fee account to the proposer (docs/stf.md "Proposer reward").
  if (batch.proposer !== undefined) l1Keys.push(accountKey(batch.proposer.toLowerCase()), accountKey(state.config.feeAccount));
  const ex = new BatchExecutor(state, batch, l1Messages, options);
  const reads: Uint8Array[][] = [l1Keys];
  for (const tx of batch.txs) {
    const keys: Uint8Array[] = [];
    txReadKeys(state, tx, batch.timestamp, keys);
    reads.push(keys);
    ex.applyTx(tx);
  }
  return { result: ex.finish(), reads };
}

/** The leaf key of a leaf encoding. */
function keyOf(enc: Uint8Array): Uint8Array {
  return enc.subarray(0, keyLen(enc[0]));
}

export interface WitnessBuild {
  bytes: Uint8Array;
  /** Serialized bytes attributed to each transaction (first one: the L1 messages and batch overhead). */
  perTx: number[];
}

/**
 * Build the witness of a batch from the node's trie holding the PRE-state (call after applyBatchRecording
 * and sc.derive, before sc.applyDerived). `reads` are per-transaction read keys, `derived` the batch's
 * changes, `pvKeys` the pre-state keys derive() looked at.
 */
export function buildWitness(trie: Trie, reads: Uint8Array[][], derived: Derived, pvKeys: Uint8Array[]): WitnessBuild {
  const expanded = new Set<number>();
  // 1. Key paths of every key the batch reads or writes, hashed in one call.
  const groups: Uint8Array[][] = [...reads, [...[...allPuts(derived)].map(keyOf), ...derived.dels, ...pvKeys]];
  let nKeys = 0;
  let total = 0;
  for (const g of groups) for (const k of g) {
    nKeys++;
    total += k.length;
  }
  const data = new Uint8Array(total);
  const offs = new Uint32Array(nKeys + 1);
  let p = 0;
  let i = 0;
  for (const g of groups) for (const k of g) {
    data.set(k, p);
    p += k.length;
    offs[++i] = p;
  }
  const kps = new Uint8Array(32 * nKeys);
  keyPathsInto(data, offs, nKeys, kps);
  // 2. Expand their paths; remember which group first expanded each ref (attribution).
  const firstBy: number[][] = groups.map(() => []);
  let ki = 0;
  groups.forEach((g, gi) => {
    for (let j = 0; j < g.length; j++, ki++) {
      const off = 32 * ki;
      let ref = trie.rootRef();
      let depth = 0;
      for (;;) {
        if (ref !== 0 && !expanded.has(ref)) {
          expanded.add(ref);
          firstBy[gi].push(ref);
        }
        if (ref <= 0) break;
        ref = trie.childRef(ref, digitAt(kps, off, depth));
        depth++;
      }
    }
  });
  const rest = firstBy[groups.length - 1];
  // 3. Deletions may collapse the trie around a remaining sibling, which must then be shown: simulate the
  //    deletions on a lazily expanded copy and expand whatever they look at. (Puts only walk their own,
  //    already expanded, paths.)
  const nodeOf = (ref: number): PNode => (ref === 0 ? EMPTY : { t: 1, h: ZERO_HASH, ref });
  const sim = new PartialTrie(nodeOf(trie.rootRef()), (n) => {
    const ref = n.ref;
    if (!expanded.has(ref)) {
      expanded.add(ref);
      rest.push(ref);
    }
    if (ref < 0) return { t: 2, enc: trie.leafEncOf(ref), kp: trie.leafKeyPathOf(ref).slice() };
    return { t: 3, c: [0, 1, 2, 3].map((k) => nodeOf(trie.childRef(ref, k))), h: null };
  });
  for (const k of derived.dels) sim.delete(k);
  // 4. Serialize the pre-state trie pruned to the expanded refs, straight from the trie.
  const refBytes = (ref: number): number => {
    if (ref < 0) return 3 + trie.leafLenOf(ref);
    let n = 1;
    for (let k = 0; k < 4; k++) {
      const c = trie.childRef(ref, k);
      n += c === 0 ? 1 : expanded.has(c) ? 0 : 33;
    }
    return n;
  };
  let size = 0;
  for (const r of expanded) size += refBytes(r);
  if (trie.rootRef() === 0) size = 1;
  const out = new Uint8Array(size);
  let q = 0;
  const emit = (ref: number) => {
    if (ref === 0) {
      out[q++] = 0;
    } else if (!expanded.has(ref)) {
      out[q++] = 1;
      trie.copyRefHash(ref, out, q);
      q += 32;
    } else if (ref < 0) {
      const len = trie.leafLenOf(ref);
      out[q++] = 2;
      out[q++] = len >> 8;
      out[q++] = len & 255;
      q += trie.copyLeafEnc(ref, out, q);
    } else {
      out[q++] = 3;
      for (let k = 0; k < 4; k++) emit(trie.childRef(ref, k));
    }
  };
  emit(trie.rootRef());
  if (q !== size) throw new Error("witness: size mismatch");
  // Attribution: each expanded ref's bytes to the transaction that first needed it; derived-only structure
  // (price levels, FIFO neighbours, collapse siblings) is spread evenly over the transactions.
  const perTx = firstBy.slice(0, reads.length).map((refs) => refs.reduce((a, r) => a + refBytes(r), 0));
  const restBytes = rest.reduce((a, r) => a + refBytes(r), 0) + (trie.rootRef() === 0 ? 1 : 0);
  const n = Math.max(1, perTx.length - 1);
  for (let j = 1; j < perTx.length; j++) perTx[j] += restBytes / n;
  if (perTx.length === 1) perTx[0] += restBytes;
  return { bytes: out, perTx };
}

// ---- stateless verification ----

function witnessPreView(leaves: Uint8Array[]): PreView {
  const orders = new Map<number, OrderLeaf>();
  const succ = new Map<number, number>();
  const levels = new Map<string, LevelLeaf>();
  const sides = new Map<string, LevelLeaf[]>();
  const markets = new Map<number, MarketLeaf>();
  const accounts = new Map<number, AccountLeaf>();
  for (const e of leaves) {
    const d = decodeLeaf(e);
    if (d.tag === Tag.ORDER) {
      orders.set(d.v.id, d.v);
      if (d.v.prev !== 0) succ.set(d.v.prev, d.v.id);
    } else if (d.tag === Tag.LEVEL) {
      levels.set(`${d.v.market}:${d.v.side}:${d.v.price}`, d.v);
      const k = `${d.v.market}:${d.v.side}`;
      let a = sides.get(k);
      if (a === undefined) sides.set(k, (a = []));
      a.push(d.v);
    } else if (d.tag === Tag.MARKET) markets.set(d.v.id, d.v);
    else if (d.tag === Tag.ACCOUNT) accounts.set(d.v.index, d.v);
  }
  const better = (side: number, a: number, b: number) => (side === Side.BUY ? a > b : a < b);
  return {
    order: (id) => orders.get(id),
    orderSucc(id) {
      const s = succ.get(id);
      if (s !== undefined) return s;
      // No witness leaf follows it: only right if it was its level's tail.
      const o = orders.get(id);
      const l = o === undefined ? undefined : levels.get(`${o.market}:${o.side}:${o.price}`);
      if (l === undefined || l.tail !== id) throw new InsufficientWitness(`witness: the order after ${id} is missing`);
      return 0;
    },
    level: (m, side, price) => levels.get(`${m}:${side}:${price}`),
    levelBetter(m, side, price) {
      let best: LevelLeaf | undefined;
      for (const l of sides.get(`${m}:${side}`) ?? []) {
        if (better(side, l.price, price) && (best === undefined || better(side, best.price, l.price))) best = l;
      }
      if (best !== undefined) {
        if (best.next !== NONE && better(side, best.next, price)) throw new InsufficientWitness("witness: a price level is missing");
        return best.price;
      }
      const mk = markets.get(m);
      const top = mk === undefined ? NONE : side === Side.BUY ? mk.bestBid : mk.bestAsk;
      if (top !== NONE && better(side, top, price)) throw new InsufficientWitness("witness: a price level is missing");
      return NONE;
    },
    market: (id) => markets.get(id),
    account: (index) => accounts.get(index),
  };
}

/**
 * Re-execute a batch from its witness alone. Checks the witness against `preRoot`, runs the STF on the
 * partial state and returns the post-state root (compare it with the claimed one). Throws
 * InsufficientWitness when the witness lacks something the batch needs.
 */
export function verifyWitness(
  witness: Uint8Array,
  preRoot: Uint8Array,
  batch: Batch,
  l1Messages: readonly L1Message[],
  options: ApplyOptions = {},
): { postRoot: Uint8Array; result: BatchResult } {
  const pt = parseWitness(witness);
  if (!eq32(pt.hash(), preRoot)) throw new Error("witness: does not match the pre-state root");
  const leaves = pt.leaves();
  const state = stateFromLeaves(leaves, true);
  const ex = new BatchExecutor(state, batch, l1Messages, options);
  for (const tx of batch.txs) ex.applyTx(tx);
  const result = ex.finish();
  const derived = deriveChanges(state, witnessPreView(leaves));
  for (const k of derived.dels) pt.delete(k);
  for (const e of allPuts(derived)) pt.put(e);
  return { postRoot: pt.hash(), result };
}

/** Full-node helper: apply a batch, build its witness and commit. Returns the witness and the new root. */
export function applyAndWitness(
  sc: StateCommitment,
  state: ClobState,
  batch: Batch,
  l1Messages: readonly L1Message[],
  options: ApplyOptions = {},
): { root: Uint8Array; witness: WitnessBuild; result: BatchResult; derived: Derived } {
  const { result, reads } = applyBatchRecording(state, batch, l1Messages, options);
  const pvKeys: Uint8Array[] = [];
  const generic = sc.deriveGeneric(state, pvKeys);
  const witness = buildWitness(sc.trie, reads, generic, pvKeys);
  const { root, derived } = sc.commitBatch(state);
  return { root, witness, result, derived };
}
