// The committed state vectors (test/vectors/state/*.json) must match what node/state computes from the
// committed STF vectors. UPDATE_STATE_VECTORS=1 rewrites them (a change is a spec change: review it).
import { expect } from "chai";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { StateCommitment, hex } from "../../../node/state/commitment.ts";
import { hexToBytes } from "../../../node/clob/eip712.ts";
import { verifyStateProof } from "../../../node/state/proofs.ts";
import { stateFromLeaves } from "../../../node/state/commitment.ts";
import { STATE_DIR, buildStateVectors } from "./state-vectors.ts";

describe("state vectors (test/vectors/state)", function () {
  this.timeout(120_000);
  const built = buildStateVectors();
  if (process.env.UPDATE_STATE_VECTORS === "1") {
    mkdirSync(STATE_DIR, { recursive: true });
    for (const v of built.state) writeFileSync(path.join(STATE_DIR, `${v.name}.json`), `${JSON.stringify(v, null, 1)}\n`);
    writeFileSync(path.join(STATE_DIR, `${built.trie.name}.json`), `${JSON.stringify(built.trie, null, 1)}\n`);
  }
  for (const v of [...built.state, built.trie]) {
    it(`${v.name}: committed vector matches node/state`, () => {
      const f = path.join(STATE_DIR, `${v.name}.json`);
      expect(existsSync(f), `${f} missing (UPDATE_STATE_VECTORS=1)`).to.equal(true);
      expect(JSON.parse(readFileSync(f, "utf8"))).to.deep.equal(JSON.parse(JSON.stringify(v)));
    });
  }
  it("trie vector: leaves hash to the root in any order; proofs verify", () => {
    const leaves = built.trie.leaves.map(hexToBytes).reverse();
    const sc = StateCommitment.fromLeaves(leaves, stateFromLeaves(leaves));
    expect(hex(sc.root())).to.equal(built.trie.root);
    for (const p of built.trie.proofs) {
      const d = verifyStateProof({ root: built.trie.root, ...p });
      expect(d !== null).to.equal(p.present);
    }
  });
});
