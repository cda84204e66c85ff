// The CLOB state transition function: apply(preState, batch, l1Messages) -> (postState, receipts,
// withdrawals). docs/stf.md is normative; this file is its TypeScript implementation (the Rust guest is
// the other one). Pure and deterministic: integers only, no clocks, no randomness, no iteration over
// maps whose order is not defined by data.
//
// Execution model: `applyBatch` mutates a state in place (fast path for the sequencer and derivation);
// `apply` copies the pre-state first (cloneState) and leaves it untouched. Every transaction is atomic by
// construction: all validation (including the engine's own reject conditions for POST_ONLY / FOK / amend)
// happens before the first mutation, so no undo journal is needed.

import {
  BookReason,
  BookResult,
  BookStatus,
  MakerEventKind,
  type IncomingOrder,
  type MakerEvent,
  type RestingOrder,
} from "./engine.ts";
import { domainSeparator, isAddress, isCanonicalSignature, isWellFormed, recoverAddress, txSigningHash } from "./eip712.ts";
import { ErrorCode } from "./errors.ts";
import { CancelReason, OrderStatus, ReceiptLog, ReceiptStatus } from "./receipts.ts";
import { type Account, type AgentEntry, ClobState, MAX_OPEN_ORDERS_PER_MARKET, Market, cloneState } from "./state.ts";
import {
  L1MessageKind,
  MAX_AGENTS_PER_ACCOUNT,
  MAX_AMOUNT,
  PROPOSER_FEE_SHARE_PPM,
  MarketStatus,
  SelfTradePrevention,
  Side,
  TimeInForce,
  TxKind,
  type Address,
  type AmendTx,
  type ApproveAgentTx,
  type BulkTx,
  type CancelAllTx,
  type CancelByClientIdTx,
  type CancelTx,
  type DepositMessage,
  type ForcedCancelMessage,
  type ForcedWithdrawMessage,
  type L1Message,
  type MarketParams,
  type PlaceOrderTx,
  type RevokeAgentTx,
  type SetMarketMessage,
  type Tx,
  type WithdrawTx,
  isTradingKind,
} from "./types.ts";

// ---------------------------------------------------------------------------------------------------------
// Public types

/** A batch as the STF sees it (docs/stf.md "Batch processing"; node/derive/validity.ts builds it). */
export interface Batch extends BatchClock {
  /** Transactions in batch order. An invalid batch is passed as `txs: []` (its L1 messages still apply). */
  txs: readonly Tx[];
}

/** The batch fields the STF reads besides its transactions. */
export interface BatchClock {
  /** Batch index (from 1); must be the state's batchIndex + 1. */
  index: number;
  /**
   * The clock `now` (seconds): a valid batch's header timestamp, an invalid batch's previous clock
   * (node/derive/validity.ts). Never below the state's timestamp.
   */
  timestamp: number;
  /**
   * The proposer committed in c(i), credited the proposer reward. Derivation always passes it; a caller
   * that omits it (a unit test, a benchmark) runs the batch without moving a reward.
   */
  proposer?: Address;
}

/** One proposer reward credit of a batch (docs/stf.md "Proposer reward"). */
export interface ProposerReward {
  asset: number;
  amount: number;
}

/** A withdrawal record: the leaf [withdrawalId, recipient, asset, amount] of docs/l1-messages.md. */
export interface Withdrawal {
  withdrawalId: number;
  recipient: Address;
  asset: number;
  amount: number;
}

export interface BatchResult {
  /** Receipts of the L1 messages and transactions (empty with `receipts: "none"`). */
  receipts: ReceiptLog;
  withdrawals: Withdrawal[];
  /** What the proposer was credited, ascending asset (empty without fees or without a proposer). */
  rewards: ProposerReward[];
}

/** What admission learned about a tx. */
export interface Admitted {
  /** The lowercase address recovered from the tx's EIP-712 digest and signature; null if recovery failed. */
  signer: Address | null;
  /**
   * Dense index of the account of tx.account when admitted, -1 if none. A hint: the STF uses it only if
   * that account's address is tx.account, and looks the address up otherwise.
   */
  account: number;
  /**
   * Set only when admission checked `isWellFormed(tx)`: the lowercase tx.account (the state's own string
   * when the account exists, so the hint check is a pointer comparison). The STF then skips that check.
   */
  address?: Address;
}

/**
 * Admission's verdict on a tx whose signer is known (null: recovery failed): checks well-formedness once,
 * resolves the account against `state`. The tx must not be mutated afterwards (as for the signer itself).
 */
export function admit(state: ClobState, tx: Tx, signer: Address | null): Admitted {
  if (!isWellFormed(tx)) return { signer, account: -1 };
  const lower = lowerAddress(tx.account);
  const index = state.accountIndex.get(lower);
  const address = index === undefined ? lower : state.accounts[index].address;
  return { signer: signer === address ? address : signer, account: index ?? -1, address };
}

/**
 * Admission results computed earlier (admission / derivation, possibly in parallel). `lookup` returns
 * undefined for an unknown tx (the STF then recovers the signer and looks the account up itself). A correct
 * cache never changes a result.
 */
export interface SignerCache {
  lookup(tx: Tx): Admitted | undefined;
}

/** Identity-keyed signer cache (for tx objects that are not mutated after admission). */
export class TxSignerCache implements SignerCache {
  private readonly m = new WeakMap<Tx, Admitted>();
  lookup(tx: Tx): Admitted | undefined {
    return this.m.get(tx);
  }
  /** `account`: the dense index of tx.account's account at admission (-1: none or not resolved). */
  set(tx: Tx, signer: Address | null, account = -1): void {
    this.m.set(tx, { signer, account });
  }
  /** Stores admit(state, tx, signer) and returns it. */
  admit(state: ClobState, tx: Tx, signer: Address | null): Admitted {
    const a = admit(state, tx, signer);
    this.m.set(tx, a);
    return a;
  }
}

