// Short run of the codec fuzzer (the full run is `npm run fuzz:codec`, 1,000,000 inputs).
import { expect } from "chai";
import { runFuzz } from "../../../node/codec/fuzz.ts";

describe("codec: fuzz (short run)", () => {
  it("20,000 random and mutated inputs: no escaped exception, canonical round trips, bounded time", function () {
    this.timeout(60_000);
    const s = runFuzz({ inputs: 20_000, seed: 20260101, corpus: 200 });
    expect(s.firstFailure, s.firstFailure).to.equal(undefined);
    expect(s.ok).to.equal(true);
    expect(s.escapedExceptions + s.internalErrors + s.roundTripFailures + s.slowInputs).to.equal(0);
    expect(s.accepted).to.be.above(1000);
    expect(s.rejected).to.be.above(1000);
    // the mutations reach deep into the format: at least these reasons occur
    for (const r of ["TRUNCATED", "BAD_COMPRESSED_FRAME", "DECOMPRESS_FAILED", "RECORDS_LENGTH_MISMATCH", "FIELD_RANGE", "BAD_KIND", "BAD_ACCOUNT_REF", "HIGH_S"]) {
      expect(s.reasons[r] ?? 0, r).to.be.above(0);
    }
  });
});
