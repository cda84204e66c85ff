// Issue #14: an L1 reorg that undoes a batch included before the sequencer restarted (or whose answers the
// pool no longer holds) must not lose its acknowledged transactions. Real Sequencer, STF, LevelDB store and
// WAL; derivation is done here as node/derive/deriver.ts does it (a batch above L1-finalized committed with
// its undo record and its data; a rollback reads the undone batches' data back, node/app/node.ts turns it
// into the sequencer's undone transactions and the rollback's write keeps them under the mempool prefix).
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { txHash } from "../../../node/clob/eip712.ts";
import type { ClobState } from "../../../node/clob/state.ts";
import { applyBatch } from "../../../node/clob/stf.ts";
import type { Tx } from "../../../node/clob/types.ts";
import { decodeBatch } from "../../../node/codec/batch.ts";
import { HistoryIndex } from "../../../node/app/history.ts";
import { DEFAULT_CANDLE_INTERVALS } from "../../../node/app/history-records.ts";
import { DropReason, Sequencer, undoneRecords, undoneTxs, type SequencerEvent } from "../../../node/sequencer/index.ts";
import { StateCommitment } from "../../../node/state/commitment.ts";
import { StateStore } from "../../../node/state/store.ts";
import { DOMAIN, Trader, makeKeys } from "../clob/stf-helpers.ts";
import { MemoryL1, ackTx, encodeSealed, fundingMessages, writeGenesis } from "./helpers.ts";

