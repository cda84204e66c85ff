// Vectors for the guest's signature, EIP-712 and DEFLATE code (guest/core secp256k1.rs, eip712.rs,
// inflate.rs), produced by the TypeScript node:
//   npx node guest/vectors-gen/codec.ts          (writes test/vectors/guest/{ecrecover,eip712,inflate,blobs}.json)
//   npx node guest/vectors-gen/codec.ts --check  (exits 1 if the committed files differ)
//
// Sources (read-only use):
//   ecrecover.json  node/clob/eip712.ts signDigest / recoverAddress (native libsecp256k1, low-s rules):
//                   random keys and digests, every range violation, high-s twins, random (r, s) pairs
//   eip712.json     node/clob/eip712.ts txSigningHash / txHash / signTx: every tx kind, random fields and
//                   domains, and the signer the node recovers
//                   STF v2 kinds (BULK, APPROVE_AGENT, REVOKE_AGENT; docs/stf.md "Authorization"), which
//                   node/clob/eip712.ts does not hash yet: viem hashTypedData with the documented types
//   blobs.json      node/da/packing.ts packBlobs / unpackBlobs: data of XorShift32(seed) bytes (the guest test
//                   regenerates it and packs it the same way), then edits of the blobs, and what unpacking says
//   inflate.json    node/codec/compress.ts decompress (zlib inflateRaw, the consensus decoder): zlib streams
//                   of every strategy and level, hand-built streams for each rule where inflaters differ
//                   (docs/batch-format.md "Compression"), truncations, bit flips and trailing bytes
// Deterministic (node/sim/rng.ts XorShift32, fixed seeds).

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { decompress } from "../../node/codec/compress.ts";
import { Invalid } from "../../node/codec/errors.ts";
import {
  addressOfPrivateKey,
  bytesToHex,
  hexToBytes,
  recoverAddress,
  signDigest,
  signTx,
  txHash,
  txSigningHash,
} from "../../node/clob/eip712.ts";
import type { Address, Eip712Domain, Signature, Tx } from "../../node/clob/types.ts";
import { XorShift32 } from "../../node/sim/rng.ts";
import { hashTypedData } from "viem";
import { packBlobs, unpackBlobs } from "../../node/da/packing.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.join(here, "../../test/vectors/guest");

