// Fuzzing of the codec's decoders (npm run fuzz:codec -> fuzz-cli.ts; a short run in test/node/codec).
//
// Inputs: random bytes, random bytes behind a valid header, and mutations of valid batches from a seeded
// corpus (random txs of every kind with edge values, encoded with every compression): bit flips, byte
// sets, truncation, extension, insertion/deletion, splices of two batches, edits of the length fields
// (txCount, recordsLength), record-level mutations re-wrapped in a valid compressed section, and
// decompression bombs, sections using the reserved zstd id. Single-tx encodings are mutated the same way.
// Per input it asserts: no exception escapes decodeBatch/decodeTx, no INTERNAL reason, decode time under
// a bound, heap bounded; and for every accepted input, canonicality: re-encoding the decoded batch gives
// the same bytes (compression NONE: the input itself; compressed: the same envelope with the section
// replaced by its records) and decodes back to the same batch.

import zlib from "node:zlib";
import { MAX_AMOUNT, MAX_BULK_ACTIONS, TxKind, type Address, type BulkAction, type Tx } from "../clob/types.ts";
import { HEADER_BYTES, SIGNATURE_BYTES, decodeBatch, encodeBatch, type Batch, type BatchHeader } from "./batch.ts";
import { Compression, decompress, MAX_RECORDS_BYTES } from "./compress.ts";
import { DecodeReason, reasonName } from "./errors.ts";
import { addressFromBytes, bytesToHex } from "../clob/eip712.ts";
import { HALF_N, MAX_U32, decodeTx, encodeTx } from "./tx.ts";
import { Reader, Writer } from "./varint.ts";

// ---------------------------------------------------------------------------------------------------------
// seeded generator