export interface ApplyOptions {
  /** Admission results (signer, account index), looked up per tx object. */
  signerCache?: SignerCache;
  /**
   * Admission results aligned with `batch.txs` (undefined = unknown: the STF recovers the signer). Takes
   * precedence over `signerCache`; saves its per-tx lookup.
   */
  admitted?: readonly (Admitted | undefined)[];
  /**
   * "full" (default): receipts with fills and order updates. "none": the STF skips building receipts
   * (the receipt log comes back empty; withdrawals are still returned). Same state either way.
   */
  receipts?: "full" | "none";
  /**
   * A log to write the receipts into, emptied first (ReceiptLog.reset): the log of an earlier batch whose
   * receipts were consumed (stored, indexed), so its buffers are reused instead of allocating new ones
   * (several MB per 10k transactions, each page a fault on first touch). Its earlier receipts are gone.
   */
  receiptLog?: ReceiptLog;
}

export class InvariantError extends Error {}

// ---------------------------------------------------------------------------------------------------------
// Integer helpers (docs/stf.md "Integer domain")

const PPM = 1_000_000;
/** Maximum taker fee and maximum maker fee (ppm). */
export const MAX_FEE_PPM = 100_000;

/** a*b, or -1 if the exact product exceeds MAX_AMOUNT (a, b non-negative safe integers). */
export function mulChecked(a: number, b: number): number {
  const p = a * b;
  return p > MAX_AMOUNT ? -1 : p;
}
/** a+b, or -1 above MAX_AMOUNT. */
export function addChecked(a: number, b: number): number {
  const s = a + b;
  return s > MAX_AMOUNT ? -1 : s;
}
/** floor(n / d) for non-negative safe integers (exact). */
function idiv(n: number, d: number): number {
  return (n - (n % d)) / d;
}
/** floor(n * rate / 1e6), exact for n <= MAX_AMOUNT, 0 <= rate <= 1e6. */
export function ppmFloor(n: number, rate: number): number {
  const lo = n % PPM;
  return ((n - lo) / PPM) * rate + idiv(lo * rate, PPM);
}
/** ceil(n * rate / 1e6), exact for n <= MAX_AMOUNT, 0 <= rate <= 1e6. */
export function ppmCeil(n: number, rate: number): number {
  const lo = n % PPM;
  return ((n - lo) / PPM) * rate + idiv(lo * rate + (PPM - 1), PPM);
}

/** Fee-reserve rate of a market: max(takerFeePpm, makerFeePpm, 0). */
export function reservePpm(p: MarketParams): number {
  return Math.max(p.takerFeePpm, p.makerFeePpm, 0);
}

/**
 * Quote units locked per lot of a buy order at `price`: price*tickSize + ceil(price*tickSize*reservePpm/1e6).
 * -1 on overflow.
 */
export function buyUnitCost(price: number, p: MarketParams): number {
  const pt = mulChecked(price, p.tickSize);
  if (pt < 0) return -1;
  return addChecked(pt, ppmCeil(pt, reservePpm(p)));
}

/** Amount locked by a resting order of `size` lots (quote for buys, base for sells); -1 on overflow. */
export function orderLock(side: Side, price: number, size: number, p: MarketParams): number {
  if (side === Side.BUY) {
    const u = buyUnitCost(price, p);
    return u < 0 ? -1 : mulChecked(size, u);
  }
  return mulChecked(size, p.lotSize);
}

/** Taker fee of a fill with this notional (rounded up). */
export function takerFee(notional: number, p: MarketParams): number {
  return ppmCeil(notional, p.takerFeePpm);
}
/** Maker fee of a fill: rounded up when charged, a rebate (negative) rounded down in magnitude. */
export function makerFee(notional: number, p: MarketParams): number {
  return p.makerFeePpm >= 0 ? ppmCeil(notional, p.makerFeePpm) : -ppmFloor(notional, -p.makerFeePpm);
}

/** Market parameter validation of SET_MARKET (docs/stf.md). */
export function validMarketParams(p: MarketParams): boolean {
  const u32 = (x: number) => Number.isSafeInteger(x) && x >= 0 && x <= 0xffffffff;
  const amt = (x: number) => Number.isSafeInteger(x) && x >= 1 && x <= MAX_AMOUNT;
  return (
    u32(p.baseAsset) && u32(p.quoteAsset) && p.baseAsset !== p.quoteAsset &&
    amt(p.lotSize) && amt(p.tickSize) && amt(p.minSize) &&
    Number.isSafeInteger(p.takerFeePpm) && p.takerFeePpm >= 0 && p.takerFeePpm <= MAX_FEE_PPM &&
    Number.isSafeInteger(p.makerFeePpm) && p.makerFeePpm >= -p.takerFeePpm && p.makerFeePpm <= MAX_FEE_PPM &&
    (p.status === MarketStatus.ACTIVE || p.status === MarketStatus.CANCEL_ONLY || p.status === MarketStatus.HALTED)
  );
}

// ---------------------------------------------------------------------------------------------------------
// Entry points

/** Functional form: applies the batch to a copy; `preState` is untouched. */
export function apply(
  preState: ClobState,
  batch: Batch,
  l1Messages: readonly L1Message[],
  options: ApplyOptions = {},
): BatchResult & { state: ClobState } {
  const state = cloneState(preState);
  const res = applyBatch(state, batch, l1Messages, options);
  return { state, ...res };
}

/** In-place form: mutates `state`. Its `dirty` set afterwards describes exactly this batch. */
export function applyBatch(
  state: ClobState,
  batch: Batch,
  l1Messages: readonly L1Message[],
  options: ApplyOptions = {},
): BatchResult {
  const txs = batch.txs;
  const ex = new BatchExecutor(state, batch, l1Messages, options, txs.length);
  const admitted = options.admitted;
  for (let i = 0; i < txs.length; i++) ex.applyTx(txs[i], admitted === undefined ? undefined : admitted[i]);
  return ex.finish();
}

/**
 * Incremental batch execution for a sequencer building a batch tx by tx: the constructor starts the batch
 * (clears `state.dirty`, advances batch index and clock, applies the L1 messages); `applyTx` executes one
 * transaction in place and returns its final receipt; `finish` returns everything.
 */
