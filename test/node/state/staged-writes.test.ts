// Staged commits of a syncing follower (node/state/store.ts StoreWrite, docs/derivation.md "Syncing
// history"): several batches in one atomic write stage each state leaf once (last value per key) and give
// exactly the store that one write per batch gives; a write staged while the previous one is still running
// (StoreWrite.next) lands after it; a crash before a group's write leaves the store at the previous group;
// and undo records roll back across and into a staged group to the same roots.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createGenesisState, stateDigest } from "../../../node/clob/state.ts";
import { applyBatch } from "../../../node/clob/stf.ts";
import { StateCommitment, hex } from "../../../node/state/commitment.ts";
import type { Derived } from "../../../node/state/derive.ts";
import { StateStore, type L1BlockRecord } from "../../../node/state/store.ts";
import { Workload } from "../../../bench/workload.ts";

const DOMAIN = { chainId: 31337, verifyingContract: "0x5fbdb2315678afecb367f032d93f642f64180aa3" as const };
const H = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as const;
const l1rec = (n: number, batchIndex: number): L1BlockRecord => ({
  number: n, hash: H(1000 + n), parentHash: H(999 + n), timestamp: 12 * n, batchIndex, messageCount: 0, batchChain: H(batchIndex), queueHash: H(0),
});

interface Step {
  root: Uint8Array;
  derived: Derived;
  undo: Uint8Array | undefined;
  digest: string;
}

/** Runs `n` workload batches; `each` sees every batch's commit inputs while they are valid (derived buffers are reused). */
function derive(n: number, each: (i: number, s: Step) => void): string[] {
  const wl = new Workload({ seed: 23, accounts: 30, depth: 200, batchSize: 120, extras: true });
  const state = createGenesisState({ domain: DOMAIN });
  const sc = StateCommitment.fromState(state);
  const roots = [hex(sc.root())];
  for (let i = 1; i <= n; i++) {
    const input = wl.next(state);
    applyBatch(state, input.batch, input.l1, { signerCache: wl.signers, receipts: "none" });
    const { root, derived, undo } = sc.commitBatch(state, { undo: true });
    each(i, { root, derived, undo, digest: stateDigest(state) });
    roots.push(hex(root));
  }
  return roots;
}

async function stateEntries(store: StateStore): Promise<string[]> {
  const out: string[] = [];
  for await (const leaf of store.leaves()) out.push(Buffer.from(leaf).toString("hex"));
  return out;
}

async function genesisStore(dir: string, name: string): Promise<StateStore> {
  const store = await StateStore.open(path.join(dir, name));
  await store.writeFullState(StateCommitment.fromState(createGenesisState({ domain: DOMAIN })), 0);
  return store;
}

describe("state store: staged writes of several batches", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), "rollbook-staged-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("a group write stages each leaf once and equals one write per batch", async () => {
    const one = await genesisStore(dir, "one");
    const grouped = await genesisStore(dir, "grouped");
    const writes: Promise<void>[] = [];
    let w = grouped.begin();
    let ops = 0;
    let prev: ReturnType<StateStore["begin"]> | undefined;
    const roots = derive(12, (i, s) => {
      // one write per batch, each submitted while the previous ones may still run (chained by next())
      prev = (prev?.next() ?? one.begin()).batch({ batchIndex: i, root: s.root, derived: s.derived });
      writes.push(prev.write());
      ops += s.derived.dels.length + [...(s.derived.putBatch ?? []), ...s.derived.puts].length;
      w.batch({ batchIndex: i, root: s.root, derived: s.derived }).l1Block(l1rec(100 + i, i));
      if (i === 6) {
        // group 1 is written while group 2 is staged on top of it
        const next = w.next();
        writes.push(w.write());
        w = next;
      }
    });
    expect(w.batches).to.equal(6);
    expect(w.stagedLeaves, "distinct keys of the group").to.be.greaterThan(0).and.lessThan(ops);
    writes.push(w.write());
    await Promise.all(writes);
    expect(grouped.head()).to.deep.equal({ batchIndex: 12, root: roots[12] });
    expect(await stateEntries(grouped)).to.deep.equal(await stateEntries(one));
    expect(hex((await grouped.load())!.commitment.root())).to.equal(roots[12]);
    for (let i = 1; i <= 12; i++) expect(hex((await grouped.stateRoot(i))!)).to.equal(roots[i]);
    await one.close();
    await grouped.close();
  });

  it("a crash before a group's write resumes from the previous group; rollback crosses and enters staged groups", async () => {
    const file = path.join(dir, "db");
    let store = await genesisStore(dir, "db");
    const digests: string[] = [];
    let w = store.begin();
    let lost: ReturnType<StateStore["begin"]> | undefined;
    const roots = derive(12, (i, s) => {
      digests[i] = s.digest;
      if (i <= 8) w.batch({ batchIndex: i, root: s.root, derived: s.derived, undo: s.undo }).l1Block(l1rec(100 + i, i));
      else (lost ??= w.next()).batch({ batchIndex: i, root: s.root, derived: s.derived, undo: s.undo });
      if (i === 4) {
        void w.write(); // group [1, 4] in flight while [5, 8] is staged
        w = w.next();
      }
    });
    await w.write(); // group [5, 8]; group [9, 12] is never written: the process "crashes"
    await store.close();

    store = await StateStore.open(file);
    expect(store.head()).to.deep.equal({ batchIndex: 8, root: roots[8] });
    expect((await store.l1Cursor()) as L1BlockRecord).to.deep.equal(l1rec(108, 8));
    const loaded = (await store.load())!;
    expect(stateDigest(loaded.state)).to.equal(digests[8]);

    // Roll back into the first group (batch 2): undo records of 8..3, across the group boundary.
    await store.rollback(2, l1rec(102, 2));
    const back = (await store.load())!;
    expect(hex(back.commitment.root())).to.equal(roots[2]);
    expect(stateDigest(back.state)).to.equal(digests[2]);
    expect(await store.l1Block(105)).to.equal(undefined);
    await store.close();
  });
});
