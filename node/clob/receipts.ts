// Receipts of the CLOB STF: what each L1 message and transaction of a batch did (status, error code, fills,
// order updates).
//
// The STF writes them into a ReceiptLog: packed rows of numbers in Float64Arrays (every receipt number is a
// safe integer; makerFee may be negative) and the addresses as string references beside them. Writing a row
// allocates nothing, so a batch's receipts cost no garbage-collector work while it executes; the store
// writes the log's bytes as they are (`encode`). Consumers that want objects (RPC, tests) materialize them
// on demand (`txs`, `l1`, `tx(i)`): the object forms are the receipt API; the row layout is private.

import type { ErrorCode } from "./errors.ts";
import type { Address, Side } from "./types.ts";

export const ReceiptStatus = {
  /** Executed. */
  ACCEPTED: 0,
  /** Authenticated, nonce consumed, business rule failed: nothing else changed. */
  FAILED: 1,
  /** Not attributable (malformed, bad signature, wrong nonce): nothing changed at all. */
  REJECTED: 2,
} as const;
export type ReceiptStatus = (typeof ReceiptStatus)[keyof typeof ReceiptStatus];

export const OrderStatus = {
  /** Rests in the book with no fill. */
  NEW: 0,
  /** Some lots traded, the rest (`remaining`) rests. */
  PARTIALLY_FILLED: 1,
  /** Completely traded. */
  FILLED: 2,
  /** Removed (or never rested): see `reason`. */
  CANCELLED: 3,
  /** Removed because its GTT expiry passed (lazy expiry). */
  EXPIRED: 4,
  /** Price and/or size changed by an amend. */
  AMENDED: 5,
  /** Reduced by self-trade prevention DECREMENT (`remaining` 0 = removed). */
  DECREMENTED: 6,
} as const;
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];

export const CancelReason = {
  NONE: 0,
  /** Cancel, cancel-by-client-id or cancel-all transaction. */
  USER: 1,
  /** IOC / MARKET remainder. */
  IOC_REMAINDER: 2,
  /** Self-trade prevention. */
  SELF_TRADE: 3,
  /** FORCED_CANCEL L1 message. */
  FORCED: 4,
  /** A market fee change raised the buy reserve and the owner's available balance could not cover it. */
  FEE_RELOCK: 5,
} as const;
export type CancelReason = (typeof CancelReason)[keyof typeof CancelReason];

/** One change of one order. */
export interface OrderUpdate {
  orderId: number;
  market: number;
  account: Address;
  side: Side;
  /** The order's price after the update (ticks). */
  price: number;
  status: OrderStatus;
  /** Lots concerned: filled, cancelled, expired, decremented; for NEW/AMENDED the resting size. */
  size: number;
  /** Lots still resting after the update (0 = not in the book). */
  remaining: number;
  clientId: number;
  reason: CancelReason;
}

/** One trade. Fees are in quote units; makerFee < 0 is a rebate paid to the maker. */
export interface Fill {
  market: number;
  price: number;
  size: number;
  takerOrderId: number;
  makerOrderId: number;
  taker: Address;
  maker: Address;
  takerSide: Side;
  /** price * size * tickSize (quote units). */
  notional: number;
  takerFee: number;
  makerFee: number;
}

/** The outcome of one action of a BULK (docs/stf.md "BULK"). */
export interface ActionReceipt {
  /** The action's op (a trading TxKind). */
  op: number;
  /** ACCEPTED or FAILED. */
  status: ReceiptStatus;
  code: ErrorCode;
  /** As TxReceipt.orderId for a single transaction of that kind. */
  orderId: number;
  fills: Fill[];
  orders: OrderUpdate[];
}

export interface TxReceipt {
  /** Position of the tx in the batch. */
  index: number;
  kind: number;
  account: string;
  nonce: number;
  status: ReceiptStatus;
  code: ErrorCode;
  /** PLACE: the new order id; CANCEL/AMEND: the target order id; 0 otherwise or when none was assigned. */
  orderId: number;
  fills: Fill[];
  orders: OrderUpdate[];
  /** WITHDRAW: the withdrawal id; -1 otherwise. */
  withdrawalId: number;
  /** The address whose signature authorized it: an agent's, else the account (also for REJECTED). */
  signer: string;
  /** BULK: one receipt per action, in order (the tx's fills/orders are their concatenation); else []. */
  actions: ActionReceipt[];
}

