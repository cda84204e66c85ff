import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createGenesisState, stateDigest } from "../../../node/clob/state.ts";
import { applyBatch } from "../../../node/clob/stf.ts";
import { StateCommitment, hex } from "../../../node/state/commitment.ts";
import { StateStore, exportSnapshot, importSnapshot, readSnapshot } from "../../../node/state/store.ts";
import { Workload } from "../../../bench/workload.ts";
import { WithdrawalTree, verifyWithdrawalProof, type WithdrawalRecord } from "../../../node/state/withdrawals.ts";

const DOMAIN = { chainId: 31337, verifyingContract: "0x5fbdb2315678afecb367f032d93f642f64180aa3" as const };

describe("state store (LevelDB)", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), "rollbook-store-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** JSON of the receipts of each batch `run` committed, as the STF returned them. */
  const receiptsJson = new Map<number, string>();
  async function run(store: StateStore, wl: Workload, state: ReturnType<typeof createGenesisState>, sc: StateCommitment, n: number) {
    for (let i = 0; i < n; i++) {
      const { batch, l1 } = wl.next(state);
      const result = applyBatch(state, batch, l1, { signerCache: wl.signers });
      const { root, derived } = sc.commitBatch(state);
      receiptsJson.set(batch.index, JSON.stringify(result.receipts));
      await store.commitBatch({
        batchIndex: batch.index, root, derived, receipts: result.receipts, withdrawals: result.withdrawals,
        l1Cursor: { block: batch.index * 3 }, mempool: { put: [[`tx${batch.index}`, Uint8Array.of(batch.index & 255)]], del: [`tx${batch.index - 2}`] },
      });
    }
  }

  it("restart resumes from the last committed batch; receipts are pruned by config", async () => {
    const wl = new Workload({ seed: 4, accounts: 40, depth: 300, batchSize: 100, extras: true });
    const state = createGenesisState({ domain: DOMAIN });
    const sc = StateCommitment.fromState(state);
    let store = await StateStore.open(path.join(dir, "db"), { keepReceipts: 3 });
    await store.writeFullState(sc, 0);
    await run(store, wl, state, sc, 12);
    await store.close();
    store = await StateStore.open(path.join(dir, "db"), { keepReceipts: 3 });
    const loaded = (await store.load())!;
    expect(loaded.head.batchIndex).to.equal(12);
    expect(hex(loaded.commitment.root())).to.equal(hex(sc.root()));
    expect(stateDigest(loaded.state)).to.equal(stateDigest(state));
    for (const b of [10, 11, 12]) {
      const stored = await store.receipts(b);
      expect(stored!.txCount).to.equal(100);
      expect(JSON.stringify(stored), `receipts of batch ${b}`).to.equal(receiptsJson.get(b));
    }
    expect(await store.receipts(9)).to.equal(undefined);
    expect(await store.l1Cursor()).to.deep.equal({ block: 36 });
    expect(hex((await store.stateRoot(12))!)).to.equal(hex(sc.root()));
    expect((await store.mempool()).map(([k]) => k).sort()).to.deep.equal(["tx11", "tx12"]);
    // the withdrawal tree of a batch range, from the stored records
    const ws = (await store.withdrawalsInRange(1, 12)) as WithdrawalRecord[];
    expect(ws.length).to.be.greaterThan(0);
    const tree = new WithdrawalTree(ws);
    for (const w of ws) expect(verifyWithdrawalProof(tree.root, w, tree.proof(w.withdrawalId))).to.equal(true);
    // continue from the loaded copy and from the original: identical roots
    await run(store, wl, loaded.state, loaded.commitment, 3);
    expect(await store.receipts(12)).to.equal(undefined);
    await store.close();
    // a lower setting prunes every receipt older than the new window at the next commit
    store = await StateStore.open(path.join(dir, "db"), { keepReceipts: 1 });
    await run(store, wl, loaded.state, loaded.commitment, 1);
    expect(await store.receipts(16)).to.not.equal(undefined);
    for (const old of [13, 14, 15]) expect(await store.receipts(old), `receipts of batch ${old}`).to.equal(undefined);
    for (let i = 0; i < 4; i++) {
      const { batch, l1 } = wl.next(state);
      applyBatch(state, batch, l1, { signerCache: wl.signers });
      sc.commitBatch(state);
    }
    expect(hex(loaded.commitment.root())).to.equal(hex(sc.root()));
    await store.close();
  });

  it("snapshot export -> import checks the root, then continues identically", async () => {
    const wl = new Workload({ seed: 8, accounts: 40, depth: 300, batchSize: 100, extras: true });
    const state = createGenesisState({ domain: DOMAIN });
    const sc = StateCommitment.fromState(state);
    const a = await StateStore.open(path.join(dir, "a"));
    await a.writeFullState(sc, 0);
    await run(a, wl, state, sc, 10);
    const file = path.join(dir, "snap.bin");
    await exportSnapshot(sc, state.batchIndex, file);
    // wrong root: refused
    const wrong = sc.root().slice();
    wrong[0] ^= 1;
    let refused = false;
    await readSnapshot(file, wrong).catch(() => (refused = true));
    expect(refused).to.equal(true);
    const b = await StateStore.open(path.join(dir, "b"));
    const snap = await importSnapshot(b, file, sc.root());
    expect(hex(snap.commitment.root())).to.equal(hex(sc.root()));
    expect(stateDigest(snap.state)).to.equal(stateDigest(state));
    await run(b, wl, snap.state, snap.commitment, 5);
    await run(a, wl, state, sc, 5);
    expect(hex(snap.commitment.root())).to.equal(hex(sc.root()));
    await b.close();
    const b2 = await StateStore.open(path.join(dir, "b"));
    expect(hex((await b2.load())!.commitment.root())).to.equal(hex(sc.root()));
    await b2.close();
    await a.close();
  });
});
