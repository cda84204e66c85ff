// An in-process exchange over the real STF (node/clob applyBatch) implementing the market maker's
// MakerExchange: each bulk of the maker becomes one BULK transaction (docs/stf.md) of the maker's account,
// signed by its agent key (approved at setup with APPROVE_AGENT; an agent cannot withdraw), queued with
// other traders' transactions in arrival order; `produceBatch` applies the queue as one batch and turns
// the receipts (one action receipt per action) into acknowledgements, own order and fill events. Confirmation levels past
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
  type Tx,
  TxKind,
} from "../../../../node/clob/types.ts";
import {
  type ActionResult,
  type BulkAck,
  ConfirmationLevel,
  type ExchangeEvent,
  MAKER_BULK_ACTIONS,
  type MakerAction,
  type MakerExchange,
  type TopOfBook,
  toBulkAction,
} from "../../../../node/mm/actions.ts";

const CODE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(ErrorCode).map(([k, v]) => [v, k]));
const ZERO_SIG = () => ({ r: new Uint8Array(32), s: new Uint8Array(32), v: 0 as const });

export interface Key {
  priv: Uint8Array;
  address: Address;
}

interface Queued {
  tx: Tx;
  resolve?: (a: BulkAck) => void;
}

export class LocalExchange implements MakerExchange {
  readonly state: ClobState;
  readonly domain: Eip712Domain;
  readonly maker: Key;
  /** The key that signs the maker's bulks (an approved agent of the maker's account). */
  readonly agent: Key;
  now: number;
  private makerNonce = 0;
  private queue: Queued[] = [];
  private readonly listeners = new Set<(e: ExchangeEvent) => void>();
  /** Batches applied. */
  batches = 0;
  /** Every bulk the maker sent (actions per bulk), for assertions. */
  readonly bulks: MakerAction[][] = [];

  constructor(o: { domain: Eip712Domain; maker: Key; agent: Key; markets: { id: number; params: MarketParams }[]; deposits: L1Message[]; start: number }) {
    this.domain = o.domain;
    this.maker = o.maker;
    this.agent = o.agent;
    this.now = o.start;
    this.state = createGenesisState({ domain: o.domain });
    const msgs: L1Message[] = o.markets.map((m) => ({ kind: L1MessageKind.SET_MARKET, market: m.id, params: m.params }));
    const approve = signTx(this.domain, { kind: TxKind.APPROVE_AGENT, account: this.maker.address, nonce: this.makerNonce++, sig: ZERO_SIG(), agent: this.agent.address, expiry: o.start + 10_000_000 }, this.maker.priv);
    const r = this.applyRaw([approve], [...msgs, ...o.deposits]);
    if (r.receipts.tx(0).code !== ErrorCode.OK) throw new Error(`APPROVE_AGENT failed: ${r.receipts.tx(0).code}`);
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
    if (actions.length === 0 || actions.length > MAKER_BULK_ACTIONS) return Promise.reject(new RangeError(`a bulk holds 1..${MAKER_BULK_ACTIONS} actions`));
    this.bulks.push([...actions]);
    const tx = signTx(this.domain, { kind: TxKind.BULK, account: this.maker.address, nonce: this.makerNonce++, sig: ZERO_SIG(), actions: actions.map(toBulkAction) }, this.agent.priv);
    return new Promise((resolve) => this.queue.push({ tx, resolve }));
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
    const acks: (() => void)[] = [];
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
      if (q.resolve) {
        if (rc.status !== ReceiptStatus.ACCEPTED) throw new Error(`maker bulk ${CODE_NAMES[rc.code]}`);
        const results: ActionResult[] = rc.actions.map((ar) => {
          const ok = ar.status === ReceiptStatus.ACCEPTED;
          return { ok, code: CODE_NAMES[ar.code] ?? String(ar.code), orderId: ar.op === TxKind.PLACE && ok ? ar.orderId : 0 };
        });
        acks.push(() => q.resolve!({ batch, results, level: ConfirmationLevel.SOFT }));
      }
    });
    for (const e of events) for (const l of this.listeners) l(e);
    for (const a of acks) a();
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
}
