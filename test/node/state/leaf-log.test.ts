// The leaf log (node/state/store.ts BatchCommit.logged, docs/derivation.md "Syncing history"): a final batch
// may write its leaf changes as one record instead of one key per leaf. What is loaded is the same state as
// with leaves written directly, before and after fold(), after a restart with the log still there, and after
// a crash between group writes; a batch with direct leaves cannot follow logged ones before a fold; rollback
// cannot pass logged (final) batches and works again over direct batches after the fold.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createGenesisState, stateDigest } from "../../../node/clob/state.ts";
import { applyBatch } from "../../../node/clob/stf.ts";
import { StateCommitment, hex } from "../../../node/state/commitment.ts";
import type { Derived } from "../../../node/state/derive.ts";
import { StateStore, StoreError, type StoreWrite } from "../../../node/state/store.ts";
import { Workload } from "../../../bench/workload.ts";

const DOMAIN = { chainId: 31337, verifyingContract: "0x5fbdb2315678afecb367f032d93f642f64180aa3" as const };

interface Step {
  root: Uint8Array;
  derived: Derived;
  undo: Uint8Array;
  digest: string;
}

/** Runs `n` workload batches (with expiries, cancels, client ids); `each` sees each batch's commit inputs while they are valid. */
function derive(n: number, each: (i: number, s: Step) => void): { roots: string[]; digests: string[] } {
  const wl = new Workload({ seed: 41, accounts: 30, depth: 200, batchSize: 150, extras: true, gtt: 4 });
  const state = createGenesisState({ domain: DOMAIN });
  const sc = StateCommitment.fromState(state);
  const roots = [hex(sc.root())];
  const digests = [stateDigest(state)];
  for (let i = 1; i <= n; i++) {
    const input = wl.next(state);
    applyBatch(state, input.batch, input.l1, { signerCache: wl.signers, receipts: "none" });
    const { root, derived, undo } = sc.commitBatch(state, { undo: true });
    each(i, { root, derived, undo: undo!, digest: stateDigest(state) });
    roots.push(hex(root));
    digests.push(stateDigest(state));
  }
  return { roots, digests };
}

async function genesisStore(file: string): Promise<StateStore> {
  const store = await StateStore.open(file);
  await store.writeFullState(StateCommitment.fromState(createGenesisState({ domain: DOMAIN })), 0);
  return store;
}

async function leafSet(store: StateStore): Promise<string[]> {
  const out: string[] = [];
  for await (const leaf of store.leaves()) out.push(Buffer.from(leaf).toString("hex"));
  return out.sort();
}

async function loaded(store: StateStore): Promise<{ root: string; digest: string; batch: number }> {
  const l = await store.load();
  if (l === null) throw new Error("empty store");
  return { root: hex(l.commitment.root()), digest: stateDigest(l.state), batch: l.head.batchIndex };
}

