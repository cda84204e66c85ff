// Blob sidecars on the KZG worker thread (node/da/kzg-thread.ts), as the BlobPoster computes them for a
// proposal: the same bytes as computeSidecars, and the main thread keeps running meanwhile. Found by
// `npm run test:crash:node`: computed inline, a proposal's cell proofs held the node's event loop for ~0.4 s
// per blob quiet and 4 s on a loaded machine, so every acknowledgement waited behind them.
import { expect } from "chai";
import { computeSidecars, computeSidecarsOffThread, loadKzg, packBlobs, warmKzgThread } from "../../../node/da/index.ts";
import { testBytes } from "./helpers.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("da/kzg-thread (sidecars off the main thread)", function () {
  this.timeout(120_000);
  const blobs = packBlobs(testBytes(200_000, 3)); // 2 blobs

  before(async () => {
    loadKzg();
    warmKzgThread(); // as a BlobPoster does: the worker loads its trusted setup
    await computeSidecarsOffThread(blobs.slice(0, 1), "v0");
  });

  it("computes the same commitments, versioned hashes, blob and cell proofs as computeSidecars", async () => {
    const inline = computeSidecars(blobs, "v1");
    const off = await computeSidecarsOffThread(blobs, "v1", ["v0"]);
    expect(off.versionedHashes).to.deep.equal(inline.versionedHashes);
    expect(off.commitments.map(hex)).to.deep.equal(inline.commitments.map(hex));
    expect(off.cellProofs!.map((p) => p.map(hex))).to.deep.equal(inline.cellProofs!.map((p) => p.map(hex)));
    expect(off.proofs.map(hex)).to.deep.equal(computeSidecars(blobs, "v0").proofs.map(hex));
    expect(off.blobs.map(hex)).to.deep.equal(blobs.map(hex));
  });

  it("leaves the event loop running while the cell proofs are computed", async () => {
    const one = blobs.slice(0, 1);
    const t0 = performance.now();
    computeSidecars(one, "v1");
    const inlineMs = performance.now() - t0; // the event loop is blocked this long when inline
    let last = performance.now();
    let maxGap = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 5);
    const t1 = performance.now();
    await computeSidecarsOffThread(one, "v1");
    const offMs = performance.now() - t1;
    clearInterval(timer);
    expect(maxGap, `longest event-loop gap ${maxGap.toFixed(0)} ms; inline ${inlineMs.toFixed(0)} ms, off-thread ${offMs.toFixed(0)} ms`).to.be.lessThan(inlineMs / 2);
  });

  it("rejects a non-canonical blob as computeSidecars throws", async () => {
    const bad = new Uint8Array(131_072).fill(0xff); // field elements >= the BLS modulus
    expect(() => computeSidecars([bad], "v1")).to.throw();
    let err: unknown;
    await computeSidecarsOffThread([bad], "v1").catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(Error);
    // the worker is still there for the next proposal
    expect((await computeSidecarsOffThread(blobs, "v0")).versionedHashes).to.deep.equal(computeSidecars(blobs, "v0").versionedHashes);
  });
});
