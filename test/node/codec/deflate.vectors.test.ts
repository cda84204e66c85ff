// The committed DEFLATE vectors (test/vectors/codec/deflate.json, for a second inflater such as the Rust
// guest's) must match node/codec's verdicts. UPDATE_DEFLATE_VECTORS=1 rewrites them.

import { expect } from "chai";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildDeflateVectors } from "./deflate-vectors.ts";

const file = path.join(path.dirname(fileURLToPath(import.meta.url)), "../../vectors/codec/deflate.json");

describe("codec: DEFLATE vectors (test/vectors/codec/deflate.json)", () => {
  const v = buildDeflateVectors();
  if (process.env.UPDATE_DEFLATE_VECTORS === "1") {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(v, null, 1)}\n`);
  }
  it("the committed file matches the codec", () => {
    expect(existsSync(file), `${file} missing (UPDATE_DEFLATE_VECTORS=1)`).to.equal(true);
    expect(JSON.parse(readFileSync(file, "utf8"))).to.deep.equal(JSON.parse(JSON.stringify(v)));
  });
  it("covers valid streams of every block type and each rejection the codec distinguishes", () => {
    const byOutcome = (o: string) => v.cases.filter((c) => c.outcome === o).map((c) => c.name);
    expect(byOutcome("ok")).to.include.members(["dynamic Huffman (zlib level 9)", "fixed Huffman (Z_FIXED)", "stored block (level 0)", "stored block (not final) then a fixed block"]);
    expect(byOutcome("DECOMPRESS_FAILED")).to.include.members([
      "reserved block type 3", "over-subscribed code-length code", "incomplete code-length code (one symbol of length 2)",
      "literal/length code without an end-of-block symbol", "distance beyond the output start (fixed, first symbol a match)",
    ]);
    expect(byOutcome("BAD_COMPRESSED_FRAME")).to.deep.equal(["trailing byte after the final block"]);
    expect(byOutcome("RECORDS_LENGTH_MISMATCH")).to.include("decompression bomb: 1 MiB of zeros declared as 100 bytes");
  });
});
