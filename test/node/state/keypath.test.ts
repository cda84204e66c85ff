import { expect } from "chai";
import { keccak256 } from "../../../node/state/keccak.ts";
import { keyLenTable, keyPath, keyPathsOfLeaves } from "../../../node/state/keypath.ts";
import { Tag, keyLen } from "../../../node/state/leaves.ts";
import { XorShift32 } from "../../../node/sim/rng.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("state key paths (docs/stf.md \"Trie\")", () => {
  it("follow the rule: ACCOUNT and CLIENT tag ‖ keccak(key)[0:31], other keys zero-padded", () => {
    const order = Uint8Array.of(Tag.ORDER, 0, 0, 0, 0, 0, 0, 0x12, 0x34);
    expect(hex(keyPath(order))).to.equal(`05000000000000123400${"00".repeat(22)}`);
    const account = Uint8Array.from([Tag.ACCOUNT, ...new Array(20).fill(0xab)]);
    expect(hex(keyPath(account))).to.equal(`04${hex(keccak256(account)).slice(0, 62)}`);
    const client = Uint8Array.of(Tag.CLIENT, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1);
    expect(hex(keyPath(client))).to.equal(`07${hex(keccak256(client)).slice(0, 62)}`);
  });

  it("the batched path over leaf encodings (native when built) equals the rule key by key", () => {
    const rng = new XorShift32(11);
    const leaves: Uint8Array[] = [];
    for (let i = 0; i < 3000; i++) {
      const tag = 1 + rng.int(7);
      const kl = keyLen(tag);
      leaves.push(Uint8Array.from({ length: kl + rng.int(60) }, (_, j) => (j === 0 ? tag : rng.int(256))));
    }
    const offs = new Uint32Array(leaves.length + 1);
    leaves.forEach((e, i) => (offs[i + 1] = offs[i] + e.length));
    const data = new Uint8Array(offs[leaves.length]);
    leaves.forEach((e, i) => data.set(e, offs[i]));
    const out = new Uint8Array(32 * leaves.length);
    keyPathsOfLeaves(data, offs, leaves.length, out, keyLenTable(keyLen));
    leaves.forEach((e, i) => expect(hex(out.subarray(32 * i, 32 * i + 32))).to.equal(hex(keyPath(e.subarray(0, keyLen(e[0]))))));
  });

  it("refuses an unknown tag or an item shorter than its key", () => {
    const lens = keyLenTable(keyLen);
    const bad = [Uint8Array.of(0x09, 1, 2, 3), Uint8Array.of(Tag.ORDER, 1, 2)];
    for (const e of bad) {
      expect(() => keyPathsOfLeaves(e, Uint32Array.of(0, e.length), 1, new Uint8Array(32), lens)).to.throw(/bad leaf encoding/);
    }
  });
});
