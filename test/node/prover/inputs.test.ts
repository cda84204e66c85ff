// Prover inputs in the store (node/state/store.ts `proverInput`): written with the batch, gone with it on a
// rollback, pruned once finalized; and the BatchInput encoding round trip (node/derive/prover-input.ts).
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { zeroHash, type Address } from "viem";
import { createGenesisState } from "../../../node/clob/state.ts";
import { applyBatch } from "../../../node/clob/stf.ts";
import { BYTES_PER_BLOB, packBlobs } from "../../../node/da/packing.ts";
import { DataKind, type Hash } from "../../../node/derive/commitment.ts";
import { decodeBatchInput, encodeBatchInput } from "../../../node/derive/prover-input.ts";
import { encodeGuestInput } from "../../../node/prover/guest-input.ts";
import { StateCommitment } from "../../../node/state/commitment.ts";
import { StateStore } from "../../../node/state/store.ts";
import { emptyRange } from "./range-fixture.ts";

const WHO = "0x1111111111111111111111111111111111111111" as Address;

describe("prover: inputs in the store", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), "rollbook-inputs-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("written with the batch, deleted by a rollback, pruned after finalization", async () => {
    const store = await StateStore.open(path.join(dir, "db"), { sync: false });
    try {
      const state = createGenesisState({ domain: { chainId: 1, verifyingContract: WHO }, feeAccount: WHO });
      const sc = StateCommitment.fromState(state);
      await store.writeFullState(sc, 0);
      const commit = async (i: number) => {
        applyBatch(state, { index: i, timestamp: i, txs: [] }, []);
        const { root, derived, undo } = sc.commitBatch(state, { undo: true });
        await store.commitBatch({ batchIndex: i, root, derived, undo, proverInput: Uint8Array.of(i, 7) });
      };
      await commit(1);
      await commit(2);
      expect(await store.proverInput(2)).to.deep.equal(Uint8Array.of(2, 7));
      await store.rollback(1);
      expect(await store.proverInput(2), "rolled back with its batch").to.equal(undefined);
      expect(await store.proverInput(1)).to.deep.equal(Uint8Array.of(1, 7));
      await store.pruneProverInputs(1);
      expect(await store.proverInput(1)).to.equal(undefined);
    } finally {
      await store.close();
    }
  });

  it("BatchInput encoding round trip; truncation refused", () => {
    const b = emptyRange().batches[0];
    const withMsgs = { ...b, messages: [Uint8Array.of(1, 2, 3), new Uint8Array(0)], versionedHashes: [zeroHash] };
    const enc = encodeBatchInput(withMsgs);
    expect(decodeBatchInput(enc)).to.deep.equal(withMsgs);
    expect(() => decodeBatchInput(enc.subarray(0, enc.length - 1))).to.throw(RangeError);
  });

  it("a blob batch stores its blobs, not the unpacked bytes; the decoder unpacks them", () => {
    const b = emptyRange().batches[0];
    const data = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 7) & 0xff);
    const blobs = packBlobs(data);
    const input = { ...b, commitment: { ...b.commitment, dataKind: DataKind.BLOBS }, data, blobs, versionedHashes: [zeroHash, zeroHash] as Hash[] };
    const enc = encodeBatchInput(input);
    expect(enc.length).to.be.greaterThan(2 * BYTES_PER_BLOB).and.lessThan(2 * BYTES_PER_BLOB + 1000);
    expect(decodeBatchInput(enc)).to.deep.equal(input);
    // blobs that do not unpack (a top bit set): kept as they are, the data is empty (an UNDECODABLE batch)
    const bad = blobs.map((x) => Uint8Array.from(x));
    bad[1][0] |= 0x80;
    const back = decodeBatchInput(encodeBatchInput({ ...input, blobs: bad }));
    expect(back.blobs).to.deep.equal(bad);
    expect(back.data).to.have.length(0);
    // the guest input carries the blobs behind the format-2 magic
    const guest = encodeGuestInput({ prevStateRoot: zeroHash, prevBatchChain: zeroHash, prover: WHO, batches: [input] });
    expect(Buffer.from(guest.subarray(0, 8)).toString()).to.equal("RBWRANG2");
    expect(Buffer.from(guest).indexOf(Buffer.from(blobs[1]))).to.be.greaterThan(0);
    expect(() => encodeBatchInput({ ...input, blobs: [blobs[0].subarray(1)] })).to.throw(RangeError);
  });
});
