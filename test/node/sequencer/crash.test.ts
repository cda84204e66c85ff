// Crash test of durable acknowledgements: SIGKILL the sequencer process under load 10 times; after each
// restart every acknowledged transaction is still answered (pending in the WAL, dropped with a reason, or
// in a committed batch). The long version (100+ kills) is `npm run test:crash:sequencer`.
import { expect } from "chai";
import { crashRun } from "./crash-harness.ts";

describe("sequencer crash (SIGKILL under load)", function () {
  this.timeout(600_000);
  it("loses no acknowledged transaction over 10 kills", async () => {
    const r = await crashRun(10);
    expect(r.rejected).to.equal(0);
    expect(r.acked).to.be.greaterThan(100);
    // every restart saw every acknowledgement so far
    expect(r.verified.length).to.equal(10);
    expect(r.verified[r.verified.length - 1]).to.equal(r.acked);
  });
});
