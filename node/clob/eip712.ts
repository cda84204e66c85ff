// EIP-712 hashing and signer recovery for STF transactions, without viem's generic typed-data path.
// docs/stf.md ("Authorization") is normative. Type hashes are precomputed; each struct is encoded into a
// reusable fixed-width buffer (one 32-byte slot per field) and hashed with keccak256: the native addon
// (native/keccak, through node/state/keccak.ts; a BULK's action structs in one call) when it is built,
// else @noble/hashes with identical results (`KECCAK_BACKEND=js`, tested by `npm run test:node:js`).
// Recovery uses native libsecp256k1 (`secp256k1` package). Results are byte-identical to viem's
// hashTypedData / recoverTypedDataAddress (cross-checked in test/node/clob/eip712.test.ts and bulk.test.ts).

import { keccak256 as keccak_256 } from "../state/keccak.ts";
import secp256k1 from "secp256k1";
import { keccakMany } from "../state/keccak.ts";
import {
  EIP712_PRIMARY_TYPE,
  EIP712_TYPES,
  MAX_AMOUNT,
  MAX_BULK_ACTIONS,
  TxKind,
  type Address,
  type BulkAction,
  type Eip712Domain,
  type Signature,
  type Tx,
} from "./types.ts";

export const DOMAIN_NAME = "Rollbook";
export const DOMAIN_VERSION = "1";

const enc = new TextEncoder();

/** The EIP-712 type string of one struct, e.g. "Cancel(address account,uint64 nonce,uint32 market,uint64 orderId)". */
function structString(primary: keyof typeof EIP712_TYPES): string {
  return `${primary}(${EIP712_TYPES[primary].map((f) => `${f.type} ${f.name}`).join(",")})`;
}

/** EIP-712 encodeType of a primary type: its struct string, then those of referenced types (Bulk: Action). */
export function typeString(primary: keyof typeof EIP712_TYPES): string {
  return primary === "Bulk" ? structString("Bulk") + structString("Action") : structString(primary);
}

/** keccak256(typeString("Action")). */
export const ACTION_TYPEHASH = keccak_256(enc.encode(structString("Action")));

export const DOMAIN_TYPE_STRING = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";
const DOMAIN_TYPEHASH = keccak_256(enc.encode(DOMAIN_TYPE_STRING));

/** keccak256 of each primary type string, indexed by TxKind. */
export const TYPE_HASHES: Record<TxKind, Uint8Array> = Object.fromEntries(
  Object.entries(EIP712_PRIMARY_TYPE).map(([k, p]) => [Number(k), keccak_256(enc.encode(typeString(p)))]),
) as Record<TxKind, Uint8Array>;

// ---------------------------------------------------------------------------------------------------------
// hex helpers (hot path, no regex, no allocation beyond the result)

const HEX_VAL = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX_VAL[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_VAL[97 + i] = 10 + i;
  HEX_VAL[65 + i] = 10 + i;
}
const HEX_CHARS: string[] = [];
for (let i = 0; i < 256; i++) HEX_CHARS.push(i.toString(16).padStart(2, "0"));

/** True iff `a` is a string "0x" + 40 hex digits (any case). */
export function isAddress(a: unknown): a is Address {
  if (typeof a !== "string" || a.length !== 42 || a.charCodeAt(0) !== 48 || (a.charCodeAt(1) | 32) !== 120) return false;
  for (let i = 2; i < 42; i++) {
    const c = a.charCodeAt(i);
    if (c >= 128 || HEX_VAL[c] < 0) return false;
  }
  return true;
}

/** Writes the 20 bytes of a (validated) address into out[off..off+20). */
export function writeAddress(out: Uint8Array, off: number, a: string): void {
  for (let i = 0; i < 20; i++) {
    out[off + i] = (HEX_VAL[a.charCodeAt(2 + 2 * i)] << 4) | HEX_VAL[a.charCodeAt(3 + 2 * i)];
  }
}

export function bytesToHex(b: Uint8Array): `0x${string}` {
  let s = "0x";
  for (let i = 0; i < b.length; i++) s += HEX_CHARS[b[i]];
  return s as `0x${string}`;
}

