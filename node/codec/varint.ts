// Byte writer/reader with canonical LEB128 varints and zigzag signed varints (docs/batch-format.md,
// "Primitives"). Values are JS numbers holding safe integers; nothing here allocates per value.
//
// Varint rules (both directions): 1..8 bytes, 7 bits per byte little-endian, high bit = continuation;
// a varint longer than one byte must not end in 0x00 (no overlong forms), so every value has exactly one
// encoding. Unsigned values handled here are <= 2^53-1 (8 bytes hold 56 bits). A signed value d is sent as
// the zigzag value z = 2|d| - (d < 0 ? 1 : 0), i.e. z = 2d for d >= 0 and z = -2d-1 for d < 0.

import { MAX_AMOUNT } from "../clob/types.ts";
import { DecodeReason, Invalid } from "./errors.ts";

/** Longest varint accepted (8 bytes = 56 bits, enough for 2^53-1 and for zigzag deltas of such values). */
export const MAX_VARINT_BYTES = 8;

/** Growable output buffer. */
export class Writer {
  buf: Uint8Array;
  pos = 0;

  constructor(initial = 1024) {
    this.buf = new Uint8Array(initial);
  }

  reset(): void {
    this.pos = 0;
  }

  private grow(need: number): void {
    let n = this.buf.length * 2;
    while (n < this.pos + need) n *= 2;
    const b = new Uint8Array(n);
    b.set(this.buf.subarray(0, this.pos));
    this.buf = b;
  }

  /** Ensures room for `n` more bytes (call before the unchecked writers below). */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  u8(v: number): void {
    if (this.pos + 1 > this.buf.length) this.grow(1);
    this.buf[this.pos++] = v;
  }

