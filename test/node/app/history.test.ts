// The history index on disk (node/app/history.ts) against the in-memory view that indexes the same batches:
// every answer identical while running, after a restart (nothing replayed), with retention pruning, after a
// rollback (the index's keys exactly as before the undone batches), and on an archive node once final.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { txHash } from "../../../node/clob/eip712.ts";
import { createGenesisState, type ClobState } from "../../../node/clob/state.ts";
import { applyBatch, type Batch } from "../../../node/clob/stf.ts";
import type { L1Message } from "../../../node/clob/types.ts";
import { HistoryIndex } from "../../../node/app/history.ts";
import { DEFAULT_CANDLE_INTERVALS } from "../../../node/app/history-records.ts";
import { NodeStateView } from "../../../node/app/view.ts";
import { StateCommitment } from "../../../node/state/commitment.ts";
import { StateStore } from "../../../node/state/store.ts";
import { Workload } from "../../../bench/workload.ts";

const DOMAIN = { chainId: 31337, verifyingContract: "0x5fbdb2315678afecb367f032d93f642f64180aa3" as const };

interface Recorded {
  batch: Batch;
  l1: L1Message[];
  hashes: string[];
}

/** A store with a history index, its state, and a view over both. */
class Node {
  store!: StateStore;
  history!: HistoryIndex;
  view!: NodeStateView;
  state!: ClobState;
  sc!: StateCommitment;

  static async open(dir: string, keepReceipts: number): Promise<Node> {
    const n = new Node();
    n.history = new HistoryIndex({ domain: DOMAIN, keepReceipts, candleIntervals: DEFAULT_CANDLE_INTERVALS });
    n.store = await StateStore.open(dir, { keepReceipts, indexer: n.history });
    const loaded = await n.store.load();
    if (loaded === null) {
      n.state = createGenesisState({ domain: DOMAIN });
      n.sc = StateCommitment.fromState(n.state);
      await n.store.writeFullState(n.sc, 0);
    } else {
      n.state = loaded.state;
      n.sc = loaded.commitment;
    }
    n.view = new NodeStateView({ domain: DOMAIN, state: () => n.state, sequencer: () => undefined, history: n.history });
    await n.view.load();
    n.view.setLevels(n.state.batchIndex, 0);
    return n;
  }

  /** Executes, commits (with undo unless `final`) and indexes one batch, as derivation does. */
  async apply(r: Recorded, wl: Workload, final = false): Promise<void> {
    const result = applyBatch(this.state, r.batch, r.l1, { signerCache: wl.signers });
    const commit = this.sc.commitBatch(this.state, { undo: !final });
    this.history.prepare({ index: r.batch.index, timestamp: r.batch.timestamp, txs: r.batch.txs, hashes: r.hashes });
    await this.store.commitBatch({ batchIndex: r.batch.index, root: commit.root, derived: commit.derived, receipts: result.receipts, undo: commit.undo });
    this.view.onDerivedBatch({
      index: r.batch.index, timestamp: r.batch.timestamp, l1MsgStart: 0, messages: r.l1, receipts: result.receipts,
      txs: r.batch.txs.map((tx, i) => ({ hash: r.hashes[i]!, tx })),
    });
    this.view.setLevels(r.batch.index, 0);
  }

  /** Every key and value of the history index ('H'). */
  async dump(): Promise<[string, string][]> {
    const out: [string, string][] = [];
    for await (const [k, v] of this.store.db.iterator({ gte: Buffer.from("H"), lt: Buffer.from("I") })) out.push([k.toString("hex"), v.toString("hex")]);
    return out;
  }
}

/** The batches of a seeded workload, with their hashes (generated on a scratch state). */
function workload(n: number, seed: number): { wl: Workload; batches: Recorded[] } {
  const wl = new Workload({ seed, accounts: 24, depth: 120, batchSize: 60, extras: true, gtt: 3 });
  const st = createGenesisState({ domain: DOMAIN });
  const batches: Recorded[] = [];
  for (let i = 0; i < n; i++) {
    const { batch, l1 } = wl.next(st);
    applyBatch(st, batch, l1, { signerCache: wl.signers });
    batches.push({ batch, l1, hashes: batch.txs.map((tx) => txHash(DOMAIN, tx)) });
  }
  return { wl, batches };
}

/** Everything the RPC reads from history, for accounts, orders and transactions of `batches`. */
async function answers(view: NodeStateView, batches: Recorded[], wl: Workload): Promise<unknown> {
  const out: Record<string, unknown> = {};
  for (const a of wl.addresses.slice(0, 12)) {
    out[`history ${a}`] = await view.orderHistory(a, 1000);
    out[`history5 ${a}`] = await view.orderHistory(a, 5);
    out[`fills ${a}`] = await view.fills(a, 1000);
    out[`fills7 ${a}`] = await view.fills(a, 7);
    out[`open ${a}`] = view.openOrders(a, null);
  }
  for (const b of batches) {
    out[`batch ${b.batch.index}`] = await view.batch(b.batch.index);
    for (const h of b.hashes) out[`tx ${h}`] = await view.tx(h);
  }
  for (let id = 1; id < 1200; id += 7) out[`order ${id}`] = await view.order(id);
  for (const m of [0]) {
    out[`trades ${m}`] = view.trades(m, 100);
    for (const i of DEFAULT_CANDLE_INTERVALS) out[`candles ${m} ${i}`] = view.candles(m, i, 100);
  }
  return out;
}

