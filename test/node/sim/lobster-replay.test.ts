import { expect } from "chai";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { replayLobster } from "../../../node/sim/lobster/replay.ts";

const D_ASK = 9999999999;
const D_BID = -9999999999;

/** One orderbook row with `levels` levels from [price, size] lists (best first). */
function row(levels: number, asks: [number, number][], bids: [number, number][]): string {
  const out: number[] = [];
  for (let i = 0; i < levels; i++) {
    const a = asks[i] ?? [D_ASK, 0];
    const b = bids[i] ?? [D_BID, 0];
    out.push(a[0], a[1], b[0], b[1]);
  }
  return out.join(",");
}

describe("LOBSTER replay (node/sim/lobster)", () => {
  it("maps every message type onto the book and scores one-step agreement and FIFO", async () => {
    const L = 2;
    // [time, type, id, size, price, direction] and the venue's book after the message.
    const script: [string, string][] = [
      ["1,1,1,100,1010,-1", row(L, [[1010, 100]], [])],
      ["2,1,2,50,990,1", row(L, [[1010, 100]], [[990, 50]])],
      ["3,1,3,30,1010,-1", row(L, [[1010, 130]], [[990, 50]])],
      ["4,4,1,40,1010,-1", row(L, [[1010, 90]], [[990, 50]])], // visible execution of the oldest: FIFO hit
      ["5,4,3,30,1010,-1", row(L, [[1010, 60]], [[990, 50]])], // execution of a newer order: FIFO miss
      ["6,2,1,10,1010,-1", row(L, [[1010, 50]], [[990, 50]])], // partial cancel
      ["7,5,0,10,1000,1", row(L, [[1010, 50]], [[990, 50]])], // hidden execution: no change
      ["8,3,2,50,990,1", row(L, [[1010, 50]], [])], // deletion
      ["9,7,0,0,-1,-1", row(L, [[1010, 50]], [])], // trading halt
      ["10,1,4,10,1005,-1", row(L, [[1005, 10], [1010, 50]], [])],
      // Deleting level 1 brings an unknown deeper level (1020x20) into view: level 2 cannot agree.
      ["11,3,4,10,1005,-1", row(L, [[1010, 50], [1020, 20]], [])],
      // An event on an order the file never showed reduces the anonymous quantity.
      ["12,3,99,20,1020,-1", row(L, [[1010, 50]], [])],
    ];
    const dir = mkdtempSync(path.join(tmpdir(), "lobster-"));
    const msg = path.join(dir, "m.csv");
    const book = path.join(dir, "b.csv.gz");
    writeFileSync(msg, script.map((s) => s[0]).join("\n") + "\n");
    writeFileSync(book, gzipSync(script.map((s) => s[1]).join("\n") + "\n"));
    const s = await replayLobster(msg, book);
    expect(s.rows).to.equal(script.length - 1);
    expect(s.levelMatches).to.deep.equal([11, 10]);
    expect(s.fifoChecks).to.equal(2);
    expect(s.fifoHits).to.equal(1);
    expect(s.fifoAgreement).to.equal(0.5);
    expect(s.halts).to.equal(1);
    expect(s.unknownOrderEvents).to.equal(1);
    expect(s.messagesByType.slice(1, 8)).to.deep.equal([4, 1, 3, 2, 1, 0, 1]);
    // Fewer levels than the file has.
    const one = await replayLobster(msg, book, { levels: 1 });
    expect(one.levelAgreement).to.deep.equal([1]);
  });

  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
  const goog = path.resolve(process.env.LOBSTER_DIR ?? path.join(repo, "../shared/data/lobster/GOOG_2012-06-21_L10"));
  const prefix = path.join(goog, "GOOG_2012-06-21_34200000_57600000_");
  it("GOOG 2012-06-21, first 5000 rows: levels 1..9 agree >= 99.9%", async function () {
    if (!existsSync(`${prefix}message_10.csv.gz`)) this.skip();
    const s = await replayLobster(`${prefix}message_10.csv.gz`, `${prefix}orderbook_10.csv.gz`, { maxRows: 5000 });
    expect(s.rows).to.equal(4999);
    expect(s.levelAgreement).to.have.length(10);
    for (let i = 0; i < 9; i++) expect(s.levelAgreement[i], `level ${i + 1}`).to.be.at.least(0.999);
    expect(s.fifoChecks).to.be.greaterThan(0);
    expect(s.fifoAgreement).to.be.at.least(0.99);
  });
});
