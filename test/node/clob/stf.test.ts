// Unit tests of the CLOB STF (node/clob/stf.ts): every tx kind, every error code with a whole-state
// comparison, locking, settlement and fee arithmetic, L1 messages, receipts, dirty sets, copy/in-place.

import { expect } from "chai";
import { bytesToHex, hexToBytes, signTx } from "../../../node/clob/eip712.ts";
import { ErrorCode } from "../../../node/clob/errors.ts";
import {
  DEFAULT_FEE_ACCOUNT,
  MAX_OPEN_ORDERS_PER_MARKET,
  cloneState,
  createGenesisState,
  deserializeState,
  serializeState,
  stateDigest,
} from "../../../node/clob/state.ts";
import { CancelReason, OrderStatus, ReceiptStatus, type TxReceipt } from "../../../node/clob/receipts.ts";
import {
  TxSignerCache,
  apply,
  applyBatch,
  buyUnitCost,
  makerFee,
  ppmCeil,
  ppmFloor,
  takerFee,
} from "../../../node/clob/stf.ts";
import {
  type Address,
  L1MessageKind,
  MAX_AMOUNT,
  MarketStatus,
  SelfTradePrevention as STP,
  Side,
  TimeInForce as TIF,
  type Tx,
  TxKind,
} from "../../../node/clob/types.ts";
import {
  BASE,
  Chain,
  DEFAULT_MARKET,
  DOMAIN,
  FEE_ACCOUNT,
  QUOTE,
  Trader,
  checkInvariants,
  deposit,
  makeKeys,
  setMarket,
} from "./stf-helpers.ts";

const KEYS = makeKeys(6);

/** Market 1 (DEFAULT_MARKET), traders A, B, C funded with base and quote. */
function setup(params = {}) {
  const chain = new Chain();
  const [A, B, C, D] = KEYS.slice(0, 4).map((k) => new Trader(k));
  const msgs = [setMarket(1, params)];
  for (const t of [A, B, C]) msgs.push(deposit(t.address, BASE, 1_000_000), deposit(t.address, QUOTE, 10_000_000));
  const r = chain.batch([], msgs);
  for (const l of r.receipts.l1()) expect(l.code).to.equal(ErrorCode.OK);
  return { chain, A, B, C, D };
}

function bal(chain: Chain, who: Address | Trader, asset: number) {
  const addr = typeof who === "string" ? who : who.address;
  const a = chain.state.account(addr);
  return { available: a?.available(asset) ?? 0, locked: a?.locked(asset) ?? 0 };
}

/**
 * Applies `tx` alone in a batch and checks that the resulting state equals the state obtained by applying
 * an empty batch (REJECTED) or an empty batch plus only the nonce bump (FAILED).
 */
function expectNoEffect(chain: Chain, tx: Tx, code: ErrorCode, nonceConsumed: boolean): TxReceipt {
  const ref = cloneState(chain.state);
  const header = { index: chain.state.batchIndex + 1, timestamp: chain.now + 1 };
  applyBatch(ref, { ...header, txs: [] }, []);
  if (nonceConsumed) ref.getOrCreateAccount(tx.account.toLowerCase() as Address).nonce++;
  const r = chain.batch([tx], [], {}, 1).receipts.tx(0);
  expect(r.code, `code ${r.code}`).to.equal(code);
  expect(r.status).to.equal(nonceConsumed ? ReceiptStatus.FAILED : ReceiptStatus.REJECTED);
  expect(r.fills).to.have.length(0);
  expect(r.orders).to.have.length(0);
  expect(stateDigest(chain.state)).to.equal(stateDigest(ref));
  checkInvariants(chain.state);
  return r;
}