export class BatchExecutor {
  readonly state: ClobState;
  readonly now: number;
  private readonly cache: SignerCache | undefined;
  private readonly keepReceipts: boolean;
  private readonly separator: Uint8Array;
  /** The batch's receipts (empty with `receipts: "none"`). */
  readonly receipts: ReceiptLog;
  // Receipt numbers of the current L1 message or transaction, set while it executes.
  private outOrderId = 0;
  private outWithdrawalId = -1;
  private outAmount = 0;
  private readonly withdrawals: Withdrawal[] = [];
  private readonly proposer: Address | undefined;
  /** Fees credited to the fee account by this batch's fills, per quote asset (parallel arrays). */
  private readonly feeAssets: number[] = [];
  private readonly feeTotals: number[] = [];
  private finished = false;
  private readonly br = new BookResult();
  private readonly inc: IncomingOrder = {
    id: 0, owner: 0, side: Side.BUY, tif: TimeInForce.GTC, price: 0, size: 0,
    stp: SelfTradePrevention.EXPIRE_MAKER, expiry: 0, clientId: 0, priority: 0,
  };

  /** `expectedTxs`: capacity hint for the receipt log. */
  constructor(
    state: ClobState,
    header: BatchClock,
    l1Messages: readonly L1Message[],
    options: ApplyOptions = {},
    expectedTxs = 0,
  ) {
    if (!Number.isSafeInteger(header.index) || header.index !== state.batchIndex + 1) {
      throw new Error(`batch index ${header.index} does not follow ${state.batchIndex}`);
    }
    if (!Number.isSafeInteger(header.timestamp) || header.timestamp < state.timestamp) {
      throw new Error(`batch timestamp ${header.timestamp} before ${state.timestamp}`);
    }
    if (header.proposer !== undefined && !isAddress(header.proposer)) throw new Error("bad proposer address");
    this.state = state;
    this.now = header.timestamp;
    this.proposer = header.proposer === undefined ? undefined : lowerAddress(header.proposer);
    this.cache = options.signerCache;
    this.keepReceipts = options.receipts !== "none";
    const reuse = options.receiptLog;
    if (reuse !== undefined) reuse.reset(state.accounts);
    this.receipts = reuse ?? new ReceiptLog(state.accounts, this.keepReceipts ? expectedTxs : 0);
    this.separator = domainSeparator(state.config.domain);
    state.dirty.clear();
    for (const m of state.markets.values()) m.book.clearChanges(state.nextPriority);
    state.batchIndex = header.index;
    state.timestamp = header.timestamp;
    state.dirty.globals = true;
    for (const m of l1Messages) this.applyL1(m);
  }

  /** Ends the batch: credits the proposer reward (once) and returns everything. */
  finish(): BatchResult {
    const rewards: ProposerReward[] = [];
    if (!this.finished && this.proposer !== undefined) {
      const st = this.state;
      const fa = st.feeAccount;
      const order = this.feeAssets.map((_, i) => i).sort((x, y) => this.feeAssets[x] - this.feeAssets[y]);
      for (const i of order) {
        const asset = this.feeAssets[i];
        const total = Math.min(this.feeTotals[i], MAX_AMOUNT);
        const r = Math.min(ppmFloor(total, PROPOSER_FEE_SHARE_PPM), fa.available(asset));
        if (r <= 0 || this.proposer === fa.address) continue;
        this.debit(fa, asset, r);
        this.credit(st.getOrCreateAccount(this.proposer), asset, r);
        rewards.push({ asset, amount: r });
      }
    }
    this.finished = true;
    return { receipts: this.receipts, withdrawals: this.withdrawals, rewards };
  }

  // ------------------------------------------------------------------------------------ balances

  /** Index into `state.balances.amounts` of the available amount of (a, asset); locked follows it. */
  private bal(a: Account, asset: number): number {
    this.state.dirty.account(a);
    return 2 * this.state.balances.entry(a.index, asset);
  }
  private lock(a: Account, asset: number, amount: number): void {
    if (amount === 0) return;
    const i = this.bal(a, asset);
    const m = this.state.balances.amounts;
    if (m[i] < amount) throw new InvariantError("lock exceeds available");
    m[i] -= amount;
    m[i + 1] += amount;
  }
  private unlock(a: Account, asset: number, amount: number): void {
    if (amount === 0) return;
    const i = this.bal(a, asset);
    const m = this.state.balances.amounts;
    if (m[i + 1] < amount) throw new InvariantError("unlock exceeds locked");
    m[i + 1] -= amount;
    m[i] += amount;
  }
  /** Removes `amount` from locked (it leaves the account). */
  private spendLocked(a: Account, asset: number, amount: number): void {
    const i = this.bal(a, asset);
    const m = this.state.balances.amounts;
    if (m[i + 1] < amount) throw new InvariantError("spend exceeds locked");
    m[i + 1] -= amount;
  }
  private credit(a: Account, asset: number, amount: number): void {
    if (amount === 0) return;
    const i = this.bal(a, asset);
    this.state.balances.amounts[i] += amount;
  }
  private debit(a: Account, asset: number, amount: number): void {
    if (amount === 0) return;
    const i = this.bal(a, asset);
    const m = this.state.balances.amounts;
    if (m[i] < amount) throw new InvariantError("debit exceeds available");
    m[i] -= amount;
  }

  // ------------------------------------------------------------------------------------ L1 messages

  private applyL1(msg: L1Message): void {
    const st = this.state;
    const index = st.l1MessagesConsumed++;
    const updStart = this.receipts.updateCount;
    this.outWithdrawalId = -1;
    this.outAmount = 0;
    let code: ErrorCode;
    switch (msg.kind) {
      case L1MessageKind.DEPOSIT:
        code = this.l1Deposit(msg);
        break;
      case L1MessageKind.FORCED_WITHDRAW:
        code = this.l1ForcedWithdraw(msg);
        break;
      case L1MessageKind.FORCED_CANCEL:
        code = this.l1ForcedCancel(msg);
        break;
      case L1MessageKind.SET_MARKET:
        code = this.l1SetMarket(msg);
        break;
      default:
        code = ErrorCode.MALFORMED;
    }
    if (this.keepReceipts) this.receipts.pushL1(index, msg.kind, code, this.outWithdrawalId, this.outAmount, updStart);
  }

  private l1Deposit(msg: DepositMessage): ErrorCode {
    if (!isAddress(msg.account) || !isU32(msg.asset) || !isAmount(msg.amount)) return ErrorCode.MALFORMED;
    if (msg.amount === 0) return ErrorCode.INVALID_AMOUNT;
    const account = msg.account.toLowerCase() as Address;
    const st = this.state;
    const asset = st.asset(msg.asset);
    if (asset.supply + msg.amount > MAX_AMOUNT) {
      // The Vault holds the tokens: give them back through the normal claim path.
      this.outWithdrawalId = this.emitWithdrawal(account, msg.asset, msg.amount);
      return ErrorCode.SUPPLY_OVERFLOW;
    }
    const a = st.getOrCreateAccount(account);
    asset.supply += msg.amount;
    st.dirty.assets.add(msg.asset);
    this.credit(a, msg.asset, msg.amount);
    this.outAmount = msg.amount;
    return ErrorCode.OK;
  }

