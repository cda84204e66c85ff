// Canonical single-transaction encoding (docs/batch-format.md, "Single transaction"): fixed-width,
// big-endian, field order of EIP712_TYPES, then the 65-byte signature r ‖ s ‖ v. Used for RPC submission
// (hex), mempool persistence and anywhere one tx travels alone. Batches use the compact domain encoding
// in batch.ts instead.
//
//   kind (1) ‖ account (20) ‖ nonce be8 ‖ body ‖ r (32) ‖ s (32) ‖ v (1, 0 or 1)
//   PLACE               body = market be4 ‖ side 1 ‖ tif 1 ‖ price be8 ‖ size be8 ‖ expiry be8 ‖ clientId be8 ‖ stp 1
//   CANCEL              body = market be4 ‖ orderId be8
//   CANCEL_BY_CLIENT_ID body = market be4 ‖ clientId be8
//   CANCEL_ALL          body = market be4
//   AMEND               body = market be4 ‖ orderId be8 ‖ price be8 ‖ size be8
//   WITHDRAW            body = asset be4 ‖ amount be8 ‖ recipient (20)
//   BULK                body = count 1 ‖ count × (op 1 ‖ market be4 ‖ side 1 ‖ tif 1 ‖ price be8 ‖ size be8 ‖
//                              expiry be8 ‖ clientId be8 ‖ stp 1 ‖ orderId be8), unused fields zero
//   APPROVE_AGENT       body = agent (20) ‖ expiry be8
//   REVOKE_AGENT        body = agent (20)

import { addressFromBytes, writeAddress } from "../clob/eip712.ts";
import { MAX_AMOUNT, MAX_BULK_ACTIONS, TxKind, type Address, type BulkAction, type Signature, type Tx } from "../clob/types.ts";
import { CodecError, DecodeReason, Invalid, reasonName } from "./errors.ts";
import { Reader, Writer } from "./varint.ts";

/** Largest value of uint32 fields (market, asset). */
export const MAX_U32 = 0xffffffff;
/** Ranges of the small enum fields (types.ts). */
export const MAX_SIDE = 1;
export const MAX_TIF = 4;
export const MAX_STP = 3;

const SIG_BYTES = 65;
const BODY_BYTES: Record<number, number> = {
  [TxKind.PLACE]: 39,
  [TxKind.CANCEL]: 12,
  [TxKind.CANCEL_BY_CLIENT_ID]: 12,
  [TxKind.CANCEL_ALL]: 4,
  [TxKind.AMEND]: 28,
  [TxKind.WITHDRAW]: 32,
  [TxKind.APPROVE_AGENT]: 28,
  [TxKind.REVOKE_AGENT]: 20,
};
/** Bytes of one BULK action. */
export const BULK_ACTION_BYTES = 48;

/** Encoded length of a single tx of each fixed-width kind (kind + account + nonce + body + signature). */
export const TX_BYTES: Readonly<Partial<Record<TxKind, number>>> = Object.fromEntries(
  Object.entries(BODY_BYTES).map(([k, n]) => [Number(k), 1 + 20 + 8 + n + SIG_BYTES]),
) as Partial<Record<TxKind, number>>;
/** Encoded length of a BULK with `count` actions. */
export function bulkTxBytes(count: number): number {
  return 1 + 20 + 8 + 1 + BULK_ACTION_BYTES * count + SIG_BYTES;
}
/** Longest single-tx encoding (a BULK of MAX_BULK_ACTIONS actions). */
export const MAX_TX_BYTES = bulkTxBytes(MAX_BULK_ACTIONS);

// ---------------------------------------------------------------------------------------------------------
// addresses and hashes: lowercase 0x hex, the STF's canonical form (byte conversions: node/clob/eip712.ts)

