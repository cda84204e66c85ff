// Batch format v1: round trips, canonicality, every invalid-batch reason code, caps, decompression bombs.
import { expect } from "chai";
import zlib from "node:zlib";
import { MAX_AMOUNT, SelfTradePrevention, TimeInForce, TxKind, type Address, type Tx } from "../../../node/clob/types.ts";
import {
  CapacityError,
  CodecError,
  Compression,
  DecodeReason,
  HEADER_BYTES,
  MAX_ACCOUNTS_PER_BATCH,
  MAX_BATCH_BYTES,
  MAX_RECORDS_BYTES,
  MAX_TXS_PER_BATCH,
  decodeBatch,
  encodeBatch,
  fitTxs,
  type Batch,
  type BatchHeader,
} from "../../../node/codec/index.ts";
import { Rng, checkCanonical, randomBatch } from "../../../node/codec/fuzz.ts";
import { Writer } from "../../../node/codec/varint.ts";
import { A, B, C, HALF_N, HEADER, allKinds, sig, v2Kinds } from "./fixtures.ts";

const ALGOS = [Compression.NONE, Compression.DEFLATE] as const;

function roundTrip(batch: Batch, algo: Compression | "auto" = Compression.NONE): Uint8Array {
  const b = encodeBatch(batch, { compression: algo });
  const d = decodeBatch(b);
  if (!d.ok) throw new Error(`rejected: ${d.reasonName} at ${d.offset}${d.inRecords ? " (records)" : ""}`);
  expect(d.batch).to.deep.equal(batch);
  expect(checkCanonical(b, d.batch, d.compression)).to.equal(true);
  if (d.compression === Compression.NONE) expect(encodeBatch(d.batch, { compression: Compression.NONE })).to.deep.equal(b);
  return b;
}

function expectReason(b: Uint8Array, reason: number, what = ""): void {
  const d = decodeBatch(b);
  expect(d.ok, `${what}: accepted`).to.equal(false);
  if (!d.ok) expect(d.reasonName, what).to.equal(Object.entries(DecodeReason).find(([, v]) => v === reason)![0]);
}

// --- hand-built envelopes ------------------------------------------------------------------------------

interface EnvelopeParts {
  version?: number;
  header?: Partial<Record<keyof BatchHeader, number | string>>;
  /** txCount, or raw bytes for the count field. */
  count: number | number[];
  algo?: number;
  /** Declared records length (default: records.length). */
  length?: number | number[];
  /** The section bytes as stored (records, or a compressed stream). */
  section: Uint8Array | number[];
  /** Signatures (default: count valid low-s ones). */
  sigs?: Uint8Array;
}

function envelope(p: EnvelopeParts): Uint8Array {
  const h = { ...HEADER, ...p.header } as Record<string, number | string>;
  const w = new Writer();
  w.u8(p.version ?? 2);
  w.bytes(Buffer.from((h.parentBatchHash as string).slice(2), "hex"));
  w.u64be(h.timestamp as number);
  w.u64be(h.l1MsgStart as number);
  w.u64be(h.l1MsgEnd as number);
  if (typeof p.count === "number") w.varint(p.count);
  else w.bytes(Uint8Array.from(p.count));
  w.u8(p.algo ?? 0);
  const section = Uint8Array.from(p.section);
  const len = p.length ?? section.length;
  if (typeof len === "number") w.varint(len);
  else w.bytes(Uint8Array.from(len));
  w.bytes(section);
  if (p.sigs) w.bytes(p.sigs);
  else if (typeof p.count === "number") for (let i = 0; i < p.count; i++) w.bytes(sig64(i));
  return w.finish();
}

function sig64(i: number): Uint8Array {
  const s = sig(i, 0);
  return Uint8Array.of(...s.r, ...s.s);
}

const addr = (a: Address) => [...Buffer.from(a.slice(2), "hex")];
/** Records bytes from parts: numbers are raw bytes, {u} unsigned varints, {s} zigzag varints, strings addresses. */
function recs(...parts: Array<number | { u: number } | { s: number } | Address>): number[] {
  const w = new Writer();
  for (const p of parts) {
    if (typeof p === "number") w.u8(p);
    else if (typeof p === "string") w.bytes(Uint8Array.from(addr(p)));
    else if ("u" in p) w.varint(p.u);
    else w.svarint(p.s);
  }
  return [...w.finish()];
}

