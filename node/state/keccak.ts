// Batched keccak256 for the state commitment. Uses the native addon in native/keccak (scalar C plus an
// AVX-512 8-way path) when it is built, else @noble/hashes with identical results (about 70x slower for
// trie commits). `KECCAK_BACKEND=js` forces the fallback
// (`npm run test:node:js` runs the state tests on it, so the JS twins stay equal to the native code).

import { createRequire } from "node:module";
import { keccak_256 } from "@noble/hashes/sha3.js";

interface NativeKeccak {
  keccakMany(data: Uint8Array, offsets: Uint32Array, out: Uint8Array, outIdx?: Int32Array): void;
  keyPaths?(data: Uint8Array, offsets: Uint32Array, out: Uint8Array, keyLen: Int32Array, hashedTags: number): number;
  hashNodes(children: Int32Array, nodeHash: Uint8Array, leafHash: Uint8Array, list: Int32Array, groupEnds: Int32Array): void;
  hashDirtyNodes?(
    children: Int32Array, nodeHash: Uint8Array, leafHash: Uint8Array, dirty: Int32Array, count: number,
    nodeFlag: Uint8Array, nodeDepth: Uint8Array,
  ): number;
  hashDirtyLeaves?(
    arena: Uint8Array, lens: Uint16Array, dirty: Int32Array, count: number, leafFlag: Uint8Array, leafHash: Uint8Array,
    slot: number, big: Int32Array,
  ): number;
  keyPathOrder?(kps: Uint8Array, order: Uint32Array): void;
  hashLeaves(arena: Uint8Array, lens: Uint16Array, list: Int32Array, leafHash: Uint8Array, slot: number): void;
  trieApply?: TrieApplyFn;
  copySlots?(src: Uint8Array, offs: Uint32Array, opLeaf: Int32Array, arena: Uint8Array, leafLen: Uint16Array, slot: number): void;
  simd(): boolean;
  setSimd(on: boolean): boolean;
}

function loadNative(): NativeKeccak | null {
  if (process.env.KECCAK_BACKEND === "js") return null;
  const require = createRequire(import.meta.url);
  for (const p of ["../../native/keccak/build/Release/keccak.node", "rollbook-keccak"]) {
    try {
      return require(p) as NativeKeccak;
    } catch {
      // try the next location, then fall back to JS
    }
  }
  return null;
}

export type TrieApplyFn = (
  meta: Int32Array, children: Int32Array, nodeDepth: Uint8Array, nodeFlag: Uint8Array, leafKey: Uint8Array,
  leafFlag: Uint8Array, nodeFree: Int32Array, leafFree: Int32Array, dirtyNodes: Int32Array,
  dirtyLeaves: Int32Array, kps: Uint8Array, isDel: Uint8Array, opLeaf: Int32Array, start: number, order?: Uint32Array,
) => number;


const native = loadNative();

/**
 * Native key paths of leaf encodings or keys (node/state/keypath.ts has the rule and the JS twin): returns
 * -1, or the index of the first item with an unknown tag or shorter than its key. Null without the addon.
 */
export const nativeKeyPaths = native?.keyPaths ?? null;

/** The native structural trie update (node/state/trie.ts has the JS twin), or null. */
export const nativeTrieApply: TrieApplyFn | null = native?.trieApply ?? null;

/** Native keyPathOrder (node/state/trie.ts has the JS twin), or null. */
export const nativeKeyPathOrder: ((kps: Uint8Array, order: Uint32Array) => void) | null = native?.keyPathOrder ?? null;

/** Which implementation is in use: "native-avx512", "native-scalar" or "js". */
export const keccakBackend: string = native === null ? "js" : native.simd() ? "native-avx512" : "native-scalar";

const ONE_OFFS = new Uint32Array(2);

/** keccak256 of one message. */
export function keccak256(data: Uint8Array): Uint8Array {
  if (native !== null && data.length <= 4096) {
    const out = new Uint8Array(32);
    ONE_OFFS[1] = data.length;
    native.keccakMany(data, ONE_OFFS, out);
    return out;
  }
  return keccak_256(data);
}

/**
 * Hashes `count = offsets.length - 1` messages `data[offsets[i] .. offsets[i+1])`, writing digest i to
 * `out[32 * (outIdx ? outIdx[i] : i)]`.
 */
export function keccakMany(data: Uint8Array, offsets: Uint32Array, out: Uint8Array, outIdx?: Int32Array): void {
  if (native !== null) {
    native.keccakMany(data, offsets, out, outIdx);
    return;
  }
  const count = offsets.length - 1;
  for (let i = 0; i < count; i++) {
    const h = keccak_256(data.subarray(offsets[i], offsets[i + 1]));
    out.set(h, 32 * (outIdx ? outIdx[i] : i));
  }
}

const ZERO32 = new Uint8Array(32);

/**
 * Internal trie nodes: for each node n of `list` (groups end at `groupEnds`, a group may read results of
 * earlier groups), nodeHash[n] = keccak256(0x01 || c0 || c1 || c2 || c3) where child ref r = children[4n+k] is
 * 0 (empty: 32 zero bytes), r > 0 (nodeHash[r-1]) or r < 0 (leafHash[-r-1]).
 */