function isLowerHex(s: unknown, bytes: number): boolean {
  if (typeof s !== "string" || s.length !== 2 + 2 * bytes || s.charCodeAt(0) !== 48 || s.charCodeAt(1) !== 120) return false;
  for (let i = 2; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** True iff `a` is "0x" + 40 lowercase hex digits (the only address form the codec encodes). */
export function isCanonicalAddress(a: unknown): a is Address {
  return isLowerHex(a, 20);
}

/** True iff `h` is "0x" + 64 lowercase hex digits. */
export function isCanonicalHash(h: unknown): h is `0x${string}` {
  return isLowerHex(h, 32);
}

// ---------------------------------------------------------------------------------------------------------
// signatures

/** secp256k1 n/2, big-endian: s must be <= this (EIP-2 low-s). */
export const HALF_N = Uint8Array.from(Buffer.from("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0", "hex"));

/** True iff the 32-byte big-endian s is <= n/2 (low-s). High-s signatures are not encodable. */
export function isLowS(s: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) {
    if (s[i] !== HALF_N[i]) return s[i]! < HALF_N[i]!;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------------
// validation (encoder side)

function uint(n: unknown, max: number): boolean {
  return typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= max;
}

/**
 * Why `tx` cannot be encoded, or null if it can: known kind, lowercase addresses, every integer a safe
 * integer within its field's range (u64 fields <= 2^53-1, market/asset <= 2^32-1, side 0..1, tif 0..4,
 * stp 0..3), signature r/s of 32 bytes, v 0/1 and s <= n/2. Both the single-tx and the batch encoding
 * accept exactly these transactions.
 */
export function txEncodingProblem(tx: Tx): string | null {
  if (tx === null || typeof tx !== "object") return "not an object";
  if (!isCanonicalAddress(tx.account)) return "account must be a lowercase 0x address";
  if (!uint(tx.nonce, MAX_AMOUNT)) return "nonce out of range";
  const sig = tx.sig as Signature | undefined;
  if (sig === null || typeof sig !== "object") return "missing sig";
  if (!(sig.r instanceof Uint8Array) || sig.r.length !== 32) return "sig.r must be 32 bytes";
  if (!(sig.s instanceof Uint8Array) || sig.s.length !== 32) return "sig.s must be 32 bytes";
  if (sig.v !== 0 && sig.v !== 1) return "sig.v must be 0 or 1";
  if (!isLowS(sig.s)) return "sig.s is high (s > n/2)";
  switch (tx.kind) {
    case TxKind.WITHDRAW:
      if (!uint(tx.asset, MAX_U32)) return "asset out of range";
      if (!uint(tx.amount, MAX_AMOUNT)) return "amount out of range";
      if (!isCanonicalAddress(tx.recipient)) return "recipient must be a lowercase 0x address";
      return null;
    case TxKind.BULK: {
      const acts = tx.actions;
      if (!Array.isArray(acts) || acts.length < 1 || acts.length > MAX_BULK_ACTIONS) return `a bulk has 1..${MAX_BULK_ACTIONS} actions`;
      for (let i = 0; i < acts.length; i++) {
        const a = acts[i];
        if (a === null || typeof a !== "object") return `action ${i}: not an object`;
        const p = tradingFieldsProblem(a.op, a);
        if (p !== null) return `action ${i}: ${p}`;
      }
      return null;
    }
    case TxKind.APPROVE_AGENT:
      if (!isCanonicalAddress(tx.agent)) return "agent must be a lowercase 0x address";
      if (!uint(tx.expiry, MAX_AMOUNT)) return "expiry out of range";
      return null;
    case TxKind.REVOKE_AGENT:
      if (!isCanonicalAddress(tx.agent)) return "agent must be a lowercase 0x address";
      return null;
    default:
      return tradingFieldsProblem(tx.kind, tx);
  }
}

/** Why the fields of a trading kind (a single tx or a BULK action with that op) cannot be encoded. */
function tradingFieldsProblem(kind: unknown, t: object): string | null {
  const x = t as Record<string, unknown>;
  switch (kind) {
    case TxKind.PLACE:
      if (!uint(x.market, MAX_U32)) return "market out of range";
      if (!uint(x.side, MAX_SIDE)) return "side out of range";
      if (!uint(x.tif, MAX_TIF)) return "tif out of range";
      if (!uint(x.stp, MAX_STP)) return "stp out of range";
      if (!uint(x.price, MAX_AMOUNT)) return "price out of range";
      if (!uint(x.size, MAX_AMOUNT)) return "size out of range";
      if (!uint(x.expiry, MAX_AMOUNT)) return "expiry out of range";
      if (!uint(x.clientId, MAX_AMOUNT)) return "clientId out of range";
      return null;
    case TxKind.CANCEL:
      if (!uint(x.market, MAX_U32)) return "market out of range";
      if (!uint(x.orderId, MAX_AMOUNT)) return "orderId out of range";
      return null;
    case TxKind.CANCEL_BY_CLIENT_ID:
      if (!uint(x.market, MAX_U32)) return "market out of range";
      if (!uint(x.clientId, MAX_AMOUNT)) return "clientId out of range";
      return null;
    case TxKind.CANCEL_ALL:
      if (!uint(x.market, MAX_U32)) return "market out of range";
      return null;
    case TxKind.AMEND:
      if (!uint(x.market, MAX_U32)) return "market out of range";
      if (!uint(x.orderId, MAX_AMOUNT)) return "orderId out of range";
      if (!uint(x.price, MAX_AMOUNT)) return "price out of range";
      if (!uint(x.size, MAX_AMOUNT)) return "size out of range";
      return null;
    default:
      return `unknown kind ${String(kind)}`;
  }
}

/** Throws CodecError unless txEncodingProblem(tx) is null. */
export function assertEncodable(tx: Tx, where = "tx"): void {
  const p = txEncodingProblem(tx);
  if (p !== null) throw new CodecError(`${where}: ${p}`);
}

// ---------------------------------------------------------------------------------------------------------
// encode / decode

function putAddress(w: Writer, a: string): void {
  w.ensure(20);
  writeAddress(w.buf, w.pos, a);
  w.pos += 20;
}

/** Canonical single-tx bytes. Throws CodecError for a tx that is not encodable (see txEncodingProblem). */
export function encodeTx(tx: Tx): Uint8Array {
  assertEncodable(tx);
  const w = new Writer(tx.kind === TxKind.BULK ? bulkTxBytes(tx.actions.length) : TX_BYTES[tx.kind]!);
  w.u8(tx.kind);
  putAddress(w, tx.account);
  w.u64be(tx.nonce);
  switch (tx.kind) {
    case TxKind.PLACE:
      w.u32be(tx.market);
      w.u8(tx.side);
      w.u8(tx.tif);
      w.u64be(tx.price);
      w.u64be(tx.size);
      w.u64be(tx.expiry);
      w.u64be(tx.clientId);
      w.u8(tx.stp);
      break;
    case TxKind.CANCEL:
      w.u32be(tx.market);
      w.u64be(tx.orderId);
      break;
    case TxKind.CANCEL_BY_CLIENT_ID:
      w.u32be(tx.market);
      w.u64be(tx.clientId);
      break;
    case TxKind.CANCEL_ALL:
      w.u32be(tx.market);
      break;
    case TxKind.AMEND:
      w.u32be(tx.market);
      w.u64be(tx.orderId);
      w.u64be(tx.price);
      w.u64be(tx.size);
      break;
    case TxKind.WITHDRAW:
      w.u32be(tx.asset);
      w.u64be(tx.amount);
      putAddress(w, tx.recipient);
      break;
    case TxKind.BULK:
      w.u8(tx.actions.length);
      for (const a of tx.actions) putAction(w, a);
      break;
    case TxKind.APPROVE_AGENT:
      putAddress(w, tx.agent);
      w.u64be(tx.expiry);
      break;
    case TxKind.REVOKE_AGENT:
      putAddress(w, tx.agent);
      break;
  }
  w.bytes(tx.sig.r);
  w.bytes(tx.sig.s);
  w.u8(tx.sig.v);
  return w.buf; // sized exactly TX_BYTES[kind] / bulkTxBytes(count)
}

/** One fixed-width BULK action: every Action field, the op's unused ones as zero. */
function putAction(w: Writer, a: BulkAction): void {
  const x = a as Partial<Record<string, number>>;
  const used = (f: string): number => (ACTION_FIELDS[a.op].includes(f) ? x[f]! : 0);
  w.u8(a.op);
  w.u32be(a.market);
  w.u8(used("side"));
  w.u8(used("tif"));
  w.u64be(used("price"));
  w.u64be(used("size"));
  w.u64be(used("expiry"));
  w.u64be(used("clientId"));
  w.u8(used("stp"));
  w.u64be(used("orderId"));
}

/** The Action fields each op uses besides `op` and `market` (docs/stf.md "BULK"). */
const ACTION_FIELDS: Record<number, readonly string[]> = {
  [TxKind.PLACE]: ["side", "tif", "price", "size", "expiry", "clientId", "stp"],
  [TxKind.CANCEL]: ["orderId"],
  [TxKind.CANCEL_BY_CLIENT_ID]: ["clientId"],
  [TxKind.CANCEL_ALL]: [],
  [TxKind.AMEND]: ["price", "size", "orderId"],
};

/** Reads one fixed-width BULK action; unused fields must be zero (NON_CANONICAL). */
function readAction(r: Reader): BulkAction {
  const at = r.pos;
  const op = r.u8();
  if (op < TxKind.PLACE || op > TxKind.AMEND) throw new Invalid(DecodeReason.FIELD_RANGE, at);
  const market = r.u32be();
  const side = small(r, MAX_SIDE) as 0 | 1;
  const tif = small(r, MAX_TIF) as 0 | 1 | 2 | 3 | 4;
  const price = r.u64be();
  const size = r.u64be();
  const expiry = r.u64be();
  const clientId = r.u64be();
  const stp = small(r, MAX_STP) as 0 | 1 | 2 | 3;
  const orderId = r.u64be();
  const vals: Record<string, number> = { side, tif, price, size, expiry, clientId, stp, orderId };
  const used = ACTION_FIELDS[op];
  for (const f of Object.keys(vals)) if (!used.includes(f) && vals[f] !== 0) throw new Invalid(DecodeReason.NON_CANONICAL, at);
  switch (op) {
    case TxKind.PLACE:
      return { op, market, side, tif, price, size, expiry, clientId, stp };
    case TxKind.CANCEL:
      return { op, market, orderId };
    case TxKind.CANCEL_BY_CLIENT_ID:
      return { op, market, clientId };
    case TxKind.CANCEL_ALL:
      return { op, market };
    default:
      return { op: TxKind.AMEND, market, orderId, price, size };
  }
}

export type DecodeTxResult =
  | { ok: true; tx: Tx }
  | { ok: false; reason: DecodeReason; reasonName: string; offset: number };

function small(r: Reader, max: number): number {
  const v = r.u8();
  if (v > max) throw new Invalid(DecodeReason.FIELD_RANGE, r.pos - 1);
  return v;
}

/**
 * Decodes canonical single-tx bytes. Total: never throws; returns a reason code for any input that is
 * not exactly the encoding of an encodable tx (so encodeTx(decodeTx(b).tx) equals b byte for byte).
 * Check order: NOT_BYTES, empty (TRUNCATED), BAD_KIND, TRUNCATED / TRAILING_BYTES by length, then the
 * fields in order (FIELD_RANGE), BAD_SIG_V, HIGH_S.
 */
export function decodeTx(bytes: Uint8Array): DecodeTxResult {
  try {
    if (!(bytes instanceof Uint8Array)) return txFail(DecodeReason.NOT_BYTES, 0);
    if (bytes.length === 0) return txFail(DecodeReason.TRUNCATED, 0);
    const kind = bytes[0]!;
    let bodyLen = BODY_BYTES[kind];
    if (kind === TxKind.BULK) {
      if (bytes.length < 30) return txFail(DecodeReason.TRUNCATED, bytes.length);
      const count = bytes[29]!;
      if (count < 1 || count > MAX_BULK_ACTIONS) return txFail(DecodeReason.FIELD_RANGE, 29);
      bodyLen = 1 + BULK_ACTION_BYTES * count;
    }
    if (bodyLen === undefined) return txFail(DecodeReason.BAD_KIND, 0);
    const total = 1 + 20 + 8 + bodyLen + SIG_BYTES;
    if (bytes.length < total) return txFail(DecodeReason.TRUNCATED, bytes.length);
    if (bytes.length > total) return txFail(DecodeReason.TRAILING_BYTES, total);
    const r = new Reader(bytes, 1);
    const account = addressFromBytes(bytes, 1);
    r.pos = 21;
    const nonce = r.u64be();
    let tx: Tx;
    switch (kind) {
      case TxKind.PLACE: {
        const market = r.u32be();
        const side = small(r, MAX_SIDE) as 0 | 1;
        const tif = small(r, MAX_TIF) as 0 | 1 | 2 | 3 | 4;
        const price = r.u64be();
        const size = r.u64be();
        const expiry = r.u64be();
        const clientId = r.u64be();
        const stp = small(r, MAX_STP) as 0 | 1 | 2 | 3;
        tx = { kind, account, nonce, market, side, tif, price, size, expiry, clientId, stp, sig: undefined! };
        break;
      }
      case TxKind.CANCEL:
        tx = { kind, account, nonce, market: r.u32be(), orderId: r.u64be(), sig: undefined! };
        break;
      case TxKind.CANCEL_BY_CLIENT_ID:
        tx = { kind, account, nonce, market: r.u32be(), clientId: r.u64be(), sig: undefined! };
        break;
      case TxKind.CANCEL_ALL:
        tx = { kind, account, nonce, market: r.u32be(), sig: undefined! };
        break;
      case TxKind.AMEND:
        tx = { kind, account, nonce, market: r.u32be(), orderId: r.u64be(), price: r.u64be(), size: r.u64be(), sig: undefined! };
        break;
      case TxKind.BULK: {
        const count = r.u8();
        const actions: BulkAction[] = [];
        for (let i = 0; i < count; i++) actions.push(readAction(r));
        tx = { kind, account, nonce, actions, sig: undefined! };
        break;
      }
      case TxKind.APPROVE_AGENT: {
        const agent = addressFromBytes(bytes, r.pos);
        r.pos += 20;
        tx = { kind, account, nonce, agent, expiry: r.u64be(), sig: undefined! };
        break;
      }
      case TxKind.REVOKE_AGENT: {
        const agent = addressFromBytes(bytes, r.pos);
        r.pos += 20;
        tx = { kind, account, nonce, agent, sig: undefined! };
        break;
      }
      default: {
        const asset = r.u32be();
        const amount = r.u64be();
        const recipient = addressFromBytes(bytes, r.pos);
        r.pos += 20;
        tx = { kind: TxKind.WITHDRAW, account, nonce, asset, amount, recipient, sig: undefined! };
      }
    }
    const sr = bytes.slice(r.pos, r.pos + 32);
    const ss = bytes.slice(r.pos + 32, r.pos + 64);
    const v = bytes[r.pos + 64]!;
    if (v > 1) return txFail(DecodeReason.BAD_SIG_V, r.pos + 64);
    if (!isLowS(ss)) return txFail(DecodeReason.HIGH_S, r.pos + 32);
    tx.sig = { r: sr, s: ss, v: v as 0 | 1 };
    return { ok: true, tx };
  } catch (e) {
    if (e instanceof Invalid) return txFail(e.reason, e.offset);
    return txFail(DecodeReason.INTERNAL, 0);
  }
}

function txFail(reason: DecodeReason, offset: number): DecodeTxResult {
  return { ok: false, reason, reasonName: reasonName(reason), offset };
}
