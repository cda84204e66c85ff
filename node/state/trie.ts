// The state trie: a canonical, path-compressed 4-ary Merkle trie keyed by the key paths of leaf keys.
// docs/stf.md "State commitment" is the normative description; in short:
//
//   keyPath(leaf)  = keypath.ts keyPath(key) where key = the first keyLen(tag) bytes of the leaf encoding
//   digit i        = bits (2i, 2i+1) of keyPath, most significant first (4 digits per byte)
//   node at prefix P: no key with prefix P -> EMPTY, hash 0x00*32
//                     exactly one key      -> LEAF,  hash keccak256(0x00 || leafEncoding)
//                     two or more keys     -> NODE,  hash keccak256(0x01 || h(P0) || h(P1) || h(P2) || h(P3))
//   root = hash of the node at the empty prefix.
//
// The shape depends only on the set of keys, so the root depends only on the set of leaves, never on
// insertion order. A NODE preimage is 129 bytes: one keccak-f permutation.
//
// Implementation: typed-array pools (children refs, hashes) with free lists; updates are buffered and
// applied by commit(), which hashes key paths, dirty leaves and dirty nodes in a few native batch calls
// (nodes grouped by depth, deepest first), so a shared path node is hashed once per commit.

import {
  copySlots, hashDirtyLeaves, hashDirtyNodes, keccak256, keccakMany, nativeKeyPathOrder, nativeTrieApply,
} from "./keccak.ts";
import { keyLenTable, keyPath, keyPathsInto, keyPathsOfLeaves } from "./keypath.ts";
import type { LeafBatch } from "./leaves.ts";

/** Leaf encodings up to this many bytes live in a flat arena (no per-leaf objects for the GC to trace). */
const SLOT = 128;

/** Length of the key part (tag byte included) of a leaf encoding, from its tag byte. */
export type KeyLenFn = (tag: number) => number;

export const ZERO_HASH: Uint8Array = new Uint8Array(32);

/** Proof for one key: 3 sibling hashes per level from the root down, then what sits at the key's position. */
export interface TrieProof {
  /** 96 bytes per level: the hashes of the three other children, in child-index order. */
  siblings: Uint8Array;
  /** The leaf encoding at the end of the path (the key itself: inclusion; another key: exclusion), or null: empty. */
  leaf: Uint8Array | null;
}

/**
 * The stable permutation of n ops (key paths, 32 bytes each in kps) that sorts them by key path: ties,
 * repeated keys included, stay in submission order. Consecutive ops then share their path's upper nodes,
 * which the structural update finds in cache and resumes from; the resulting shape is the same (it depends
 * only on the key set, and ops on one key keep their order). A sort by a prefix is not enough: order ids
 * share their first 16 bits, so a batch's orders would stay in submission order. Native: an MSD radix
 * sort; JS (`native` false, or no addon): a comparison sort.
 */
export function keyPathOrder(kps: Uint8Array, n: number, native = true): Uint32Array {
  const order = new Uint32Array(n);
  if (native && nativeKeyPathOrder !== null) {
    nativeKeyPathOrder(kps, order);
    return order;
  }
  for (let i = 0; i < n; i++) order[i] = i;
  return order.sort((a, b) => {
    for (let k = 0; k < 32; k++) {
      const d = kps[32 * a + k] - kps[32 * b + k];
      if (d !== 0) return d;
    }
    return a - b;
  });
}

