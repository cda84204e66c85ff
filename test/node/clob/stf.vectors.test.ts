// The committed STF vectors (test/vectors/stf/*.json, for the Rust guest) must match what the TS STF
// produces. UPDATE_STF_VECTORS=1 rewrites them (review the diff: a change is a spec change).

import { expect } from "chai";
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildVectors } from "./stf-vectors.ts";

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "../../vectors/stf");

describe("clob/stf vectors", () => {
  const vectors = buildVectors();
  if (process.env.UPDATE_STF_VECTORS === "1") {
    mkdirSync(dir, { recursive: true });
    for (const v of vectors) writeFileSync(path.join(dir, `${v.name}.json`), `${JSON.stringify(v, null, 1)}\n`);
  }
  for (const v of vectors) {
    it(`${v.name}: committed vector matches the STF`, () => {
      const f = path.join(dir, `${v.name}.json`);
      expect(existsSync(f), `${f} missing (UPDATE_STF_VECTORS=1)`).to.equal(true);
      expect(JSON.parse(readFileSync(f, "utf8"))).to.deep.equal(JSON.parse(JSON.stringify(v)));
    });
  }
  it("vectors cover every error code", () => {
    const codes = new Set<number>();
    for (const v of vectors) for (const b of v.batches) {
      for (const x of b.expected.txs) {
        codes.add(x.code);
        for (const a of x.actions ?? []) codes.add(a.code);
      }
      for (const x of b.expected.l1) codes.add(x.code);
    }
    for (const c of [0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 30, 31, 32, 34, 40, 41]) {
      expect(codes.has(c), `code ${c}`).to.equal(true);
    }
  });
});
