// Property tests of the STF: random multi-account, multi-market streams (seeded PRNG) of every tx kind and
// L1 message, including invalid ones. After every batch: conservation per asset (balances == supply ==
// deposits - withdrawals), locked == locks of resting orders, no negative balance (fee account included),
// no crossed book, fills walk the book best price first. Replaying the recorded stream from genesis (with a
// signer cache, and through a serialize/deserialize round trip) gives identical receipts and states.

import { expect } from "chai";
import { type ClobState, deserializeState, serializeState, stateDigest } from "../../../node/clob/state.ts";
import { ReceiptStatus } from "../../../node/clob/receipts.ts";
import { type BatchResult, TxSignerCache, admit } from "../../../node/clob/stf.ts";
import { StateCommitment, hex } from "../../../node/state/commitment.ts";
import {
  type L1Message,
  L1MessageKind,
  MarketStatus,
  SelfTradePrevention,
  Side,
  TimeInForce,
  type Tx,
} from "../../../node/clob/types.ts";
import { Chain, Trader, checkInvariants, deposit, makeKeys, setMarket } from "./stf-helpers.ts";
import { XorShift32 as Rng } from "../../../node/sim/rng.ts";

const KEYS = makeKeys(8, "stf-property");
// market 1: base 1 / quote 2, rebate maker; market 2: base 3 / quote 2, positive maker fee, coarse lots.
const MARKETS: Record<number, Parameters<typeof setMarket>[1]> = {
  1: { baseAsset: 1, quoteAsset: 2, lotSize: 100, tickSize: 10, minSize: 1, makerFeePpm: -150, takerFeePpm: 700 },
  2: { baseAsset: 3, quoteAsset: 2, lotSize: 1000, tickSize: 3, minSize: 2, makerFeePpm: 250, takerFeePpm: 400 },
};
const MID: Record<number, number> = { 1: 1000, 2: 333 };

interface Recorded {
  txs: Tx[];
  msgs: L1Message[];
  dt: number;
}