/** deep-equal, naming the first answer that differs. */
function same(actual: unknown, expected: unknown): void {
  const a = actual as Record<string, unknown>, e = expected as Record<string, unknown>;
  for (const k of Object.keys(e)) expect(a[k], k).to.deep.equal(e[k]);
  expect(Object.keys(a)).to.deep.equal(Object.keys(e));
}

describe("node/app: history index on disk (receipts, orders, fills, trades, candles)", function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), "rollbook-history-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("serves what the in-memory view serves, and the same after a restart without replaying anything", async () => {
    const { wl, batches } = workload(14, 3);
    const mem = new NodeStateView({ domain: DOMAIN, state: () => node.state, sequencer: () => undefined, retainBatches: 0 });
    let node = await Node.open(path.join(dir, "db"), 0);
    for (const r of batches) {
      await node.apply(r, wl);
      mem.onDerivedBatch({ index: r.batch.index, timestamp: r.batch.timestamp, l1MsgStart: 0, messages: r.l1, receipts: (await node.store.receipts(r.batch.index))!, txs: r.batch.txs.map((tx, i) => ({ hash: r.hashes[i]!, tx })) });
      mem.setLevels(r.batch.index, 0);
    }
    expect(node.view.hasBatch(3), "written batches leave memory").to.equal(false);
    expect((await node.view.fills(wl.addresses[0]!, 1000)).length + (await node.view.fills(wl.addresses[1]!, 1000)).length, "the workload fills").to.be.greaterThan(0);
    const expected = await answers(mem, batches, wl);
    same(await answers(node.view, batches, wl), expected);
    await node.store.close();

    node = await Node.open(path.join(dir, "db"), 0);
    expect(node.history.openCount(), "resting orders' records are back").to.equal([...node.state.markets.values()].reduce((n, m) => n + m.book.orderCount, 0));
    same(await answers(node.view, batches, wl), expected);
    await node.store.close();
  });

  it("rollback removes exactly what the undone batches wrote; re-deriving writes it again", async () => {
    const { wl, batches } = workload(12, 5);
    const node = await Node.open(path.join(dir, "db"), 0);
    for (const r of batches.slice(0, 8)) await node.apply(r, wl);
    const at8 = await node.dump();
    const answers8 = await answers(node.view, batches.slice(0, 8), wl);
    for (const r of batches.slice(8)) await node.apply(r, wl);
    const at12 = await node.dump();
    expect(at12.length).to.be.greaterThan(at8.length);

    await node.store.rollback(8);
    const loaded = (await node.store.load())!;
    node.state = loaded.state;
    node.sc = loaded.commitment;
    node.view.rollBack(8);
    expect(await node.dump()).to.deep.equal(at8);
    expect(await node.view.tx(batches[9]!.hashes[0]!)).to.equal(null);
    // (the view's in-memory candles are not rolled back, with or without the index: compare the rest)
    const noCandles = (x: unknown) => Object.fromEntries(Object.entries(x as object).filter(([k]) => !k.startsWith("candles")));
    same(noCandles(await answers(node.view, batches.slice(0, 8), wl)), noCandles(answers8));

    for (const r of batches.slice(8)) await node.apply(r, wl);
    expect(await node.dump()).to.deep.equal(at12);
    await node.store.close();
  });

  it("retention prunes receipts, fills, trades and finished orders of old batches in the same writes; resting orders stay", async () => {
    const { wl, batches } = workload(14, 9);
    const keep = 4;
    const node = await Node.open(path.join(dir, "db"), keep);
    for (const r of batches) await node.apply(r, wl);
    const head = batches.length;
    const floor = head - keep + 1; // oldest batch kept
    for (const r of batches) {
      const t = await node.view.tx(r.hashes[0] ?? "0x00");
      if (r.batch.index < floor) expect(t, `tx of pruned batch ${r.batch.index}`).to.equal(null);
      else if (r.hashes.length > 0) expect(t!.batchIndex).to.equal(r.batch.index);
    }
    for (const a of wl.addresses) {
      for (const f of await node.view.fills(a, 1000)) expect(f.batchIndex).to.be.at.least(floor);
      for (const o of await node.view.orderHistory(a, 1000)) {
        if (o.remaining === 0) expect(o.updatedBatch, `finished order ${o.orderId}`).to.be.at.least(floor);
      }
      for (const o of node.view.openOrders(a, null)) expect(o.txHash, "a resting order keeps its record").to.not.equal("");
    }
    // No per-batch record below the floor is left.
    for (const [k] of await node.dump()) {
      const family = k.slice(2, 4);
      if (family === "74" || family === "62" || family === "75") {
        const batch = family === "74" ? null : Number(BigInt(`0x${k.slice(4, 20)}`));
        if (batch !== null) expect(batch, `key ${k}`).to.be.at.least(floor);
      }
    }
    await node.store.close();
  });

  it("an archive node keeps everything; once final, the index's undo records go and history stays", async () => {
    const { wl, batches } = workload(10, 11);
    const node = await Node.open(path.join(dir, "db"), 0);
    for (const r of batches) await node.apply(r, wl);
    const before = await answers(node.view, batches, wl);
    const undoKeys = (await node.dump()).filter(([k]) => k.startsWith("4875")).length;
    expect(undoKeys).to.equal(batches.length);
    await node.store.pruneFinal(0, batches.length);
    expect((await node.dump()).filter(([k]) => k.startsWith("4875")).length).to.equal(0);
    same(await answers(node.view, batches, wl), before);
    expect(await node.view.tx(batches.at(-1)!.hashes[0]!)).to.not.equal(null);
    await node.store.close();
  });
});
