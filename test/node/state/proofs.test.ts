import { expect } from "chai";
import { createGenesisState } from "../../../node/clob/state.ts";
import { applyBatch } from "../../../node/clob/stf.ts";
import { StateCommitment } from "../../../node/state/commitment.ts";
import {
  getAccountProof,
  getOrderProof,
  getProof,
  proofKeys,
  verifyAccountProof,
  verifyBalanceProof,
  verifyOrderProof,
  verifyStateProof,
} from "../../../node/state/proofs.ts";
import { Workload } from "../../../bench/workload.ts";

const DOMAIN = { chainId: 31337, verifyingContract: "0x5fbdb2315678afecb367f032d93f642f64180aa3" as const };

describe("state proofs (getProof / verify)", () => {
  const wl = new Workload({ seed: 2, accounts: 50, depth: 400, batchSize: 100 });
  const state = createGenesisState({ domain: DOMAIN });
  const sc = StateCommitment.fromState(state);
  before(() => {
    for (let b = 0; b < 12; b++) {
      const { batch, l1 } = wl.next(state);
      applyBatch(state, batch, l1, { signerCache: wl.signers });
      sc.commitBatch(state);
    }
  });

  it("account balance inclusion round trip; no-balance and no-account proofs", () => {
    for (let i = 1; i < state.accounts.length; i += 7) {
      const a = state.accounts[i];
      const p = getAccountProof(sc, a.address);
      const v = verifyAccountProof(JSON.parse(JSON.stringify(p)), p.root)!;
      expect(v.address).to.equal(a.address);
      expect(v.nonce).to.equal(a.nonce);
      const bal = verifyBalanceProof(p, 2);
      expect(bal.available).to.equal(a.available(2));
      expect(bal.locked).to.equal(a.locked(2));
      expect(verifyBalanceProof(p, 999)).to.deep.include({ available: 0, locked: 0 }); // no entry for that asset
    }
    const stranger = "0x00000000000000000000000000000000deadbeef";
    const p = getAccountProof(sc, stranger);
    expect(verifyAccountProof(p)).to.equal(null);
    expect(verifyBalanceProof(p, 1)).to.deep.equal({ available: 0, locked: 0, nonce: 0 });
  });

  it("resting order inclusion and not-resting exclusion", () => {
    const book = state.markets.get(0)!.book;
    let seen = 0;
    for (let id = 1; id < state.nextOrderId && seen < 60; id += 3) {
      const o = book.getOrder(id);
      const v = verifyOrderProof(getOrderProof(sc, id));
      if (o === undefined) expect(v).to.equal(null);
      else {
        expect(v).to.deep.include({ id, owner: o.owner, price: o.price, size: o.size, priority: o.priority });
        seen++;
      }
    }
    expect(seen).to.be.greaterThan(10);
    expect(verifyOrderProof(getOrderProof(sc, state.nextOrderId + 1000))).to.equal(null);
  });

  it("tampered proofs and wrong roots fail", () => {
    const a = state.accounts[3];
    const p = getAccountProof(sc, a.address);
    const bad = { ...p, siblings: [...p.siblings] };
    bad.siblings[1] = bad.siblings[1].slice(0, -1) + (bad.siblings[1].endsWith("0") ? "1" : "0");
    expect(() => verifyStateProof(bad)).to.throw();
    const badLeaf = { ...p, leaf: p.leaf!.slice(0, -2) + (p.leaf!.endsWith("00") ? "01" : "00") };
    expect(() => verifyStateProof(badLeaf)).to.throw();
    expect(() => verifyStateProof({ ...p, leaf: null })).to.throw();
    expect(() => verifyStateProof(p, "0x" + "11".repeat(32))).to.throw();
    expect(() => verifyStateProof({ ...p, root: "0x" + "11".repeat(32) })).to.throw();
    // a proof for one key is not a proof for another
    expect(() => verifyStateProof({ ...p, key: getAccountProof(sc, state.accounts[4].address).key })).to.throw();
    // globals and markets are provable too
    expect(verifyStateProof(getProof(sc, proofKeys.globals()))!.tag).to.equal(1);
    expect(verifyStateProof(getProof(sc, proofKeys.market(0)))!.tag).to.equal(3);
  });
});