export function digitAt(buf: Uint8Array, off: number, i: number): number {
  return (buf[off + (i >> 2)] >> (6 - ((i & 3) << 1))) & 3;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function leafHashOf(enc: Uint8Array): Uint8Array {
  const buf = new Uint8Array(enc.length + 1);
  buf.set(enc, 1);
  return keccak256(buf);
}

export function nodeHashOf(c: Uint8Array[]): Uint8Array {
  const buf = new Uint8Array(129);
  buf[0] = 1;
  for (let k = 0; k < 4; k++) buf.set(c[k], 1 + 32 * k);
  return keccak256(buf);
}

// Scalar state shared with the native trieApply (native/keccak/src/keccak.c, same order).
const M = {
  ROOT: 0, NODETOP: 1, NODECAP: 2, LEAFTOP: 3, LEAFCAP: 4, NODEFREEN: 5, LEAFFREEN: 6, LEAFCOUNT: 7,
  DIRTYN: 8, DIRTYL: 9, DIRTYNCAP: 10, DIRTYLCAP: 11, NODEFREECAP: 12, LEAFFREECAP: 13, LEN: 14,
} as const;

function grow32(a: Int32Array, min: number): Int32Array<ArrayBuffer> {
  let cap = a.length;
  while (cap < min) cap *= 2;
  const b = new Int32Array(cap);
  b.set(a);
  return b;
}

export class Trie {
  readonly keyLen: KeyLenFn;
  /** keyLen per tag byte. */
  private readonly keyLens: Int32Array;
  /** Scalars (see M): root ref (0 empty, n+1 internal node n, -(l+1) leaf l), pool tops, counts. */
  private readonly meta = new Int32Array(M.LEN);
  // Internal nodes.
  private children = new Int32Array(4 * 1024);
  private nodeHash = new Uint8Array(32 * 1024);
  private nodeDepth = new Uint8Array(1024);
  private nodeFlag = new Uint8Array(1024);
  private nodeFree = new Int32Array(1024);
  // Leaves.
  private leafKey = new Uint8Array(32 * 1024);
  private leafKey32 = new Uint32Array(this.leafKey.buffer);
  private leafHash = new Uint8Array(32 * 1024);
  private leafFlag = new Uint8Array(1024);
  private leafFree = new Int32Array(1024);
  private leafArena = new Uint8Array(SLOT * 1024);
  private leafLen = new Uint16Array(1024);
  /** Encodings longer than SLOT bytes. */
  private leafBig = new Map<number, Uint8Array>();
  // Dirty lists of the current commit (flag 1 = listed).
  private dirtyNodes = new Int32Array(4096);
  private dirtyLeaves = new Int32Array(1024);
  /** Buffered updates: a leaf encoding (put) or a key (delete, marked by `del`). */
  private pendingEnc: Uint8Array[] = [];
  private pendingDel: boolean[] = [];
  /** Leaf batches to put after the single operations (commit hot path). */
  private pendingBatches: LeafBatch[] = [];
  private readonly stackN = new Int32Array(132);
  private readonly stackD = new Int32Array(132);
  /** Use the native structural update when the addon provides it. */
  useNative: boolean;
  /** Timings (ms) and counts of the last commit(), for benchmarks. */
  readonly stats = { keyMs: 0, structMs: 0, leafMs: 0, nodeMs: 0, leaves: 0, nodes: 0 };

  constructor(keyLen: KeyLenFn, opts: { native?: boolean } = {}) {
    this.keyLen = keyLen;
    this.keyLens = keyLenTable(keyLen);
    this.useNative = (opts.native ?? true) && nativeTrieApply !== null;
    const m = this.meta;
    m[M.NODECAP] = 1024;
    m[M.LEAFCAP] = 1024;
    m[M.NODEFREECAP] = 1024;
    m[M.LEAFFREECAP] = 1024;
    m[M.DIRTYNCAP] = 4096;
    m[M.DIRTYLCAP] = 1024;
  }

  /** Number of leaves (committed). */
  get size(): number {
    return this.meta[M.LEAFCOUNT];
  }

  /** Buffer an insert or replace of the leaf `enc` (its key is its first keyLen(enc[0]) bytes). */
  put(enc: Uint8Array): void {
    this.pendingEnc.push(enc);
    this.pendingDel.push(false);
  }

  /** Buffer the removal of `key` (absent keys are ignored). */
  delete(key: Uint8Array): void {
    this.pendingEnc.push(key);
    this.pendingDel.push(true);
  }

  /** Buffer a batch of leaf puts (applied by commit() after the single puts and deletes). */
  putBatch(b: LeafBatch): void {
    this.pendingBatches.push(b);
  }

  get pendingCount(): number {
    let n = this.pendingEnc.length;
    for (const b of this.pendingBatches) n += b.count;
    return n;
  }

  /** Apply buffered updates in order and rehash what changed. Returns the root. */
  commit(): Uint8Array {
    const encs = this.pendingEnc;
    const dels = this.pendingDel;
    const n = encs.length;
    const st = this.stats;
    let t0 = performance.now();
    st.keyMs = st.structMs = 0;
    if (n > 0) {
      this.pendingEnc = [];
      this.pendingDel = [];
      // 1. key paths, one batch call (deletes are bare keys, puts leaf encodings: both start with the key)
      let total = 0;
      for (let i = 0; i < n; i++) total += encs[i].length;
      const data = new Uint8Array(total);
      const offs = new Uint32Array(n + 1);
      const isDel = new Uint8Array(n);
      let p = 0;
      for (let i = 0; i < n; i++) {
        const e = encs[i];
        if (dels[i] && e.length !== this.keyLens[e[0]]) throw new Error(`trie: bad key (tag ${e[0]}, ${e.length} bytes)`);
        data.set(e, p);
        p += e.length;
        offs[i + 1] = p;
        if (dels[i]) isDel[i] = 1;
      }
      const kps = new Uint8Array(32 * n);
      keyPathsOfLeaves(data, offs, n, kps, this.keyLens);
      const t1 = performance.now();
      st.keyMs = t1 - t0;
      t0 = t1;
      // 2. structure
      const { leaf, order } = this.applyOps(kps, isDel, n);
      // 3. leaf encodings, in the order the ops were applied (a slot freed by a removal may be reused)
      for (let j = 0; j < n; j++) {
        const i = order[j];
        if (leaf[i] >= 0) this.storeEnc(leaf[i], encs[i]);
      }
      st.structMs = performance.now() - t0;
    }
    const batches = this.pendingBatches;
    if (batches.length > 0) {
      this.pendingBatches = [];
      for (const b of batches) this.applyBatch(b);
    }
    this.rehash();
    return this.rootHash();
  }

  /** Apply a leaf batch (puts only): key paths, structure and encodings without per-leaf objects. */
  private applyBatch(b: LeafBatch): void {
    const st = this.stats;
    let t0 = performance.now();
    const n = b.count;
    if (n === 0) return;
    const data = b.data;
    const offs = b.offs.subarray(0, n + 1);
    const kps = new Uint8Array(32 * n);
    keyPathsOfLeaves(data, offs, n, kps, this.keyLens);
    const t1 = performance.now();
    st.keyMs += t1 - t0;
    t0 = t1;
    // Puts only: no slot is freed, so encodings need not follow the application order.
    const opLeaf = this.applyOps(kps, new Uint8Array(n), n).leaf;
    // Encodings: short ones straight into their slots; long ones (rare: big accounts) through the map.
    copySlots(data, offs, opLeaf, this.leafArena, this.leafLen, SLOT);
    for (let i = 0; i < n; i++) {
      const l = opLeaf[i];
      if (offs[i + 1] - offs[i] > SLOT) this.storeEnc(l, data.slice(offs[i], offs[i + 1]));
      else if (this.leafBig.size > 0) this.leafBig.delete(l);
    }
    st.structMs += performance.now() - t0;
  }

  /**
   * Structural update for n key paths (32 bytes each in kps): insert, or remove where isDel[i]. Ops on the
   * same key keep their order; the others are applied in key-path order (see keyPathOrder). Returns each
   * op's leaf slot (-1 for a removal), indexed like the input, and the order the ops were applied in.
   */
  private applyOps(kps: Uint8Array, isDel: Uint8Array, n: number): { leaf: Int32Array; order: Uint32Array } {
    const order = keyPathOrder(kps, n, this.useNative);
    const leaf = new Int32Array(n);
    if (this.useNative) {
      let j = 0;
      while (j < n) {
        this.reserve(n - j);
        j = nativeTrieApply!(
          this.meta, this.children, this.nodeDepth, this.nodeFlag, this.leafKey, this.leafFlag, this.nodeFree,
          this.leafFree, this.dirtyNodes, this.dirtyLeaves, kps, isDel, leaf, j, order,
        );
      }
    } else {
      const kps32 = new Uint32Array(kps.buffer, kps.byteOffset, 8 * n);
      for (let j = 0; j < n; j++) {
        const i = order[j];
        this.reserve(1);
        leaf[i] = isDel[i] ? (this.remove(kps, kps32, 32 * i), -1) : this.insert(kps, kps32, 32 * i);
      }
    }
    return { leaf, order };
  }

  rootHash(): Uint8Array {
    return this.refHash(this.meta[M.ROOT]);
  }

  private refHash(r: number): Uint8Array {
    if (r === 0) return ZERO_HASH.slice();
    if (r > 0) return this.nodeHash.slice(32 * (r - 1), 32 * r);
    return this.leafHash.slice(32 * (-r - 1), 32 * -r);
  }

  // ---- pools ----

  /**
   * Make room for `ops` more operations without reallocating mid-way (the native path holds raw
   * pointers). One op needs at most 129 new nodes, 1 leaf, 130 dirty nodes, 130 freed nodes.
   */
  private reserve(ops: number): void {
    const m = this.meta;
    const want = Math.min(ops, 1 << 16);
    if (m[M.NODETOP] + 130 + 2 * want > m[M.NODECAP] && m[M.NODEFREEN] < 130 + 2 * want) this.growNodes(m[M.NODETOP] + 130 + 2 * want);
    if (m[M.LEAFTOP] + 1 + want > m[M.LEAFCAP] && m[M.LEAFFREEN] < 1 + want) this.growLeaves(m[M.LEAFTOP] + 1 + want);
    if (m[M.DIRTYN] + 131 + 4 * want > m[M.DIRTYNCAP]) {
      this.dirtyNodes = grow32(this.dirtyNodes, m[M.DIRTYN] + 131 + 4 * want);
      m[M.DIRTYNCAP] = this.dirtyNodes.length;
    }
    if (m[M.DIRTYL] + 2 + want > m[M.DIRTYLCAP]) {
      this.dirtyLeaves = grow32(this.dirtyLeaves, m[M.DIRTYL] + 2 + want);
      m[M.DIRTYLCAP] = this.dirtyLeaves.length;
    }
    if (m[M.NODEFREEN] + 130 + 2 * want > m[M.NODEFREECAP]) {
      this.nodeFree = grow32(this.nodeFree, m[M.NODEFREEN] + 130 + 2 * want);
      m[M.NODEFREECAP] = this.nodeFree.length;
    }
    if (m[M.LEAFFREEN] + 1 + want > m[M.LEAFFREECAP]) {
      this.leafFree = grow32(this.leafFree, m[M.LEAFFREEN] + 1 + want);
      m[M.LEAFFREECAP] = this.leafFree.length;
    }
  }

  /** Pre-size the pools for `leaves` leaves (bulk builds). */
  reserveLeaves(leaves: number): void {
    if (leaves > this.meta[M.LEAFCAP]) this.growLeaves(leaves);
    if (Math.ceil(leaves / 2) > this.meta[M.NODECAP]) this.growNodes(Math.ceil(leaves / 2));
  }

  private growNodes(min: number): void {
    let cap = this.meta[M.NODECAP];
    while (cap < min) cap *= 2;
    const ch = new Int32Array(4 * cap);
    ch.set(this.children);
    this.children = ch;
    const h = new Uint8Array(32 * cap);
    h.set(this.nodeHash);
    this.nodeHash = h;
    const d = new Uint8Array(cap);
    d.set(this.nodeDepth);
    this.nodeDepth = d;
    const f = new Uint8Array(cap);
    f.set(this.nodeFlag);
    this.nodeFlag = f;
    this.meta[M.NODECAP] = cap;
  }

  private growLeaves(min: number): void {
    let cap = this.meta[M.LEAFCAP];
    while (cap < min) cap *= 2;
    const k = new Uint8Array(32 * cap);
    k.set(this.leafKey);
    this.leafKey = k;
    this.leafKey32 = new Uint32Array(k.buffer);
    const h = new Uint8Array(32 * cap);
    h.set(this.leafHash);
    this.leafHash = h;
    const f = new Uint8Array(cap);
    f.set(this.leafFlag);
    this.leafFlag = f;
    const a = new Uint8Array(SLOT * cap);
    a.set(this.leafArena);
    this.leafArena = a;
    const ln = new Uint16Array(cap);
    ln.set(this.leafLen);
    this.leafLen = ln;
    this.meta[M.LEAFCAP] = cap;
  }

  private newNode(depth: number): number {
    const m = this.meta;
    const n = m[M.NODEFREEN] > 0 ? this.nodeFree[--m[M.NODEFREEN]] : m[M.NODETOP]++;
    const c = 4 * n;
    this.children[c] = this.children[c + 1] = this.children[c + 2] = this.children[c + 3] = 0;
    this.nodeDepth[n] = depth;
    this.nodeFlag[n] = 0;
    return n;
  }

  private freeNode(n: number): void {
    this.nodeFlag[n] = 0;
    this.nodeFree[this.meta[M.NODEFREEN]++] = n;
  }

  private newLeaf(kps: Uint8Array, off: number): number {
    const m = this.meta;
    const l = m[M.LEAFFREEN] > 0 ? this.leafFree[--m[M.LEAFFREEN]] : m[M.LEAFTOP]++;
    this.leafKey.set(kps.subarray(off, off + 32), 32 * l);
    this.leafFlag[l] = 1;
    this.dirtyLeaves[m[M.DIRTYL]++] = l;
    m[M.LEAFCOUNT]++;
    return l;
  }

  private storeEnc(l: number, enc: Uint8Array): void {
    if (enc.length <= SLOT) {
      this.leafArena.set(enc, SLOT * l);
      this.leafLen[l] = enc.length;
      if (this.leafBig.size > 0) this.leafBig.delete(l);
    } else {
      this.leafLen[l] = 0xffff;
      this.leafBig.set(l, enc.slice());
    }
  }

  private encOf(l: number): Uint8Array {
    const len = this.leafLen[l];
    return len === 0xffff ? this.leafBig.get(l)! : this.leafArena.slice(SLOT * l, SLOT * l + len);
  }

  private freeLeaf(l: number): void {
    this.leafFlag[l] = 0;
    if (this.leafLen[l] === 0xffff) this.leafBig.delete(l);
    this.leafFree[this.meta[M.LEAFFREEN]++] = l;
    this.meta[M.LEAFCOUNT]--;
  }

  private markNode(n: number): void {
    if (this.nodeFlag[n] === 0) {
      this.nodeFlag[n] = 1;
      this.dirtyNodes[this.meta[M.DIRTYN]++] = n;
    }
  }

  private sameKey(l: number, kps32: Uint32Array, off: number): boolean {
    const a = this.leafKey32;
    const b = 8 * l;
    const c = off >> 2;
    for (let i = 0; i < 8; i++) if (a[b + i] !== kps32[c + i]) return false;
    return true;
  }

  private setSlot(pn: number, pd: number, ref: number): void {
    if (pn < 0) this.meta[M.ROOT] = ref;
    else this.children[4 * pn + pd] = ref;
  }

  // ---- structure (the JS twin of trieApply in native/keccak/src/keccak.c) ----

  /** Insert or replace; returns the leaf index. */
  private insert(kps: Uint8Array, kps32: Uint32Array, off: number): number {
    let depth = 0;
    let pn = -1;
    let pd = 0;
    let ref = this.meta[M.ROOT];
    const ch = this.children;
    while (ref > 0) {
      const n = ref - 1;
      this.markNode(n);
      const d = digitAt(kps, off, depth);
      pn = n;
      pd = d;
      ref = ch[4 * n + d];
      depth++;
    }
    if (ref === 0) {
      const l = this.newLeaf(kps, off);
      this.setSlot(pn, pd, -(l + 1));
      return l;
    }
    const l = -ref - 1;
    if (this.sameKey(l, kps32, off)) {
      if (this.leafFlag[l] !== 1) {
        this.leafFlag[l] = 1;
        this.dirtyLeaves[this.meta[M.DIRTYL]++] = l;
      }
      return l;
    }
    const nl = this.newLeaf(kps, off);
    const lk = this.leafKey;
    for (;;) {
      if (depth >= 128) throw new Error("trie: key path collision");
      const n = this.newNode(depth);
      this.setSlot(pn, pd, n + 1);
      this.markNode(n);
      const da = digitAt(lk, 32 * l, depth);
      const db = digitAt(kps, off, depth);
      if (da !== db) {
        this.children[4 * n + da] = -(l + 1);
        this.children[4 * n + db] = -(nl + 1);
        return nl;
      }
      pn = n;
      pd = da;
      depth++;
    }
  }

  private remove(kps: Uint8Array, kps32: Uint32Array, off: number): void {
    const sN = this.stackN;
    const sD = this.stackD;
    const ch = this.children;
    let sp = 0;
    let ref = this.meta[M.ROOT];
    let depth = 0;
    while (ref > 0) {
      const n = ref - 1;
      const d = digitAt(kps, off, depth);
      sN[sp] = n;
      sD[sp] = d;
      sp++;
      ref = ch[4 * n + d];
      depth++;
    }
    if (ref === 0) return;
    const l = -ref - 1;
    if (!this.sameKey(l, kps32, off)) return;
    this.freeLeaf(l);
    if (sp === 0) {
      this.meta[M.ROOT] = 0;
      return;
    }
    ch[4 * sN[sp - 1] + sD[sp - 1]] = 0;
    let i = sp - 1;
    while (i >= 0) {
      const n = sN[i];
      const c = 4 * n;
      let cnt = 0;
      let only = 0;
      for (let k = 0; k < 4; k++) {
        const r = ch[c + k];
        if (r !== 0) {
          cnt++;
          only = r;
        }
      }
      if (cnt > 1 || (cnt === 1 && only > 0)) break;
      // A node left with a single leaf (or nothing) disappears: the leaf moves up.
      this.freeNode(n);
      this.setSlot(i > 0 ? sN[i - 1] : -1, i > 0 ? sD[i - 1] : 0, only);
      i--;
    }
    for (let j = 0; j <= i; j++) this.markNode(sN[j]);
  }

  private rehash(): void {
    const st = this.stats;
    const m = this.meta;
    let t0 = performance.now();
    st.leaves = st.nodes = 0;
    // Leaves.
    const nl = m[M.DIRTYL];
    if (nl > 0) {
      m[M.DIRTYL] = 0;
      const out = new Int32Array(nl + 1);
      const cnt = hashDirtyLeaves(this.leafArena, this.leafLen, this.dirtyLeaves, nl, this.leafFlag, this.leafHash, SLOT, out);
      const big = out.subarray(1, 1 + out[0]);
      if (big.length > 0) {
        let total = 0;
        for (let i = 0; i < big.length; i++) total += this.leafBig.get(big[i])!.length + 1;
        const data = new Uint8Array(total);
        const offs = new Uint32Array(big.length + 1);
        let p = 0;
        for (let i = 0; i < big.length; i++) {
          const e = this.leafBig.get(big[i])!;
          data.set(e, p + 1); // data[p] = 0x00: leaf domain tag
          p += e.length + 1;
          offs[i + 1] = p;
        }
        keccakMany(data, offs, this.leafHash, big);
      }
      st.leaves = cnt + big.length;
    }
    const t1 = performance.now();
    st.leafMs = t1 - t0;
    t0 = t1;
    // Nodes, deepest first; one group per depth.
    const nn = m[M.DIRTYN];
    if (nn > 0) {
      m[M.DIRTYN] = 0;
      st.nodes = hashDirtyNodes(this.children, this.nodeHash, this.leafHash, this.dirtyNodes, nn, this.nodeFlag, this.nodeDepth);
    }
    st.nodeMs = performance.now() - t0;
  }

  // ---- reads (committed state only) ----

  /** The leaf encoding stored under `key`, or undefined. */
  get(key: Uint8Array): Uint8Array | undefined {
    const kp = keyPath(key);
    let ref = this.meta[M.ROOT];
    let depth = 0;
    while (ref > 0) {
      ref = this.children[4 * (ref - 1) + digitAt(kp, 0, depth)];
      depth++;
    }
    if (ref === 0) return undefined;
    const l = -ref - 1;
    const k = this.leafKey;
    for (let i = 0; i < 32; i++) if (k[32 * l + i] !== kp[i]) return undefined;
    return this.encOf(l);
  }

  /** Batched get: one hashing call for all key paths. */
  getMany(keys: Uint8Array[]): (Uint8Array | undefined)[] {
    const n = keys.length;
    const out: (Uint8Array | undefined)[] = new Array(n);
    if (n === 0) return out;
    let total = 0;
    for (const k of keys) total += k.length;
    const data = new Uint8Array(total);
    const offs = new Uint32Array(n + 1);
    let p = 0;
    for (let i = 0; i < n; i++) {
      data.set(keys[i], p);
      p += keys[i].length;
      offs[i + 1] = p;
    }
    const kps = new Uint8Array(32 * n);
    keyPathsInto(data, offs, n, kps);
    const kps32 = new Uint32Array(kps.buffer);
    for (let i = 0; i < n; i++) {
      const off = 32 * i;
      let ref = this.meta[M.ROOT];
      let depth = 0;
      while (ref > 0) {
        ref = this.children[4 * (ref - 1) + digitAt(kps, off, depth)];
        depth++;
      }
      out[i] = ref < 0 && this.sameKey(-ref - 1, kps32, off) ? this.encOf(-ref - 1) : undefined;
    }
    return out;
  }

  /** Inclusion (key present) or exclusion (absent) proof against rootHash(). Call after commit(). */
  prove(key: Uint8Array): TrieProof {
    const kp = keyPath(key);
    const sib: number[] = [];
    let ref = this.meta[M.ROOT];
    let depth = 0;
    while (ref > 0) {
      const n = ref - 1;
      const d = digitAt(kp, 0, depth);
      for (let k = 0; k < 4; k++) if (k !== d) sib.push(this.children[4 * n + k]);
      ref = this.children[4 * n + d];
      depth++;
    }
    const siblings = new Uint8Array(32 * sib.length);
    for (let i = 0; i < sib.length; i++) siblings.set(this.refHash(sib[i]), 32 * i);
    return { siblings, leaf: ref < 0 ? this.encOf(-ref - 1) : null };
  }

  /** All leaf encodings in key-path order (canonical; used by snapshots). */
  *entries(): Generator<Uint8Array> {
    const stack: number[] = [];
    if (this.meta[M.ROOT] !== 0) stack.push(this.meta[M.ROOT]);
    while (stack.length > 0) {
      const r = stack.pop()!;
      if (r < 0) {
        yield this.encOf(-r - 1);
        continue;
      }
      const c = 4 * (r - 1);
      for (let k = 3; k >= 0; k--) if (this.children[c + k] !== 0) stack.push(this.children[c + k]);
    }
  }

  // ---- access for witness building (node/state/witness.ts) ----

  /** @internal */
  rootRef(): number {
    return this.meta[M.ROOT];
  }
  /** @internal */
  childRef(ref: number, k: number): number {
    return this.children[4 * (ref - 1) + k];
  }
  /** @internal */
  refHashOf(ref: number): Uint8Array {
    return this.refHash(ref);
  }
  /** @internal Copy the hash of `ref` (non-zero) to out[off..off+32). */
  copyRefHash(ref: number, out: Uint8Array, off: number): void {
    if (ref > 0) out.set(this.nodeHash.subarray(32 * (ref - 1), 32 * ref), off);
    else out.set(this.leafHash.subarray(32 * (-ref - 1), 32 * -ref), off);
  }
  /** @internal Length of the leaf encoding of leaf ref `ref`. */
  leafLenOf(ref: number): number {
    const l = -ref - 1;
    const len = this.leafLen[l];
    return len === 0xffff ? this.leafBig.get(l)!.length : len;
  }
  /** @internal Copy the leaf encoding of leaf ref `ref` to `out` at `off`; returns its length. */
  copyLeafEnc(ref: number, out: Uint8Array, off: number): number {
    const l = -ref - 1;
    const len = this.leafLen[l];
    if (len === 0xffff) {
      const e = this.leafBig.get(l)!;
      out.set(e, off);
      return e.length;
    }
    out.set(this.leafArena.subarray(SLOT * l, SLOT * l + len), off);
    return len;
  }
  /** @internal */
  leafEncOf(ref: number): Uint8Array {
    return this.encOf(-ref - 1);
  }
  /** @internal */
  leafKeyPathOf(ref: number): Uint8Array {
    const l = -ref - 1;
    return this.leafKey.subarray(32 * l, 32 * l + 32);
  }
}

/**
 * Verifies a proof for `key` against `root`. Returns the leaf encoding when the key is present, null when
 * the proof shows it absent; throws when the proof does not match the root or is malformed.
 */
export function verifyTrieProof(root: Uint8Array, key: Uint8Array, proof: TrieProof, keyLen: KeyLenFn): Uint8Array | null {
  if (proof.siblings.length % 96 !== 0) throw new Error("proof: siblings length not a multiple of 96");
  const depth = proof.siblings.length / 96;
  if (depth > 128) throw new Error("proof: too deep");
  const kp = keyPath(key);
  let h: Uint8Array;
  let result: Uint8Array | null = null;
  if (proof.leaf !== null) {
    const leaf = proof.leaf;
    if (leaf.length === 0) throw new Error("proof: empty leaf encoding");
    const kl = keyLen(leaf[0]);
    if (kl <= 0 || kl > leaf.length) throw new Error("proof: malformed leaf encoding");
    const leafKp = keyPath(leaf.subarray(0, kl));
    for (let i = 0; i < depth; i++)
      if (digitAt(leafKp, 0, i) !== digitAt(kp, 0, i)) throw new Error("proof: leaf is not on the key's path");
    if (bytesEqual(leafKp, kp)) {
      if (!bytesEqual(leaf.subarray(0, kl), key)) throw new Error("proof: key mismatch");
      result = leaf;
    }
    h = leafHashOf(leaf);
  } else {
    h = ZERO_HASH;
  }
  const c: Uint8Array[] = [ZERO_HASH, ZERO_HASH, ZERO_HASH, ZERO_HASH];
  for (let d = depth - 1; d >= 0; d--) {
    const dig = digitAt(kp, 0, d);
    let j = 0;
    for (let k = 0; k < 4; k++) c[k] = k === dig ? h : proof.siblings.subarray(96 * d + 32 * j, 96 * d + 32 * ++j);
    h = nodeHashOf(c);
  }
  if (!bytesEqual(h, root)) throw new Error("proof: root mismatch");
  return result;
}
