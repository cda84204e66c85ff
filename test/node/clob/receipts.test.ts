// The receipt log (node/clob/receipts.ts): what the STF writes reads back as the receipts it describes,
// survives its binary encoding unchanged, and a damaged encoding is refused with ReceiptLogDecodeError.

import { expect } from "chai";
import { ErrorCode } from "../../../node/clob/errors.ts";
import {
  CancelReason, OrderStatus, ReceiptLog, ReceiptLogDecodeError, ReceiptStatus,
} from "../../../node/clob/receipts.ts";
import { createGenesisState } from "../../../node/clob/state.ts";
import { applyBatch } from "../../../node/clob/stf.ts";
import { type Address, L1MessageKind, Side, type Tx } from "../../../node/clob/types.ts";
import { Workload } from "../../../node/state/workload.ts";
import { BASE, Chain, QUOTE, Trader, deposit, makeKeys, setMarket } from "./stf-helpers.ts";

const DOMAIN = { chainId: 31337, verifyingContract: "0x5fbdb2315678afecb367f032d93f642f64180aa3" as const };
const A: Address = "0x00000000000000000000000000000000000000a1";
const B: Address = "0x00000000000000000000000000000000000000b2";

describe("clob/receipts (ReceiptLog)", () => {
  it("encode -> decode gives the same receipts for real batches (fills, updates, rejects, L1 messages)", () => {
    const wl = new Workload({ seed: 9, accounts: 30, depth: 400, batchSize: 200, extras: true });
    const state = createGenesisState({ domain: DOMAIN });
    let fills = 0;
    let updates = 0;
    let checked = 0;
    for (let i = 0; i < 12; i++) {
      const { batch, l1 } = wl.next(state);
      const { receipts } = applyBatch(state, batch, l1, { signerCache: wl.signers });
      const back = ReceiptLog.decode(receipts.encode());
      expect(JSON.stringify(back)).to.equal(JSON.stringify(receipts));
      expect([back.txCount, back.l1Count, back.fillCount, back.updateCount])
        .to.deep.equal([receipts.txCount, receipts.l1Count, receipts.fillCount, receipts.updateCount]);
      // a decoded log encodes to the same bytes
      expect(Buffer.compare(back.encode(), receipts.encode())).to.equal(0);
      fills += receipts.fillCount;
      updates += receipts.updateCount;
      checked += receipts.txCount + receipts.l1Count;
    }
    expect(fills).to.be.greaterThan(0);
    expect(updates).to.be.greaterThan(0);
    expect(checked).to.be.greaterThan(1000);
  });

  it("a reused log (ApplyOptions.receiptLog) holds exactly the new batch's receipts", () => {
    const mk = () => ({ wl: new Workload({ seed: 5, accounts: 30, depth: 300, batchSize: 150, extras: true }), state: createGenesisState({ domain: DOMAIN }) });
    const fresh = mk();
    const reused = mk();
    let log: ReceiptLog | undefined;
    for (let i = 0; i < 10; i++) {
      const a = fresh.wl.next(fresh.state);
      const ra = applyBatch(fresh.state, a.batch, a.l1, { signerCache: fresh.wl.signers });
      const b = reused.wl.next(reused.state);
      const rb = applyBatch(reused.state, b.batch, b.l1, { signerCache: reused.wl.signers, receiptLog: log });
      if (log !== undefined) expect(rb.receipts).to.equal(log);
      expect(JSON.stringify(rb.receipts), `batch ${a.batch.index}`).to.equal(JSON.stringify(ra.receipts));
      log = rb.receipts;
    }
    // with receipts: "none" a reused log comes back empty
    const c = reused.wl.next(reused.state);
    const none = applyBatch(reused.state, c.batch, c.l1, { signerCache: reused.wl.signers, receipts: "none", receiptLog: log });
    expect([none.receipts.txCount, none.receipts.l1Count, none.receipts.fillCount, none.receipts.updateCount]).to.deep.equal([0, 0, 0, 0]);
  });

  it("keeps receipts of malformed transactions and of senders without an account", () => {
    const [t, u] = makeKeys(2).map((k) => new Trader(k));
    const c = new Chain();
    c.batch([], [setMarket(1), deposit(t.address, QUOTE, 1_000_000), deposit(u.address, BASE, 1_000)]);
    const stranger = new Trader(makeKeys(1, "stranger")[0]);
    const malformed = { kind: 99, account: "NOT-AN-ADDRESS", nonce: 3 } as unknown as Tx;
    const r = c.batch([t.buy(100, 2), malformed, stranger.cancel(5), u.sell(100, 1)]);
    const txs = r.receipts.txs();
    expect(txs.map((x) => [x.index, x.status, x.code])).to.deep.equal([
      [0, ReceiptStatus.ACCEPTED, ErrorCode.OK],
      [1, ReceiptStatus.REJECTED, ErrorCode.MALFORMED],
      [2, ReceiptStatus.FAILED, ErrorCode.ORDER_NOT_FOUND],
      [3, ReceiptStatus.ACCEPTED, ErrorCode.OK],
    ]);
    expect(txs[1].account).to.equal("not-an-address");
    expect([txs[1].kind, txs[1].nonce]).to.deep.equal([99, 3]);
    expect(txs[2].account).to.equal(stranger.address);
    // one fill, the maker's update, then the taker's own
    expect(txs[3].fills.map((f) => [f.taker, f.maker, f.size, f.takerSide])).to.deep.equal([[u.address, t.address, 1, Side.SELL]]);
    expect(txs[3].orders.map((u) => [u.orderId, u.status, u.remaining])).to.deep.equal([
      [txs[0].orderId, OrderStatus.PARTIALLY_FILLED, 1],
      [txs[3].orderId, OrderStatus.FILLED, 0],
    ]);
    expect(JSON.stringify(ReceiptLog.decode(r.receipts.encode()))).to.equal(JSON.stringify(r.receipts));
    // a forced cancel-all from L1: its updates belong to the L1 receipt, with the FORCED reason
    const f = c.batch([], [{ kind: L1MessageKind.FORCED_CANCEL, account: t.address, market: 1, orderId: 0 }]);
    const [l1] = f.receipts.l1();
    expect(l1.code).to.equal(ErrorCode.OK);
    expect(l1.orders.map((u) => [u.orderId, u.status, u.reason])).to.deep.equal([[txs[0].orderId, OrderStatus.CANCELLED, CancelReason.FORCED]]);
  });

  it("grows from a zero capacity hint and reads each row back", () => {
    const accounts = [{ address: A }, { address: B }];
    const log = new ReceiptLog(accounts, 0);
    const n = 5000;
    for (let i = 0; i < n; i++) {
      const fs = log.fillCount;
      const us = log.updateCount;
      if (i % 3 === 0) log.pushFill(1, 100 + i, 2, 2 * i, i, i & 1, 1 - (i & 1), Side.BUY, 2 ** 53 - 1 - i, 7, -3);
      log.pushUpdate(i, 2, i & 1, Side.SELL, 50, OrderStatus.NEW, i, i, 0, CancelReason.NONE);
      log.pushTx(1, i % 7 === 0 ? -1 : 0, `sender-${i}`, i, ReceiptStatus.ACCEPTED, ErrorCode.OK, 2 * i, -1, fs, us);
    }
    expect(log.txCount).to.equal(n);
    for (const i of [0, 1, 3, 7, 4998, 4999]) {
      const r = log.tx(i);
      expect(r.account).to.equal(i % 7 === 0 ? `sender-${i}` : A);
      expect(r.orders).to.deep.equal([{
        orderId: i, market: 2, account: i & 1 ? B : A, side: Side.SELL, price: 50, status: OrderStatus.NEW,
        size: i, remaining: i, clientId: 0, reason: CancelReason.NONE,
      }]);
      expect(r.fills.map((f) => [f.price, f.taker, f.maker, f.notional, f.makerFee])).to.deep.equal(
        i % 3 === 0 ? [[100 + i, i & 1 ? B : A, i & 1 ? A : B, 2 ** 53 - 1 - i, -3]] : [],
      );
    }
    expect(JSON.stringify(ReceiptLog.decode(log.encode()))).to.equal(JSON.stringify(log));
    expect(() => log.tx(n)).to.throw(RangeError);
  });

  it("refuses damaged encodings with ReceiptLogDecodeError", () => {
    const log = new ReceiptLog([{ address: A }], 4);
    log.pushFill(1, 10, 1, 2, 1, 0, 0, Side.BUY, 10, 1, 0);
    log.pushUpdate(1, 1, 0, Side.SELL, 10, OrderStatus.FILLED, 1, 0, 0, CancelReason.NONE);
    log.pushTx(0, 0, "", 0, ReceiptStatus.ACCEPTED, ErrorCode.OK, 2, -1, 0, 0);
    const good = log.encode();
    const bad = (mutate: (b: Buffer) => Buffer, why: RegExp) => {
      expect(() => ReceiptLog.decode(mutate(Buffer.from(good)))).to.throw(ReceiptLogDecodeError, why);
    };
    bad((b) => b.subarray(0, 20), /header/);
    bad((b) => (b.writeUInt32LE(7, 0), b), /version/);
    bad((b) => b.subarray(0, b.length - 1), /truncated/);
    bad((b) => Buffer.concat([b, Buffer.of(0)]), /trailing/);
    bad((b) => (b.writeUInt32LE(1000, 4 * 2), b), /truncated/);
    // the tx row's fill range end (row offset 7) beyond the fill count
    bad((b) => (b.writeDoubleLE(5, 32 + 8 * 7), b), /fill range/);
    // the first string reference beyond the string table
    const refs = 32 + 8 * (12 + 9 + 9);
    bad((b) => (b.writeUInt32LE(9, refs), b), /string index/);
  });
});
