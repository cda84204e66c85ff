// The fast path of the order path (docs/api.md "Protocol", docs/benchmarks.md "rpc"): one JSON-RPC request
// that submits one signed fixed-width transaction (Place, Cancel, CancelByClientId, CancelAll, Amend,
// Withdraw, ApproveAgent, RevokeAgent) is read in one pass over the message's bytes, straight into the
// transaction's canonical bytes (node/codec/tx.ts), with no JSON.parse, no generic schema walk, no
// WireTx -> Tx -> bytes re-encoding; its Tx is decoded from those bytes (as the sequencer does).
//
// The schemas stay the source of truth: the field table is built from TX_SCHEMAS (integer bounds, the
// `kind` constant, the address and signature patterns) and the methods' params schemas (which kinds a
// method takes), and a kind whose schema uses anything this reader does not implement is left to the full
// path. The reader accepts a strict subset of what the full path accepts, with the same outcome: anything
// unusual (escapes, non-ASCII, exponents, duplicate or unknown members, `kind` not first in the tx, a value
// out of its schema's range, a high-s signature, a batch, a notification) returns null and the message
// takes the full path (dispatch.ts), which answers it, errors with their codes included. The differential
// test (test/node/rpc/fast-tx.test.ts) holds the two paths to the same transactions.

import { EIP712_TYPES, TxKind, type Address, type Signature, type Tx } from "../clob/types.ts";
import { decodeTx, HALF_N, TX_BYTES } from "../codec/tx.ts";
import type { MethodSpec } from "./methods.ts";
import type { Schema } from "./schema.ts";
import { KIND_OF, PRIMARY_TYPES, SIGNATURE_SCHEMA, TX_SCHEMAS, type PrimaryType } from "./wire.ts";

/** A transaction request read by the fast path. */
export interface FastTxRequest {
  /** The request id: a non-negative integer or a plain string. */
  id: number | string;
  method: MethodSpec;
  tx: Tx;
  /** The canonical single-transaction bytes (what the sequencer admits). */
  bytes: Uint8Array;
}

const ADDRESS_PATTERN = "^0x[0-9a-fA-F]{40}$";
const SIGNATURE_PATTERN = "^0x[0-9a-fA-F]{128}(1[bB]|1[cC]|00|01)$";

/** One field of a fixed-width kind: where its value goes in the canonical bytes and what the schema allows. */
interface Field {
  key: Uint8Array;
  address: boolean;
  /** Byte width in the encoding (address 20, uint64 8, uint32 4, uint8 1). */
  width: number;
  offset: number;
  min: number;
  max: number;
}

interface KindTable {
  kind: TxKind;
  primary: PrimaryType;
  /** The kind's name as the JSON string value of `kind`. */
  name: Uint8Array;
  fields: Field[];
  /** Member lookup: by key length and first byte, the first candidate (index + 1; fields.length = signature). */
  first: Int8Array;
  /** The next candidate with the same length and first byte (index + 1), 0: none. */
  next: Int8Array;
  /** Byte length of the encoding; the signature is its last 65 bytes. */
  length: number;
  /** Bit mask of every member (fields and signature) required. */
  all: number;
}

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
/** Thrown inside the reader for "not for the fast path" (never escapes `read`). */
const NO = Symbol("not-fast");

const QUOTE = 34;
const COMMA = 44;
const COLON = 58;
const LBRACE = 123;
const RBRACE = 125;
const LBRACKET = 91;
const RBRACKET = 93;
const BACKSLASH = 92;
const K_JSONRPC = ascii("jsonrpc");
const K_ID = ascii("id");
const K_METHOD = ascii("method");
const K_PARAMS = ascii("params");
const K_TX = ascii("tx");
const K_KIND = ascii("kind");
const K_SIGNATURE = ascii("signature");
const V_20 = ascii("2.0");

const WIDTH: Record<string, number> = { address: 20, uint64: 8, uint32: 4, uint8: 1 };

