import { expect } from "chai";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { hashLeaves, hashNodes, keccakBackend, keccakMany, setSimd } from "../../../node/state/keccak.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe(`batched keccak (${keccakBackend})`, () => {
  for (const simd of [true, false]) {
    it(`keccakMany, hashLeaves and hashNodes equal @noble/hashes (simd ${simd})`, () => {
      setSimd(simd);
      try {
        const lens = [0, 1, 31, 32, 64, 100, 128, 129, 134, 135, 136, 137, 271, 272, 273, 1000];
        const total = lens.reduce((a, b) => a + b, 0);
        const data = new Uint8Array(total).map((_, i) => (i * 131 + 7) & 255);
        const offs = new Uint32Array(lens.length + 1);
        lens.forEach((l, i) => (offs[i + 1] = offs[i] + l));
        const out = new Uint8Array(32 * lens.length);
        const idx = Int32Array.from(lens.map((_, i) => lens.length - 1 - i));
        keccakMany(data, offs, out, idx);
        lens.forEach((_, i) => {
          expect(hex(out.subarray(32 * idx[i], 32 * idx[i] + 32))).to.equal(hex(keccak_256(data.subarray(offs[i], offs[i + 1]))));
        });
        // leaves in 128-byte slots: H(0x00 || enc)
        const slot = 128;
        const n = 21;
        const arena = new Uint8Array(slot * n).map((_, i) => (i * 17) & 255);
        const lensL = Uint16Array.from({ length: n }, (_, i) => (i * 37) % 129);
        const leafHash = new Uint8Array(32 * n);
        hashLeaves(arena, lensL, Int32Array.from({ length: n }, (_, i) => i), leafHash, slot);
        for (let i = 0; i < n; i++) {
          const pre = new Uint8Array(lensL[i] + 1);
          pre.set(arena.subarray(slot * i, slot * i + lensL[i]), 1);
          expect(hex(leafHash.subarray(32 * i, 32 * i + 32))).to.equal(hex(keccak_256(pre)));
        }
        // nodes: children refs 0 / node / leaf; two dependent groups
        const children = Int32Array.from([0, -1, -2, 0, /* node 1 */ 1, -3, 0, -21, /* node 2 */ 2, 2, 2, 2]);
        const nodeHash = new Uint8Array(32 * 3);
        hashNodes(children, nodeHash, leafHash, Int32Array.from([0, 1, 2]), Int32Array.from([1, 2, 3]));
        const ref = (r: number) => (r === 0 ? new Uint8Array(32) : r > 0 ? nodeHash.subarray(32 * (r - 1), 32 * r) : leafHash.subarray(32 * (-r - 1), 32 * -r));
        for (let nd = 0; nd < 3; nd++) {
          const pre = new Uint8Array(129);
          pre[0] = 1;
          for (let k = 0; k < 4; k++) pre.set(ref(children[4 * nd + k]), 1 + 32 * k);
          expect(hex(nodeHash.subarray(32 * nd, 32 * nd + 32))).to.equal(hex(keccak_256(pre)));
        }
      } finally {
        setSimd(true);
      }
    });
  }
});