const rng = new XorShift32(0xec2e_c0de);
const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => rng.int(256));
const N = hexToBytes("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
const HALF_N = hexToBytes("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0");

function big(b: Uint8Array): bigint {
  return BigInt(bytesToHex(b));
}
function be32(n: bigint): Uint8Array {
  return hexToBytes(n.toString(16).padStart(64, "0"));
}
function privateKey(): Uint8Array {
  for (;;) {
    const k = bytes(32);
    const v = big(k);
    if (v > 0n && v < big(N)) return k;
  }
}

// ------------------------------------------------------------------------------------------ ecrecover

function sigCase(digest: Uint8Array, sig: Signature, why: string) {
  const signer = recoverAddress(digest, sig);
  return { why, digest: bytesToHex(digest), r: bytesToHex(sig.r), s: bytesToHex(sig.s), v: sig.v as number, signer };
}

function ecrecoverVectors() {
  const cases: ReturnType<typeof sigCase>[] = [];
  const n = big(N);
  for (let i = 0; i < 96; i++) {
    const key = privateKey();
    const digest = i === 0 ? new Uint8Array(32) : i === 1 ? new Uint8Array(32).fill(0xff) : bytes(32);
    const sig = signDigest(digest, key);
    const c = sigCase(digest, sig, "signed");
    if (c.signer !== addressOfPrivateKey(key)) throw new Error("vectors-gen: signer mismatch");
    cases.push(c);
    if (i % 4 === 0) {
      // the high-s twin (n - s, other parity) is the same signature for plain ECDSA: refused here
      cases.push(sigCase(digest, { r: sig.r, s: be32(n - big(sig.s)), v: (1 - sig.v) as 0 | 1 }, "high-s twin"));
      cases.push(sigCase(digest, { ...sig, v: (1 - sig.v) as 0 | 1 }, "other recovery id"));
      cases.push(sigCase(bytes(32), sig, "other digest"));
    }
  }
  // range edges
  const d = bytes(32);
  const one = be32(1n);
  const edges: [Uint8Array, Uint8Array, string][] = [
    [new Uint8Array(32), one, "r = 0"],
    [N, one, "r = n"],
    [be32(n + 1n), one, "r = n + 1"],
    [new Uint8Array(32).fill(0xff), one, "r = 2^256 - 1"],
    [one, new Uint8Array(32), "s = 0"],
    [one, HALF_N, "s = n/2"],
    [one, be32(big(HALF_N) + 1n), "s = n/2 + 1"],
    [one, N, "s = n"],
    [be32(n - 1n), one, "r = n - 1"],
    [be32(2n), be32(3n), "r = 2, s = 3"],
  ];
  for (const [r, s, why] of edges) for (const v of [0, 1] as const) cases.push(sigCase(d, { r, s, v }, why));
  // random (r, s, v) in range: about half of r are not x coordinates of a curve point
  for (let i = 0; i < 64; i++) {
    const r = be32((big(bytes(32)) % (n - 1n)) + 1n);
    const s = be32((big(bytes(32)) % (big(HALF_N) - 1n)) + 1n);
    cases.push(sigCase(bytes(32), { r, s, v: (i & 1) as 0 | 1 }, "random r, s"));
  }
  const recovered = cases.filter((c) => c.signer !== null).length;
  return { name: "ecrecover", source: "node/clob/eip712.ts recoverAddress (libsecp256k1)", recovered, cases };
}

// ------------------------------------------------------------------------------------------ EIP-712

const u = (maxBits: number): number => {
  const bits = rng.int(maxBits + 1);
  if (bits === 0) return 0;
  if (bits <= 32) return Math.floor(rng.next() / 2 ** (32 - bits));
  return (rng.next() % 2 ** (bits - 32)) * 2 ** 32 + rng.next();
};
const addr = (): Address => bytesToHex(bytes(20)) as Address;

function randomTx(kind: number, account: Address): Tx {
  const sig = { r: new Uint8Array(32), s: new Uint8Array(32), v: 0 as const };
  const nonce = u(53);
  switch (kind) {
    case 1:
      return { kind: 1, account, nonce, sig, market: u(32), side: rng.int(2) as 0, tif: rng.int(5) as 0, price: u(53), size: u(53), expiry: u(53), clientId: u(53), stp: rng.int(4) as 0 };
    case 2:
      return { kind: 2, account, nonce, sig, market: u(32), orderId: u(53) };
    case 3:
      return { kind: 3, account, nonce, sig, market: u(32), clientId: u(53) };
    case 4:
      return { kind: 4, account, nonce, sig, market: u(32) };
    case 5:
      return { kind: 5, account, nonce, sig, market: u(32), orderId: u(53), price: u(53), size: u(53) };
    default:
      return { kind: 6, account, nonce, sig, asset: u(32), amount: u(53), recipient: addr() };
  }
}

function txJson(tx: Tx): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(tx)) if (k !== "sig") o[k] = typeof v === "number" ? String(v) : v;
  return o;
}

