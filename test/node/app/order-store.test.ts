import { expect } from "chai";
import { OrderStatus } from "../../../node/clob/receipts.ts";
import { addressFromBytes, bytesToHex } from "../../../node/clob/eip712.ts";
import { applyUpdate, type OrderRec } from "../../../node/app/history-records.ts";
import { OrderStore } from "../../../node/app/order-store.ts";
import type { OrderUpdateInfo } from "../../../node/rpc/node-view.ts";

function rec(orderId: number, batchIndex: number): OrderRec {
  return {
    orderId, market: 1, account: `0x${orderId.toString(16).padStart(40, "0")}`, side: orderId % 2, price: 1000 + orderId, size: 10, filled: 0,
    remaining: 0, clientId: 2 ** 32 - orderId, state: "open", batchIndex, txHash: `0x${"ab".repeat(32)}`, updatedBatch: batchIndex,
  };
}

describe("node/app: the view's columnar order records", () => {
  it("keeps records as a Map of objects would: values, insertion order, replacement in place, removal and slot reuse past its capacity", () => {
    const store = new OrderStore();
    const model = new Map<number, OrderRec>();
    // More than the first capacity (1024 slots), with removals in between so freed slots are reused.
    for (let id = 1; id <= 3000; id++) {
      const o = rec(id, 1 + (id >> 8));
      store.set(o);
      model.set(id, o);
      if (id % 3 === 0) {
        store.delete(id - 1);
        model.delete(id - 1);
      }
    }
    const again = { ...rec(9, 99), price: 5 };
    store.set(again);
    model.set(9, again);
    expect([...store.ids()]).to.deep.equal([...model.keys()]);
    for (const [id, o] of model) expect(store.get(id)).to.deep.equal(o);
    expect(store.get(2)).to.equal(undefined);
    expect(store.placedIn(2)).to.equal(-1);
  });

  it("applies fills and receipt updates as applyUpdate does on a record object", () => {
    const update = (price: number, remaining: number, status: number): OrderUpdateInfo => ({
      orderId: 7, market: 1, account: "", side: 1, price, status, size: 0, remaining, clientId: 0, reason: 0,
    });
    const updates: [number, OrderUpdateInfo][] = [
      [0, update(1010, 10, OrderStatus.NEW)],
      [4, update(1010, 6, OrderStatus.PARTIALLY_FILLED)],
      [0, update(1020, 3, OrderStatus.AMENDED)],
      [3, update(1020, 0, OrderStatus.FILLED)],
    ];
    const store = new OrderStore();
    const model = rec(7, 3);
    store.set(model);
    updates.forEach(([fill, u], i) => {
      model.filled += fill;
      store.addFilled(7, fill);
      applyUpdate(model, u, 4 + i);
      store.update(7, u, 4 + i);
      expect(store.get(7)).to.deep.equal(model);
    });
    expect(store.remaining(7)).to.equal(0);
    expect(store.updatedIn(7)).to.equal(7);
  });
});

describe("clob/eip712: addressFromBytes", () => {
  it("is the lowercase 0x-hex of the 20 bytes at the offset", () => {
    const b = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 255);
    for (const off of [0, 1, 13, 44]) expect(addressFromBytes(b, off)).to.equal(bytesToHex(b.subarray(off, off + 20)));
  });
});