function generate(seed: number, batches: number, txsPerBatch: number): { recorded: Recorded[]; results: BatchResult[]; digests: string[]; chain: Chain } {
  const rng = new Rng(seed);
  const chain = new Chain();
  const traders = KEYS.map((k) => new Trader(k));
  const recorded: Recorded[] = [];
  const digests: string[] = [];
  const flows = new Map<number, number>(); // asset -> deposits credited - withdrawals
  const consumed = new Map<string, number>(); // account -> authenticated txs
  const run = (txs: Tx[], msgs: L1Message[], dt: number) => {
    recorded.push({ txs, msgs, dt });
    const r = chain.batch(txs, msgs, {}, dt);
    digests.push(chain.digest());
    // conservation against the external flow record
    for (const [i, l] of r.receipts.l1().entries()) {
      const m = msgs[i];
      if (m.kind === L1MessageKind.DEPOSIT) flows.set(m.asset, (flows.get(m.asset) ?? 0) + l.amount);
      if (m.kind === L1MessageKind.FORCED_WITHDRAW) flows.set(m.asset, (flows.get(m.asset) ?? 0) - l.amount);
    }
    for (const [i, t] of r.receipts.txs().entries()) {
      const tx = txs[i];
      if (t.withdrawalId >= 0 && tx.kind === 6) flows.set(tx.asset, (flows.get(tx.asset) ?? 0) - tx.amount);
      // fills of one taker walk the book from the best price
      for (let k = 1; k < t.fills.length; k++) {
        const a = t.fills[k - 1].price;
        const b = t.fills[k].price;
        if (t.fills[k].takerSide === Side.BUY) expect(b).to.be.at.least(a);
        else expect(b).to.be.at.most(a);
      }
      for (const f of t.fills) expect(f.takerFee + f.makerFee).to.be.at.least(0);
    }
    checkInvariants(chain.state);
    for (const [asset, v] of flows) expect(chain.state.assets.get(asset)?.supply ?? 0, `asset ${asset}`).to.equal(v);
    expect(chain.state.feeAccount.available(2)).to.be.at.least(0);
    return r;
  };

  // genesis batch: markets and deposits
  const msgs: L1Message[] = [setMarket(1, MARKETS[1]), setMarket(2, MARKETS[2])];
  for (const t of traders) {
    msgs.push(deposit(t.address, 1, 50_000 + rng.int(100_000)));
    msgs.push(deposit(t.address, 2, 50_000_000 + rng.int(100_000_000)));
    msgs.push(deposit(t.address, 3, 500_000 + rng.int(1_000_000)));
  }
  run([], msgs, 1);

  for (let b = 0; b < batches; b++) {
    const now = chain.now + 1;
    const l1: L1Message[] = [];
    if (rng.chance(0.3)) {
      const t = rng.pick(traders);
      const k = rng.int(6);
      if (k === 0) l1.push(deposit(t.address, 1 + rng.int(3), rng.int(200_000)));
      else if (k === 1) l1.push({ kind: L1MessageKind.FORCED_WITHDRAW, account: t.address, asset: 1 + rng.int(3), amount: rng.int(100_000) });
      else if (k === 2) {
        const mk = 1 + rng.int(2);
        const os = [...chain.state.markets.get(mk)!.book.orders()];
        const o = os.length > 0 && rng.chance(0.5) ? os[rng.int(os.length)] : undefined;
        const addr = o !== undefined ? chain.state.accounts[o.owner].address : t.address;
        l1.push({ kind: L1MessageKind.FORCED_CANCEL, account: addr, market: mk, orderId: o?.id ?? 0 });
      } else if (k === 3) {
        const mk = 1 + rng.int(2);
        const taker = rng.int(2000);
        l1.push(setMarket(mk, { ...MARKETS[mk], takerFeePpm: taker, makerFeePpm: rng.int(2 * taker + 1) - taker }));
      } else if (k === 4) {
        const mk = 1 + rng.int(2);
        const status = rng.chance(0.7) ? MarketStatus.ACTIVE : rng.pick([MarketStatus.CANCEL_ONLY, MarketStatus.HALTED]);
        l1.push(setMarket(mk, { ...chain.state.markets.get(mk)!.params, status }));
      } else {
        l1.push(setMarket(1 + rng.int(2), { lotSize: 5 })); // immutable change: refused
      }
    }
    const txs: Tx[] = [];
    const n = 1 + rng.int(txsPerBatch);
    for (let i = 0; i < n; i++) {
      const t = rng.pick(traders);
      const mk = 1 + rng.int(2);
      const book = chain.state.markets.get(mk)!.book;
      const acct = chain.state.account(t.address);
      const mine = acct === undefined ? [] : [...book.ordersOf(acct.index)];
      const k = rng.int(100);
      if (k < 55) {
        const side = rng.int(2) as Side;
        const off = rng.int(12) - 4; // mostly near the touch, sometimes crossing
        const price = Math.max(1, MID[mk] + (side === Side.BUY ? -off : off));
        const tif = rng.pick([TimeInForce.GTC, TimeInForce.GTC, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK, TimeInForce.POST_ONLY, TimeInForce.MARKET]);
        const price2 = tif === TimeInForce.MARKET ? (side === Side.BUY ? price + 20 : Math.max(1, price - 20)) : price;
        txs.push(t.place({
          market: mk, side, tif, price: price2, size: 1 + rng.int(rng.chance(0.1) ? 500 : 20),
          expiry: rng.chance(0.15) ? now + rng.int(6) : 0,
          clientId: rng.chance(0.3) ? 1 + rng.int(5) : 0,
          stp: rng.int(4) as SelfTradePrevention,
        }));
      } else if (k < 70) {
        const id = mine.length > 0 && rng.chance(0.9) ? rng.pick(mine).id : rng.int(chain.state.nextOrderId + 3);
        txs.push(t.cancel(id, mk));
      } else if (k < 75) {
        txs.push(t.cancelByClientId(rng.int(6), mk));
      } else if (k < 78) {
        txs.push(t.cancelAll(mk));
      } else if (k < 90) {
        const o = mine.length > 0 ? rng.pick(mine) : undefined;
        const price = o === undefined ? MID[mk] : Math.max(1, o.price + rng.int(5) - 2);
        const size = o === undefined ? 1 : Math.max(1, o.size + rng.int(7) - 4);
        txs.push(t.amend(o?.id ?? rng.int(50), price, size, mk));
      } else if (k < 95) {
        txs.push(t.withdraw(1 + rng.int(3), rng.int(50_000), rng.pick(traders).address));
      } else {
        // invalid: replay, future nonce, wrong signer (none consumes a nonce)
        const next = t.nonce;
        const kind = rng.int(3);
        if (kind === 0 && next > 0) t.nonce = Math.max(0, next - 1 - rng.int(3));
        if (kind === 1) t.nonce = next + 1 + rng.int(3);
        const tx = t.buy(MID[1], 1);
        t.nonce = next;
        txs.push(kind === 2 ? ({ ...tx, price: tx.price + 1 } as Tx) : tx);
      }
    }
    const r = run(txs, l1, rng.int(3));
    // nonces: exactly the authenticated txs consumed one; none was rejected for a nonce it should have had
    for (const [i, rc] of r.receipts.txs().entries()) {
      if (rc.status !== ReceiptStatus.REJECTED) consumed.set(rc.account, (consumed.get(rc.account) ?? 0) + 1);
      else expect(txs[i].nonce === consumed.get(rc.account) && rc.code >= 4).to.equal(false);
    }
    for (const t of traders) expect(chain.state.account(t.address)!.nonce).to.equal(consumed.get(t.address) ?? 0);
  }
  return { recorded, results: chain.results, digests, chain };
}