  private l1ForcedWithdraw(msg: ForcedWithdrawMessage): ErrorCode {
    if (!isAddress(msg.account) || !isU32(msg.asset) || !isAmount(msg.amount)) return ErrorCode.MALFORMED;
    const account = msg.account.toLowerCase() as Address;
    const a = this.state.account(account);
    const avail = a === undefined ? 0 : a.available(msg.asset);
    const amount = Math.min(msg.amount, avail);
    if (amount === 0) return ErrorCode.INSUFFICIENT_BALANCE;
    this.debit(a!, msg.asset, amount);
    this.reduceSupply(msg.asset, amount);
    this.outWithdrawalId = this.emitWithdrawal(account, msg.asset, amount);
    this.outAmount = amount;
    return ErrorCode.OK;
  }

  private l1ForcedCancel(msg: ForcedCancelMessage): ErrorCode {
    if (!isAddress(msg.account) || !isU32(msg.market) || !isAmount(msg.orderId)) return ErrorCode.MALFORMED;
    const m = this.state.markets.get(msg.market);
    if (m === undefined) return ErrorCode.UNKNOWN_MARKET;
    const a = this.state.account(msg.account.toLowerCase());
    if (msg.orderId === 0) {
      if (a !== undefined) this.cancelAllOf(m, a, CancelReason.FORCED);
      return ErrorCode.OK;
    }
    const o = m.book.getOrder(msg.orderId);
    if (a === undefined || o === undefined || o.owner !== a.index) return ErrorCode.ORDER_NOT_FOUND;
    this.cancelOne(m, o, CancelReason.FORCED);
    return ErrorCode.OK;
  }

  private l1SetMarket(msg: SetMarketMessage): ErrorCode {
    const p = msg.params;
    if (!isU32(msg.market) || p === null || typeof p !== "object" || !validMarketParams(p)) {
      return ErrorCode.INVALID_MARKET_PARAMS;
    }
    const st = this.state;
    const params: MarketParams = {
      baseAsset: p.baseAsset, quoteAsset: p.quoteAsset, lotSize: p.lotSize, tickSize: p.tickSize,
      minSize: p.minSize, makerFeePpm: p.makerFeePpm, takerFeePpm: p.takerFeePpm, status: p.status,
    };
    const m = st.markets.get(msg.market);
    if (m === undefined) {
      st.markets.set(msg.market, new Market(msg.market, params));
      st.dirty.markets.add(msg.market);
      return ErrorCode.OK;
    }
    const old = m.params;
    if (old.baseAsset !== params.baseAsset || old.quoteAsset !== params.quoteAsset ||
        old.lotSize !== params.lotSize || old.tickSize !== params.tickSize) {
      return ErrorCode.INVALID_MARKET_PARAMS;
    }
    m.params = params;
    st.dirty.markets.add(msg.market);
    if (reservePpm(old) !== reservePpm(params)) this.relockBuys(m, old);
    return ErrorCode.OK;
  }

  /**
   * After a change of the fee-reserve rate, every resting buy order of the market is re-locked at the new
   * unit cost, in canonical book order: a decrease releases the difference, an increase locks it from the
   * available balance, and an order whose increase cannot be covered (or overflows) is cancelled.
   */
  private relockBuys(m: Market, old: MarketParams): void {
    const ids: number[] = [];
    for (const o of m.book.orders()) if (o.side === Side.BUY) ids.push(o.id);
    const quote = m.params.quoteAsset;
    for (const id of ids) {
      const o = m.book.getOrder(id)!;
      const a = this.state.accounts[o.owner];
      const before = orderLock(Side.BUY, o.price, o.size, old);
      const after = orderLock(Side.BUY, o.price, o.size, m.params);
      if (after >= 0 && after <= before) {
        this.unlock(a, quote, before - after);
      } else if (after >= 0 && a.available(quote) >= after - before) {
        this.lock(a, quote, after - before);
      } else {
        // Cancel at the old unit cost (which is what is locked).
        const snapshot = copyOrder(o);
        m.book.cancel(id);
        this.unlock(a, quote, before);
        this.state.dirty.orders.add(id, m.id);
        if (this.keepReceipts) this.pushSnapUpdate(snapshot, m.id, a.index, OrderStatus.CANCELLED, snapshot.size, 0, CancelReason.FEE_RELOCK);
      }
    }
  }

  private emitWithdrawal(recipient: Address, asset: number, amount: number): number {
    const st = this.state;
    const id = st.nextWithdrawalId++;
    st.dirty.globals = true;
    this.withdrawals.push({ withdrawalId: id, recipient, asset, amount });
    return id;
  }

  private reduceSupply(asset: number, amount: number): void {
    const s = this.state.asset(asset);
    if (s.supply < amount) throw new InvariantError("supply underflow");
    s.supply -= amount;
    this.state.dirty.assets.add(asset);
  }

  // ------------------------------------------------------------------------------------ transactions

