// An in-process exchange over the real STF (node/clob applyBatch) implementing the market maker's
// MakerExchange: the maker's actions become signed transactions (EIP-712, its own key, sequential nonces)
// queued with any other trader's transactions in arrival order; `produceBatch` applies the queue as one
// batch and turns the receipts into acknowledgements, own order and fill events. Confirmation levels past
// soft are simulated from batch age (included after 1 more batch, safe after 2, proven after 3): this
// harness has no L1.

import { signTx } from "../../../../node/clob/eip712.ts";
import { ErrorCode } from "../../../../node/clob/errors.ts";
import { ReceiptStatus } from "../../../../node/clob/receipts.ts";
import { type ClobState, createGenesisState } from "../../../../node/clob/state.ts";
import { applyBatch } from "../../../../node/clob/stf.ts";
import {
  type Address,
  type Eip712Domain,
  type L1Message,
  L1MessageKind,
  type MarketParams,
  SelfTradePrevention,
  TimeInForce,
  type Tx,
  TxKind,
} from "../../../../node/clob/types.ts";
import {
  type ActionResult,
  type BulkAck,
  ConfirmationLevel,
  type ExchangeEvent,
  type MakerAction,
  type MakerExchange,
  MAX_BULK_ACTIONS,
  type TopOfBook,
} from "../../../../node/mm/actions.ts";

const CODE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(ErrorCode).map(([k, v]) => [v, k]));
const ZERO_SIG = () => ({ r: new Uint8Array(32), s: new Uint8Array(32), v: 0 as const });

export interface Key {
  priv: Uint8Array;
  address: Address;
}

interface Queued {
  tx: Tx;
  bulk?: { index: number; results: ActionResult[]; resolve: (a: BulkAck) => void; count: number };
}

export class LocalExchange implements MakerExchange {
  readonly state: ClobState;
  readonly domain: Eip712Domain;
  readonly maker: Key;
  now: number;
  private makerNonce = 0;
  private queue: Queued[] = [];
  private readonly listeners = new Set<(e: ExchangeEvent) => void>();
  /** Batches applied. */
  batches = 0;
  /** Every bulk the maker sent (actions per bulk), for assertions. */
  readonly bulks: MakerAction[][] = [];

  constructor(o: { domain: Eip712Domain; maker: Key; markets: { id: number; params: MarketParams }[]; deposits: L1Message[]; start: number }) {
    this.domain = o.domain;
    this.maker = o.maker;
    this.now = o.start;
    this.state = createGenesisState({ domain: o.domain });
    const msgs: L1Message[] = o.markets.map((m) => ({ kind: L1MessageKind.SET_MARKET, market: m.id, params: m.params }));
    this.applyRaw([], [...msgs, ...o.deposits]);
  }