export function hashNodes(
  children: Int32Array,
  nodeHash: Uint8Array,
  leafHash: Uint8Array,
  list: Int32Array,
  groupEnds: Int32Array,
): void {
  if (native !== null) {
    native.hashNodes(children, nodeHash, leafHash, list, groupEnds);
    return;
  }
  const buf = new Uint8Array(129);
  buf[0] = 1;
  const end = groupEnds.length === 0 ? 0 : groupEnds[groupEnds.length - 1];
  for (let j = 0; j < end; j++) {
    const n = list[j];
    for (let k = 0; k < 4; k++) {
      const r = children[4 * n + k];
      const src = r === 0 ? ZERO32 : r > 0 ? nodeHash.subarray(32 * (r - 1), 32 * r) : leafHash.subarray(32 * (-r - 1), 32 * -r);
      buf.set(src, 1 + 32 * k);
    }
    nodeHash.set(keccak_256(buf), 32 * n);
  }
}

/**
 * Leaves stored in fixed slots: for l in list, leafHash[l] = keccak256(0x00 || arena[slot*l .. slot*l + lens[l]]).
 * Requires lens[l] <= slot <= 134 (one keccak block).
 */
export function hashLeaves(arena: Uint8Array, lens: Uint16Array, list: Int32Array, leafHash: Uint8Array, slot: number): void {
  if (native !== null) {
    native.hashLeaves(arena, lens, list, leafHash, slot);
    return;
  }
  const buf = new Uint8Array(slot + 1);
  for (let j = 0; j < list.length; j++) {
    const l = list[j];
    const len = lens[l];
    buf.set(arena.subarray(slot * l, slot * l + len), 1);
    leafHash.set(keccak_256(buf.subarray(0, len + 1)), 32 * l);
  }
}

/**
 * A trie commit's node pass: the first `count` entries of `dirty` whose nodeFlag is 1 (the flag is cleared;
 * freed nodes have it 0, repeats are skipped), grouped by depth deepest first, hashed as hashNodes does.
 * Returns how many were hashed.
 */
export function hashDirtyNodes(
  children: Int32Array, nodeHash: Uint8Array, leafHash: Uint8Array, dirty: Int32Array, count: number,
  nodeFlag: Uint8Array, nodeDepth: Uint8Array,
): number {
  if (native?.hashDirtyNodes !== undefined) return native.hashDirtyNodes(children, nodeHash, leafHash, dirty, count, nodeFlag, nodeDepth);
  const counts = new Int32Array(256);
  const live = new Int32Array(count);
  let cnt = 0;
  let maxD = 0;
  for (let i = 0; i < count; i++) {
    const n = dirty[i];
    if (nodeFlag[n] !== 1) continue;
    nodeFlag[n] = 0;
    live[cnt++] = n;
    const d = nodeDepth[n];
    counts[d]++;
    if (d > maxD) maxD = d;
  }
  const start = new Int32Array(256);
  const ends: number[] = [];
  let acc = 0;
  for (let d = maxD; d >= 0; d--) {
    start[d] = acc;
    acc += counts[d];
    if (counts[d] > 0) ends.push(acc);
  }
  const list = new Int32Array(cnt);
  for (let i = 0; i < cnt; i++) list[start[nodeDepth[live[i]]]++] = live[i];
  hashNodes(children, nodeHash, leafHash, list, Int32Array.from(ends));
  return cnt;
}

/**
 * A trie commit's leaf pass: each of the first `count` entries of `dirty` whose leafFlag is 1 (the flag is
 * cleared; repeats are skipped) is hashed as hashLeaves does, except leaves longer than a slot (lens
 * 0xffff), listed in big[1 .. big[0]] for the caller (`big` holds count + 1). Returns how many were hashed.
 */
export function hashDirtyLeaves(
  arena: Uint8Array, lens: Uint16Array, dirty: Int32Array, count: number, leafFlag: Uint8Array, leafHash: Uint8Array,
  slot: number, big: Int32Array,
): number {
  if (native?.hashDirtyLeaves !== undefined) return native.hashDirtyLeaves(arena, lens, dirty, count, leafFlag, leafHash, slot, big);
  const list = new Int32Array(count);
  let cnt = 0;
  big[0] = 0;
  for (let i = 0; i < count; i++) {
    const l = dirty[i];
    if (leafFlag[l] !== 1) continue;
    leafFlag[l] = 0;
    if (lens[l] === 0xffff) big[1 + big[0]++] = l;
    else list[cnt++] = l;
  }
  hashLeaves(arena, lens, list.subarray(0, cnt), leafHash, slot);
  return cnt;
}

/**
 * For each i with opLeaf[i] >= 0 and a leaf src[offs[i]..offs[i+1]) of at most `slot` bytes: copy it to
 * arena slot opLeaf[i] and record its length. Longer leaves are left to the caller.
 */
export function copySlots(src: Uint8Array, offs: Uint32Array, opLeaf: Int32Array, arena: Uint8Array, leafLen: Uint16Array, slot: number): void {
  if (native?.copySlots !== undefined) {
    native.copySlots(src, offs, opLeaf, arena, leafLen, slot);
    return;
  }
  for (let i = 0; i + 1 < offs.length && i < opLeaf.length; i++) {
    const l = opLeaf[i];
    const len = offs[i + 1] - offs[i];
    if (l < 0 || len > slot) continue;
    arena.set(src.subarray(offs[i], offs[i + 1]), slot * l);
    leafLen[l] = len;
  }
}

/** For benchmarks and tests: turn the AVX-512 path off/on (no-op without the addon). */
export function setSimd(on: boolean): boolean {
  return native === null ? false : native.setSimd(on);
}