// kind byte flags (docs/batch-format.md)
const NONCE_SEQ = 0x08;
const MARKET_SAME = 0x10;
const NEW_OPTS = 0x80;

describe("codec: batch format", () => {
  describe("round trips", () => {
    it("every kind, with every compression", () => {
      for (const algo of [...ALGOS, "auto" as const]) roundTrip({ header: HEADER, txs: [...allKinds(), ...v2Kinds()] }, algo);
    });

    it("the empty batch", () => {
      for (const algo of ALGOS) roundTrip({ header: HEADER, txs: [] }, algo);
      const b = encodeBatch({ header: HEADER, txs: [] });
      expect(b.length).to.equal(HEADER_BYTES + 3); // txCount 0, algo NONE, recordsLength 0
    });

    it("edge values: 0 and max of every field, every side/TIF/STP, negative deltas", () => {
      const txs: Tx[] = [];
      let n = 0;
      const next = () => sig(n++, (n & 1) as 0 | 1);
      let nonce = MAX_AMOUNT - 200;
      for (const side of [0, 1] as const) {
        for (const tif of Object.values(TimeInForce)) {
          for (const stp of Object.values(SelfTradePrevention)) {
            for (const v of [0, MAX_AMOUNT, 1, 2 ** 32]) {
              txs.push({ kind: TxKind.PLACE, account: A, nonce: nonce++, market: v === MAX_AMOUNT ? 2 ** 32 - 1 : v % 3, side, tif, stp, price: v, size: v, expiry: v, clientId: v, sig: next() });
            }
          }
        }
      }
      for (const v of [0, MAX_AMOUNT, 5, 0]) {
        txs.push({ kind: TxKind.CANCEL, account: B, nonce: v, market: 2 ** 32 - 1, orderId: v, sig: next() });
        txs.push({ kind: TxKind.CANCEL_BY_CLIENT_ID, account: B, nonce: v === MAX_AMOUNT ? 0 : v + 1, market: 0, clientId: v, sig: next() });
        txs.push({ kind: TxKind.AMEND, account: C, nonce: v, market: 0, orderId: v, price: v, size: v, sig: next() });
        txs.push({ kind: TxKind.CANCEL_ALL, account: C, nonce: MAX_AMOUNT - v, market: v % 2 ** 32, sig: next() });
        txs.push({ kind: TxKind.WITHDRAW, account: A, nonce: nonce++, asset: v % 2 ** 32, amount: v, recipient: v ? B : A, sig: next() });
      }
      txs.push({ kind: TxKind.WITHDRAW, account: `0x${"01".repeat(20)}`, nonce: 0, asset: 2 ** 32 - 1, amount: 1, recipient: `0x${"02".repeat(20)}`, sig: { r: new Uint8Array(32), s: HALF_N.slice(), v: 1 } });
      for (const header of [HEADER, { ...HEADER, timestamp: 0 }, { ...HEADER, timestamp: MAX_AMOUNT, l1MsgStart: MAX_AMOUNT, l1MsgEnd: MAX_AMOUNT }]) {
        for (const algo of ALGOS) roundTrip({ header, txs }, algo);
      }
    });

    it("300 random batches (edge-heavy generator), every compression", () => {
      const rng = new Rng(7);
      for (let i = 0; i < 300; i++) roundTrip(randomBatch(rng, 60), ALGOS[i % 2]);
    });

    it("sequential nonces, repeated markets and sizes cost no bytes; known accounts cost one", () => {
      const place = (nonce: number, account: Address = A): Tx => ({ kind: TxKind.PLACE, account, nonce, market: 1, side: 0, tif: 0, price: 100, size: 5, expiry: 0, clientId: 0, stp: 0, sig: sig(nonce) });
      const one = encodeBatch({ header: HEADER, txs: [place(1000)] }, { compression: Compression.NONE });
      const two = encodeBatch({ header: HEADER, txs: [place(1000), place(1001)] }, { compression: Compression.NONE });
      // second record: kind byte, account index, price delta 0 -> 3 bytes, plus its 64-byte signature
      expect(two.length - one.length).to.equal(3 + 64);
    });

    it("matches the v2 golden vector (BULK, APPROVE_AGENT, REVOKE_AGENT) in docs/batch-format.md", () => {
      const b = encodeBatch(GOLDEN_V2, { compression: Compression.NONE });
      const hex = Buffer.from(b).toString("hex");
      // envelope: version, parent, timestamp, range, txCount 3, NONE, recordsLength; then records, then 3 signatures
      const recordsLen = GOLDEN_V2_RECORDS.length / 2;
      const head = "02" + "11".repeat(32) + "00000000684ee180" + "000000000000000a" + "000000000000000c" + "03" + "00" + recordsLen.toString(16).padStart(2, "0");
      expect(hex.slice(0, head.length)).to.equal(head);
      expect(hex.slice(head.length, head.length + GOLDEN_V2_RECORDS.length)).to.equal(GOLDEN_V2_RECORDS);
      expect(b.length).to.equal(head.length / 2 + recordsLen + 3 * 64);
      const d = decodeBatch(b);
      expect(d.ok && d.batch).to.deep.equal(GOLDEN_V2);
    });

    it("a BULK pays one signature: each action costs only its domain-encoded body", () => {
      const place = (i: number) => ({ op: TxKind.PLACE, market: 1, side: 0, tif: 3, price: 100_000 - i, size: 10, expiry: 1_750_000_060, clientId: 10 + i, stp: 0 }) as const;
      const bulk = (n: number): Tx => ({ kind: TxKind.BULK, account: A, nonce: 1, sig: sig(1), actions: Array.from({ length: n }, (_, i) => place(i)) });
      const one = encodeBatch({ header: HEADER, txs: [bulk(1)] }, { compression: Compression.NONE });
      const many = encodeBatch({ header: HEADER, txs: [bulk(32)] }, { compression: Compression.NONE });
      // each further place: action byte, price delta -1, expiry delta, client id +1 = 5 bytes; no signature
      expect((many.length - one.length) / 31).to.be.at.most(5);
      roundTrip({ header: HEADER, txs: [bulk(64)] }, Compression.NONE);
      expect(() => encodeBatch({ header: HEADER, txs: [bulk(65)] })).to.throw(CodecError, /1\.\.64 actions/);
    });

    it("matches the golden vector in docs/batch-format.md", () => {
      const b = encodeBatch(GOLDEN, { compression: Compression.NONE });
      expect(Buffer.from(b).toString("hex")).to.equal(GOLDEN_HEX);
      const d = decodeBatch(Buffer.from(GOLDEN_HEX, "hex"));
      expect(d.ok && d.batch).to.deep.equal(GOLDEN);
    });
  });

  describe("invalid batches: every reason code", () => {
    const cancelAll = recs(0x04, { u: 0 }, A, { u: 7 }, { u: 1 }); // CANCEL_ALL, new account A, nonce 7, market 1

    it("a valid hand-built envelope is accepted (baseline for the cases below)", () => {
      const d = decodeBatch(envelope({ count: 1, section: cancelAll }));
      expect(d.ok).to.equal(true);
      expect(d.ok && d.batch.txs[0]).to.deep.include({ kind: TxKind.CANCEL_ALL, account: A, nonce: 7, market: 1 });
    });

    it("envelope-level reasons", () => {
      expect(decodeBatch("00" as unknown as Uint8Array)).to.deep.include({ ok: false, reason: DecodeReason.NOT_BYTES });
      expectReason(new Uint8Array(MAX_BATCH_BYTES + 1), DecodeReason.TOO_LARGE, "too large");
      expectReason(new Uint8Array(0), DecodeReason.TRUNCATED, "empty");
      expectReason(envelope({ count: 1, section: cancelAll }).subarray(0, 50), DecodeReason.TRUNCATED, "cut header");
      expectReason(envelope({ version: 1, count: 1, section: cancelAll }), DecodeReason.BAD_VERSION, "version 1 (v1 batches)");
      expectReason(envelope({ version: 3, count: 1, section: cancelAll }), DecodeReason.BAD_VERSION, "version 3");
      expectReason(envelope({ version: 0, count: 1, section: cancelAll }), DecodeReason.BAD_VERSION, "version 0");
      expectReason(envelope({ header: { timestamp: 2 ** 53 }, count: 1, section: cancelAll }), DecodeReason.FIELD_RANGE, "timestamp 2^53");
      expectReason(envelope({ header: { l1MsgStart: 5, l1MsgEnd: 4 }, count: 1, section: cancelAll }), DecodeReason.BAD_L1_RANGE, "range");
      expectReason(envelope({ count: MAX_TXS_PER_BATCH + 1, section: [], sigs: new Uint8Array(0) }), DecodeReason.TOO_MANY_TXS, "count cap");
      expectReason(envelope({ count: [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], section: [] }), DecodeReason.VARINT_TOO_LONG, "9-byte varint");
      expectReason(envelope({ count: [0x81, 0x00], section: cancelAll, sigs: sig64(0) }), DecodeReason.VARINT_NON_CANONICAL, "overlong varint");
      expectReason(envelope({ count: 1, algo: 3, section: cancelAll }), DecodeReason.BAD_COMPRESSION, "algo 3");
      expectReason(envelope({ count: 0, length: MAX_RECORDS_BYTES + 1, section: [] }), DecodeReason.RECORDS_TOO_LARGE, "records cap");
      expectReason(envelope({ count: 2, section: cancelAll, sigs: sig64(0) }), DecodeReason.TRUNCATED, "signatures missing");
      expectReason(envelope({ count: 1, length: cancelAll.length + 1, section: cancelAll }), DecodeReason.RECORDS_LENGTH_MISMATCH, "NONE length");
      const hi = sig64(0);
      hi.fill(0xff, 32); // v = 1, s = 0x7fff..ff > n/2
      expectReason(envelope({ count: 1, section: cancelAll, sigs: hi }), DecodeReason.HIGH_S, "high s");
      const top = sig64(0);
      top.set(HALF_N, 32);
      top[32]! |= 0x80; // v = 1, s = n/2: fine
      expect(decodeBatch(envelope({ count: 1, section: cancelAll, sigs: top })).ok).to.equal(true);
    });

    it("compressed-section reasons", () => {
      const records = Uint8Array.from(cancelAll);
      const deflated = zlib.deflateRawSync(records);
      const zstd = zlib.zstdCompressSync(records);
      expect(decodeBatch(envelope({ count: 1, algo: 1, length: records.length, section: deflated })).ok).to.equal(true);
      const bad = (algo: number, section: Uint8Array, reason: number, what: string, length = records.length) =>
        expectReason(envelope({ count: 1, algo, length, section }), reason, what);
      bad(1, Uint8Array.of(...deflated, 0), DecodeReason.BAD_COMPRESSED_FRAME, "deflate trailing byte");
      bad(1, deflated.subarray(0, deflated.length - 1), DecodeReason.DECOMPRESS_FAILED, "deflate truncated");
      bad(1, Uint8Array.of(0x07), DecodeReason.DECOMPRESS_FAILED, "deflate reserved block type");
      bad(1, deflated, DecodeReason.RECORDS_LENGTH_MISMATCH, "deflate longer than declared", records.length - 1);
      bad(1, deflated, DecodeReason.RECORDS_LENGTH_MISMATCH, "deflate shorter than declared", records.length + 1);
      // id 2 is reserved for zstd: a perfectly good zstd frame is still not a v1 batch
      bad(2, zstd, DecodeReason.BAD_COMPRESSION, "zstd (reserved id 2)");
    });

    it("record-level reasons", () => {
      const one = (records: number[], reason: number, what: string, header?: EnvelopeParts["header"], count = 1) =>
        expectReason(envelope({ header, count, section: records }), reason, what);
      const two = (records: number[], reason: number, what: string) => one(records, reason, what, undefined, 2);
      one(recs(0x00, { u: 0 }, A), DecodeReason.BAD_KIND, "kind 0");
      one(recs(0x00, { u: 0 }, A), DecodeReason.BAD_KIND, "EXTENDED kind 0");
      one(recs(0x00, 0x07), DecodeReason.BAD_KIND, "EXTENDED kind 7");
      one(recs(0x00 | 0x10, 0x08), DecodeReason.RESERVED_FLAG, "EXTENDED with MARKET_SAME");
      one(recs(0x07 | 0x10, { u: 0 }, A, { u: 0 }, { u: 0 }, 0x04), DecodeReason.RESERVED_FLAG, "BULK with MARKET_SAME");
      one(recs(0x07, { u: 0 }, A, { u: 0 }, { u: 0 }, 0x06, { u: 0 }, { u: 1 }), DecodeReason.BAD_KIND, "BULK action op 6 (WITHDRAW)");
      one(recs(0x07, { u: 0 }, A, { u: 0 }, { u: 0 }, 0x00), DecodeReason.BAD_KIND, "BULK action op 0");
      one(recs(0x07, { u: 0 }, A, { u: 0 }, { u: 0 }, 0x04 | 0x08, { u: 1 }), DecodeReason.RESERVED_FLAG, "BULK action bit 3");
      one(recs(0x07, { u: 0 }, A, { u: 0 }, { u: 64 }), DecodeReason.FIELD_RANGE, "BULK of 65 actions");
      one(recs(0x07, { u: 0 }, A, { u: 0 }, { u: 1 }, 0x04, { u: 1 }), DecodeReason.TRUNCATED, "BULK with a missing action");
      one(recs(0x07, { u: 0 }, A, { u: 0 }, { u: 0 }, 0x04, { u: 0 }), DecodeReason.NON_CANONICAL, "BULK action repeating the market register");
      one(recs(0x02 | 0x20, { u: 0 }, A, { u: 0 }, { u: 1 }, { s: 0 }), DecodeReason.RESERVED_FLAG, "CANCEL bit 5");
      one(recs(0x06 | MARKET_SAME, { u: 0 }, A, { u: 0 }, { u: 0 }, { u: 0 }), DecodeReason.RESERVED_FLAG, "WITHDRAW MARKET_SAME");
      one(recs(0x05 | 0x80, { u: 0 }, A, { u: 0 }, { u: 1 }, { s: 0 }, { s: 0 }, { u: 1 }), DecodeReason.RESERVED_FLAG, "AMEND bit 7");
      one(recs(0x01 | NEW_OPTS, { u: 0 }, A, { u: 0 }, { u: 1 }, 0x80, { s: 1 }, { u: 1 }), DecodeReason.RESERVED_FLAG, "opts bit 7");
      one(recs(0x04, { u: 1 }), DecodeReason.BAD_ACCOUNT_REF, "first ref 1");
      two(recs(0x04, { u: 0 }, A, { u: 0 }, { u: 1 }, 0x04, { u: 1 }, A), DecodeReason.DUPLICATE_ACCOUNT, "A twice");
      one(recs(0x04 | NONCE_SEQ, { u: 0 }, A, { u: 1 }), DecodeReason.NONCE_NO_PREVIOUS, "NONCE_SEQ first");
      two(recs(0x04, { u: 0 }, A, { u: 5 }, { u: 1 }, 0x04 | MARKET_SAME, { u: 0 }, { s: 0 }), DecodeReason.NON_CANONICAL, "nonce delta 0");
      two(recs(0x04, { u: 0 }, A, { u: MAX_AMOUNT }, { u: 1 }, 0x04 | NONCE_SEQ | MARKET_SAME, { u: 0 }), DecodeReason.FIELD_RANGE, "NONCE_SEQ past max");
      two(recs(0x04, { u: 0 }, A, { u: 5 }, { u: 1 }, 0x04 | MARKET_SAME, { u: 0 }, { s: -7 }), DecodeReason.FIELD_RANGE, "nonce below 0");
      one(recs(0x04, { u: 0 }, A, { u: 0 }, { u: 0 }), DecodeReason.NON_CANONICAL, "explicit market equal to register");
      one(recs(0x04, { u: 0 }, A, { u: 0 }, { u: 2 ** 32 }), DecodeReason.FIELD_RANGE, "market 2^32");
      one(recs(0x01 | NEW_OPTS, { u: 0 }, A, { u: 0 }, { u: 1 }, 0x00, { s: 1 }, { u: 1 }), DecodeReason.NON_CANONICAL, "opts equal to register");
      one(recs(0x01 | NEW_OPTS, { u: 0 }, A, { u: 0 }, { u: 1 }, 0x05, { s: 1 }, { u: 1 }), DecodeReason.FIELD_RANGE, "tif 5");
      one(recs(0x01, { u: 0 }, A, { u: 0 }, { u: 1 }, { s: -1 }, { u: 1 }), DecodeReason.FIELD_RANGE, "price below 0");
      one(recs(0x01, { u: 0 }, A, { u: 0 }, { u: 1 }, { s: 1 }, { u: 0 }), DecodeReason.NON_CANONICAL, "explicit size equal to register");
      one(recs(0x01, { u: 0 }, A, { u: 0 }, { u: 1 }, { s: 1 }, { u: 2 ** 53 }), DecodeReason.FIELD_RANGE, "size 2^53");
      one(recs(0x01 | NEW_OPTS, { u: 0 }, A, { u: 0 }, { u: 1 }, 0x20, { s: 1 }, { u: 1 }, { s: -5 }), DecodeReason.NON_CANONICAL, "HAS_EXPIRY with expiry 0", { timestamp: 5 });
      one(recs(0x01 | NEW_OPTS, { u: 0 }, A, { u: 0 }, { u: 1 }, 0x40, { s: 1 }, { u: 1 }, { s: 0 }), DecodeReason.NON_CANONICAL, "HAS_CLIENT_ID with clientId 0");
      one(recs(0x06, { u: 0 }, A, { u: 0 }, { u: 0 }, { u: 0 }, { u: 0 }), DecodeReason.NON_CANONICAL, "explicit recipient = account");
      one(recs(0x06, { u: 0 }, A, { u: 0 }, { u: 2 ** 32 }, { u: 0 }, { u: 0 }), DecodeReason.FIELD_RANGE, "asset 2^32");
      one(recs(0x02, { u: 0 }, A, { u: 0 }, { u: 1 }, 0x81, 0x00), DecodeReason.VARINT_NON_CANONICAL, "overlong zigzag");
      one(recs(0x02, { u: 0 }, A, { u: 0 }, { u: 1 }, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), DecodeReason.VARINT_TOO_LONG, "9-byte zigzag");
      one(recs(0x02, { u: 0 }, A, { u: 0 }, { u: 1 }, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), DecodeReason.FIELD_RANGE, "zigzag magnitude 2^55");
      one(recs(0x04, { u: 0 }, A, { u: 0 }), DecodeReason.TRUNCATED, "record cut");
      one(recs(0x04, { u: 0 }, A, { u: 0 }, { u: 1 }, 0x00), DecodeReason.TRAILING_BYTES, "extra record byte");
    });

    it("dictionary cap: more than MAX_ACCOUNTS_PER_BATCH addresses", () => {
      // withdrawals from a new account to a new recipient add two entries each; sequential addresses compress
      const n = MAX_ACCOUNTS_PER_BATCH / 2 + 1;
      const w = new Writer();
      const a = new Uint8Array(20);
      for (let i = 0; i < n; i++) {
        w.u8(0x06);
        for (const k of [2 * i, 2 * i + 1]) {
          if (k === 2 * i + 1) {
            w.varint(0); // asset
            w.varint(1); // amount
          }
          w.varint(k);
          new DataView(a.buffer).setUint32(16, k + 1);
          w.bytes(a);
          if (k === 2 * i) w.varint(0); // nonce
        }
      }
      const records = w.finish();
      const sigs = new Uint8Array(n * 64);
      const b = envelope({ count: n, algo: 1, length: records.length, section: zlib.deflateRawSync(records), sigs });
      expect(b.length).to.be.below(MAX_BATCH_BYTES);
      const d = decodeBatch(b);
      expect(d.ok).to.equal(false);
      expect(!d.ok && d.reasonName).to.equal("TOO_MANY_ACCOUNTS");
      expect(!d.ok && d.inRecords).to.equal(true);
    });
  });

  describe("caps and bombs", () => {
    it("decompression bombs are rejected quickly without inflating them", () => {
      const zeros = new Uint8Array(64 << 20);
      const deflateBomb = zlib.deflateRawSync(zeros);
      const zstdBomb = zlib.zstdCompressSync(zeros);
      const cases: Array<[number, Uint8Array, number, string]> = [
        [1, deflateBomb, 0, "RECORDS_LENGTH_MISMATCH"],
        [1, deflateBomb, 1000, "RECORDS_LENGTH_MISMATCH"],
        [1, deflateBomb, MAX_RECORDS_BYTES, "RECORDS_LENGTH_MISMATCH"],
        [1, deflateBomb, MAX_RECORDS_BYTES + 1, "RECORDS_TOO_LARGE"],
        [2, zstdBomb, MAX_RECORDS_BYTES, "BAD_COMPRESSION"],
      ];
      for (const [algo, section, length, reason] of cases) {
        const b = envelope({ count: 0, algo, length, section });
        const t0 = performance.now();
        const d = decodeBatch(b);
        const ms = performance.now() - t0;
        expect(!d.ok && d.reasonName, `${reason} (${section.length} bytes)`).to.equal(reason);
        expect(ms, "decode time (ms)").to.be.below(250);
      }
    });

    it("encoder refuses batches beyond the caps; fitTxs finds the largest prefix that fits", () => {
      const cancel = (i: number): Tx => ({ kind: TxKind.CANCEL_ALL, account: A, nonce: i, market: 1, sig: sig(i) });
      const many = Array.from({ length: MAX_TXS_PER_BATCH + 1 }, (_, i) => cancel(i));
      expect(() => encodeBatch({ header: HEADER, txs: many })).to.throw(CapacityError, /more than 16384 txs/);
      expect(() => encodeBatch({ header: HEADER, txs: many.slice(0, 12_300) })).to.throw(CapacityError, /exceeds 786432/);
      const n = fitTxs(HEADER, many, 130_043);
      expect(encodeBatch({ header: HEADER, txs: many.slice(0, n) }).length).to.be.at.most(130_043);
      expect(encodeBatch({ header: HEADER, txs: many.slice(0, n + 1) }).length).to.be.above(130_043);
      const fresh = (i: number): Address => `0x${i.toString(16).padStart(40, "0")}`;
      const withdrawals = Array.from({ length: MAX_ACCOUNTS_PER_BATCH / 2 + 1 }, (_, i): Tx => ({
        kind: TxKind.WITHDRAW, account: fresh(2 * i), nonce: 0, asset: 0, amount: 1, recipient: fresh(2 * i + 1), sig: sig(i),
      }));
      expect(() => encodeBatch({ header: HEADER, txs: withdrawals })).to.throw(CapacityError, /more than 16384 addresses/);
      expect(encodeBatch({ header: HEADER, txs: withdrawals.slice(0, -1) }).length).to.be.below(MAX_BATCH_BYTES);
      expect(() => encodeBatch({ header: { ...HEADER, l1MsgStart: 3, l1MsgEnd: 2 }, txs: [] })).to.throw(CodecError, /l1MsgStart/);
      expect(() => encodeBatch({ header: { ...HEADER, parentBatchHash: "0x12" }, txs: [] })).to.throw(CodecError, /parentBatchHash/);
    });
  });
});

