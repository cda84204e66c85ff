import { expect } from "chai";
import { createGenesisState } from "../../../node/clob/state.ts";
import { applyBatch } from "../../../node/clob/stf.ts";
import { StateCommitment, hex } from "../../../node/state/commitment.ts";
import { keccak256 } from "../../../node/state/keccak.ts";
import { Workload } from "../../../node/state/workload.ts";
import { applyAndWitness, applyBatchRecording, buildWitness, verifyWitness } from "../../../node/state/witness.ts";
import { SelfTradePrevention, Side, TimeInForce, TxKind, type Tx } from "../../../node/clob/types.ts";
import { ErrorCode } from "../../../node/clob/errors.ts";
import { MAX_OPEN_ORDERS_PER_MARKET } from "../../../node/clob/state.ts";

const DOMAIN = { chainId: 31337, verifyingContract: "0x5fbdb2315678afecb367f032d93f642f64180aa3" as const };

/** Six committed batches of a small book (30 accounts, 200 resting orders), for hand-made transactions. */
function committedBook() {
  const wl = new Workload({ seed: 9, accounts: 30, depth: 200, batchSize: 100 });
  const state = createGenesisState({ domain: DOMAIN });
  const sc = StateCommitment.fromState(state);
  for (let b = 0; b < 6; b++) {
    const { batch, l1 } = wl.next(state);
    applyBatch(state, batch, l1, { signerCache: wl.signers });
    sc.commitBatch(state);
  }
  return { wl, state, sc };
}

