// The records the node serves for orders, fills, trades, candles and transactions, built from receipts the
// same way whether they are soft (node/app/view.ts, in memory) or canonical (node/app/history.ts, LevelDB):
// one builder per record so both layers answer identically (docs/api.md "Order history and retention").
import { ERROR_NAME } from "../clob/errors.ts";
import { OrderStatus, ReceiptStatus, type TxReceipt } from "../clob/receipts.ts";
import { TxKind, type Tx } from "../clob/types.ts";
import type { Candle, ConfirmationLevel, FillInfo, OrderInfo, OrderState, OrderUpdateInfo, Trade, TxInfo } from "../rpc/node-view.ts";

/** An order as kept (its level is computed when it is served). */
export type OrderRec = Omit<OrderInfo, "level">;
/** A fill as kept. */
export type FillRec = Omit<FillInfo, "level">;
/** A public trade as kept. */
export type TradeRec = Omit<Trade, "level">;

/** Candle intervals (seconds) the node serves unless configured otherwise. */
export const DEFAULT_CANDLE_INTERVALS: readonly number[] = [60, 300, 3600, 86400];

const STATUS_NAME = ["accepted", "failed", "rejected"] as const;

/**
 * `x` as a small integer (V8 Smi) when it is one. Receipt numbers are read from Float64Arrays and decoded
 * integers come out of arithmetic, so they arrive as heap numbers; a record field that once held one is
 * stored boxed from then on (one more 16-byte object per field per record), and the records the view keeps
 * per order are what each scavenge copies (docs/benchmarks.md "rpc"). Values past 31 bits stay as they are.
 */
export function smi(x: number): number {
  return (x | 0) === x ? x | 0 : x;
}

/** The transaction answer (rb_getTx) for receipt `r` of `txHash` in `batchIndex`, at `level`. */
export function txInfoOf(txHash: string, batchIndex: number, r: TxReceipt, level: ConfirmationLevel): TxInfo {
  return {
    txHash, account: r.account, signer: r.signer, nonce: r.nonce, kind: r.kind, status: STATUS_NAME[r.status]!, code: r.code,
    codeName: ERROR_NAME[r.code] ?? "UNKNOWN", orderId: r.orderId, withdrawalId: r.withdrawalId, batchIndex, index: r.index, level,
    fills: fillRecsOf(r, batchIndex, txHash).map((f) => ({ ...f, level })), orders: r.orders,
    actions: r.actions.map((x) => ({ op: x.op, status: x.status === ReceiptStatus.ACCEPTED ? "accepted" : "failed", code: x.code, codeName: ERROR_NAME[x.code] ?? "UNKNOWN", orderId: x.orderId })),
  };
}

/** The fills of receipt `r`, in order. */
export function fillRecsOf(r: TxReceipt, batchIndex: number, txHash: string): FillRec[] {
  return r.fills.map((f) => ({
    market: smi(f.market), price: smi(f.price), size: smi(f.size), notional: smi(f.notional), takerOrderId: smi(f.takerOrderId),
    makerOrderId: smi(f.makerOrderId), taker: f.taker, maker: f.maker, takerSide: smi(f.takerSide), takerFee: smi(f.takerFee),
    makerFee: smi(f.makerFee), batchIndex, txHash,
  }));
}

/** The orders transaction `tx` placed (receipt `r`): a PLACE, or a BULK's place actions, with their new ids. */
export function placedOrders(tx: Tx, r: TxReceipt, batchIndex: number, txHash: string): OrderRec[] {
  // Records pushed as found (no list of (id, order) pairs first): this runs for every acknowledged order.
  const out: OrderRec[] = [];
  if (tx.kind === TxKind.PLACE && r.orderId !== 0) out.push(placedRec(r.orderId, tx, r.account, batchIndex, txHash));
  if (tx.kind === TxKind.BULK) {
    for (let i = 0; i < r.actions.length; i++) {
      const act = tx.actions[i];
      const id = r.actions[i]!.orderId;
      if (act !== undefined && id !== 0 && act.op === TxKind.PLACE) out.push(placedRec(id, act, r.account, batchIndex, txHash));
    }
  }
  return out;
}

/** The record of order `orderId` as placed (`p`: the place order or action). */
function placedRec(
  orderId: number, p: { market: number; side: number; price: number; size: number; clientId: number }, account: string, batchIndex: number, txHash: string,
): OrderRec {
  return {
    orderId: smi(orderId), market: smi(p.market), account, side: smi(p.side), price: smi(p.price), size: smi(p.size), filled: 0,
    remaining: 0, clientId: smi(p.clientId), state: "open", batchIndex, txHash, updatedBatch: batchIndex,
  };
}

/** The trade a fill makes public. */
export function tradeOf(f: FillRec, timestamp: number): TradeRec {
  return { market: f.market, price: f.price, size: f.size, takerSide: f.takerSide, takerOrderId: f.takerOrderId, makerOrderId: f.makerOrderId, batchIndex: f.batchIndex, timestamp };
}

/** Applies one order update of a receipt to the order's record. */
export function applyUpdate(o: OrderRec, u: OrderUpdateInfo, batchIndex: number): void {
  o.price = smi(u.price);
  o.remaining = smi(u.remaining);
  o.updatedBatch = batchIndex;
  if (u.status === OrderStatus.AMENDED) o.size = o.filled + u.remaining;
  o.state = stateAfter(o.filled, u);
}

/** An order's state after update `u` (`filled`: its lots filled so far). */
export function stateAfter(filled: number, u: OrderUpdateInfo): OrderState {
  if (u.remaining > 0) return filled > 0 ? "partially-filled" : "open";
  if (u.status === OrderStatus.FILLED) return "filled";
  if (u.status === OrderStatus.EXPIRED) return "expired";
  return "cancelled";
}

/** Adds trade `t` (of quote `notional`) to `c`, the candle of its interval, or starts the next one (returned). */
export function candleWith(c: Candle | undefined, t: TradeRec, notional: number, interval: number): Candle {
  const start = t.timestamp - (t.timestamp % interval);
  const out = c !== undefined && c.start === start ? c : { start, open: t.price, high: t.price, low: t.price, close: t.price, volume: 0, quoteVolume: 0, trades: 0 };
  out.high = Math.max(out.high, t.price);
  out.low = Math.min(out.low, t.price);
  out.close = t.price;
  out.volume += t.size;
  out.quoteVolume += notional;
  out.trades++;
  return out;
}
