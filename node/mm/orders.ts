// The maker's view of its own orders and of its in-flight bulks: which orders rest (by client id), which
// have an action in flight, and the confirmation level every bulk and fill has reached. Fed by the
// exchange's acknowledgements and events. docs/market-maker.md "Orders and in-flight tracking".

import { type BulkAck, ConfirmationLevel, type ExchangeEvent, type MakerAction, type OrderSide } from "./actions.ts";

export interface OwnOrder {
  clientId: number;
  /** 0 until the exchange reported the id. */
  orderId: number;
  side: OrderSide;
  price: number;
  /** Remaining lots. */
  size: number;
  /** Actions in flight that touch this order (place, amend, cancel). */
  pending: number;
  /** A cancel is in flight: the order is as good as gone for quoting. */
  cancelling: boolean;
}

export interface InflightBulk {
  bulkId: number;
  actions: readonly MakerAction[];
  sentMs: number;
  /** 0 until acknowledged, then the confirmation level reached. */
  level: number;
  batch: number;
}

export class OrderTracker {
  readonly market: number;
  private readonly byClient = new Map<number, OwnOrder>();
  private readonly byId = new Map<number, number>();
  private nextClientId: number;
  /** Bulks sent and not yet proven. */
  readonly inflight = new Map<number, InflightBulk>();
  /** Failed actions per error code. */
  readonly failures = new Map<string, number>();

  constructor(market: number, firstClientId = 1) {
    this.market = market;
    this.nextClientId = firstClientId;
  }

  newClientId(): number {
    return this.nextClientId++;
  }

  /** Our orders (resting or about to), in client-id order. */
  orders(): OwnOrder[] {
    return [...this.byClient.values()];
  }

  get(clientId: number): OwnOrder | undefined {
    return this.byClient.get(clientId);
  }

  /** Records a bulk as sent: places appear at once (pending), amends and cancels mark their order. */
  sent(bulkId: number, actions: readonly MakerAction[], nowMs: number): void {
    this.inflight.set(bulkId, { bulkId, actions, sentMs: nowMs, level: 0, batch: 0 });
    for (const a of actions) {
      switch (a.kind) {
        case "place":
          this.byClient.set(a.clientId, { clientId: a.clientId, orderId: 0, side: a.side, price: a.price, size: a.size, pending: 1, cancelling: false });
          break;
        case "amend":
        case "cancel": {
          const o = this.byOrderId(a.orderId);
          if (o) {
            o.pending++;
            if (a.kind === "cancel") o.cancelling = true;
          }
          break;
        }
        case "cancelByClientId": {
          const o = this.byClient.get(a.clientId);
          if (o) {
            o.pending++;
            o.cancelling = true;
          }
          break;
        }
        case "cancelAll":
          for (const o of this.byClient.values()) {
            o.pending++;
            o.cancelling = true;
          }
          break;
      }
    }
  }

  /** Applies a bulk's acknowledgement (per-action results). */
  acked(bulkId: number, ack: BulkAck): void {
    const b = this.inflight.get(bulkId);
    if (!b) return;
    b.level = ack.level;
    b.batch = ack.batch;
    b.actions.forEach((a, i) => {
      const r = ack.results[i] ?? { ok: false, code: "NO_RESULT", orderId: 0 };
      if (!r.ok) this.failures.set(r.code, (this.failures.get(r.code) ?? 0) + 1);
      switch (a.kind) {
        case "place": {
          const o = this.byClient.get(a.clientId);
          if (!o) break;
          o.pending--;
          if (!r.ok) this.remove(o);
          else if (o.orderId === 0) {
            o.orderId = r.orderId;
            this.byId.set(r.orderId, o.clientId);
          }
          break;
        }
        case "amend": {
          const o = this.byOrderId(a.orderId);
          if (!o) break;
          o.pending--;
          if (r.ok) {
            o.price = a.price;
            o.size = a.size;
          } else if (r.code === "ORDER_NOT_FOUND") this.remove(o);
          break;
        }
        case "cancel":
        case "cancelByClientId": {
          const o = a.kind === "cancel" ? this.byOrderId(a.orderId) : this.byClient.get(a.clientId);
          if (!o) break;
          o.pending--;
          // cancelled, or not found (already filled or gone): either way it no longer rests
          if (r.ok || r.code === "ORDER_NOT_FOUND") this.remove(o);
          else o.cancelling = false;
          break;
        }
        case "cancelAll":
          for (const o of [...this.byClient.values()]) {
            if (!o.cancelling) continue;
            o.pending = Math.max(0, o.pending - 1);
            if (r.ok) this.remove(o);
            else o.cancelling = false;
          }
          break;
      }
    });
  }

  /** Applies an exchange event concerning this market. */
  event(e: ExchangeEvent): void {
    if (e.kind === "confirm") {
      for (const b of this.inflight.values()) {
        if (b.batch > 0 && b.batch <= e.batch && b.level < e.level) b.level = e.level;
        if (b.level >= ConfirmationLevel.PROVEN) this.inflight.delete(b.bulkId);
      }
      return;
    }
    if (e.market !== this.market) return;
    if (e.kind === "order") {
      let o = this.byClient.get(e.clientId);
      if (!o && e.clientId === 0) o = this.byOrderId(e.orderId);
      if (!o) return;
      if (o.orderId === 0) {
        o.orderId = e.orderId;
        this.byId.set(e.orderId, o.clientId);
      }
      if (e.remaining === 0) this.remove(o);
      else {
        o.price = e.price;
        o.size = e.remaining;
      }
    }
  }

  /** Lots resting (and about to rest) per side, ignoring orders being cancelled. */
  restingLots(side: OrderSide): number {
    let n = 0;
    for (const o of this.byClient.values()) if (o.side === side && !o.cancelling) n += o.size;
    return n;
  }

  /** Bulks sent but not yet acknowledged. */
  unacked(): number {
    let n = 0;
    for (const b of this.inflight.values()) if (b.level === 0) n++;
    return n;
  }

  private byOrderId(id: number): OwnOrder | undefined {
    const c = this.byId.get(id);
    return c === undefined ? undefined : this.byClient.get(c);
  }

  private remove(o: OwnOrder): void {
    this.byClient.delete(o.clientId);
    if (o.orderId !== 0) this.byId.delete(o.orderId);
  }
}
