// Batch format v2 (docs/batch-format.md is normative; this file and the Rust guest implement it).
//
//   envelope := version u8 (=2) ‖ parentBatchHash (32) ‖ timestamp be8 ‖ l1MsgStart be8 ‖ l1MsgEnd be8 ‖
//               txCount varint ‖ compression u8 ‖ recordsLength varint ‖ section ‖ signatures (txCount x 64)
//   section   := the records (recordsLength bytes) compressed with `compression` (compress.ts)
//   records   := one record per tx, domain-encoded against registers that start empty for every batch:
//                an account dictionary (inline: 20 bytes at first use, then an index), per-account last
//                nonce / last client id / last order options, per-market last price / last size, the last
//                market and the last order id referenced. A BULK record carries its actions, each
//                encoded like the body of a single record of that kind against the same registers.
//   signature := r (32) ‖ s (32) with yParity in the top bit of s (EIP-2098); s must be <= n/2.
//
// Encoding is canonical: the encoder always takes the shortest form the rules allow and the decoder
// rejects every other form, so decodeBatch(encodeBatch(x)) == x and, for an accepted b with compression
// NONE, encodeBatch(decodeBatch(b)) == b byte for byte (with compression, the records bytes are canonical;
// the compressed stream is whatever conforming stream the proposer chose).

import { MAX_AMOUNT, MAX_BULK_ACTIONS, TxKind, type Address, type BulkAction, type Tx } from "../clob/types.ts";
import { Compression, MAX_RECORDS_BYTES, compress, decompress } from "./compress.ts";
import { CapacityError, CodecError, DecodeReason, Invalid, reasonName } from "./errors.ts";
import { addressFromBytes, bytesToHex, hexToBytes, writeAddress } from "../clob/eip712.ts";
import { MAX_STP, MAX_TIF, MAX_U32, assertEncodable, isCanonicalHash, isLowS } from "./tx.ts";
import { Reader, Writer } from "./varint.ts";

export type Hash = `0x${string}`;

export const BATCH_VERSION = 2;
/** Largest encoded batch: 6 blobs of 131072 bytes (no packing of 6 blobs can carry more). */
export const MAX_BATCH_BYTES = 6 * 131072;
/** Most transactions in one batch. */
export const MAX_TXS_PER_BATCH = 16384;
/** Most distinct addresses (accounts and withdrawal recipients) in one batch's dictionary. */
export const MAX_ACCOUNTS_PER_BATCH = 16384;
/** Fixed part of the envelope before txCount. */
export const HEADER_BYTES = 1 + 32 + 8 + 8 + 8;
export const SIGNATURE_BYTES = 64;

export interface BatchHeader {
  /** The Inbox batch chain value b(i-1) of the batch this one extends (docs/l1-messages.md). */
  parentBatchHash: Hash;
  /** The batch's clock (seconds), chosen by the proposer (docs/stf.md "The clock"); base of the expiry encoding. */
  timestamp: number;
  /** L1 messages consumed: [l1MsgStart, l1MsgEnd). */
  l1MsgStart: number;
  l1MsgEnd: number;
}

export interface Batch {
  header: BatchHeader;
  txs: Tx[];
}

export type DecodeBatchResult =
  | { ok: true; batch: Batch; version: number; compression: Compression }
  | {
      ok: false;
      reason: DecodeReason;
      reasonName: string;
      /** Byte offset of the failure: into the envelope, or into the decompressed records if inRecords. */
      offset: number;
      inRecords: boolean;
    };

export interface EncodeOptions {
  /** Algorithm for the records section; "auto" (default) keeps the smaller of NONE and DEFLATE. */
  compression?: Compression | "auto";
}

