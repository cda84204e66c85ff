// The view's order records (node/app/view.ts) as columns: numbers in one Float64Array, the state as a byte,
// account and placing hash as string slots (both strings the pool and the receipts hold anyway). One
// `OrderRec` object per order was 128 B that every acknowledged order left for the scavenger to copy and
// promote; a record is materialized only when it is served (docs/benchmarks.md "rpc: columnar view records").
import type { OrderState, OrderUpdateInfo } from "../rpc/node-view.ts";
import { OrderStatus } from "../clob/receipts.ts";
import { smi, stateAfter, type OrderRec } from "./history-records.ts";
import { Column, Slots, grownF64 } from "./slots.ts";

const STATES: readonly OrderState[] = ["open", "partially-filled", "filled", "cancelled", "expired"];
const STATE_CODE = new Map<OrderState, number>(STATES.map((s, i) => [s, i]));

// The numeric fields' offsets in a slot's row of `num`.
const ORDER_ID = 0;
const MARKET = 1;
const SIDE = 2;
const PRICE = 3;
const SIZE = 4;
const FILLED = 5;
const REMAINING = 6;
const CLIENT_ID = 7;
const BATCH = 8;
const UPDATED = 9;
const WIDTH = 10;

/** Order records by order id, in the order they were first set (as the Map of records they replace). */
export class OrderStore {
  private num = new Float64Array(0);
  private state = new Uint8Array(0);
  private readonly account = new Column("");
  private readonly txHash = new Column("");
  private readonly slots = new Slots<number>(1024, (cap) => {
    this.num = grownF64(this.num, cap * WIDTH);
    const state = new Uint8Array(cap);
    state.set(this.state);
    this.state = state;
  });

  has(orderId: number): boolean {
    return this.slots.has(orderId);
  }

  /** Order ids in insertion order (deleting while iterating is allowed). */
  ids(): IterableIterator<number> {
    return this.slots.keys();
  }

  /** Order `orderId`'s record, a copy (undefined: not kept). */
  get(orderId: number): OrderRec | undefined {
    const s = this.slots.of(orderId);
    if (s < 0) return undefined;
    const n = this.num;
    const r = s * WIDTH;
    return {
      orderId: smi(n[r + ORDER_ID]!), market: smi(n[r + MARKET]!), account: this.account.get(s), side: smi(n[r + SIDE]!), price: smi(n[r + PRICE]!),
      size: smi(n[r + SIZE]!), filled: smi(n[r + FILLED]!), remaining: smi(n[r + REMAINING]!), clientId: smi(n[r + CLIENT_ID]!),
      state: STATES[this.state[s]!]!, batchIndex: smi(n[r + BATCH]!), txHash: this.txHash.get(s), updatedBatch: smi(n[r + UPDATED]!),
    };
  }

  /** Keeps `o` (replacing the record of its id, which keeps its place in the order). */
  set(o: OrderRec): void {
    const s = this.slots.take(o.orderId);
    const n = this.num;
    const r = s * WIDTH;
    n[r + ORDER_ID] = o.orderId;
    n[r + MARKET] = o.market;
    n[r + SIDE] = o.side;
    n[r + PRICE] = o.price;
    n[r + SIZE] = o.size;
    n[r + FILLED] = o.filled;
    n[r + REMAINING] = o.remaining;
    n[r + CLIENT_ID] = o.clientId;
    n[r + BATCH] = o.batchIndex;
    n[r + UPDATED] = o.updatedBatch;
    this.state[s] = STATE_CODE.get(o.state)!;
    this.account.set(s, o.account);
    this.txHash.set(s, o.txHash);
  }

  delete(orderId: number): void {
    const s = this.slots.release(orderId);
    if (s < 0) return;
    this.account.clear(s);
    this.txHash.clear(s);
  }

  /** The batch that placed order `orderId` (-1: not kept). */
  placedIn(orderId: number): number {
    const s = this.slots.of(orderId);
    return s < 0 ? -1 : this.num[s * WIDTH + BATCH]!;
  }

  /** The batch of order `orderId`'s latest change (-1: not kept). */
  updatedIn(orderId: number): number {
    const s = this.slots.of(orderId);
    return s < 0 ? -1 : this.num[s * WIDTH + UPDATED]!;
  }

  /** Lots of order `orderId` resting now (-1: not kept). */
  remaining(orderId: number): number {
    const s = this.slots.of(orderId);
    return s < 0 ? -1 : this.num[s * WIDTH + REMAINING]!;
  }

  /** The account that placed order `orderId` ("" if not kept). */
  accountOf(orderId: number): string {
    const s = this.slots.of(orderId);
    return s < 0 ? "" : this.account.get(s);
  }

  /** A fill of `size` lots of order `orderId` (kept: the caller checked). */
  addFilled(orderId: number, size: number): void {
    this.num[this.slots.of(orderId) * WIDTH + FILLED]! += size;
  }

  /** Applies one order update of a receipt (history-records.ts applyUpdate, on the columns). */
  update(orderId: number, u: OrderUpdateInfo, batchIndex: number): void {
    const s = this.slots.of(orderId);
    const n = this.num;
    const r = s * WIDTH;
    n[r + PRICE] = u.price;
    n[r + REMAINING] = u.remaining;
    n[r + UPDATED] = batchIndex;
    if (u.status === OrderStatus.AMENDED) n[r + SIZE] = n[r + FILLED]! + u.remaining;
    this.state[s] = STATE_CODE.get(stateAfter(n[r + FILLED]!, u))!;
  }
}
