// Shared STF test vectors (test/vectors/stf/*.json) for the Rust guest: genesis config, batches of L1
// message bytes and signed transactions, and the expected outcome of each batch (codes, fills,
// withdrawals, state digest) plus the final canonical state serialization (docs/stf.md). Built by
// `buildVectors()`; `stf.vectors.test.ts` checks the committed files still match the TS STF
// (UPDATE_STF_VECTORS=1 rewrites them).

import { bytesToHex, hexToBytes } from "../../../node/clob/eip712.ts";
import { encodeL1Message } from "../../../node/clob/l1messages.ts";
import { serializeState } from "../../../node/clob/state.ts";
import { type Fill } from "../../../node/clob/receipts.ts";
import { type BatchResult } from "../../../node/clob/stf.ts";
import {
  L1MessageKind,
  type L1Message,
  MarketStatus,
  SelfTradePrevention as STP,
  Side,
  TimeInForce as TIF,
  type Tx,
  TxKind,
} from "../../../node/clob/types.ts";
import { BASE, Chain, DOMAIN, FEE_ACCOUNT, QUOTE, Trader, deposit, makeKeys, setMarket } from "./stf-helpers.ts";

export interface VectorBatch {
  index: number;
  /** The clock `now` (docs/stf.md "Batch processing"). */
  timestamp: number;
  /** The proposer committed in c(i) (credited the proposer reward). */
  proposer: string;
  l1Messages: string[];
  txs: Record<string, unknown>[];
  expected: {
    l1: { code: number; amount: number; withdrawalId: number }[];
    /** BULK: `actions` per action (status, code, orderId, fills); other kinds: none. */
    txs: { status: number; code: number; orderId: number; fills: number[][]; actions?: { status: number; code: number; orderId: number; fills: number[][] }[] }[];
    withdrawals: { withdrawalId: number; recipient: string; asset: number; amount: number }[];
    rewards: { asset: number; amount: number }[];
    stateDigest: string;
  };
}
export interface Vector {
  name: string;
  description: string;
  genesis: { chainId: number; verifyingContract: string; feeAccount: string };
  batches: VectorBatch[];
  finalState: string;
}

function txJson(tx: Tx): Record<string, unknown> {
  const o: Record<string, unknown> = { ...(tx as unknown as Record<string, unknown>) };
  o.sig = { r: bytesToHex(tx.sig.r), s: bytesToHex(tx.sig.s), v: tx.sig.v };
  return o;
}

/** The proposer of every vector batch. */
export const VECTOR_PROPOSER = "0x00000000000000000000000000000000000b0b00";

// fills as [makerOrderId, price, size, takerFee, makerFee]
const fillRows = (fills: Fill[]) => fills.map((f) => [f.makerOrderId, f.price, f.size, f.takerFee, f.makerFee]);

class Recorder {
  readonly chain = new Chain();
  readonly batches: VectorBatch[] = [];
  constructor() {
    this.chain.proposer = VECTOR_PROPOSER;
  }
  run(txs: Tx[], msgs: L1Message[] = [], dt = 1): BatchResult {
    const r = this.chain.batch(txs, msgs, {}, dt);
    this.batches.push({
      index: this.chain.state.batchIndex,
      timestamp: this.chain.now,
      proposer: VECTOR_PROPOSER,
      l1Messages: msgs.map((m) => bytesToHex(encodeL1Message(m))),
      txs: txs.map(txJson),
      expected: {
        l1: r.receipts.l1().map((x) => ({ code: x.code, amount: x.amount, withdrawalId: x.withdrawalId })),
        txs: r.receipts.txs().map((x) => ({
          status: x.status, code: x.code, orderId: x.orderId, fills: fillRows(x.fills),
          ...(x.kind === TxKind.BULK ? { actions: x.actions.map((a) => ({ status: a.status, code: a.code, orderId: a.orderId, fills: fillRows(a.fills) })) } : {}),
        })),
        withdrawals: r.withdrawals.map((w) => ({ ...w })),
        rewards: r.rewards.map((w) => ({ ...w })),
        stateDigest: this.chain.digest(),
      },
    });
    return r;
  }
  vector(name: string, description: string): Vector {
    return {
      name, description,
      genesis: { chainId: DOMAIN.chainId, verifyingContract: DOMAIN.verifyingContract, feeAccount: FEE_ACCOUNT },
      batches: this.batches,
      finalState: bytesToHex(serializeState(this.chain.state)),
    };
  }
}