/** The table of one kind from its schema, or null if the schema asks for something this reader lacks. */
function kindTable(primary: PrimaryType): KindTable | null {
  const kind = KIND_OF[primary];
  const length = TX_BYTES[kind];
  const schema = TX_SCHEMAS[primary];
  if (length === undefined || !("type" in schema) || schema.type !== "object") return null;
  const props = schema.properties;
  const kindSchema = props.kind;
  if (kindSchema === undefined || !("const" in kindSchema) || kindSchema.const !== primary) return null;
  if (props.signature !== SIGNATURE_SCHEMA || !("pattern" in SIGNATURE_SCHEMA) || SIGNATURE_SCHEMA.pattern !== SIGNATURE_PATTERN) return null;
  const fields: Field[] = [];
  let offset = 1;
  for (const f of EIP712_TYPES[primary]) {
    const s: Schema | undefined = props[f.name];
    const width = WIDTH[f.type];
    if (s === undefined || width === undefined || !("type" in s)) return null;
    if (f.type === "address") {
      if (s.type !== "string" || s.pattern !== ADDRESS_PATTERN || s.enum !== undefined || s.minLength !== undefined || s.maxLength !== undefined) return null;
      fields.push({ key: ascii(f.name), address: true, width, offset, min: 0, max: 0 });
    } else {
      if (s.type !== "integer" || s.minimum === undefined || s.maximum === undefined) return null;
      fields.push({ key: ascii(f.name), address: false, width, offset, min: s.minimum, max: Math.min(s.maximum, width === 8 ? Number.MAX_SAFE_INTEGER : 2 ** (8 * width) - 1) });
    }
    offset += width;
  }
  // Every property is a field, `kind` or `signature`, and all are required.
  const required = new Set(schema.required ?? []);
  if (Object.keys(props).length !== fields.length + 2 || required.size !== fields.length + 2 || schema.additionalProperties !== false) return null;
  for (const k of Object.keys(props)) if (!required.has(k)) return null;
  if (offset + 65 !== length) return null;
  const keys = [...fields.map((f) => f.key), K_SIGNATURE];
  const first = new Int8Array(32 * 128);
  const next = new Int8Array(keys.length);
  for (let j = keys.length - 1; j >= 0; j--) {
    const k = keys[j]!;
    if (k.length >= 32 || k[0]! >= 128) return null;
    next[j] = first[k.length * 128 + k[0]!]!;
    first[k.length * 128 + k[0]!] = j + 1;
  }
  return { kind, primary, name: ascii(primary), fields, first, next, length, all: 2 ** keys.length - 1 };
}

const TABLES: readonly KindTable[] = PRIMARY_TYPES.map(kindTable).filter((t): t is KindTable => t !== null);

/** The kinds a method's single `tx` param takes: a $ref to one kind, or a oneOf of such refs. */
function kindsOf(m: MethodSpec): KindTable[] | null {
  if (m.tag !== "tx" || m.params.length !== 1 || m.params[0]!.name !== "tx" || !m.params[0]!.required) return null;
  const s = m.params[0]!.schema;
  const refs = "$ref" in s ? [s] : "oneOf" in s ? s.oneOf : [];
  const out: KindTable[] = [];
  for (const r of refs) {
    if (!("$ref" in r)) return null;
    const t = TABLES.find((x) => `#/components/schemas/${x.primary}` === r.$ref);
    if (t !== undefined) out.push(t);
  }
  return out.length > 0 ? out : null;
}

/** Reads transaction requests for the given methods (the tx methods of the method table). */
export class FastTxReader {
  private readonly methods: { name: Uint8Array; spec: MethodSpec; kinds: KindTable[] }[] = [];

  constructor(methods: readonly MethodSpec[]) {
    for (const m of methods) {
      const kinds = kindsOf(m);
      if (kinds !== null) this.methods.push({ name: ascii(m.name), spec: m, kinds });
    }
  }

  /** The request in `buf`, or null: the message then takes the full path. */
  read(buf: Buffer): FastTxRequest | null {
    const s = new Scanner(buf);
    try {
      return this.request(s);
    } catch (e) {
      if (e === NO) return null;
      throw e;
    }
  }

  private request(s: Scanner): FastTxRequest | null {
    s.expect(LBRACE);
    let seen = 0;
    let id: number | string = 0;
    let method: { spec: MethodSpec; kinds: KindTable[] } | undefined;
    let tx: { table: KindTable; tx: Tx; bytes: Uint8Array } | undefined;
    for (;;) {
      s.expect(QUOTE);
      const k0 = s.i;
      const k1 = s.plainString();
      s.expect(COLON);
      if (s.keyIs(k0, k1, K_JSONRPC) && !(seen & 1)) {
        seen |= 1;
        if (!s.stringIs(V_20)) return null;
      } else if (s.keyIs(k0, k1, K_ID) && !(seen & 2)) {
        seen |= 2;
        const c = s.peek();
        if (c === QUOTE) {
          s.i++;
          const v0 = s.i;
          const v1 = s.plainString();
          id = s.latin1(v0, v1);
        } else {
          id = s.integer(Number.MAX_SAFE_INTEGER);
        }
      } else if (s.keyIs(k0, k1, K_METHOD) && !(seen & 4)) {
        seen |= 4;
        s.expect(QUOTE);
        const v0 = s.i;
        const v1 = s.plainString();
        for (const m of this.methods) if (s.keyIs(v0, v1, m.name)) method = m;
        if (method === undefined) return null;
      } else if (s.keyIs(k0, k1, K_PARAMS) && !(seen & 8)) {
        seen |= 8;
        if (s.peek() === LBRACKET) {
          s.i++;
          tx = this.tx(s);
          s.expect(RBRACKET);
        } else {
          s.expect(LBRACE);
          s.expect(QUOTE);
          const p0 = s.i;
          const p1 = s.plainString();
          if (!s.keyIs(p0, p1, K_TX)) return null;
          s.expect(COLON);
          tx = this.tx(s);
          s.expect(RBRACE);
        }
      } else return null;
      if (s.peek() === COMMA) {
        s.i++;
        continue;
      }
      s.expect(RBRACE);
      break;
    }
    if (seen !== 15 || !s.atEnd() || method === undefined || tx === undefined || !method.kinds.includes(tx.table)) return null;
    return { id, method: method.spec, tx: tx.tx, bytes: tx.bytes };
  }