  /**
   * Executes one transaction in place and returns its row in `receipts` (-1 with `receipts: "none"`).
   * `admitted`: what admission learned about it (else the signer cache is asked; failing both, the signer
   * is recovered here).
   */
  applyTx(tx: Tx, admitted?: Admitted): number {
    if (admitted === undefined && this.cache !== undefined) admitted = this.cache.lookup(tx);
    const checked = admitted?.address;
    const wellFormed = checked !== undefined || isWellFormed(tx);
    const fillStart = this.receipts.fillCount;
    const updStart = this.receipts.updateCount;
    this.outOrderId = 0;
    this.outWithdrawalId = -1;
    let code: ErrorCode;
    let status: ReceiptStatus = ReceiptStatus.REJECTED;
    let kind: number;
    let nonce: number;
    let account: string;
    let a: Account | undefined;
    const actStart = this.receipts.actionCount;
    this.agent = null;
    if (wellFormed) {
      kind = tx.kind;
      nonce = tx.nonce;
      const address = checked !== undefined ? checked : lowerAddress(tx.account);
      account = address;
      const st = this.state;
      const known = admitted === undefined || admitted.account < 0 ? undefined : st.accounts[admitted.account];
      a = known !== undefined && known.address === address ? known : st.account(address);
      code = this.authenticate(tx, address, a, admitted?.signer);
      if (code === ErrorCode.OK) {
        if (a === undefined) a = st.getOrCreateAccount(address);
        a.nonce++;
        st.dirty.account(a);
        code = this.dispatch(tx, a);
        status = code === ErrorCode.OK ? ReceiptStatus.ACCEPTED : ReceiptStatus.FAILED;
      }
    } else {
      // Whatever of the receipt's fields the malformed value has.
      const raw: { kind?: unknown; nonce?: unknown; account?: unknown } = typeof tx === "object" && tx !== null ? tx : {};
      kind = typeof raw.kind === "number" ? raw.kind : 0;
      nonce = typeof raw.nonce === "number" ? raw.nonce : 0;
      account = typeof raw.account === "string" ? raw.account.toLowerCase() : "";
      code = ErrorCode.MALFORMED;
    }
    if (!this.keepReceipts) return -1;
    return this.receipts.pushTx(kind, a === undefined ? -1 : a.index, account, nonce, status, code, this.outOrderId, this.outWithdrawalId, fillStart, updStart, actStart, this.agent);
  }

  /** The agent that signed the current transaction, null when the account signed (receipts). */
  private agent: Address | null = null;

  /** Executes an authenticated transaction of account `a` (its nonce already consumed). */
  private dispatch(tx: Tx, a: Account): ErrorCode {
    switch (tx.kind) {
      case TxKind.PLACE:
        return this.place(tx, a);
      case TxKind.CANCEL:
        return this.cancel(tx, a);
      case TxKind.CANCEL_BY_CLIENT_ID:
        return this.cancelByClientId(tx, a);
      case TxKind.CANCEL_ALL:
        return this.cancelAll(tx, a);
      case TxKind.AMEND:
        return this.amend(tx, a);
      case TxKind.WITHDRAW:
        return this.withdraw(tx, a);
      case TxKind.BULK:
        return this.bulk(tx, a);
      case TxKind.APPROVE_AGENT:
        return this.approveAgent(tx, a);
      case TxKind.REVOKE_AGENT:
        return this.revokeAgent(tx, a);
    }
  }

  /** Runs one trading action (a single tx's business rules) for account `a`. */
  private runAction(kind: number, t: object, a: Account): ErrorCode {
    switch (kind) {
      case TxKind.PLACE:
        return this.place(t as PlaceFields, a);
      case TxKind.CANCEL:
        return this.cancel(t as CancelFields, a);
      case TxKind.CANCEL_BY_CLIENT_ID:
        return this.cancelByClientId(t as CancelByClientIdFields, a);
      case TxKind.CANCEL_ALL:
        return this.cancelAll(t as CancelAllFields, a);
      case TxKind.AMEND:
        return this.amend(t as AmendFields, a);
      default:
        throw new InvariantError("not a trading action");
    }
  }

  /**
   * BULK (docs/stf.md): the actions in order, each independently; a failing one changes nothing and does
   * not stop the rest. The bulk itself is ACCEPTED once authenticated.
   */
  private bulk(tx: BulkTx, a: Account): ErrorCode {
    const acts = tx.actions;
    const log = this.receipts;
    for (let k = 0; k < acts.length; k++) {
      const act = acts[k];
      const fillStart = log.fillCount;
      const updStart = log.updateCount;
      this.outOrderId = 0;
      const code = this.runAction(act.op, act, a);
      if (this.keepReceipts) {
        log.pushAction(act.op, code === ErrorCode.OK ? ReceiptStatus.ACCEPTED : ReceiptStatus.FAILED, code, code === ErrorCode.OK ? this.outOrderId : 0, fillStart, updStart);
      }
    }
    this.outOrderId = 0;
    return ErrorCode.OK;
  }

  private approveAgent(tx: ApproveAgentTx, a: Account): ErrorCode {
    const agent = lowerAddress(tx.agent);
    if (agent === ZERO_ADDRESS || agent === a.address) return ErrorCode.INVALID_AGENT;
    if (tx.expiry <= this.now) return ErrorCode.EXPIRY_IN_PAST;
    const kept: AgentEntry[] = [];
    let listed = false;
    for (const e of a.agents) {
      if (e.agent === agent) {
        kept.push({ agent, expiry: tx.expiry });
        listed = true;
      } else if (e.expiry > this.now) {
        kept.push({ agent: e.agent, expiry: e.expiry });
      }
    }
    if (!listed) {
      if (kept.length >= MAX_AGENTS_PER_ACCOUNT) return ErrorCode.TOO_MANY_AGENTS;
      let i = 0;
      while (i < kept.length && kept[i].agent < agent) i++;
      kept.splice(i, 0, { agent, expiry: tx.expiry });
    }
    a.agents = kept;
    this.state.dirty.account(a);
    return ErrorCode.OK;
  }

  private revokeAgent(tx: RevokeAgentTx, a: Account): ErrorCode {
    const agent = lowerAddress(tx.agent);
    if (agent === ZERO_ADDRESS || agent === a.address) return ErrorCode.INVALID_AGENT;
    const i = a.agents.findIndex((e) => e.agent === agent);
    if (i < 0) return ErrorCode.AGENT_NOT_FOUND;
    a.agents = a.agents.filter((_, j) => j !== i);
    this.state.dirty.account(a);
    return ErrorCode.OK;
  }

  /** Signature, signer, nonce of a well-formed tx (docs/stf.md "Authentication"). */
  private authenticate(tx: Tx, account: Address, a: Account | undefined, known: Address | null | undefined): ErrorCode {
    if (!isCanonicalSignature(tx.sig)) return ErrorCode.INVALID_SIGNATURE;
    const signer = known !== undefined ? known : recoverAddress(txSigningHash(this.separator, tx), tx.sig);
    if (signer === null) return ErrorCode.INVALID_SIGNATURE;
    if (signer !== account) {
      if (!isTradingKind(tx.kind) || a === undefined || !a.agentActive(signer, this.now)) return ErrorCode.WRONG_SIGNER;
      this.agent = signer;
    }
    const expected = a === undefined ? 0 : a.nonce;
    if (tx.nonce < expected) return ErrorCode.NONCE_TOO_LOW;
    if (tx.nonce > expected) return ErrorCode.NONCE_TOO_HIGH;
    return ErrorCode.OK;
  }