function eip712Vectors() {
  const cases = [];
  for (let i = 0; i < 120; i++) {
    const key = privateKey();
    const domain: Eip712Domain = { chainId: i === 0 ? 1 : u(53), verifyingContract: addr() };
    const tx = randomTx(1 + (i % 6), addressOfPrivateKey(key));
    signTx(domain, tx, key);
    const digest = txSigningHash(domain, tx);
    cases.push({
      domain: { chainId: String(domain.chainId), verifyingContract: domain.verifyingContract },
      tx: txJson(tx),
      digest: bytesToHex(digest),
      r: bytesToHex(tx.sig.r),
      s: bytesToHex(tx.sig.s),
      v: tx.sig.v,
      txHash: txHash(domain, tx),
      signer: recoverAddress(digest, tx.sig),
    });
  }
  // STF v2 kinds, hashed by viem's generic EIP-712 implementation from the types of docs/stf.md
  const types = {
    Bulk: [
      { name: "account", type: "address" },
      { name: "nonce", type: "uint64" },
      { name: "actions", type: "Action[]" },
    ],
    Action: [
      { name: "op", type: "uint8" },
      { name: "market", type: "uint32" },
      { name: "side", type: "uint8" },
      { name: "tif", type: "uint8" },
      { name: "price", type: "uint64" },
      { name: "size", type: "uint64" },
      { name: "expiry", type: "uint64" },
      { name: "clientId", type: "uint64" },
      { name: "stp", type: "uint8" },
      { name: "orderId", type: "uint64" },
    ],
    ApproveAgent: [
      { name: "account", type: "address" },
      { name: "nonce", type: "uint64" },
      { name: "agent", type: "address" },
      { name: "expiry", type: "uint64" },
    ],
    RevokeAgent: [
      { name: "account", type: "address" },
      { name: "nonce", type: "uint64" },
      { name: "agent", type: "address" },
    ],
  } as const;
  for (let i = 0; i < 60; i++) {
    const key = privateKey();
    const account = addressOfPrivateKey(key);
    const domain: Eip712Domain = { chainId: u(53), verifyingContract: addr() };
    const vdomain = { name: "Rollbook", version: "1", chainId: BigInt(domain.chainId), verifyingContract: domain.verifyingContract };
    const nonce = u(53);
    const kind = 7 + (i % 3);
    let tx: Record<string, unknown>;
    let digestHex: `0x${string}`;
    if (kind === 7) {
      const actions = Array.from({ length: i < 3 ? [1, 64, 2][i]! : 1 + rng.int(12) }, () => {
        const op = 1 + rng.int(5);
        const a = { op, market: u(32), side: 0, tif: 0, price: 0, size: 0, expiry: 0, clientId: 0, stp: 0, orderId: 0 };
        if (op === 1) Object.assign(a, { side: rng.int(2), tif: rng.int(5), price: u(53), size: u(53), expiry: u(53), clientId: u(53), stp: rng.int(4) });
        if (op === 2 || op === 5) a.orderId = u(53);
        if (op === 3) a.clientId = u(53);
        if (op === 5) Object.assign(a, { price: u(53), size: u(53) });
        return a;
      });
      const message = { account, nonce: BigInt(nonce), actions: actions.map((a) => ({ ...a, price: BigInt(a.price), size: BigInt(a.size), expiry: BigInt(a.expiry), clientId: BigInt(a.clientId), orderId: BigInt(a.orderId) })) };
      digestHex = hashTypedData({ domain: vdomain, types, primaryType: "Bulk", message });
      tx = { kind: "7", account, nonce: String(nonce), actions: actions.map((a) => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, String(v)]))) };
    } else if (kind === 8) {
      const agent = addr();
      const expiry = u(53);
      digestHex = hashTypedData({ domain: vdomain, types, primaryType: "ApproveAgent", message: { account, nonce: BigInt(nonce), agent, expiry: BigInt(expiry) } });
      tx = { kind: "8", account, nonce: String(nonce), agent, expiry: String(expiry) };
    } else {
      const agent = addr();
      digestHex = hashTypedData({ domain: vdomain, types, primaryType: "RevokeAgent", message: { account, nonce: BigInt(nonce), agent } });
      tx = { kind: "9", account, nonce: String(nonce), agent };
    }
    const digest = hexToBytes(digestHex);
    const sig = signDigest(digest, key);
    cases.push({
      domain: { chainId: String(domain.chainId), verifyingContract: domain.verifyingContract },
      tx,
      digest: digestHex,
      r: bytesToHex(sig.r),
      s: bytesToHex(sig.s),
      v: sig.v,
      txHash: bytesToHex(keccak_256(Uint8Array.from([...digest, ...sig.r, ...sig.s, sig.v]))),
      signer: recoverAddress(digest, sig),
    });
  }
  return { name: "eip712", source: "node/clob/eip712.ts txSigningHash, txHash, signTx, recoverAddress; viem hashTypedData (kinds 7-9)", cases };
}

// ------------------------------------------------------------------------------------------ DEFLATE

/** LSB-first bit writer (RFC 1951 packing); Huffman codes are written most significant bit first. */
class Bits {
  out: number[] = [];
  private acc = 0;
  private n = 0;
  put(v: number, k: number): this {
    for (let i = 0; i < k; i++) this.bit((v >>> i) & 1);
    return this;
  }
  code(c: number, len: number): this {
    for (let i = len - 1; i >= 0; i--) this.bit((c >>> i) & 1);
    return this;
  }
  private bit(b: number) {
    this.acc |= b << this.n;
    if (++this.n === 8) {
      this.out.push(this.acc);
      this.acc = 0;
      this.n = 0;
    }
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.n > 0 ? [...this.out, this.acc] : this.out);
  }
}