  bytes(b: Uint8Array): void {
    if (this.pos + b.length > this.buf.length) this.grow(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Big-endian 8-byte unsigned integer (value must be a safe non-negative integer). */
  u64be(v: number): void {
    if (this.pos + 8 > this.buf.length) this.grow(8);
    const lo = v % 0x100000000;
    const hi = (v - lo) / 0x100000000;
    const b = this.buf;
    const p = this.pos;
    b[p] = hi >>> 24;
    b[p + 1] = (hi >>> 16) & 0xff;
    b[p + 2] = (hi >>> 8) & 0xff;
    b[p + 3] = hi & 0xff;
    b[p + 4] = lo >>> 24;
    b[p + 5] = (lo >>> 16) & 0xff;
    b[p + 6] = (lo >>> 8) & 0xff;
    b[p + 7] = lo & 0xff;
    this.pos = p + 8;
  }

  /** Big-endian 4-byte unsigned integer (0..2^32-1). */
  u32be(v: number): void {
    if (this.pos + 4 > this.buf.length) this.grow(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = v >>> 24;
    b[p + 1] = (v >>> 16) & 0xff;
    b[p + 2] = (v >>> 8) & 0xff;
    b[p + 3] = v & 0xff;
    this.pos = p + 4;
  }

  /** Unsigned LEB128 of a safe non-negative integer. */
  varint(v: number): void {
    if (this.pos + MAX_VARINT_BYTES > this.buf.length) this.grow(MAX_VARINT_BYTES);
    const b = this.buf;
    let p = this.pos;
    if (v < 0x80000000) {
      while (v >= 0x80) {
        b[p++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
    } else {
      while (v >= 0x80) {
        b[p++] = (v % 128) | 0x80;
        v = Math.floor(v / 128);
      }
    }
    b[p++] = v;
    this.pos = p;
  }

  /** Zigzag LEB128 of an integer d with |d| <= 2^53-1 (written without forming 2|d|, which may not be exact). */
  svarint(d: number): void {
    const neg = d < 0 ? 1 : 0;
    const mag = neg ? -d - 1 : d; // z = 2*mag + neg
    const low = ((mag % 64) << 1) | neg; // z & 0x7f
    const rest = Math.floor(mag / 64); // z >> 7
    if (rest === 0) {
      this.u8(low);
    } else {
      this.u8(low | 0x80);
      this.varint(rest);
    }
  }

  /** A copy of the bytes written so far. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** Bounded reader; every failure throws `Invalid` (caught by the decoders' top level). */
export class Reader {
  readonly buf: Uint8Array;
  pos: number;
  readonly end: number;

  constructor(buf: Uint8Array, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  remaining(): number {
    return this.end - this.pos;
  }

  fail(reason: DecodeReason): never {
    throw new Invalid(reason, this.pos);
  }

  need(n: number): void {
    if (this.end - this.pos < n) throw new Invalid(DecodeReason.TRUNCATED, this.pos);
  }

  u8(): number {
    if (this.pos >= this.end) throw new Invalid(DecodeReason.TRUNCATED, this.pos);
    return this.buf[this.pos++]!;
  }

  /** n bytes as a view into the input (callers copy when they keep it). */
  view(n: number): Uint8Array {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** Big-endian u64 that must be <= max (default 2^53-1), else FIELD_RANGE. */
  u64be(max = MAX_AMOUNT): number {
    this.need(8);
    const b = this.buf;
    const p = this.pos;
    const hi = ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
    const lo = ((b[p + 4]! << 24) | (b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!) >>> 0;
    // hi >= 2^21 means the value is >= 2^53: out of range without forming an inexact number.
    if (hi >= 0x200000) throw new Invalid(DecodeReason.FIELD_RANGE, p);
    const v = hi * 0x100000000 + lo;
    if (v > max) throw new Invalid(DecodeReason.FIELD_RANGE, p);
    this.pos = p + 8;
    // A small integer (V8 Smi) when it is one: arithmetic makes heap numbers, and an object field that once
    // held one stores every later value boxed (16 B more per field; decoded transactions are kept by the
    // sequencer's pool until inclusion, docs/benchmarks.md "rpc").
    return hi === 0 && lo < 0x40000000 ? lo | 0 : v;
  }

  /** Big-endian u32 (any value; a small integer below 2^30, as u64be). */
  u32be(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    const v = ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
    return v < 0x40000000 ? v | 0 : v;
  }

  /**
   * Raw canonical LEB128 value of 1..`maxBytes` bytes. Exact when <= 2^53-1; larger values come back as a
   * number >= 2^53 (rounded, but never below 2^53), which every range check then rejects.
   */
  private leb(maxBytes: number): number {
    const start = this.pos;
    const b = this.buf;
    let p = this.pos;
    if (p >= this.end) throw new Invalid(DecodeReason.TRUNCATED, p);
    let byte = b[p++]!;
    if (byte < 0x80) {
      this.pos = p;
      return byte;
    }
    let v = byte & 0x7f;
    let mul = 128;
    for (let i = 1; ; i++) {
      if (i >= maxBytes) throw new Invalid(DecodeReason.VARINT_TOO_LONG, start);
      if (p >= this.end) throw new Invalid(DecodeReason.TRUNCATED, p);
      byte = b[p++]!;
      v += (byte & 0x7f) * mul;
      if (byte < 0x80) {
        if (byte === 0) throw new Invalid(DecodeReason.VARINT_NON_CANONICAL, start);
        this.pos = p;
        return v;
      }
      mul *= 128;
    }
  }

  /** Unsigned varint that must be <= max (default 2^53-1), else FIELD_RANGE. */
  varint(max = MAX_AMOUNT): number {
    const start = this.pos;
    const v = this.leb(MAX_VARINT_BYTES);
    if (v > max) throw new Invalid(DecodeReason.FIELD_RANGE, start);
    return v;
  }

  /**
   * Zigzag varint. Returns d exactly when |d| <= 2^53; a larger magnitude comes back as some |d| > 2^53
   * (callers add it to a value in [0, 2^53-1] and range-check the sum, which then always fails).
   */
  svarint(): number {
    const start = this.pos;
    if (this.pos >= this.end) throw new Invalid(DecodeReason.TRUNCATED, this.pos);
    const b0 = this.buf[this.pos++]!;
    const neg = b0 & 1;
    let mag = (b0 & 0x7f) >>> 1;
    if (b0 >= 0x80) {
      // The rest is the LEB128 of z >> 7 = mag >> 6: at most 7 more bytes, and not zero (that would be an
      // overlong encoding of a one-byte value).
      const rest = this.leb(MAX_VARINT_BYTES - 1);
      if (rest === 0) throw new Invalid(DecodeReason.VARINT_NON_CANONICAL, start);
      mag += rest * 64;
    }
    return neg ? -mag - 1 : mag;
  }
}

/** Number of bytes of the unsigned varint of v. */
export function varintLength(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}