  private place(tx: PlaceFields, a: Account): ErrorCode {
    const st = this.state;
    const m = st.markets.get(tx.market);
    if (m === undefined) return ErrorCode.UNKNOWN_MARKET;
    const p = m.params;
    if (p.status === MarketStatus.HALTED) return ErrorCode.MARKET_HALTED;
    if (p.status === MarketStatus.CANCEL_ONLY) return ErrorCode.MARKET_CANCEL_ONLY;
    if (tx.side !== Side.BUY && tx.side !== Side.SELL) return ErrorCode.INVALID_SIDE;
    if (tx.tif > TimeInForce.MARKET) return ErrorCode.INVALID_TIF;
    if (tx.stp > SelfTradePrevention.DECREMENT) return ErrorCode.INVALID_STP;
    if (tx.price < 1) return ErrorCode.INVALID_PRICE;
    if (tx.size < 1) return ErrorCode.INVALID_SIZE;
    if (tx.size < p.minSize) return ErrorCode.BELOW_MIN_SIZE;
    if (tx.expiry !== 0 && tx.expiry <= this.now) return ErrorCode.EXPIRY_IN_PAST;
    const book = m.book;
    if (tx.clientId !== 0 && book.findByClientId(a.index, tx.clientId) !== undefined) return ErrorCode.DUPLICATE_CLIENT_ID;
    if ((tx.tif === TimeInForce.GTC || tx.tif === TimeInForce.POST_ONLY) && book.ownerOrderCount(a.index) >= MAX_OPEN_ORDERS_PER_MARKET) {
      return ErrorCode.TOO_MANY_OPEN_ORDERS;
    }
    const pt = mulChecked(tx.price, p.tickSize);
    if (pt < 0 || mulChecked(pt, tx.size) < 0 || mulChecked(tx.size, p.lotSize) < 0) return ErrorCode.OVERFLOW;
    const isBuy = tx.side === Side.BUY;
    let unit = 0;
    let lockAmt: number;
    if (isBuy) {
      unit = buyUnitCost(tx.price, p);
      lockAmt = unit < 0 ? -1 : mulChecked(tx.size, unit);
    } else {
      lockAmt = tx.size * p.lotSize;
    }
    if (lockAmt < 0) return ErrorCode.OVERFLOW;
    const lockAsset = isBuy ? p.quoteAsset : p.baseAsset;
    if (a.available(lockAsset) < lockAmt) return ErrorCode.INSUFFICIENT_BALANCE;

    const inc = this.inc;
    const orderId = st.nextOrderId;
    inc.id = orderId;
    inc.owner = a.index;
    inc.side = tx.side;
    inc.tif = tx.tif;
    inc.price = tx.price;
    inc.size = tx.size;
    inc.stp = tx.stp;
    inc.expiry = tx.expiry;
    inc.clientId = tx.clientId;
    inc.priority = st.nextPriority;
    const res = book.place(inc, this.now, this.br);
    if (res.status === BookStatus.REJECTED) {
      if (res.reason === BookReason.POST_ONLY_WOULD_CROSS) return ErrorCode.POST_ONLY_WOULD_CROSS;
      if (res.reason === BookReason.FOK_UNFILLABLE) return ErrorCode.FOK_NOT_FILLED;
      throw new InvariantError(`engine rejected a validated order: reason ${res.reason}`);
    }
    if (res.notionalOverflow) throw new InvariantError("fill notional overflow");
    st.nextOrderId++;
    st.nextPriority++;
    st.dirty.globals = true;
    this.outOrderId = orderId;

    this.lock(a, lockAsset, lockAmt);
    this.processEvents(m, res, a, tx.side, unit, orderId);
    // Taker remainder that did not rest: release its lock.
    const gone = tx.size - res.filled - res.rested;
    if (gone > 0) this.unlock(a, lockAsset, isBuy ? gone * unit : gone * p.lotSize);
    if (res.rested > 0) st.dirty.orders.add(orderId, m.id);

    let status: OrderStatus;
    let size: number;
    let reason: CancelReason = CancelReason.NONE;
    if (res.status === BookStatus.FILLED) {
      status = OrderStatus.FILLED;
      size = res.filled;
    } else if (res.status === BookStatus.RESTED) {
      status = res.filled > 0 ? OrderStatus.PARTIALLY_FILLED : OrderStatus.NEW;
      size = res.filled > 0 ? res.filled : res.rested;
    } else {
      status = OrderStatus.CANCELLED;
      size = res.cancelled + res.decremented;
      reason = res.reason === BookReason.IOC_REMAINDER ? CancelReason.IOC_REMAINDER : CancelReason.SELF_TRADE;
    }
    if (this.keepReceipts) this.receipts.pushUpdate(orderId, m.id, a.index, tx.side, tx.price, status, size, res.rested, tx.clientId, reason);
    return ErrorCode.OK;
  }

  /**
   * Turns engine events into balance changes and receipt entries. `taker` is the account whose order
   * caused the events (undefined for purges without a taker); `takerUnit` its buy unit cost.
   */
  private processEvents(
    m: Market,
    res: BookResult,
    taker: Account | undefined,
    takerSide: Side,
    takerUnit: number,
    takerOrderId: number,
  ): void {
    const st = this.state;
    for (let i = 0; i < res.eventCount; i++) {
      const e = res.events[i];
      const owner = st.accounts[e.owner];
      st.dirty.orders.add(e.orderId, m.id);
      switch (e.kind) {
        case MakerEventKind.FILL: {
          if (taker === undefined) throw new InvariantError("fill without taker");
          this.settle(m, e, owner, taker, takerSide, takerUnit, takerOrderId);
          if (this.keepReceipts) this.pushEventUpdate(e, m.id, owner.index, e.remaining > 0 ? OrderStatus.PARTIALLY_FILLED : OrderStatus.FILLED, CancelReason.NONE);
          break;
        }
        case MakerEventKind.EXPIRED:
          this.releaseOrder(m, owner, e.side, e.price, e.size);
          if (this.keepReceipts) this.pushEventUpdate(e, m.id, owner.index, OrderStatus.EXPIRED, CancelReason.NONE);
          break;
        case MakerEventKind.STP_CANCELLED:
          this.releaseOrder(m, owner, e.side, e.price, e.size);
          if (this.keepReceipts) this.pushEventUpdate(e, m.id, owner.index, OrderStatus.CANCELLED, CancelReason.SELF_TRADE);
          break;
        case MakerEventKind.STP_DECREMENTED:
          this.releaseOrder(m, owner, e.side, e.price, e.size);
          if (this.keepReceipts) this.pushEventUpdate(e, m.id, owner.index, OrderStatus.DECREMENTED, CancelReason.SELF_TRADE);
          break;
        case MakerEventKind.CANCELLED: {
          const expired = e.expiry !== 0 && e.expiry <= this.now;
          this.releaseOrder(m, owner, e.side, e.price, e.size);
          if (this.keepReceipts) this.pushEventUpdate(e, m.id, owner.index, expired ? OrderStatus.EXPIRED : OrderStatus.CANCELLED, expired ? CancelReason.NONE : CancelReason.USER);
          break;
        }
        default:
          throw new InvariantError("unknown engine event");
      }
    }
  }

