// The view's transaction entries (node/app/view.ts) as columns: where each transaction's receipt is (its
// batch's ReceiptLog and row: packed numbers, no objects per receipt) or, without a log (dropped, or indexed
// from a receipt object alone), its answer. One entry object per acknowledged order was 58 B more for the
// scavenger to copy and promote (docs/benchmarks.md "rpc: columnar view records").
import type { ReceiptLog } from "../clob/receipts.ts";
import type { TxInfo } from "../rpc/node-view.ts";
import { Column, Slots, grownF64 } from "./slots.ts";

/** Transaction entries by hash, in the order they were first set (as the Map of entries they replace). */
export class TxStore {
  private batch = new Float64Array(0);
  private row = new Int32Array(0);
  private readonly account = new Column("");
  private readonly log = new Column<ReceiptLog | undefined>(undefined);
  private readonly info = new Column<TxInfo | undefined>(undefined);
  private readonly slots = new Slots<string>(1024, (cap) => {
    this.batch = grownF64(this.batch, cap);
    const row = new Int32Array(cap);
    row.set(this.row);
    this.row = row;
  });

  /** `txHash`'s slot, -1 if none (valid until the next `set` or `delete`). */
  slot(txHash: string): number {
    return this.slots.of(txHash);
  }

  /**
   * Keeps transaction `txHash` of `batchIndex` sent by `account`: row `row` of `log`, or (no log) its answer
   * `info`. An entry already kept keeps its place in the order.
   */
  set(txHash: string, batchIndex: number, account: string, log: ReceiptLog | undefined, row: number, info: TxInfo | undefined): void {
    const s = this.slots.take(txHash);
    this.batch[s] = batchIndex;
    this.row[s] = row;
    this.account.set(s, account);
    this.log.set(s, log);
    this.info.set(s, info);
  }

  delete(txHash: string): void {
    const s = this.slots.release(txHash);
    if (s < 0) return;
    this.account.clear(s);
    this.log.clear(s);
    this.info.clear(s);
  }

  batchAt(slot: number): number {
    return this.batch[slot]!;
  }

  accountAt(slot: number): string {
    return this.account.get(slot);
  }

  /** The answer kept for the entry at `slot` (undefined: it is built from the receipt log). */
  infoAt(slot: number): TxInfo | undefined {
    return this.info.get(slot);
  }

  /** Whether the entry at `slot` is a drop answer. */
  droppedAt(slot: number): boolean {
    return this.info.get(slot)?.drop !== undefined;
  }

  logAt(slot: number): ReceiptLog | undefined {
    return this.log.get(slot);
  }

  rowAt(slot: number): number {
    return this.row[slot]!;
  }
}