export function hexToBytes(h: string): Uint8Array {
  const s = h.startsWith("0x") || h.startsWith("0X") ? h.slice(2) : h;
  if (s.length % 2 !== 0) throw new Error("odd hex length");
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = HEX_VAL[s.charCodeAt(2 * i)];
    const lo = HEX_VAL[s.charCodeAt(2 * i + 1)];
    if (hi < 0 || lo < 0 || hi === undefined || lo === undefined) throw new Error("bad hex");
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** Character codes of the hex digits. */
const HEX_CODES = Array.from("0123456789abcdef", (c) => c.charCodeAt(0));
/** An address's 42 character codes ("0x" then the digits), rewritten by each call. */
const ADDRESS_CODES: number[] = Array.from("0x" + "0".repeat(40), (c) => c.charCodeAt(0));

/**
 * Lowercase 0x-address of 20 bytes at b[off..off+20). One string made from its character codes: appending
 * two digits at a time made 20 intermediate strings per address, ~620 B of garbage for every decoded
 * transaction on the order path (docs/benchmarks.md "rpc: columnar view records").
 */
export function addressFromBytes(b: Uint8Array, off = 0): Address {
  const c = ADDRESS_CODES;
  for (let i = 0; i < 20; i++) {
    const x = b[off + i]!;
    c[2 + 2 * i] = HEX_CODES[x >> 4]!;
    c[3 + 2 * i] = HEX_CODES[x & 15]!;
  }
  return String.fromCharCode.apply(null, c) as Address;
}

/** Writes a non-negative safe integer as a big-endian uint256 into the last 8 bytes of a zeroed 32-byte slot. */
function writeU64(out: Uint8Array, slotEnd: number, n: number): void {
  let lo = n % 0x100000000;
  let hi = (n - lo) / 0x100000000;
  for (let i = 1; i <= 4; i++) {
    out[slotEnd - i] = lo & 0xff;
    lo >>>= 8;
  }
  for (let i = 5; i <= 8; i++) {
    out[slotEnd - i] = hi & 0xff;
    hi >>>= 8;
  }
}

// ---------------------------------------------------------------------------------------------------------
// domain separator

/** keccak256(abi.encode(DOMAIN_TYPEHASH, keccak("Rollbook"), keccak("1"), chainId, verifyingContract)). */
export function domainSeparator(domain: Eip712Domain): Uint8Array {
  if (!Number.isSafeInteger(domain.chainId) || domain.chainId < 0) throw new Error("bad chainId");
  if (!isAddress(domain.verifyingContract)) throw new Error("bad verifyingContract");
  const buf = new Uint8Array(160);
  buf.set(DOMAIN_TYPEHASH, 0);
  buf.set(keccak_256(enc.encode(DOMAIN_NAME)), 32);
  buf.set(keccak_256(enc.encode(DOMAIN_VERSION)), 64);
  writeU64(buf, 128, domain.chainId);
  writeAddress(buf, 140, domain.verifyingContract);
  return keccak_256(buf);
}

const SEPARATORS = new Map<string, Uint8Array>();
function cachedSeparator(domain: Eip712Domain): Uint8Array {
  const key = `${domain.chainId}:${domain.verifyingContract.toLowerCase()}`;
  let s = SEPARATORS.get(key);
  if (s === undefined) {
    s = domainSeparator(domain);
    if (SEPARATORS.size > 64) SEPARATORS.clear();
    SEPARATORS.set(key, s);
  }
  return s;
}

// ---------------------------------------------------------------------------------------------------------
// struct hashing

// One reusable buffer per kind: slot 0 = type hash, slot i = field i. Bytes that are always zero for a
// field's type (the high 24 bytes of uint slots, the high 12 of address slots) are never written.
const STRUCT_BUF: Record<number, Uint8Array> = {};
for (const [k, p] of Object.entries(EIP712_PRIMARY_TYPE)) {
  const b = new Uint8Array(32 * (1 + EIP712_TYPES[p].length));
  b.set(TYPE_HASHES[Number(k) as TxKind], 0);
  STRUCT_BUF[Number(k)] = b;
}
const DIGEST_BUF = new Uint8Array(66);
DIGEST_BUF[0] = 0x19;
DIGEST_BUF[1] = 0x01;
/** Action structs of a bulk, 11 slots each, hashed in one keccakMany call. */
const ACTION_SLOTS = 11;
const ACTION_BYTES = 32 * ACTION_SLOTS;
const ACTIONS_BUF = new Uint8Array(ACTION_BYTES * MAX_BULK_ACTIONS);
for (let k = 0; k < MAX_BULK_ACTIONS; k++) ACTIONS_BUF.set(ACTION_TYPEHASH, k * ACTION_BYTES);
const ACTION_OFFS: Uint32Array[] = [];
for (let n = 0; n <= MAX_BULK_ACTIONS; n++) ACTION_OFFS.push(Uint32Array.from({ length: n + 1 }, (_, i) => i * ACTION_BYTES));
const ACTION_HASHES = new Uint8Array(32 * MAX_BULK_ACTIONS);
const ONE = new Uint32Array(2);
const ADDR_HASH = new Uint8Array(32);

/** keccak256(data[0..len)) into out[off..off+32) (native when built). */
function hashInto(data: Uint8Array, len: number, out: Uint8Array, off: number): void {
  ONE[1] = len;
  keccakMany(len === data.length ? data : data.subarray(0, len), ONE, off === 0 ? out : out.subarray(off, off + 32));
}

/**
 * Field-representability check: every integer is a safe integer in [0, min(2^bits-1, MAX_AMOUNT)], addresses
 * are 20-byte hex, the kind is known; a BULK has 1..MAX_BULK_ACTIONS actions with known ops. Returns false
 * for anything that cannot be hashed exactly.
 */
export function isWellFormed(tx: Tx): boolean {
  if (tx === null || typeof tx !== "object") return false;
  if (!isAddress(tx.account) || !u(tx.nonce, 64)) return false;
  const sig = tx.sig;
  if (sig === null || typeof sig !== "object") return false;
  if (!(sig.r instanceof Uint8Array) || sig.r.length !== 32) return false;
  if (!(sig.s instanceof Uint8Array) || sig.s.length !== 32) return false;
  if (sig.v !== 0 && sig.v !== 1) return false;
  switch (tx.kind) {
    case TxKind.PLACE:
    case TxKind.CANCEL:
    case TxKind.CANCEL_BY_CLIENT_ID:
    case TxKind.CANCEL_ALL:
    case TxKind.AMEND:
      return fieldsWellFormed(tx.kind, tx);
    case TxKind.WITHDRAW:
      return u(tx.asset, 32) && u(tx.amount, 64) && isAddress(tx.recipient);
    case TxKind.BULK: {
      const acts = tx.actions;
      if (!Array.isArray(acts) || acts.length < 1 || acts.length > MAX_BULK_ACTIONS) return false;
      for (let i = 0; i < acts.length; i++) {
        const a = acts[i];
        if (a === null || typeof a !== "object" || !fieldsWellFormed(a.op, a)) return false;
      }
      return true;
    }
    case TxKind.APPROVE_AGENT:
      return isAddress(tx.agent) && u(tx.expiry, 64);
    case TxKind.REVOKE_AGENT:
      return isAddress(tx.agent);
    default:
      return false;
  }
}

/** The fields a trading kind (or a bulk action with that op) uses are representable. */
function fieldsWellFormed(kind: number, t: object): boolean {
  const x = t as Record<string, unknown>;
  switch (kind) {
    case TxKind.PLACE:
      return (
        u(x.market, 32) && u(x.side, 8) && u(x.tif, 8) && u(x.price, 64) && u(x.size, 64) &&
        u(x.expiry, 64) && u(x.clientId, 64) && u(x.stp, 8)
      );
    case TxKind.CANCEL:
      return u(x.market, 32) && u(x.orderId, 64);
    case TxKind.CANCEL_BY_CLIENT_ID:
      return u(x.market, 32) && u(x.clientId, 64);
    case TxKind.CANCEL_ALL:
      return u(x.market, 32);
    case TxKind.AMEND:
      return u(x.market, 32) && u(x.orderId, 64) && u(x.price, 64) && u(x.size, 64);
    default:
      return false;
  }
}

function u(n: unknown, bits: 8 | 32 | 64): boolean {
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) return false;
  return bits === 64 ? n <= MAX_AMOUNT : bits === 32 ? n <= 0xffffffff : n <= 0xff;
}