  private pushSnapUpdate(o: OrderSnap, market: number, account: number, status: OrderStatus, size: number, remaining: number, reason: CancelReason): void {
    this.receipts.pushUpdate(o.id, market, account, o.side, o.price, status, size, remaining, o.clientId, reason);
  }

  private pushEventUpdate(e: MakerEvent, market: number, account: number, status: OrderStatus, reason: CancelReason): void {
    this.receipts.pushUpdate(e.orderId, market, account, e.side, e.price, status, e.size, e.remaining, e.clientId, reason);
  }

  /** Releases the lock of `size` lots of a resting order at `price`. */
  private releaseOrder(m: Market, a: Account, side: Side, price: number, size: number): void {
    const amt = orderLock(side, price, size, m.params);
    if (amt < 0) throw new InvariantError("lock overflow on release");
    this.unlock(a, side === Side.BUY ? m.params.quoteAsset : m.params.baseAsset, amt);
  }

  /** Settles one trade between maker event `e` and the taker (docs/stf.md "Settlement"). */
  private settle(m: Market, e: MakerEvent, maker: Account, taker: Account, takerSide: Side, takerUnit: number, takerOrderId: number): void {
    const p = m.params;
    const q = e.size;
    const price = e.price;
    const notional = price * q * p.tickSize;
    const baseAmt = q * p.lotSize;
    if (notional > MAX_AMOUNT || baseAmt > MAX_AMOUNT) throw new InvariantError("fill overflow");
    const tFee = takerFee(notional, p);
    const mFee = makerFee(notional, p);
    let buyer: Account, seller: Account, buyerFee: number, sellerFee: number, buyerUnit: number;
    if (takerSide === Side.BUY) {
      buyer = taker;
      seller = maker;
      buyerFee = tFee;
      sellerFee = mFee;
      buyerUnit = takerUnit;
    } else {
      buyer = maker;
      seller = taker;
      buyerFee = mFee;
      sellerFee = tFee;
      buyerUnit = buyUnitCost(price, p);
    }
    const quote = p.quoteAsset;
    const base = p.baseAsset;
    // Buyer: q lots of lock leave; notional + fee are spent; the rest returns to available.
    const buyerLock = q * buyerUnit;
    const buyerRefund = buyerLock - notional - buyerFee;
    if (buyerRefund < 0) throw new InvariantError("buy reserve short");
    this.spendLocked(buyer, quote, buyerLock);
    this.credit(buyer, quote, buyerRefund);
    this.credit(buyer, base, baseAmt);
    // Seller: base leaves its lock; proceeds minus fee (plus rebate) arrive.
    this.spendLocked(seller, base, baseAmt);
    this.credit(seller, quote, notional - sellerFee);
    // Fee account: taker fee + maker fee (a rebate is negative; per fill tFee >= |rebate|).
    const feeNet = tFee + mFee;
    if (feeNet < 0) throw new InvariantError("negative fee net");
    const fa = this.state.feeAccount;
    this.credit(fa, quote, feeNet);
    if (feeNet > 0) this.addFee(quote, feeNet);
    if (this.keepReceipts) this.receipts.pushFill(m.id, price, q, takerOrderId, e.orderId, taker.index, maker.index, takerSide, notional, tFee, mFee);
  }

  /** Adds to the batch's fee total of `asset` (the proposer reward's base). */
  private addFee(asset: number, amount: number): void {
    const assets = this.feeAssets;
    for (let i = 0; i < assets.length; i++) {
      if (assets[i] === asset) {
        this.feeTotals[i] += amount;
        return;
      }
    }
    assets.push(asset);
    this.feeTotals.push(amount);
  }

  private cancelOne(m: Market, o: RestingOrder, reason: CancelReason): void {
    const snap = copyOrder(o);
    m.book.cancel(snap.id);
    const a = this.state.accounts[snap.owner];
    this.releaseOrder(m, a, snap.side, snap.price, snap.size);
    this.state.dirty.orders.add(snap.id, m.id);
    const expired = snap.expiry !== 0 && snap.expiry <= this.now;
    if (this.keepReceipts) this.pushSnapUpdate(snap, m.id, a.index, expired ? OrderStatus.EXPIRED : OrderStatus.CANCELLED, snap.size, 0, expired ? CancelReason.NONE : reason);
  }

  private cancelAllOf(m: Market, a: Account, reason: CancelReason): void {
    const res = m.book.cancelAll(a.index, this.br);
    const log = this.receipts;
    const start = log.updateCount;
    this.processEvents(m, res, undefined, Side.BUY, 0, 0);
    if (reason !== CancelReason.USER) {
      for (let i = start; i < log.updateCount; i++) if (log.updateReason(i) === CancelReason.USER) log.setUpdateReason(i, reason);
    }
  }

  private cancel(tx: CancelFields, a: Account): ErrorCode {
    const m = this.state.markets.get(tx.market);
    if (m === undefined) return ErrorCode.UNKNOWN_MARKET;
    if (m.params.status === MarketStatus.HALTED) return ErrorCode.MARKET_HALTED;
    const o = m.book.getOrder(tx.orderId);
    if (o === undefined || o.owner !== a.index) return ErrorCode.ORDER_NOT_FOUND;
    this.outOrderId = tx.orderId;
    this.cancelOne(m, o, CancelReason.USER);
    return ErrorCode.OK;
  }