describe("sequencer: a reorg undoes batches included before a restart (#14)", function () {
  this.timeout(30_000);
  const keys = makeKeys(3, "reorg-restart-test");
  let dir: string;
  let store: StateStore;
  let history: HistoryIndex;
  let seq: Sequencer;
  let l1: MemoryL1;
  let canon: { state: ClobState; sc: StateCommitment };
  const events: SequencerEvent[] = [];

  async function openSequencer(maxAnswers?: number): Promise<void> {
    // As the composed node: the history index says which transactions the store holds as included.
    seq = await Sequencer.open({ db: store.db, canonical: canon.state, l1, seal: { maxAgeMs: 100_000 }, maxAnswers, includedBatch: (h) => history.txBatch(h) });
    seq.subscribe((e) => events.push(e));
  }

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "rollbook-reorg-restart-"));
    history = new HistoryIndex({ domain: DOMAIN, keepReceipts: 0, candleIntervals: DEFAULT_CANDLE_INTERVALS });
    store = await StateStore.open(path.join(dir, "db"), { indexer: history });
    canon = await writeGenesis(store);
    l1 = new MemoryL1(fundingMessages(keys));
    events.length = 0;
    await openSequencer();
  });
  afterEach(async () => {
    await seq.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ack = (tx: Tx): Promise<string> => ackTx(seq, tx);

  /**
   * A batch above L1-finalized landed: the deriver's commit (undo record and data) and the sequencer told
   * (`sequencerOpen` false: derived at startup, before the sequencer opens).
   */
  async function land(bytes: Uint8Array, index: number, sequencerOpen = true): Promise<string[]> {
    const d = decodeBatch(bytes);
    if (!d.ok) throw new Error(`batch does not decode: ${d.reasonName}`);
    const { timestamp, l1MsgStart, l1MsgEnd } = d.batch.header;
    const res = applyBatch(canon.state, { index, timestamp, txs: d.batch.txs }, l1.queue.slice(l1MsgStart, l1MsgEnd));
    const { root, derived, undo } = canon.sc.commitBatch(canon.state, { undo: true });
    const hashes = d.batch.txs.map((tx) => txHash(DOMAIN, tx));
    history.prepare({ index, timestamp, txs: d.batch.txs, hashes });
    await store.commitBatch({ batchIndex: index, root, derived, receipts: res.receipts, undo, undoData: bytes, mempool: { del: sequencerOpen ? seq.commitKeys(index, hashes) : [] } });
    if (sequencerOpen) seq.onCanonical({ state: canon.state, batches: [{ index, timestamp, l1MsgStart, l1MsgEnd, txHashes: hashes }] });
    return hashes;
  }

  /** The deriver's rollback (undo data read first, kept in the rollback's write) and node/app's reorg handler. */
  async function reorgTo(batchIndex: number, sequencerOpen = true): Promise<void> {
    const batches = (await store.undoneData(batchIndex)).map(([index, data]) => {
      const d = decodeBatch(data);
      if (!d.ok) throw new Error("undo data does not decode");
      return { index, txs: d.batch.txs };
    });
    const undone = undoneTxs(canon.state, batches);
    await store.rollback(batchIndex, undefined, undoneRecords(undone));
    const back = (await store.load())!;
    canon = { state: back.state, sc: back.commitment };
    if (sequencerOpen) seq.onCanonical({ state: canon.state, batches: [], reorg: true, undone });
  }

  async function restart(maxAnswers?: number): Promise<void> {
    await seq.close();
    await openSequencer(maxAnswers);
  }

  /** Soft transactions in execution order (sealed batches, then the open one). */
  function softOrder(): string[] {
    return [...seq.sealed(), ...(seq.openBatch() === null ? [] : [seq.openBatch()!])].flatMap((b) => b.txs.map((p) => p.hash));
  }

  /** Store records the rollbacks kept (mempool prefix, `u` + hash). */
  async function kept(): Promise<string[]> {
    return (await store.mempool()).map(([k]) => k).filter((k) => k.startsWith("u"));
  }

  it("restart, then a reorg undoes the included batch: its transactions are soft again (subscribers told), then included again", async () => {
    const [alice, bob] = [new Trader(keys[0]!), new Trader(keys[1]!)];
    const a1 = await ack(alice.sell(100, 1));
    const b1 = await ack(bob.buy(100, 1));
    const a2 = await ack(alice.sell(110, 1));
    const ours = seq.seal()!;
    await land(encodeSealed(ours), 1);
    for (const h of [a1, b1, a2]) expect(seq.status(h)?.level, h).to.equal("included");

    await restart(); // the pool no longer remembers the included transactions ...
    for (const h of [a1, b1, a2]) expect(seq.status(h), h).to.equal(undefined);
    events.length = 0;
    await reorgTo(0); // ... and an L1 reorg undoes batch 1
    for (const h of [a1, b1, a2]) expect(seq.status(h)?.level, h).to.equal("soft");
    expect(seq.openBatch()!.txs.map((p) => p.hash), "re-executed in batch order").to.deep.equal([a1, b1, a2]);
    expect(seq.status(b1)!.receipt!.fills.length, "b1 crossed a1 again").to.equal(1);
    const told = events.flatMap((e) => (e.type === "receipt" ? [`${e.hash} ${e.batchIndex} ${e.reexecuted}`] : []));
    expect(told).to.deep.equal([a1, b1, a2].map((h) => `${h} 1 true`));
    // Once the sequencer's WAL holds them, the rollback's records go.
    await seq.wal.flush();
    await new Promise((r) => setTimeout(r, 50));
    expect(await kept()).to.deep.equal([]);

    // A restart now replays them from the WAL.
    await restart();
    for (const h of [a1, b1, a2]) expect(seq.status(h)?.level, h).to.equal("soft");
    const again = seq.seal()!;
    expect(again.txs.map((p) => p.hash)).to.deep.equal([a1, b1, a2]);
    await land(encodeSealed(again), 1);
    for (const h of [a1, b1, a2]) expect(seq.status(h)?.level, h).to.equal("included");
  });

  it("a reorg while the sequencer is stopped: it opens with the undone transactions pending, before its own", async () => {
    const [alice, bob] = [new Trader(keys[0]!), new Trader(keys[1]!)];
    const a1 = await ack(alice.sell(100, 1));
    await land(encodeSealed(seq.seal()!), 1);
    const b1 = await ack(bob.buy(100, 1)); // pending (soft in batch 2) at the stop
    await seq.close();
    await reorgTo(0, false); // derivation catches up at startup before the sequencer opens (node/app/node.ts)
    expect(await kept()).to.have.length(1);
    await openSequencer();
    // (a1 replays in its sealed batch 1 when the WAL still holds that record, else loose: first either way)
    expect(softOrder(), "the undone a1 first, then the pending b1").to.deep.equal([a1, b1]);
    expect(seq.status(b1)!.receipt!.fills.length).to.equal(1);
    expect(await kept(), "deleted once the new WAL segment holds them").to.deep.equal([]);
    await restart();
    expect(softOrder()).to.deep.equal([a1, b1]);
  });

  it("a reorg while the sequencer is stopped, then a batch including an undone transaction again: answered included at open, not NONCE_TAKEN", async () => {
    const [alice, bob] = [new Trader(keys[0]!), new Trader(keys[1]!)];
    const a1tx = alice.sell(100, 1);
    const a1 = await ack(a1tx);
    await land(encodeSealed(seq.seal()!), 1);
    const b1 = await ack(bob.buy(100, 1)); // pending (soft in batch 2) at the stop
    await seq.close();
    await reorgTo(0, false);
    // Derivation goes on before the sequencer opens: another proposer's batch 1 includes a1 again.
    await land(encodeSealed({ index: 1, timestamp: l1.current.timestamp, l1MsgStart: 0, l1MsgEnd: l1.queue.length, txs: [{ tx: a1tx }] } as never), 1, false);
    await openSequencer();
    expect(seq.status(a1)).to.deep.include({ level: "included", batchIndex: 1 });
    expect(softOrder(), "only b1 executes, on top of the included a1").to.deep.equal([b1]);
    expect(seq.status(b1)!.receipt!.fills.length).to.equal(1);
    expect(await kept(), "the rollback's records are deleted").to.deep.equal([]);
  });

  it("another proposer's undone batch and a nonce taken on the new history: requeued, then executed or dropped with its reason", async () => {
    const [alice, bob, carol] = [new Trader(keys[0]!), new Trader(keys[1]!), new Trader(keys[2]!)];
    // Another proposer's batch 1 with transactions never submitted to this sequencer.
    const foreignTxs = [alice.sell(100, 1), bob.buy(100, 1)];
    const [fa, fb] = foreignTxs.map((tx) => txHash(DOMAIN, tx));
    await land(encodeSealed({ index: 1, timestamp: l1.current.timestamp, l1MsgStart: 0, l1MsgEnd: l1.queue.length, txs: foreignTxs.map((tx) => ({ tx })) } as never), 1);
    expect(seq.status(fa!), "not ours: the pool never knew it").to.equal(undefined);
    const c1 = await ack(carol.buy(90, 1)); // ours, pending
    await reorgTo(0);
    expect(seq.openBatch()!.txs.map((p) => p.hash)).to.deep.equal([fa, fb, c1]);
    // On the new history yet another batch 1 takes alice's nonce 0.
    const taker = new Trader(keys[0]!).sell(120, 1);
    seq.seal();
    await land(encodeSealed({ index: 1, timestamp: l1.current.timestamp, l1MsgStart: 0, l1MsgEnd: l1.queue.length, txs: [{ tx: taker }] } as never), 1);
    expect(seq.status(fa!)).to.deep.include({ level: "dropped", drop: { reason: DropReason.NONCE_TAKEN } });
    for (const h of [fb!, c1]) expect(seq.status(h)?.level, h).to.equal("soft");
    expect(events.some((e) => e.type === "status" && e.hash === fa && e.level === "dropped" && e.drop?.reason === DropReason.NONCE_TAKEN)).to.equal(true);
  });

  it("an agent's order is requeued; a forged transaction in another proposer's batch never executed and is left out", async () => {
    const [alice, bob] = [new Trader(keys[0]!), new Trader(keys[1]!)];
    const approve = await ack(alice.approveAgent(keys[2]!.address, l1.current.timestamp + 100_000));
    const agent = new Trader(keys[2]!, DOMAIN, alice.address);
    agent.nonce = alice.nonce;
    const byAgent = agent.sell(100, 1);
    const forged = { ...bob.buy(100, 1), sig: byAgent.sig }; // bob's order with a signature of another payload
    await land(encodeSealed({ index: 1, timestamp: l1.current.timestamp, l1MsgStart: 0, l1MsgEnd: l1.queue.length, txs: [...seq.seal()!.txs.map((p) => ({ tx: p.tx })), { tx: byAgent }, { tx: forged }] } as never), 1);
    await restart();
    await reorgTo(0);
    expect(softOrder()).to.deep.equal([approve, txHash(DOMAIN, byAgent)]);
    expect(seq.status(txHash(DOMAIN, byAgent))!.receipt!.status, "the agent's order executes again").to.equal(0);
    expect(seq.status(txHash(DOMAIN, forged as Tx))).to.equal(undefined);
  });

  it("more answers than maxAnswers since the batch was included (no restart): still requeued", async () => {
    await restart(1);
    const [alice, bob] = [new Trader(keys[0]!), new Trader(keys[1]!)];
    const a1 = await ack(alice.sell(100, 1));
    const b1 = await ack(bob.buy(100, 1));
    await land(encodeSealed(seq.seal()!), 1);
    expect(seq.status(a1), "pushed out by b1's answer").to.equal(undefined);
    await reorgTo(0);
    for (const h of [a1, b1]) expect(seq.status(h)?.level, h).to.equal("soft");
    expect(seq.openBatch()!.txs.map((p) => p.hash)).to.deep.equal([a1, b1]);
  });

  it("the store keeps a batch's data with its undo record only: gone with the rollback and pruned at finality", async () => {
    const alice = new Trader(keys[0]!);
    await ack(alice.sell(100, 1));
    const b1 = encodeSealed(seq.seal()!);
    await land(b1, 1);
    await ack(alice.sell(101, 1));
    const b2 = encodeSealed(seq.seal()!);
    await land(b2, 2);
    expect((await store.undoneData(0)).map(([i, d]) => [i, d.length])).to.deep.equal([[1, b1.length], [2, b2.length]]);
    expect((await store.undoneData(1)).map(([i]) => i)).to.deep.equal([2]);
    await store.pruneFinal(0, 1);
    expect((await store.undoneData(0)).map(([i]) => i), "batch 1 final: its undo data pruned").to.deep.equal([2]);
    await reorgTo(1);
    expect(await store.undoneData(0)).to.deep.equal([]);
    // A batch committed without an undo record (final) keeps no undo data.
    const alice2 = await ack(alice.sell(102, 1));
    const b3 = encodeSealed(seq.seal()!);
    const d = decodeBatch(b3);
    if (!d.ok) throw new Error("decode");
    applyBatch(canon.state, { index: 2, timestamp: d.batch.header.timestamp, txs: d.batch.txs }, []);
    const { root, derived } = canon.sc.commitBatch(canon.state);
    await store.commitBatch({ batchIndex: 2, root, derived, undoData: b3 });
    expect(await store.undoneData(0)).to.deep.equal([]);
    expect(alice2).to.be.a("string");
  });
});
