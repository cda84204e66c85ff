import { expect } from "chai";
import { createGenesisState } from "../../../node/clob/state.ts";
import { applyBatch } from "../../../node/clob/stf.ts";
import { StateCommitment, hex } from "../../../node/state/commitment.ts";
import { keccak256 } from "../../../node/state/keccak.ts";
import { Workload } from "../../../bench/workload.ts";
import { Tag, keyLen } from "../../../node/state/leaves.ts";
import { allPuts } from "../../../node/state/derive.ts";
import {
  WitnessError,
  WitnessErrorCode,
  applyAndWitness,
  applyBatchRecording,
  buildWitness,
  verifyWitness,
} from "../../../node/state/witness.ts";
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
      // Without the read keys the maker is hidden behind a hash: the executor must refuse, not diverge.
      expect(rejection(() => verifyWitness(stripped.bytes, pre, batch, [], { signerCache: wl.signers }))).to.equal(WitnessErrorCode.INSUFFICIENT);
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
    expect(rejection(() => verifyWitness(hidden, pre, batch, [], { signerCache: wl.signers }))).to.equal(WitnessErrorCode.INSUFFICIENT);
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
    expect(rejection(() => verifyWitness(bad, pre, batch, l1, { signerCache: wl.signers }))).to.be.oneOf([
      WitnessErrorCode.ROOT_MISMATCH,
      WitnessErrorCode.MALFORMED,
    ]);
    expect(rejection(() => verifyWitness(witness.bytes.subarray(0, witness.bytes.length - 1), pre, batch, l1, { signerCache: wl.signers }))).to.equal(
      WitnessErrorCode.MALFORMED,
    );
  });

  it("hiding any leaf kind the batch reads or writes is rejected (WITNESS_INSUFFICIENT), never a wrong root", function () {
    this.timeout(300_000);
    // Randomized: honest witnesses of a mixed workload (GTT orders that expire, client ids, cancels,
    // amends, withdrawals, two markets); in each batch up to three random LEAF records of every kind are
    // replaced, one at a time, by a HASH record of the same subtree, so the witness still hashes to the
    // pre-state root. The executor must reject with WITNESS_INSUFFICIENT or (for a leaf it never looks
    // at) return the honest root; a leaf the batch writes or deletes must always be rejected.
    const rng = mulberry32(77);
    const wl = new Workload({ seed: 21, accounts: 40, markets: 2, depth: 160, batchSize: 60, extras: true });
    const state = createGenesisState({ domain: DOMAIN });
    const sc = StateCommitment.fromState(state);
    const rejected = new Map<number, number>();
    const unneeded = new Map<number, number>();
    let tries = 0;
    for (let b = 0; b < 24; b++) {
      const { batch, l1 } = wl.next(state);
      const pre = sc.root();
      const { root, witness, derived } = applyAndWitness(sc, state, batch, l1, { signerCache: wl.signers });
      const written = new Set<string>([...[...allPuts(derived)].map((e) => hex(e.subarray(0, keyLen(e[0])))), ...derived.dels.map(hex)]);
      const byTag = new Map<number, { at: number; len: number }[]>();
      for (const r of leafRecords(witness.bytes)) {
        const tag = witness.bytes[r.at + 3];
        let a = byTag.get(tag);
        if (a === undefined) byTag.set(tag, (a = []));
        a.push(r);
      }
      for (const [tag, recs] of byTag) {
        for (let k = 0; k < 3 && recs.length > 0; k++) {
          const r = recs.splice(Math.floor(rng() * recs.length), 1)[0];
          const leaf = witness.bytes.subarray(r.at + 3, r.at + 3 + r.len);
          const isWritten = written.has(hex(leaf.subarray(0, keyLen(tag))));
          const stripped = stripLeaf(witness.bytes, r);
          tries++;
          let code: string | undefined;
          let postRoot: string | undefined;
          try {
            postRoot = hex(verifyWitness(stripped, pre, batch, l1, { signerCache: wl.signers }).postRoot);
          } catch (e) {
            expect(e, `batch ${batch.index} tag ${tag}`).to.be.instanceOf(WitnessError);
            code = (e as WitnessError).code;
          }
          if (code !== undefined) {
            expect(code).to.equal(WitnessErrorCode.INSUFFICIENT);
            rejected.set(tag, (rejected.get(tag) ?? 0) + 1);
          } else {
            expect(postRoot, `batch ${batch.index}: a stripped tag-${tag} leaf gave a wrong root`).to.equal(hex(root));
            expect(isWritten, `batch ${batch.index}: a written tag-${tag} leaf was hidden without rejection`).to.equal(false);
            unneeded.set(tag, (unneeded.get(tag) ?? 0) + 1);
          }
        }
      }
    }
    if (process.env.WITNESS_STRIP_STATS) console.log({ tries, rejected, unneeded });
    for (const tag of Object.values(Tag)) expect(rejected.get(tag) ?? 0, `rejections for tag ${tag}`).to.be.greaterThan(0);
    expect(tries).to.be.greaterThan(150);
  });
});

/** The LEAF records (0x02 ‖ u16 len ‖ leaf) of a serialized witness: offset of the record and leaf length. */
function leafRecords(w: Uint8Array): { at: number; len: number }[] {
  const out: { at: number; len: number }[] = [];
  for (let p = 0; p < w.length; ) {
    const t = w[p];
    if (t === 0) p += 1;
    else if (t === 1) p += 33;
    else if (t === 2) {
      const len = (w[p + 1] << 8) | w[p + 2];
      out.push({ at: p, len });
      p += 3 + len;
    } else p += 1;
  }
  return out;
}

/** The witness with one LEAF record replaced by a HASH record of that leaf (same root, leaf hidden). */
function stripLeaf(w: Uint8Array, r: { at: number; len: number }): Uint8Array {
  const leaf = w.subarray(r.at + 3, r.at + 3 + r.len);
  const h = keccak256(Uint8Array.from([0, ...leaf]));
  const out = new Uint8Array(w.length - (3 + r.len) + 33);
  out.set(w.subarray(0, r.at));
  out[r.at] = 0x01;
  out.set(h, r.at + 1);
  out.set(w.subarray(r.at + 3 + r.len), r.at + 33);
  return out;
}

/** The WitnessError code `f` throws (fails the test if it returns or throws anything else). */
function rejection(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).to.be.instanceOf(WitnessError);
    return (e as WitnessError).code;
  }
  throw new Error("the witness was accepted");
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