// kind byte: bits 0-2 kind (0 = EXTENDED: the kind follows in the next byte), bit 3 NONCE_SEQ, bit 4
// MARKET_SAME, bits 5-7 per kind. A BULK action byte has the same layout with the op in bits 0-2 and bit 3
// reserved.
const F_NONCE_SEQ = 0x08;
/** Kind bits 0: an EXTENDED record (APPROVE_AGENT, REVOKE_AGENT), its kind in the next byte. */
const K_EXTENDED = 0;
const F_MARKET_SAME = 0x10;
const F_SELL = 0x20; // PLACE
const F_RECIPIENT_SELF = 0x20; // WITHDRAW
const F_SIZE_SAME = 0x40; // PLACE, AMEND
const F_NEW_OPTS = 0x80; // PLACE
/** Flag bits (of 0xf8) each kind defines; any other set bit is RESERVED_FLAG. */
const ALLOWED_FLAGS: Record<number, number> = {
  [TxKind.PLACE]: F_NONCE_SEQ | F_MARKET_SAME | F_SELL | F_SIZE_SAME | F_NEW_OPTS,
  [TxKind.CANCEL]: F_NONCE_SEQ | F_MARKET_SAME,
  [TxKind.CANCEL_BY_CLIENT_ID]: F_NONCE_SEQ | F_MARKET_SAME,
  [TxKind.CANCEL_ALL]: F_NONCE_SEQ | F_MARKET_SAME,
  [TxKind.AMEND]: F_NONCE_SEQ | F_MARKET_SAME | F_SIZE_SAME,
  [TxKind.WITHDRAW]: F_NONCE_SEQ | F_RECIPIENT_SELF,
  [TxKind.BULK]: F_NONCE_SEQ,
  [K_EXTENDED]: F_NONCE_SEQ,
};
// PLACE options byte: bits 0-2 tif, bits 3-4 stp, bit 5 HAS_EXPIRY, bit 6 HAS_CLIENT_ID, bit 7 reserved.
const O_HAS_EXPIRY = 0x20;
const O_HAS_CLIENT_ID = 0x40;
const O_RESERVED = 0x80;

/** Registers shared by encoder and decoder; reset per batch. */
class Context {
  readonly index = new Map<string, number>();
  readonly addrs: Address[] = [];
  readonly nonce: number[] = []; // -1: no tx of this account yet
  readonly clientId: number[] = [];
  readonly opts: number[] = [];
  readonly price = new Map<number, number>();
  readonly size = new Map<number, number>();
  market = 0;
  orderId = 0;

  add(a: Address): number {
    const i = this.addrs.length;
    this.index.set(a, i);
    this.addrs.push(a);
    this.nonce.push(-1);
    this.clientId.push(0);
    this.opts.push(0);
    return i;
  }
}

// ---------------------------------------------------------------------------------------------------------
// encode

function checkHeader(h: BatchHeader): void {
  if (h === null || typeof h !== "object") throw new CodecError("header missing");
  if (!isCanonicalHash(h.parentBatchHash)) throw new CodecError("header.parentBatchHash must be a lowercase 32-byte 0x hash");
  for (const k of ["timestamp", "l1MsgStart", "l1MsgEnd"] as const) {
    const v = h[k];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > MAX_AMOUNT) throw new CodecError(`header.${k} out of range`);
  }
  if (h.l1MsgStart > h.l1MsgEnd) throw new CodecError("header.l1MsgStart > l1MsgEnd");
}

function writeAccountRef(w: Writer, ctx: Context, a: Address): number {
  const i = ctx.index.get(a);
  if (i !== undefined) {
    w.varint(i);
    return i;
  }
  if (ctx.addrs.length >= MAX_ACCOUNTS_PER_BATCH) throw new CapacityError(`more than ${MAX_ACCOUNTS_PER_BATCH} addresses in one batch`);
  const n = ctx.add(a);
  w.varint(n);
  w.ensure(20);
  writeAddress(w.buf, w.pos, a);
  w.pos += 20;
  return n;
}

/** A trading kind's fields (a single tx or a BULK action). */
type Trading = Extract<Tx, { market: number }> | BulkAction;

/**
 * Flag bits (kind/op in bits 0-2, MARKET_SAME and the per-kind bits) of a trading body for account `a`
 * (-1: not yet in the dictionary), and the PLACE options byte.
 */