describe("state store: the leaf log of final batches", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), "rollbook-leaflog-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("logged batches load to the same state as direct leaves, before and after fold, across a restart", async () => {
    const direct = await genesisStore(path.join(dir, "direct"));
    const logged = await genesisStore(path.join(dir, "logged"));
    const writes: Promise<void>[] = [];
    let w: StoreWrite = logged.begin();
    let d: StoreWrite | undefined;
    const { roots, digests } = derive(10, (i, s) => {
      d = (d?.next() ?? direct.begin()).batch({ batchIndex: i, root: s.root, derived: s.derived }); // one write per batch
      writes.push(d.write());
      w.batch({ batchIndex: i, root: s.root, derived: s.derived, logged: true });
      if (i % 3 === 0) {
        // groups of three batches, each written while the next is staged
        const next = w.next();
        writes.push(w.write());
        w = next;
      }
    });
    writes.push(w.write());
    await Promise.all(writes);
    expect(logged.loggedBatches).to.equal(10);
    expect(logged.loggedBytes).to.be.greaterThan(0);
    expect(await loaded(logged)).to.deep.equal({ root: roots[10], digest: digests[10], batch: 10 });
    expect(await leafSet(logged)).to.deep.equal(await leafSet(direct));

    // a restart with the log still there
    await logged.close();
    const reopened = await StateStore.open(path.join(dir, "logged"));
    expect(reopened.loggedBatches).to.equal(10);
    expect(await loaded(reopened)).to.deep.equal({ root: roots[10], digest: digests[10], batch: 10 });

    const folded = await reopened.fold();
    expect(folded).to.be.greaterThan(0);
    expect(reopened.loggedBatches).to.equal(0);
    expect(reopened.loggedBytes).to.equal(0);
    expect(await reopened.fold()).to.equal(0);
    expect(await loaded(reopened)).to.deep.equal({ root: roots[10], digest: digests[10], batch: 10 });
    // after the fold the leaves are the direct store's, key by key, in database order
    const a: string[] = [];
    const b: string[] = [];
    for await (const leaf of reopened.leaves()) a.push(Buffer.from(leaf).toString("hex"));
    for await (const leaf of direct.leaves()) b.push(Buffer.from(leaf).toString("hex"));
    expect(a).to.deep.equal(b);
    await reopened.close();
    await direct.close();
  });

  it("a crash between group writes leaves the last written group, which derives on to the same roots", async () => {
    const file = path.join(dir, "crash");
    const first = await genesisStore(file);
    const steps: Step[] = [];
    const { roots, digests } = derive(9, (_i, s) => steps.push({ ...s, derived: copyDerived(s.derived) }));
    // groups 1-3 and 4-6 written (the second while the third is staged), group 7-9 staged only: the crash
    let w = first.begin();
    for (let i = 1; i <= 3; i++) w.batch({ batchIndex: i, root: steps[i - 1]!.root, derived: steps[i - 1]!.derived, logged: true });
    const w2 = w.next();
    const g1 = w.write();
    for (let i = 4; i <= 6; i++) w2.batch({ batchIndex: i, root: steps[i - 1]!.root, derived: steps[i - 1]!.derived, logged: true });
    const w3 = w2.next();
    const g2 = w2.write();
    for (let i = 7; i <= 9; i++) w3.batch({ batchIndex: i, root: steps[i - 1]!.root, derived: steps[i - 1]!.derived, logged: true });
    await Promise.all([g1, g2]);
    await first.close(); // never written: w3

    const store = await StateStore.open(file);
    expect(store.loggedBatches).to.equal(6);
    expect(await loaded(store)).to.deep.equal({ root: roots[6], digest: digests[6], batch: 6 });
    // derivation resumes from batch 6: the same batches again, logged, then folded
    const again = store.begin();
    for (let i = 7; i <= 9; i++) again.batch({ batchIndex: i, root: steps[i - 1]!.root, derived: steps[i - 1]!.derived, logged: true });
    await again.write();
    expect(await loaded(store)).to.deep.equal({ root: roots[9], digest: digests[9], batch: 9 });
    await store.fold();
    await store.close();
    const after = await StateStore.open(file);
    expect(after.loggedBatches).to.equal(0);
    expect(await loaded(after)).to.deep.equal({ root: roots[9], digest: digests[9], batch: 9 });
    await after.close();
  });

  it("direct leaves cannot follow logged batches before a fold; rollback stops at logged batches and works after the fold", async () => {
    const store = await genesisStore(path.join(dir, "mixed"));
    const steps: Step[] = [];
    const { roots, digests } = derive(8, (_i, s) => steps.push({ ...s, derived: copyDerived(s.derived), undo: new Uint8Array(s.undo) }));
    const commit = (i: number, logged: boolean) => {
      const s = steps[i - 1]!;
      return store.begin().batch({ batchIndex: i, root: s.root, derived: s.derived, ...(logged ? { logged: true } : { undo: s.undo }) });
    };
    for (let i = 1; i <= 4; i++) await commit(i, true).write();
    // a logged batch is final: it has no undo record
    expect(() => store.begin().batch({ batchIndex: 5, root: steps[4]!.root, derived: steps[4]!.derived, undo: steps[4]!.undo, logged: true })).to.throw(StoreError);
    // the same StoreWrite, or a new one, refuses direct leaves while the log is there; nothing is written
    let err: unknown;
    try {
      commit(5, false);
    } catch (e) {
      err = e;
    }
    expect((err as StoreError).code).to.equal("NOT_FOLDED");
    const w = store.begin().batch({ batchIndex: 5, root: steps[4]!.root, derived: steps[4]!.derived, logged: true });
    expect(() => w.batch({ batchIndex: 6, root: steps[5]!.root, derived: steps[5]!.derived, undo: steps[5]!.undo })).to.throw(StoreError, /NOT_FOLDED|fold/);
    expect(await loaded(store)).to.deep.equal({ root: roots[4], digest: digests[4], batch: 4 });

    // rollback cannot pass a logged (final) batch, and changes nothing
    try {
      await store.rollback(2);
      expect.fail("rolled back over logged batches");
    } catch (e) {
      expect((e as StoreError).code).to.equal("NO_UNDO");
    }
    expect(await loaded(store)).to.deep.equal({ root: roots[4], digest: digests[4], batch: 4 });

    await store.fold();
    for (let i = 5; i <= 8; i++) await commit(i, false).write();
    expect(await loaded(store)).to.deep.equal({ root: roots[8], digest: digests[8], batch: 8 });
    await store.rollback(4);
    expect(await loaded(store)).to.deep.equal({ root: roots[4], digest: digests[4], batch: 4 });
    await store.close();
  });

  it("fold() runs after the writes submitted before it, and writes submitted after it stay logged", async () => {
    const store = await genesisStore(path.join(dir, "order"));
    const steps: Step[] = [];
    const { roots, digests } = derive(6, (_i, s) => steps.push({ ...s, derived: copyDerived(s.derived) }));
    const w1 = store.begin();
    for (let i = 1; i <= 3; i++) w1.batch({ batchIndex: i, root: steps[i - 1]!.root, derived: steps[i - 1]!.derived, logged: true });
    const w2 = w1.next();
    const p1 = w1.write();
    const f = store.fold(); // submitted while w1 may still be running
    for (let i = 4; i <= 6; i++) w2.batch({ batchIndex: i, root: steps[i - 1]!.root, derived: steps[i - 1]!.derived, logged: true });
    const p2 = w2.write();
    await Promise.all([p1, f, p2]);
    expect(store.loggedBatches).to.equal(3);
    expect(await loaded(store)).to.deep.equal({ root: roots[6], digest: digests[6], batch: 6 });
    await store.close();
  });
});

/** A copy of a batch's leaf changes (the commitment reuses its buffers for the next batch). */
function copyDerived(d: Derived): Derived {
  return { puts: [...d.puts, ...(d.putBatch ?? [])].map((e) => new Uint8Array(e)), dels: d.dels.map((k) => new Uint8Array(k)), removed: [...d.removed], levels: [...d.levels] };
}
