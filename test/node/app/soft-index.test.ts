// The sequencing node's view (node/app/soft-index.ts feeding node/app/view.ts from the sequencer) when soft
// state is rebuilt: real Sequencer, STF, LevelDB store and history index; derivation is done here the way
// the composed node does it (node/app/node.ts: the STF, the store write started, then the sequencer, the
// derived receipts the view lacks, the levels; the write lands later, and an L1 poll sets the levels again).
//   Another proposer's batch takes one of our acknowledged nonces: the taken transaction is answered
//   dropped, and the others, executed again in the next soft batch, are answered at every moment (before,
//   the view forgot them with the batch they had first been soft in, while the history index did not hold
//   them yet: rb_getTx NOT_FOUND, the adversity e2e flake).
//   The same after an L1 reorg that undoes our included batch.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { txHash } from "../../../node/clob/eip712.ts";
import type { ClobState } from "../../../node/clob/state.ts";
import { applyBatch } from "../../../node/clob/stf.ts";
import type { Tx } from "../../../node/clob/types.ts";
import { decodeBatch } from "../../../node/codec/batch.ts";
import { encodeTx } from "../../../node/codec/tx.ts";
import { HistoryIndex } from "../../../node/app/history.ts";
import { DEFAULT_CANDLE_INTERVALS } from "../../../node/app/history-records.ts";
import { indexSoftExecution } from "../../../node/app/soft-index.ts";
import { NodeStateView } from "../../../node/app/view.ts";
import type { NodeEvent } from "../../../node/rpc/node-view.ts";
import { DropReason, Sequencer } from "../../../node/sequencer/index.ts";
import { StateCommitment } from "../../../node/state/commitment.ts";
import { StateStore } from "../../../node/state/store.ts";
import { DOMAIN, Trader, makeKeys } from "../clob/stf-helpers.ts";
import { MemoryL1, encodeSealed, fundingMessages, genesis } from "../sequencer/helpers.ts";