export interface L1Receipt {
  /** Global L1 message index (queue position). */
  index: number;
  kind: number;
  code: ErrorCode;
  orders: OrderUpdate[];
  /** FORCED_WITHDRAW (or a refunded DEPOSIT): the withdrawal id; -1 otherwise. */
  withdrawalId: number;
  /** DEPOSIT: units credited; FORCED_WITHDRAW: units withdrawn; 0 otherwise. */
  amount: number;
}

// Row layouts (numbers per row). A tx row (its row number is the tx's index): kind, nonce, status, code,
// orderId, withdrawalId, fill range [start, end), update range [start, end), action range [start, end).
// An action row: op, status, code, orderId, fill range, update range. An L1 row: index, kind, code,
// withdrawalId, amount, update range. A fill row: the Fill numbers in interface order. An update row: the
// OrderUpdate numbers.
// Accounts are kept apart, as dense account indexes (Int32, one per tx and update, two per fill); the
// agent that signed a tx, if any, in a map by row.
const TX = 12;
const ACT = 8;
const L1 = 7;
const FILL = 9;
const UPD = 9;

/** Encoding version of `encode` (docs/stf.md "Receipts"). */
const VERSION = 2;
const HEADER = 32;
/** Rows are copied as bytes on little-endian hosts (all supported ones); others convert per number. */
const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

/** What the log resolves account indexes against: the state's dense account table (append-only). */
export type AccountTable = readonly ({ readonly address: string } | undefined)[];

/** Not a receipt log encoding (or a truncated one). */
export class ReceiptLogDecodeError extends Error {}

function grown(a: Float64Array, need: number): Float64Array {
  const b = new Float64Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}