  private cancelByClientId(tx: CancelByClientIdFields, a: Account): ErrorCode {
    const m = this.state.markets.get(tx.market);
    if (m === undefined) return ErrorCode.UNKNOWN_MARKET;
    if (m.params.status === MarketStatus.HALTED) return ErrorCode.MARKET_HALTED;
    if (tx.clientId === 0) return ErrorCode.INVALID_CLIENT_ID;
    const o = m.book.findByClientId(a.index, tx.clientId);
    if (o === undefined) return ErrorCode.ORDER_NOT_FOUND;
    this.outOrderId = o.id;
    this.cancelOne(m, o, CancelReason.USER);
    return ErrorCode.OK;
  }

  private cancelAll(tx: CancelAllFields, a: Account): ErrorCode {
    const m = this.state.markets.get(tx.market);
    if (m === undefined) return ErrorCode.UNKNOWN_MARKET;
    if (m.params.status === MarketStatus.HALTED) return ErrorCode.MARKET_HALTED;
    this.cancelAllOf(m, a, CancelReason.USER);
    return ErrorCode.OK;
  }

  private amend(tx: AmendFields, a: Account): ErrorCode {
    const st = this.state;
    const m = st.markets.get(tx.market);
    if (m === undefined) return ErrorCode.UNKNOWN_MARKET;
    const p = m.params;
    if (p.status === MarketStatus.HALTED) return ErrorCode.MARKET_HALTED;
    if (p.status === MarketStatus.CANCEL_ONLY) return ErrorCode.MARKET_CANCEL_ONLY;
    const o = m.book.getOrder(tx.orderId);
    if (o === undefined || o.owner !== a.index) return ErrorCode.ORDER_NOT_FOUND;
    if (tx.price < 1) return ErrorCode.INVALID_PRICE;
    if (tx.size < 1) return ErrorCode.INVALID_SIZE;
    const reduction = tx.price === o.price && tx.size <= o.size;
    if (!reduction && tx.size < p.minSize) return ErrorCode.BELOW_MIN_SIZE;
    if (o.expiry !== 0 && o.expiry <= this.now) return ErrorCode.ORDER_EXPIRED;
    const pt = mulChecked(tx.price, p.tickSize);
    if (pt < 0 || mulChecked(pt, tx.size) < 0 || mulChecked(tx.size, p.lotSize) < 0) return ErrorCode.OVERFLOW;
    const side = o.side;
    const oldLock = orderLock(side, o.price, o.size, p);
    const newLock = orderLock(side, tx.price, tx.size, p);
    if (newLock < 0) return ErrorCode.OVERFLOW;
    if (oldLock < 0) throw new InvariantError("resting lock overflow");
    const asset = side === Side.BUY ? p.quoteAsset : p.baseAsset;
    if (newLock > oldLock && a.available(asset) < newLock - oldLock) return ErrorCode.INSUFFICIENT_BALANCE;

    const orderId = o.id;
    const res = m.book.amend(orderId, tx.price, tx.size, st.nextPriority, this.now, this.br);
    if (res.status === BookStatus.REJECTED) {
      if (res.reason === BookReason.AMEND_WOULD_CROSS) return ErrorCode.AMEND_WOULD_CROSS;
      throw new InvariantError(`engine rejected a validated amend: reason ${res.reason}`);
    }
    if (!res.priorityKept) st.nextPriority++;
    st.dirty.globals = true;
    st.dirty.orders.add(orderId, m.id);
    if (newLock > oldLock) this.lock(a, asset, newLock - oldLock);
    else this.unlock(a, asset, oldLock - newLock);
    this.outOrderId = orderId;
    const after = m.book.getOrder(orderId)!;
    // Purged expired opposite orders first (engine event order), then the amended order.
    this.processEvents(m, res, undefined, Side.BUY, 0, 0);
    if (this.keepReceipts) {
      this.receipts.pushUpdate(orderId, m.id, a.index, side, tx.price, OrderStatus.AMENDED, tx.size, tx.size, after.clientId, CancelReason.NONE);
    }
    return ErrorCode.OK;
  }

  private withdraw(tx: WithdrawTx, a: Account): ErrorCode {
    if (tx.amount === 0) return ErrorCode.INVALID_AMOUNT;
    const recipient = tx.recipient.toLowerCase() as Address;
    if (recipient === ZERO_ADDRESS) return ErrorCode.INVALID_RECIPIENT;
    if (a.available(tx.asset) < tx.amount) return ErrorCode.INSUFFICIENT_BALANCE;
    this.debit(a, tx.asset, tx.amount);
    this.reduceSupply(tx.asset, tx.amount);
    this.outWithdrawalId = this.emitWithdrawal(recipient, tx.asset, tx.amount);
    return ErrorCode.OK;
  }
}

// ---------------------------------------------------------------------------------------------------------

/** Lowercase form of a validated address; returns the same string when it is already lowercase. */
function lowerAddress(a: string): Address {
  if (a.charCodeAt(1) !== 120) return a.toLowerCase() as Address;
  for (let i = 2; i < 42; i++) {
    const c = a.charCodeAt(i);
    if (c >= 65 && c <= 70) return a.toLowerCase() as Address;
  }
  return a as Address;
}

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

/** The fields each trading handler reads: a single tx of that kind or a BULK action. */
type PlaceFields = Pick<PlaceOrderTx, "market" | "side" | "tif" | "price" | "size" | "expiry" | "clientId" | "stp">;
type CancelFields = Pick<CancelTx, "market" | "orderId">;
type CancelByClientIdFields = Pick<CancelByClientIdTx, "market" | "clientId">;
type CancelAllFields = Pick<CancelAllTx, "market">;
type AmendFields = Pick<AmendTx, "market" | "orderId" | "price" | "size">;

function isU32(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0 && x <= 0xffffffff;
}
function isAmount(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0 && x <= MAX_AMOUNT;
}

interface OrderSnap {
  id: number;
  owner: number;
  side: Side;
  price: number;
  size: number;
  expiry: number;
  clientId: number;
}
function copyOrder(o: RestingOrder): OrderSnap {
  return { id: o.id, owner: o.owner, side: o.side, price: o.price, size: o.size, expiry: o.expiry, clientId: o.clientId };
}