  /** One signed transaction object, `kind` first: its canonical bytes, and its Tx decoded from them. */
  private tx(s: Scanner): { table: KindTable; tx: Tx; bytes: Uint8Array } {
    s.expect(LBRACE);
    s.expect(QUOTE);
    const k0 = s.i;
    if (!s.keyIs(k0, s.plainString(), K_KIND)) throw NO;
    s.expect(COLON);
    s.expect(QUOTE);
    const v0 = s.i;
    const v1 = s.plainString();
    let table: KindTable | undefined;
    for (const t of TABLES) if (s.keyIs(v0, v1, t.name)) table = t;
    if (table === undefined) throw NO;
    const fields = table.fields;
    // From Node's buffer pool: a fresh ArrayBuffer per transaction costs more than reading it. Every byte is
    // written below (all members are required).
    const bytes = Buffer.allocUnsafe(table.length);
    bytes[0] = table.kind;
    let seen = 0;
    while (s.peek() === COMMA) {
      s.i++;
      s.expect(QUOTE);
      const a = s.i;
      const b = s.plainString();
      s.expect(COLON);
      let j = b - a < 32 ? table.first[(b - a) * 128 + s.b[a]!]! - 1 : -1;
      while (j >= 0 && !s.keyIs(a, b, j === fields.length ? K_SIGNATURE : fields[j]!.key)) j = table.next[j]! - 1;
      if (j < 0) throw NO;
      if (j === fields.length) {
        s.signature(bytes, table.length - 65);
      } else {
        const f = fields[j]!;
        if (f.address) s.address(bytes, f.offset);
        else {
          const v = s.integer(f.max);
          if (v < f.min) throw NO;
          writeUint(bytes, f.offset, f.width, v);
        }
      }
      if (seen & (1 << j)) throw NO;
      seen |= 1 << j;
    }
    s.expect(RBRACE);
    if (seen !== table.all) throw NO;
    const d = decodeTx(bytes);
    if (!d.ok) throw NO;
    d.tx.account = internAccount(d.tx.account);
    d.tx.sig = new BytesSig(bytes, table.length - 65, d.tx.sig.v);
    return { table, tx: d.tx, bytes };
  }
}

/**
 * A signature read from the transaction's canonical bytes when asked for (views made on demand): the
 * sequencer keeps the bytes anyway, and two views per transaction are 192 bytes of old generation per
 * order while it waits for inclusion (docs/benchmarks.md "rpc: fewer messages, ..."). Same r, s and v as
 * decodeTx gives; only the proposer's encoding and recovery after a rollback read them.
 */
class BytesSig implements Signature {
  readonly v: 0 | 1;
  private readonly bytes: Uint8Array;
  private readonly at: number;
  constructor(bytes: Uint8Array, at: number, v: 0 | 1) {
    this.bytes = bytes;
    this.at = at;
    this.v = v;
  }
  get r(): Uint8Array {
    return this.bytes.subarray(this.at, this.at + 32);
  }
  get s(): Uint8Array {
    return this.bytes.subarray(this.at + 32, this.at + 64);
  }
}

/** Account strings of recent transactions, each kept once (bounded: cleared when full). */
const ACCOUNTS = new Map<string, Address>();
const MAX_ACCOUNTS = 1 << 16;

/**
 * The one string kept for account `a`: the sequencer's pool holds every acknowledged transaction until its
 * batch is included, and a 42-character string per transaction is 64 bytes of old generation per order
 * (docs/benchmarks.md "rpc: fewer messages, ..."). The value is the same; only the copy is shared.
 */
function internAccount(a: Address): Address {
  const k = ACCOUNTS.get(a);
  if (k !== undefined) return k;
  if (ACCOUNTS.size >= MAX_ACCOUNTS) ACCOUNTS.clear();
  ACCOUNTS.set(a, a);
  return a;
}

