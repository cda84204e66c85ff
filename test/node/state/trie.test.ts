import { expect } from "chai";
import { keyPath } from "../../../node/state/keypath.ts";
import { Trie, verifyTrieProof, digitAt, leafHashOf, nodeHashOf, keyPathOrder, ZERO_HASH } from "../../../node/state/trie.ts";

// Test leaves: tag 0x7f, key = tag + 4 bytes, value = rest.
const keyLen = (tag: number) => (tag === 0x7f ? 5 : -1);
function leaf(k: number, v: number, extra = 0): Uint8Array {
  const e = new Uint8Array(5 + 8 + extra);
  e[0] = 0x7f;
  new DataView(e.buffer).setUint32(1, k);
  new DataView(e.buffer).setUint32(5, v);
  for (let i = 0; i < extra; i++) e[13 + i] = (k + i) & 255;
  return e;
}
const keyOf = (k: number) => leaf(k, 0).subarray(0, 5);

/** Reference: the spec's recursive definition, from the set of leaves. */
function refRoot(leaves: Uint8Array[]): Uint8Array {
  const items = leaves.map((e) => ({ e, kp: keyPath(e.subarray(0, 5)) }));
  const rec = (xs: typeof items, depth: number): Uint8Array => {
    if (xs.length === 0) return ZERO_HASH;
    if (xs.length === 1) return leafHashOf(xs[0].e);
    const parts: (typeof items)[] = [[], [], [], []];
    for (const x of xs) parts[digitAt(x.kp, 0, depth)].push(x);
    return nodeHashOf(parts.map((p) => rec(p, depth + 1)));
  };
  return rec(items, 0);
}

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

for (const native of [true, false]) describe(`state trie (${native ? "native structural update when built" : "JS structural update"})`, () => {
  it("empty trie has the zero root", () => {
    const t = new Trie(keyLen, { native });
    expect(hex(t.commit())).to.equal(hex(ZERO_HASH));
  });

  it("matches the recursive reference under random puts, updates and deletes", () => {
    const r = rng(1);
    const t = new Trie(keyLen, { native });
    const model = new Map<number, Uint8Array>();
    for (let round = 0; round < 60; round++) {
      const ops = 1 + Math.floor(r() * 300);
      for (let i = 0; i < ops; i++) {
        // clustered keys (long shared path prefixes) mixed with sparse ones (deletes mostly of absent keys)
        const k = r() < 0.7 ? Math.floor(r() * 600) : Math.floor(r() * 2 ** 32);
        if (r() < 0.35) {
          t.delete(keyOf(k));
          model.delete(k);
        } else {
          const e = leaf(k, Math.floor(r() * 1e9), Math.floor(r() * 200));
          t.put(e);
          model.set(k, e);
        }
      }
      const root = t.commit();
      expect(hex(root)).to.equal(hex(refRoot([...model.values()])), `round ${round}`);
      expect(t.size).to.equal(model.size);
    }
    // delete everything: back to the empty root
    for (const k of model.keys()) t.delete(keyOf(k));
    expect(hex(t.commit())).to.equal(hex(ZERO_HASH));
  });

  it("root is independent of insertion order and batching", () => {
    const leaves = Array.from({ length: 500 }, (_, i) => leaf(i * 7919, i));
    const a = new Trie(keyLen, { native });
    for (const e of leaves) a.put(e);
    const ra = a.commit();
    const b = new Trie(keyLen, { native });
    const r = rng(5);
    const shuffled = [...leaves].sort(() => r() - 0.5);
    for (let i = 0; i < shuffled.length; i++) {
      b.put(shuffled[i]);
      if (i % 37 === 0) b.commit();
    }
    // insert and remove extra keys: no trace left
    for (let i = 0; i < 50; i++) b.put(leaf(1_000_000 + i, 1));
    b.commit();
    for (let i = 0; i < 50; i++) b.delete(keyOf(1_000_000 + i));
    expect(hex(b.commit())).to.equal(hex(ra));
  });

  it("inclusion and exclusion proofs verify; tampering fails", () => {
    const t = new Trie(keyLen, { native });
    for (let i = 0; i < 3000; i++) t.put(leaf(i * 2, i, i % 50));
    const root = t.commit();
    for (let i = 0; i < 200; i++) {
      const k = i * 13;
      const p = t.prove(keyOf(k));
      const got = verifyTrieProof(root, keyOf(k), p, keyLen);
      if (k % 2 === 0 && k < 6000) expect(hex(got!)).to.equal(hex(t.get(keyOf(k))!));
      else expect(got).to.equal(null);
    }
    const p = t.prove(keyOf(10));
    const bad1 = { siblings: p.siblings.slice(), leaf: p.leaf };
    bad1.siblings[5] ^= 1;
    expect(() => verifyTrieProof(root, keyOf(10), bad1, keyLen)).to.throw();
    const bad2 = { siblings: p.siblings, leaf: p.leaf!.slice() };
    bad2.leaf[7] ^= 1;
    expect(() => verifyTrieProof(root, keyOf(10), bad2, keyLen)).to.throw();
    // claiming absence of a present key
    expect(() => verifyTrieProof(root, keyOf(10), { siblings: p.siblings, leaf: null }, keyLen)).to.throw();
    // a proof for one key does not prove another
    expect(() => verifyTrieProof(root, keyOf(12), p, keyLen)).to.throw();
    // truncated proof
    expect(() => verifyTrieProof(root, keyOf(10), { siblings: p.siblings.subarray(96), leaf: p.leaf }, keyLen)).to.throw();
  });
});

describe("state trie op order (keyPathOrder)", () => {
  it("is the stable sort by key path, natively and in JS", () => {
    const r = rng(9);
    const n = 5000;
    const kps = new Uint8Array(32 * n);
    for (let i = 0; i < n; i++) {
      // long shared prefixes (like order ids under 0x05 00 00 ...), repeated keys, and random paths
      const kind = r();
      if (kind < 0.5) kps.set(keyPath(new Uint8Array([5, 0, 0, 0, 0, 0, Math.floor(r() * 4), Math.floor(r() * 256), Math.floor(r() * 256)])), 32 * i);
      else if (kind < 0.6 && i > 0) {
        const j = Math.floor(r() * i);
        kps.copyWithin(32 * i, 32 * j, 32 * j + 32);
      }
      else for (let b = 0; b < 32; b++) kps[32 * i + b] = Math.floor(r() * 256);
    }
    const cmp = (a: number, b: number) => {
      for (let k = 0; k < 32; k++) if (kps[32 * a + k] !== kps[32 * b + k]) return kps[32 * a + k] - kps[32 * b + k];
      return a - b; // stable: submission order among equal keys
    };
    const want = Array.from({ length: n }, (_, i) => i).sort(cmp);
    expect([...keyPathOrder(kps, n)]).to.deep.equal(want);
    expect([...keyPathOrder(kps, n, false)]).to.deep.equal(want);
  });
});