// Golden vector (also in docs/batch-format.md): one tx of every kind, compression NONE.
const GOLDEN: Batch = { header: HEADER, txs: allKinds() };
const GOLDEN_V2: Batch = { header: HEADER, txs: v2Kinds() };
/** docs/batch-format.md "Golden vector (v2 kinds)". */
const GOLDEN_V2_RECORDS = "0700abababababababababababababababababababab080604019163b69a0c0a780451017802a10218e807035586bfd606021202030101000801cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd020f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f80c60a0809010f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f";
const GOLDEN_HEX =
  "021111111111111111111111111111111111111111111111111111111111111111"+"00000000684ee180000000000000000a000000000000000c0600618100abababababababababababababababababababab050143c09a0c0a021a0082bfd6060301cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd0002581c010d000102131406020f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0302c0843d0001010101010101010101010101010101010101010101010101010101010101018a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a020202020202020202020202020202020202020202020202020202020202020211111111111111111111111111111111111111111111111111111111111111110303030303030303030303030303030303030303030303030303030303030303981818181818181818181818181818181818181818181818181818181818181804040404040404040404040404040404040404040404040404040404040404041f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f0505050505050505050505050505050505050505050505050505050505050505a62626262626262626262626262626262626262626262626262626262626262606060606060606060606060606060606060606060606060606060606060606062d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d";