function writeUint(out: Uint8Array, at: number, width: number, v: number): void {
  if (width === 8) {
    const hi = Math.floor(v / 2 ** 32);
    const lo = v >>> 0;
    out[at] = hi >>> 24;
    out[at + 1] = (hi >>> 16) & 255;
    out[at + 2] = (hi >>> 8) & 255;
    out[at + 3] = hi & 255;
    at += 4;
    v = lo;
    width = 4;
  }
  for (let k = width - 1; k >= 0; k--) {
    out[at + k] = v & 255;
    v >>>= 8;
  }
}

/** Hex digit values by byte (-1: not a hex digit). */
const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[65 + i] = 10 + i;
  HEX[97 + i] = 10 + i;
}

class Scanner {
  readonly b: Buffer;
  i = 0;
  constructor(b: Buffer) {
    this.b = b;
  }

  private ws(): void {
    const b = this.b;
    let c = b[this.i];
    while (c === 32 || c === 10 || c === 13 || c === 9) c = b[++this.i];
  }

  /** The next byte after whitespace (not consumed). */
  peek(): number | undefined {
    this.ws();
    return this.b[this.i];
  }

  expect(c: number): void {
    this.ws();
    if (this.b[this.i] !== c) throw NO;
    this.i++;
  }

  atEnd(): boolean {
    this.ws();
    return this.i === this.b.length;
  }

  /** After an opening quote: a string of printable ASCII without escapes; returns its end (the closing quote's index). */
  plainString(): number {
    const b = this.b;
    for (let i = this.i; i < b.length; i++) {
      const c = b[i]!;
      if (c === QUOTE) {
        this.i = i + 1;
        return i;
      }
      if (c < 32 || c >= 127 || c === BACKSLASH) throw NO;
    }
    throw NO;
  }

  keyIs(a: number, b: number, key: Uint8Array): boolean {
    if (b - a !== key.length) return false;
    for (let k = 0; k < key.length; k++) if (this.b[a + k] !== key[k]) return false;
    return true;
  }

  stringIs(v: Uint8Array): boolean {
    this.expect(QUOTE);
    const a = this.i;
    return this.keyIs(a, this.plainString(), v);
  }

  latin1(a: number, b: number): string {
    return this.b.toString("latin1", a, b);
  }

  /** A non-negative JSON integer without fraction or exponent, at most `max` (at most 2^53 - 1). */
  integer(max: number): number {
    this.ws();
    const b = this.b;
    let i = this.i;
    let c = b[i];
    if (c === 48) {
      i++;
      c = b[i];
      if (c !== undefined && c >= 48 && c <= 57) throw NO;
      this.i = i;
      if (c === 46 || c === 101 || c === 69) throw NO;
      return 0;
    }
    let v = 0;
    let n = 0;
    while (c !== undefined && c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      if (++n > 16) throw NO;
      c = b[++i];
    }
    if (n === 0 || c === 46 || c === 101 || c === 69 || v > max) throw NO;
    this.i = i;
    return v;
  }

  /** "0x" and 40 hex digits: the 20 bytes into `out` at `at`. */
  address(out: Uint8Array, at: number): void {
    this.expect(QUOTE);
    const b = this.b;
    const i = this.i;
    if (b[i] !== 48 || b[i + 1] !== 120 || b[i + 42] !== QUOTE) throw NO;
    for (let k = 0; k < 20; k++) {
      const hi = HEX[b[i + 2 + 2 * k]!]!;
      const lo = HEX[b[i + 3 + 2 * k]!]!;
      if (hi < 0 || lo < 0) throw NO;
      out[at + k] = (hi << 4) | lo;
    }
    this.i = i + 43;
  }

  /** "0x" r ‖ s ‖ v (v 1b/1c/00/01, any case), low-s: r, s and v (0/1) into `out` at `at`. */
  signature(out: Uint8Array, at: number): void {
    this.expect(QUOTE);
    const b = this.b;
    const i = this.i;
    if (b[i] !== 48 || b[i + 1] !== 120 || b[i + 132] !== QUOTE) throw NO;
    for (let k = 0; k < 65; k++) {
      const hi = HEX[b[i + 2 + 2 * k]!]!;
      const lo = HEX[b[i + 3 + 2 * k]!]!;
      if (hi < 0 || lo < 0) throw NO;
      out[at + k] = (hi << 4) | lo;
    }
    const v = out[at + 64]!;
    if (v === 27 || v === 28) out[at + 64] = v - 27;
    else if (v !== 0 && v !== 1) throw NO;
    // high-s is not encodable (node/codec/tx.ts): the full path answers it
    for (let k = 0; k < 32; k++) {
      const x = out[at + 32 + k]!;
      if (x !== HALF_N[k]) {
        if (x > HALF_N[k]!) throw NO;
        break;
      }
    }
    this.i = i + 133;
  }
}