describe("node/app: the sequencer's view across soft-state rebuilds (competing proposer, reorg)", function () {
  this.timeout(30_000);
  const keys = makeKeys(3, "soft-index-test");
  let dir: string;
  let store: StateStore;
  let history: HistoryIndex;
  let seq: Sequencer;
  let view: NodeStateView;
  let l1: MemoryL1;
  let canon: { state: ClobState; sc: StateCommitment };
  const events: NodeEvent[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "rollbook-soft-index-"));
    history = new HistoryIndex({ domain: DOMAIN, keepReceipts: 0, candleIntervals: DEFAULT_CANDLE_INTERVALS });
    store = await StateStore.open(path.join(dir, "db"), { indexer: history });
    canon = { state: genesis(), sc: undefined as unknown as StateCommitment };
    canon.sc = StateCommitment.fromState(canon.state);
    await store.writeFullState(canon.sc, 0);
    l1 = new MemoryL1(fundingMessages(keys));
    seq = await Sequencer.open({ db: store.db, canonical: canon.state, l1, seal: { maxAgeMs: 100_000 } });
    view = new NodeStateView({ domain: DOMAIN, state: () => seq.softState(), sequencer: () => seq, history });
    await view.load();
    indexSoftExecution(view, seq);
    events.length = 0;
    view.subscribe((e) => events.push(e));
  });
  afterEach(async () => {
    await seq.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function ack(tx: Tx): Promise<string> {
    const r = await seq.submit(encodeTx(tx));
    expect(r.verdict, JSON.stringify(r)).to.equal("valid");
    return txHash(DOMAIN, tx);
  }

  /** Derivation of a landed batch as node/app/node.ts does it; returns the store write, still running. */
  function derive(bytes: Uint8Array, index: number): Promise<void> {
    const d = decodeBatch(bytes);
    if (!d.ok) throw new Error(`batch does not decode: ${d.reasonName}`);
    const { timestamp, l1MsgStart, l1MsgEnd } = d.batch.header;
    const txs = d.batch.txs;
    const msgs = l1.queue.slice(l1MsgStart, l1MsgEnd);
    const res = applyBatch(canon.state, { index, timestamp, txs }, msgs);
    const { root, derived, undo } = canon.sc.commitBatch(canon.state, { undo: true });
    const hashes = txs.map((tx) => txHash(DOMAIN, tx));
    history.prepare({ index, timestamp, txs, hashes });
    const landed = store.commitBatch({ batchIndex: index, root, derived, receipts: res.receipts, undo, mempool: { del: seq.commitKeys(index, hashes) } });
    seq.onCanonical({ state: canon.state, batches: [{ index, timestamp, l1MsgStart, l1MsgEnd, txHashes: hashes }] });
    if (!view.hasBatch(index)) view.onBatchOpened(index, timestamp, l1MsgStart, msgs, res.receipts.l1(), txs.length, false, res.receipts.expired());
    txs.forEach((tx, i) => {
      if (!view.hasTx(hashes[i]!)) view.onTx(index, timestamp, hashes[i]!, tx, res.receipts.tx(i));
    });
    view.setLevels(index, 0);
    return landed;
  }

  /** Another proposer's batch `index` with `txs` (and the L1 messages not yet consumed). */
  function foreign(index: number, txs: Tx[]): Uint8Array {
    const l1MsgStart = canon.state.l1MessagesConsumed;
    return encodeSealed({ index, timestamp: l1.current.timestamp, l1MsgStart, l1MsgEnd: l1.queue.length, txs: txs.map((tx) => ({ tx })) } as never);
  }

  /** rb_getTx's answer: status, level and batch (null: NOT_FOUND). */
  async function answer(h: string): Promise<[string, string, number] | null> {
    const t = await view.tx(h);
    return t === null ? null : [t.status, t.level, t.batchIndex];
  }

  it("another proposer takes an acknowledged nonce: the others, executed again in the next soft batch, are answered at every step", async () => {
    const [alice, bob] = [new Trader(keys[0]!), new Trader(keys[1]!)];
    const a1 = await ack(alice.sell(100, 1));
    const a2 = await ack(alice.sell(101, 1));
    const b1 = await ack(bob.buy(90, 1));
    expect(seq.openBatch()!.index).to.equal(1);
    seq.seal(); // our batch 1 goes to L1 ...
    const taker = new Trader(keys[0]!).sell(105, 2); // ... but another proposer's batch 1 takes alice's nonce 0
    const landed = derive(foreign(1, [taker]), 1);
    expect(await answer(a1)).to.deep.equal(["dropped", "soft", 1]);
    expect((await view.tx(a1))!.drop).to.deep.equal({ reason: DropReason.NONCE_TAKEN, code: null });
    for (const h of [a2, b1]) expect(await answer(h), h).to.deep.equal(["accepted", "soft", 2]);
    expect(await answer(txHash(DOMAIN, taker))).to.deep.equal(["accepted", "included", 1]);
    expect((await view.batch(1))!.txCount, "batch 1 holds only the taker").to.equal(1);
    await landed;
    view.setLevels(1, 0); // an L1 poll after the write landed: batch 1 is now the history index's
    for (const h of [a2, b1]) expect(await answer(h), h).to.deep.equal(["accepted", "soft", 2]);
    expect(await answer(a1)).to.deep.equal(["dropped", "soft", 1]);
    expect((await view.batch(1))!.txCount).to.equal(1);

    // Our batch 2 (a2, b1) lands: answered while its write runs and after.
    const ours = seq.seal()!;
    expect(ours.txs.map((p) => p.hash)).to.deep.equal([a2, b1]);
    const landed2 = derive(encodeSealed(ours), 2);
    for (const h of [a2, b1]) expect(await answer(h), h).to.deep.equal(["accepted", "included", 2]);
    await landed2;
    view.setLevels(2, 0);
    for (const h of [a2, b1]) expect(await answer(h), h).to.deep.equal(["accepted", "included", 2]);
    // What a `txs` subscriber was told about alice's transactions: a1 dropped, a2 executed in 1, then again in 2.
    const told = events.flatMap((e) => (e.type === "txDropped" && e.account === alice.address.toLowerCase() ? [`dropped ${e.txHash} ${e.drop.reason}`] : e.type === "tx" && e.tx.txHash === a2 ? [`tx ${e.tx.batchIndex}`] : []));
    expect(told).to.deep.equal(["tx 1", `dropped ${a1} NONCE_TAKEN`, "tx 2"]);
  });

  it("an L1 reorg undoes our included batch and another proposer takes a nonce: the re-executed transaction is answered at every step", async () => {
    const [alice, carol] = [new Trader(keys[0]!), new Trader(keys[2]!)];
    const c1 = await ack(alice.buy(100, 2));
    const d1 = await ack(carol.sell(100, 1));
    expect((await view.tx(d1))!.fills.length, "d1 crossed c1 softly").to.equal(1);
    await derive(encodeSealed(seq.seal()!), 1);
    view.setLevels(1, 0);
    for (const h of [c1, d1]) expect(await answer(h), h).to.deep.equal(["accepted", "included", 1]);

    // The reorg: batch 1 is undone (store, view, sequencer: c1 and d1 soft again in batch 1) ...
    await store.rollback(0);
    const back = (await store.load())!;
    canon = { state: back.state, sc: back.commitment };
    view.rollBack(0);
    seq.onCanonical({ state: canon.state, batches: [], reorg: true });
    for (const h of [c1, d1]) expect(await answer(h), h).to.deep.equal(["accepted", "soft", 1]);
    seq.seal();
    // ... and on the new history another proposer's batch 1 takes alice's nonce 0.
    const landed = derive(foreign(1, [new Trader(keys[0]!).sell(120, 1)]), 1);
    expect((await view.tx(c1))!.drop).to.deep.equal({ reason: DropReason.NONCE_TAKEN, code: null });
    expect(await answer(d1)).to.deep.equal(["accepted", "soft", 2]);
    await landed;
    view.setLevels(1, 0);
    expect(await answer(d1)).to.deep.equal(["accepted", "soft", 2]);
    expect((await view.tx(d1))!.fills, "nothing to cross any more: d1 rests").to.deep.equal([]);
    const landed2 = derive(encodeSealed(seq.seal()!), 2);
    expect(await answer(d1)).to.deep.equal(["accepted", "included", 2]);
    await landed2;
    view.setLevels(2, 0);
    expect(await answer(d1)).to.deep.equal(["accepted", "included", 2]);
    expect(events.some((e) => e.type === "txDropped" && e.txHash === c1 && e.drop.reason === DropReason.NONCE_TAKEN)).to.equal(true);
  });
});