function grownI32(a: Int32Array, need: number): Int32Array {
  const b = new Int32Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

/**
 * A batch's receipts in packed rows. Appends only; the row of the last transaction may be read between
 * transactions (a sequencer building a batch tx by tx).
 */
export class ReceiptLog {
  txCount = 0;
  l1Count = 0;
  fillCount = 0;
  updateCount = 0;
  actionCount = 0;
  private txRows: Float64Array;
  private actRows: Float64Array = new Float64Array(16 * ACT);
  /** Agent signer by tx row (rows signed by the account itself are absent). */
  private readonly txAgent = new Map<number, string>();
  private l1Rows: Float64Array = new Float64Array(16 * L1);
  private fillRows: Float64Array;
  private updRows: Float64Array;
  private txAcct: Int32Array;
  /** Taker and maker of each fill. */
  private fillAcct: Int32Array;
  private updAcct: Int32Array;
  private accounts: AccountTable;
  /** The account string of tx rows without an account (-1 in txAcct): unknown or malformed senders. */
  private readonly txAccountText = new Map<number, string>();

  /**
   * `accounts`: the table account indexes refer to (the executing state's `accounts`; it only grows, so
   * the log stays readable after later batches). `txs`: expected transactions (capacity hint).
   */
  constructor(accounts: AccountTable, txs = 0) {
    this.accounts = accounts;
    const t = Math.max(16, txs);
    this.txRows = new Float64Array(t * TX);
    this.txAcct = new Int32Array(t);
    this.fillRows = new Float64Array((t >> 2) * FILL);
    this.fillAcct = new Int32Array(t >> 1);
    this.updRows = new Float64Array((t + (t >> 1)) * UPD);
    this.updAcct = new Int32Array(t + (t >> 1));
  }

  /**
   * Empties the log, keeping its buffers, to take another batch's receipts (resolved against `accounts`).
   * The receipts it held are gone: only for a log whose receipts were consumed (stored, indexed).
   */
  reset(accounts: AccountTable): void {
    this.accounts = accounts;
    this.txCount = 0;
    this.l1Count = 0;
    this.fillCount = 0;
    this.updateCount = 0;
    this.actionCount = 0;
    this.txAccountText.clear();
    this.txAgent.clear();
  }

  // ------------------------------------------------------------------------------------ writing (the STF)

  /** Appends an order update (`account`: the owner's account index); returns its position. */
  pushUpdate(
    orderId: number, market: number, account: number, side: Side, price: number, status: OrderStatus,
    size: number, remaining: number, clientId: number, reason: CancelReason,
  ): number {
    const n = this.updateCount++;
    const o = n * UPD;
    if (o + UPD > this.updRows.length) {
      this.updRows = grown(this.updRows, o + UPD);
      this.updAcct = grownI32(this.updAcct, n + 1);
    }
    const r = this.updRows;
    r[o] = orderId;
    r[o + 1] = market;
    r[o + 2] = side;
    r[o + 3] = price;
    r[o + 4] = status;
    r[o + 5] = size;
    r[o + 6] = remaining;
    r[o + 7] = clientId;
    r[o + 8] = reason;
    this.updAcct[n] = account;
    return n;
  }

  updateReason(i: number): CancelReason {
    return this.updRows[i * UPD + 8] as CancelReason;
  }
  setUpdateReason(i: number, reason: CancelReason): void {
    this.updRows[i * UPD + 8] = reason;
  }

  /** Appends a fill (`taker`, `maker`: account indexes). */
  pushFill(
    market: number, price: number, size: number, takerOrderId: number, makerOrderId: number, taker: number,
    maker: number, takerSide: Side, notional: number, takerFee: number, makerFee: number,
  ): void {
    const n = this.fillCount++;
    const o = n * FILL;
    if (o + FILL > this.fillRows.length) {
      this.fillRows = grown(this.fillRows, o + FILL);
      this.fillAcct = grownI32(this.fillAcct, 2 * n + 2);
    }
    const r = this.fillRows;
    r[o] = market;
    r[o + 1] = price;
    r[o + 2] = size;
    r[o + 3] = takerOrderId;
    r[o + 4] = makerOrderId;
    r[o + 5] = takerSide;
    r[o + 6] = notional;
    r[o + 7] = takerFee;
    r[o + 8] = makerFee;
    this.fillAcct[2 * n] = taker;
    this.fillAcct[2 * n + 1] = maker;
  }

  /**
   * Appends a transaction's receipt once it has executed: its fills and updates are those appended since
   * `fillStart` / `updStart`. `account`: the sender's account index, or -1 when it has none (then
   * `accountText` is the receipt's account string). Returns its row.
   */
  pushTx(
    kind: number, account: number, accountText: string, nonce: number, status: ReceiptStatus,
    code: ErrorCode, orderId: number, withdrawalId: number, fillStart: number, updStart: number,
    actStart = this.actionCount, agent: string | null = null,
  ): number {
    const n = this.txCount++;
    const o = n * TX;
    if (o + TX > this.txRows.length) {
      this.txRows = grown(this.txRows, o + TX);
      this.txAcct = grownI32(this.txAcct, n + 1);
    }
    const r = this.txRows;
    r[o] = kind;
    r[o + 1] = nonce;
    r[o + 2] = status;
    r[o + 3] = code;
    r[o + 4] = orderId;
    r[o + 5] = withdrawalId;
    r[o + 6] = fillStart;
    r[o + 7] = this.fillCount;
    r[o + 8] = updStart;
    r[o + 9] = this.updateCount;
    r[o + 10] = actStart;
    r[o + 11] = this.actionCount;
    this.txAcct[n] = account;
    if (account < 0) this.txAccountText.set(n, accountText);
    if (agent !== null) this.txAgent.set(n, agent);
    return n;
  }

  /** Appends a BULK action's receipt once it has executed (its fills/updates: those since the starts). */
  pushAction(op: number, status: ReceiptStatus, code: ErrorCode, orderId: number, fillStart: number, updStart: number): void {
    const o = this.actionCount++ * ACT;
    if (o + ACT > this.actRows.length) this.actRows = grown(this.actRows, o + ACT);
    const r = this.actRows;
    r[o] = op;
    r[o + 1] = status;
    r[o + 2] = code;
    r[o + 3] = orderId;
    r[o + 4] = fillStart;
    r[o + 5] = this.fillCount;
    r[o + 6] = updStart;
    r[o + 7] = this.updateCount;
  }

  /** Appends an L1 message's receipt once it has been applied (its updates: those since `updStart`). */
  pushL1(index: number, kind: number, code: ErrorCode, withdrawalId: number, amount: number, updStart: number): void {
    const o = this.l1Count++ * L1;
    if (o + L1 > this.l1Rows.length) this.l1Rows = grown(this.l1Rows, o + L1);
    const r = this.l1Rows;
    r[o] = index;
    r[o + 1] = kind;
    r[o + 2] = code;
    r[o + 3] = withdrawalId;
    r[o + 4] = amount;
    r[o + 5] = updStart;
    r[o + 6] = this.updateCount;
  }

  // ------------------------------------------------------------------------------------ reading

  /** Materializes transaction receipt `i` (0 <= i < txCount). */
  tx(i: number): TxReceipt {
    if (!(i >= 0 && i < this.txCount)) throw new RangeError(`no transaction receipt ${i}`);
    const r = this.txRows;
    const o = i * TX;
    const account = this.txAccount(i);
    return {
      index: i, kind: r[o], account, nonce: r[o + 1], status: r[o + 2] as ReceiptStatus,
      code: r[o + 3] as ErrorCode, orderId: r[o + 4], fills: this.fills(r[o + 6], r[o + 7]),
      orders: this.updates(r[o + 8], r[o + 9]), withdrawalId: r[o + 5], signer: this.txAgent.get(i) ?? account,
      actions: this.actions(r[o + 10], r[o + 11]),
    };
  }

  /** Action receipts [start, end). */
  actions(start = 0, end = this.actionCount): ActionReceipt[] {
    const out: ActionReceipt[] = [];
    const r = this.actRows;
    for (let i = start; i < end; i++) {
      const o = i * ACT;
      out.push({
        op: r[o], status: r[o + 1] as ReceiptStatus, code: r[o + 2] as ErrorCode, orderId: r[o + 3],
        fills: this.fills(r[o + 4], r[o + 5]), orders: this.updates(r[o + 6], r[o + 7]),
      });
    }
    return out;
  }

  /** All transaction receipts, in batch order. */
  txs(): TxReceipt[] {
    const out: TxReceipt[] = [];
    for (let i = 0; i < this.txCount; i++) out.push(this.tx(i));
    return out;
  }

  /** All L1 message receipts, in queue order. */
  l1(): L1Receipt[] {
    const out: L1Receipt[] = [];
    const r = this.l1Rows;
    for (let o = 0; o < this.l1Count * L1; o += L1) {
      out.push({
        index: r[o], kind: r[o + 1], code: r[o + 2] as ErrorCode, orders: this.updates(r[o + 5], r[o + 6]),
        withdrawalId: r[o + 3], amount: r[o + 4],
      });
    }
    return out;
  }

  /** Fills [start, end) in order. */
  fills(start = 0, end = this.fillCount): Fill[] {
    const out: Fill[] = [];
    const r = this.fillRows;
    for (let i = start; i < end; i++) {
      const o = i * FILL;
      out.push({
        market: r[o], price: r[o + 1], size: r[o + 2], takerOrderId: r[o + 3], makerOrderId: r[o + 4],
        taker: this.address(this.fillAcct[2 * i]), maker: this.address(this.fillAcct[2 * i + 1]), takerSide: r[o + 5] as Side,
        notional: r[o + 6], takerFee: r[o + 7], makerFee: r[o + 8],
      });
    }
    return out;
  }

  /** Order updates [start, end) in order (L1 messages' first, then each transaction's). */
  updates(start = 0, end = this.updateCount): OrderUpdate[] {
    const out: OrderUpdate[] = [];
    const r = this.updRows;
    for (let i = start; i < end; i++) {
      const o = i * UPD;
      out.push({
        orderId: r[o], market: r[o + 1], account: this.address(this.updAcct[i]), side: r[o + 2] as Side, price: r[o + 3],
        status: r[o + 4] as OrderStatus, size: r[o + 5], remaining: r[o + 6], clientId: r[o + 7],
        reason: r[o + 8] as CancelReason,
      });
    }
    return out;
  }

  private address(account: number): Address {
    const a = this.accounts[account];
    if (a === undefined) throw new RangeError(`receipt log: no account ${account}`);
    return a.address as Address;
  }
  private txAccount(row: number): string {
    const a = this.txAcct[row];
    return a < 0 ? this.txAccountText.get(row)! : this.address(a);
  }

  /** The JSON form of a log is its materialized receipts. */
  toJSON(): { l1Receipts: L1Receipt[]; txReceipts: TxReceipt[] } {
    return { l1Receipts: this.l1(), txReceipts: this.txs() };
  }

  // ------------------------------------------------------------------------------------ bytes (the store)

  /**
   * Binary form: a 32-byte header (u32 LE: version, l1, tx, fill and update counts, string count), the
   * rows as float64 LE (L1, tx, fill, update rows), the u32 string index of each tx account, fill taker and
   * maker and update account, then the distinct strings (u16 byte length, UTF-8).
   */
  encode(): Buffer {
    const ids = new Map<string, number>();
    const strings: Buffer[] = [];
    const agents = [...this.txAgent.entries()].sort((x, y) => x[0] - y[0]);
    const refs = new Uint32Array(this.txCount + 2 * this.fillCount + this.updateCount + 2 * agents.length);
    let k = 0;
    let stringBytes = 0;
    const ref = (s: string): void => {
      let id = ids.get(s);
      if (id === undefined) {
        id = strings.length;
        ids.set(s, id);
        const b = Buffer.from(s, "utf8");
        if (b.length > 0xffff) throw new RangeError("receipt string longer than 65535 bytes");
        strings.push(b);
        stringBytes += 2 + b.length;
      }
      refs[k++] = id;
    };
    for (let i = 0; i < this.txCount; i++) ref(this.txAccount(i));
    for (let i = 0; i < 2 * this.fillCount; i++) ref(this.address(this.fillAcct[i]));
    for (let i = 0; i < this.updateCount; i++) ref(this.address(this.updAcct[i]));
    for (const [row, agent] of agents) {
      refs[k++] = row;
      ref(agent);
    }
    const sections = [
      this.l1Rows.subarray(0, this.l1Count * L1),
      this.txRows.subarray(0, this.txCount * TX),
      this.fillRows.subarray(0, this.fillCount * FILL),
      this.updRows.subarray(0, this.updateCount * UPD),
      this.actRows.subarray(0, this.actionCount * ACT),
    ];
    let rowBytes = 0;
    for (const s of sections) rowBytes += s.byteLength;
    const out = Buffer.allocUnsafe(HEADER + rowBytes + refs.byteLength + stringBytes);
    out.fill(0, 0, HEADER);
    for (const [j, v] of [VERSION, this.l1Count, this.txCount, this.fillCount, this.updateCount, strings.length, this.actionCount, agents.length].entries()) {
      out.writeUInt32LE(v, 4 * j);
    }
    let off = HEADER;
    for (const s of sections) {
      if (LITTLE_ENDIAN) {
        out.set(new Uint8Array(s.buffer, s.byteOffset, s.byteLength), off);
        off += s.byteLength;
      } else {
        for (let i = 0; i < s.length; i++, off += 8) out.writeDoubleLE(s[i], off);
      }
    }
    for (let i = 0; i < refs.length; i++, off += 4) out.writeUInt32LE(refs[i], off);
    for (const b of strings) {
      out.writeUInt16LE(b.length, off);
      b.copy(out, off + 2);
      off += 2 + b.length;
    }
    return out;
  }

  /** Inverse of `encode`. Throws ReceiptLogDecodeError on anything that is not a complete encoding. */
  static decode(bytes: Uint8Array): ReceiptLog {
    const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const fail = (why: string): never => {
      throw new ReceiptLogDecodeError(`receipt log: ${why}`);
    };
    if (b.length < HEADER) fail("shorter than its header");
    const version = b.readUInt32LE(0);
    if (version !== VERSION) fail(`unknown version ${version}`);
    const [l1Count, txCount, fillCount, updateCount, stringCount, actionCount, agentCount] = [1, 2, 3, 4, 5, 6, 7].map((j) => b.readUInt32LE(4 * j));
    const refCount = txCount + 2 * fillCount + updateCount + 2 * agentCount;
    const fixed = HEADER + 8 * (l1Count * L1 + txCount * TX + fillCount * FILL + updateCount * UPD + actionCount * ACT) + 4 * refCount;
    if (b.length < fixed) fail("truncated rows");
    const log = new ReceiptLog([], 0);
    let off = HEADER;
    const rows = (n: number): Float64Array => {
      const a = new Float64Array(Math.max(n, 16));
      if (LITTLE_ENDIAN) {
        new Uint8Array(a.buffer).set(b.subarray(off, off + 8 * n));
        off += 8 * n;
      } else {
        for (let i = 0; i < n; i++, off += 8) a[i] = b.readDoubleLE(off);
      }
      return a;
    };
    log.l1Rows = rows(l1Count * L1);
    log.txRows = rows(txCount * TX);
    log.fillRows = rows(fillCount * FILL);
    log.updRows = rows(updateCount * UPD);
    log.actRows = rows(actionCount * ACT);
    const refs = new Int32Array(refCount);
    const agentStart = txCount + 2 * fillCount + updateCount;
    for (let i = 0; i < refCount; i++, off += 4) {
      const ref = b.readUInt32LE(off);
      const isRow = i >= agentStart && (i - agentStart) % 2 === 0;
      if (isRow ? ref >= txCount : ref >= stringCount) fail(`${isRow ? "row" : "string"} index ${ref} out of range`);
      refs[i] = ref;
    }
    const strings: string[] = [];
    for (let i = 0; i < stringCount; i++) {
      if (off + 2 > b.length) fail("truncated strings");
      const len = b.readUInt16LE(off);
      if (off + 2 + len > b.length) fail("truncated strings");
      strings.push(b.toString("utf8", off + 2, off + 2 + len));
      off += 2 + len;
    }
    if (off !== b.length) fail("trailing bytes");
    // The decoded log's account table is the string table: rows refer to it by string index.
    log.accounts = strings.map((address) => ({ address }));
    log.txAcct = refs.slice(0, txCount);
    log.fillAcct = refs.slice(txCount, txCount + 2 * fillCount);
    log.updAcct = refs.slice(txCount + 2 * fillCount, agentStart);
    for (let i = agentStart; i < refCount; i += 2) log.txAgent.set(refs[i], strings[refs[i + 1]]);
    const range = (rows: Float64Array, n: number, stride: number, at: number, count: number, what: string): void => {
      for (let o = 0; o < n * stride; o += stride) {
        const s = rows[o + at];
        const e = rows[o + at + 1];
        if (!(Number.isSafeInteger(s) && Number.isSafeInteger(e) && s >= 0 && s <= e && e <= count)) fail(`${what} range out of bounds`);
      }
    };
    range(log.txRows, txCount, TX, 6, fillCount, "fill");
    range(log.txRows, txCount, TX, 8, updateCount, "update");
    range(log.l1Rows, l1Count, L1, 5, updateCount, "update");
    range(log.txRows, txCount, TX, 10, actionCount, "action");
    range(log.actRows, actionCount, ACT, 4, fillCount, "fill");
    range(log.actRows, actionCount, ACT, 6, updateCount, "update");
    log.actionCount = actionCount;
    log.l1Count = l1Count;
    log.txCount = txCount;
    log.fillCount = fillCount;
    log.updateCount = updateCount;
    return log;
  }
}