function tradingFlags(ctx: Context, a: number, kind: number, t: Trading): { flags: number; opts: number } {
  let flags = kind;
  const market = t.market;
  if (market === ctx.market) flags |= F_MARKET_SAME;
  let opts = 0;
  const x = t as Record<string, number>;
  if (kind === TxKind.PLACE) {
    if (x.side === 1) flags |= F_SELL;
    if (x.size === (ctx.size.get(market) ?? 0)) flags |= F_SIZE_SAME;
    opts = x.tif | (x.stp << 3) | (x.expiry > 0 ? O_HAS_EXPIRY : 0) | (x.clientId > 0 ? O_HAS_CLIENT_ID : 0);
    if (opts !== (a < 0 ? 0 : ctx.opts[a]!)) flags |= F_NEW_OPTS;
  } else if (kind === TxKind.AMEND) {
    if (x.size === (ctx.size.get(market) ?? 0)) flags |= F_SIZE_SAME;
  }
  return { flags, opts };
}

/** [market] ‖ body of a trading kind (docs/batch-format.md "Records" steps 2-3), updating the registers. */
function writeTradingBody(w: Writer, ctx: Context, header: BatchHeader, a: number, kind: number, t: Trading, flags: number, opts: number): void {
  const market = t.market;
  const x = t as Record<string, number>;
  if (!(flags & F_MARKET_SAME)) w.varint(market);
  ctx.market = market;
  switch (kind) {
    case TxKind.PLACE: {
      if (flags & F_NEW_OPTS) {
        w.u8(opts);
        ctx.opts[a] = opts;
      }
      w.svarint(x.price - (ctx.price.get(market) ?? 0));
      ctx.price.set(market, x.price);
      if (!(flags & F_SIZE_SAME)) w.varint(x.size);
      ctx.size.set(market, x.size);
      if (x.expiry > 0) w.svarint(x.expiry - header.timestamp);
      if (x.clientId > 0) {
        w.svarint(x.clientId - ctx.clientId[a]!);
        ctx.clientId[a] = x.clientId;
      }
      break;
    }
    case TxKind.CANCEL:
      w.svarint(x.orderId - ctx.orderId);
      ctx.orderId = x.orderId;
      break;
    case TxKind.CANCEL_BY_CLIENT_ID:
      w.svarint(x.clientId - ctx.clientId[a]!);
      ctx.clientId[a] = x.clientId;
      break;
    case TxKind.CANCEL_ALL:
      break;
    case TxKind.AMEND:
      w.svarint(x.orderId - ctx.orderId);
      ctx.orderId = x.orderId;
      w.svarint(x.price - (ctx.price.get(market) ?? 0));
      ctx.price.set(market, x.price);
      if (!(flags & F_SIZE_SAME)) w.varint(x.size);
      ctx.size.set(market, x.size);
      break;
  }
}

function putAddress(w: Writer, a: string): void {
  w.ensure(20);
  writeAddress(w.buf, w.pos, a);
  w.pos += 20;
}

/** The records bytes (uncompressed) of txs under header (validated by the caller). */
function encodeRecords(header: BatchHeader, txs: readonly Tx[]): Uint8Array {
  const ctx = new Context();
  const w = new Writer(Math.max(64, txs.length * 12));
  for (let t = 0; t < txs.length; t++) {
    const tx = txs[t]!;
    assertEncodable(tx, `txs[${t}]`);
    const known = ctx.index.get(tx.account);
    const prevNonce = known === undefined ? -1 : ctx.nonce[known]!;
    const seq = prevNonce >= 0 && tx.nonce === prevNonce + 1 ? F_NONCE_SEQ : 0;
    const writeAccountAndNonce = (): number => {
      const a = writeAccountRef(w, ctx, tx.account);
      if (prevNonce < 0) w.varint(tx.nonce);
      else if (!seq) w.svarint(tx.nonce - (prevNonce + 1));
      ctx.nonce[a] = tx.nonce;
      return a;
    };
    switch (tx.kind) {
      case TxKind.WITHDRAW: {
        const self = tx.recipient === tx.account;
        w.u8(tx.kind | seq | (self ? F_RECIPIENT_SELF : 0));
        writeAccountAndNonce();
        w.varint(tx.asset);
        w.varint(tx.amount);
        if (!self) writeAccountRef(w, ctx, tx.recipient);
        break;
      }
      case TxKind.BULK: {
        w.u8(TxKind.BULK | seq);
        const a = writeAccountAndNonce();
        w.varint(tx.actions.length - 1);
        for (const act of tx.actions) {
          const { flags, opts } = tradingFlags(ctx, a, act.op, act);
          w.u8(flags);
          writeTradingBody(w, ctx, header, a, act.op, act, flags, opts);
        }
        break;
      }
      case TxKind.APPROVE_AGENT:
      case TxKind.REVOKE_AGENT:
        w.u8(K_EXTENDED | seq);
        w.u8(tx.kind);
        writeAccountAndNonce();
        putAddress(w, tx.agent);
        if (tx.kind === TxKind.APPROVE_AGENT) w.svarint(tx.expiry - header.timestamp);
        break;
      default: {
        const { flags, opts } = tradingFlags(ctx, known ?? -1, tx.kind, tx);
        w.u8(flags | seq);
        const a = writeAccountAndNonce();
        writeTradingBody(w, ctx, header, a, tx.kind, tx, flags, opts);
      }
    }
  }
  if (w.pos > MAX_RECORDS_BYTES) throw new CapacityError(`records of ${w.pos} bytes exceed ${MAX_RECORDS_BYTES}`);
  return w.finish();
}