describe("clob/stf", () => {
  describe("state model", () => {
    it("genesis: fee account is index 0; accounts get dense indexes in first-appearance order", () => {
      const s = createGenesisState({ domain: DOMAIN });
      expect(s.accounts[0].address).to.equal(DEFAULT_FEE_ACCOUNT);
      const { chain, A, B, C } = setup();
      expect(chain.state.feeAccount.address).to.equal(FEE_ACCOUNT);
      expect(chain.state.account(A.address)!.index).to.equal(1);
      expect(chain.state.account(B.address)!.index).to.equal(2);
      expect(chain.state.account(C.address)!.index).to.equal(3);
      expect(chain.state.l1MessagesConsumed).to.equal(7);
      expect(chain.state.assets.get(BASE)!.supply).to.equal(3_000_000);
    });

    it("serialize/deserialize and clone preserve the state digest; apply() leaves the pre-state untouched", () => {
      const { chain, A, B } = setup();
      chain.batch([A.buy(1000, 5), A.buy(999, 3, { clientId: 9, expiry: 5000 }), B.sell(1002, 4)]);
      const d = chain.digest();
      expect(stateDigest(deserializeState(serializeState(chain.state)))).to.equal(d);
      expect(stateDigest(cloneState(chain.state))).to.equal(d);
      const res = apply(chain.state, { index: chain.state.batchIndex + 1, timestamp: chain.now + 1, txs: [B.sell(1000, 2)] }, []);
      expect(res.receipts.tx(0).fills).to.have.length(1);
      expect(chain.digest()).to.equal(d);
      expect(stateDigest(res.state)).to.not.equal(d);
    });

    it("dirty sets name exactly what the batch touched and are cleared at batch start", () => {
      const { chain, A, B } = setup();
      chain.batch([A.buy(1000, 5)]);
      const oid = chain.results.at(-1)!.receipts.tx(0).orderId;
      chain.batch([B.sell(1000, 2)]);
      const d = chain.state.dirty;
      const ia = chain.state.account(A.address)!.index;
      const ib = chain.state.account(B.address)!.index;
      // the taker (nonce, balances), then the maker and the fee account (balances), each once
      expect(d.accounts.toArray()).to.deep.equal([ib, ia, 0]);
      expect(d.orders.entries()).to.deep.equal([[oid, 1]]);
      expect(d.markets.size).to.equal(0);
      expect(d.globals).to.equal(true);
      chain.batch([]);
      expect(chain.state.dirty.accounts.size).to.equal(0);
      expect(chain.state.dirty.orders.entries()).to.deep.equal([]);
    });

    it("batch header must follow the state", () => {
      const { chain } = setup();
      expect(() => applyBatch(chain.state, { index: chain.state.batchIndex + 2, timestamp: chain.now, txs: [] }, [])).to.throw();
      expect(() => applyBatch(chain.state, { index: chain.state.batchIndex + 1, timestamp: chain.now - 1, txs: [] }, [])).to.throw();
    });
  });

  describe("authentication (rejected: nothing changes, nonce not consumed)", () => {
    it("MALFORMED", () => {
      const { chain, A } = setup();
      const tx = A.buy(1000, 1);
      expectNoEffect(chain, { ...tx, nonce: 0.5 } as Tx, ErrorCode.MALFORMED, false);
      expectNoEffect(chain, { ...tx, price: MAX_AMOUNT + 1 } as Tx, ErrorCode.MALFORMED, false);
      expectNoEffect(chain, { ...tx, side: 256 } as unknown as Tx, ErrorCode.MALFORMED, false);
      expectNoEffect(chain, { ...tx, account: "0x12" } as Tx, ErrorCode.MALFORMED, false);
      expectNoEffect(chain, { ...tx, kind: 42 } as unknown as Tx, ErrorCode.MALFORMED, false);
      expectNoEffect(chain, { ...tx, sig: { ...tx.sig, r: tx.sig.r.slice(1) } } as Tx, ErrorCode.MALFORMED, false);
      expectNoEffect(chain, null as unknown as Tx, ErrorCode.MALFORMED, false);
    });

    it("INVALID_SIGNATURE: high-s twin, zero r, unrecoverable", () => {
      const { chain, A } = setup();
      const tx = A.buy(1000, 1);
      const n = BigInt("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
      const s2 = hexToBytes((n - BigInt(bytesToHex(tx.sig.s))).toString(16).padStart(64, "0"));
      expectNoEffect(chain, { ...tx, sig: { r: tx.sig.r, s: s2, v: (1 - tx.sig.v) as 0 | 1 } }, ErrorCode.INVALID_SIGNATURE, false);
      expectNoEffect(chain, { ...tx, sig: { ...tx.sig, r: new Uint8Array(32) } }, ErrorCode.INVALID_SIGNATURE, false);
      // r = 5 is not the x coordinate of a curve point with this recovery id: recovery fails
      const r5 = new Uint8Array(32);
      r5[31] = 5;
      const rr = chain.batch([{ ...tx, sig: { ...tx.sig, r: r5 } }]).receipts.tx(0);
      expect([ErrorCode.INVALID_SIGNATURE, ErrorCode.WRONG_SIGNER]).to.include(rr.code);
      // the genuine tx still works afterwards (nonce 0 unconsumed)
      expect(chain.tx(tx).code).to.equal(ErrorCode.OK);
    });

    it("WRONG_SIGNER: other key, tampered field, other domain", () => {
      const { chain, A, B } = setup();
      const tx = A.buy(1000, 1);
      expectNoEffect(chain, signTx(DOMAIN, { ...tx }, B.key.priv), ErrorCode.WRONG_SIGNER, false);
      expectNoEffect(chain, { ...tx, price: 1001 }, ErrorCode.WRONG_SIGNER, false);
      expectNoEffect(chain, signTx({ ...DOMAIN, chainId: 1 }, { ...tx }, A.key.priv), ErrorCode.WRONG_SIGNER, false);
      expectNoEffect(chain, signTx({ ...DOMAIN, verifyingContract: B.address }, { ...tx }, A.key.priv), ErrorCode.WRONG_SIGNER, false);
    });

    it("NONCE_TOO_LOW (replay) and NONCE_TOO_HIGH (future)", () => {
      const { chain, A } = setup();
      const t0 = A.buy(1000, 1);
      const t1 = A.buy(1000, 1);
      const t2 = A.buy(1000, 1);
      expectNoEffect(chain, t1, ErrorCode.NONCE_TOO_HIGH, false);
      expect(chain.tx(t0).code).to.equal(ErrorCode.OK);
      expectNoEffect(chain, t0, ErrorCode.NONCE_TOO_LOW, false);
      expect(chain.tx(t1).code).to.equal(ErrorCode.OK);
      // in one batch: replay inside the batch is caught too
      const r = chain.batch([t2, t2]).receipts.txs();
      expect(r.map((x) => x.code)).to.deep.equal([ErrorCode.OK, ErrorCode.NONCE_TOO_LOW]);
    });

    it("a brand-new account's failing tx consumes its nonce and creates it; a rejected one does not", () => {
      const { chain, D } = setup();
      expectNoEffect(chain, { ...D.buy(1000, 1), nonce: 5 }, ErrorCode.WRONG_SIGNER, false);
      expect(chain.state.account(D.address)).to.equal(undefined);
      D.nonce = 0;
      expectNoEffect(chain, D.buy(1000, 1), ErrorCode.INSUFFICIENT_BALANCE, true);
      expect(chain.state.account(D.address)!.nonce).to.equal(1);
    });
  });

  describe("business failures (nonce consumed, nothing else)", () => {
    it("PLACE validation codes", () => {
      const { chain, A } = setup({ minSize: 2 });
      chain.batch([], [setMarket(2, { status: MarketStatus.HALTED }), setMarket(3, { status: MarketStatus.CANCEL_ONLY })]);
      expectNoEffect(chain, A.buy(1000, 2, { market: 9 }), ErrorCode.UNKNOWN_MARKET, true);
      expectNoEffect(chain, A.buy(1000, 2, { market: 2 }), ErrorCode.MARKET_HALTED, true);
      expectNoEffect(chain, A.buy(1000, 2, { market: 3 }), ErrorCode.MARKET_CANCEL_ONLY, true);
      expectNoEffect(chain, A.place({ side: 2 as Side, price: 1000, size: 2 }), ErrorCode.INVALID_SIDE, true);
      expectNoEffect(chain, A.place({ tif: 5 as 0, price: 1000, size: 2 }), ErrorCode.INVALID_TIF, true);
      expectNoEffect(chain, A.place({ stp: 4 as 0, price: 1000, size: 2 }), ErrorCode.INVALID_STP, true);
      expectNoEffect(chain, A.buy(0, 2), ErrorCode.INVALID_PRICE, true);
      expectNoEffect(chain, A.buy(1000, 0), ErrorCode.INVALID_SIZE, true);
      expectNoEffect(chain, A.buy(1000, 1), ErrorCode.BELOW_MIN_SIZE, true);
      expectNoEffect(chain, A.buy(1000, 2, { expiry: chain.now + 1 }), ErrorCode.EXPIRY_IN_PAST, true); // == batch time
      expectNoEffect(chain, A.buy(1000, 2, { expiry: 1 }), ErrorCode.EXPIRY_IN_PAST, true);
      expectNoEffect(chain, A.buy(2 ** 40, 2 ** 12), ErrorCode.OVERFLOW, true); // price*tick*size > 2^53
      expectNoEffect(chain, A.sell(1, 2 ** 47), ErrorCode.OVERFLOW, true); // size*lot > 2^53
      expectNoEffect(chain, A.buy(1000, 1001), ErrorCode.INSUFFICIENT_BALANCE, true); // 1001 * 10005 > 1e7
      expectNoEffect(chain, A.sell(1000, 10001), ErrorCode.INSUFFICIENT_BALANCE, true); // 10001 * 100 > 1e6
      expect(chain.tx(A.buy(1000, 2, { clientId: 77 })).code).to.equal(ErrorCode.OK);
      expectNoEffect(chain, A.buy(990, 2, { clientId: 77 }), ErrorCode.DUPLICATE_CLIENT_ID, true);
      expectNoEffect(chain, A.sell(1000, 2, { tif: TIF.POST_ONLY }), ErrorCode.POST_ONLY_WOULD_CROSS, true);
      expectNoEffect(chain, A.sell(1000, 2, { tif: TIF.FOK, stp: STP.EXPIRE_TAKER }), ErrorCode.FOK_NOT_FILLED, true);
    });

    it("the lock check includes the fee reserve exactly", () => {
      const { chain, D } = setup();
      const unit = buyUnitCost(1000, DEFAULT_MARKET); // 10000 + ceil(10000*500/1e6) = 10005
      expect(unit).to.equal(10005);
      chain.batch([], [deposit(D.address, QUOTE, 3 * unit - 1)]);
      expectNoEffect(chain, D.buy(1000, 3), ErrorCode.INSUFFICIENT_BALANCE, true);
      chain.batch([], [deposit(D.address, QUOTE, 1)]);
      expect(chain.tx(D.buy(1000, 3)).code).to.equal(ErrorCode.OK);
      expect(bal(chain, D, QUOTE)).to.deep.equal({ available: 0, locked: 3 * unit });
    });

    it("TOO_MANY_OPEN_ORDERS", function () {
      this.timeout(60_000);
      const { chain, A } = setup();
      const txs: Tx[] = [];
      for (let i = 0; i < MAX_OPEN_ORDERS_PER_MARKET; i++) txs.push(A.buy(1 + (i % 50), 1));
      const r = chain.batch(txs);
      expect(r.receipts.txs().every((x) => x.code === ErrorCode.OK)).to.equal(true);
      expectNoEffect(chain, A.buy(10, 1), ErrorCode.TOO_MANY_OPEN_ORDERS, true);
      // IOC does not rest: allowed
      expect(chain.tx(A.buy(10, 1, { tif: TIF.IOC })).code).to.equal(ErrorCode.OK);
    });

    it("CANCEL / CANCEL_BY_CLIENT_ID / CANCEL_ALL / AMEND / WITHDRAW codes", () => {
      const { chain, A, B } = setup();
      chain.batch([], [setMarket(2, {}), setMarket(3, {})]);
      const oid = chain.tx(A.buy(1000, 2, { clientId: 5 })).orderId;
      const oidB = chain.tx(B.sell(1100, 2)).orderId;
      const gtt = chain.tx(A.buy(900, 2, { expiry: chain.now + 5 })).orderId;
      expectNoEffect(chain, A.cancel(oid, 9), ErrorCode.UNKNOWN_MARKET, true);
      expectNoEffect(chain, A.cancel(oid, 2), ErrorCode.ORDER_NOT_FOUND, true); // wrong market
      expectNoEffect(chain, A.cancel(oidB), ErrorCode.ORDER_NOT_FOUND, true); // not A's
      expectNoEffect(chain, A.cancel(123456), ErrorCode.ORDER_NOT_FOUND, true);
      expectNoEffect(chain, A.cancelByClientId(0), ErrorCode.INVALID_CLIENT_ID, true);
      expectNoEffect(chain, A.cancelByClientId(6), ErrorCode.ORDER_NOT_FOUND, true);
      expectNoEffect(chain, B.cancelByClientId(5), ErrorCode.ORDER_NOT_FOUND, true);
      expectNoEffect(chain, A.cancelAll(9), ErrorCode.UNKNOWN_MARKET, true);
      expectNoEffect(chain, A.amend(oid, 1000, 2, 9), ErrorCode.UNKNOWN_MARKET, true);
      expectNoEffect(chain, A.amend(oidB, 1000, 1), ErrorCode.ORDER_NOT_FOUND, true);
      expectNoEffect(chain, A.amend(oid, 0, 1), ErrorCode.INVALID_PRICE, true);
      expectNoEffect(chain, A.amend(oid, 1000, 0), ErrorCode.INVALID_SIZE, true);
      expectNoEffect(chain, A.amend(oid, 1100, 2), ErrorCode.AMEND_WOULD_CROSS, true);
      expectNoEffect(chain, A.amend(oid, 2 ** 40, 2 ** 12), ErrorCode.OVERFLOW, true);
      expectNoEffect(chain, A.amend(oid, 1000, 1000), ErrorCode.INSUFFICIENT_BALANCE, true);
      chain.now += 10;
      expectNoEffect(chain, A.amend(gtt, 900, 1), ErrorCode.ORDER_EXPIRED, true);
      expectNoEffect(chain, A.withdraw(QUOTE, 0), ErrorCode.INVALID_AMOUNT, true);
      expectNoEffect(chain, A.withdraw(QUOTE, 1, "0x0000000000000000000000000000000000000000"), ErrorCode.INVALID_RECIPIENT, true);
      expectNoEffect(chain, A.withdraw(QUOTE, 10_000_000), ErrorCode.INSUFFICIENT_BALANCE, true); // part is locked
      expectNoEffect(chain, A.withdraw(77, 1), ErrorCode.INSUFFICIENT_BALANCE, true);
      // market status rules
      chain.batch([], [setMarket(1, { status: MarketStatus.HALTED })]);
      expectNoEffect(chain, A.cancel(oid), ErrorCode.MARKET_HALTED, true);
      expectNoEffect(chain, A.cancelByClientId(5), ErrorCode.MARKET_HALTED, true);
      expectNoEffect(chain, A.cancelAll(), ErrorCode.MARKET_HALTED, true);
      expectNoEffect(chain, A.amend(oid, 1000, 1), ErrorCode.MARKET_HALTED, true);
      chain.batch([], [setMarket(1, { status: MarketStatus.CANCEL_ONLY })]);
      expectNoEffect(chain, A.amend(oid, 1000, 1), ErrorCode.MARKET_CANCEL_ONLY, true);
      expect(chain.tx(A.cancel(oid)).code).to.equal(ErrorCode.OK);
    });
  });

  describe("orders, matching and settlement", () => {
    it("a cross settles exactly: fees rounded up, rebate rounded down, fee account credited the net", () => {
      const { chain, A, B } = setup();
      const p = DEFAULT_MARKET;
      const r1 = chain.tx(A.buy(1000, 5));
      expect(r1.orders[0]).to.include({ status: OrderStatus.NEW, size: 5, remaining: 5 });
      const unit = 10005;
      expect(bal(chain, A, QUOTE)).to.deep.equal({ available: 10_000_000 - 5 * unit, locked: 5 * unit });
      const r2 = chain.tx(B.sell(990, 3));
      expect(r2.code).to.equal(ErrorCode.OK);
      expect(r2.fills).to.have.length(1);
      const f = r2.fills[0];
      const N = 1000 * 3 * p.tickSize; // 30000 at the maker's price
      expect(f).to.include({ price: 1000, size: 3, notional: N, takerFee: 15, makerFee: -3, takerSide: Side.SELL, makerOrderId: r1.orderId, takerOrderId: r2.orderId });
      expect(r2.orders.map((o) => [o.orderId, o.status, o.size, o.remaining])).to.deep.equal([
        [r1.orderId, OrderStatus.PARTIALLY_FILLED, 3, 2],
        [r2.orderId, OrderStatus.FILLED, 3, 0],
      ]);
      expect(bal(chain, A, QUOTE)).to.deep.equal({ available: 10_000_000 - 5 * unit + 3 * unit - N + 3, locked: 2 * unit });
      expect(bal(chain, A, BASE)).to.deep.equal({ available: 1_000_000 + 300, locked: 0 });
      expect(bal(chain, B, QUOTE)).to.deep.equal({ available: 10_000_000 + N - 15, locked: 0 });
      expect(bal(chain, B, BASE)).to.deep.equal({ available: 1_000_000 - 300, locked: 0 });
      expect(bal(chain, FEE_ACCOUNT, QUOTE)).to.deep.equal({ available: 12, locked: 0 });
      checkInvariants(chain.state);
    });

    it("fee arithmetic is exact near 2^53", () => {
      const n = MAX_AMOUNT;
      expect(ppmCeil(n, 100_000)).to.equal(Number((BigInt(n) * 100000n + 999999n) / 1000000n));
      expect(ppmFloor(n, 99_999)).to.equal(Number((BigInt(n) * 99999n) / 1000000n));
      for (const x of [0, 1, 999_999, 1_000_000, 1_000_001, 123456789012345]) {
        for (const rate of [0, 1, 7, 500, 100_000]) {
          expect(ppmCeil(x, rate)).to.equal(Number((BigInt(x) * BigInt(rate) + 999999n) / 1000000n));
          expect(ppmFloor(x, rate)).to.equal(Number((BigInt(x) * BigInt(rate)) / 1000000n));
        }
      }
      expect(takerFee(1, DEFAULT_MARKET)).to.equal(1); // any positive taker fee is at least one unit
      expect(makerFee(9999, DEFAULT_MARKET)).to.equal(0); // rebate floor(0.9999) = 0
      expect(makerFee(20000, { ...DEFAULT_MARKET, makerFeePpm: 50 })).to.equal(1);
    });

    it("price-time priority, partial fills across levels, taker remainder rests", () => {
      const { chain, A, B, C } = setup();
      const a1 = chain.tx(A.sell(1000, 2)).orderId;
      const b1 = chain.tx(B.sell(1000, 2)).orderId;
      const a2 = chain.tx(A.sell(999, 1)).orderId;
      const r = chain.tx(C.buy(1000, 7));
      expect(r.fills.map((f) => [f.makerOrderId, f.price, f.size])).to.deep.equal([[a2, 999, 1], [a1, 1000, 2], [b1, 1000, 2]]);
      const me = r.orders.at(-1)!;
      expect(me).to.include({ orderId: r.orderId, status: OrderStatus.PARTIALLY_FILLED, size: 5, remaining: 2 });
      expect(chain.state.markets.get(1)!.book.bestBid()).to.equal(1000);
      checkInvariants(chain.state);
    });

    it("IOC, MARKET with protection price, FOK, POST_ONLY", () => {
      const { chain, A, B } = setup();
      chain.batch([A.sell(1000, 2), A.sell(1010, 2)]);
      const ioc = chain.tx(B.buy(1000, 5, { tif: TIF.IOC }));
      expect(ioc.fills).to.have.length(1);
      expect(ioc.orders.at(-1)).to.include({ status: OrderStatus.CANCELLED, size: 3, remaining: 0, reason: CancelReason.IOC_REMAINDER });
      const mk = chain.tx(B.buy(1005, 5, { tif: TIF.MARKET }));
      expect(mk.fills).to.have.length(0); // protection price below the ask
      expect(mk.orders[0]).to.include({ status: OrderStatus.CANCELLED, size: 5 });
      const fok = chain.tx(B.buy(1010, 2, { tif: TIF.FOK }));
      expect(fok.orders.at(-1)).to.include({ status: OrderStatus.FILLED, size: 2 });
      expect(chain.tx(B.buy(1010, 1, { tif: TIF.FOK })).code).to.equal(ErrorCode.FOK_NOT_FILLED);
      const po = chain.tx(B.buy(1009, 1, { tif: TIF.POST_ONLY }));
      expect(po.orders[0]).to.include({ status: OrderStatus.NEW, remaining: 1 });
      expect(bal(chain, B, QUOTE).locked).to.equal(buyUnitCost(1009, DEFAULT_MARKET));
      checkInvariants(chain.state);
    });

    it("self-trade prevention: every mode releases the right locks", () => {
      for (const stp of [STP.EXPIRE_MAKER, STP.EXPIRE_TAKER, STP.EXPIRE_BOTH, STP.DECREMENT]) {
        const { chain, A, B } = setup();
        const own = chain.tx(A.sell(1000, 2)).orderId;
        const other = chain.tx(B.sell(1000, 2)).orderId;
        const r = chain.tx(A.buy(1000, 3, { stp }));
        expect(r.code).to.equal(ErrorCode.OK);
        const byId = new Map(r.orders.map((o) => [o.orderId, o]));
        if (stp === STP.EXPIRE_MAKER) {
          expect(byId.get(own)).to.include({ status: OrderStatus.CANCELLED, reason: CancelReason.SELF_TRADE });
          expect(r.fills.map((f) => f.makerOrderId)).to.deep.equal([other]);
          expect(byId.get(r.orderId)).to.include({ status: OrderStatus.PARTIALLY_FILLED, remaining: 1 });
        } else if (stp === STP.EXPIRE_TAKER) {
          expect(byId.has(own)).to.equal(false);
          expect(byId.get(r.orderId)).to.include({ status: OrderStatus.CANCELLED, reason: CancelReason.SELF_TRADE, size: 3 });
        } else if (stp === STP.EXPIRE_BOTH) {
          expect(byId.get(own)).to.include({ status: OrderStatus.CANCELLED });
          expect(byId.get(r.orderId)).to.include({ status: OrderStatus.CANCELLED, size: 3 });
        } else {
          expect(byId.get(own)).to.include({ status: OrderStatus.DECREMENTED, size: 2, remaining: 0 });
          expect(r.fills.map((f) => [f.makerOrderId, f.size])).to.deep.equal([[other, 1]]);
        }
        checkInvariants(chain.state);
      }
    });

    it("lazy GTT expiry: an expired maker met by a taker is removed and its lock released", () => {
      const { chain, A, B } = setup();
      const g = chain.tx(A.sell(1000, 2, { expiry: chain.now + 10 })).orderId;
      expect(bal(chain, A, BASE).locked).to.equal(200);
      chain.now += 20;
      const r = chain.tx(B.buy(1000, 1));
      expect(r.fills).to.have.length(0);
      expect(r.orders[0]).to.include({ orderId: g, status: OrderStatus.EXPIRED, size: 2, remaining: 0 });
      expect(bal(chain, A, BASE)).to.deep.equal({ available: 1_000_000, locked: 0 });
      checkInvariants(chain.state);
    });

    it("cancel by id, by client id (reusable afterwards), cancel-all, expired order cancel reports EXPIRED", () => {
      const { chain, A } = setup();
      const o1 = chain.tx(A.buy(1000, 1, { clientId: 11 })).orderId;
      chain.tx(A.buy(999, 1));
      chain.tx(A.sell(1100, 3, { expiry: chain.now + 3 }));
      let r = chain.tx(A.cancelByClientId(11));
      expect(r.orderId).to.equal(o1);
      expect(r.orders[0]).to.include({ status: OrderStatus.CANCELLED, reason: CancelReason.USER, size: 1 });
      expect(chain.tx(A.buy(1000, 1, { clientId: 11 })).code).to.equal(ErrorCode.OK);
      chain.now += 10;
      r = chain.tx(A.cancelAll());
      expect(r.orders.map((o) => o.status)).to.deep.equal([OrderStatus.CANCELLED, OrderStatus.EXPIRED, OrderStatus.CANCELLED]);
      expect(bal(chain, A, QUOTE).locked).to.equal(0);
      expect(bal(chain, A, BASE).locked).to.equal(0);
      expect(chain.tx(A.cancelAll()).code).to.equal(ErrorCode.OK); // nothing to cancel is fine
      checkInvariants(chain.state);
    });

    it("amend: size down keeps priority, price change and size up lose it; locks follow", () => {
      const { chain, A, B, C } = setup();
      const a = chain.tx(A.sell(1000, 5)).orderId;
      const b = chain.tx(B.sell(1000, 5)).orderId;
      let r = chain.tx(A.amend(a, 1000, 3));
      expect(r.orders[0]).to.include({ status: OrderStatus.AMENDED, remaining: 3 });
      expect(bal(chain, A, BASE).locked).to.equal(300);
      r = chain.tx(C.buy(1000, 1));
      expect(r.fills[0].makerOrderId).to.equal(a); // still first
      chain.tx(A.amend(a, 1000, 4)); // size up: to the back
      r = chain.tx(C.buy(1000, 1));
      expect(r.fills[0].makerOrderId).to.equal(b);
      chain.tx(B.amend(b, 1001, 4)); // price change
      expect(chain.state.markets.get(1)!.book.getOrder(b)!.price).to.equal(1001);
      const q0 = bal(chain, C, QUOTE);
      const c = chain.tx(C.buy(900, 2)).orderId;
      chain.tx(C.amend(c, 950, 3));
      expect(bal(chain, C, QUOTE).locked - q0.locked).to.equal(3 * buyUnitCost(950, DEFAULT_MARKET));
      checkInvariants(chain.state);
    });

    it("withdrawals get global ids from 0 and reduce supply", () => {
      const { chain, A, B } = setup();
      const r = chain.batch([A.withdraw(QUOTE, 100), B.withdraw(BASE, 7, A.address)]);
      expect(r.withdrawals).to.deep.equal([
        { withdrawalId: 0, recipient: A.address, asset: QUOTE, amount: 100 },
        { withdrawalId: 1, recipient: A.address, asset: BASE, amount: 7 },
      ]);
      expect(r.receipts.txs().map((x) => x.withdrawalId)).to.deep.equal([0, 1]);
      expect(chain.state.assets.get(QUOTE)!.supply).to.equal(30_000_000 - 100);
      checkInvariants(chain.state);
    });
  });

  describe("L1 messages", () => {
    it("DEPOSIT: zero amount, malformed, supply overflow refunded as a withdrawal", () => {
      const { chain, D } = setup();
      const r = chain.batch([], [
        deposit(D.address, 9, 0),
        { kind: L1MessageKind.DEPOSIT, account: D.address, asset: 9, amount: 1.5 },
        deposit(D.address, 9, MAX_AMOUNT),
        deposit(D.address, 9, 1),
      ]);
      expect(r.receipts.l1().map((x) => x.code)).to.deep.equal([ErrorCode.INVALID_AMOUNT, ErrorCode.MALFORMED, ErrorCode.OK, ErrorCode.SUPPLY_OVERFLOW]);
      expect(r.withdrawals).to.deep.equal([{ withdrawalId: 0, recipient: D.address, asset: 9, amount: 1 }]);
      expect(bal(chain, D, 9).available).to.equal(MAX_AMOUNT);
      checkInvariants(chain.state);
    });

    it("FORCED_WITHDRAW withdraws min(amount, available)", () => {
      const { chain, A, D } = setup();
      chain.tx(A.buy(1000, 100)); // locks 1_000_500
      const r = chain.batch([], [
        { kind: L1MessageKind.FORCED_WITHDRAW, account: A.address, asset: QUOTE, amount: 2 ** 64 },
        { kind: L1MessageKind.FORCED_WITHDRAW, account: A.address, asset: QUOTE, amount: MAX_AMOUNT },
        { kind: L1MessageKind.FORCED_WITHDRAW, account: A.address, asset: QUOTE, amount: 5 },
        { kind: L1MessageKind.FORCED_WITHDRAW, account: D.address, asset: QUOTE, amount: 5 },
      ]);
      expect(r.receipts.l1().map((x) => [x.code, x.amount])).to.deep.equal([[ErrorCode.MALFORMED, 0], [ErrorCode.OK, 10_000_000 - 1_000_500], [ErrorCode.INSUFFICIENT_BALANCE, 0], [ErrorCode.INSUFFICIENT_BALANCE, 0]]);
      expect(r.withdrawals).to.have.length(1);
      expect(bal(chain, A, QUOTE)).to.deep.equal({ available: 0, locked: 1_000_500 });
      checkInvariants(chain.state);
    });

    it("FORCED_CANCEL works in a halted market, by id and all", () => {
      const { chain, A, B } = setup();
      const o1 = chain.tx(A.buy(1000, 1)).orderId;
      chain.tx(A.buy(999, 1));
      const ob = chain.tx(B.sell(1100, 1)).orderId;
      const r = chain.batch([], [
        setMarket(1, { status: MarketStatus.HALTED }),
        { kind: L1MessageKind.FORCED_CANCEL, account: A.address, market: 1, orderId: ob },
        { kind: L1MessageKind.FORCED_CANCEL, account: A.address, market: 7, orderId: 0 },
        { kind: L1MessageKind.FORCED_CANCEL, account: A.address, market: 1, orderId: o1 },
        { kind: L1MessageKind.FORCED_CANCEL, account: A.address, market: 1, orderId: 0 },
      ]);
      expect(r.receipts.l1().map((x) => x.code)).to.deep.equal([ErrorCode.OK, ErrorCode.ORDER_NOT_FOUND, ErrorCode.UNKNOWN_MARKET, ErrorCode.OK, ErrorCode.OK]);
      expect(r.receipts.l1()[3].orders[0]).to.include({ orderId: o1, status: OrderStatus.CANCELLED, reason: CancelReason.FORCED });
      expect(r.receipts.l1()[4].orders).to.have.length(1);
      expect(bal(chain, A, QUOTE).locked).to.equal(0);
      checkInvariants(chain.state);
    });

    it("SET_MARKET validation and immutable fields", () => {
      const { chain } = setup();
      const before = chain.state.markets.get(1)!.params;
      const bad = [
        { baseAsset: 2 },
        { lotSize: 0 },
        { tickSize: 0 },
        { minSize: 0 },
        { takerFeePpm: 100_001 },
        { takerFeePpm: 100, makerFeePpm: -101 },
        { makerFeePpm: 100_001 },
        { status: 3 as 0 },
        { lotSize: 1.5 },
      ];
      const r = chain.batch([], bad.map((b) => setMarket(5, b)));
      expect(r.receipts.l1().every((x) => x.code === ErrorCode.INVALID_MARKET_PARAMS)).to.equal(true);
      expect(chain.state.markets.has(5)).to.equal(false);
      const r2 = chain.batch([], [setMarket(1, { lotSize: 7 }), setMarket(1, { quoteAsset: 3 }), setMarket(1, { minSize: 4, makerFeePpm: 0 })]);
      expect(r2.receipts.l1().map((x) => x.code)).to.deep.equal([ErrorCode.INVALID_MARKET_PARAMS, ErrorCode.INVALID_MARKET_PARAMS, ErrorCode.OK]);
      expect(chain.state.markets.get(1)!.params).to.deep.equal({ ...before, minSize: 4, makerFeePpm: 0 });
      expect([...chain.state.dirty.markets]).to.deep.equal([1]);
    });

    it("a fee-reserve change re-locks resting buys; uncovered ones are cancelled (FEE_RELOCK)", () => {
      const { chain, A, B, D } = setup();
      chain.batch([], [deposit(D.address, QUOTE, 2 * 10005)]);
      chain.tx(A.buy(1000, 10));
      const od = chain.tx(D.buy(1000, 2)).orderId;
      chain.tx(B.sell(1100, 1));
      const r = chain.batch([], [setMarket(1, { takerFeePpm: 2000 })]);
      expect(r.receipts.l1()[0].orders.map((o) => [o.orderId, o.status, o.reason])).to.deep.equal([[od, OrderStatus.CANCELLED, CancelReason.FEE_RELOCK]]);
      expect(bal(chain, A, QUOTE).locked).to.equal(10 * (10000 + 20));
      expect(bal(chain, D, QUOTE)).to.deep.equal({ available: 2 * 10005, locked: 0 });
      checkInvariants(chain.state);
      chain.batch([], [setMarket(1, { takerFeePpm: 0, makerFeePpm: 0 })]);
      expect(bal(chain, A, QUOTE).locked).to.equal(10 * 10000);
      checkInvariants(chain.state);
      // trades at the new rates settle from the re-locked reserve
      const t = chain.tx(B.sell(1000, 10));
      expect(t.fills[0]).to.include({ takerFee: 0, makerFee: 0 });
      checkInvariants(chain.state);
    });
  });

  describe("signer cache", () => {
    it("a prefilled cache gives identical receipts and state", () => {
      const a = setup();
      const b = setup();
      const mk = (t: { A: Trader; B: Trader }) => [t.A.buy(1000, 3), t.B.sell(1000, 2), t.A.cancelAll(), t.B.withdraw(QUOTE, 5)];
      const txA = mk(a);
      const txB = mk(b);
      const cache = new TxSignerCache();
      for (const tx of txB) cache.set(tx, tx.account);
      const ra = a.chain.batch(txA);
      const rb = b.chain.batch(txB, [], { signerCache: cache });
      expect(JSON.stringify(rb)).to.equal(JSON.stringify(ra));
      expect(b.chain.digest()).to.equal(a.chain.digest());
    });

    it("admission account indexes are hints: right, wrong, stale or out of range, same receipts and state", () => {
      const ref = setup();
      const mk = (t: { A: Trader; B: Trader; D: Trader }) => [t.A.buy(1000, 3), t.B.sell(1000, 2), t.D.cancelAll(), t.A.cancelAll(), t.B.withdraw(QUOTE, 5)];
      const r0 = ref.chain.batch(mk(ref));
      for (const hint of [(i: number) => i, () => 0, (i: number) => i + 1, () => 1_000_000, () => -1]) {
        const t = setup();
        const txs = mk(t);
        const cache = new TxSignerCache();
        for (const tx of txs) cache.set(tx, tx.account, hint(t.chain.state.account(tx.account)?.index ?? 2));
        const r = t.chain.batch(txs, [], { signerCache: cache });
        expect(JSON.stringify(r)).to.equal(JSON.stringify(r0));
        expect(t.chain.digest()).to.equal(ref.chain.digest());
      }
    });
  });

  it("receipts: one per tx, indexes in batch order, kinds and nonces echoed", () => {
    const { chain, A, B } = setup();
    const r = chain.batch([A.buy(1000, 1), B.sell(1000, 1), A.cancel(999)]);
    expect(r.receipts.txs().map((x) => [x.index, x.kind, x.nonce, x.status])).to.deep.equal([
      [0, TxKind.PLACE, 0, ReceiptStatus.ACCEPTED],
      [1, TxKind.PLACE, 0, ReceiptStatus.ACCEPTED],
      [2, TxKind.CANCEL, 1, ReceiptStatus.FAILED],
    ]);
  });
});