/** Canonical codes of a (valid) length list: [code, len] per symbol. */
function canonical(lens: number[]): [number, number][] {
  const count = new Array(16).fill(0);
  for (const l of lens) if (l) count[l]++;
  const next = new Array(16).fill(0);
  // RFC 1951 3.2.2
  let code = 0;
  count[0] = 0;
  for (let b = 1; b < 16; b++) {
    code = (code + count[b - 1]) << 1;
    next[b] = code;
  }
  return lens.map((l) => (l ? [next[l]++, l] : [0, 0]));
}

const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
/** A complete code-length code: symbols 0..12 4 bits, 13..18 5 bits. */
const CL_LENS = Array.from({ length: 19 }, (_, i) => (i < 13 ? 4 : 5));

interface DynSpec {
  final?: boolean;
  hlit?: number; // raw 5-bit value (nlen - 257)
  hdist?: number; // raw 5-bit value (ndist - 1)
  clLens?: number[]; // code-length code lengths (19, by symbol)
  /** code-length symbols to send: [symbol, extraBits] */
  clSyms?: [number, number][];
  lit: number[];
  dist: number[];
}

/** Writes a dynamic block header; returns the literal and distance codes (when the lengths are valid). */
function dynHeader(w: Bits, s: DynSpec) {
  const nlen = s.lit.length;
  const ndist = s.dist.length;
  w.put(s.final === false ? 0 : 1, 1).put(2, 2);
  w.put(s.hlit ?? nlen - 257, 5).put(s.hdist ?? ndist - 1, 5).put(19 - 4, 4);
  const cl = s.clLens ?? CL_LENS;
  for (const i of CL_ORDER) w.put(cl[i]!, 3);
  const clc = canonical(cl);
  const syms: [number, number][] = s.clSyms ?? [...s.lit, ...s.dist].map((l) => [l, 0]);
  for (const [sym, extra] of syms) {
    const [c, l] = clc[sym]!;
    w.code(c, l);
    if (sym === 16) w.put(extra, 2);
    if (sym === 17) w.put(extra, 3);
    if (sym === 18) w.put(extra, 7);
  }
  return { lit: canonical(s.lit), dist: canonical(s.dist) };
}

function litLens(over: Record<number, number>, base = 9, n = 286): number[] {
  // 0..253 at 8 bits and 254, 255, 256 at 9 bits leave one 9-bit code free (incomplete); `over` can
  // complete it ({257: 9}) or over-subscribe it.
  const l = new Array(n).fill(0);
  for (let i = 0; i < 254; i++) l[i] = 8;
  l[254] = base;
  l[255] = base;
  l[256] = base;
  for (const [k, v] of Object.entries(over)) l[Number(k)] = v;
  return l;
}

