// Key paths of the state trie (docs/stf.md "State commitment", "Key paths"): where a leaf sits.
//
//   ACCOUNT (tag 4), CLIENT (tag 7): keyPath = tag ‖ keccak256(key)[0:31]
//   every other tag:                keyPath = key ‖ 0x00 padding to 32 bytes
//
// Why structured: order ids are sequential and price levels cluster at the touch, so the leaves one batch
// writes share most of their path nodes; a batch hashes a few nodes per new order instead of a fresh
// ~11-node path each (hashed keys scatter them). Accounts and client ids stay hashed: addresses and client
// ids are chosen by users, and two keys that share a long prefix sit at the end of a chain of single-child
// nodes that every write to either re-hashes (two client ids 1 and 2 of one owner: ~25 nodes).

import { keccakMany, nativeKeyPaths } from "./keccak.ts";
import { Tag } from "./leaves.ts";

/** Whether keys of this tag are hashed into their path. */
export const isHashedTag = (tag: number): boolean => tag === Tag.ACCOUNT || tag === Tag.CLIENT;
/** The hashed tags as a bit set (bit t: tag t), for the native addon. */
const HASHED_TAGS = (1 << Tag.ACCOUNT) | (1 << Tag.CLIENT);

/** Key path of one key (32 bytes). */
export function keyPath(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  keyPathsInto(key, Uint32Array.of(0, key.length), 1, out);
  return out;
}

/**
 * Key paths of n keys `data[offs[i] .. offs[i+1])` into `out` (32 bytes each, written whole). Hashed keys
 * are hashed in one batch call.
 */
export function keyPathsInto(data: Uint8Array, offs: Uint32Array, n: number, out: Uint8Array): void {
  let hashed = 0;
  for (let i = 0; i < n; i++) {
    const s = offs[i];
    const e = offs[i + 1];
    if (e > s && isHashedTag(data[s])) {
      hashed++;
      continue;
    }
    if (e - s > 32) throw new Error("keyPath: key longer than 32 bytes");
    const o = 32 * i;
    let j = 0;
    for (; j < e - s; j++) out[o + j] = data[s + j];
    for (; j < 32; j++) out[o + j] = 0;
  }
  if (hashed === 0) return;
  const hOffs = new Uint32Array(hashed + 1);
  const idx = new Int32Array(hashed);
  let total = 0;
  for (let i = 0, k = 0; i < n; i++) {
    const s = offs[i];
    if (offs[i + 1] > s && isHashedTag(data[s])) {
      total += offs[i + 1] - s;
      hOffs[k + 1] = total;
      idx[k++] = i;
    }
  }
  const hData = new Uint8Array(total);
  for (let k = 0; k < hashed; k++) hData.set(data.subarray(offs[idx[k]], offs[idx[k] + 1]), hOffs[k]);
  const digests = new Uint8Array(32 * hashed);
  keccakMany(hData, hOffs, digests);
  for (let k = 0; k < hashed; k++) {
    const o = 32 * idx[k];
    out[o] = data[offs[idx[k]]];
    out.set(digests.subarray(32 * k, 32 * k + 31), o + 1);
  }
}

/** Key length per tag byte (256 entries, -1 = unknown tag), for keyPathsOfLeaves. */
export function keyLenTable(keyLen: (tag: number) => number): Int32Array {
  return Int32Array.from({ length: 256 }, (_, t) => keyLen(t));
}

/**
 * Key paths of n leaf encodings (or bare keys) `data[offs[i] .. offs[i+1])`, whose key is their first
 * `lens[tag]` bytes, into `out` (32 bytes each). Throws on an unknown tag or an item shorter than its key.
 * One native call when the addon is built.
 */
export function keyPathsOfLeaves(data: Uint8Array, offs: Uint32Array, n: number, out: Uint8Array, lens: Int32Array): void {
  const o = offs.length === n + 1 ? offs : offs.subarray(0, n + 1);
  if (nativeKeyPaths !== null) {
    const bad = nativeKeyPaths(data, o, out, lens, HASHED_TAGS);
    if (bad >= 0) throw new Error(`trie: bad leaf encoding (tag ${data[o[bad]]}, ${o[bad + 1] - o[bad]} bytes)`);
    return;
  }
  let total = 0;
  for (let i = 0; i < n; i++) {
    const kl = lens[data[o[i]]];
    if (o[i + 1] <= o[i] || kl <= 0 || kl > 32 || kl > o[i + 1] - o[i]) {
      throw new Error(`trie: bad leaf encoding (tag ${data[o[i]]}, ${o[i + 1] - o[i]} bytes)`);
    }
    total += kl;
  }
  const keys = new Uint8Array(total);
  const koffs = new Uint32Array(n + 1);
  let p = 0;
  for (let i = 0; i < n; i++) {
    const kl = lens[data[o[i]]];
    keys.set(data.subarray(o[i], o[i] + kl), p);
    p += kl;
    koffs[i + 1] = p;
  }
  keyPathsInto(keys, koffs, n, out);
}
