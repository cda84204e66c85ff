// Crash test of the composed node (crash-harness.ts): `rollup-node run` (follower, sequencer, proposer) is
// SIGKILLed under load 10 times against a shared anvil and restarted; after each restart no acknowledged
// transaction is lost, and at the end its roots equal an independent follower's that derived from L1 only.
// The long version (100+ kills) is `npm run test:crash:node`.
import { expect } from "chai";
import { nodeCrashRun } from "./crash-harness.ts";

describe("node/app: SIGKILL the composed sequencer node under load", function () {
  // ~25 s per kill when 8 helpers share the 2 cores (a fresh node process imports its modules in ~8 s then)
  this.timeout(600_000);
  it("loses no acknowledged transaction over 10 kills; roots equal the follower's", async () => {
    const r = await nodeCrashRun(10, 200, 1000);
    expect(r.verified.length).to.equal(11);
    expect(r.verified[r.verified.length - 1]).to.equal(r.acked);
    expect(r.acked).to.be.greaterThan(50);
    expect(r.root).to.equal(r.followerRoot);
    expect(r.batches).to.be.greaterThan(0);
  });
});
