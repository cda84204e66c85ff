// DEFLATE byte vectors for a second inflater (the Rust guest): docs/batch-format.md "Compression" makes the
// records section's validity whatever node/codec's decompress (zlib inflateRaw, bounded by recordsLength,
// no trailing bytes) says; these cases pin that answer byte for byte, including the corners where
// inflaters are known to differ. Written to test/vectors/codec/deflate.json by deflate.vectors.test.ts
// (UPDATE_DEFLATE_VECTORS=1); each case: the section bytes, the declared recordsLength, and either the
// output (hex, or its keccak256 and length when long) or the codec reason.

import zlib from "node:zlib";
import { bytesToHex } from "../../../node/clob/eip712.ts";
import { decompress } from "../../../node/codec/compress.ts";
import { Invalid, reasonName } from "../../../node/codec/errors.ts";
import { keccak256 } from "../../../node/state/keccak.ts";

export interface DeflateCase {
  name: string;
  section: string;
  recordsLength: number;
  /** "ok" or the DecodeReason name. */
  outcome: string;
  /** The inflated bytes (hex) when at most 256 bytes, else omitted. */
  output?: string;
  outputKeccak?: string;
  outputLength?: number;
}

/** LSB-first bit writer (RFC 1951 3.1.1); Huffman codes are written most significant bit first. */
class Bits {
  private bytes: number[] = [];
  private acc = 0;
  private n = 0;
  bits(v: number, count: number): this {
    for (let i = 0; i < count; i++) this.bit((v >> i) & 1);
    return this;
  }
  code(v: number, len: number): this {
    for (let i = len - 1; i >= 0; i--) this.bit((v >> i) & 1);
    return this;
  }
  private bit(b: number): void {
    this.acc |= b << this.n++;
    if (this.n === 8) {
      this.bytes.push(this.acc);
      this.acc = 0;
      this.n = 0;
    }
  }
  raw(b: number[]): this {
    if (this.n > 0) this.bits(0, 8 - this.n);
    this.bytes.push(...b);
    return this;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.n > 0 ? [...this.bytes, this.acc] : this.bytes);
  }
}

const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** A dynamic-block header with the given code-length-code lengths (by symbol), then `body`. */
function dynamicHeader(w: Bits, hlit: number, hdist: number, clLens: Record<number, number>): Bits {
  w.bits(1, 1).bits(2, 2).bits(hlit - 257, 5).bits(hdist - 1, 5);
  let last = 3;
  for (let i = 0; i < 19; i++) if (clLens[CL_ORDER[i]]) last = Math.max(last, i);
  w.bits(last + 1 - 4, 4);
  for (let i = 0; i <= last; i++) w.bits(clLens[CL_ORDER[i]] ?? 0, 3);
  return w;
}

/** Fixed-Huffman literal/length code of symbol s (RFC 1951 3.2.6). */
function fixedLit(w: Bits, s: number): Bits {
  if (s < 144) return w.code(0x30 + s, 8);
  if (s < 256) return w.code(0x190 + s - 144, 9);
  if (s < 280) return w.code(s - 256, 7);
  return w.code(0xc0 + s - 280, 8);
}

const pseudo = (n: number, seed: number): Uint8Array => {
  let s = seed;
  return Uint8Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) >>> 0), (s >>> 16) & 0xff));
};
/** Records-like bytes: small alphabet, repeats (what a batch's records look like to the compressor). */
const recordsLike = (n: number): Uint8Array => Uint8Array.from(pseudo(n, 9), (b, i) => (i % 7 === 0 ? b : b & 0x0f));