function handBuilt(): [string, Uint8Array, number][] {
  const v: [string, Uint8Array, number][] = [];
  const add = (why: string, w: Bits | Uint8Array, len: number) => v.push([why, w instanceof Bits ? w.bytes() : w, len]);
  // a valid dynamic block: "ab" + match (len 3, dist 2) + EOB. lit: 0..254 8 bits, 255 and 256 9 bits is
  // incomplete by one 9-bit slot -> give it to 257.
  const lit = litLens({ 257: 9 });
  {
    const w = new Bits();
    const c = dynHeader(w, { lit, dist: [1, 1] });
    w.code(...c.lit[97]!).code(...c.lit[98]!).code(...c.lit[257]!).code(...c.dist[1]!).code(...c.lit[256]!);
    add("dynamic: valid, literal + match + end", w, 5);
  }
  {
    // the same, match distance 3 > 2 bytes written
    const w = new Bits();
    const c = dynHeader(w, { lit, dist: [1, 1] });
    w.code(...c.lit[97]!).code(...c.lit[98]!).code(...c.lit[257]!).code(...c.dist[1]!);
    add("dynamic: no end-of-block before the input ends", w, 5);
  }
  {
    const w = new Bits();
    const c = dynHeader(w, { lit, dist: [0, 0, 0, 1, 1] }); // incomplete? 2 codes of length 1: complete
    w.code(...c.lit[97]!).code(...c.lit[257]!).code(...c.dist[3]!).put(0, 1).code(...c.lit[256]!);
    add("dynamic: distance 3 (code 3, extra 0) beyond 1 byte of output", w, 4);
  }
  {
    const w = new Bits();
    const c = dynHeader(w, { lit: litLens({ 257: 9 }), dist: [1] }); // single distance code of length 1
    w.code(...c.lit[97]!).code(...c.lit[257]!).code(0, 1).code(...c.lit[256]!);
    add("dynamic: single distance code of length 1, used", w, 4);
  }
  {
    const w = new Bits();
    const c = dynHeader(w, { lit: litLens({ 257: 9 }), dist: [1] });
    w.code(...c.lit[97]!).code(...c.lit[257]!).code(1, 1).code(...c.lit[256]!);
    add("dynamic: single distance code of length 1, unused code met", w, 4);
  }
  {
    const w = new Bits();
    const c = dynHeader(w, { lit: litLens({ 257: 9 }), dist: [2] });
    w.code(...c.lit[97]!).code(...c.lit[256]!);
    add("dynamic: single distance code of length 2 (incomplete)", w, 1);
  }
  {
    const w = new Bits();
    const c = dynHeader(w, { lit: litLens({ 257: 9 }), dist: [0] });
    w.code(...c.lit[97]!).code(...c.lit[256]!);
    add("dynamic: empty distance code, no match", w, 1);
  }
  {
    const w = new Bits();
    const c = dynHeader(w, { lit: litLens({ 257: 9 }), dist: [0, 0] });
    w.code(...c.lit[97]!).code(...c.lit[257]!).put(0, 5).code(...c.lit[256]!);
    add("dynamic: empty distance code, match", w, 4);
  }
  {
    const l = new Array(257).fill(0);
    l[256] = 1;
    const w = new Bits();
    dynHeader(w, { lit: l, dist: [0] });
    w.code(0, 1);
    add("dynamic: end-of-block as the only literal/length code", w, 0);
    const w2 = new Bits();
    dynHeader(w2, { lit: l, dist: [0] });
    w2.code(1, 1);
    add("dynamic: only end-of-block, unused code met", w2, 0);
  }
  {
    const l = new Array(257).fill(0);
    l[65] = 1;
    const w = new Bits();
    dynHeader(w, { lit: l, dist: [1] });
    w.code(0, 1);
    add("dynamic: no end-of-block code", w, 1);
  }
  {
    const w = new Bits();
    const c = dynHeader(w, { lit: litLens({}), dist: [1, 1] }); // one 9-bit slot free
    w.code(...c.lit[97]!).code(...c.lit[256]!);
    add("dynamic: incomplete literal/length code", w, 1);
  }
  {
    const w = new Bits();
    const c = dynHeader(w, { lit: litLens({ 257: 9, 258: 9 }), dist: [1, 1] });
    w.code(...c.lit[97]!);
    add("dynamic: over-subscribed literal/length code", w, 1);
  }
  {
    const w = new Bits();
    dynHeader(w, { lit: litLens({ 257: 9 }), dist: [1, 1], clLens: Array.from({ length: 19 }, (_, i) => (i < 12 ? 4 : 5)) });
    add("dynamic: incomplete code-length code", w, 1);
  }
  {
    const w = new Bits();
    dynHeader(w, { lit: litLens({ 257: 9 }), dist: [1, 1], clLens: Array.from({ length: 19 }, (_, i) => (i < 14 ? 4 : 5)) });
    add("dynamic: over-subscribed code-length code", w, 1);
  }
  {
    const w = new Bits();
    w.put(1, 1).put(2, 2).put(0, 5).put(0, 5).put(15, 4);
    for (let i = 0; i < 19; i++) w.put(0, 3);
    w.put(0, 32);
    add("dynamic: empty code-length code", w, 1);
  }
  {
    const cl = new Array(19).fill(0);
    cl[1] = 1; // a single code-length symbol of length 1: incomplete
    const w = new Bits();
    w.put(1, 1).put(2, 2).put(0, 5).put(0, 5).put(15, 4);
    for (const i of CL_ORDER) w.put(cl[i], 3);
    w.put(0, 300);
    add("dynamic: single code-length code of length 1", w, 1);
  }
  for (const [hlit, hdist, why] of [
    [29, 0, "HLIT 286 (valid count)"],
    [30, 0, "HLIT 287"],
    [31, 0, "HLIT 288"],
    [0, 29, "HDIST 30 (valid count)"],
    [0, 30, "HDIST 31"],
    [0, 31, "HDIST 32"],
  ] as [number, number, string][]) {
    const l = litLens({ 257: 9 }, 9, 257 + hlit);
    const d = new Array(hdist + 1).fill(0);
    d[0] = 1;
    d[1] = 1;
    const w = new Bits();
    const c = dynHeader(w, { lit: l, dist: d.length >= 2 ? d : [1, 1] });
    w.code(...c.lit[97]!).code(...c.lit[256]!);
    add(`dynamic: ${why}`, w, 1);
  }
  {
    const w = new Bits();
    dynHeader(w, { lit: litLens({ 257: 9 }), dist: [1, 1], clSyms: [[16, 0]] });
    add("dynamic: repeat (16) with no previous length", w, 1);
  }
  // 254 eights (one, then 42 repeats of 6, then one), four nines; then come the two distance lengths
  const repeated: [number, number][] = [[8, 0], ...Array.from({ length: 42 }, (): [number, number] => [16, 3]), [8, 0], [9, 0], [9, 0], [9, 0], [9, 0]];
  {
    const w = new Bits();
    dynHeader(w, { lit: litLens({ 257: 9 }).slice(0, 258), dist: [1, 1], clSyms: [...repeated, [1, 0], [16, 0]] });
    add("dynamic: repeat past the last length", w, 1);
  }
  {
    const w = new Bits();
    const c = dynHeader(w, { lit: litLens({ 257: 9 }).slice(0, 258), dist: [1, 1], clSyms: [...repeated, [1, 0], [1, 0]] });
    w.code(...c.lit[98]!).code(...c.lit[256]!);
    add("dynamic: lengths sent with repeats (valid)", w, 1);
  }
  // fixed Huffman: literal codes 0..143 8 bits from 0x30, 256..279 7 bits from 0, 280..287 8 bits from 0xc0
  const fixedLit = (s: number): [number, number] =>
    s < 144 ? [0x30 + s, 8] : s < 256 ? [0x190 + s - 144, 9] : s < 280 ? [s - 256, 7] : [0xc0 + s - 280, 8];
  for (const [sym, why] of [[286, "symbol 286"], [287, "symbol 287"]] as [number, string][]) {
    const w = new Bits().put(1, 1).put(1, 2);
    w.code(...fixedLit(97)).code(...fixedLit(sym)).put(0, 5).code(...fixedLit(256));
    add(`fixed: ${why}`, w, 4);
  }
  for (const d of [29, 30, 31]) {
    const w = new Bits().put(1, 1).put(1, 2);
    w.code(...fixedLit(97));
    for (let k = 0; k < 12; k++) w.code(...fixedLit(285)).code(0, 5); // 12 x 258 bytes of 'a'
    w.code(...fixedLit(257)).code(d, 5).put(0, 13).code(...fixedLit(256));
    add(`fixed: distance code ${d}`, w, 1 + 12 * 258 + 3);
  }
  {
    const w = new Bits().put(1, 1).put(1, 2);
    w.code(...fixedLit(97)).code(...fixedLit(257)).code(0, 5).code(...fixedLit(256));
    add("fixed: match at distance 1 (run)", w, 4);
    const w2 = new Bits().put(1, 1).put(1, 2);
    w2.code(...fixedLit(257)).code(0, 5).code(...fixedLit(256));
    add("fixed: match before any output", w2, 3);
    const w3 = new Bits().put(0, 1).put(1, 2).code(...fixedLit(256)).put(1, 1).put(1, 2).code(...fixedLit(256));
    add("fixed: two empty blocks", w3, 0);
    const w4 = new Bits().put(0, 1).put(1, 2).code(...fixedLit(256));
    add("fixed: non-final block, then nothing", w4, 0);
    const w5 = new Bits().put(1, 1).put(3, 2).put(0, 13);
    add("block type 3", w5, 0);
    const w6 = new Bits().put(1, 1).put(1, 2).code(...fixedLit(97)).code(...fixedLit(256)).put(0x3f, 6);
    add("fixed: padding bits set in the final byte", w6, 1);
  }
  add("stored: empty final block", Uint8Array.from([1, 0, 0, 0xff, 0xff]), 0);
  add("stored: LEN != ~NLEN", Uint8Array.from([1, 2, 0, 0xfd, 0xfe, 1, 2]), 2);
  add("stored: truncated data", Uint8Array.from([1, 3, 0, 0xfc, 0xff, 1, 2]), 3);
  add("stored: truncated length", Uint8Array.from([1, 3, 0, 0xfc]), 3);
  add("stored then fixed", Uint8Array.from([0, 2, 0, 0xfd, 0xff, 7, 8, ...new Bits().put(1, 1).put(1, 2).code(0x30 + 7, 8).code(0, 7).bytes()]), 3);
  add("empty input", new Uint8Array(0), 0);
  add("one zero byte", Uint8Array.from([0]), 0);
  return v;
}