/**
 * Writes the Action struct of `a` (type hash already in place) at b[o..o+352): every field's low 8 bytes
 * (the high 24 of each slot are never written, so they stay zero), unused fields 0.
 */
function writeAction(b: Uint8Array, o: number, a: BulkAction): void {
  const x = a as { side?: number; tif?: number; price?: number; size?: number; expiry?: number; clientId?: number; stp?: number; orderId?: number };
  const op = a.op;
  const place = op === TxKind.PLACE;
  const amend = op === TxKind.AMEND;
  writeU64(b, o + 64, op);
  writeU64(b, o + 96, a.market);
  writeU64(b, o + 128, place ? x.side! : 0);
  writeU64(b, o + 160, place ? x.tif! : 0);
  writeU64(b, o + 192, place || amend ? x.price! : 0);
  writeU64(b, o + 224, place || amend ? x.size! : 0);
  writeU64(b, o + 256, place ? x.expiry! : 0);
  writeU64(b, o + 288, place || op === TxKind.CANCEL_BY_CLIENT_ID ? x.clientId! : 0);
  writeU64(b, o + 320, place ? x.stp! : 0);
  writeU64(b, o + 352, amend || op === TxKind.CANCEL ? x.orderId! : 0);
}

/** Writes hashStruct(tx) of a well-formed tx (see isWellFormed) into out[off..off+32). */
function structHashInto(tx: Tx, out: Uint8Array, off: number): void {
  const b = STRUCT_BUF[tx.kind];
  writeAddress(b, 44, tx.account);
  writeU64(b, 96, tx.nonce);
  switch (tx.kind) {
    case TxKind.PLACE:
      writeU64(b, 128, tx.market);
      writeU64(b, 160, tx.side);
      writeU64(b, 192, tx.tif);
      writeU64(b, 224, tx.price);
      writeU64(b, 256, tx.size);
      writeU64(b, 288, tx.expiry);
      writeU64(b, 320, tx.clientId);
      writeU64(b, 352, tx.stp);
      break;
    case TxKind.CANCEL:
      writeU64(b, 128, tx.market);
      writeU64(b, 160, tx.orderId);
      break;
    case TxKind.CANCEL_BY_CLIENT_ID:
      writeU64(b, 128, tx.market);
      writeU64(b, 160, tx.clientId);
      break;
    case TxKind.CANCEL_ALL:
      writeU64(b, 128, tx.market);
      break;
    case TxKind.AMEND:
      writeU64(b, 128, tx.market);
      writeU64(b, 160, tx.orderId);
      writeU64(b, 192, tx.price);
      writeU64(b, 224, tx.size);
      break;
    case TxKind.WITHDRAW:
      writeU64(b, 128, tx.asset);
      writeU64(b, 160, tx.amount);
      writeAddress(b, 172, tx.recipient);
      break;
    case TxKind.BULK: {
      const acts = tx.actions;
      const n = acts.length;
      if (n < 1 || n > MAX_BULK_ACTIONS) throw new Error("bulk action count out of range");
      for (let k = 0; k < n; k++) writeAction(ACTIONS_BUF, k * ACTION_BYTES, acts[k]);
      keccakMany(ACTIONS_BUF.subarray(0, n * ACTION_BYTES), ACTION_OFFS[n], ACTION_HASHES);
      hashInto(ACTION_HASHES, 32 * n, b, 96);
      break;
    }
    case TxKind.APPROVE_AGENT:
      writeAddress(b, 108, tx.agent);
      writeU64(b, 160, tx.expiry);
      break;
    case TxKind.REVOKE_AGENT:
      writeAddress(b, 108, tx.agent);
      break;
    default:
      throw new Error("unknown tx kind");
  }
  hashInto(b, b.length, out, off);
}