function streams(): { name: string; section: Uint8Array; length: number }[] {
  const text = recordsLike(3000);
  const deflate = (d: Uint8Array, level: number, strategy?: number) => new Uint8Array(zlib.deflateRawSync(d, { level, strategy }));
  const dyn = deflate(text, 9);
  const fixed = deflate(text.subarray(0, 40), 9, zlib.constants.Z_FIXED);
  const stored = deflate(text.subarray(0, 300), 0);
  const zeros = new Uint8Array(1 << 20);
  const bomb = deflate(zeros, 9);
  const out: { name: string; section: Uint8Array; length: number }[] = [
    { name: "dynamic Huffman (zlib level 9)", section: dyn, length: text.length },
    { name: "fixed Huffman (Z_FIXED)", section: fixed, length: 40 },
    { name: "stored block (level 0)", section: stored, length: 300 },
    { name: "empty final fixed block", section: Uint8Array.of(0x03, 0x00), length: 0 },
    { name: "empty final stored block", section: Uint8Array.of(0x01, 0x00, 0x00, 0xff, 0xff), length: 0 },
    { name: "two stored blocks (first not final)", section: Uint8Array.of(0x00, 0x02, 0x00, 0xfd, 0xff, 0xaa, 0xbb, 0x01, 0x01, 0x00, 0xfe, 0xff, 0xcc), length: 3 },
    {
      name: "stored block (not final) then a fixed block",
      section: (() => { const w = new Bits().bits(0, 1).bits(0, 2).raw([0x01, 0x00, 0xfe, 0xff, 0x41]).bits(1, 1).bits(1, 2); fixedLit(w, 0x42); fixedLit(w, 256); return w.done(); })(),
      length: 2,
    },
    { name: "fixed block: a match copying the byte before it (distance 1, length 10)", section: (() => { const w = new Bits().bits(1, 1).bits(1, 2); fixedLit(w, 0x61); fixedLit(w, 264); w.code(0, 5); fixedLit(w, 256); return w.done(); })(), length: 11 },
    { name: "max match length 258 (fixed, symbol 285)", section: (() => { const w = new Bits().bits(1, 1).bits(1, 2); fixedLit(w, 0x7a); fixedLit(w, 285); w.code(0, 5); fixedLit(w, 256); return w.done(); })(), length: 259 },
    // invalid
    { name: "reserved block type 3", section: Uint8Array.of(0x07), length: 1 },
    { name: "stored block LEN/NLEN mismatch", section: Uint8Array.of(0x01, 0x02, 0x00, 0xfc, 0xff, 0xaa, 0xbb), length: 2 },
    { name: "truncated dynamic stream", section: dyn.subarray(0, dyn.length - 1), length: text.length },
    { name: "truncated stored block", section: Uint8Array.of(0x01, 0x05, 0x00, 0xfa, 0xff, 1, 2), length: 5 },
    { name: "empty section", section: new Uint8Array(0), length: 0 },
    { name: "non-final block only (stream never ends)", section: Uint8Array.of(0x00, 0x01, 0x00, 0xfe, 0xff, 0x41), length: 1 },
    { name: "distance beyond the output start (fixed, first symbol a match)", section: (() => { const w = new Bits().bits(1, 1).bits(1, 2); fixedLit(w, 257); w.code(0, 5); fixedLit(w, 256); return w.done(); })(), length: 3 },
    { name: "distance 2 with 1 byte of output", section: (() => { const w = new Bits().bits(1, 1).bits(1, 2); fixedLit(w, 0x61); fixedLit(w, 257); w.code(1, 5); fixedLit(w, 256); return w.done(); })(), length: 4 },
    { name: "fixed block: literal/length symbol 286 (invalid)", section: (() => { const w = new Bits().bits(1, 1).bits(1, 2); w.code(0xc6, 8); return w.done(); })(), length: 1 },
    { name: "fixed block: distance symbol 30 (invalid)", section: (() => { const w = new Bits().bits(1, 1).bits(1, 2); fixedLit(w, 0x61); fixedLit(w, 257); w.code(30, 5); fixedLit(w, 256); return w.done(); })(), length: 4 },
    { name: "over-subscribed code-length code", section: dynamicHeader(new Bits(), 257, 1, Object.fromEntries(CL_ORDER.map((s) => [s, 1]))).bits(0, 16).done(), length: 1 },
    { name: "incomplete code-length code (one symbol of length 2)", section: dynamicHeader(new Bits(), 257, 1, { 0: 2 }).bits(0, 16).done(), length: 1 },
    {
      // lit/len lengths: symbols 0 and 1 of length 1, everything else (256 included) 0; one distance code.
      // code-length code: 18 -> "0", 0 -> "10", 1 -> "11" (complete).
      name: "literal/length code without an end-of-block symbol",
      section: (() => { const w = dynamicHeader(new Bits(), 257, 1, { 18: 1, 0: 2, 1: 2 }); w.code(3, 2).code(3, 2).code(0, 1).bits(127, 7).code(0, 1).bits(106, 7).code(3, 2); w.code(0, 1).code(0, 1); return w.done(); })(),
      length: 2,
    },
    {
      name: "repeat code 16 with no previous length",
      section: (() => { const w = dynamicHeader(new Bits(), 257, 1, { 16: 1, 0: 2, 1: 2 }); w.code(0, 1).bits(0, 2); return w.done(); })(),
      length: 1,
    },
    { name: "trailing byte after the final block", section: Uint8Array.of(...fixed, 0x00), length: 40 },
    { name: "output longer than recordsLength", section: dyn, length: text.length - 1 },
    { name: "output shorter than recordsLength", section: dyn, length: text.length + 1 },
    { name: "decompression bomb: 1 MiB of zeros declared as 100 bytes", section: bomb, length: 100 },
    { name: "1 MiB of zeros declared exactly (allowed up to 2 MiB)", section: bomb, length: zeros.length },
  ];
  return out;
}

export function buildDeflateVectors(): { name: string; description: string; cases: DeflateCase[] } {
  const cases: DeflateCase[] = [];
  for (const s of streams()) {
    const c: DeflateCase = { name: s.name, section: bytesToHex(s.section), recordsLength: s.length, outcome: "ok" };
    try {
      const out = decompress(1, s.section, 0, s.section.length, s.length);
      if (out.length <= 256) c.output = bytesToHex(out);
      else {
        c.outputKeccak = bytesToHex(keccak256(out));
        c.outputLength = out.length;
      }
    } catch (e) {
      if (!(e instanceof Invalid)) throw e;
      c.outcome = reasonName(e.reason);
    }
    cases.push(c);
  }
  return {
    name: "deflate",
    description: "DEFLATE (RFC 1951 raw) records sections with the declared recordsLength and node/codec's verdict (zlib inflateRaw bounded by recordsLength, the stream ending exactly at the section end): ok with the output, or DECOMPRESS_FAILED / BAD_COMPRESSED_FRAME / RECORDS_LENGTH_MISMATCH. A second inflater must give the same verdict on every case.",
    cases,
  };
}
