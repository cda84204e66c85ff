// What the composed node keeps on disk to serve proofs and receipts after a restart (node/app/proofs.ts,
// node/state/store.ts keepChanges): per-batch leaf changes in the batch's commit, the finalized trie moved
// forward per range, batch data pruned with the receipts. A keeper rebuilt from the store serves exactly
// what the keeper that saw the batches serves.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import { NodeProofs } from "../../../node/app/proofs.ts";
import { createGenesisState } from "../../../node/clob/state.ts";
import { applyBatch } from "../../../node/clob/stf.ts";
import { accountKey } from "../../../node/state/leaves.ts";
import { ProofKeeper } from "../../../node/rpc/proof-keeper.ts";
import { StateCommitment, hex } from "../../../node/state/commitment.ts";
import { StateStore } from "../../../node/state/store.ts";
import { Workload } from "../../../bench/workload.ts";

const DOMAIN = { chainId: 31337, verifyingContract: "0x5fbdb2315678afecb367f032d93f642f64180aa3" as const };
const silent = pino({ level: "silent" });
const level = () => "proven" as const;

describe("node/app: the store behind the composed node's proofs and receipt index", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), "rollbook-serve-store-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("a keeper rebuilt from the store after finalizations serves the same proofs; batch data is pruned with receipts", async () => {
    const wl = new Workload({ seed: 7, accounts: 30, depth: 200, batchSize: 80, extras: true });
    const genesis = createGenesisState({ domain: DOMAIN });
    const state = createGenesisState({ domain: DOMAIN });
    const sc = StateCommitment.fromState(state);
    let store = await StateStore.open(path.join(dir, "db"), { keepReceipts: 4, keepChanges: true });
    await store.writeFullState(sc, 0);
    const keeper = new ProofKeeper(sc, genesis);
    let withdrawals = 0;
    for (let i = 0; i < 8; i++) {
      const { batch, l1 } = wl.next(state);
      const result = applyBatch(state, batch, l1, { signerCache: wl.signers });
      const commit = sc.commitBatch(state);
      keeper.batch(batch.index, commit, result.withdrawals);
      withdrawals += result.withdrawals.length;
      await store.commitBatch({ batchIndex: batch.index, root: commit.root, derived: commit.derived, receipts: result.receipts, withdrawals: result.withdrawals, batchData: Uint8Array.of(batch.index) });
      if (batch.index === 3 || batch.index === 5) {
        const { range, changes } = keeper.finalize(batch.index);
        await store.finalize({ batchIndex: range.lastBatch, root: range.stateRoot as `0x${string}`, l1Block: 100 + batch.index }, [range as never], changes);
      }
    }
    expect(withdrawals, "the workload withdraws").to.be.greaterThan(0);
    expect(await store.changes(5)).to.equal(undefined);
    expect((await store.changes(6))!.puts.length).to.be.greaterThan(0);
    expect(await store.batchData(4)).to.equal(undefined);
    expect(await store.batchData(5)).to.deep.equal(Uint8Array.of(5));
    await store.close();

    store = await StateStore.open(path.join(dir, "db"), { keepReceipts: 4, keepChanges: true });
    const loaded = (await store.load())!;
    const proofs = await NodeProofs.open({ store, genesis, head: () => loaded.commitment, client: undefined as never, settlement: "0x0000000000000000000000000000000000000001", startBlock: 1, logger: silent });
    expect(proofs.unavailable).to.equal(null);
    expect(proofs.finalized()).to.deep.equal(keeper.finalized());
    expect(proofs.recentRanges(10).map((r) => [r.firstBatch, r.lastBatch])).to.deep.equal([[4, 5], [1, 3], [0, 0]]);
    for (const a of [...state.accounts.values()].slice(0, 5)) {
      const key = accountKey(a.address);
      for (const at of [{ finalized: true as const }, { latest: true as const }]) {
        expect(proofs.stateProof(key, at, level), `${a.address} ${JSON.stringify(at)}`).to.deep.equal(keeper.stateProof(key, at, level));
      }
    }
    for (let id = 0; id < state.nextWithdrawalId; id++) expect(proofs.withdrawal(id, null), `withdrawal ${id}`).to.deep.equal(keeper.withdrawal(id, null));
    expect(hex(loaded.commitment.root())).to.equal(hex(sc.root()));
    await store.close();
  });

  it("a store without a finalized trie (written before keepChanges) refuses proofs and says why", async () => {
    const state = createGenesisState({ domain: DOMAIN });
    const sc = StateCommitment.fromState(state);
    let store = await StateStore.open(path.join(dir, "db"));
    await store.writeFullState(sc, 0);
    await store.close();
    store = await StateStore.open(path.join(dir, "db"), { keepChanges: true });
    const proofs = await NodeProofs.open({ store, genesis: state, head: () => sc, client: undefined as never, settlement: "0x0000000000000000000000000000000000000001", startBlock: 1, logger: silent });
    expect(proofs.unavailable).to.match(/fresh data directory/);
    expect(proofs.withdrawal(0, null)).to.include({ refused: "unavailable" });
    expect(() => proofs.finalized()).to.throw(/PROOF_UNAVAILABLE|proof/i);
    await store.close();
  });
});