describe("witnesses for stateless execution", () => {
  for (const [seed, markets] of [[3, 1], [11, 2]] as const) {
    it(`re-executing each batch from its witness alone gives the node's post root (seed ${seed})`, function () {
      this.timeout(120_000);
      const wl = new Workload({ seed, accounts: 50, markets, depth: 300, batchSize: 120, extras: true });
      const state = createGenesisState({ domain: DOMAIN });
      const sc = StateCommitment.fromState(state);
      let bytes = 0;
      for (let b = 0; b < 40; b++) {
        const { batch, l1 } = wl.next(state);
        const pre = sc.root();
        const { root, witness, result } = applyAndWitness(sc, state, batch, l1, { signerCache: wl.signers });
        expect(hex(root)).to.equal(hex(StateCommitment.fromState(state).root()));
        const v = verifyWitness(witness.bytes, pre, batch, l1, { signerCache: wl.signers });
        expect(hex(v.postRoot), `batch ${batch.index}`).to.equal(hex(root));
        expect(JSON.stringify(v.result), `receipts of batch ${batch.index}`).to.equal(JSON.stringify(result));
        bytes += witness.bytes.length;
      }
      expect(bytes).to.be.greaterThan(0);
    });
  }

  it("orders read but not changed (post-only rejection, self-trade stop) are in the witness", function () {
    const { wl, state, sc } = committedBook();
    const book = state.markets.get(0)!.book;
    const ask = book.bestAsk();
    const maker = [...book.levelOrders(Side.SELL, ask)][0];
    const sig = { r: new Uint8Array(32).fill(1), s: new Uint8Array(32).fill(1), v: 0 as const };
    const taker = maker.owner === 1 ? 2 : 1;
    const mk = (acct: number, extra: Partial<Tx>): Tx => {
      const account = wl.addresses[acct - 1];
      const tx = {
        kind: TxKind.PLACE, account, nonce: state.accounts[acct].nonce, sig, market: 0, side: Side.BUY,
        tif: TimeInForce.POST_ONLY, price: ask, size: 1, expiry: 0, clientId: 0, stp: SelfTradePrevention.EXPIRE_MAKER,
        ...extra,
      } as Tx;
      wl.signers.set(tx, account);
      return tx;
    };
    for (const tx of [
      mk(taker, {}), // post-only crossing an untouched maker: rejected, the maker is only read
      mk(maker.owner, { tif: TimeInForce.GTC, stp: SelfTradePrevention.EXPIRE_TAKER }), // self-trade stop
    ]) {
      const batch = { index: state.batchIndex + 1, timestamp: state.timestamp + 12, txs: [tx] };
      const pre = sc.root();
      // A witness without the read keys lets the partial book miss the maker: re-execution diverges.
      const { reads, result } = applyBatchRecording(state, batch, [], { signerCache: wl.signers });
      const pvKeys: Uint8Array[] = [];
      const derived = sc.deriveGeneric(state, pvKeys);
      const full = buildWitness(sc.trie, reads, derived, pvKeys);
      const stripped = buildWitness(sc.trie, reads.map(() => []), derived, pvKeys);
      const { root } = sc.commitBatch(state);
      const receipts = JSON.stringify(result.receipts.txs());
      const ok = verifyWitness(full.bytes, pre, batch, [], { signerCache: wl.signers });
      expect(hex(ok.postRoot)).to.equal(hex(root));
      expect(JSON.stringify(ok.result.receipts.txs())).to.equal(receipts);
      let diverged = false;
      try {
        const r = verifyWitness(stripped.bytes, pre, batch, [], { signerCache: wl.signers });
        diverged = hex(r.postRoot) !== hex(root) || JSON.stringify(r.result.receipts.txs()) !== receipts;
      } catch {
        diverged = true;
      }
      expect(diverged, "stripped witness must not suffice").to.equal(true);
    }
  });

  it("a partial book sees an owner's real open-order count (TOO_MANY_OPEN_ORDERS from a witness)", function () {
    this.timeout(120_000);
    const { wl, state, sc } = committedBook();
    const sig = { r: new Uint8Array(32).fill(1), s: new Uint8Array(32).fill(1), v: 0 as const };
    const acct = 3;
    const account = wl.addresses[acct - 1];
    let nonce = state.accounts[acct].nonce;
    const bid = (price: number): Tx => {
      const tx = {
        kind: TxKind.PLACE, account, nonce: nonce++, sig, market: 0, side: Side.BUY, tif: TimeInForce.GTC, price,
        size: 1, expiry: 0, clientId: 0, stp: SelfTradePrevention.EXPIRE_MAKER,
      } as Tx;
      wl.signers.set(tx, account);
      return tx;
    };
    const book = state.markets.get(0)!.book;
    const fill = MAX_OPEN_ORDERS_PER_MARKET - book.ownerOrderCount(acct);
    const far = book.bestBid() - 5000;
    const txs = Array.from({ length: fill }, (_, i) => bid(far - i));
    applyBatch(state, { index: state.batchIndex + 1, timestamp: state.timestamp + 12, txs }, [], { signerCache: wl.signers });
    sc.commitBatch(state);
    expect(book.ownerOrderCount(acct)).to.equal(MAX_OPEN_ORDERS_PER_MARKET);

    const batch = { index: state.batchIndex + 1, timestamp: state.timestamp + 12, txs: [bid(far + 1)] };
    const pre = sc.root();
    const { root, witness, result } = applyAndWitness(sc, state, batch, [], { signerCache: wl.signers });
    expect(result.receipts.tx(0).code).to.equal(ErrorCode.TOO_MANY_OPEN_ORDERS);
    const v = verifyWitness(witness.bytes, pre, batch, [], { signerCache: wl.signers });
    expect(JSON.stringify(v.result.receipts.txs())).to.equal(JSON.stringify(result.receipts.txs()));
    expect(hex(v.postRoot)).to.equal(hex(root));
  });

  it("a witness that hides the order behind a cancelled one is rejected (no successor only at the tail)", function () {
    const { wl, state, sc } = committedBook();
    const book = state.markets.get(0)!.book;
    let level = book.bestAsk();
    while ([...book.levelOrders(Side.SELL, level)].length < 2) level++;
    const [head, behind] = [...book.levelOrders(Side.SELL, level)].map((o) => ({ id: o.id, owner: o.owner }));
    const account = wl.addresses[head.owner - 1];
    const sig = { r: new Uint8Array(32).fill(1), s: new Uint8Array(32).fill(1), v: 0 as const };
    const tx = { kind: TxKind.CANCEL, account, nonce: state.accounts[head.owner].nonce, sig, market: 0, orderId: head.id } as Tx;
    wl.signers.set(tx, account);
    const batch = { index: state.batchIndex + 1, timestamp: state.timestamp + 12, txs: [tx] };
    const pre = sc.root();
    const { root, witness } = applyAndWitness(sc, state, batch, [], { signerCache: wl.signers });
    expect(hex(verifyWitness(witness.bytes, pre, batch, [], { signerCache: wl.signers }).postRoot)).to.equal(hex(root));
    // Replace the LEAF record (0x02 ‖ u16 len ‖ leaf) of the order behind by a HASH record of the same
    // subtree hash: the witness still hashes to the pre-state root, but no longer shows that order.
    const w = witness.bytes;
    let at = -1;
    for (let i = 0; i + 12 < w.length && at < 0; i++) {
      if (w[i] !== 0x02 || w[i + 3] !== 0x05 || (w[i + 1] << 8 | w[i + 2]) !== 66) continue;
      if (Buffer.from(w.subarray(i + 4, i + 12)).readBigUInt64BE() === BigInt(behind.id)) at = i;
    }
    expect(at, "the order behind is in the honest witness").to.be.greaterThan(-1);
    const leaf = w.subarray(at + 3, at + 3 + 66);
    const h = keccak256(Uint8Array.from([0, ...leaf]));
    const hidden = new Uint8Array(w.length - 69 + 33);
    hidden.set(w.subarray(0, at));
    hidden[at] = 0x01;
    hidden.set(h, at + 1);
    hidden.set(w.subarray(at + 69), at + 33);
    expect(() => verifyWitness(hidden, pre, batch, [], { signerCache: wl.signers })).to.throw(/the order after \d+ is missing/);
  });

  it("a tampered witness is rejected", function () {
    const wl = new Workload({ seed: 5, accounts: 20, depth: 50, batchSize: 40 });
    const state = createGenesisState({ domain: DOMAIN });
    const sc = StateCommitment.fromState(state);
    for (let b = 0; b < 4; b++) {
      const { batch, l1 } = wl.next(state);
      applyBatch(state, batch, l1, { signerCache: wl.signers });
      sc.commitBatch(state);
    }
    const { batch, l1 } = wl.next(state);
    const pre = sc.root();
    const { witness } = applyAndWitness(sc, state, batch, l1, { signerCache: wl.signers });
    const bad = witness.bytes.slice();
    bad[Math.floor(bad.length / 2)] ^= 1;
    expect(() => verifyWitness(bad, pre, batch, l1, { signerCache: wl.signers })).to.throw();
  });
});
