// Blob batches from L1 to the guest (anvil + the deployed suite, harness.ts): the real Deriver with
// `proverInputs` records each blob batch's blobs as fetched (node/derive/prover-input.ts), they are the
// blobs L1 committed (versioned hashes of the event), and the range's prover input runs through the Rust
// runner, which binds every blob to its versioned hash before executing (docs/proving.md "Blob binding"):
// the same public values and roots as the node's TS executor and the node's own store, and the attest
// backend signs with it. The runner recomputes each blob's commitment with its own KZG (guest/core src/kzg)
// and checks it against the versioned hashes L1 committed (c-kzg computed them when the batches were posted).
import { expect } from "chai";
import { bytesToHex, zeroHash, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { Side } from "../../../node/clob/types.ts";
import { computeVersionedHashes } from "../../../node/da/kzg.ts";
import { unpackBlobs } from "../../../node/da/packing.ts";
import { DataKind, type Hash } from "../../../node/derive/commitment.ts";
import { decodeBatchInput, type BatchInput } from "../../../node/derive/prover-input.ts";
import type { Deriver } from "../../../node/derive/index.ts";
import { ANVIL_DEV_KEYS } from "../../../node/l1/anvil.ts";
import { AttestBackend } from "../../../node/prover/attest.ts";
import { executeRange } from "../../../node/prover/execute.ts";
import { GUEST_RUNNER, nativeExecutor } from "../../../node/prover/native.ts";
import type { StateStore } from "../../../node/state/store.ts";
import { BASE, Devnet, USDC, startNodeDevnet } from "./harness.ts";

describe("prover: blob batches derived with their blobs, bound by the native runner (anvil)", function () {
  this.timeout(300_000);
  let net: Devnet;
  let deriver: Deriver;
  let store: StateStore;
  const alice = privateKeyToAccount(ANVIL_DEV_KEYS[1]);
  const bob = privateKeyToAccount(ANVIL_DEV_KEYS[2]);

  before(async () => {
    ({ net, deriver, store } = await startNodeDevnet({ guestRunner: true }));
  });

  after(() => net?.stop());

  it("the recorded blobs are L1's; the runner binds them and agrees with the node", async () => {
    await net.deposit(alice, USDC, 1_000_000n);
    await net.deposit(bob, BASE, 1_000n);
    const [k1, k2] = [ANVIL_DEV_KEYS[1], ANVIL_DEV_KEYS[2]];
    const posted = [
      await net.post([net.place(k1, Side.BUY, 100, 10), net.place(k2, Side.SELL, 100, 4)], "blob"),
      await net.post([net.place(k2, Side.SELL, 99, 3), net.withdraw(k1, USDC, 500, alice.address)], "calldata"),
      await net.post([net.place(k2, Side.SELL, 98, 2)], "blob"),
    ];
    expect((await deriver.syncToHead()).batchIndex).to.equal(3);

    const batches: BatchInput[] = [];
    for (const p of posted) {
      const input = decodeBatchInput((await store.proverInput(p.index))!);
      const hashes = p.result.versionedHashes.map((h) => h.toLowerCase());
      if (p.result.versionedHashes.length > 0) {
        expect(input.commitment.dataKind).to.equal(DataKind.BLOBS);
        expect(input.blobs, `batch ${p.index}: blobs recorded`).to.have.length(hashes.length);
        expect(computeVersionedHashes(input.blobs!)).to.deep.equal(hashes);
        expect(input.versionedHashes!.map((h) => h.toLowerCase())).to.deep.equal(hashes);
        const u = unpackBlobs(input.blobs!);
        expect(u.ok && bytesToHex(u.data)).to.equal(bytesToHex(input.data));
        expect(input.data.length).to.equal(p.bytes);
      } else {
        expect(input.blobs).to.equal(undefined);
      }
      batches.push(input);
    }

    const range = { prevStateRoot: bytesToHex((await store.stateRoot(0))!) as Hash, prevBatchChain: zeroHash as Hash, prover: alice.address.toLowerCase() as Address, batches };
    const native = nativeExecutor(GUEST_RUNNER);
    const ts = executeRange(range);
    const rust = native(range);
    expect(rust.values).to.deep.equal(ts.values);
    expect(rust.roots).to.deep.equal(ts.roots);
    const stored: Hex[] = [];
    for (const p of posted) stored.push(bytesToHex((await store.stateRoot(p.index))!));
    expect(rust.roots).to.deep.equal(stored);
    expect(rust.withdrawals).to.deep.equal(ts.withdrawals).and.have.length(1);
    expect(rust.txs).to.equal(5);
    // the attest backend signs what the runner computed, checked against the node's own state
    const proof = await new AttestBackend({ signers: [privateKeyToAccount(ANVIL_DEV_KEYS[0])], chainId: net.d.chainId, verifier: net.d.contracts.attestationVerifier, state: store, execute: native }).prove(range);
    expect(proof.values).to.deep.equal(ts.values);
  });
});
