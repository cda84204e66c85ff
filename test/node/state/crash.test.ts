import { expect } from "chai";
import { crashTest } from "./crash-harness.ts";

describe("state store crash safety (short; long version: npm run test:crash)", () => {
  it("SIGKILLed writer resumes from its last commit, loses no acknowledged batch, ends at the uninterrupted root", async function () {
    this.timeout(180_000); // ~60 s on a host with load ~17 (2 cores shared)
    const r = await crashTest({ kills: 22, target: 250, seed: 3 });
    expect(r.kills).to.be.at.least(20);
    expect(r.finalRoot).to.equal(r.referenceRoot);
  });
});