function inflateCase(why: string, input: Uint8Array, length: number) {
  let result: Record<string, unknown>;
  try {
    const out = decompress(1, input, 0, input.length, length);
    result = { ok: bytesToHex(keccak_256(out)), length: out.length };
  } catch (e) {
    if (!(e instanceof Invalid)) throw e;
    result = { reason: e.reason };
  }
  return { why, input: bytesToHex(input), length, ...result };
}

function inflateVectors() {
  const cases: ReturnType<typeof inflateCase>[] = [];
  for (const [why, b, len] of handBuilt()) cases.push(inflateCase(why, b, len));
  const sources: Uint8Array[] = [];
  for (let i = 0; i < 24; i++) {
    // record-like: small varints with repeats, plus some random bytes
    const n = 20 + rng.int(i < 20 ? 400 : 40_000);
    const b = new Uint8Array(n);
    for (let k = 0; k < n; k++) b[k] = rng.chance(0.3) ? rng.int(256) : rng.int(12);
    sources.push(b);
  }
  sources.push(new Uint8Array(0), new Uint8Array(70_000).fill(0x61));
  const strategies = [zlib.constants.Z_DEFAULT_STRATEGY, zlib.constants.Z_FIXED, zlib.constants.Z_HUFFMAN_ONLY, zlib.constants.Z_RLE, zlib.constants.Z_FILTERED];
  sources.forEach((src, i) => {
    const level = i % 10;
    const strategy = strategies[i % strategies.length]!;
    const z = new Uint8Array(zlib.deflateRawSync(src, { level, strategy }));
    const big = z.length > 2000;
    cases.push(inflateCase(`zlib level ${level} strategy ${strategy} (${src.length} bytes)`, z, src.length));
    if (src.length > 0) {
      cases.push(inflateCase("declared length one short", z, src.length - 1));
      cases.push(inflateCase("declared length one long", z, src.length + 1));
    }
    cases.push(inflateCase("trailing zero byte", Uint8Array.from([...z, 0]), src.length));
    if (big) return;
    if (src.length > 16_384) {
      // long output from a short stream: corruption after the first 16 KiB buffers, limits below the output
      for (let k = 0; k < 40; k++) {
        const m = z.slice();
        m[3 + rng.int(m.length - 3)]! ^= 1 << rng.int(8);
        cases.push(inflateCase("long output, bit flip", m, k % 2 === 0 ? src.length : rng.int(40_000)));
      }
      for (let k = 0; k < 8; k++) cases.push(inflateCase("long output, truncated", z.subarray(0, 3 + rng.int(z.length - 3)), rng.int(70_000)));
    }
    for (let k = 0; k < 4; k++) cases.push(inflateCase("truncated", z.subarray(0, rng.int(z.length)), src.length));
    for (let k = 0; k < 14; k++) {
      const m = z.slice();
      const flips = 1 + rng.int(3);
      // flip bits near the start (the block header and code lengths) more often
      for (let f = 0; f < flips; f++) {
        const at = rng.chance(0.6) ? rng.int(Math.min(m.length, 40)) : rng.int(m.length);
        m[at]! ^= 1 << rng.int(8);
      }
      cases.push(inflateCase("bit flips", m, src.length));
    }
  });
  const counts: Record<string, number> = {};
  for (const c of cases as Record<string, unknown>[]) {
    const k = "ok" in c ? "ok" : `reason ${String(c.reason)}`;
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return { name: "inflate", source: "node/codec/compress.ts decompress (zlib inflateRaw)", counts, cases };
}

// ------------------------------------------------------------------------------------------ blobs

type BlobEdit = ["set", number, number, number] | ["or", number, number, number] | ["resize", number, number] | ["appendZeroBlob"] | ["dropBlobs"];

function seededData(seed: number, length: number): Uint8Array {
  const r = new XorShift32(seed);
  return Uint8Array.from({ length }, () => r.next() % 256);
}

function blobCase(why: string, seed: number, length: number, edits: BlobEdit[]) {
  const data = seededData(seed, length);
  let blobs = packBlobs(data).map((b) => b.slice());
  const packedKeccak = bytesToHex(keccak_256(Uint8Array.from(blobs.flatMap((b) => [...b]))));
  for (const e of edits) {
    if (e[0] === "set") blobs[e[1]]![e[2]] = e[3];
    else if (e[0] === "or") blobs[e[1]]![e[2]]! |= e[3];
    else if (e[0] === "resize") {
      const b = new Uint8Array(e[2]);
      b.set(blobs[e[1]]!.subarray(0, Math.min(e[2], blobs[e[1]]!.length)));
      blobs[e[1]] = b;
    } else if (e[0] === "appendZeroBlob") blobs.push(new Uint8Array(131072));
    else blobs = [];
  }
  const res = unpackBlobs(blobs);
  return {
    why,
    seed,
    length,
    blobs: packBlobs(data).length,
    packedKeccak,
    edits,
    ...(res.ok ? { ok: bytesToHex(keccak_256(res.data)) } : { error: res.error.code }),
  };
}

function blobVectors() {
  const cases = [];
  const lengths = [0, 1, 31, 122, 127, 130_042, 130_043, 130_044, 260_091, 260_092, 400_000, 780_283];
  lengths.forEach((len, i) => cases.push(blobCase(`${len} bytes`, 1000 + i, len, [])));
  cases.push(blobCase("7 blobs", 7, 700_000, [["appendZeroBlob"], ["appendZeroBlob"]]));
  cases.push(blobCase("no blobs", 8, 10, [["dropBlobs"]]));
  cases.push(blobCase("blob one byte short", 9, 10, [["resize", 0, 131071]]));
  cases.push(blobCase("blob one byte long", 9, 10, [["resize", 0, 131073]]));
  cases.push(blobCase("second blob short", 10, 200_000, [["resize", 1, 4096]]));
  cases.push(blobCase("FE top bit 255", 11, 1000, [["or", 0, 32 * 17, 0x80]]));
  cases.push(blobCase("FE top bit 254 in padding", 12, 1000, [["or", 0, 32 * 4095, 0x40]]));
  cases.push(blobCase("FE top bit, second blob", 13, 200_000, [["or", 1, 32 * 100, 0xc0]]));
  cases.push(blobCase("version 2", 14, 100, [["set", 0, 1, 2]]));
  cases.push(blobCase("version 0", 15, 100, [["set", 0, 1, 0]]));
  cases.push(blobCase("length beyond capacity", 16, 100, [["set", 0, 2, 0xff]]));
  cases.push(blobCase("length 130044 in one blob", 17, 100, [["set", 0, 3, 0x01], ["set", 0, 4, 0xfb], ["set", 0, 5, 0xfc]]));
  cases.push(blobCase("extra zero blob", 18, 100, [["appendZeroBlob"]]));
  cases.push(blobCase("nonzero last byte", 19, 100, [["set", 0, 131071, 1]]));
  cases.push(blobCase("nonzero 6-bit tail piece in padding", 20, 100, [["or", 0, 128 * 5, 0x01]]));
  cases.push(blobCase("nonzero byte right after the data", 21, 100, [["set", 0, 32 * 3 + 1 + (105 - 93), 0x01]]));
  cases.push(blobCase("data byte changed (still valid)", 22, 100, [["set", 0, 40, 0x3f]]));
  cases.push(blobCase("nonzero padding in the last blob", 23, 300_000, [["set", 2, 131071, 9]]));
  return { name: "blobs", source: "node/da/packing.ts packBlobs, unpackBlobs", cases };
}

// ------------------------------------------------------------------------------------------ main

function main() {
  const files: Record<string, unknown> = {
    "ecrecover.json": ecrecoverVectors(),
    "eip712.json": eip712Vectors(),
    "inflate.json": inflateVectors(),
    "blobs.json": blobVectors(),
  };
  const check = process.argv.includes("--check");
  mkdirSync(OUT, { recursive: true });
  let stale = 0;
  for (const [name, v] of Object.entries(files)) {
    const text = `${JSON.stringify(v, null, 1)}\n`;
    const file = path.join(OUT, name);
    if (check) {
      let old = "";
      try {
        old = readFileSync(file, "utf8");
      } catch {}
      if (old !== text) {
        console.error(`stale: test/vectors/guest/${name}`);
        stale++;
      }
    } else writeFileSync(file, text);
  }
  if (check && stale > 0) process.exit(1);
  console.log(check ? "test/vectors/guest (codec): up to date" : `wrote ${Object.keys(files).length} files to test/vectors/guest`);
}

main();
