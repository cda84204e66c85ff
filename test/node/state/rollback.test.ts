// The store's way back (node/state/undo.ts, StateStore.rollback): batches committed with their undo record
// can be stepped back atomically to any earlier batch; the rebuilt state equals the one originally at that
// batch (root and every entity), and deriving onward again gives the same roots.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createGenesisState, stateDigest } from "../../../node/clob/state.ts";
import { applyBatch } from "../../../node/clob/stf.ts";
import { StateCommitment, hex } from "../../../node/state/commitment.ts";
import { StateStore, StoreError, type L1BlockRecord } from "../../../node/state/store.ts";
import { decodeUndo, encodeUndo } from "../../../node/state/undo.ts";
import { Workload } from "../../../bench/workload.ts";

const DOMAIN = { chainId: 31337, verifyingContract: "0x5fbdb2315678afecb367f032d93f642f64180aa3" as const };
const H = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as const;
const l1rec = (n: number, batchIndex: number, messageCount: number): L1BlockRecord => ({
  number: n, hash: H(1000 + n), parentHash: H(999 + n), timestamp: 12 * n, batchIndex, messageCount, batchChain: H(batchIndex), queueHash: H(messageCount),
});

describe("state store: rollback by undo records", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), "rollbook-undo-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("undo records round-trip", () => {
    const k1 = Uint8Array.of(1, 2, 3);
    const rec = encodeUndo([k1, Uint8Array.of(9, 9)], [undefined, Uint8Array.of(9, 9, 7)]);
    const back = decodeUndo(rec);
    expect(back[0]!.leaf).to.equal(undefined);
    expect([...back[0]!.key]).to.deep.equal([1, 2, 3]);
    expect([...back[1]!.leaf!]).to.deep.equal([9, 9, 7]);
  });

  it("rolls back several batches in one write, forgets later L1 records and messages, and re-derives to the same roots", async () => {
    const wl = new Workload({ seed: 11, accounts: 40, depth: 300, batchSize: 150, extras: true });
    const state = createGenesisState({ domain: DOMAIN });
    const sc = StateCommitment.fromState(state);
    const store = await StateStore.open(path.join(dir, "db"));
    await store.writeFullState(sc, 0);
    const roots: string[] = [hex(sc.root())];
    const digests: string[] = [stateDigest(state)];
    const inputs: ReturnType<Workload["next"]>[] = [];
    for (let i = 1; i <= 8; i++) {
      const input = wl.next(state);
      inputs.push(input);
      const result = applyBatch(state, input.batch, input.l1, { signerCache: wl.signers });
      const { root, derived, undo } = sc.commitBatch(state, { undo: true });
      // one write per batch: the batch, its L1 block and one message
      await store.begin().batch({ batchIndex: i, root, derived, receipts: result.receipts, withdrawals: result.withdrawals, undo }).l1Block(l1rec(100 + i, i, i)).message(i - 1, Uint8Array.of(i)).write();
      roots.push(hex(root));
      digests.push(stateDigest(state));
    }
    await store.rollback(3, l1rec(103, 3, 3));
    expect(store.head()).to.deep.equal({ batchIndex: 3, root: roots[3] });
    const loaded = (await store.load())!;
    expect(hex(loaded.commitment.root())).to.equal(roots[3]);
    expect(stateDigest(loaded.state)).to.equal(digests[3]);
    for (let i = 4; i <= 8; i++) {
      expect(await store.receipts(i), `receipts ${i}`).to.equal(undefined);
      expect(await store.stateRoot(i), `root ${i}`).to.equal(undefined);
      expect(await store.hasUndo(i)).to.equal(false);
      expect(await store.l1Block(100 + i)).to.equal(undefined);
    }
    expect((await store.l1Block(103))!.batchIndex).to.equal(3);
    expect(await store.l1Cursor()).to.deep.equal(l1rec(103, 3, 3));
    expect((await store.l1Messages(0)).map(([i]) => i)).to.deep.equal([0, 1, 2]);
    // re-derive the same inputs from the rolled-back state: the same roots again
    for (let i = 4; i <= 8; i++) {
      const { batch, l1 } = inputs[i - 1]!;
      const result = applyBatch(loaded.state, batch, l1, { signerCache: wl.signers });
      const { root, derived, undo } = loaded.commitment.commitBatch(loaded.state, { undo: true });
      expect(hex(root), `root ${i}`).to.equal(roots[i]);
      await store.begin().batch({ batchIndex: i, root, derived, receipts: result.receipts, undo }).write();
    }
    const again = (await store.load())!;
    expect(stateDigest(again.state)).to.equal(digests[8]);
    // to genesis and back
    await store.rollback(0);
    expect(hex((await store.load())!.commitment.root())).to.equal(roots[0]);
    await store.close();
  });

  it("refuses to pass a batch committed without undo (final), and changes nothing", async () => {
    const wl = new Workload({ seed: 12, accounts: 20, depth: 100, batchSize: 50, extras: true });
    const state = createGenesisState({ domain: DOMAIN });
    const sc = StateCommitment.fromState(state);
    const store = await StateStore.open(path.join(dir, "db"));
    await store.writeFullState(sc, 0);
    for (let i = 1; i <= 4; i++) {
      const { batch, l1 } = wl.next(state);
      applyBatch(state, batch, l1, { signerCache: wl.signers });
      const { root, derived, undo } = sc.commitBatch(state, { undo: i > 2 });
      const w = store.begin().batch({ batchIndex: i, root, derived, undo });
      expect(w.batches).to.equal(1);
      await w.write();
    }
    await store.rollback(2); // batches 3 and 4 have undo records
    expect(store.head()!.batchIndex).to.equal(2);
    let err: unknown;
    try {
      await store.rollback(1);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(StoreError);
    expect((err as StoreError).code).to.equal("NO_UNDO");
    expect(store.head()!.batchIndex).to.equal(2);
    await store.pruneFinal(0, 2);
    expect(hex((await store.load())!.commitment.root())).to.equal(store.head()!.root);
    await store.close();
  });

  it("several batches in one atomic write", async () => {
    const wl = new Workload({ seed: 13, accounts: 20, depth: 100, batchSize: 50, extras: true });
    const state = createGenesisState({ domain: DOMAIN });
    const sc = StateCommitment.fromState(state);
    const store = await StateStore.open(path.join(dir, "db"), { sync: false });
    await store.writeFullState(sc, 0);
    const w = store.begin();
    for (let i = 1; i <= 5; i++) {
      const { batch, l1 } = wl.next(state);
      applyBatch(state, batch, l1, { signerCache: wl.signers });
      const { root, derived } = sc.commitBatch(state);
      w.batch({ batchIndex: i, root, derived });
    }
    expect(() => w.batch({ batchIndex: 9, root: sc.root(), derived: { puts: [], dels: [] } })).to.throw(StoreError);
    expect(store.head()!.batchIndex).to.equal(0);
    await w.write();
    expect(store.head()!.batchIndex).to.equal(5);
    const loaded = (await store.load())!;
    expect(stateDigest(loaded.state)).to.equal(stateDigest(state));
    await store.close();
  });
});
