import { expect } from "chai";
import { createGenesisState, stateDigest } from "../../../node/clob/state.ts";
import { applyBatch } from "../../../node/clob/stf.ts";
import { StateCommitment, hex, stateFromLeaves } from "../../../node/state/commitment.ts";
import { Workload } from "../../../bench/workload.ts";

export const DOMAIN = { chainId: 31337, verifyingContract: "0x5fbdb2315678afecb367f032d93f642f64180aa3" as const };

describe("state commitment over the real STF", () => {
  it("many markets: incremental roots equal a full rebuild", function () {
    this.timeout(120_000);
    const wl = new Workload({ seed: 13, accounts: 40, markets: 7, depth: 400, batchSize: 150, extras: true });
    const state = createGenesisState({ domain: DOMAIN });
    const sc = StateCommitment.fromState(state);
    for (let b = 0; b < 25; b++) {
      const { batch, l1 } = wl.next(state);
      applyBatch(state, batch, l1, { signerCache: wl.signers });
      const { root } = sc.commitBatch(state);
      expect(hex(root), `batch ${batch.index}`).to.equal(hex(StateCommitment.fromState(state).root()));
    }
  });

  it("incremental roots equal a full rebuild after every batch; leaves rebuild the exact state", function () {
    this.timeout(120_000);
    const wl = new Workload({ seed: 7, accounts: 60, markets: 2, depth: 400, batchSize: 150, extras: true });
    const state = createGenesisState({ domain: DOMAIN });
    const sc = StateCommitment.fromState(state);
    for (let b = 0; b < 60; b++) {
      const { batch, l1 } = wl.next(state);
      applyBatch(state, batch, l1, { signerCache: wl.signers });
      const { root } = sc.commitBatch(state);
      const full = StateCommitment.fromState(state).root();
      expect(hex(root), `batch ${batch.index}`).to.equal(hex(full));
      if (b % 10 === 9) {
        const rebuilt = stateFromLeaves(sc.trie.entries());
        expect(stateDigest(rebuilt)).to.equal(stateDigest(state));
      }
    }
  });
});