/** xoshiro128** over 32-bit words: small, fast, identical on every platform. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    this.a = seed | 0 || 1;
    this.b = 0x9e3779b9;
    this.c = 0x243f6a88;
    this.d = 0xb7e15162;
    for (let i = 0; i < 16; i++) this.u32();
  }
  u32(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }
  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }
  /** Uniform integer in [lo, hi] (hi - lo < 2^32). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
  /** Uniform safe integer in [0, 2^53-1]. */
  u53(): number {
    return (this.u32() & 0x1fffff) * 4294967296 + this.u32();
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

const U53_EDGES = [0, 1, 2, 63, 64, 127, 128, 255, 16383, 16384, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 52, MAX_AMOUNT - 1, MAX_AMOUNT];
const U32_EDGES = [0, 1, 127, 128, 2 ** 31, 2 ** 32 - 2, MAX_U32];

function u53(rng: Rng): number {
  const u = rng.next();
  if (u < 0.3) return rng.pick(U53_EDGES);
  if (u < 0.7) return rng.int(0, 1000);
  if (u < 0.85) return rng.int(0, 2 ** 32 - 1);
  return rng.u53();
}
function u32(rng: Rng): number {
  const u = rng.next();
  if (u < 0.3) return rng.pick(U32_EDGES);
  if (u < 0.8) return rng.int(0, 10);
  return rng.u32();
}

/** A random signature with s <= n/2 (edge cases included). */
export function randomSig(rng: Rng): Tx["sig"] {
  const u = rng.next();
  let s: Uint8Array;
  if (u < 0.05) s = HALF_N.slice();
  else if (u < 0.08) s = new Uint8Array(32);
  else {
    s = rng.bytes(32);
    s[0]! &= 0x7f;
    if (s[0] === 0x7f) s[0] = 0x7e;
  }
  const r = rng.chance(0.03) ? new Uint8Array(32).fill(rng.chance(0.5) ? 0 : 0xff) : rng.bytes(32);
  return { r, s, v: (rng.u32() & 1) as 0 | 1 };
}

export function randomAddress(rng: Rng): Address {
  return addressFromBytes(rng.bytes(20));
}

/** Random encodable txs: every kind, every enum value, edge integers, repeated accounts and markets. */
export function randomTxs(rng: Rng, count: number, timestamp: number): Tx[] {
  const pool = Array.from({ length: rng.int(1, 6) }, () => randomAddress(rng));
  const nonces = new Map<string, number>();
  const markets = [0, 1, 2, rng.pick(U32_EDGES)];
  const txs: Tx[] = [];
  for (let i = 0; i < count; i++) {
    const account = rng.chance(0.1) ? randomAddress(rng) : rng.pick(pool);
    const prev = nonces.get(account);
    const nonce = prev !== undefined && prev < MAX_AMOUNT && rng.chance(0.7) ? prev + 1 : u53(rng);
    nonces.set(account, nonce);
    const sig = randomSig(rng);
    const kind = rng.int(1, 9) as TxKind;
    const near = (base: number) => Math.max(0, Math.min(MAX_AMOUNT, base + rng.int(-100, 100)));
    // the fields of a trading kind (a single tx or a BULK action)
    const trading = (k: number): Record<string, number> => {
      const market = rng.chance(0.8) ? rng.pick(markets) : u32(rng);
      const size = rng.chance(0.5) ? rng.pick([1, 10, 100]) : u53(rng);
      const price = rng.chance(0.5) ? rng.int(90_000, 110_000) : u53(rng);
      switch (k) {
        case TxKind.PLACE:
          return {
            market, side: rng.int(0, 1), tif: rng.int(0, 4), price, size,
            expiry: rng.chance(0.5) ? 0 : rng.chance(0.5) ? near(timestamp) : u53(rng), clientId: rng.chance(0.4) ? 0 : u53(rng), stp: rng.int(0, 3),
          };
        case TxKind.CANCEL:
          return { market, orderId: u53(rng) };
        case TxKind.CANCEL_BY_CLIENT_ID:
          return { market, clientId: u53(rng) };
        case TxKind.CANCEL_ALL:
          return { market };
        default:
          return { market, orderId: u53(rng), price, size };
      }
    };
    switch (kind) {
      case TxKind.WITHDRAW:
        txs.push({
          kind: TxKind.WITHDRAW, account, nonce, sig,
          asset: u32(rng),
          amount: u53(rng),
          recipient: rng.chance(0.4) ? account : rng.chance(0.5) ? rng.pick(pool) : randomAddress(rng),
        });
        break;
      case TxKind.BULK: {
        const n = rng.chance(0.1) ? MAX_BULK_ACTIONS : rng.int(1, 12);
        const actions = Array.from({ length: n }, () => {
          const op = rng.int(1, 5);
          return { op, ...trading(op) } as unknown as BulkAction;
        });
        txs.push({ kind: TxKind.BULK, account, nonce, sig, actions });
        break;
      }
      case TxKind.APPROVE_AGENT:
        txs.push({ kind: TxKind.APPROVE_AGENT, account, nonce, sig, agent: rng.pick(pool), expiry: rng.chance(0.5) ? near(timestamp) : u53(rng) });
        break;
      case TxKind.REVOKE_AGENT:
        txs.push({ kind: TxKind.REVOKE_AGENT, account, nonce, sig, agent: randomAddress(rng) });
        break;
      default:
        txs.push({ kind, account, nonce, sig, ...trading(kind) } as unknown as Tx);
    }
  }
  return txs;
}

export function randomHeader(rng: Rng): BatchHeader {
  const a = u53(rng);
  const b = u53(rng);
  return {
    parentBatchHash: bytesToHex(rng.bytes(32)),
    timestamp: rng.chance(0.7) ? rng.int(1_600_000_000, 1_900_000_000) : u53(rng),
    l1MsgStart: Math.min(a, b),
    l1MsgEnd: Math.max(a, b),
  };
}

export function randomBatch(rng: Rng, maxTxs = 40): Batch {
  const header = randomHeader(rng);
  return { header, txs: randomTxs(rng, rng.int(0, maxTxs), header.timestamp) };
}

// ---------------------------------------------------------------------------------------------------------
// envelope surgery

/** Positions of the envelope's variable fields (for valid-looking inputs), or null if it does not parse. */
export function envelopeLayout(b: Uint8Array): { countAt: number; algoAt: number; lenAt: number; sectionAt: number; sigAt: number; count: number; algo: number; length: number } | null {
  try {
    const r = new Reader(b, HEADER_BYTES);
    const countAt = r.pos;
    const count = r.varint();
    const algoAt = r.pos;
    const algo = r.u8();
    const lenAt = r.pos;
    const length = r.varint();
    const sigAt = b.length - count * SIGNATURE_BYTES;
    if (sigAt < r.pos) return null;
    return { countAt, algoAt, lenAt, sectionAt: r.pos, sigAt, count, algo, length };
  } catch {
    return null;
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function varintBytes(v: number): Uint8Array {
  const w = new Writer(10);
  w.varint(v);
  return w.finish();
}

/** The envelope with its section replaced by `records` under `algo` (recordsLength set to `length`). */
function rewrap(b: Uint8Array, l: NonNullable<ReturnType<typeof envelopeLayout>>, algo: number, section: Uint8Array, length: number): Uint8Array {
  return concat(b.subarray(0, l.algoAt), Uint8Array.of(algo), varintBytes(length), section, b.subarray(l.sigAt));
}

/** Algorithm id 2 (zstd) is reserved in v1: inputs using it must be rejected (BAD_COMPRESSION). */
const ZSTD_RESERVED = 2;

function compressWith(algo: number, data: Uint8Array, rng: Rng): Uint8Array {
  if (algo === Compression.DEFLATE) return zlib.deflateRawSync(data, { level: rng.int(0, 9) });
  if (algo === ZSTD_RESERVED) {
    return zlib.zstdCompressSync(data, {
      params: {
        [zlib.constants.ZSTD_c_compressionLevel]: rng.int(1, 19),
        [zlib.constants.ZSTD_c_contentSizeFlag]: rng.chance(0.8) ? 1 : 0,
        [zlib.constants.ZSTD_c_checksumFlag]: rng.chance(0.9) ? 0 : 1,
      },
    });
  }
  return data;
}

// ---------------------------------------------------------------------------------------------------------
// mutation

function mutateBytes(rng: Rng, b: Uint8Array, region?: [number, number]): Uint8Array {
  const out = b.slice();
  if (out.length === 0) return rng.bytes(rng.int(1, 8));
  const [lo, hi] = region && region[1] > region[0] ? region : [0, out.length];
  const pos = () => rng.int(lo, hi - 1);
  const n = rng.int(1, 4);
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    if (u < 0.5) out[pos()]! ^= 1 << rng.int(0, 7);
    else if (u < 0.8) out[pos()] = rng.pick([0x00, 0x01, 0x7f, 0x80, 0xff, rng.u32() & 0xff]);
    else out[pos()] = rng.u32() & 0xff;
  }
  return out;
}

/** One mutated input derived from `b` (and `other`, for splices). */
export function mutate(rng: Rng, b: Uint8Array, other: Uint8Array): Uint8Array {
  const u = rng.next();
  if (u < 0.3) {
    // bit flips / byte sets, half of the time inside the section or signatures
    const l = envelopeLayout(b);
    if (l && rng.chance(0.5)) return mutateBytes(rng, b, rng.chance(0.7) ? [l.sectionAt, l.sigAt] : [l.sigAt, b.length]);
    return mutateBytes(rng, b);
  }
  if (u < 0.4) return b.slice(0, rng.int(0, Math.max(0, b.length - 1))); // truncation
  if (u < 0.45) return concat(b, rng.bytes(rng.int(1, 70))); // extension
  if (u < 0.52) {
    // insert or delete one byte
    const p = rng.int(0, b.length);
    return rng.chance(0.5) ? concat(b.subarray(0, p), Uint8Array.of(rng.u32() & 0xff), b.subarray(p)) : concat(b.subarray(0, p), b.subarray(p + 1));
  }
  if (u < 0.6) return concat(b.subarray(0, rng.int(0, b.length)), other.subarray(rng.int(0, other.length))); // splice
  const l = envelopeLayout(b);
  if (!l) return mutateBytes(rng, b);
  if (u < 0.75) {
    // length-field edits: txCount or recordsLength
    const edit = (v: number) => Math.max(0, rng.pick([v + 1, v - 1, v + 64, v - 64, 0, rng.int(0, 2 ** 24), MAX_RECORDS_BYTES, MAX_RECORDS_BYTES + 1, 2 ** 53 - 1]));
    if (rng.chance(0.5)) return concat(b.subarray(0, l.countAt), varintBytes(edit(l.count)), b.subarray(l.algoAt));
    return concat(b.subarray(0, l.lenAt), varintBytes(edit(l.length)), b.subarray(l.sectionAt));
  }
  // record-level mutation, re-wrapped in a well-formed section of a random algorithm
  let records: Uint8Array;
  try {
    records = decompress(l.algo, b, l.sectionAt, l.sigAt, l.length);
  } catch {
    return mutateBytes(rng, b);
  }
  let m = rng.chance(0.8) ? mutateBytes(rng, records) : records.slice(0, rng.int(0, records.length));
  if (rng.chance(0.1)) m = concat(m, rng.bytes(rng.int(1, 8)));
  const algo = rng.chance(0.05) ? ZSTD_RESERVED : rng.int(0, 1);
  return rewrap(b, l, algo, compressWith(algo, m, rng), m.length);
}

/** Decompression bombs wrapped in otherwise valid envelopes. */
function makeBombs(base: Uint8Array): Uint8Array[] {
  const l = envelopeLayout(base)!;
  const bomb = zlib.deflateRawSync(new Uint8Array(64 << 20), { level: 9 });
  return [0, 1, 1000, MAX_RECORDS_BYTES].map((len) => rewrap(base, l, Compression.DEFLATE, bomb, len));
}

// ---------------------------------------------------------------------------------------------------------
// run

export interface FuzzOptions {
  inputs: number;
  seed?: number;
  /** Corpus size (valid batches mutated). */
  corpus?: number;
  /** Largest accepted time for one decode (ms); exceeding it is a failure. */
  maxDecodeMs?: number;
  /** Progress callback every 100k inputs. */
  progress?: (done: number) => void;
}

export interface FuzzSummary {
  fuzz: "codec";
  seed: number;
  inputs: number;
  batchInputs: number;
  txInputs: number;
  accepted: number;
  rejected: number;
  reasons: Record<string, number>;
  escapedExceptions: number;
  internalErrors: number;
  roundTripFailures: number;
  slowInputs: number;
  maxDecodeMs: number;
  maxHeapMb: number;
  elapsedMs: number;
  ok: boolean;
  firstFailure?: string;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function runFuzz(opts: FuzzOptions): FuzzSummary {
  const seed = opts.seed ?? 1;
  const rng = new Rng(seed);
  const maxDecodeMs = opts.maxDecodeMs ?? 1000;
  const t0 = performance.now();

  const corpus: Uint8Array[] = [];
  const txCorpus: Uint8Array[] = [];
  for (let i = 0; i < (opts.corpus ?? 300); i++) {
    const batch = randomBatch(rng);
    corpus.push(encodeBatch(batch, { compression: rng.pick([Compression.NONE, Compression.DEFLATE]) }));
    for (const tx of batch.txs.slice(0, 3)) txCorpus.push(encodeTx(tx));
  }
  const bombs = makeBombs(corpus.find((b) => envelopeLayout(b) !== null)!);

  const s: FuzzSummary = {
    fuzz: "codec", seed, inputs: 0, batchInputs: 0, txInputs: 0, accepted: 0, rejected: 0, reasons: {},
    escapedExceptions: 0, internalErrors: 0, roundTripFailures: 0, slowInputs: 0, maxDecodeMs: 0, maxHeapMb: 0,
    elapsedMs: 0, ok: true,
  };
  const failure = (what: string, input: Uint8Array) => {
    s.ok = false;
    s.firstFailure ??= `${what}: ${Buffer.from(input.subarray(0, 256)).toString("hex")}${input.length > 256 ? "..." : ""}`;
  };
  const header = corpus[0]!.subarray(0, HEADER_BYTES);

  for (let i = 0; i < opts.inputs; i++) {
    s.inputs++;
    if (i % 10_000 === 0) {
      s.maxHeapMb = Math.max(s.maxHeapMb, process.memoryUsage().heapUsed / 2 ** 20);
      if (opts.progress && i % 100_000 === 0 && i > 0) opts.progress(i);
    }
    if (i % 10 === 9) {
      // single-tx decoder
      s.txInputs++;
      const base = rng.pick(txCorpus);
      const input = rng.chance(0.05) ? rng.bytes(rng.int(0, 140)) : mutate(rng, base, rng.pick(txCorpus));
      let res: ReturnType<typeof decodeTx>;
      try {
        res = decodeTx(input);
      } catch (e) {
        s.escapedExceptions++;
        failure(`decodeTx threw ${(e as Error)?.message}`, input);
        continue;
      }
      if (res.ok) {
        s.accepted++;
        if (!equalBytes(encodeTx(res.tx), input)) {
          s.roundTripFailures++;
          failure("decodeTx round trip", input);
        }
      } else {
        s.rejected++;
        s.reasons[res.reasonName] = (s.reasons[res.reasonName] ?? 0) + 1;
        if (res.reason === DecodeReason.INTERNAL) {
          s.internalErrors++;
          failure("decodeTx INTERNAL", input);
        }
      }
      continue;
    }
    s.batchInputs++;
    let input: Uint8Array;
    const u = rng.next();
    if (u < 0.05) input = rng.bytes(rng.int(0, 400));
    else if (u < 0.12) input = concat(header, rng.bytes(rng.int(0, 400)));
    else if (u < 0.1205) input = rng.pick(bombs);
    else if (u < 0.13) input = rng.pick(corpus); // unmodified: must be accepted
    else input = mutate(rng, rng.pick(corpus), rng.pick(corpus));

    const ts = performance.now();
    let res: ReturnType<typeof decodeBatch>;
    try {
      res = decodeBatch(input);
    } catch (e) {
      s.escapedExceptions++;
      failure(`decodeBatch threw ${(e as Error)?.message}`, input);
      continue;
    }
    const dt = performance.now() - ts;
    if (dt > s.maxDecodeMs) s.maxDecodeMs = dt;
    if (dt > maxDecodeMs) {
      s.slowInputs++;
      failure(`decode took ${dt.toFixed(1)} ms`, input);
    }
    if (!res.ok) {
      s.rejected++;
      s.reasons[res.reasonName] = (s.reasons[res.reasonName] ?? 0) + 1;
      if (res.reason === DecodeReason.INTERNAL) {
        s.internalErrors++;
        failure("decodeBatch INTERNAL", input);
      }
      continue;
    }
    s.accepted++;
    if (!checkCanonical(input, res.batch, res.compression)) {
      s.roundTripFailures++;
      failure("batch round trip", input);
    }
  }
  s.maxHeapMb = Math.round(Math.max(s.maxHeapMb, process.memoryUsage().heapUsed / 2 ** 20));
  s.maxDecodeMs = Math.round(s.maxDecodeMs * 100) / 100;
  s.elapsedMs = Math.round(performance.now() - t0);
  if (s.accepted === 0) failure("no input was accepted (the corpus is broken)", new Uint8Array());
  return s;
}

/**
 * Canonicality of an accepted input: the NONE encoding of the decoded batch equals the input with its
 * section replaced by the decompressed records, and the batch re-encoded with the input's algorithm
 * decodes to the same NONE bytes.
 */
export function checkCanonical(input: Uint8Array, batch: Batch, algo: Compression): boolean {
  const plain = encodeBatch(batch, { compression: Compression.NONE });
  let expected = input;
  if (algo !== Compression.NONE) {
    const l = envelopeLayout(input)!;
    expected = rewrap(input, l, Compression.NONE, decompress(algo, input, l.sectionAt, l.sigAt, l.length), l.length);
  }
  if (!equalBytes(plain, expected)) return false;
  const again = decodeBatch(encodeBatch(batch, { compression: algo }));
  return again.ok && equalBytes(encodeBatch(again.batch, { compression: Compression.NONE }), plain);
}

export { reasonName };