function basics(): Vector {
  const rec = new Recorder();
  const [A, B, C] = makeKeys(3, "vector").map((k) => new Trader(k));
  const msgs: L1Message[] = [setMarket(1), setMarket(2, { baseAsset: 3, quoteAsset: QUOTE, lotSize: 7, tickSize: 3, minSize: 2, makerFeePpm: 30, takerFeePpm: 90 })];
  for (const t of [A, B, C]) msgs.push(deposit(t.address, BASE, 1_000_000), deposit(t.address, QUOTE, 100_000_000), deposit(t.address, 3, 1_000_000));
  rec.run([], msgs);
  const r1 = rec.run([A.buy(1000, 5, { clientId: 1 }), A.buy(999, 3, { clientId: 2 }), B.sell(1003, 4, { expiry: rec.chain.now + 5 }), C.sell(1001, 2, { tif: TIF.POST_ONLY })]);
  const [a1, a2] = r1.receipts.txs().map((x) => x.orderId);
  rec.run([B.sell(995, 6), C.buy(1010, 10, { tif: TIF.IOC }), A.amend(a2, 999, 1)]);
  rec.run([C.buy(1005, 3, { tif: TIF.MARKET }), A.cancelByClientId(2), A.cancel(a1)], [], 10); // B's GTT expired; a1 filled
  rec.run([A.sell(333, 4, { market: 2 }), B.buy(334, 4, { market: 2, tif: TIF.FOK }), A.sell(333, 2, { market: 2 }), A.buy(333, 2, { market: 2, stp: STP.DECREMENT })]);
  rec.run([A.buy(900, 2), A.buy(901, 2), A.withdraw(QUOTE, 12345, C.address), B.withdraw(BASE, 1)], [
    { kind: L1MessageKind.FORCED_CANCEL, account: A.address, market: 1, orderId: 0 },
    { kind: L1MessageKind.FORCED_WITHDRAW, account: B.address, asset: 3, amount: 500 },
    setMarket(1, { takerFeePpm: 1000, makerFeePpm: 200, minSize: 2 }),
  ]);
  rec.run([B.buy(950, 10), C.sell(950, 4)], [setMarket(1, { takerFeePpm: 0, makerFeePpm: 0, minSize: 2 })]);
  rec.run([C.sell(940, 2), C.cancelAll(), B.cancelAll()], [setMarket(1, { takerFeePpm: 0, makerFeePpm: 0, minSize: 2, status: MarketStatus.CANCEL_ONLY })]);
  return rec.vector("basics", "markets, deposits, every TIF, fills with fees/rebates, lazy expiry, amend, cancels, STP decrement, forced messages, fee change re-lock, withdrawals");
}