function replay(recorded: Recorded[], start: ClobState | undefined, from: number, useCache: boolean | "lean"): { results: BatchResult[]; digests: string[] } {
  const chain = new Chain(start);
  chain.now = 1_000;
  for (let i = 0; i < from; i++) chain.now += recorded[i].dt;
  const digests: string[] = [];
  for (let i = from; i < recorded.length; i++) {
    const { txs, msgs, dt } = recorded[i];
    let opts = {};
    if (useCache === "lean") {
      // admission verdicts against the pre-batch state, aligned (rejected txs left undefined: recovered in
      // the STF), and no receipts
      const signerOf = (tx: Tx) => (tx !== null && typeof tx === "object" && typeof tx.account === "string" ? (tx.account.toLowerCase() as Tx["account"]) : null);
      opts = { receipts: "none", admitted: txs.map((tx) => (recordedRejects.has(tx) ? undefined : admit(chain.state, tx, signerOf(tx)))) };
    } else if (useCache) {
      const cache = new TxSignerCache();
      // admission verdicts (well-formedness checked, account resolved) against the pre-batch state
      for (const tx of txs) if (tx !== null && typeof tx === "object") cache.admit(chain.state, tx, tx.account.toLowerCase() as Tx["account"]);
      // rejected txs (wrong signer) must not be cached as valid: only cache what recovery would return.
      opts = { signerCache: { lookup: (tx: Tx) => (recordedRejects.has(tx) ? undefined : cache.lookup(tx)) } };
    }
    chain.batch(txs, msgs, opts, dt);
    digests.push(chain.digest());
  }
  return { results: chain.results, digests };
}
const recordedRejects = new Set<Tx>();

describe("clob/stf properties", function () {
  this.timeout(120_000);

  for (const seed of [1, 7, 2024]) {
    it(`seed ${seed}: invariants hold after every batch; replay is bit-identical`, () => {
      const g = generate(seed, 120, 25);
      // mark the txs whose signer is not their account so the cache never vouches for them
      g.results.forEach((r, bi) =>
        r.receipts.txs().forEach((rc, ti) => {
          if (rc.status === ReceiptStatus.REJECTED) recordedRejects.add(g.recorded[bi].txs[ti]);
        }),
      );
      const accepted = g.results.flatMap((r) => r.receipts.txs()).filter((r) => r.status === ReceiptStatus.ACCEPTED).length;
      const fills = g.results.flatMap((r) => r.receipts.txs()).reduce((n, r) => n + r.fills.length, 0);
      expect(accepted).to.be.greaterThan(500);
      expect(fills).to.be.greaterThan(100);
      if (process.env.STF_PROP_STATS) {
        const codes = new Map<number, number>();
        for (const r of g.results.flatMap((x) => [...x.receipts.txs(), ...x.receipts.l1()])) codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
        console.log(seed, { accepted, fills }, [...codes].sort((a, b) => a[0] - b[0]));
      }

      const again = replay(g.recorded, undefined, 0, true);
      expect(again.digests).to.deep.equal(g.digests);
      expect(JSON.stringify(again.results)).to.equal(JSON.stringify(g.results));
      const lean = replay(g.recorded, undefined, 0, "lean");
      expect(lean.digests).to.deep.equal(g.digests);
      expect(lean.results.map((r) => r.withdrawals)).to.deep.equal(g.results.map((r) => r.withdrawals));
      expect(lean.results.every((r) => r.receipts.txs().length === 0 && r.receipts.l1().length === 0)).to.equal(true);

      // restart from a serialized mid-stream state
      const mid = 60;
      const base = new Chain();
      for (let i = 0; i <= mid; i++) base.batch(g.recorded[i].txs, g.recorded[i].msgs, {}, g.recorded[i].dt);
      const restored = deserializeState(serializeState(base.state));
      expect(stateDigest(restored)).to.equal(g.digests[mid]);
      const tail = replay(g.recorded, restored, mid + 1, false);
      expect(tail.digests).to.deep.equal(g.digests.slice(mid + 1));
      expect(JSON.stringify(tail.results)).to.equal(JSON.stringify(g.results.slice(mid + 1)));
    });
  }

  it("the incremental state commitment (book change logs, fast derive) equals a full rebuild after every batch, L1 messages included", () => {
    // forced cancels, fee changes that re-lock resting buys, halts and cancel-only, withdrawals, deposits
    const g = generate(5, 80, 25);
    const chain = new Chain();
    chain.now = 1_000;
    const sc = StateCommitment.fromState(chain.state);
    for (const [i, { txs, msgs, dt }] of g.recorded.entries()) {
      chain.batch(txs, msgs, {}, dt);
      expect(chain.digest()).to.equal(g.digests[i]);
      const { root } = sc.commitBatch(chain.state);
      expect(hex(root), `batch ${i}`).to.equal(hex(StateCommitment.fromState(chain.state).root()));
    }
  });

  it("same inputs from two independent runs give identical state digests and receipts", () => {
    const a = generate(99, 40, 20);
    const b = generate(99, 40, 20);
    expect(a.digests).to.deep.equal(b.digests);
    expect(JSON.stringify(a.results)).to.equal(JSON.stringify(b.results));
  });
});