const ALGOS: readonly Compression[] = [Compression.NONE, Compression.DEFLATE];

/**
 * Encodes a batch. Throws CodecError if the header or a tx is not encodable, and its subclass
 * CapacityError if a cap is exceeded or the result is longer than MAX_BATCH_BYTES (batch builders size
 * batches with fitTxs).
 */
export function encodeBatch(batch: Batch, opts: EncodeOptions = {}): Uint8Array {
  const { header, txs } = batch;
  checkHeader(header);
  if (!Array.isArray(txs)) throw new CodecError("txs must be an array");
  if (txs.length > MAX_TXS_PER_BATCH) throw new CapacityError(`more than ${MAX_TXS_PER_BATCH} txs in one batch`);
  const records = encodeRecords(header, txs);
  const choice = opts.compression ?? "auto";
  let algo: Compression = Compression.NONE;
  let section = records;
  if (choice === "auto") {
    const c = compress(Compression.DEFLATE, records);
    if (c.length < section.length) {
      algo = Compression.DEFLATE;
      section = c;
    }
  } else {
    if (!ALGOS.includes(choice)) throw new CodecError(`unknown compression ${choice as number}`);
    algo = choice;
    section = compress(algo, records);
  }

  const w = new Writer(HEADER_BYTES + 16 + section.length + txs.length * SIGNATURE_BYTES);
  w.u8(BATCH_VERSION);
  w.bytes(hexToBytes(header.parentBatchHash));
  w.u64be(header.timestamp);
  w.u64be(header.l1MsgStart);
  w.u64be(header.l1MsgEnd);
  w.varint(txs.length);
  w.u8(algo);
  w.varint(records.length);
  w.bytes(section);
  w.ensure(txs.length * SIGNATURE_BYTES);
  for (const tx of txs) {
    const b = w.buf;
    b.set(tx.sig.r, w.pos);
    b.set(tx.sig.s, w.pos + 32);
    if (tx.sig.v === 1) b[w.pos + 32]! |= 0x80; // s <= n/2 < 2^255, so its top bit is free (EIP-2098)
    w.pos += SIGNATURE_BYTES;
  }
  if (w.pos > MAX_BATCH_BYTES) throw new CapacityError(`batch of ${w.pos} bytes exceeds ${MAX_BATCH_BYTES}`);
  return w.finish();
}

/**
 * Largest n such that the batch of header and txs[0..n) encodes (with opts) to at most maxBytes.
 * Binary search over encodings (about log2(txs.length) encodes). For batch builders and benchmarks.
 */