function errors(): Vector {
  const rec = new Recorder();
  const [A, B] = makeKeys(2, "vector-err").map((k) => new Trader(k));
  rec.run([], [setMarket(1, { minSize: 2 }), setMarket(2, { status: MarketStatus.HALTED }), setMarket(3, { status: MarketStatus.CANCEL_ONLY }), deposit(A.address, BASE, 10_000), deposit(A.address, QUOTE, 100_000), deposit(B.address, BASE, 10_000)]);
  const ok = A.buy(1000, 2, { clientId: 5 });
  const replay = ok;
  const future = (() => {
    A.nonce += 5;
    const t = A.buy(1000, 2);
    A.nonce -= 6;
    return t;
  })();
  const tampered = { ...B.sell(1000, 2), price: 999 } as Tx;
  B.nonce--;
  const wrongKey = (() => {
    const t = B.sell(1000, 2);
    B.nonce--;
    return { ...t, sig: A.buy(1, 1).sig } as Tx;
  })();
  A.nonce--;
  const N = BigInt("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
  const highS = { ...ok, sig: { r: ok.sig.r, s: hexToBytes((N - BigInt(bytesToHex(ok.sig.s))).toString(16).padStart(64, "0")), v: (1 - ok.sig.v) as 0 | 1 } } as Tx;
  const zeroR = { ...ok, sig: { ...ok.sig, r: new Uint8Array(32) } } as Tx;
  rec.run([highS, zeroR, ok, replay, future, tampered, wrongKey, { ...ok, nonce: 0.5 } as Tx]);
  const big = rec.run([
    A.buy(1000, 2, { market: 9 }), A.buy(1000, 2, { market: 2 }), A.buy(1000, 2, { market: 3 }),
    A.place({ side: 2 as Side, price: 1, size: 2 }), A.place({ tif: 7 as 0, price: 1, size: 2 }), A.place({ stp: 9 as 0, price: 1, size: 2 }),
    A.buy(0, 2), A.buy(1, 0), A.buy(1, 1), A.buy(1, 2, { expiry: 1 }), A.buy(1, 2, { clientId: 5 }),
    A.buy(2 ** 40, 2 ** 12), A.buy(1000, 100), B.sell(1000, 2, { tif: TIF.POST_ONLY }), B.sell(999, 3, { tif: TIF.FOK }),
    A.cancel(424242), A.cancelByClientId(0), A.withdraw(QUOTE, 0), A.withdraw(QUOTE, 1, "0x0000000000000000000000000000000000000000"),
    A.withdraw(QUOTE, 10_000_000), B.sell(1200, 2), A.amend(1, 1200, 2), A.buy(900, 2, { expiry: rec.chain.now + 3 }),
  ]);
  rec.run([A.amend(big.receipts.txs().at(-1)!.orderId, 901, 2)], [deposit(A.address, 9, 0), setMarket(5, { baseAsset: QUOTE }), setMarket(1, { lotSize: 1 }),
    { kind: L1MessageKind.FORCED_CANCEL, account: A.address, market: 1, orderId: 99 }, deposit(B.address, 9, 2 ** 53 - 1), deposit(A.address, 9, 5)], 5);
  return rec.vector("errors", "every rejection and failure code; state after each batch");
}

/** Small random stream over two markets (seeded, integer PRNG). */
function random(seed: number): Vector {
  let s = seed >>> 0 || 1;
  const rnd = (k: number) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % k;
  };
  const rec = new Recorder();
  const ts = makeKeys(4, `vector-rnd-${seed}`).map((k) => new Trader(k));
  const msgs: L1Message[] = [setMarket(1), setMarket(2, { baseAsset: 3, quoteAsset: QUOTE, lotSize: 5, tickSize: 2, makerFeePpm: 0, takerFeePpm: 1000 })];
  for (const t of ts) msgs.push(deposit(t.address, BASE, 200_000), deposit(t.address, QUOTE, 50_000_000), deposit(t.address, 3, 200_000));
  rec.run([], msgs);
  for (let b = 0; b < 25; b++) {
    const txs: Tx[] = [];
    for (let i = 0; i < 8; i++) {
      const t = ts[rnd(ts.length)];
      const mk = 1 + rnd(2);
      const mid = mk === 1 ? 1000 : 500;
      const k = rnd(10);
      const acct = rec.chain.state.account(t.address)!;
      const mine = [...rec.chain.state.markets.get(mk)!.book.ordersOf(acct.index)];
      if (k < 6 || mine.length === 0) {
        const side = rnd(2) as Side;
        const price = mid + (side === Side.BUY ? 2 - rnd(8) : rnd(8) - 2);
        txs.push(t.place({ market: mk, side, price, size: 1 + rnd(15), tif: [TIF.GTC, TIF.GTC, TIF.IOC, TIF.FOK, TIF.POST_ONLY, TIF.MARKET][rnd(6)], stp: rnd(4) as 0, expiry: rnd(6) === 0 ? rec.chain.now + 1 + rnd(4) : 0, clientId: rnd(3) === 0 ? 1 + rnd(4) : 0 }));
      } else if (k < 8) txs.push(t.cancel(mine[rnd(mine.length)].id, mk));
      else {
        const o = mine[rnd(mine.length)];
        txs.push(t.amend(o.id, o.price + rnd(3) - 1, 1 + rnd(20), mk));
      }
    }
    rec.run(txs, [], 1 + rnd(3));
  }
  return rec.vector(`random-${seed}`, "seeded random stream over two markets");
}