  subscribe(listener: (e: ExchangeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  top(market: number): TopOfBook {
    const m = this.state.markets.get(market);
    return m ? { bestBid: m.book.bestBid(), bestAsk: m.book.bestAsk() } : { bestBid: -1, bestAsk: -1 };
  }

  submit(actions: readonly MakerAction[]): Promise<BulkAck> {
    if (actions.length === 0 || actions.length > MAX_BULK_ACTIONS) return Promise.reject(new RangeError(`a bulk holds 1..${MAX_BULK_ACTIONS} actions`));
    this.bulks.push([...actions]);
    return new Promise((resolve) => {
      const bulk = { index: 0, results: [] as ActionResult[], resolve, count: actions.length };
      for (const a of actions) this.queue.push({ tx: this.makerTx(a), bulk });
    });
  }

  /** Queues another trader's transaction (already signed). */
  submitTx(tx: Tx): void {
    this.queue.push({ tx });
  }

  /** Applies the queued transactions as one batch `dt` seconds later; emits acks and events. */
  produceBatch(dt = 1): void {
    this.now += dt;
    const queued = this.queue;
    this.queue = [];
    const r = this.applyRaw(queued.map((q) => q.tx), []);
    const batch = this.state.batchIndex;
    const maker = this.maker.address;
    const events: ExchangeEvent[] = [];
    const txs = r.receipts.txs();
    txs.forEach((rc, i) => {
      const q = queued[i]!;
      for (const f of rc.fills) {
        if (f.maker !== maker) continue;
        const upd = rc.orders.find((u) => u.orderId === f.makerOrderId);
        events.push({
          kind: "fill", market: f.market, orderId: f.makerOrderId, clientId: upd?.clientId ?? 0, side: f.takerSide === 0 ? 1 : 0,
          price: f.price, size: f.size, fee: f.makerFee, fillId: `${batch}:${i}:${f.makerOrderId}`, batch, level: ConfirmationLevel.SOFT,
        });
      }
      for (const u of rc.orders) {
        if (u.account !== maker) continue;
        events.push({ kind: "order", market: u.market, orderId: u.orderId, clientId: u.clientId, side: u.side as 0 | 1, price: u.price, remaining: u.remaining, level: ConfirmationLevel.SOFT });
      }
      if (q.bulk) {
        const ok = rc.status === ReceiptStatus.ACCEPTED;
        q.bulk.results.push({ ok, code: CODE_NAMES[rc.code] ?? String(rc.code), orderId: rc.kind === TxKind.PLACE && ok ? rc.orderId : 0 });
      }
    });
    for (const e of events) for (const l of this.listeners) l(e);
    const done = new Set<Queued["bulk"]>();
    for (const q of queued) if (q.bulk && !done.has(q.bulk)) done.add(q.bulk);
    for (const b of done) b!.resolve({ batch, results: b!.results, level: ConfirmationLevel.SOFT });
    for (const [age, level] of [[1, ConfirmationLevel.INCLUDED], [2, ConfirmationLevel.SAFE], [3, ConfirmationLevel.PROVEN]] as const) {
      if (batch - age >= 1) for (const l of this.listeners) l({ kind: "confirm", batch: batch - age, level });
    }
  }

  /** Resting orders of an account in a market (from the STF state). */
  ordersOf(market: number, address: Address): { side: number; price: number; size: number }[] {
    const acct = this.state.account(address);
    const m = this.state.markets.get(market);
    if (!acct || !m) return [];
    return [...m.book.ordersOf(acct.index)].map((o) => ({ side: o.side, price: o.price, size: o.size }));
  }

  balance(address: Address, asset: number): number {
    const a = this.state.account(address);
    return a ? a.available(asset) + a.locked(asset) : 0;
  }

  private applyRaw(txs: Tx[], msgs: L1Message[]) {
    this.batches++;
    return applyBatch(this.state, { index: this.state.batchIndex + 1, timestamp: this.now, txs }, msgs);
  }

  private makerTx(a: MakerAction): Tx {
    const common = { account: this.maker.address, nonce: this.makerNonce++, sig: ZERO_SIG() };
    let tx: Tx;
    switch (a.kind) {
      case "place":
        tx = { ...common, kind: TxKind.PLACE, market: a.market, side: a.side, tif: TimeInForce.POST_ONLY, price: a.price, size: a.size, expiry: 0, clientId: a.clientId, stp: SelfTradePrevention.EXPIRE_MAKER };
        break;
      case "cancel":
        tx = { ...common, kind: TxKind.CANCEL, market: a.market, orderId: a.orderId };
        break;
      case "cancelByClientId":
        tx = { ...common, kind: TxKind.CANCEL_BY_CLIENT_ID, market: a.market, clientId: a.clientId };
        break;
      case "amend":
        tx = { ...common, kind: TxKind.AMEND, market: a.market, orderId: a.orderId, price: a.price, size: a.size };
        break;
      case "cancelAll":
        tx = { ...common, kind: TxKind.CANCEL_ALL, market: a.market };
        break;
    }
    return signTx(this.domain, tx, this.maker.priv);
  }
}