/** hashStruct(message) of a well-formed tx (see isWellFormed). */
export function structHash(tx: Tx): Uint8Array {
  const out = new Uint8Array(32);
  structHashInto(tx, out, 0);
  return out;
}

/**
 * The EIP-712 digest keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(tx)) that the account (or its agent)
 * signs. The result is a fresh array.
 */
export function txSigningHash(domain: Eip712Domain | Uint8Array, tx: Tx): Uint8Array {
  const sep = domain instanceof Uint8Array ? domain : cachedSeparator(domain);
  DIGEST_BUF.set(sep, 2);
  structHashInto(tx, DIGEST_BUF, 34);
  const out = new Uint8Array(32);
  hashInto(DIGEST_BUF, 66, out, 0);
  return out;
}

const TXHASH_BUF = new Uint8Array(97);
/**
 * Transaction hash: keccak256(signingHash ‖ r ‖ s ‖ v) with v one byte (0/1). Identifies a signed tx
 * (payload and signature); it keys the signer cache and receipts.
 */
export function txHashFromDigest(digest: Uint8Array, sig: Signature): Uint8Array {
  TXHASH_BUF.set(digest, 0);
  TXHASH_BUF.set(sig.r, 32);
  TXHASH_BUF.set(sig.s, 64);
  TXHASH_BUF[96] = sig.v;
  const out = new Uint8Array(32);
  hashInto(TXHASH_BUF, 97, out, 0);
  return out;
}

