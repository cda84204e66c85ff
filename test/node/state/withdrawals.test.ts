import { expect } from "chai";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { WithdrawalTree, verifyWithdrawalProof, withdrawalLeafHash } from "../../../node/state/withdrawals.ts";

const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString("hex")}`;

function sample(n: number, seed: number) {
  const out = [];
  let s = seed;
  const r = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0), s);
  for (let i = 0; i < n; i++) {
    const recipient = `0x${Array.from({ length: 20 }, () => (r() & 255).toString(16).padStart(2, "0")).join("")}`;
    out.push({ withdrawalId: 1000 + i, recipient, asset: r() % 7, amount: (r() % 1_000_000) * 1_000_003 + (i === 0 ? 2 ** 53 - 1 - 1_000_003 * 999_999 : 0) });
  }
  return out;
}

describe("withdrawal tree (OpenZeppelin StandardMerkleTree)", () => {
  for (const n of [1, 2, 3, 7, 64, 101]) {
    it(`root and every proof equal @openzeppelin/merkle-tree (${n} leaves)`, () => {
      const ws = sample(n, n);
      const ours = new WithdrawalTree(ws);
      const oz = StandardMerkleTree.of(
        ws.map((w) => [w.withdrawalId, w.recipient, w.asset, w.amount]),
        ["uint64", "address", "uint32", "uint64"],
      );
      expect(hex(ours.root)).to.equal(oz.root);
      ws.forEach((w, i) => {
        expect(hex(withdrawalLeafHash(w))).to.equal(oz.leafHash([w.withdrawalId, w.recipient, w.asset, w.amount]));
        const p = ours.proof(w.withdrawalId);
        expect(p.map(hex)).to.deep.equal(oz.getProof(i));
        expect(verifyWithdrawalProof(ours.root, w, p)).to.equal(true);
        expect(StandardMerkleTree.verify(oz.root, ["uint64", "address", "uint32", "uint64"], [w.withdrawalId, w.recipient, w.asset, w.amount], p.map(hex))).to.equal(true);
      });
      // tampering
      if (n > 1) {
        const w = ws[0];
        expect(verifyWithdrawalProof(ours.root, { ...w, amount: w.amount + 1 }, ours.proof(w.withdrawalId))).to.equal(false);
        const p = ours.proof(w.withdrawalId).map((x) => x.slice());
        p[0][0] ^= 1;
        expect(verifyWithdrawalProof(ours.root, w, p)).to.equal(false);
      }
    });
  }
  it("an empty range has the zero root", () => {
    expect(hex(new WithdrawalTree([]).root)).to.equal(`0x${"00".repeat(32)}`);
  });
});