/** STF v2: bulks with mixed outcomes, agents (trade, refused withdraw, expiry, revocation), rewards. */
function v2(): Vector {
  const rec = new Recorder();
  const [a, b, g1, g2] = makeKeys(4, "vector-v2");
  const [A, B] = [a, b].map((k) => new Trader(k));
  const G1 = new Trader(g1, DOMAIN, A.address);
  const G2 = new Trader(g2, DOMAIN, A.address);
  const msgs: L1Message[] = [setMarket(1), setMarket(2, { baseAsset: 3, quoteAsset: QUOTE, lotSize: 7, tickSize: 3, minSize: 2, makerFeePpm: 30, takerFeePpm: 90 })];
  for (const t of [A, B]) msgs.push(deposit(t.address, BASE, 1_000_000), deposit(t.address, QUOTE, 100_000_000), deposit(t.address, 3, 1_000_000));
  rec.run([], msgs);
  const P = TxKind.PLACE;
  rec.run([
    B.sell(1002, 10), B.sell(1003, 10, { expiry: rec.chain.now + 3 }),
    A.bulk([
      { op: P, market: 1, side: Side.BUY, tif: TIF.GTC, price: 1002, size: 4, expiry: 0, clientId: 1, stp: STP.EXPIRE_MAKER },
      { op: P, market: 1, side: Side.BUY, tif: TIF.POST_ONLY, price: 1003, size: 1, expiry: 0, clientId: 2, stp: STP.EXPIRE_MAKER },
      { op: P, market: 1, side: Side.BUY, tif: TIF.GTC, price: 998, size: 2, expiry: rec.chain.now + 50, clientId: 3, stp: STP.EXPIRE_MAKER },
      { op: P, market: 1, side: Side.BUY, tif: TIF.GTC, price: 997, size: 2, expiry: 0, clientId: 3, stp: STP.EXPIRE_MAKER },
      { op: P, market: 2, side: Side.SELL, tif: TIF.GTC, price: 400, size: 5, expiry: 0, clientId: 0, stp: STP.DECREMENT },
      { op: TxKind.CANCEL, market: 1, orderId: 999_999 },
      { op: TxKind.AMEND, market: 1, orderId: 4, price: 999, size: 3 },
      { op: TxKind.CANCEL_BY_CLIENT_ID, market: 1, clientId: 2 },
      { op: TxKind.CANCEL_BY_CLIENT_ID, market: 1, clientId: 3 },
    ]),
    A.approveAgent(g1.address, rec.chain.now + 5), A.approveAgent(g2.address, rec.chain.now + 100),
  ]);
  G1.nonce = A.nonce;
  const gBuy = G1.buy(1003, 2, { clientId: 9 });
  const gWithdraw = G1.withdraw(QUOTE, 1);
  G1.nonce--;
  const gBulk = G1.bulk([{ op: TxKind.CANCEL_ALL, market: 2 }, { op: P, market: 2, side: Side.BUY, tif: TIF.IOC, price: 400, size: 3, expiry: 0, clientId: 0, stp: STP.EXPIRE_TAKER }]);
  rec.run([gBuy, gWithdraw, gBulk, B.buy(400, 2, { market: 2 })]);
  A.nonce = G1.nonce;
  G1.nonce = A.nonce;
  const expiredAgent = G1.buy(990, 1);
  G2.nonce = A.nonce;
  const g2Sell = G2.sell(1010, 1);
  rec.run([expiredAgent, g2Sell], [], 5); // agent 1's expiry has passed
  A.nonce = G2.nonce;
  const revoke = A.revokeAgent(g2.address);
  G2.nonce = A.nonce;
  rec.run([revoke, G2.cancelAll(), A.approveAgent(A.address, rec.chain.now + 9), A.revokeAgent(g1.address), A.revokeAgent(g1.address), A.bulk([{ op: TxKind.CANCEL_ALL, market: 1 }])]);
  return rec.vector("v2", "STF v2: bulks with mixed action outcomes, agents (trade, refused withdraw, expiry, revocation), proposer rewards");
}

export function buildVectors(): Vector[] {
  return [basics(), errors(), random(1), random(2), v2()];
}