export function txHash(domain: Eip712Domain | Uint8Array, tx: Tx): `0x${string}` {
  return bytesToHex(txHashFromDigest(txSigningHash(domain, tx), tx.sig));
}

// ---------------------------------------------------------------------------------------------------------
// recovery

// secp256k1 group order n and n/2, big-endian.
const N = hexToBytes("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
const HALF_N = hexToBytes("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0");

function cmp32(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}
function isZero32(a: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) if (a[i] !== 0) return false;
  return true;
}

/** Signature component rule: 1 <= r < n, 1 <= s <= n/2 (low-s), v in {0,1}. */
export function isCanonicalSignature(sig: Signature): boolean {
  if (sig.v !== 0 && sig.v !== 1) return false;
  // Each read once: a signature may compute r and s from its transaction's bytes (node/rpc/fast-tx.ts).
  const r = sig.r;
  const s = sig.s;
  if (r.length !== 32 || s.length !== 32) return false;
  if (isZero32(r) || cmp32(r, N) >= 0) return false;
  if (isZero32(s) || cmp32(s, HALF_N) > 0) return false;
  return true;
}

const SIG64 = new Uint8Array(64);
/** Recovers the signer address of a 32-byte digest, or null if the signature is not canonical or invalid. */
export function recoverAddress(digest: Uint8Array, sig: Signature): Address | null {
  if (!isCanonicalSignature(sig)) return null;
  SIG64.set(sig.r, 0);
  SIG64.set(sig.s, 32);
  let pub: Uint8Array;
  try {
    pub = secp256k1.ecdsaRecover(SIG64, sig.v, digest, false);
  } catch {
    return null;
  }
  hashInto(pub.subarray(1), 64, ADDR_HASH, 0);
  return addressFromBytes(ADDR_HASH, 12);
}

/**
 * Signer cache: txHash (0x hex, see txHash) -> recovered address, or null when recovery failed. Filled at
 * admission or derivation (possibly in parallel workers); the STF uses an entry instead of calling
 * ecdsaRecover, which gives the same result because the key commits to digest and signature.
 */
export interface SignerCache {
  get(txHash: string): Address | null | undefined;
}

/** Recovers and stores the signer of each tx (sequential helper; workers may do the same in parallel). */
export function fillSignerCache(
  domain: Eip712Domain,
  txs: readonly Tx[],
  cache: Map<string, Address | null>,
): void {
  const sep = cachedSeparator(domain);
  for (const tx of txs) {
    if (!isWellFormed(tx)) continue;
    const d = txSigningHash(sep, tx);
    cache.set(bytesToHex(txHashFromDigest(d, tx.sig)), recoverAddress(d, tx.sig));
  }
}

/** Signs a digest with a 32-byte private key (native, low-s). For tests, tools and the market maker. */
export function signDigest(digest: Uint8Array, privateKey: Uint8Array): Signature {
  const { signature, recid } = secp256k1.ecdsaSign(digest, privateKey);
  return { r: signature.slice(0, 32), s: signature.slice(32, 64), v: recid as 0 | 1 };
}

/** Address of a 32-byte private key. */
export function addressOfPrivateKey(privateKey: Uint8Array): Address {
  const pub = secp256k1.publicKeyCreate(privateKey, false);
  return addressFromBytes(keccak_256(pub.subarray(1)), 12);
}

/** Fills tx.sig with a signature by `privateKey` over the tx's signing hash (tx.account must match the key). */
export function signTx<T extends Tx>(domain: Eip712Domain | Uint8Array, tx: T, privateKey: Uint8Array): T {
  tx.sig = signDigest(txSigningHash(domain, tx), privateKey);
  return tx;
}

export { cachedSeparator as domainSeparatorCached };