export function fitTxs(header: BatchHeader, txs: readonly Tx[], maxBytes: number, opts: EncodeOptions = {}): number {
  const fits = (n: number): boolean => {
    try {
      return encodeBatch({ header, txs: txs.slice(0, n) }, opts).length <= maxBytes;
    } catch (e) {
      if (e instanceof CapacityError) return false;
      throw e;
    }
  };
  let lo = 0; // fits (if anything does)
  let hi = Math.min(txs.length, MAX_TXS_PER_BATCH);
  if (!fits(0)) return 0;
  if (fits(hi)) return hi;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

// ---------------------------------------------------------------------------------------------------------
// decode

function readAccountRef(r: Reader, ctx: Context): number {
  const at = r.pos;
  const i = r.varint();
  const n = ctx.addrs.length;
  if (i < n) return i;
  if (i > n) throw new Invalid(DecodeReason.BAD_ACCOUNT_REF, at);
  if (n >= MAX_ACCOUNTS_PER_BATCH) throw new Invalid(DecodeReason.TOO_MANY_ACCOUNTS, at);
  r.need(20);
  const a = addressFromBytes(r.buf, r.pos);
  if (ctx.index.has(a)) throw new Invalid(DecodeReason.DUPLICATE_ACCOUNT, r.pos);
  r.pos += 20;
  return ctx.add(a);
}

/** base + d, which must lie in [0, 2^53-1] (FIELD_RANGE) and, if nonZero, not be 0 (NON_CANONICAL). */
function offset(r: Reader, base: number, nonZero: boolean): number {
  const at = r.pos;
  const v = base + r.svarint();
  if (!(v >= 0 && v <= MAX_AMOUNT)) throw new Invalid(DecodeReason.FIELD_RANGE, at);
  if (nonZero && v === 0) throw new Invalid(DecodeReason.NON_CANONICAL, at);
  return v;
}

/**
 * [market] ‖ body of a trading kind for account `a` (docs/batch-format.md "Records" steps 2-3), updating
 * the registers: a single tx of that kind when `nonce >= 0` (of ctx.addrs[a], signature attached later),
 * else a BULK action with that op. (Two literal shapes per kind instead of one object spread into the
 * other: decoding is on the derivation path.)
 */
function readTradingBody(r: Reader, ctx: Context, header: BatchHeader, a: number, kind: number, flags: number, nonce: number): BulkAction | Tx {
  const single = nonce >= 0;
  const account = ctx.addrs[a]!;
  const sig = undefined!;
  let market: number;
  if (flags & F_MARKET_SAME) market = ctx.market;
  else {
    const at = r.pos;
    market = r.varint(MAX_U32);
    if (market === ctx.market) throw new Invalid(DecodeReason.NON_CANONICAL, at);
  }
  ctx.market = market;
  switch (kind) {
    case TxKind.PLACE: {
      let opts = ctx.opts[a]!;
      if (flags & F_NEW_OPTS) {
        const at = r.pos;
        const o = r.u8();
        if (o & O_RESERVED) throw new Invalid(DecodeReason.RESERVED_FLAG, at);
        if ((o & 7) > MAX_TIF) throw new Invalid(DecodeReason.FIELD_RANGE, at);
        if (o === opts) throw new Invalid(DecodeReason.NON_CANONICAL, at);
        opts = o;
        ctx.opts[a] = o;
      }
      const price = offset(r, ctx.price.get(market) ?? 0, false);
      ctx.price.set(market, price);
      const size = readSize(r, ctx, market, flags);
      const expiry = opts & O_HAS_EXPIRY ? offset(r, header.timestamp, true) : 0;
      let clientId = 0;
      if (opts & O_HAS_CLIENT_ID) {
        clientId = offset(r, ctx.clientId[a]!, true);
        ctx.clientId[a] = clientId;
      }
      const side = flags & F_SELL ? 1 : 0;
      const tif = (opts & 7) as 0 | 1 | 2 | 3 | 4;
      const stp = ((opts >>> 3) & MAX_STP) as 0 | 1 | 2 | 3;
      return single
        ? { kind: TxKind.PLACE, account, nonce, market, side, tif, price, size, expiry, clientId, stp, sig }
        : { op: TxKind.PLACE, market, side, tif, price, size, expiry, clientId, stp };
    }
    case TxKind.CANCEL: {
      const orderId = offset(r, ctx.orderId, false);
      ctx.orderId = orderId;
      return single ? { kind: TxKind.CANCEL, account, nonce, market, orderId, sig } : { op: TxKind.CANCEL, market, orderId };
    }
    case TxKind.CANCEL_BY_CLIENT_ID: {
      const clientId = offset(r, ctx.clientId[a]!, false);
      ctx.clientId[a] = clientId;
      return single ? { kind: TxKind.CANCEL_BY_CLIENT_ID, account, nonce, market, clientId, sig } : { op: TxKind.CANCEL_BY_CLIENT_ID, market, clientId };
    }
    case TxKind.CANCEL_ALL:
      return single ? { kind: TxKind.CANCEL_ALL, account, nonce, market, sig } : { op: TxKind.CANCEL_ALL, market };
    default: {
      const orderId = offset(r, ctx.orderId, false);
      ctx.orderId = orderId;
      const price = offset(r, ctx.price.get(market) ?? 0, false);
      ctx.price.set(market, price);
      const size = readSize(r, ctx, market, flags);
      return single ? { kind: TxKind.AMEND, account, nonce, market, orderId, price, size, sig } : { op: TxKind.AMEND, market, orderId, price, size };
    }
  }
}

function decodeRecords(r: Reader, header: BatchHeader, count: number): Tx[] {
  const ctx = new Context();
  const txs: Tx[] = new Array(count);
  // Signatures follow all records in the batch; decodeBatch attaches them once the records are read.
  const sig = undefined!;
  for (let t = 0; t < count; t++) {
    const kindAt = r.pos;
    const flags = r.u8();
    let kind = flags & 7;
    const allowed = ALLOWED_FLAGS[kind];
    if (allowed === undefined) throw new Invalid(DecodeReason.BAD_KIND, kindAt);
    if (flags & 0xf8 & ~allowed) throw new Invalid(DecodeReason.RESERVED_FLAG, kindAt);
    if (kind === K_EXTENDED) {
      kind = r.u8();
      if (kind !== TxKind.APPROVE_AGENT && kind !== TxKind.REVOKE_AGENT) throw new Invalid(DecodeReason.BAD_KIND, kindAt + 1);
    }
    const a = readAccountRef(r, ctx);
    const account = ctx.addrs[a]!;
    // nonce
    const prev = ctx.nonce[a]!;
    let nonce: number;
    if (flags & F_NONCE_SEQ) {
      if (prev < 0) throw new Invalid(DecodeReason.NONCE_NO_PREVIOUS, kindAt);
      nonce = prev + 1;
      if (nonce > MAX_AMOUNT) throw new Invalid(DecodeReason.FIELD_RANGE, kindAt);
    } else if (prev < 0) {
      nonce = r.varint();
    } else {
      const at = r.pos;
      const d = r.svarint();
      if (d === 0) throw new Invalid(DecodeReason.NON_CANONICAL, at);
      nonce = prev + 1 + d;
      if (!(nonce >= 0 && nonce <= MAX_AMOUNT)) throw new Invalid(DecodeReason.FIELD_RANGE, at);
    }
    ctx.nonce[a] = nonce;
    switch (kind) {
      case TxKind.WITHDRAW: {
        const asset = r.varint(MAX_U32);
        const amount = r.varint();
        let recipient = account;
        if (!(flags & F_RECIPIENT_SELF)) {
          const at = r.pos;
          const ri = readAccountRef(r, ctx);
          if (ri === a) throw new Invalid(DecodeReason.NON_CANONICAL, at);
          recipient = ctx.addrs[ri]!;
        }
        txs[t] = { kind: TxKind.WITHDRAW, account, nonce, asset, amount, recipient, sig };
        break;
      }
      case TxKind.BULK: {
        const at = r.pos;
        const n = r.varint() + 1;
        if (n > MAX_BULK_ACTIONS) throw new Invalid(DecodeReason.FIELD_RANGE, at);
        const actions: BulkAction[] = new Array(n);
        for (let k = 0; k < n; k++) {
          const actAt = r.pos;
          const af = r.u8();
          const op = af & 7;
          if (op < TxKind.PLACE || op > TxKind.AMEND) throw new Invalid(DecodeReason.BAD_KIND, actAt);
          if (af & 0xf8 & ~(ALLOWED_FLAGS[op]! & ~F_NONCE_SEQ)) throw new Invalid(DecodeReason.RESERVED_FLAG, actAt);
          actions[k] = readTradingBody(r, ctx, header, a, op, af, -1) as BulkAction;
        }
        txs[t] = { kind: TxKind.BULK, account, nonce, actions, sig };
        break;
      }
      case TxKind.APPROVE_AGENT:
      case TxKind.REVOKE_AGENT: {
        r.need(20);
        const agent = addressFromBytes(r.buf, r.pos);
        r.pos += 20;
        if (kind === TxKind.REVOKE_AGENT) txs[t] = { kind: TxKind.REVOKE_AGENT, account, nonce, agent, sig };
        else txs[t] = { kind: TxKind.APPROVE_AGENT, account, nonce, agent, expiry: offset(r, header.timestamp, false), sig };
        break;
      }
      default:
        txs[t] = readTradingBody(r, ctx, header, a, kind, flags, nonce) as Tx;
    }
  }
  return txs;
}

function readSize(r: Reader, ctx: Context, market: number, flags: number): number {
  const prev = ctx.size.get(market) ?? 0;
  let size = prev;
  if (!(flags & F_SIZE_SAME)) {
    const at = r.pos;
    size = r.varint();
    if (size === prev) throw new Invalid(DecodeReason.NON_CANONICAL, at);
  }
  ctx.size.set(market, size);
  return size;
}

/**
 * Decodes batch bytes. Total: never throws, allocates O(input + MAX_RECORDS_BYTES) at most, and returns
 * either the batch or an invalid-batch result with a stable reason code (a no-op batch for the STF).
 */
export function decodeBatch(bytes: Uint8Array): DecodeBatchResult {
  let inRecords = false;
  try {
    if (!(bytes instanceof Uint8Array)) return fail(DecodeReason.NOT_BYTES, 0, false);
    if (bytes.length > MAX_BATCH_BYTES) return fail(DecodeReason.TOO_LARGE, MAX_BATCH_BYTES, false);
    const r = new Reader(bytes);
    const version = r.u8();
    if (version !== BATCH_VERSION) return fail(DecodeReason.BAD_VERSION, 0, false);
    r.need(HEADER_BYTES - 1);
    const parentBatchHash = bytesToHex(bytes.subarray(1, 33));
    r.pos = 33;
    const timestamp = r.u64be();
    const l1MsgStart = r.u64be();
    const l1MsgEnd = r.u64be();
    if (l1MsgStart > l1MsgEnd) return fail(DecodeReason.BAD_L1_RANGE, 49, false);
    const header: BatchHeader = { parentBatchHash, timestamp, l1MsgStart, l1MsgEnd };

    const countAt = r.pos;
    const count = r.varint();
    if (count > MAX_TXS_PER_BATCH) return fail(DecodeReason.TOO_MANY_TXS, countAt, false);
    const algoAt = r.pos;
    const algo = r.u8();
    if (algo > Compression.DEFLATE) return fail(DecodeReason.BAD_COMPRESSION, algoAt, false);
    const lenAt = r.pos;
    const recordsLength = r.varint();
    if (recordsLength > MAX_RECORDS_BYTES) return fail(DecodeReason.RECORDS_TOO_LARGE, lenAt, false);
    const sigStart = bytes.length - count * SIGNATURE_BYTES;
    if (sigStart < r.pos) return fail(DecodeReason.TRUNCATED, bytes.length, false);
    const records = decompress(algo, bytes, r.pos, sigStart, recordsLength);

    inRecords = true;
    const rr = new Reader(records);
    const txs = decodeRecords(rr, header, count);
    if (rr.pos !== rr.end) return fail(DecodeReason.TRAILING_BYTES, rr.pos, true);
    inRecords = false;

    for (let t = 0, p = sigStart; t < count; t++, p += SIGNATURE_BYTES) {
      const s = bytes.slice(p + 32, p + 64);
      const v = (s[0]! >>> 7) as 0 | 1;
      s[0]! &= 0x7f;
      if (!isLowS(s)) return fail(DecodeReason.HIGH_S, p + 32, false);
      txs[t]!.sig = { r: bytes.slice(p, p + 32), s, v };
    }
    return { ok: true, batch: { header, txs }, version, compression: algo as Compression };
  } catch (e) {
    if (e instanceof Invalid) return fail(e.reason, e.offset, inRecords);
    return fail(DecodeReason.INTERNAL, 0, inRecords);
  }
}

function fail(reason: DecodeReason, offset: number, inRecords: boolean): DecodeBatchResult {
  return { ok: false, reason, reasonName: reasonName(reason), offset, inRecords };
}
