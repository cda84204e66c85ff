// The market-maker stream of `npm run bench -- da` stays within the 80 B/order budget (sizes do not depend
// on signature values, so this uses the stream's unsigned mode; the bench signs for real).
import { expect } from "chai";
import { generateMmStream } from "../../../node/sim/mm-stream.ts";
import { BLOB_CAPACITY } from "../../../bench/da.ts";
import { decodeBatch, encodeBatch, fitTxs } from "../../../node/codec/index.ts";
import { HEADER } from "./fixtures.ts";

describe("codec: market-maker stream", () => {
  it("encodes at <= 80 bytes per order including signatures, one-blob batches round-trip", () => {
    const txs = generateMmStream({ orders: 6000, sign: false });
    const n = fitTxs(HEADER, txs, BLOB_CAPACITY);
    expect(n).to.be.above(1800);
    const b = encodeBatch({ header: HEADER, txs: txs.slice(0, n) });
    expect(b.length).to.be.at.most(BLOB_CAPACITY);
    expect(b.length / n).to.be.at.most(80);
    const d = decodeBatch(b);
    expect(d.ok && d.batch.txs).to.deep.equal(txs.slice(0, n));
  });
});
